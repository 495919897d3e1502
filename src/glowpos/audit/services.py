"""Writing the audit log. `record` is called by the service doing the action, inside its
transaction; nothing else writes audit events."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from django.utils import timezone

from glowpos.audit.models import AuditEvent
from glowpos.tenancy.models import StaffMember


# The staff member signed in at the terminal while a manager approves there (typing her
# password at the front desk's screen): the manager acts, and each event says where.
_at_counter: ContextVar[StaffMember | None] = ContextVar("glowpos_audit_at_counter", default=None)


@contextmanager
def at_counter(staff: StaffMember) -> Iterator[None]:
    """Within this block, an event recorded for someone other than `staff` (a manager who
    approved at `staff`'s terminal) also names `staff`: `at_counter` (id) and `at_counter_name`."""
    token = _at_counter.set(staff)
    try:
        yield
    finally:
        _at_counter.reset(token)


def record(*, by: StaffMember | None, action: str, obj: Any, data: dict | None = None,
           at: datetime | None = None, business=None) -> AuditEvent:
    """One event: `by` did `action` to `obj` (any model instance: its lower-case model name and
    id are kept). `data` must be JSON: amounts in paise, reasons, before/after values."""
    business = business or (by.business if by is not None else obj.business)
    counter = _at_counter.get()
    if counter is not None and by is not None and counter.id != by.id and "at_counter" not in (data or {}):
        data = {**(data or {}), "at_counter": counter.id, "at_counter_name": counter.user.username}
    return AuditEvent.objects.create(
        business=business, staff=by, action=action, object_type=obj._meta.model_name,
        object_id=obj.pk, at=at or timezone.now(), data=data or {},
    )
