"""Writing the audit log. `record` is called by the service doing the action, inside its
transaction; nothing else writes audit events."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from glowpos.audit.models import AuditEvent
from glowpos.tenancy.models import StaffMember


def record(*, by: StaffMember | None, action: str, obj: Any, data: dict | None = None,
           at: datetime | None = None, business=None) -> AuditEvent:
    """One event: `by` did `action` to `obj` (any model instance: its lower-case model name and
    id are kept). `data` must be JSON: amounts in paise, reasons, before/after values."""
    business = business or (by.business if by is not None else obj.business)
    return AuditEvent.objects.create(
        business=business, staff=by, action=action, object_type=obj._meta.model_name,
        object_id=obj.pk, at=at or timezone.now(), data=data or {},
    )
