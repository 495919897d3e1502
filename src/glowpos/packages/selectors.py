"""Reading packages and their balances: what the counter and the receipt show."""
from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from django.db.models import DateField, Exists, F, OuterRef, Prefetch, Q, Subquery, Sum
from django.utils import timezone

from glowpos.catalog.models import PackagePlan
from glowpos.clients.models import Client
from glowpos.db import Param, Reused, params
from glowpos.packages.models import ClientPackage, Entitlement, PackageStatus


def effective_status(package: ClientPackage, *, on: date) -> str:
    """An active package past its expiry date is expired, even before the nightly job runs."""
    if package.status in (PackageStatus.ACTIVE, PackageStatus.FROZEN) and package.expires_on < on:
        return PackageStatus.EXPIRED
    return package.status


def _shown_first(package: ClientPackage) -> tuple:
    """A client's packages in the order the counter and the receipt list them: active first,
    then newest first. Sorted here: a client has a handful, and the ordering expression costs
    more to build into the SQL than the sort."""
    return (package.status != PackageStatus.ACTIVE, -package.purchased_on.toordinal(), -package.id)


def client_packages(*, client: Client) -> list[ClientPackage]:
    """The client's packages as models (the counter's screens), active first, then newest first."""
    packages = (
        ClientPackage.objects.filter(business_id=client.business_id, client=client)
        .select_related("plan").prefetch_related(
            Prefetch("entitlements", queryset=Entitlement.objects.select_related("service")))
    )
    return sorted(packages, key=_shown_first)


def package_data(package: ClientPackage, *, on: date | None = None) -> dict:
    on = on or timezone.localdate()
    return _package_dict(package, package.plan, sorted(package.entitlements.all(), key=lambda e: e.id), on=on)


def _package_dict(package: ClientPackage, plan: PackagePlan, entitlements: list[Entitlement], *, on: date) -> dict:
    items = [
        {
            "service_id": e.service_id, "service_name": e.service.name, "total": e.total_units,
            "used": e.used_units, "held": e.held_units, "remaining": e.remaining,
        }
        for e in entitlements
    ]
    return {
        "id": package.id, "plan_name": plan.name, "plan_code": plan.code,
        "kind": plan.kind, "status": effective_status(package, on=on), "purchased_on": package.purchased_on.isoformat(),
        "expires_on": package.expires_on.isoformat(), "items": items,
        **({"credit_total": package.credit_total, "credit_remaining": package.credit_total - package.credit_used}
           if plan.kind == "value" else {}),
        **({"period": {"start": package.purchased_on.isoformat(), "end": package.expires_on.isoformat()},
            "member_discount_bp": plan.member_discount_bp, "rollover": plan.rollover}
           if plan.kind == "membership" else {}),
    }


# What the package dicts read of a package, its plan and each entitlement: one row per
# entitlement (a value package, which has none, is one row with the entitlement's columns empty).
_ROW_PACKAGE = ("id", "status", "purchased_on", "expires_on", "credit_total", "credit_used")
_ROW_PLAN = ("name", "code", "kind", "member_discount_bp", "rollover")
_ROW_ENTITLEMENT = ("id", "service_id", "total_units", "used_units", "held_units")


def _package_rows(*, shown: bool) -> Reused:
    """The rows packages_data reads: every package of the client, or (`shown`) those a receipt
    shows — active or frozen and in their dates on `on`, or `touched` by the document."""
    def build(touched: int = 0):
        rows = ClientPackage.objects.filter(business_id=Param("business_id"), client_id=Param("client_id"))
        if shown:
            # Chosen in SQL, so a regular's years of used-up packages are not read at every close.
            showing = Q(status__in=(PackageStatus.ACTIVE, PackageStatus.FROZEN), expires_on__gte=Param("on", DateField()))
            if touched:
                showing |= Q(id__in=params("touched", touched))
            rows = rows.filter(showing)
        return rows.values(*_ROW_PACKAGE, *(f"plan__{f}" for f in _ROW_PLAN),
                           *(f"entitlements__{f}" for f in _ROW_ENTITLEMENT),
                           "entitlements__service__name").order_by("entitlements__id")
    return Reused(build)


_EVERY_PACKAGE, _SHOWN_PACKAGES = _package_rows(shown=False), _package_rows(shown=True)


def packages_data(*, client: Client, on: date | None = None) -> list[dict]:
    """package_data of each of the client's packages, in the counter's order, in one query.

    It is read at every profile (and, as packages_summary, every close), so it is one reused
    query (ADR 0013) of plain rows (packages joined to their plan, entitlements and services)
    instead of client_packages' two (packages, then their entitlements prefetched); the rows
    are read through the same attributes as the models, so that package_data's layout serves
    both (tests/packages/test_receipt_summary.py holds them to the same answer)."""
    on = on or timezone.localdate()
    return _package_dicts(_EVERY_PACKAGE.all(business_id=client.business_id, client_id=client.id), on=on)


class _Row(SimpleNamespace):
    """A package, plan, entitlement or service read as plain columns: what package_data reads of
    the model, without a model made for each (four per package at every profile and close)."""


def _entitlement(row: dict) -> _Row:
    entitlement = _Row(**{f: row[f"entitlements__{f}"] for f in _ROW_ENTITLEMENT},
                       service=_Row(id=row["entitlements__service_id"], name=row["entitlements__service__name"]))
    entitlement.remaining = Entitlement.remaining.fget(entitlement)  # the model's own rule
    return entitlement


def _package_dicts(rows: list[dict], *, on: date) -> list[dict]:
    packages: dict[int, tuple[_Row, _Row, list[_Row]]] = {}
    for row in rows:
        if row["id"] not in packages:
            packages[row["id"]] = (_Row(**{f: row[f] for f in _ROW_PACKAGE}),
                                   _Row(**{f: row[f"plan__{f}"] for f in _ROW_PLAN}), [])
        if row["entitlements__id"] is not None:
            packages[row["id"]][2].append(_entitlement(row))
    return [_package_dict(package, plan, entitlements, on=on)
            for package, plan, entitlements in sorted(packages.values(), key=lambda p: _shown_first(p[0]))]


def packages_summary(*, client: Client, touched: frozenset[int] = frozenset()) -> list[dict]:
    """Every package still worth showing on a receipt: what is left and until when. A used-up,
    expired, cancelled or transferred package is shown only if this document `touched` it (her
    last session: "0 remaining")."""
    on = timezone.localdate()
    rows = _SHOWN_PACKAGES.all(business_id=client.business_id, client_id=client.id, on=on, touched=sorted(touched))
    return _package_dicts(rows, on=on)


# Packages at a glance (the counter's home screen): who should hear about renewal today.

_LEFT = F("total_units") - F("used_units") - F("held_units")  # an entitlement's sessions left (never < 0)


def expiring_packages(*, business, on: date, within_days: int = 30, limit: int = 20) -> list[ClientPackage]:
    """Active packages with sessions left that expire within `within_days` of `on`, soonest first,
    each with `remaining` and `total` sessions.

    Walked in expiry order on the package index and stopped at `limit`: "sessions left" is
    asked per package (an entitlement with a unit not used or held), and the sums only for the
    packages shown — not every active package of a chain summed first (76 ms at 300,000
    packages, now 8 ms)."""
    from datetime import timedelta

    has_left = Entitlement.objects.annotate(left=_LEFT).filter(package=OuterRef("pk"), left__gt=0)
    return list(
        ClientPackage.objects.filter(business=business, status=PackageStatus.ACTIVE, expires_on__gte=on,
                                     expires_on__lte=on + timedelta(days=within_days))
        .filter(Exists(has_left)).select_related("client", "plan")
        .annotate(remaining=_sum_of_entitlements(_LEFT), total=_sum_of_entitlements(F("total_units")))
        .order_by("expires_on", "id")[:limit]
    )


def _sum_of_entitlements(value) -> Subquery:
    per_package = Entitlement.objects.filter(package=OuterRef("pk")).values("package")
    return Subquery(per_package.annotate(sum=Sum(value)).values("sum"))


def low_balance_packages(*, business, on: date, at_most: int = 1, limit: int = 20) -> list[ClientPackage]:
    """Active, unexpired packages down to their last `at_most` session(s): time to offer a
    renewal. Each with `remaining` and `total` sessions.

    Summed over the entitlements alone (narrow rows, no client or plan joined to every active
    package), then the `limit` packages shown read with their client and plan."""
    rows = list(
        Entitlement.objects.filter(package__business=business, package__status=PackageStatus.ACTIVE,
                                   package__expires_on__gte=on)
        .values("package_id", "package__expires_on").annotate(remaining=Sum(_LEFT), total=Sum("total_units"))
        .filter(remaining__gt=0, remaining__lte=at_most)
        .order_by("remaining", "package__expires_on", "package_id")[:limit]
    )
    packages = ClientPackage.objects.select_related("client", "plan").in_bulk([r["package_id"] for r in rows])
    shown = []
    for r in rows:
        package = packages[r["package_id"]]
        package.remaining, package.total = r["remaining"], r["total"]
        shown.append(package)
    return shown


def member_discount_of(client: Client, *, on: date) -> ClientPackage | None:
    """The client's membership period in force today that gives a discount on services."""
    return (
        ClientPackage.objects.select_related("plan")
        .filter(client=client, plan__kind="membership", plan__member_discount_bp__gt=0,
                # Exhausted: her credits are used, but the period (and its discount) runs on.
                status__in=[PackageStatus.ACTIVE, PackageStatus.EXHAUSTED], purchased_on__lte=on, expires_on__gte=on)
        .order_by("-plan__member_discount_bp").first()
    )


def credit_available(client: Client, *, on: date) -> int:
    """Paise of value-package credit (face value) she can spend today."""
    from django.db.models import F, Sum

    total = (
        ClientPackage.objects.filter(client=client, plan__kind="value", status=PackageStatus.ACTIVE,
                                     purchased_on__lte=on, expires_on__gte=on)
        .aggregate(left=Sum(F("credit_total") - F("credit_used")))["left"]
    )
    return total or 0
