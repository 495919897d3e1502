"""The outbox: receipts waiting to be sent. Written in the closing transaction, sent later by
the worker (receipts/worker.py), so sending never blocks or fails a close.

A message's life: pending → sending (claimed by one worker until `claimed_until`) → sent;
or back to pending with a later `next_attempt_at` (exponential backoff) after a temporary
failure; or failed (attempts used up, or the provider refused it for good) until a manager
retries it; or skipped (the client opted out before it went). Delivery is at least once: a
worker that dies mid-send leaves the claim to expire and the message is sent again with the
same `dedupe_key`, which the provider (and the email's Message-ID) can use to drop the copy.
"""
from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from glowpos.db import InsertsReused
from glowpos.tenancy.models import Business, StaffMember


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Not sent (no consent)"


class Channel(models.TextChoices):
    SMS = "sms", "SMS"
    WHATSAPP = "whatsapp", "WhatsApp"
    EMAIL = "email", "Email"


class OutboxMessage(InsertsReused):
    business = models.ForeignKey(Business, on_delete=models.PROTECT)
    document = models.ForeignKey("documents.Document", on_delete=models.PROTECT, related_name="messages")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    to = models.CharField(max_length=254)
    status = models.CharField(max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    dedupe_key = models.CharField(max_length=100, unique=True)
    requested = models.BooleanField(
        default=False, help_text="Asked for at the counter (her consent for this message), not sent on close."
    )
    next_attempt_at = models.DateTimeField(null=True, blank=True, default=timezone.now,
                                           help_text="Not before this time (null: at once).")
    claimed_until = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=100, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    provider_id = models.CharField(max_length=200, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    body = models.TextField(blank=True, help_text="What was sent, as rendered at the last attempt.")

    class Meta:
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due_idx"),
            models.Index(fields=["business", "status", "created_at"], name="outbox_screen_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="sending") | Q(claimed_until__isnull=False), name="outbox_sending_is_claimed"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} to {self.to} ({self.status})"


class RevokedReceipt(models.Model):
    """A receipt link a manager has turned off (sent to a wrong number, say). The document itself
    is immutable, so the revocation lives here; the public page and PDF answer 404 from then on."""

    document = models.OneToOneField("documents.Document", on_delete=models.PROTECT, related_name="revocation")
    by = models.ForeignKey(StaffMember, on_delete=models.PROTECT)
    at = models.DateTimeField()
    reason = models.CharField(max_length=300)


class MessageTemplate(models.Model):
    """A business's wording of the receipt message on one channel (placeholders in braces, see
    receipts/messages.py). No row: the built-in wording, sent on close."""

    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="message_templates")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    subject = models.CharField(max_length=200, blank=True, help_text="Email only.")
    body = models.TextField()
    send_on_close = models.BooleanField(default=True, help_text="Send automatically when a bill closes.")
    provider_template_id = models.CharField(
        max_length=60, blank=True, help_text="The provider's id of this wording (e.g. the DLT template id in India)."
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(StaffMember, null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["business", "channel"], name="message_template_unique")]
