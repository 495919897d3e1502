"""The outbox: receipts waiting to be sent. Written in the closing transaction, sent later,
so sending never blocks or fails a close."""
from __future__ import annotations

from django.db import models

from glowpos.tenancy.models import Business


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class OutboxMessage(models.Model):
    business = models.ForeignKey(Business, on_delete=models.PROTECT)
    document = models.ForeignKey("documents.Document", on_delete=models.PROTECT, related_name="messages")
    channel = models.CharField(max_length=10)  # sms / whatsapp / email
    to = models.CharField(max_length=254)
    status = models.CharField(max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    dedupe_key = models.CharField(max_length=100, unique=True)
