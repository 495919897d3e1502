"""How a redemption works, start to end.

apply_package  holds one unit on an open bill (pending); the unit counts as used at once.
release_hold   gives a pending unit back (line removed, bill abandoned).
post_pending   inside close_bill: pending → posted, valued at the unit's allocated value.
reverse_posted inside void_bill: posted → reversed, the unit returns to the package.
create_sold_packages  inside close_bill: a package sale line becomes the client's package.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import CharField, DateTimeField, F, Q
from django.utils import timezone

from glowpos.audit.services import record as audit
from glowpos.billing.models import Bill, BillLine, LineType
from glowpos.billing.locking import lock_open_bill
from glowpos.db import Param, Reused, ReusedUpdate, params
from glowpos.errors import NotFound, ValidationFailed
from glowpos.ledger import chart
from glowpos.ledger import services as ledger
from glowpos.ledger.models import EntryKind, JournalEntry
from glowpos.money import allocate, amount_in_words, round_half_up, split_inclusive, unit_value
from glowpos.packages.errors import (
    HoldsPending,
    IntervalTooShort,
    PackageExhausted,
    PackageExpired,
    PackageFrozen,
    PackageNotActive,
    PackageNotApplicable,
)
from glowpos.packages.models import (
    ClientPackage,
    Entitlement,
    PackageEvent,
    PackageShare,
    PackageStatus,
    Redemption,
    RedemptionStatus,
)
from glowpos.tenancy.models import StaffMember
from glowpos.tenancy.services import COUNTER, MANAGERS, get_practitioner, require_branch, require_role


# The counter's reads and updates, sent at every redemption and close (ADR 0013).
_POSTED_UNITS = Reused(lambda: Redemption.objects.filter(entitlement_id=Param("entitlement_id"),
                                                         status=RedemptionStatus.POSTED).values_list("unit", flat=True))
_LOCK_ENTITLEMENT = Reused(lambda: (  # one per (package, service): entitlement_unique
    Entitlement.objects.select_for_update(of=("self",)).select_related("service")
    .filter(package__business_id=Param("business_id"), package_id=Param("package_id"), service_id=Param("service_id"))[:1]
))
_PACKAGE = Reused(lambda: ClientPackage.objects.select_related("plan").filter(business_id=Param("business_id"),
                                                                             id=Param("package_id"))[:1])
_HOLD = ReusedUpdate(lambda: Entitlement.objects.filter(id=Param("id")), held_units=F("held_units") + 1)
_LOCK_ENTITLEMENTS = Reused(lambda ids: (
    Entitlement.objects.select_for_update(of=("self",)).filter(id__in=params("ids", ids))
    .select_related("package__plan", "service").annotate(sale_number=F("package__sale_document__number")).order_by("id")
))
_POST_UNIT = ReusedUpdate(lambda: Entitlement.objects.filter(id=Param("id")), used_units=F("used_units") + 1,
                          held_units=F("held_units") - 1, posted_value=F("posted_value") + Param("value"))
_DESCRIBE_LINE = ReusedUpdate(lambda: BillLine.objects.filter(id=Param("id")),
                              description=Param("description", CharField()))
_POST_REDEMPTION = ReusedUpdate(
    lambda: Redemption.objects.filter(id=Param("id")), status=RedemptionStatus.POSTED,
    posted_at=Param("at", DateTimeField()), session_number=Param("session"), unit=Param("unit"), value=Param("value"),
)


def _open_units(entitlement: Entitlement) -> Iterator[int]:
    """The allocated units not yet recognised as revenue, lowest first (1-based). An imported
    package's units used before GlowPOS (1..opening_used_units) were recognised in the old books."""
    posted = set(_POSTED_UNITS.all(entitlement_id=entitlement.id))
    return (n for n in range(entitlement.opening_used_units + 1, entitlement.total_units + 1) if n not in posted)


def open_units(entitlement: Entitlement) -> list[int]:
    return list(_open_units(entitlement))


def lowest_open_unit(entitlement: Entitlement) -> int:
    """open_units(entitlement)[0], without listing the rest (a close takes one unit)."""
    for n in _open_units(entitlement):
        return n
    raise ValueError(f"entitlement {entitlement.id}: every unit is posted")  # the CHECK used + held <= total forbids it


def outstanding_value(entitlement: Entitlement) -> int:
    """Paise still deferred for this entitlement: the value of every unit not recognised."""
    return sum(unit_value(entitlement.taxable_value, entitlement.total_units, n) for n in open_units(entitlement))


def check_redeemable(package: ClientPackage, *, on: date) -> None:
    """The package itself may be redeemed on this date (its units are checked separately)."""
    name = package.plan.name
    if package.status == PackageStatus.FROZEN:
        raise PackageFrozen(f"{name} is frozen; a manager can unfreeze it.", package_id=package.id)
    if package.status == PackageStatus.EXPIRED or package.expires_on < on:
        raise PackageExpired(f"{name} expired on {package.expires_on:%d %b %Y}.", package_id=package.id)
    if package.status == PackageStatus.EXHAUSTED:
        raise PackageExhausted(f"{name} has no sessions left.", package_id=package.id)
    if package.purchased_on > on:
        raise PackageNotActive(f"{name} starts on {package.purchased_on:%d %b %Y}.", package_id=package.id)
    if package.status != PackageStatus.ACTIVE:
        raise PackageNotActive(f"{name} is {package.get_status_display().lower()}.", package_id=package.id)


def redemption_caption(*, service_name: str, session: int, total: int, remaining: int) -> str:
    return f"{service_name} — session {session} of {total}, {remaining} remaining"


def apply_package(*, bill_id: int, package_id: int, service_id: int, by: StaffMember,
                  at: datetime | None = None, override_reason: str = "",
                  approver: StaffMember | None = None, practitioner_id: int | None = None) -> BillLine:
    """Hold one unit of the package's service on the open bill: one click at the counter
    (`practitioner_id`: who performs the session, when known).

    Sooner than the service's minimum interval since her last session is refused with
    `interval_too_short` unless a manager (acting, or approving) overrides it with a reason."""
    require_role(by, *COUNTER, action="apply packages to bills")
    at = at or timezone.now()
    on = timezone.localdate(at)
    with transaction.atomic():
        bill = lock_open_bill(business=by.business, bill_id=bill_id, by=by)
        practitioner = get_practitioner(business=by.business, staff_id=practitioner_id)
        entitlement = _LOCK_ENTITLEMENT.first(business_id=by.business_id, package_id=package_id, service_id=service_id)
        # The package is read once its entitlement's lock is held: a void of the sale that
        # cancelled it just before is seen (the void locks the entitlements first).
        package = _PACKAGE.first(business_id=by.business_id, package_id=package_id)
        if package is None:
            raise NotFound("Package not found.")
        if package.client_id != bill.client_id and not PackageShare.objects.filter(
            package=package, client_id=bill.client_id
        ).exists():
            raise PackageNotApplicable(
                "This package belongs to another client and is not shared with this one.", package_id=package.id
            )
        if entitlement is None:
            raise PackageNotApplicable(
                f"{package.plan.name} does not include that service.", package_id=package.id
            )
        entitlement.package = package
        check_redeemable(package, on=on)
        if entitlement.remaining <= 0:
            raise PackageExhausted(
                f"{package.plan.name}: no {entitlement.service.name} sessions left "
                f"({entitlement.used_units} used, {entitlement.held_units} held on open bills).",
                package_id=package.id,
            )
        _check_interval(bill, entitlement, on=on, by=by, approver=approver, reason=override_reason, at=at)
        # The CHECK constraint used + held <= total backs this up in the database.
        _HOLD.run(id=entitlement.id)
        entitlement.held_units += 1  # the row is ours until commit: memory and database agree
        session = entitlement.used_units + entitlement.held_units
        line = BillLine.objects.create(
            bill=bill,
            type=LineType.REDEMPTION,
            practitioner=practitioner,
            service=entitlement.service,
            code=entitlement.service.sac,
            description=redemption_caption(
                service_name=entitlement.service.name, session=session,
                total=entitlement.total_units, remaining=entitlement.remaining,
            ),
        )
        Redemption.objects.create(
            business=by.business, entitlement=entitlement, bill=bill, line=line, session_number=session,
            held_at=at, by=by,
        )
        PackageEvent.objects.create(
            package=package, kind="held", at=at, by=by,
            data={"bill": bill.id, "service": entitlement.service_id, "session": session},
        )
        return line


def _check_interval(bill: Bill, entitlement: Entitlement, *, on: date, by: StaffMember,
                    approver: StaffMember | None, reason: str, at: datetime) -> None:
    service = entitlement.service
    if not service.min_interval_days:
        return
    last = (
        Redemption.objects.filter(bill__client_id=bill.client_id, entitlement__service=service,
                                  status=RedemptionStatus.POSTED)
        .order_by("-posted_at").values_list("posted_at", flat=True).first()
    )
    if last is None:
        return
    days = (on - timezone.localdate(last)).days
    if days >= service.min_interval_days:
        return
    manager = by if by.is_manager else approver
    if manager is None or not manager.is_manager or manager.business_id != by.business_id or not reason.strip():
        raise IntervalTooShort(
            f"Her last {service.name} session was {days} days ago ({timezone.localdate(last):%d %b %Y}); "
            f"the minimum is {service.min_interval_days} days. A manager can override with a reason.",
            fields={"override_reason": "A manager's reason to redeem sooner."},
            days_since=days, min_interval_days=service.min_interval_days,
        )
    PackageEvent.objects.create(
        package=entitlement.package, kind="interval_override", at=at, by=manager, reason=reason.strip()[:300],
        data={"bill": bill.id, "service": service.id, "days_since": days, "minimum": service.min_interval_days},
    )
    audit(by=manager, action="package.interval_override", obj=entitlement.package, at=at,
          data={"bill": bill.id, "service": service.id, "days_since": days, "minimum": service.min_interval_days,
                "reason": reason.strip()[:300], "at_counter": by.id})


def release_hold(*, redemption: Redemption, by: StaffMember, at: datetime, why: str) -> None:
    """Give a pending unit back to its package. Call inside the caller's transaction."""
    entitlement = Entitlement.objects.select_for_update().get(id=redemption.entitlement_id)
    Entitlement.objects.filter(id=entitlement.id).update(held_units=F("held_units") - 1)
    Redemption.objects.filter(id=redemption.id, status=RedemptionStatus.PENDING).update(
        status=RedemptionStatus.RELEASED, released_at=at
    )
    PackageEvent.objects.create(
        package_id=entitlement.package_id, kind="released", at=at, by=by, reason=why,
        data={"bill": redemption.bill_id, "service": entitlement.service_id},
    )


def pending_in(lines: list[BillLine]) -> list[Redemption]:
    """The units held on a bill, oldest first, from its `lines` read with their redemptions
    (each held unit is on a line of the bill: redemption_held_on_a_line). Read under the bill's
    lock: holds are added and released only by actions that take it."""
    held = (getattr(line, "redemption", None) for line in lines if line.type == LineType.REDEMPTION)
    return sorted((r for r in held if r is not None and r.status == RedemptionStatus.PENDING), key=lambda r: r.id)


def give_lines(pending: list[Redemption], lines: list[BillLine]) -> None:
    """Each held redemption's `line` becomes that very object of the bill's `lines` (already
    read), and the line's `redemption` it: what posting writes to one, the other shows."""
    by_id = {line.id: line for line in lines}
    for redemption in pending:
        redemption.line = by_id[redemption.line_id]


def lock_entitlements_of(bill: Bill, pending: list[Redemption] | None = None) -> dict[int, Entitlement]:
    """Lock every entitlement the bill redeems (its `pending` holds, when already read), in id
    order (no deadlocks between terminals).

    Only the entitlement rows (OF self): locking the joined package, plan and service rows too
    would make two closes that share a plan take those locks in crossed order and deadlock.
    Each comes with `sale_number`, the number of the document that sold its package (its
    sessions' captions cite it), and not that document: its snapshot is not needed here."""
    if pending is None:
        ids = list(Redemption.objects.filter(bill=bill, status=RedemptionStatus.PENDING)
                   .values_list("entitlement_id", flat=True))
    else:
        ids = [r.entitlement_id for r in pending]
    return {e.id: e for e in _LOCK_ENTITLEMENTS.all(ids=sorted(set(ids)))}


def post_pending(*, bill: Bill, entitlements: dict[int, Entitlement], pending: list[Redemption],
                 by: StaffMember, at: datetime) -> list[Redemption]:
    """Pending → posted (the bill's `pending` holds, from pending_in; `entitlements` locked by
    lock_entitlements_of): each unit takes the next session number and its allocated value.
    The redemptions and their lines are updated in memory too, and each is given its locked
    entitlement, so the close's answer need not read them again."""
    on = timezone.localdate(at)
    posted = []
    for redemption in pending:
        ent = entitlements[redemption.entitlement_id]
        redemption.entitlement = ent
        package = ent.package
        check_redeemable(package, on=on)
        ent.used_units += 1
        ent.held_units -= 1
        # The label is her count of sessions used; the value is that of the lowest unit not
        # posted, so a voided visit gives its unit back and posted values sum exactly.
        session = ent.used_units
        unit = lowest_open_unit(ent)
        value = unit_value(ent.taxable_value, ent.total_units, unit)
        _POST_UNIT.run(id=ent.id, value=value)
        # Sessions not yet redeemed after this one; units held on other open bills are still hers.
        remaining = ent.total_units - session
        origin = f" (invoice {ent.sale_number})" if ent.sale_number else ""
        redemption.line.description = (
            f"{ent.service.name} — from package {package.plan.code}{origin}: "
            f"session {session} of {ent.total_units}, {remaining} remaining"
        )
        _DESCRIBE_LINE.run(id=redemption.line_id, description=redemption.line.description)
        _POST_REDEMPTION.run(id=redemption.id, at=at, session=session, unit=unit, value=value)
        redemption.status, redemption.session_number, redemption.unit, redemption.value = (
            RedemptionStatus.POSTED, session, unit, value)
        PackageEvent.objects.create(
            package=package, kind="redeemed", at=at, by=by,
            data={"bill": bill.id, "service": ent.service_id, "session": session, "value": value},
        )
        posted.append(redemption)
    for package in {e.package for e in entitlements.values()}:
        # A unit left on one of this visit's entitlements: the package is not used up (no query).
        if any(e.used_units < e.total_units for e in entitlements.values() if e.package_id == package.id):
            continue
        mark_exhausted_if_used_up(package, by=by, at=at)
    return posted


def credit_money(package: ClientPackage, face: int) -> int:
    """The paid money that `face` paise of credit stand for (pro rata; the last spend takes
    exactly what is left, so a value package's money is used to the paisa)."""
    if package.credit_used + face == package.credit_total:
        return package.price - package.credit_money_used
    return round_half_up(face * package.price, package.credit_total)


def spend_credit(*, bill: Bill, spends: list[tuple[int, int | None]], by: StaffMember,
                 at: datetime) -> list[tuple[ClientPackage, int, int]]:
    """Inside close_bill: spend value-package credit (face value) on this bill. Returns
    (package, face, money) per spend; the caller turns face − money into the bonus discount."""
    on = timezone.localdate(at)
    if bill.lines.filter(type=LineType.PACKAGE_SALE, plan__kind="value").exists():
        raise ValidationFailed("payments: package credit cannot buy another value package.",
                               fields={"payments": "Pay a value package in money."})
    # A subquery, not a join: FOR UPDATE cannot go with the DISTINCT a join would need.
    shared = PackageShare.objects.filter(client_id=bill.client_id).values("package_id")
    mine = Q(client_id=bill.client_id) | Q(id__in=shared)
    done = []
    for i, (face, package_id) in enumerate(spends):
        candidates = (
            ClientPackage.objects.select_for_update(of=("self",)).select_related("plan")
            .filter(mine, business=bill.business, plan__kind="value")
        )
        if package_id is not None:
            candidates = candidates.filter(id=package_id)
        else:
            candidates = candidates.filter(status=PackageStatus.ACTIVE, expires_on__gte=on).order_by("expires_on", "id")
        package = candidates.first()
        if package is None:
            raise ValidationFailed(
                f"payments[{i}]: this client has no value package with credit to pay with.",
                fields={f"payments.{i}.method": "No credit balance."},
            )
        check_redeemable(package, on=on)
        left = package.credit_total - package.credit_used
        if face > left:
            raise PackageExhausted(
                f"{package.plan.name} has {left / 100:,.2f} of credit left, less than {face / 100:,.2f}.",
                package_id=package.id, credit_remaining=left,
            )
        money = credit_money(package, face)
        package.credit_used += face
        package.credit_money_used += money
        if package.credit_used == package.credit_total:
            package.status = PackageStatus.EXHAUSTED
        package.save(update_fields=["credit_used", "credit_money_used", "status"])
        PackageEvent.objects.create(package=package, kind="credit_spent", at=at, by=by,
                                    data={"bill": bill.id, "face": face, "money": money})
        done.append((package, face, money))
    return done


def mark_exhausted_if_used_up(package: ClientPackage, *, by: StaffMember, at: datetime) -> None:
    left = Entitlement.objects.filter(package=package, used_units__lt=F("total_units")).exists()
    if not left and package.status == PackageStatus.ACTIVE:
        ClientPackage.objects.filter(id=package.id).update(status=PackageStatus.EXHAUSTED)
        PackageEvent.objects.create(package=package, kind="exhausted", at=at, by=by)


def reverse_posted(*, bill: Bill, by: StaffMember, at: datetime, why: str) -> None:
    """Posted → reversed: a voided bill's sessions go back to their packages."""
    for redemption in Redemption.objects.filter(
        bill=bill, status=RedemptionStatus.POSTED
    ).select_related("entitlement__package").order_by("entitlement_id"):
        ent = Entitlement.objects.select_for_update().get(id=redemption.entitlement_id)
        Entitlement.objects.filter(id=ent.id).update(used_units=F("used_units") - 1,
                                                     posted_value=F("posted_value") - redemption.value)
        Redemption.objects.filter(id=redemption.id).update(status=RedemptionStatus.REVERSED)
        package = redemption.entitlement.package
        if package.status == PackageStatus.EXHAUSTED:
            ClientPackage.objects.filter(id=package.id).update(status=PackageStatus.ACTIVE)
        PackageEvent.objects.create(
            package=package, kind="redemption_reversed", at=at, by=by, reason=why,
            data={"bill": bill.id, "session": redemption.session_number},
        )


def restore_credit(*, bill: Bill, document, by: StaffMember, at: datetime, why: str) -> None:
    """A voided bill's value-package credit goes back to the package it was spent from (the
    void's reversing entry puts the money back in Client credit). Credit from a package that
    has since expired or been cancelled cannot come back: its money already left the books."""
    spends = [p for p in document.snapshot.get("payments", []) if p.get("method") == "credit"]
    for spend in sorted(spends, key=lambda p: p["package_id"]):
        package = (ClientPackage.objects.select_for_update(of=("self",)).select_related("plan")
                   .get(business=bill.business, id=spend["package_id"]))
        if package.status not in (PackageStatus.ACTIVE, PackageStatus.FROZEN, PackageStatus.EXHAUSTED):
            raise PackageNotActive(
                f"This bill was paid with credit from {package.plan.name}, which is "
                f"{package.get_status_display().lower()}; refund it by credit note instead of voiding.",
                package_id=package.id,
            )
        package.credit_used -= spend["face"]
        package.credit_money_used -= spend["amount"]
        if package.status == PackageStatus.EXHAUSTED:
            package.status = PackageStatus.ACTIVE
        package.save(update_fields=["credit_used", "credit_money_used", "status"])
        PackageEvent.objects.create(package=package, kind="credit_restored", at=at, by=by, reason=why,
                                    data={"bill": bill.id, "face": spend["face"], "money": spend["amount"]})


def create_sold_packages(*, bill: Bill, by: StaffMember, at: datetime) -> list[ClientPackage]:
    """Each package-sale line becomes the client's package, its taxable value allocated over
    items by relative standalone price, then (at redemption) over each item's units."""
    on = timezone.localdate(at)
    created = []
    for line in bill.lines.filter(type=LineType.PACKAGE_SALE).select_related("plan"):
        plan = line.plan
        if plan.is_value:
            package = ClientPackage.objects.create(
                business=bill.business, client=bill.client, plan=plan, purchased_on=on,
                expires_on=on + timedelta(days=plan.validity_days), price=line.amount, taxable=line.amount,
                tax_rate_bp=0, sale_bill=bill, credit_total=plan.credit_value,
            )
            PackageEvent.objects.create(package=package, kind="sold", at=at, by=by,
                                        data={"bill": bill.id, "price": line.amount, "credit": plan.credit_value})
            created.append(package)
            continue
        items = list(plan.items.select_related("service").order_by("id"))
        shares = allocate(line.taxable, [i.service.price * i.units for i in items])
        start, previous, carried = on, None, {}
        if plan.is_membership:
            start, previous, carried = _next_period(bill=bill, plan=plan, on=on, by=by, at=at)
        package = ClientPackage.objects.create(
            business=bill.business, client=bill.client, plan=plan, purchased_on=start,
            expires_on=start + timedelta(days=plan.validity_days - 1 if plan.is_membership else plan.validity_days),
            price=line.amount, taxable=line.taxable, tax_rate_bp=line.rate_bp, sale_bill=bill, renews=previous,
        )
        Entitlement.objects.bulk_create(
            Entitlement(package=package, service=i.service,
                        total_units=i.units + carried.get(i.service_id, (0, 0))[0],
                        taxable_value=share + carried.get(i.service_id, (0, 0))[1])
            for i, share in zip(items, shares)
        )
        PackageEvent.objects.create(
            package=package, kind="renewed" if previous else "sold", at=at, by=by,
            data={"bill": bill.id, "price": line.amount, "carried": {str(k): v for k, v in carried.items()}},
        )
        created.append(package)
    return created


def _next_period(*, bill: Bill, plan, on: date, by: StaffMember, at: datetime):
    """A membership's next period. Each period is invoiced with GST when it starts. Paid before
    the current period ends, it starts the day after; with a rollover plan it starts now and the
    current period's unused credits (and their deferred value) carry into it. Without rollover,
    unused credits lapse at period end (the expiry job posts them to breakage)."""
    candidates = (
        ClientPackage.objects
        .filter(business=bill.business, client=bill.client, plan=plan, renewed_by__isnull=True)
        .exclude(sale_bill=bill).exclude(status__in=[PackageStatus.CANCELLED, PackageStatus.TRANSFERRED])
    )
    # Entitlements before their package, the order every path takes (see _lock_package).
    list(Entitlement.objects.select_for_update(of=("self",)).filter(package__in=candidates)
         .order_by("id").values_list("id", flat=True))
    previous = candidates.select_for_update(of=("self",)).order_by("-expires_on", "-id").first()
    if previous is None:
        return on, None, {}
    if not plan.rollover or previous.status not in (PackageStatus.ACTIVE, PackageStatus.EXHAUSTED) \
            or previous.expires_on < on:
        start = previous.expires_on + timedelta(days=1) if previous.expires_on >= on else on
        return start, previous, {}
    entitlements = _lock_entitlements(previous)
    _no_holds(previous, "renew it with rollover")
    carried = {e.service_id: (e.total_units - e.used_units, outstanding_value(e)) for e in entitlements}
    ClientPackage.objects.filter(id=previous.id).update(status=PackageStatus.RENEWED)
    PackageEvent.objects.create(package=previous, kind="rolled_over", at=at, by=by,
                                data={str(k): v for k, v in carried.items()})
    return on, previous, carried


def lock_entitlements_voided_with(bill: Bill) -> None:
    """Before a void: lock, in id order, the entitlements of the packages the bill sold and of
    the units it redeemed. A terminal holding a unit of one of them either finishes first (and
    the void sees its hold) or waits and then sees what the void did."""
    redeemed = Redemption.objects.filter(bill=bill, status=RedemptionStatus.POSTED).values("entitlement_id")
    list(
        Entitlement.objects.select_for_update(of=("self",))
        .filter(Q(package__sale_bill=bill) | Q(id__in=redeemed)).order_by("id").values_list("id", flat=True)
    )


def cancel_unredeemed_sale(*, bill: Bill, by: StaffMember, at: datetime, why: str) -> None:
    """A voided package sale: the package is cancelled, provided nothing was redeemed from it."""
    for package in ClientPackage.objects.select_for_update().select_related("plan").filter(sale_bill=bill):
        touched = Redemption.objects.filter(
            entitlement__package=package,
            status__in=[RedemptionStatus.PENDING, RedemptionStatus.POSTED],
        ).exists() or package.credit_used > 0
        if touched:
            raise PackageNotActive(
                f"{package.plan.name} sold on this bill has sessions redeemed or held (or credit spent); "
                "cancel it with a refund instead of voiding the sale.",
                package_id=package.id,
            )
        # Its deferred value has already left the books (breakage, a refund) or moved into the
        # next period: reversing the whole sale as well would take it out a second time.
        if package.status in (PackageStatus.EXPIRED, PackageStatus.CANCELLED, PackageStatus.RENEWED):
            raise PackageNotActive(
                f"{package.plan.name} sold on this bill is {package.get_status_display().lower()}; "
                "its sale cannot be voided now.",
                package_id=package.id,
            )
        ClientPackage.objects.filter(id=package.id).update(status=PackageStatus.CANCELLED)
        PackageEvent.objects.create(package=package, kind="cancelled", at=at, by=by, reason=why)
        if package.renews_id and package.renews.status == PackageStatus.RENEWED:
            ClientPackage.objects.filter(id=package.renews_id).update(status=PackageStatus.ACTIVE)
            PackageEvent.objects.create(package=package.renews, kind="rollover_undone", at=at, by=by, reason=why)


# ---------------------------------------------------------------------------------------------
# The package's life after the sale: every change is a PackageEvent (who, when, why).
# ---------------------------------------------------------------------------------------------

def _lock_package(*, by: StaffMember, package_id: int, managed: bool = False) -> ClientPackage:
    """The package, locked — after its entitlements (in id order). Every path that redeems
    holds entitlements and then touches their package (the exhausted flag, the events that
    reference it), so the package's own changes take the locks in that same order: the two
    never wait on each other in a circle (PostgreSQL found that deadlock under load).

    `managed`: a manager's change (freeze, extend, cancel, transfer), made only in a branch she
    manages — the branch whose books and series the package's documents and entries go to
    (_branch_of; docs/decisions/0011-packages-and-branches.md). Redeeming and sharing stay
    business-wide: a client is served at any branch of the chain."""
    _lock_entitlements_of_package(package_id, business=by.business)
    package = (
        ClientPackage.objects.select_for_update(of=("self",)).select_related("plan", "client", "sale_bill__branch")
        .filter(business=by.business, id=package_id).first()
    )
    if package is None:
        raise NotFound("Package not found.")
    if managed:
        require_branch(by, _branch_of(package).id, what="Package")
    return package


def _branch_of(package: ClientPackage):
    """Where the package's documents and entries belong: its sale's branch (an imported
    package: the business's first branch)."""
    if package.sale_bill_id:
        return package.sale_bill.branch
    return package.business.branches.order_by("id").first()


def _original_ref(package: ClientPackage) -> dict | None:
    doc = package.sale_document
    return {"number": doc.number, "date": doc.date.isoformat()} if doc else None


def _why(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("reason: say why.", fields={"reason": "Required."})
    return reason[:300]


def _no_holds(package: ClientPackage, action: str) -> None:
    held = Entitlement.objects.filter(package=package, held_units__gt=0).exists()
    if held:
        raise HoldsPending(
            f"{package.plan.name} has a session held on an open bill; close or remove it before you {action}.",
            package_id=package.id,
        )


def _lock_entitlements_of_package(package_id: int, *, business=None) -> None:
    found = Entitlement.objects.select_for_update(of=("self",)).filter(package_id=package_id)
    if business is not None:
        found = found.filter(package__business=business)
    list(found.order_by("id").values_list("id", flat=True))


def _lock_entitlements(package: ClientPackage) -> list[Entitlement]:
    return list(
        Entitlement.objects.select_for_update(of=("self",)).filter(package=package)
        .select_related("service").order_by("id")
    )


def freeze_package(*, package_id: int, reason: str, by: StaffMember, at: datetime | None = None) -> ClientPackage:
    """Pause the expiry clock (a client travelling, unwell, pregnant); redemption is refused meanwhile."""
    require_role(by, *MANAGERS, action="freeze packages")
    reason, at = _why(reason), at or timezone.now()
    with transaction.atomic():
        package = _lock_package(by=by, package_id=package_id, managed=True)
        check_redeemable(package, on=timezone.localdate(at))  # only an active, unexpired package
        _lock_entitlements(package)
        _no_holds(package, "freeze it")
        package.status, package.frozen_on = PackageStatus.FROZEN, timezone.localdate(at)
        package.save(update_fields=["status", "frozen_on"])
        PackageEvent.objects.create(package=package, kind="frozen", at=at, by=by, reason=reason)
        audit(by=by, action="package.freeze", obj=package, at=at, data={"reason": reason})
        return package


def unfreeze_package(*, package_id: int, reason: str, by: StaffMember, at: datetime | None = None) -> ClientPackage:
    """Restart the clock: the expiry moves later by the days the package was frozen."""
    require_role(by, *MANAGERS, action="unfreeze packages")
    reason, at = _why(reason), at or timezone.now()
    with transaction.atomic():
        package = _lock_package(by=by, package_id=package_id, managed=True)
        if package.status != PackageStatus.FROZEN:
            raise PackageNotActive(f"{package.plan.name} is not frozen.", package_id=package.id)
        days = (timezone.localdate(at) - package.frozen_on).days
        old = package.expires_on
        package.status, package.frozen_on = PackageStatus.ACTIVE, None
        package.expires_on = old + timedelta(days=days)
        package.save(update_fields=["status", "frozen_on", "expires_on"])
        PackageEvent.objects.create(
            package=package, kind="unfrozen", at=at, by=by, reason=reason,
            data={"frozen_days": days, "expires_on": [old.isoformat(), package.expires_on.isoformat()]},
        )
        audit(by=by, action="package.unfreeze", obj=package, at=at,
              data={"reason": reason, "frozen_days": days,
                    "expires_on": [old.isoformat(), package.expires_on.isoformat()]})
        return package


def extend_package(*, package_id: int, expires_on: date, reason: str, by: StaffMember,
                   at: datetime | None = None) -> ClientPackage:
    """A manager's goodwill: a later expiry. An expired package comes back, its breakage reversed."""
    require_role(by, *MANAGERS, action="extend packages")
    reason, at = _why(reason), at or timezone.now()
    on = timezone.localdate(at)
    with transaction.atomic():
        package = _lock_package(by=by, package_id=package_id, managed=True)
        if package.status not in (PackageStatus.ACTIVE, PackageStatus.EXPIRED, PackageStatus.FROZEN):
            raise PackageNotActive(f"{package.plan.name} is {package.status}; it cannot be extended.",
                                   package_id=package.id)
        if expires_on <= package.expires_on or expires_on < on:
            raise ValidationFailed(
                "expires_on: must be later than the current expiry and not in the past.",
                fields={"expires_on": f"After {package.expires_on.isoformat()}."},
            )
        old = package.expires_on
        if package.status == PackageStatus.EXPIRED:
            for entry in JournalEntry.objects.filter(
                package=package, kind=EntryKind.BREAKAGE, reverses__isnull=True, reversed_by__isnull=True,
            ):
                ledger.reverse(entry=entry, on=on, by=by, memo=f"Breakage reversed: {package.plan.code} extended")
            package.status = PackageStatus.ACTIVE
        package.expires_on = expires_on
        package.save(update_fields=["status", "expires_on"])
        PackageEvent.objects.create(
            package=package, kind="extended", at=at, by=by, reason=reason,
            data={"expires_on": [old.isoformat(), expires_on.isoformat()]},
        )
        audit(by=by, action="package.extend", obj=package, at=at,
              data={"reason": reason, "expires_on": [old.isoformat(), expires_on.isoformat()]})
        return package


def expire_packages(*, on: date | None = None, business=None) -> int:
    """The nightly job: packages past their expiry become expired; the value of their unused
    sessions leaves deferred revenue as breakage income. Frozen packages are not expired (their
    clock is paused). One transaction per package; safe to run again."""
    on = on or timezone.localdate()
    due = ClientPackage.objects.filter(status=PackageStatus.ACTIVE, expires_on__lt=on)
    if business is not None:
        due = due.filter(business=business)
    count = 0
    for package_id in due.values_list("id", flat=True):
        with transaction.atomic():
            _lock_entitlements_of_package(package_id)  # entitlements before the package, as everywhere
            package = (
                ClientPackage.objects.select_for_update(of=("self",)).select_related("plan", "business")
                .filter(id=package_id, status=PackageStatus.ACTIVE, expires_on__lt=on).first()
            )
            if package is None:
                continue
            entitlements = _lock_entitlements(package)
            released = _release_all_holds(package, entitlements, why="package expired")
            if package.plan.is_value:
                left, liability = package.price - package.credit_money_used, chart.CLIENT_CREDIT
            else:
                left, liability = sum(outstanding_value(e) for e in entitlements), chart.DEFERRED_REVENUE
            package.status = PackageStatus.EXPIRED
            package.save(update_fields=["status"])
            branch = _branch_of(package)
            ledger.post(
                business=package.business, branch=branch, on=on, kind=EntryKind.BREAKAGE,
                memo=f"Breakage: {package.plan.code} of {package.client.name} expired",
                lines=[(liability, left), (chart.BREAKAGE_INCOME, -left)], package=package,
            )
            PackageEvent.objects.create(
                package=package, kind="expired", at=timezone.now(),
                data={"breakage": left, "released_holds": released},
            )
            count += 1
    return count


def _release_all_holds(package: ClientPackage, entitlements: list[Entitlement], *, why: str) -> int:
    pending = Redemption.objects.filter(entitlement__package=package, status=RedemptionStatus.PENDING)
    released = 0
    for redemption in pending:
        Entitlement.objects.filter(id=redemption.entitlement_id).update(held_units=F("held_units") - 1)
        Redemption.objects.filter(id=redemption.id).update(
            status=RedemptionStatus.RELEASED, released_at=timezone.now()
        )
        BillLine.objects.filter(id=redemption.line_id).delete()
        released += 1
    return released


def refund_quote(package: ClientPackage, entitlements: list[Entitlement]) -> dict[str, int]:
    """The stated cancellation policy: what was paid (tax included), allocated over the units
    exactly as the taxable value was, summed over the unused units, less the business's
    cancellation fee. 4 of 6 sessions of a ₹24,000 package unused: ₹16,000 less 10 %."""
    gross_items = allocate(package.price, [e.taxable_value for e in entitlements])
    unused_taxable = unused_gross = 0
    for e, gross in zip(entitlements, gross_items):
        units = open_units(e)
        unused_taxable += sum(unit_value(e.taxable_value, e.total_units, n) for n in units)
        unused_gross += sum(unit_value(gross, e.total_units, n) for n in units)
    fee = round_half_up(unused_gross * package.business.cancellation_fee_bp, 10000)
    return {"unused_taxable": unused_taxable, "unused_gross": unused_gross, "fee": fee,
            "refund": unused_gross - fee}


def value_refund_quote(package: ClientPackage) -> dict[str, int]:
    """A value package's cancellation: the paid money not yet spent, less the fee (no GST: it
    was an advance). Same keys as refund_quote."""
    left = package.price - package.credit_money_used
    fee = round_half_up(left * package.business.cancellation_fee_bp, 10000)
    return {"unused_taxable": left, "unused_gross": left, "fee": fee, "refund": left - fee}


def cancel_package(*, package_id: int, reason: str, method: str, by: StaffMember,
                   at: datetime | None = None) -> dict:
    """Cancel with a refund of the unused part. A credit note (citing the sale invoice) reduces
    the supply by the refund; a refund voucher records the money paid back; the fee kept is
    recognised as income. Returns the quote and the two documents."""
    from glowpos.documents import services as documents
    from glowpos.documents.models import DocumentKind

    require_role(by, *MANAGERS, action="cancel packages")
    reason, at = _why(reason), at or timezone.now()
    if method not in chart.PAYMENT_ACCOUNT or method == "credit":
        raise ValidationFailed("method: refund by cash, card or upi.", fields={"method": "cash, card or upi."})
    on = timezone.localdate(at)
    with transaction.atomic():
        package = _lock_package(by=by, package_id=package_id, managed=True)
        if package.status not in (PackageStatus.ACTIVE, PackageStatus.FROZEN, PackageStatus.EXHAUSTED):
            raise PackageNotActive(f"{package.plan.name} is {package.status}; it cannot be cancelled.",
                                   package_id=package.id)
        if package.plan.is_value:
            return _cancel_value_package(package, reason=reason, method=method, by=by, at=at)
        entitlements = _lock_entitlements(package)
        _no_holds(package, "cancel it")
        quote = refund_quote(package, entitlements)
        branch = _branch_of(package)
        split = split_inclusive(quote["refund"], package.tax_rate_bp)
        kept = quote["unused_taxable"] - split.taxable
        snapshot_base = {
            "supplier": (package.sale_document.snapshot["supplier"] if package.sale_document_id else {}),
            "recipient": {"name": package.client.name, "phone": package.client.phone},
            "place_of_supply": f"{branch.state_name} ({branch.state_code})", "reverse_charge": False,
            "reason": reason, "packages": [],
        }
        line = {"type": "package_cancellation", "description": f"Refund for unused sessions of {package.plan.name}",
                "code": package.sale_document.snapshot["lines"][0]["code"] if package.sale_document_id else "",
                "quantity": 1, "unit_price": quote["refund"], "discount": 0, "rate_bp": package.tax_rate_bp,
                "exempt": False, "inter_state": False, "taxable": split.taxable, "cgst": split.cgst,
                "sgst": split.sgst, "igst": 0, "amount": quote["refund"]}
        totals = {"taxable": split.taxable, "cgst": split.cgst, "sgst": split.sgst, "igst": 0, "round_off": 0,
                  "total": quote["refund"]}
        credit_note = documents.issue(
            branch=branch, kind=DocumentKind.CREDIT_NOTE, at=at, on=on, by=by, client=package.client,
            original=package.sale_document, totals=totals,
            snapshot={**snapshot_base, "title": "Credit note", "lines": [line], "totals": totals,
                      "amount_in_words": amount_in_words(quote["refund"]) if quote["refund"] else "",
                      "payments": [], "policy": quote,
                      "original": _original_ref(package)},
        )
        voucher = documents.issue(
            branch=branch, kind=DocumentKind.REFUND_VOUCHER, at=at, on=on, by=by, client=package.client,
            original=credit_note, totals=totals,
            snapshot={**snapshot_base, "title": "Refund voucher", "lines": [line], "totals": totals,
                      "amount_in_words": amount_in_words(quote["refund"]) if quote["refund"] else "",
                      "payments": [{"method": method, "amount": -quote["refund"]}] if quote["refund"] else [],
                      "original": {"number": credit_note.number, "date": on.isoformat()}},
        )
        ledger.post(
            business=package.business, branch=branch, on=on, kind=EntryKind.REFUND,
            memo=f"Refund {credit_note.number}: {package.plan.code} cancelled", package=package,
            lines=[(chart.DEFERRED_REVENUE, split.taxable), (chart.OUTPUT_CGST, split.cgst),
                   (chart.OUTPUT_SGST, split.sgst), (chart.PAYMENT_ACCOUNT[method], -quote["refund"])],
            by=by, document=credit_note,
        )
        ledger.post(
            business=package.business, branch=branch, on=on, kind=EntryKind.BREAKAGE,
            memo=f"Cancellation fee kept: {package.plan.code}", package=package,
            lines=[(chart.DEFERRED_REVENUE, kept), (chart.BREAKAGE_INCOME, -kept)], by=by, document=credit_note,
        )
        package.status = PackageStatus.CANCELLED
        package.save(update_fields=["status"])
        PackageEvent.objects.create(
            package=package, kind="cancelled", at=at, by=by, reason=reason,
            data={**quote, "credit_note": credit_note.number, "refund_voucher": voucher.number, "method": method},
        )
        audit(by=by, action="package.cancel", obj=package, at=at,
              data={**quote, "reason": reason, "method": method, "credit_note": credit_note.number,
                    "refund_voucher": voucher.number})
        return {**quote, "credit_note": credit_note, "refund_voucher": voucher}


def _cancel_value_package(package: ClientPackage, *, reason: str, method: str, by: StaffMember,
                          at: datetime) -> dict:
    """A value package was an advance without GST: the unspent money, less the fee, goes back on
    a refund voucher; no credit note (no invoice was issued for it)."""
    from glowpos.documents import services as documents
    from glowpos.documents.models import DocumentKind

    on = timezone.localdate(at)
    quote = value_refund_quote(package)
    left, fee, refund = quote["unused_gross"], quote["fee"], quote["refund"]
    branch = _branch_of(package)
    totals = {"taxable": refund, "cgst": 0, "sgst": 0, "igst": 0, "round_off": 0, "total": refund}
    voucher = documents.issue(
        branch=branch, kind=DocumentKind.REFUND_VOUCHER, at=at, on=on, by=by, client=package.client,
        original=package.sale_document, totals=totals,
        snapshot={"title": "Refund voucher", "reason": reason, "reverse_charge": False,
                  "supplier": package.sale_document.snapshot["supplier"] if package.sale_document_id else {},
                  "recipient": {"name": package.client.name, "phone": package.client.phone},
                  "place_of_supply": f"{branch.state_name} ({branch.state_code})",
                  "lines": [{"type": "value_refund", "description": f"Refund of unspent {package.plan.name}",
                             "code": "", "quantity": 1, "unit_price": refund, "discount": 0, "rate_bp": 0,
                             "exempt": False, "inter_state": False, "taxable": refund, "cgst": 0, "sgst": 0,
                             "igst": 0, "amount": refund}],
                  "totals": totals, "amount_in_words": amount_in_words(refund) if refund else "",
                  "payments": [{"method": method, "amount": -refund}] if refund else [], "packages": [],
                  "original": _original_ref(package)},
    )
    ledger.post(
        business=package.business, branch=branch, on=on, kind=EntryKind.REFUND, package=package,
        memo=f"Refund {voucher.number}: {package.plan.code} cancelled", by=by, document=voucher,
        lines=[(chart.CLIENT_CREDIT, left), (chart.PAYMENT_ACCOUNT[method], -refund), (chart.BREAKAGE_INCOME, -fee)],
    )
    package.status = PackageStatus.CANCELLED
    package.save(update_fields=["status"])
    PackageEvent.objects.create(package=package, kind="cancelled", at=at, by=by, reason=reason,
                                data={"unspent": left, "fee": fee, "refund": refund, "refund_voucher": voucher.number})
    audit(by=by, action="package.cancel", obj=package, at=at,
          data={"unspent": left, "fee": fee, "refund": refund, "reason": reason, "method": method,
                "refund_voucher": voucher.number})
    return {"unused_taxable": left, "unused_gross": left, "fee": fee, "refund": refund,
            "credit_note": None, "refund_voucher": voucher}


def transfer_package(*, package_id: int, to_client_id: int, reason: str, by: StaffMember,
                     at: datetime | None = None) -> ClientPackage:
    """Give the unused sessions to another client: a new package for her with exactly the units
    and deferred value left; the old one is marked transferred (and refuses redemption)."""
    from glowpos.clients.selectors import get_client

    require_role(by, *MANAGERS, action="transfer packages")
    reason, at = _why(reason), at or timezone.now()
    with transaction.atomic():
        package = _lock_package(by=by, package_id=package_id, managed=True)
        check_redeemable(package, on=timezone.localdate(at))
        recipient = get_client(business=by.business, client_id=to_client_id)
        if package.plan.is_value:
            raise ValidationFailed("package_id: a value package is shared, not transferred.",
                                   fields={"package_id": "Value package."})
        if recipient.id == package.client_id:
            raise ValidationFailed("to_client_id: she already owns it.", fields={"to_client_id": "Same client."})
        entitlements = _lock_entitlements(package)
        _no_holds(package, "transfer it")
        left = {e.id: outstanding_value(e) for e in entitlements}
        # What she takes over was paid for at the unused units' share of the price (tax included):
        # a refund of the new package is measured against that, not the whole original price.
        paid = refund_quote(package, entitlements)["unused_gross"]
        new = ClientPackage.objects.create(
            business=package.business, client=recipient, plan=package.plan, purchased_on=package.purchased_on,
            expires_on=package.expires_on, price=paid, taxable=sum(left.values()),
            tax_rate_bp=package.tax_rate_bp, sale_bill=package.sale_bill, sale_document=package.sale_document,
        )
        for e in entitlements:
            units = e.total_units - e.used_units
            if units:
                Entitlement.objects.create(package=new, service=e.service, total_units=units, taxable_value=left[e.id])
        package.status, package.transferred_to = PackageStatus.TRANSFERRED, new
        package.save(update_fields=["status", "transferred_to"])
        for p, kind in ((package, "transferred_out"), (new, "transferred_in")):
            PackageEvent.objects.create(package=p, kind=kind, at=at, by=by, reason=reason,
                                        data={"from": package.client_id, "to": recipient.id, "new_package": new.id})
        audit(by=by, action="package.transfer", obj=package, at=at,
              data={"reason": reason, "from_client": package.client_id, "to_client": recipient.id,
                    "new_package": new.id})
        return new


def share_package(*, package_id: int, client_id: int, by: StaffMember, at: datetime | None = None) -> PackageShare:
    """Name a family member who may redeem the package at her own visits."""
    from glowpos.clients.selectors import get_client

    require_role(by, *COUNTER, action="share packages")
    at = at or timezone.now()
    with transaction.atomic():
        package = _lock_package(by=by, package_id=package_id)
        member = get_client(business=by.business, client_id=client_id)
        if member.id == package.client_id:
            raise ValidationFailed("client_id: she owns the package.", fields={"client_id": "Owner."})
        share, created = PackageShare.objects.get_or_create(
            package=package, client=member, defaults={"added_by": by, "added_at": at}
        )
        if created:
            PackageEvent.objects.create(package=package, kind="shared", at=at, by=by,
                                        data={"client": member.id, "name": member.name})
        return share


def unshare_package(*, package_id: int, client_id: int, by: StaffMember, at: datetime | None = None) -> None:
    """She may no longer redeem the package. Refused while she has a session of it held on an
    open bill (close or remove that line first), so nothing is redeemed after the share ends."""
    require_role(by, *COUNTER, action="share packages")
    at = at or timezone.now()
    with transaction.atomic():
        package = _lock_package(by=by, package_id=package_id)
        share = PackageShare.objects.select_related("client").filter(package=package, client_id=client_id).first()
        if share is None:
            raise NotFound("That client is not a family member on this package.")
        if Redemption.objects.filter(entitlement__package=package, bill__client_id=client_id,
                                     status=RedemptionStatus.PENDING).exists():
            raise HoldsPending(
                f"{share.client.name} has a session of {package.plan.name} held on an open bill; "
                "close or remove it before you stop sharing.", package_id=package.id,
            )
        share.delete()
        PackageEvent.objects.create(package=package, kind="unshared", at=at, by=by,
                                    data={"client": share.client_id, "name": share.client.name})
