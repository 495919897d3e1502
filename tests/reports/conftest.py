"""Fixtures of the report tests: the hand-computed chain of tests/reports/history.py."""
from __future__ import annotations

import pytest

from tests.reports import history


@pytest.fixture
def chain(clinic):
    """April and May 2025 at BLR1 and MYS1, with breakage and a refund posted by hand."""
    return history.chain(clinic)


@pytest.fixture
def plain_chain(clinic):
    """The same without the hand-posted breakage and refund: packages and ledger agree."""
    return history.chain(clinic, adjustments=False)
