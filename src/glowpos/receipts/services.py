"""Queueing receipts for delivery, retrying a failed one, revoking a receipt link, and the
business's message wording. Delivery itself: receipts/worker.py.

Consent (docs/decisions/0007-outbox-worker.md): on close, a receipt goes by SMS and email
unless the client opted out of that channel, and by WhatsApp only if she opted in. A receipt
asked for at the counter (a channel named) is her consent for that one message.
"""
from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from glowpos.audit.services import record as audit
from glowpos.db import Param, Reused
from glowpos.documents.models import Document
from glowpos.errors import NotFound, ValidationFailed
from glowpos.receipts.messages import PLACEHOLDERS, unknown_placeholders
from glowpos.receipts.models import Channel, MessageTemplate, OutboxMessage, OutboxStatus, RevokedReceipt
from glowpos.tenancy.models import StaffMember
from glowpos.tenancy.services import COUNTER, MANAGERS, require_branch, require_role


def address(client, channel: str) -> str:
    return client.email if channel == Channel.EMAIL else client.phone


def consents(client, channel: str) -> bool:
    """May this client be sent a receipt on this channel without asking for it?"""
    if channel == Channel.SMS:
        return not client.sms_opt_out
    if channel == Channel.EMAIL:
        return not client.email_opt_out
    return client.whatsapp_opt_in


def enqueue_receipt(*, document, channel: str | None = None, by: StaffMember | None = None) -> OutboxMessage | None:
    """Queue the receipt. Called inside the closing transaction (channel None: every channel the
    business sends on close and the client consents to), or from the counter for one channel
    (`by`: the staff member asking; sending receipts is the counter's, not a practitioner's).
    Returns the (first) message queued, or None when there is no one and nowhere to send it."""
    if by is not None:
        require_role(by, *COUNTER, action="send receipts")
    client = document.client
    if client is None:
        return None
    if channel is None:
        return _queue_on_close(document, client)
    return _queue_requested(document, client, channel)


_QUIET_CHANNELS = Reused(lambda: (  # asked at every close (ADR 0013)
    MessageTemplate.objects.filter(business_id=Param("business_id"), send_on_close=False).values_list("channel", flat=True)
))


def _queue_on_close(document, client) -> OutboxMessage | None:
    off = set(_QUIET_CHANNELS.all(business_id=document.business_id))
    messages = OutboxMessage.objects.bulk_create(
        OutboxMessage(business_id=document.business_id, document=document, channel=channel,
                      to=address(client, channel), dedupe_key=f"receipt:{document.id}:{channel}")
        for channel in Channel.values
        if channel not in off and address(client, channel) and consents(client, channel)
    )
    return messages[0] if messages else None


def _queue_requested(document, client, channel: str) -> OutboxMessage | None:
    """One message on this channel: the one still waiting to go, else a new one (a resend after
    a sent or failed one gets a key of its own, so the provider does not drop it as a copy)."""
    to = address(client, channel)
    if not to:
        return None
    waiting = OutboxMessage.objects.filter(
        document=document, channel=channel, status__in=[OutboxStatus.PENDING, OutboxStatus.SENDING]
    ).order_by("id").first()
    if waiting is not None:
        return waiting
    earlier = OutboxMessage.objects.filter(document=document, channel=channel).count()
    key = f"receipt:{document.id}:{channel}" + (f":{earlier + 1}" if earlier else "")
    try:
        with transaction.atomic():
            return OutboxMessage.objects.create(business_id=document.business_id, document=document,
                                                channel=channel, to=to, dedupe_key=key, requested=True)
    except IntegrityError:  # the same button pressed on two terminals at once: one message
        return OutboxMessage.objects.get(dedupe_key=key)


def retry_message(*, message_id: int, by: StaffMember) -> OutboxMessage:
    """A failed message goes back to the queue, to be sent at once, with a fresh count of attempts."""
    require_role(by, *COUNTER, action="retry messages")
    with transaction.atomic():
        message = (OutboxMessage.objects.select_for_update().select_related("document")
                   .filter(business=by.business, id=message_id).first())
        if message is None:
            raise NotFound("Message not found.")
        require_branch(by, message.document.branch_id, what="Message")
        if message.status != OutboxStatus.FAILED:
            raise ValidationFailed(f"Only a failed message can be retried; this one is {message.status}.",
                                   fields={"message": "Not failed."})
        message.status, message.attempts = OutboxStatus.PENDING, 0
        message.next_attempt_at, message.claimed_until, message.claimed_by = timezone.now(), None, ""
        message.save(update_fields=["status", "attempts", "next_attempt_at", "claimed_until", "claimed_by"])
        return message


def revoke_receipt(*, document_id: int, reason: str, by: StaffMember) -> RevokedReceipt:
    """Turn a receipt link off for good (the document itself never changes); messages still
    waiting to carry it are not sent."""
    require_role(by, *MANAGERS, action="revoke receipt links")
    reason = (reason or "").strip()
    with transaction.atomic():
        document = Document.objects.filter(business=by.business, id=document_id).first()
        if document is None:  # before judging the input: another business's receipt is simply not found
            raise NotFound("Receipt not found.")
        require_branch(by, document.branch_id, what="Receipt")
        if not reason:
            raise ValidationFailed("reason: say why the link is revoked.", fields={"reason": "Required."})
        revoked, created = RevokedReceipt.objects.get_or_create(
            document=document, defaults={"by": by, "at": timezone.now(), "reason": reason[:300]}
        )
        if created:
            audit(by=by, action="receipt.revoke", obj=document, at=revoked.at,
                  data={"number": document.number, "reason": revoked.reason})
        OutboxMessage.objects.filter(document=document, status=OutboxStatus.PENDING).update(
            status=OutboxStatus.SKIPPED, last_error="The receipt link was revoked."
        )
        return revoked


def save_template(*, by: StaffMember, channel: str, body: str, subject: str = "", send_on_close: bool = True,
                  provider_template_id: str = "") -> MessageTemplate:
    """The business's wording of the receipt on one channel."""
    require_role(by, *MANAGERS, action="change message templates")
    if channel not in Channel.values:
        raise ValidationFailed("channel: sms, whatsapp or email.", fields={"channel": "Unknown channel."})
    body, subject = (body or "").strip(), (subject or "").strip()
    if not body or len(body) > 1000:
        raise ValidationFailed("body: 1–1,000 characters.", fields={"body": "Required, 1,000 characters at most."})
    unknown = unknown_placeholders(subject + body)
    if unknown:
        known = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
        raise ValidationFailed(f"body: unknown placeholder {{{unknown[0]}}}; use {known}.",
                               fields={"body": f"Unknown placeholder {{{unknown[0]}}}."})
    wanted = {"body": body, "subject": subject[:200], "send_on_close": send_on_close,
              "provider_template_id": (provider_template_id or "").strip()[:60]}
    with transaction.atomic():
        before = MessageTemplate.objects.select_for_update().filter(business=by.business, channel=channel).first()
        template, _ = MessageTemplate.objects.update_or_create(
            business=by.business, channel=channel, defaults={**wanted, "updated_by": by},
        )
        changed = {f: [getattr(before, f) if before else None, v] for f, v in wanted.items()
                   if before is None or getattr(before, f) != v}
        if changed:
            audit(by=by, action="message_template.change", obj=template, data={"channel": channel, **changed})
    return template
