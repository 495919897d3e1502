"""How a redemption works, start to end.

apply_package  holds one unit on an open bill (pending); the unit counts as used at once.
release_hold   gives a pending unit back (line removed, bill abandoned).
post_pending   inside close_bill: pending → posted, valued at the unit's allocated value.
reverse_posted inside void_bill: posted → reversed, the unit returns to the package.
create_sold_packages  inside close_bill: a package sale line becomes the client's package.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from glowpos.billing.models import Bill, BillLine, BillStatus, LineType
from glowpos.billing.locking import lock_open_bill
from glowpos.errors import NotFound
from glowpos.money import allocate, unit_value
from glowpos.packages.errors import (
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
    PackageStatus,
    Redemption,
    RedemptionStatus,
)
from glowpos.tenancy.models import StaffMember
from glowpos.tenancy.services import COUNTER, require_role


def check_redeemable(package: ClientPackage, *, on: date) -> None:
    """The package itself may be redeemed on this date (its units are checked separately)."""
    name = package.plan.name
    if package.status == PackageStatus.FROZEN:
        raise PackageFrozen(f"{name} is frozen; a manager can unfreeze it.", package_id=package.id)
    if package.status == PackageStatus.EXPIRED or package.expires_on < on:
        raise PackageExpired(f"{name} expired on {package.expires_on:%d %b %Y}.", package_id=package.id)
    if package.status == PackageStatus.EXHAUSTED:
        raise PackageExhausted(f"{name} has no sessions left.", package_id=package.id)
    if package.status != PackageStatus.ACTIVE:
        raise PackageNotActive(f"{name} is {package.get_status_display().lower()}.", package_id=package.id)


def redemption_caption(*, service_name: str, session: int, total: int, remaining: int) -> str:
    return f"{service_name} — session {session} of {total}, {remaining} remaining"


def apply_package(*, bill_id: int, package_id: int, service_id: int, by: StaffMember,
                  at: datetime | None = None) -> BillLine:
    """Hold one unit of the package's service on the open bill: one click at the counter."""
    require_role(by, *COUNTER, action="apply packages to bills")
    at = at or timezone.now()
    on = timezone.localdate(at)
    with transaction.atomic():
        bill = lock_open_bill(business=by.business, bill_id=bill_id)
        package = (
            ClientPackage.objects.select_related("plan")
            .filter(business=by.business, id=package_id).first()
        )
        if package is None:
            raise NotFound("Package not found.")
        if package.client_id != bill.client_id:
            raise PackageNotApplicable("This package belongs to another client.", package_id=package.id)
        entitlement = (
            Entitlement.objects.select_for_update(of=("self",)).select_related("service")
            .filter(package=package, service_id=service_id).first()
        )
        if entitlement is None:
            raise PackageNotApplicable(
                f"{package.plan.name} does not include that service.", package_id=package.id
            )
        # Read again under the entitlement's lock: a void of the sale may just have cancelled it.
        package.refresh_from_db(fields=["status", "expires_on"])
        check_redeemable(package, on=on)
        if entitlement.remaining <= 0:
            raise PackageExhausted(
                f"{package.plan.name}: no {entitlement.service.name} sessions left "
                f"({entitlement.used_units} used, {entitlement.held_units} held on open bills).",
                package_id=package.id,
            )
        # The CHECK constraint used + held <= total backs this up in the database.
        Entitlement.objects.filter(id=entitlement.id).update(held_units=F("held_units") + 1)
        entitlement.refresh_from_db()
        session = entitlement.used_units + entitlement.held_units
        line = BillLine.objects.create(
            bill=bill,
            type=LineType.REDEMPTION,
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


def lock_entitlements_of(bill: Bill) -> dict[int, Entitlement]:
    """Lock every entitlement the bill redeems, in id order (no deadlocks between terminals).

    Only the entitlement rows (OF self): locking the joined package, plan and service rows too
    would make two closes that share a plan take those locks in crossed order and deadlock."""
    ids = Redemption.objects.filter(bill=bill, status=RedemptionStatus.PENDING).values_list(
        "entitlement_id", flat=True
    )
    return {
        e.id: e
        for e in Entitlement.objects.select_for_update(of=("self",))
        .filter(id__in=list(ids)).select_related("package__plan", "service").order_by("id")
    }


def post_pending(*, bill: Bill, entitlements: dict[int, Entitlement], by: StaffMember,
                 at: datetime, sale_number: dict[int, str]) -> list[Redemption]:
    """Pending → posted: each unit takes the next session number and its allocated value."""
    on = timezone.localdate(at)
    posted = []
    for redemption in (
        Redemption.objects.filter(bill=bill, status=RedemptionStatus.PENDING)
        .select_related("line").order_by("id")
    ):
        ent = entitlements[redemption.entitlement_id]
        package = ent.package
        check_redeemable(package, on=on)
        ent.used_units += 1
        ent.held_units -= 1
        # The label is her count of sessions used; the value is that of the lowest unit not
        # posted, so a voided visit gives its unit back and posted values sum exactly.
        session = ent.used_units
        taken = set(Redemption.objects.filter(entitlement_id=ent.id, status=RedemptionStatus.POSTED)
                    .values_list("unit", flat=True))
        unit = min(n for n in range(1, ent.total_units + 1) if n not in taken)
        value = unit_value(ent.taxable_value, ent.total_units, unit)
        Entitlement.objects.filter(id=ent.id).update(
            used_units=F("used_units") + 1, held_units=F("held_units") - 1
        )
        # Sessions not yet redeemed after this one; units held on other open bills are still hers.
        remaining = ent.total_units - session
        source = sale_number.get(package.id)
        origin = f" (invoice {source})" if source else ""
        redemption.line.description = (
            f"{ent.service.name} — from package {package.plan.code}{origin}: "
            f"session {session} of {ent.total_units}, {remaining} remaining"
        )
        redemption.line.save(update_fields=["description"])
        Redemption.objects.filter(id=redemption.id).update(
            status=RedemptionStatus.POSTED, posted_at=at, session_number=session, unit=unit, value=value
        )
        redemption.session_number, redemption.value = session, value
        PackageEvent.objects.create(
            package=package, kind="redeemed", at=at, by=by,
            data={"bill": bill.id, "service": ent.service_id, "session": session, "value": value},
        )
        posted.append(redemption)
    for package in {e.package for e in entitlements.values()}:
        mark_exhausted_if_used_up(package, by=by, at=at)
    return posted


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
        Entitlement.objects.filter(id=ent.id).update(used_units=F("used_units") - 1)
        Redemption.objects.filter(id=redemption.id).update(status=RedemptionStatus.REVERSED)
        package = redemption.entitlement.package
        if package.status == PackageStatus.EXHAUSTED:
            ClientPackage.objects.filter(id=package.id).update(status=PackageStatus.ACTIVE)
        PackageEvent.objects.create(
            package=package, kind="redemption_reversed", at=at, by=by, reason=why,
            data={"bill": bill.id, "session": redemption.session_number},
        )


def create_sold_packages(*, bill: Bill, by: StaffMember, at: datetime) -> list[ClientPackage]:
    """Each package-sale line becomes the client's package, its taxable value allocated over
    items by relative standalone price, then (at redemption) over each item's units."""
    on = timezone.localdate(at)
    created = []
    for line in bill.lines.filter(type=LineType.PACKAGE_SALE).select_related("plan"):
        plan = line.plan
        items = list(plan.items.select_related("service").order_by("id"))
        shares = allocate(line.taxable, [i.service.price * i.units for i in items])
        package = ClientPackage.objects.create(
            business=bill.business, client=bill.client, plan=plan, purchased_on=on,
            expires_on=on + timedelta(days=plan.validity_days), price=line.amount,
            taxable=line.taxable, tax_rate_bp=line.rate_bp, sale_bill=bill,
        )
        Entitlement.objects.bulk_create(
            Entitlement(package=package, service=i.service, total_units=i.units, taxable_value=share)
            for i, share in zip(items, shares)
        )
        PackageEvent.objects.create(
            package=package, kind="sold", at=at, by=by,
            data={"bill": bill.id, "price": line.amount},
        )
        created.append(package)
    return created


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
    for package in ClientPackage.objects.select_for_update().filter(sale_bill=bill):
        touched = Redemption.objects.filter(
            entitlement__package=package,
            status__in=[RedemptionStatus.PENDING, RedemptionStatus.POSTED],
        ).exists()
        if touched:
            raise PackageNotActive(
                f"{package.plan.name} sold on this bill has sessions redeemed or held; "
                "cancel it with a refund instead of voiding the sale.",
                package_id=package.id,
            )
        ClientPackage.objects.filter(id=package.id).update(status=PackageStatus.CANCELLED)
        PackageEvent.objects.create(package=package, kind="cancelled", at=at, by=by, reason=why)
