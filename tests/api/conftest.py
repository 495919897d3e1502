"""Fixtures of the API tests: Priya at the counter of the `clinic`, and her laser package."""
from __future__ import annotations

import pytest

from tests import factories


@pytest.fixture
def priya(clinic):
    return factories.client(clinic, name="Priya Sharma", phone="98765 43210")


@pytest.fixture
def laser(clinic):
    return clinic.service("Laser hair reduction")


@pytest.fixture
def lhr(clinic, priya):
    """Priya's Laser hair reduction package: 6 sessions, ₹24,000, sold today."""
    return factories.sold_package(clinic, priya, plan="LHR-6")


@pytest.fixture
def manager(clinic):
    """The manager's API client (voids and reports)."""
    return factories.api_client(clinic.manager)
