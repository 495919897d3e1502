"""Reading the audit log."""
from __future__ import annotations

from django.db.models import Q, QuerySet

from glowpos.audit.models import AuditEvent


def events(*, business, object_type: str | None = None, object_id: int | None = None,
           action: str | None = None, branches: list[int] | None = None) -> QuerySet[AuditEvent]:
    """Newest first. With `branches` (staff tied to branches), events about another branch's
    bill are left out, as the bill itself is not found for them; the rest (packages, settings,
    tax rates) belong to the whole business."""
    found = AuditEvent.objects.filter(business=business).select_related("staff__user")
    if branches is not None:
        from glowpos.billing.models import Bill

        theirs = Bill.objects.filter(business=business).exclude(branch_id__in=branches).values("id")
        found = found.exclude(Q(object_type="bill") & Q(object_id__in=theirs))
    if object_type is not None:
        found = found.filter(object_type=object_type)
    if object_id is not None:
        found = found.filter(object_id=object_id)
    if action is not None:
        found = found.filter(action=action)
    return found.order_by("-at", "-id")
