"""Clients of a business, found at the counter by phone number or name."""
from __future__ import annotations

from django.db import models

from glowpos.db import MadeFromRows
from glowpos.tenancy.models import Business


class Client(MadeFromRows, models.Model):
    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="clients")
    name = models.CharField(max_length=200)
    phone = models.CharField(max_length=16, help_text="E.164, e.g. +919876543210.")
    # The national number's digits reversed: "last 4 digits" becomes an indexed prefix lookup.
    phone_reversed = models.CharField(max_length=16)
    email = models.EmailField(blank=True)
    # Printed on tax invoices (CGST Rule 46): GSTIN of a registered recipient; address and
    # state of an unregistered one whose bill is ₹50,000 or more.
    gstin = models.CharField(max_length=15, blank=True)
    address = models.TextField(blank=True)
    state_code = models.CharField(max_length=2, blank=True, help_text="GST state code, e.g. 29.")
    # Messages (receipts): transactional SMS and email go unless she opts out; WhatsApp only
    # after she opts in (docs/decisions/0007-outbox-worker.md).
    sms_opt_out = models.BooleanField(default=False, help_text="No SMS to this client.")
    email_opt_out = models.BooleanField(default=False, help_text="No email to this client.")
    whatsapp_opt_in = models.BooleanField(default=False, help_text="She agreed to WhatsApp messages.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["business", "phone"], name="client_phone_unique"),
        ]
        indexes = [
            models.Index(fields=["business", "phone_reversed"], name="client_phone_rev_idx"),
            models.Index(fields=["business", "name"], name="client_name_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.phone})"
