"""The outbox under crashes and concurrency, with real commits: a worker process killed with
SIGKILL while the provider holds its answer loses nothing and sends at most one copy (which
the provider drops by its dedupe key); two workers at once never send one message twice."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from glowpos.receipts.models import OutboxMessage, OutboxStatus
from glowpos.receipts.worker import deliver_due
from tests import factories
from tests.racing import race
from tests.receipts.fakes import FakeGateway

pytestmark = pytest.mark.concurrency
REPO = Path(__file__).resolve().parents[2]


def database_url() -> str:
    """The test database this process uses, as a URL another process can open."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def gateway(settings):
    fake = FakeGateway()
    settings.GLOWPOS_MESSAGING = {"sms": fake.config()}
    yield fake
    fake.stop()


def test_a_worker_killed_mid_send_loses_nothing_and_the_copy_is_dropped(committed_db, gateway):
    clinic = factories.clinic()
    document = factories.sold_package(clinic, factories.client(clinic)).sale_document
    message = OutboxMessage.objects.get(document=document)
    gateway.hold_seconds = 60  # delivers, then holds its answer: the worst moment to die
    env = {**os.environ, "DATABASE_URL": database_url(), "GLOWPOS_VAR_DIR": str(django_settings.VAR_DIR),
           "GLOWPOS_SMS_BACKEND": "http", "GLOWPOS_SMS_URL": gateway.url, "GLOWPOS_SMS_TOKEN": gateway.token,
           "GLOWPOS_SMS_TIMEOUT": "90", "GLOWPOS_OUTBOX_LEASE_SECONDS": "120"}
    worker = subprocess.Popen([sys.executable, "-m", "glowpos", "worker", "--once"], cwd=REPO, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert gateway.arrived.wait(60), worker.stderr.read1(4000) if worker.poll() is not None else "no request"
        os.kill(worker.pid, signal.SIGKILL)
        assert worker.wait(10) == -signal.SIGKILL
    finally:
        if worker.poll() is None:
            worker.kill()
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.SENDING, 1)  # claimed by the dead worker
    assert len(gateway.delivered) == 1

    gateway.hold_seconds = 0
    assert deliver_due() == {}  # its claim still stands: no second copy while it might be alive

    after_lease = message.claimed_until + timedelta(seconds=1)
    assert deliver_due(now=after_lease) == {"sent": 1}

    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.SENT, 2)
    keys = [r["headers"]["Idempotency-Key"] for r in gateway.requests]
    assert keys == [message.dedupe_key, message.dedupe_key]  # sent twice, at least once …
    assert len(gateway.delivered) == 1  # … and delivered once: the provider dropped the copy
    assert message.provider_id == gateway.delivered[message.dedupe_key]["id"]


def test_a_message_that_keeps_killing_workers_ends_failed(committed_db, gateway, settings):
    settings.GLOWPOS_OUTBOX_MAX_ATTEMPTS = 2
    clinic = factories.clinic()
    factories.sold_package(clinic, factories.client(clinic))
    message = OutboxMessage.objects.get(business=clinic.business)
    future = message.created_at
    for _ in range(2):  # two workers claimed it and died (the claim is all they wrote)
        future += timedelta(seconds=settings.GLOWPOS_OUTBOX_LEASE_SECONDS + 1)
        from glowpos.receipts.worker import claim

        assert claim(worker="doomed", now=future, batch=5) == [message.id]
    assert deliver_due(now=future + timedelta(seconds=settings.GLOWPOS_OUTBOX_LEASE_SECONDS + 1)) == {"failed": 1}
    message.refresh_from_db()
    assert message.status == OutboxStatus.FAILED and "stopped mid-send" in message.last_error
    assert gateway.requests == []


def test_two_workers_at_once_never_send_one_message_twice(committed_db, gateway):
    clinic = factories.clinic()
    for n in range(8):
        factories.sold_package(clinic, factories.client(clinic, name=f"Client {n}"))
    gateway.hold_seconds = 0.05

    outcomes = race(lambda: deliver_due(worker="one", batch=3), lambda: deliver_due(worker="two", batch=3),
                    lambda: deliver_due(worker="three", batch=3))

    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    keys = [r["headers"]["Idempotency-Key"] for r in gateway.requests]
    assert len(keys) == len(set(keys)) == sum(sum(o.value.values()) for o in outcomes)
    deliver_due()  # whatever the three batches left
    sent = OutboxMessage.objects.filter(business=clinic.business, status=OutboxStatus.SENT)
    assert sent.count() == 8 and len(gateway.requests) == 8
