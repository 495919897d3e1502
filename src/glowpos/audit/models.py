"""The audit log: who did what, when, to which object, for the actions a manager or an owner
answers for (voids, discounts, refunds, package freeze/extend/cancel/transfer, interval
overrides, settings and tax-rate changes, receipt links revoked, the receipt wording changed,
imports with their opening balance).

Rows are written by the services themselves, inside the transaction of the action they record
(so an action that rolls back leaves no row, and one that commits always has one). A row is
never changed or deleted (the model refuses).
"""
from __future__ import annotations

from django.db import models

from glowpos.tenancy.models import Business, StaffMember


class AuditImmutable(Exception):
    pass


class AuditEvent(models.Model):
    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="audit_events")
    staff = models.ForeignKey(
        StaffMember, null=True, blank=True, on_delete=models.PROTECT, related_name="audit_events",
        help_text="Who did it (for an override: the manager who authorised it); empty for a system job.",
    )
    action = models.CharField(max_length=40, help_text="e.g. bill.void, package.freeze, settings.change")
    object_type = models.CharField(max_length=40, help_text="bill, package, business, tax_rate …")
    object_id = models.BigIntegerField(null=True, blank=True)
    at = models.DateTimeField()
    data = models.JSONField(default=dict, blank=True, help_text="What changed: amounts, reasons, before/after.")

    class Meta:
        indexes = [
            models.Index(fields=["business", "at"], name="audit_business_at_idx"),
            models.Index(fields=["business", "object_type", "object_id"], name="audit_object_idx"),
        ]
        ordering = ["at", "id"]

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AuditImmutable("An audit event is never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditImmutable("An audit event is never deleted.")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type} {self.object_id}"
