"""The outbox worker: claim due messages, send each through its channel's backend, record the
outcome. `python -m glowpos worker` runs deliver_due() in a loop (`--once` for one pass).

Claiming is one short transaction: due rows are marked `sending` with a lease
(`claimed_until`) and the attempt counted. On PostgreSQL the rows are read with
SELECT … FOR UPDATE SKIP LOCKED, so workers on several machines take different messages
without waiting for each other; on SQLite the transaction is IMMEDIATE, so claims are
serialised by the database's single writer lock. Sending happens outside any transaction.

A worker that dies mid-send (killed, machine lost) leaves its claim to expire; the next pass
takes the message again and sends it with the same dedupe key: at least once, never lost.
A message that keeps killing workers fails once its attempts are used up.
"""
from __future__ import annotations

import logging
import os
import socket
import uuid
from collections import Counter
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from glowpos.receipts.backends import Outgoing, PermanentFailure, TemporaryFailure, backend_for
from glowpos.receipts.messages import render, wording
from glowpos.receipts.models import Channel, OutboxMessage, OutboxStatus, RevokedReceipt
from glowpos.receipts.services import consents

log = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def backoff(attempts: int) -> timedelta:
    """After the n-th failed attempt: base × 2^(n−1), capped (30 s, 1 min, 2 min, 4 min …)."""
    base = settings.GLOWPOS_OUTBOX_BACKOFF_SECONDS
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), settings.GLOWPOS_OUTBOX_BACKOFF_MAX_SECONDS))


def _due(now: datetime) -> Q:
    waiting = Q(status=OutboxStatus.PENDING) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    abandoned = Q(status=OutboxStatus.SENDING, claimed_until__lt=now)
    return waiting | abandoned


def claim(*, worker: str, now: datetime, batch: int) -> list[int]:
    """Take up to `batch` due messages for this worker; returns their ids, oldest due first."""
    if not OutboxMessage.objects.filter(_due(now)).exists():
        return []  # an idle worker reads only: on SQLite it never takes the write lock for nothing
    with transaction.atomic():
        due = OutboxMessage.objects.filter(_due(now)).order_by("next_attempt_at", "id")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("id", flat=True)[:batch])
        if ids:
            OutboxMessage.objects.filter(id__in=ids).update(
                status=OutboxStatus.SENDING, claimed_by=worker, attempts=F("attempts") + 1,
                claimed_until=now + timedelta(seconds=settings.GLOWPOS_OUTBOX_LEASE_SECONDS),
            )
    return ids


def _finish(message: OutboxMessage, *, worker: str, **changes) -> None:
    """Record an outcome, unless another worker has taken the message since (our lease ran out)."""
    changes.setdefault("claimed_until", None)
    OutboxMessage.objects.filter(id=message.id, status=OutboxStatus.SENDING, claimed_by=worker).update(**changes)


def _outgoing(message: OutboxMessage) -> Outgoing:
    document = message.document
    words = wording(document.business, message.channel)
    subject, body = render(document, channel=message.channel, words=words)
    attachments: tuple = ()
    if message.channel == Channel.EMAIL and settings.GLOWPOS_EMAIL_ATTACH_PDF:
        from glowpos.receipts.pdf import render_pdf

        attachments = ((f"{document.number.replace('/', '-')}.pdf", render_pdf(document), "application/pdf"),)
    return Outgoing(channel=message.channel, to=message.to, subject=subject, body=body,
                    dedupe_key=message.dedupe_key, provider_template_id=words.provider_template_id,
                    attachments=attachments)


def deliver(message_id: int, *, worker: str, now: datetime) -> str:
    """Send one claimed message; returns the status it ends in."""
    message = OutboxMessage.objects.select_related("document__business", "document__client").get(id=message_id)
    client = message.document.client
    if message.attempts > settings.GLOWPOS_OUTBOX_MAX_ATTEMPTS:
        _finish(message, worker=worker, status=OutboxStatus.FAILED,
                last_error=f"Gave up after {message.attempts - 1} attempts (a worker stopped mid-send).")
        return OutboxStatus.FAILED
    if RevokedReceipt.objects.filter(document_id=message.document_id).exists():
        _finish(message, worker=worker, status=OutboxStatus.SKIPPED, last_error="The receipt link was revoked.")
        return OutboxStatus.SKIPPED
    if not message.requested and (client is None or not consents(client, message.channel)):
        _finish(message, worker=worker, status=OutboxStatus.SKIPPED,
                last_error=f"The client has not agreed to {Channel(message.channel).label} messages.")
        return OutboxStatus.SKIPPED
    body = ""
    try:
        outgoing = _outgoing(message)
        body = outgoing.body
        provider_id = backend_for(message.channel).send(outgoing)
    except PermanentFailure as error:
        _finish(message, worker=worker, status=OutboxStatus.FAILED, last_error=str(error)[:500], body=body)
        return OutboxStatus.FAILED
    except Exception as error:  # noqa: BLE001 - TemporaryFailure, or anything else: retry later
        if not isinstance(error, TemporaryFailure):
            log.exception("outbox message %s: unexpected error", message.id)
        detail = str(error)[:500] or type(error).__name__
        if message.attempts >= settings.GLOWPOS_OUTBOX_MAX_ATTEMPTS:
            _finish(message, worker=worker, status=OutboxStatus.FAILED, last_error=detail, body=body)
            return OutboxStatus.FAILED
        _finish(message, worker=worker, status=OutboxStatus.PENDING, last_error=detail, body=body,
                next_attempt_at=now + backoff(message.attempts))
        return OutboxStatus.PENDING
    OutboxMessage.objects.filter(id=message.id).exclude(status=OutboxStatus.SENT).update(
        status=OutboxStatus.SENT, sent_at=timezone.now(), provider_id=provider_id[:200], body=body,
        last_error="", claimed_until=None,
    )
    return OutboxStatus.SENT


def deliver_due(*, worker: str | None = None, now: datetime | None = None, batch: int = 20) -> Counter:
    """One pass: claim what is due and send it. Returns how many ended in each status."""
    worker = worker or worker_name()
    now = now or timezone.now()
    outcomes: Counter = Counter()
    for message_id in claim(worker=worker, now=now, batch=batch):
        outcomes[deliver(message_id, worker=worker, now=now)] += 1
    return outcomes
