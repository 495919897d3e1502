"""Benchmarks (not tests): `python -m bench search|checkout`. They print figures."""
