"""Log in, issue and check API tokens, throttle guessing."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.db.models import Aggregate, CharField, DateTimeField, OuterRef, Subquery
from django.utils import timezone

from glowpos.db import Param, Reused, unique_row
from glowpos.errors import Forbidden, NotFound, ValidationFailed
from glowpos.tenancy.errors import BadCredentials, LoginThrottled
from glowpos.tenancy.models import ApiToken, Branch, Business, LoginFailure, Role, StaffMember


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def check_login_allowed(*, username: str, address: str) -> None:
    """Refuse while too many recent failures stand against this username or address."""
    since = timezone.now() - timedelta(seconds=settings.GLOWPOS_LOGIN_WINDOW_SECONDS)
    recent = LoginFailure.objects.filter(at__gte=since)
    limit = settings.GLOWPOS_LOGIN_MAX_FAILURES
    if (
        recent.filter(username=username.lower()).count() >= limit
        or recent.filter(address=address).count() >= limit * 4
    ):
        raise LoginThrottled("Too many failed logins. Wait a few minutes and try again.")


def record_login_failure(*, username: str, address: str) -> None:
    LoginFailure.objects.create(username=username.lower(), address=address, at=timezone.now())


def authenticate_staff(*, username: str, password: str, address: str) -> StaffMember:
    check_login_allowed(username=username, address=address)
    user = authenticate(username=username, password=password)
    staff = getattr(user, "staff", None) if user is not None else None
    if staff is None or not user.is_active:
        record_login_failure(username=username, address=address)
        raise BadCredentials("Wrong username or password.")
    return staff


def issue_token(*, username: str, password: str, address: str) -> str:
    # Not atomic: the failure recorded for the throttle must survive the refusal it causes.
    staff = authenticate_staff(username=username, password=password, address=address)
    key = secrets.token_urlsafe(32)
    ApiToken.objects.create(
        staff=staff,
        key_hash=_hash(key),
        expires_at=timezone.now() + timedelta(hours=settings.GLOWPOS_TOKEN_TTL_HOURS),
    )
    return key


class _IdList(Aggregate):
    """Ids as one text value, "3,7": SQLite's GROUP_CONCAT, PostgreSQL's STRING_AGG."""
    function = "GROUP_CONCAT"
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, function="STRING_AGG",
                           template="%(function)s((%(expressions)s)::text, ',')", **extra)


def _branch_ids():
    """A staff member's branches' ids, as a subquery of her row (NULL: tied to none)."""
    ties = StaffMember.branches.through.objects.filter(staffmember_id=OuterRef("id"))
    return Subquery(ties.values("staffmember_id").annotate(ids=_IdList("branch_id")).values("ids"))


_STAFF_FOR_TOKEN = Reused(lambda: StaffMember.objects.select_related("business").filter(
    tokens__key_hash=Param("key_hash", CharField()), tokens__revoked_at__isnull=True,
    tokens__expires_at__gt=Param("now", DateTimeField()), user__is_active=True,
).annotate(branch_ids=_branch_ids())[:1])


def staff_for_token(key: str) -> StaffMember | None:
    """The staff member (with her business) a live token is for: not revoked, not expired,
    her login active. Asked at every API request, so one reused query (ADR 0013) that reads
    only the staff and business columns (the token and the login are only matched), and the
    ids of her branches: the request's branch scope (branch_scope), not a query of its own."""
    staff = _STAFF_FOR_TOKEN.first(key_hash=_hash(key), now=timezone.now())
    if staff is not None:
        ids = staff.__dict__.pop("branch_ids")
        staff.__dict__["_branch_scope"] = sorted(int(i) for i in ids.split(",")) if ids else None
    return staff


def revoke_token(key: str) -> None:
    ApiToken.objects.filter(key_hash=_hash(key), revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


SETTINGS = {"round_off_to_rupee": bool, "discount_limit_bp": int, "cancellation_fee_bp": int}


def update_settings(*, by: StaffMember, **changes) -> Business:
    """The business's settings (round-off, the counter's discount limit, the cancellation fee):
    the owner's call, recorded in the audit log with the values before and after."""
    from glowpos.audit.services import record as audit

    require_role(by, Role.OWNER, action="change the business's settings")
    for field, value in changes.items():
        kind = SETTINGS.get(field)
        if kind is None:
            raise ValidationFailed(f"{field}: not a setting.", fields={field: "Unknown setting."})
        if type(value) is not kind:
            raise ValidationFailed(f"{field}: must be {'true or false' if kind is bool else 'a whole number'}.",
                                   fields={field: "Wrong type."})
        if kind is int and not 0 <= value <= 10000:
            raise ValidationFailed(f"{field}: basis points between 0 and 10000.", fields={field: "0–10000."})
    with transaction.atomic():
        # NO KEY: rows referencing the business (every bill, entry, event) may still be inserted.
        business = Business.objects.select_for_update(no_key=True).get(id=by.business_id)
        changed = {f: [getattr(business, f), v] for f, v in changes.items() if getattr(business, f) != v}
        if changed:
            for field, (_, value) in changed.items():
                setattr(business, field, value)
            business.save(update_fields=list(changed))
            audit(by=by, action="settings.change", obj=business, data=changed)
        return business


def require_role(staff: StaffMember, *roles: str, action: str) -> None:
    """Roles are enforced here, in services, not only in views."""
    if staff.role not in roles:
        raise Forbidden(f"Your role ({staff.get_role_display()}) may not {action}.")


_BRANCHES_OF = Reused(lambda: Branch.objects.filter(staffmember=Param("staff_id")).order_by("id").values_list("id", flat=True))


def branch_scope(staff: StaffMember) -> list[int] | None:
    """The ids of the branches whose bills, documents and messages a staff member sees and acts
    on; None: every branch (the owner, and staff tied to no branch). One rule for reads and
    writes (require_branch), so a list never shows what opening it would refuse."""
    if staff.role == Role.OWNER:
        return None
    # Read once per staff object, i.e. once per request (every action asks; an API request's
    # comes with her token's check): a change to her branches takes effect from the next request.
    if "_branch_scope" not in staff.__dict__:
        staff.__dict__["_branch_scope"] = _BRANCHES_OF.all(staff_id=staff.id) or None
    return staff.__dict__["_branch_scope"]


def require_branch(staff: StaffMember, branch_id: int, *, what: str = "Bill") -> None:
    """Staff tied to branches (a manager of her own branches, a front desk of his) act only
    there; the owner and staff tied to no branch act everywhere. Another branch's object is
    not found, like another business's."""
    mine = branch_scope(staff)
    if mine is not None and branch_id not in mine:
        raise NotFound(f"{what} not found.")


def get_practitioner(*, business: Business, staff_id: int | None) -> StaffMember | None:
    """Who performs a service or a session: any active staff member of the business (a
    manager or the owner may treat clients too). None stays None (not recorded). Another
    business's staff member, like its other objects, is not found."""
    if staff_id is None:
        return None
    staff = unique_row(StaffMember.objects.filter(business=business, id=staff_id, user__is_active=True))
    if staff is None:
        raise NotFound("Practitioner not found: practitioner_id is not an active staff member here.")
    return staff


MANAGERS = (Role.MANAGER, Role.OWNER)
COUNTER = (Role.FRONT_DESK, Role.MANAGER, Role.OWNER)
