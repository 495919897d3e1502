"""Reading the audit log."""
from __future__ import annotations

from django.db.models import QuerySet

from glowpos.audit.models import AuditEvent


def events(*, business, object_type: str | None = None, object_id: int | None = None,
           action: str | None = None) -> QuerySet[AuditEvent]:
    found = AuditEvent.objects.filter(business=business).select_related("staff__user")
    if object_type is not None:
        found = found.filter(object_type=object_type)
    if object_id is not None:
        found = found.filter(object_id=object_id)
    if action is not None:
        found = found.filter(action=action)
    return found.order_by("-at", "-id")
