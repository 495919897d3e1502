"""Browser tests: Debian's Chromium, driven by Playwright's sync API, against live_server.

Every test here requests `committed_db` (through `clinic_live`): live_server needs real
commits, and on SQLite the flush afterwards must get past the immutability triggers.

Playwright's sync API keeps an asyncio loop running in this thread while a browser is open,
and Django refuses ORM calls from a thread with a running loop. The ORM calls in these tests
are ordinary synchronous ones (building the clinic, checking the database), so the check is
switched off — only in this directory, only for the length of a test — and the browser is
closed at the end of each test so the rest of the worker's tests run with the check on.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, connections
from playwright.sync_api import Browser, sync_playwright

from glowpos.tenancy.models import StaffMember
from tests import factories
from tests.e2e.counter import Desk

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(autouse=True)
def _orm_beside_playwright(monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _restore_purge_guard(django_db_blocker):
    """Overrides tests/conftest.py's fixture of the same name, for live_server tests.

    pytest-django's own autouse helper requests transactional_db for a live_server test
    before any conftest fixture is set up, so this teardown runs *before* its flush — the
    shared fixture would close the guard too early and the flush would hit the immutability
    triggers. Here the tables are emptied while the guard is open (committed_db opened it),
    then it is closed; pytest-django's flush that follows finds nothing left to delete."""
    yield
    if connection.vendor == "sqlite":
        with django_db_blocker.unblock():
            with connection.cursor() as cursor:
                cursor.execute("UPDATE glowpos_purge_guard SET allowed = 1")
            call_command("flush", verbosity=0, interactive=False)
            with connection.cursor() as cursor:
                cursor.execute("UPDATE glowpos_purge_guard SET allowed = 0")


@pytest.fixture
def clinic_live(committed_db, live_server) -> factories.Clinic:
    return factories.clinic()


@pytest.fixture
def browser(clinic_live) -> Browser:
    # A missing browser is a failure, never a skip: `make test` installs it.
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install -y chromium (make test does this)"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        # Starting Playwright switches greenlets, and this thread comes back in another
        # contextvars context: the test body's ORM calls got a database connection of their
        # own (Django keeps connections per context). Close it here, still in that context,
        # or PostgreSQL refuses to drop the test database at the end of the run.
        connections.close_all()


@pytest.fixture
def terminal(browser, live_server, clinic_live):
    """terminal() → a new logged-in front desk; call it twice for two terminals."""

    def make(staff: StaffMember | None = None) -> Desk:
        return Desk(browser, live_server.url, staff or clinic_live.front_desk)

    return make
