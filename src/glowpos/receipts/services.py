"""Queueing receipts for delivery (delivery itself: the outbox worker)."""
from __future__ import annotations

from glowpos.receipts.models import OutboxMessage


def enqueue_receipt(*, document, channel: str = "sms") -> OutboxMessage | None:
    client = document.client
    to = client.phone if channel in ("sms", "whatsapp") else client.email
    if not to:
        return None
    message, _ = OutboxMessage.objects.get_or_create(
        dedupe_key=f"receipt:{document.id}:{channel}",
        defaults={"business": document.business, "document": document, "channel": channel, "to": to},
    )
    return message
