"""Fixtures shared by the suite: small builders live in tests/factories.py."""
from __future__ import annotations

import pytest
from django.db import connection

from tests import factories


def pytest_configure(config):
    """Test users need no slow password hashing (production keeps Django's PBKDF2). Each xdist
    worker gets a VAR_DIR of its own: staged imports (VAR_DIR/imports/<business id>) and the
    file outbox are keyed by ids that the workers' separate databases hand out alike, so a
    shared folder let one worker's test remove or read another's files."""
    import os
    from pathlib import Path

    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        settings.VAR_DIR = Path(settings.VAR_DIR) / f"xdist-{worker}"
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)


def _transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return bool({"transactional_db", "live_server", "committed_db"} & set(request.fixturenames)) or bool(
        marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0]))
    )


@pytest.fixture(autouse=True)
def _restore_purge_guard(request, django_db_blocker):
    """After a transactional test's flush (SQLite only), immutability triggers refuse deletes again.

    This runs after pytest-django has torn the test database down for the test and blocked
    access again, hence the explicit unblock."""
    yield
    if connection.vendor == "sqlite" and _transactional(request):
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute("UPDATE glowpos_purge_guard SET allowed = 0")


@pytest.fixture
def committed_db(transactional_db):
    """Real commits, for tests with threads or processes. The flush afterwards empties every
    table; on SQLite the immutability triggers would refuse it, so it is allowed just then."""
    yield
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("UPDATE glowpos_purge_guard SET allowed = 1")


@pytest.fixture
def clinic(db):
    return factories.clinic()


@pytest.fixture
def api(clinic):
    """A Django test client logged in through the real token endpoint as the front desk."""
    return factories.api_client(clinic.front_desk)
