"""What each counter screen shows, gathered from the domain selectors in one call per screen.

Reads only. Shapes data for templates (days to expiry, meter segments, captions); every
rule (what is redeemable, what is due) comes from the domain apps.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import prefetch_related_objects
from django.utils import timezone

from glowpos.billing.models import BillStatus
from glowpos.billing.selectors import (
    bill_data,
    bills_of_day,
    day_summary,
    get_bill,
    issued_document,
    open_bill_of,
    recent_visits,
)
from glowpos.catalog import selectors as catalog
from glowpos.clients.selectors import get_client
from glowpos.packages.models import ClientPackage, PackageStatus
from glowpos.packages.selectors import (
    client_packages,
    expiring_packages,
    low_balance_packages,
    package_data,
)
from glowpos.money import format_inr
from glowpos.tenancy.models import Role, StaffMember
from glowpos.tenancy.services import branch_scope

EXPIRY_WARNING_DAYS = 30
MEMBERSHIP_WARNING_DAYS = 7
METHOD_NAMES = {"cash": "cash", "card": "card", "upi": "UPI"}


@dataclass
class ItemCard:
    service_id: int
    service_name: str
    total: int
    used: int
    held: int
    remaining: int
    redeemable: bool

    @property
    def percent_left(self) -> int:
        return round(100 * self.remaining / self.total) if self.total else 0


@dataclass
class PackageCard:
    id: int
    plan_name: str
    plan_code: str
    kind: str  # bundle, multi, value, membership
    status: str
    purchased_on: date
    expires_on: date
    days_left: int
    items: list[ItemCard] = field(default_factory=list)
    credit_total: int | None = None  # value packages: paise of credit, face value
    credit_remaining: int | None = None
    member_discount_bp: int = 0  # memberships: % off services while the period runs (basis points)
    frozen_on: date | None = None
    owner_name: str = ""  # set when the card is on a family member's profile (a shared package)
    shared_with: list[str] = field(default_factory=list)
    next_period_starts: date | None = None  # memberships: the period already sold after this one

    @property
    def expiry_warning(self) -> bool:
        # A membership's period is about a month long: only its last week is worth a warning.
        return self.days_left <= (MEMBERSHIP_WARNING_DAYS if self.is_membership else EXPIRY_WARNING_DAYS)

    @property
    def flagged(self) -> bool:
        return self.status != PackageStatus.ACTIVE

    @property
    def is_membership(self) -> bool:
        return self.kind == "membership"

    @property
    def is_value(self) -> bool:
        return self.kind == "value"

    @property
    def discount_percent(self) -> str:
        return percent_of_bp(self.member_discount_bp)


def percent_of_bp(bp: int) -> str:
    """Basis points as a percentage people read: 1000 → "10", 1250 → "12.5"."""
    whole, part = divmod(int(bp or 0), 100)
    return f"{whole}.{part:02d}".rstrip("0") if part else str(whole)


def _cards(packages, *, on: date, owner_names: bool = False) -> list[PackageCard]:
    cards = []
    packages = list(packages)
    prefetch_related_objects(packages, "shares__client", "renewed_by")
    for package in packages:
        data = package_data(package, on=on)
        active = data["status"] == PackageStatus.ACTIVE
        following = getattr(package, "renewed_by", None) if data["kind"] == "membership" else None
        cards.append(PackageCard(
            id=package.id, plan_name=data["plan_name"], plan_code=data["plan_code"], kind=data["kind"],
            status=data["status"], purchased_on=package.purchased_on, expires_on=package.expires_on,
            days_left=(package.expires_on - on).days,
            credit_total=data.get("credit_total"), credit_remaining=data.get("credit_remaining"),
            member_discount_bp=data.get("member_discount_bp", 0), frozen_on=package.frozen_on,
            owner_name=package.client.name if owner_names else "",
            shared_with=[s.client.name for s in package.shares.all()],
            next_period_starts=following.purchased_on if following is not None else None,
            items=[
                ItemCard(service_id=i["service_id"], service_name=i["service_name"], total=i["total"],
                         used=i["used"], held=i["held"], remaining=i["remaining"],
                         redeemable=active and i["remaining"] > 0)
                for i in data["items"]
            ],
        ))
    return cards


CLOSED = (PackageStatus.CANCELLED, PackageStatus.TRANSFERRED)


def _shared_with(client) -> list:
    """Packages of other clients that name her as a family member who may redeem them."""
    return list(
        ClientPackage.objects.filter(business=client.business, shares__client=client)
        .exclude(status__in=CLOSED)
        .select_related("plan", "client").prefetch_related("entitlements__service", "shares__client")
        .order_by("expires_on", "id")
    )


def profile(*, staff: StaffMember, client_id: int, on: date | None = None) -> dict:
    on = on or timezone.localdate()
    client = get_client(business=staff.business, client_id=client_id)
    owned = client_packages(client=client)
    return {
        "client": client,
        "packages": _cards([p for p in owned if p.status not in CLOSED], on=on),
        "closed_packages": [p for p in owned if p.status in CLOSED],
        "shared_packages": _cards(_shared_with(client), on=on, owner_names=True),
        "open_bill": open_bill_of(client=client, branches=staff.allowed_branches()),
        "visits": recent_visits(client=client, branches=branch_scope(staff)),
        "today": on,
    }


def _redemption_caption(line: dict, names: dict[int, str]) -> str:
    p = line["package"]
    name = names.get(line["service_id"]) or line["description"].split(" — ")[0]
    if p["status"] == "pending":
        return f"{name} — session {p['session']} of {p['total']}, {p['remaining_after']} remaining after this visit"
    return line["description"]


def bill_screen(*, staff: StaffMember, bill_id: int, on: date | None = None) -> dict:
    on = on or timezone.localdate()
    bill = get_bill(business=staff.business, bill_id=bill_id, by=staff)
    data = bill_data(bill)
    services = list(catalog.services(business=staff.business))
    names = {s.id: s.name for s in services}
    for line in data["lines"]:
        line["caption"] = _redemption_caption(line, names) if "package" in line else line["description"]
    is_open = bill.status == BillStatus.OPEN
    cards = (_cards(client_packages(client=bill.client), on=on)
             + _cards(_shared_with(bill.client), on=on, owner_names=True)) if is_open else []
    return {
        "bill": bill,
        "data": data,
        "client": bill.client,
        "is_open": is_open,
        "redeemable": [(card, item) for card in cards for item in card.items if item.redeemable],
        "services": services if is_open else [],
        "products": list(catalog.products(business=staff.business)) if is_open else [],
        "plans": list(catalog.plans(business=staff.business)) if is_open else [],
        "practitioners": practitioners(business=staff.business) if is_open else [],
    }


def practitioners(*, business) -> list[tuple[int, str]]:
    """Who can be named as performing a treatment: active staff, practitioners first."""
    staff = (StaffMember.objects.filter(business=business, user__is_active=True).select_related("user")
             .order_by("user__first_name", "user__username"))
    rows = sorted(staff, key=lambda s: s.role != Role.PRACTITIONER)
    return [(s.id, s.display_name) for s in rows]



def is_closed_bill(*, staff: StaffMember, bill_id: int) -> bool:
    """Whether this staff member's bill is closed (its void is asked from the receipt)."""
    return get_bill(business=staff.business, bill_id=bill_id, by=staff).status == BillStatus.CLOSED


def void_summary(*, bill, original) -> str:
    """What the counter does after a closed bill's void: the credit note, and the money to give back."""
    note = bill.documents.filter(kind="credit_note", original=original).order_by("-id").first()
    paid = [p for p in original.snapshot.get("payments", []) if p["amount"]]
    back = ", ".join(f"{format_inr(p['amount'])} by {p['method'].upper() if p['method'] == 'upi' else p['method']}"
                     for p in paid if p["method"] != "credit")
    credit = sum(p.get("face", p["amount"]) for p in paid if p["method"] == "credit")
    parts = [f"Bill #{bill.id} voided: credit note {note.number} reverses {original.number}." if note
             else f"Bill #{bill.id} voided ({original.number} had nothing to reverse in money)."]
    if back:
        parts.append(f"Give back {back}.")
    if credit:
        parts.append(f"{format_inr(credit)} of package credit went back to the package.")
    parts.append("Sessions redeemed on it went back to their packages.")
    return " ".join(parts)


def receipt_screen(*, staff: StaffMember, bill_id: int) -> dict:
    document = issued_document(business=staff.business, bill_id=bill_id, by=staff)
    return {"document": document, "s": document.snapshot, "bill_id": bill_id, "client": document.client,
            "voided": document.bill.status == BillStatus.VOIDED if document.bill_id else False}


def today(*, staff: StaffMember, on: date | None = None) -> dict:
    on = on or timezone.localdate()
    business, branches = staff.business, branch_scope(staff)
    return {
        "today": on,
        "summary": day_summary(business=business, on=on, branches=branches),
        "bills": bills_of_day(business=business, on=on, branches=branches),
        "expiring": expiring_packages(business=business, on=on, within_days=EXPIRY_WARNING_DAYS),
        "low": low_balance_packages(business=business, on=on),
    }


# One package: its card, its whole life (every PackageEvent), its sessions, what may be done --

def _inr(paise) -> str:
    from glowpos.money import format_inr

    return format_inr(int(paise or 0))


def _day(iso: str) -> str:
    return f"{date.fromisoformat(iso):%-d %b %Y}"


def _event_text(event, *, docs: dict[int, str], names: dict[int, str], services: dict[int, str]) -> str:
    """What happened, in the counter's words (the who, when and why are shown beside it)."""
    d = event.data or {}
    bill = d.get("bill")
    on_bill = f" on bill #{bill}" + (f" ({docs[bill]})" if bill in docs else "") if bill else ""
    service = services.get(d.get("service"), "")
    session = f"{service} session {d['session']}" if d.get("session") else (service or "A session")
    kind = event.kind
    if kind == "sold":
        credit = f", {_inr(d['credit'])} of credit" if d.get("credit") else ""
        return f"Sold for {_inr(d.get('price'))}{credit}{on_bill}"
    if kind == "renewed":
        return f"Next period sold for {_inr(d.get('price'))}{on_bill}"
    if kind == "imported":
        return "Imported from the old system"
    if kind == "held":
        return f"{session} held{on_bill}"
    if kind == "released":
        return f"{session} hold released{on_bill}"
    if kind == "redeemed":
        return f"{session} redeemed{on_bill}"
    if kind == "redemption_reversed":
        return f"Session {d.get('session')} given back: the bill{on_bill} was voided"
    if kind == "credit_spent":
        return f"{_inr(d.get('face'))} of credit spent{on_bill}"
    if kind == "credit_restored":
        return f"{_inr(d.get('face'))} of credit given back: the bill{on_bill} was voided"
    if kind == "exhausted":
        return "All sessions used"
    if kind == "expired":
        held = f"; {d['released_holds']} held session(s) released" if d.get("released_holds") else ""
        return f"Expired: {_inr(d.get('breakage'))} unused recognised as breakage{held}"
    if kind == "frozen":
        return "Frozen: the expiry clock is paused and redemption refused"
    if kind == "unfrozen":
        old, new = d.get("expires_on", [None, None])
        if not d.get("frozen_days"):
            return "Unfrozen the same day; expiry unchanged"
        moved = f"; expiry moved {_day(old)} → {_day(new)}" if old and new else ""
        return f"Unfrozen after {d['frozen_days']} day(s){moved}"
    if kind == "extended":
        old, new = d.get("expires_on", [None, None])
        return f"Expiry extended {_day(old)} → {_day(new)}" if old and new else "Expiry extended"
    if kind == "cancelled":
        if "refund" not in d:
            return "Cancelled (its sale was voided)"
        docs_text = ", ".join(f"{label} {d[k]}" for k, label in (("credit_note", "credit note"),
                                                                 ("refund_voucher", "refund voucher")) if d.get(k))
        method = f" by {METHOD_NAMES.get(d['method'], d['method'])}" if d.get("method") else ""
        return f"Cancelled: {_inr(d['refund'])} refunded{method} (fee kept {_inr(d.get('fee'))}); {docs_text}"
    if kind == "transferred_out":
        return f"Transferred to {names.get(d.get('to'), 'another client')}"
    if kind == "transferred_in":
        return f"Received by transfer from {names.get(d.get('from'), 'another client')}"
    if kind == "shared":
        return f"Shared with {d.get('name') or names.get(d.get('client'), 'a family member')}"
    if kind == "unshared":
        return f"No longer shared with {d.get('name') or names.get(d.get('client'), 'a family member')}"
    if kind == "interval_override":
        return (f"Minimum interval overridden{on_bill}: {d.get('days_since')} day(s) since the last session, "
                f"minimum {d.get('minimum')}")
    if kind == "rolled_over":
        return "Unused credits rolled into the next period"
    if kind == "rollover_undone":
        return "Rollover undone: the next period's sale was voided"
    return kind.replace("_", " ").capitalize()


def _documents_of_bills(business, bill_ids) -> dict[int, str]:
    """Bill id → the number of the document it was issued as (not its credit notes)."""
    from glowpos.documents.models import Document, DocumentKind

    numbers: dict[int, str] = {}
    for bill_id, number in (
        Document.objects.filter(business=business, bill_id__in=set(bill_ids))
        .exclude(kind=DocumentKind.CREDIT_NOTE).order_by("-id").values_list("bill_id", "number")
    ):
        numbers[bill_id] = number  # newest first, so the first issued wins
    return numbers


def package_screen(*, staff: StaffMember, package_id: int, on: date | None = None) -> dict:
    """The package's card, its history newest first, its sessions with their documents, and
    the quote a cancellation would pay. Another business's package is NotFound."""
    from glowpos.clients.models import Client
    from glowpos.documents.models import Document, DocumentKind
    from glowpos.errors import NotFound
    from glowpos.packages.models import Redemption, RedemptionStatus
    from glowpos.packages.services import refund_quote, value_refund_quote

    on = on or timezone.localdate()
    package = (
        ClientPackage.objects.select_related("plan", "client", "transferred_to__client", "sale_document")
        .prefetch_related("entitlements__service").filter(business=staff.business, id=package_id).first()
    )
    if package is None:
        raise NotFound("Package not found.")
    card = _cards([package], on=on)[0]
    events = list(package.events.select_related("by__user").order_by("-at", "-id"))
    redemptions = list(
        Redemption.objects.filter(entitlement__package=package)
        .select_related("entitlement__service", "by__user").order_by("-held_at", "-id")
    )
    bill_ids = [e.data.get("bill") for e in events if isinstance(e.data, dict) and e.data.get("bill")]
    bill_ids += [r.bill_id for r in redemptions]
    docs = _documents_of_bills(staff.business, bill_ids)
    client_ids = {v for e in events for k, v in (e.data or {}).items() if k in ("from", "to", "client")}
    names = dict(Client.objects.filter(business=staff.business, id__in=client_ids).values_list("id", "name"))
    services = {e.service_id: e.service.name for e in package.entitlements.all()}
    numbers = {n for e in events for n in ((e.data or {}).get("credit_note"), (e.data or {}).get("refund_voucher")) if n}
    issued = {number: (token, kind) for number, token, kind in Document.objects.filter(
        business=staff.business, number__in=numbers).values_list("number", "receipt_token", "kind")}
    history = [
        {"kind": e.kind, "at": e.at, "by": e.by, "reason": e.reason,
         "text": _event_text(e, docs=docs, names=names, services=services)}
        for e in events
    ]
    sessions = [
        {"service": r.entitlement.service.name, "session": r.session_number, "status": r.status,
         "status_label": r.get_status_display(), "at": r.posted_at or r.held_at, "by": r.by,
         "bill_id": r.bill_id, "document": docs.get(r.bill_id, ""), "value": r.value}
        for r in redemptions if r.status != RedemptionStatus.RELEASED
    ]
    status = package.status
    quote = None
    if status in (PackageStatus.ACTIVE, PackageStatus.FROZEN, PackageStatus.EXHAUSTED):
        if package.plan.is_value:
            quote = value_refund_quote(package)
        else:
            quote = refund_quote(package, sorted(package.entitlements.all(), key=lambda e: e.id))
        quote["fee_percent"] = percent_of_bp(staff.business.cancellation_fee_bp)
    return {
        "package": package,
        "received_from": package.transferred_from.select_related("client").first(),
        "card": card,
        "client": package.client,
        "history": history,
        "sessions": sessions,
        "shares": list(package.shares.select_related("client").order_by("added_at", "id")),
        "documents": [{"number": n, "token": issued[n][0], "kind": DocumentKind(issued[n][1]).label}
                      for n in sorted(numbers) if n in issued],
        "quote": quote,
        "can": _allowed(package, card, staff=staff, on=on),
        "today": on,
    }


def _allowed(package, card: PackageCard, *, staff: StaffMember, on: date) -> dict[str, bool]:
    """Which actions the screen offers for this package now. Only what the services would
    accept given the package's state; the role is checked by the services (a front desk is
    offered the manager's actions with a manager's approval)."""
    status = package.status
    counter = staff.role in ("front_desk", "manager", "owner")
    live = status == PackageStatus.ACTIVE and package.expires_on >= on and package.purchased_on <= on
    return {
        "any": counter,
        "freeze": counter and live,
        "unfreeze": counter and status == PackageStatus.FROZEN,
        "extend": counter and status in (PackageStatus.ACTIVE, PackageStatus.EXPIRED, PackageStatus.FROZEN),
        "cancel": counter and status in (PackageStatus.ACTIVE, PackageStatus.FROZEN, PackageStatus.EXHAUSTED),
        "transfer": counter and live and not package.plan.is_value,
        "share": counter and status in (PackageStatus.ACTIVE, PackageStatus.FROZEN),
        "needs_manager": not staff.is_manager,
    }


def recipients(*, staff: StaffMember, query: str, exclude: set[int]) -> tuple[list, str]:
    """Clients matching a phone (or name) typed on the package screen; (clients, hint)."""
    from glowpos.clients.selectors import find_clients
    from glowpos.errors import ValidationFailed

    query = (query or "").strip()[:100]
    if not query:
        return [], ""
    try:
        found = [c for c in find_clients(business=staff.business, query=query, limit=8) if c.id not in exclude]
    except ValidationFailed as exc:
        return [], exc.detail.split(": ", 1)[-1].capitalize()
    return found, "" if found else f"No other client matches “{query}”."


def client_name(*, staff: StaffMember, client_id: int) -> str:
    return get_client(business=staff.business, client_id=client_id).name
