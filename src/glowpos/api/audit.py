"""GET /api/v1/audit-events: the audit log for managers and the owner (who did what, when)."""
from __future__ import annotations

from django.utils import timezone
from ninja import Query, Router

from glowpos.audit.selectors import events
from glowpos.tenancy.services import MANAGERS, branch_scope, require_role

router = Router(tags=["audit"])


@router.get("/audit-events")
def audit_events(request, object_type: str | None = Query(None, max_length=40),
                 object_id: int | None = Query(None, ge=1, le=2**53), action: str | None = Query(None, max_length=40),
                 limit: int = Query(100, ge=1, le=1000)) -> list[dict]:
    """Newest first; filter by object (e.g. object_type=bill&object_id=42) or by action (bill.void)."""
    require_role(request.staff, *MANAGERS, action="read the audit log")
    found = events(business=request.staff.business, object_type=object_type, object_id=object_id, action=action,
                   branches=branch_scope(request.staff))
    return [
        {"id": e.id, "at": timezone.localtime(e.at).isoformat(), "action": e.action,
         "by": e.staff.user.username if e.staff else None, "object_type": e.object_type,
         "object_id": e.object_id, "data": e.data}
        for e in found[:limit]
    ]
