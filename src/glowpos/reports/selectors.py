"""Reports read through these selectors only. Every figure is aggregated in the database
(GROUP BY through values().annotate()); Python only merges and orders the grouped rows.

Each selector takes the business (every query is scoped by it), an optional list of branch
ids (None: every branch; a manager passes her own) and an optional database alias `using`,
so that the reports can be pointed at a read replica (docs/decisions/0005). Money is integer
paise; a movement of the deferred-revenue liability is credit-positive (a sale adds to it).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import (
    Func,
    BooleanField,
    CharField,
    Case,
    DateField,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Cast, Coalesce, Substr, TruncDate, TruncMonth
from django.utils import timezone

from glowpos.billing.models import BillLine, BillStatus, LineType
from glowpos.catalog.models import PlanKind, Service, TaxRate
from glowpos.documents.models import Document, DocumentKind
from glowpos.errors import NotFound, ValidationFailed
from glowpos.ledger import chart
from glowpos.ledger.chart import DEFERRED_REVENUE
from glowpos.ledger.models import Account, AccountType, EntryKind, JournalEntry, Posting
from glowpos.packages.models import ClientPackage, Entitlement, PackageStatus, Redemption, RedemptionStatus
from glowpos.tenancy.models import Branch, Business, StaffMember

INDIA = ZoneInfo("Asia/Kolkata")
Branches = Sequence[int] | None

# How each kind of journal entry moves the package liability (a reversal carries its
# original's kind, so a void nets out inside its own column).
MOVEMENT_OF_KIND = {
    EntryKind.SALE: "sold",
    EntryKind.OPENING: "sold",  # balances imported at onboarding are sales made before GlowPOS
    EntryKind.REDEMPTION: "recognized",
    EntryKind.BREAKAGE: "breakage",
    EntryKind.REFUND: "refunded",
}
MOVEMENTS = ("sold", "recognized", "breakage", "refunded")
MAX_PERIODS = 400


@contextmanager
def consistent_read(using: str | None = None) -> Iterator[None]:
    """Run a report's several queries against one snapshot of the database.

    On PostgreSQL a READ ONLY, REPEATABLE READ transaction: a bill closing between the
    roll-forward's queries cannot make opening + movements differ from closing. Inside an
    existing transaction (tests, a caller's atomic block) the caller's snapshot is used. On
    SQLite nothing is done: a transaction there takes the write lock (transaction_mode
    IMMEDIATE) and would stall the counter; one clinic's SQLite file is written rarely enough.
    """
    alias = using or DEFAULT_DB_ALIAS
    connection = connections[alias]
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with transaction.atomic(using=alias):
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def _in_branches(qs, field: str, branches: Branches):
    return qs if branches is None else qs.filter(**{f"{field}__in": list(branches)})


def _day_start(day: date) -> datetime:
    if day == date.min:  # its midnight in India is before UTC's first instant: no datetime holds it
        return datetime.min.replace(tzinfo=ZoneInfo("UTC"))
    return datetime.combine(day, time.min, tzinfo=INDIA)


def _after(day: date) -> datetime:
    """The first instant after `day` ends, in India (the end of date.max is the end of time)."""
    return _day_start(day + timedelta(days=1)) if day < date.max else datetime.max.replace(tzinfo=INDIA)


# Periods ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    key: str
    label: str
    start: date
    end: date


def periods(start: date, end: date, by: str) -> list[Period]:
    """The days or calendar months from start to end (the first and last may be partial)."""
    if by not in ("day", "month"):
        raise ValidationFailed("by: must be day or month.", fields={"by": "day or month."})
    out: list[Period] = []
    cursor = start
    while cursor <= end:
        if len(out) >= MAX_PERIODS:
            raise ValidationFailed(
                f"to: at most {MAX_PERIODS} {by}s in one report; choose a shorter period"
                + (" or by=month." if by == "day" else "."),
                fields={"to": "Period too long."},
            )
        if by == "day":
            last = cursor
            out.append(Period(cursor.isoformat(), cursor.strftime("%d %b %Y"), cursor, last))
        else:
            nxt = date(cursor.year + cursor.month // 12, cursor.month % 12 + 1, 1) if cursor < date(9999, 12, 1) \
                else date.max
            last = min(end, nxt - timedelta(days=1) if nxt != date.max else date.max)
            out.append(Period(cursor.strftime("%Y-%m"), cursor.strftime("%b %Y"), cursor, last))
        if last == date.max:
            break
        cursor = last + timedelta(days=1)
    return out


def _period_key(value, by: str) -> str:
    if isinstance(value, str):  # "YYYY-MM" from _trunc
        return value
    if isinstance(value, datetime):
        value = value.date()
    return value.isoformat() if by == "day" else value.strftime("%Y-%m")


def _trunc(field: str, by: str):
    """A date column's day, or its month as "YYYY-MM", in plain SQL on both databases (the
    first ten characters of a date cast to text are its ISO form). Django's TruncMonth is a
    Python function on SQLite, called once per row: ten times slower over a year of postings."""
    if by == "day":
        return F(field)
    return Substr(Cast(field, output_field=CharField()), 1, 7)


class _SqliteIndiaDay(Func):
    """A timestamp's day in India as "YYYY-MM-DD", in SQLite's own date function: India keeps
    UTC+05:30 all year (no daylight saving since 1945). Django's TruncDate with a zone is a
    Python function there, called once per row: 4.9 s over a year of a million sessions."""
    template = "date(%(expressions)s, '+330 minutes')"
    output_field = CharField()


def _local_period(field: str, by: str, using: str | None):
    """A timestamp's day (by="day") or month in India, for a GROUP BY: Django's truncation on
    PostgreSQL; on SQLite the text of _SqliteIndiaDay (its day, or its first seven characters)."""
    if connections[using or DEFAULT_DB_ALIAS].vendor == "sqlite":
        day = _SqliteIndiaDay(field)
        return day if by == "day" else Substr(day, 1, 7)
    return TruncDate(field, tzinfo=INDIA) if by == "day" else TruncMonth(field, tzinfo=INDIA)


def branch_names(*, business: Business, using: str | None = None) -> dict[int, Branch]:
    return {b.id: b for b in Branch.objects.using(using).filter(business=business).order_by("code")}


# Deferred revenue ---------------------------------------------------------------------------

def _deferred_postings(business: Business, branches: Branches, using: str | None):
    qs = Posting.objects.using(using).filter(account__business=business, account__code=DEFERRED_REVENUE)
    return _in_branches(qs, "entry__branch_id", branches)


def _blank_row() -> dict[str, int]:
    return {"opening": 0, **dict.fromkeys(MOVEMENTS, 0), "other": 0}


def _close(row: dict[str, int], ledger: int) -> dict:
    closing = row["opening"] + row["sold"] - row["recognized"] - row["breakage"] - row["refunded"]
    return {**row, "closing": closing, "ledger": ledger, "difference": ledger - closing,
            "ties": ledger == closing}


def _add_movement(row: dict[str, int], kind: str, amount: int) -> None:
    """`amount` is the signed (debit-positive) sum of deferred-revenue postings of one kind."""
    movement = MOVEMENT_OF_KIND.get(kind, "other")
    row[movement] += -amount if movement in ("sold", "other") else amount


def deferred_revenue(*, business: Business, start: date, end: date, branch: Branch | int | None = None,
                     using: str | None = None) -> dict[str, int]:
    """opening + sold − recognized − breakage − refunded = closing, from the ledger itself.

    Each movement is the credit-positive sum of deferred-revenue postings of that kind of
    entry in the period (a reversal carries its original's kind, so a void nets out); closing
    is the ledger's balance at the end of `end`. With `branch`, the entries of that branch.
    """
    branches = None if branch is None else [getattr(branch, "id", branch)]
    report = deferred_rollforward(business=business, start=start, end=end, branches=branches,
                                  using=using, by=None)
    total = report["total"]
    return {
        "opening": total["opening"], "sold": total["sold"], "recognized": total["recognized"],
        "breakage": total["breakage"], "refunded": total["refunded"], "closing": total["ledger"],
    }


def deferred_rollforward(*, business: Business, start: date, end: date, by: str | None = "month",
                         branches: Branches = None, using: str | None = None) -> dict:
    """The package liability rolled forward, per branch and per period (by=None: totals only).

    Each row: opening, sold, recognized, breakage, refunded, other (entries of a kind this
    report does not know; non-zero means the report is out of date), closing = opening + sold −
    recognized − breakage − refunded, and `ledger`: the ledger's balance of Deferred revenue at
    the end of the period, computed without looking at kinds. `ties` is closing == ledger.
    """
    listed = periods(start, end, by) if by else []
    # One pass over the deferred-revenue postings up to `end`, grouped by branch, kind of entry and
    # day (NULL: before the period, the opening; by=None: one bucket for the period): opening,
    # movements and the ledger's closing balance all come from the same rows, so one statement
    # reads one snapshot. The ledger's balance is every row's sum, whatever its kind.
    in_period = F("date") if by else Value(end)
    day = Case(When(date__lt=start, then=Value(None, output_field=DateField())), default=in_period,
               output_field=DateField())
    grouped = list(
        _deferred_postings(business, branches, using).filter(date__lte=end).annotate(day=day)
        .values("entry__branch_id", "entry__kind", "day").annotate(s=Sum("amount")).order_by()
    )
    opening: dict[int, int] = defaultdict(int)
    ledger: dict[int, int] = defaultdict(int)
    moved: dict[tuple, int] = defaultdict(int)
    for r in grouped:
        ledger[r["entry__branch_id"]] += r["s"]
        if r["day"] is None:
            opening[r["entry__branch_id"]] += r["s"]
        else:
            moved[(r["entry__branch_id"], r["entry__kind"], _period_key(r["day"], by) if by else None)] += r["s"]
    moved = [{"entry__branch_id": b, "entry__kind": k, "period": p, "s": v} for (b, k, p), v in moved.items()]
    names = branch_names(business=business, using=using)

    by_branch: dict[int, dict[str, int]] = defaultdict(_blank_row)
    by_period: dict[str, dict[str, int]] = defaultdict(_blank_row)
    total = _blank_row()
    for branch_id, amount in opening.items():
        by_branch[branch_id]["opening"] = -amount
        total["opening"] += -amount
    for row in moved:
        for target in (by_branch[row["entry__branch_id"]], total):
            _add_movement(target, row["entry__kind"], row["s"])
        if by:
            _add_movement(by_period[_period_key(row["period"], by)], row["entry__kind"], row["s"])
    for branch_id in ledger:
        by_branch[branch_id]  # a branch whose balance did not move still has a row

    branch_rows = []
    for branch_id in sorted(by_branch, key=lambda i: names[i].code):
        b = names[branch_id]
        branch_rows.append({"branch_id": b.id, "branch_code": b.code, "branch_name": b.name,
                            **_close(by_branch[branch_id], -ledger.get(branch_id, 0))})
    period_rows = []
    running = total["opening"]
    for p in listed:
        row = by_period.get(p.key, _blank_row())
        row["opening"] = running
        closed = _close(row, 0)
        running = closed["closing"] + row["other"]  # the ledger moves by the unknown kinds too
        period_rows.append({"period": p.key, "label": p.label, "start": p.start.isoformat(),
                            "end": p.end.isoformat(), **{k: v for k, v in closed.items()
                                                         if k not in ("ledger", "difference", "ties")}})
    return {
        "from": start.isoformat(), "to": end.isoformat(), "by": by,
        "total": _close(total, -sum(ledger.values())),
        "branches": branch_rows,
        "periods": period_rows,
    }


# Outstanding liability ----------------------------------------------------------------------

# Packages whose unredeemed value is still on the books. An expired package is here until the
# expiry job posts its breakage (it is `active` with a past expiry date until then); an
# exhausted package owes nothing (its posted units add up to its value); a package the job
# expired, a refunded (cancelled) or a transferred one is not on the books any more.
OWED_STATUSES = (PackageStatus.ACTIVE, PackageStatus.FROZEN)
AGEING = (  # (key, label, youngest age in days, oldest) by days since the sale
    ("age_0_90", "0–90 days", 0, 90),
    ("age_91_180", "91–180 days", 91, 180),
    ("age_181_365", "181–365 days", 181, 365),
    ("age_over_365", "Over a year", 366, None),
)


def _owed_packages(business: Business, branches: Branches, using: str | None, *, value: bool = False):
    """Packages still owed, in the branches that sold them (imported ones: no branch, so only
    someone who sees every branch sees them): session packages (deferred revenue), or with
    `value` the value packages (client credit: money held, no supply yet)."""
    qs = ClientPackage.objects.using(using).filter(business=business, status__in=OWED_STATUSES)
    qs = qs.filter(plan__kind=PlanKind.VALUE) if value else qs.exclude(plan__kind=PlanKind.VALUE)
    return _in_branches(qs, "sale_bill__branch_id", branches)


def _age_q(prefix: str, on: date, youngest: int, oldest: int | None) -> Q:
    q = Q(**{f"{prefix}purchased_on__lte": on - timedelta(days=youngest)})
    if oldest is not None:
        q &= Q(**{f"{prefix}purchased_on__gte": on - timedelta(days=oldest)})
    return q


def _package_rows(packages, fields: tuple[str, ...], order: tuple[str, ...], limit: int | None,
                  using: str | None) -> list[dict]:
    """Packages as rows with the value recognized on them, the money and the sessions left:
    one GROUP BY over package ⟕ entitlement (each entitlement keeps its posted value, so no
    redemption is read)."""
    rows_qs = (
        packages.annotate(recognized=Coalesce(Sum("entitlements__posted_value"), 0),
                          sessions_left=Coalesce(Sum(F("entitlements__total_units")
                                                     - F("entitlements__used_units")), 0))
        .annotate(money_left=F("taxable") - F("recognized"))
        .values("id", *fields, "taxable", "recognized", "money_left", "sessions_left").order_by(*order)
    )
    return list(rows_qs[:limit] if limit else rows_qs)


def _with_sessions_left(packages):
    """Only packages with a session left (an EXISTS, a semi-join)."""
    return packages.filter(Exists(Entitlement.objects.filter(package=OuterRef("pk"),
                                                             used_units__lt=F("total_units"))))


def _owed_by(group: str | None, business: Business, on: date, branches: Branches, using: str | None):
    """Value, sessions and recognized value of the packages owed, in total (group=None) or per
    client, with the value per age bucket: one GROUP BY over their entitlements, which keep
    their posted value (no pass over the redemptions)."""
    packages = _owed_packages(business, branches, using)
    ents = Entitlement.objects.using(using).filter(package__in=packages)
    agg = {"value": Sum("taxable_value"), "left": Sum(F("total_units") - F("used_units")),
           "packages": Count("package", distinct=True), "recognized": Sum("posted_value")}
    for key, _, lo, hi in AGEING:
        agg[key] = Sum(F("taxable_value") - F("posted_value"), filter=_age_q("package__", on, lo, hi))
    if group is None:
        return ents.aggregate(**agg)
    # The client's name and phone go along in the GROUP BY (they depend on the client alone).
    return list(ents.values("package__client_id", "package__client__name", "package__client__phone")
                .annotate(**agg).order_by())


def _left(owed: dict) -> dict:
    row = {"packages": owed["packages"] or 0, "sessions_left": owed["left"] or 0,
           "money_left": (owed["value"] or 0) - (owed["recognized"] or 0)}
    for key, _, _, _ in AGEING:
        row[key] = owed[key] or 0
    return row


def _owed_package_rows(business: Business, on: date, branches: Branches, limit: int | None,
                       using: str | None) -> list[dict]:
    """The packages still owed, largest balance first, with their status on `on` and age."""
    rows = _package_rows(
        _owed_packages(business, branches, using),
        ("client_id", "client__name", "client__phone", "plan__code", "plan__name", "purchased_on", "expires_on",
         "status", "price", "sale_bill__branch__code"),
        ("-money_left", "id"), limit, using,
    )
    for r in rows:
        r["effective_status"] = PackageStatus.EXPIRED if r["expires_on"] < on else r["status"]
        r["age_days"] = (on - r["purchased_on"]).days
    return rows


def liability_by_package(*, business: Business, on: date | None = None, branches: Branches = None,
                         limit: int | None = None, using: str | None = None) -> dict:
    """Every package still owed: sessions and money (taxable value not yet recognized) left,
    its age since the sale, and totals with the ageing. Largest balance first."""
    on = on or timezone.localdate()
    rows = _owed_package_rows(business, on, branches, limit, using)
    totals = _left(_owed_by(None, business, on, branches, using))
    counts = _owed_packages(business, branches, using).aggregate(clients=Count("client_id", distinct=True))
    return {
        "on": on.isoformat(), "packages": rows, "count": totals["packages"], "clients": counts["clients"],
        "totals": {"sessions_left": totals["sessions_left"], "money_left": totals["money_left"],
                   "ageing": [{"key": key, "label": label, "money_left": totals[key]}
                              for key, label, _, _ in AGEING]},
    }


def liability(*, business: Business, on: date | None = None, branches: Branches = None,
              limit: int | None = None, using: str | None = None) -> dict:
    """The outstanding-liability report in one go: liability_by_package's rows and counts with
    liability_by_client's rows, the totals added up from the per-client grouped rows (every
    package belongs to one client) instead of two more passes over the redemptions."""
    on = on or timezone.localdate()
    by_client = liability_by_client(business=business, on=on, branches=branches, using=using, _all=True)
    rows = _owed_package_rows(business, on, branches, limit, using)
    sessions = [r for r in by_client if r["sessions_packages"]]
    totals = {k: sum(r[k] for r in sessions) for k in ("sessions_packages", "sessions_left", "money_left",
                                                         *(key for key, *_ in AGEING))}
    return {
        "on": on.isoformat(), "packages": rows, "count": totals["sessions_packages"], "clients": len(sessions),
        "totals": {"sessions_left": totals["sessions_left"], "money_left": totals["money_left"],
                   "ageing": [{"key": key, "label": label, "money_left": totals[key]}
                              for key, label, _, _ in AGEING]},
        "by_client": by_client[:limit] if limit else by_client,
    }


def liability_by_client(*, business: Business, on: date | None = None, branches: Branches = None,
                        limit: int | None = None, using: str | None = None, _all: bool = False) -> list[dict]:
    """Per client: packages, sessions and money left, and the money by age of the sale, and
    apart from them her client credit (value packages' unspent money); largest balance (money
    left + client credit) first. Three GROUP BY client queries, merged by client."""
    on = on or timezone.localdate()
    rows = {
        r["package__client_id"]: {
            "client_id": r["package__client_id"], "client_name": r["package__client__name"],
            "phone": r["package__client__phone"], **_left(r),
            "client_credit": 0, "sessions_packages": r["packages"] or 0}
        for r in _owed_by("client_id", business, on, branches, using)
    }
    for r in (_owed_packages(business, branches, using, value=True)
              .values("client_id", "client__name", "client__phone")
              .annotate(credit=Sum(F("price") - F("credit_money_used")), n=Count("id")).order_by()):
        row = rows.get(r["client_id"])
        if row is None:
            row = rows[r["client_id"]] = {
                "client_id": r["client_id"], "client_name": r["client__name"], "phone": r["client__phone"],
                **_left({"packages": 0, "left": 0, "value": 0, "recognized": 0,
                         **dict.fromkeys(k for k, *_ in AGEING)}),
                "sessions_packages": 0}
        row["packages"] += r["n"]
        row["client_credit"] = r["credit"] or 0
    out = sorted(rows.values(), key=lambda r: (-(r["money_left"] + r["client_credit"]), r["client_name"],
                                                r["client_id"]))
    return out[:limit] if limit and not _all else out


def client_credit(*, business: Business, on: date | None = None, branches: Branches = None,
                  limit: int | None = None, using: str | None = None) -> dict:
    """Value packages still owed: the money paid for them not yet spent (price − the money the
    spends consumed), which the ledger holds as Client credit (no supply yet, so no GST), and
    the face value of credit left; largest first, with totals (SQL aggregates) and the ageing."""
    on = on or timezone.localdate()
    packages = _owed_packages(business, branches, using, value=True)
    money_left = F("price") - F("credit_money_used")
    rows_qs = (
        packages.annotate(money_left=money_left, credit_left=F("credit_total") - F("credit_used"))
        .values("id", "client_id", "client__name", "client__phone", "plan__code", "plan__name", "purchased_on",
                "expires_on", "status", "price", "sale_bill__branch__code", "credit_left", "money_left")
        .order_by("-money_left", "id")
    )
    rows = list(rows_qs[:limit] if limit else rows_qs)
    for r in rows:
        r["effective_status"] = PackageStatus.EXPIRED if r["expires_on"] < on else r["status"]
        r["age_days"] = (on - r["purchased_on"]).days
    totals = packages.aggregate(
        packages=Count("id"), clients=Count("client_id", distinct=True),
        credit_left=Coalesce(Sum(F("credit_total") - F("credit_used")), 0), money_left=Coalesce(Sum(money_left), 0),
        **{key: Coalesce(Sum(money_left, filter=_age_q("", on, lo, hi)), 0) for key, _, lo, hi in AGEING},
    )
    return {
        "on": on.isoformat(), "packages": rows, "count": totals["packages"], "clients": totals["clients"],
        "totals": {"credit_left": totals["credit_left"], "money_left": totals["money_left"],
                   "ageing": [{"key": key, "label": label, "money_left": totals[key]}
                              for key, label, _, _ in AGEING]},
    }


def ledger_liability_balance(*, business: Business, account: str, as_of: date, using: str | None = None) -> int:
    """A liability account's balance in the ledger (credit-positive) at the end of `as_of`, every branch."""
    total = (Posting.objects.using(using).filter(account__business=business, account__code=account,
                                                 date__lte=as_of).aggregate(s=Sum("amount"))["s"])
    return -(total or 0)


def ledger_deferred_balance(*, business: Business, as_of: date, using: str | None = None) -> int:
    """The ledger's deferred revenue (credit-positive) at the end of `as_of`, every branch."""
    return ledger_liability_balance(business=business, account=DEFERRED_REVENUE, as_of=as_of, using=using)


def ledger_client_credit_balance(*, business: Business, as_of: date, using: str | None = None) -> int:
    """The ledger's client credit (value packages' money held, credit-positive) at the end of `as_of`."""
    return ledger_liability_balance(business=business, account=chart.CLIENT_CREDIT, as_of=as_of, using=using)


# Packages expiring soon ---------------------------------------------------------------------

EXPIRY_WINDOWS = (7, 30, 90)


def expiring(*, business: Business, within: int = 30, on: date | None = None, branches: Branches = None,
             using: str | None = None) -> dict:
    """Active or frozen packages with sessions left that expire within `within` days of `on`,
    soonest first, with the client's phone (the owner calls them), and how many packages and
    how much money expire within 7, 30 and 90 days."""
    if within not in EXPIRY_WINDOWS:
        raise ValidationFailed("within: must be 7, 30 or 90.", fields={"within": "7, 30 or 90."})
    on = on or timezone.localdate()
    base = _with_sessions_left(_in_branches(
        ClientPackage.objects.using(using).filter(
            business=business, status__in=(PackageStatus.ACTIVE, PackageStatus.FROZEN),
            expires_on__gte=on, expires_on__lte=on + timedelta(days=max(EXPIRY_WINDOWS))),
        "sale_bill__branch_id", branches,
    ))
    within_q = {d: on + timedelta(days=d) for d in EXPIRY_WINDOWS}
    sold = base.aggregate(**{
        f"{what}_{d}": Coalesce(agg, 0) for d, last in within_q.items()
        for what, agg in (("count", Count("id", filter=Q(expires_on__lte=last))),
                          ("value", Sum("taxable", filter=Q(expires_on__lte=last))))
    })
    used = Entitlement.objects.using(using).filter(package__in=base).aggregate(
        **{f"used_{d}": Coalesce(Sum("posted_value", filter=Q(package__expires_on__lte=last)), 0)
           for d, last in within_q.items()})
    rows = _package_rows(
        base.filter(expires_on__lte=on + timedelta(days=within)),
        ("client_id", "client__name", "client__phone", "plan__code", "plan__name", "status", "purchased_on",
         "expires_on", "sale_bill__branch__code"),
        ("expires_on", "client__name", "id"), None, using,
    )
    for r in rows:
        r["days_left"] = (r["expires_on"] - on).days
    return {"on": on.isoformat(), "within": within, "packages": rows,
            "windows": [{"days": d, "count": sold[f"count_{d}"], "money_left": sold[f"value_{d}"] - used[f"used_{d}"]}
                        for d in EXPIRY_WINDOWS]}


# Sessions redeemed --------------------------------------------------------------------------

REDEMPTION_GROUPS = {  # group → the redemption's column (the names are read apart, a few rows)
    "service": "entitlement__service_id",
    "staff": "by_id",  # who applied the package at the counter
    "branch": "bill__branch_id",
    "practitioner": "line__practitioner_id",  # who performed the session (None: not recorded)
}
NOT_RECORDED = "Not recorded"


def _staff_names(ids: set[int], using: str | None) -> dict[int, str]:
    """Staff members' names as the counter shows them (a few rows: the staff in the period)."""
    return {s.id: s.display_name for s in StaffMember.objects.using(using).filter(id__in=ids).select_related("user")}


def redemptions(*, business: Business, start: date, end: date, branches: Branches = None,
                using: str | None = None) -> dict:
    """Sessions redeemed (posted, not reversed) in the period, by service, by staff member who
    applied the package, by branch, by practitioner who performed them (the line's; "Not
    recorded" when the counter did not say) and by day (by month for periods longer than a
    month); `value` is the revenue recognized for them.

    One GROUP BY (service, staff, branch, practitioner, day or month) over the period's
    redemptions — a few thousand grouped rows however many sessions — which Python adds up five
    ways; five GROUP BYs would read the redemptions (and join their bills) five times."""
    base = _in_branches(
        Redemption.objects.using(using).filter(
            business=business, status=RedemptionStatus.POSTED,
            posted_at__gte=_day_start(start), posted_at__lt=_after(end)),
        "bill__branch_id", branches,
    )
    # By day for a month or less, by month beyond (a year of daily bars says little).
    by = "day" if (end - start).days <= 31 else "month"
    trunc = _local_period("posted_at", by, using)
    grouped = list(
        base.annotate(period=trunc).values("period", *REDEMPTION_GROUPS.values())
        .annotate(sessions=Count("id"), value=Sum("value")).order_by()
    )
    ids = {group: {r[key] for r in grouped} for group, key in REDEMPTION_GROUPS.items()}
    names = {
        "service": dict(Service.objects.using(using).filter(id__in=ids["service"]).values_list("id", "name")),
        "staff": _staff_names(ids["staff"], using),
        "practitioner": {None: NOT_RECORDED, **_staff_names(ids["practitioner"] - {None}, using)},
        "branch": dict(Branch.objects.using(using).filter(id__in=ids["branch"]).values_list("id", "code")),
    }
    out: dict = {"from": start.isoformat(), "to": end.isoformat()}
    for group, key in REDEMPTION_GROUPS.items():
        sums: dict = defaultdict(lambda: [0, 0])
        for r in grouped:
            sums[r[key]][0] += r["sessions"]
            sums[r[key]][1] += r["value"] or 0
        rows = [{"id": i, "name": names[group].get(i), "sessions": n, "value": v} for i, (n, v) in sums.items()]
        rows.sort(key=lambda r: (-r["sessions"], r["id"] is None, r["name"] or ""))  # "Not recorded" last of a tie
        out[f"by_{group}"] = rows
    per_period: dict = defaultdict(lambda: [0, 0])
    for r in grouped:
        key = _period_key(r["period"], by)
        per_period[key][0] += r["sessions"]
        per_period[key][1] += r["value"] or 0
    out["by"] = by
    out["by_period"] = [
        {"period": p.key, "label": p.label, "sessions": per_period.get(p.key, (0, 0))[0],
         "value": per_period.get(p.key, (0, 0))[1]}
        for p in periods(start, end, by)
    ]
    out["total"] = {"sessions": sum(r["sessions"] for r in grouped),
                    "value": sum(r["value"] or 0 for r in grouped)}
    return out


# Revenue recognized vs cash collected -------------------------------------------------------

CASH_ACCOUNTS = (chart.CASH, chart.CARD, chart.UPI)
REVENUE_ACCOUNTS = (chart.SERVICE_REVENUE, chart.PRODUCT_REVENUE, chart.BREAKAGE_INCOME)
TAX_ACCOUNTS = (chart.OUTPUT_CGST, chart.OUTPUT_SGST, chart.OUTPUT_IGST)


def revenue_vs_cash(*, business: Business, start: date, end: date, by: str = "day",
                    branches: Branches = None, using: str | None = None) -> dict:
    """Per day or month: cash collected (cash, card, UPI), revenue recognized (services,
    products, breakage), and where the difference went: cash = revenue + package liability
    added + GST + other (round-off, discounts, client credit), to the paisa, because every
    entry balances and all its postings share its date and branch."""
    listed = periods(start, end, by)
    column = {**dict.fromkeys(CASH_ACCOUNTS, "cash"), **dict.fromkeys(REVENUE_ACCOUNTS, "revenue"),
              DEFERRED_REVENUE: "deferred", **dict.fromkeys(TAX_ACCOUNTS, "tax")}
    codes = dict(Account.objects.using(using).filter(business=business).values_list("id", "code"))
    qs = _in_branches(
        Posting.objects.using(using).filter(account_id__in=list(codes), date__gte=start, date__lte=end),
        "entry__branch_id", branches,
    )
    # One GROUP BY account and day (or month) — no join to the accounts, no filter per column —
    # and Python files each account's sums under its column.
    # Grouped by day even for months: a date is cheaper to group by than its text (≤ 366 rows a
    # year per account).
    grouped: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in qs.values("date", "account_id").annotate(s=Sum("amount")).order_by():
        grouped[_period_key(r["date"], by)][column.get(codes[r["account_id"]], "other")] += r["s"]
    rows = []
    for p in listed:
        g = grouped.get(p.key, {})
        rows.append({
            "period": p.key, "label": p.label,
            "cash_collected": g.get("cash") or 0,
            "revenue_recognized": -(g.get("revenue") or 0),
            "deferred_added": -(g.get("deferred") or 0),
            "gst": -(g.get("tax") or 0),
            "other": -(g.get("other") or 0),
        })
    keys = ("cash_collected", "revenue_recognized", "deferred_added", "gst", "other")
    return {"from": start.isoformat(), "to": end.isoformat(), "by": by, "rows": rows,
            "total": {k: sum(r[k] for r in rows) for k in keys}}


# GST ----------------------------------------------------------------------------------------

# Documents that declare outward supplies; a credit note takes its original's supplies back.
SUPPLY_DOCUMENTS = (DocumentKind.TAX_INVOICE, DocumentKind.BILL_OF_SUPPLY,
                    DocumentKind.INVOICE_CUM_BILL_OF_SUPPLY)
GST_DOCUMENTS = SUPPLY_DOCUMENTS + (DocumentKind.CREDIT_NOTE,)


def _document_lines(business: Business, start: date, end: date, branches: Branches, using: str | None):
    """The charged lines of the documents issued in the period, one row per (document, line):
    a voided bill's lines appear twice, under its invoice and under its credit note. The
    document's fields are annotations (doc_id, doc_kind, …): filter on those, never on
    bill__documents again, which would join the documents a second time.

    The lines of a closed bill are frozen (no service changes a bill once it is closed), and
    the document's snapshot was written from exactly these rows; the GST summary checks that
    their sums equal the documents' own totals."""
    lines = BillLine.objects.using(using).filter(
        bill__business=business, bill__documents__date__gte=start, bill__documents__date__lte=end,
        bill__documents__kind__in=GST_DOCUMENTS,
    ).exclude(type=LineType.REDEMPTION)
    lines = _in_branches(lines, "bill__branch_id", branches)
    # B2B or B2C as printed on the document (the client's GSTIN may have changed since).
    registered = Case(When(gstin_kt="", then=Value(False)), default=Value(True), output_field=BooleanField())
    sign = Case(When(doc_kind=DocumentKind.CREDIT_NOTE, then=Value(-1)), default=Value(1),
                output_field=IntegerField())
    return lines.annotate(
        doc_id=F("bill__documents__id"), doc_kind=F("bill__documents__kind"),
        doc_number=F("bill__documents__number"), doc_date=F("bill__documents__date"),
        doc_total=F("bill__documents__total"), doc_original=F("bill__documents__original_id"),
        gstin_kt=_recipient_gstin("bill__documents__snapshot"),
    ).annotate(registered=registered, sign=sign)


def _recipient_gstin(snapshot: str):
    """The recipient's GSTIN printed on a document ("" for an unregistered client)."""
    return Coalesce(KeyTextTransform("gstin", KeyTransform("recipient", snapshot)), Value(""),
                    output_field=CharField())


def _signed_sums() -> dict:
    return {f: Sum(F(f) * F("sign")) for f in ("taxable", "cgst", "sgst", "igst")}


def gst_summary(*, business: Business, start: date, end: date, branches: Branches = None,
                using: str | None = None) -> dict:
    """Outward supplies of the period by B2B/B2C, SAC/HSN and rate (credit notes negative),
    with the documents' own totals beside them (they must agree) and the ledger's output tax."""
    rows = [
        {"b2b": r["registered"], "code": r["code"], "rate_bp": r["rate_bp"], "exempt": r["exempt"],
         "taxable": r["taxable"], "cgst": r["cgst"], "sgst": r["sgst"], "igst": r["igst"],
         "tax": r["cgst"] + r["sgst"] + r["igst"], "documents": r["documents"]}
        for r in _document_lines(business, start, end, branches, using)
        .values("registered", "code", "rate_bp", "exempt")
        .annotate(**_signed_sums(), documents=Count("doc_id", distinct=True))
        .order_by("-registered", "code", "rate_bp", "exempt")
    ]
    descriptions = tax_code_descriptions(business=business, using=using)
    for r in rows:
        r["description"] = descriptions.get(r["code"], "")
    docs = _in_branches(
        Document.objects.using(using).filter(business=business, date__gte=start, date__lte=end,
                                             kind__in=GST_DOCUMENTS),
        "branch_id", branches,
    )
    sign = Case(When(kind=DocumentKind.CREDIT_NOTE, then=Value(-1)), default=Value(1), output_field=IntegerField())
    header = docs.annotate(sign=sign).aggregate(**_signed_sums())
    header = {k: v or 0 for k, v in header.items()}
    tax_ledger = _in_branches(
        Posting.objects.using(using).filter(account__business=business, account__code__in=TAX_ACCOUNTS,
                                            date__gte=start, date__lte=end),
        "entry__branch_id", branches,
    ).values("account__code").annotate(s=Sum("amount")).order_by()
    ledger = {r["account__code"].removeprefix("output_"): -r["s"] for r in tax_ledger}
    keys = ("taxable", "cgst", "sgst", "igst", "tax")
    total = {k: sum(r[k] for r in rows) for k in keys}
    header["tax"] = header["cgst"] + header["sgst"] + header["igst"]
    return {
        "from": start.isoformat(), "to": end.isoformat(), "rows": rows,
        "b2b": {k: sum(r[k] for r in rows if r["b2b"]) for k in keys},
        "b2c": {k: sum(r[k] for r in rows if not r["b2b"]) for k in keys},
        "total": total,
        "documents": header,
        "ties_to_documents": all(total[k] == header[k] for k in keys),
        "ledger": {k: ledger.get(k, 0) for k in ("cgst", "sgst", "igst")},
        "ties_to_ledger": all(total[k] == ledger.get(k, 0) for k in ("cgst", "sgst", "igst")),
    }


def tax_code_descriptions(*, business: Business, using: str | None = None) -> dict[str, str]:
    return dict(
        TaxRate.objects.using(using).filter(business=business).order_by("code", "effective_from")
        .values_list("code", "description")
    )


def b2cl_limit(on: date) -> int:
    """Invoice value (paise) above which an inter-state supply to an unregistered person is
    reported invoice by invoice (B2CL): ₹2.5 lakh, ₹1 lakh from 1 August 2024."""
    return 1_00_000_00 if on >= date(2024, 8, 1) else 2_50_000_00


def gstr1_lines(*, business: Business, gstin: str, start: date, end: date, using: str | None = None) -> dict:
    """The grouped rows the GSTR-1 of one GSTIN for one period is made of (reports/gstr1.py
    shapes them into the portal's JSON).

    b2b / cdnr: invoices / credit notes to registered recipients, per document and rate.
    b2cl / cdnur: inter-state invoices to unregistered recipients above the B2CL limit, per
    document and rate, and the credit notes of such invoices. b2cs: everything else to
    unregistered recipients, per place of supply and rate, credit notes netted. hsn: per
    SAC/HSN and rate, credit notes netted. nil: exempt and nil-rated values. series: the
    documents issued."""
    branch_ids = list(Branch.objects.using(using).filter(business=business, gstin=gstin)
                      .values_list("id", flat=True))
    if not branch_ids:
        raise NotFound("No branch of this business has that GSTIN.")
    branch = Branch.objects.using(using).filter(id__in=branch_ids).order_by("id").first()
    lines = _document_lines(business, start, end, branch_ids, using).annotate(
        # Services on a person are supplied where performed; goods shipped out of state go there.
        pos=Case(When(~Q(igst=0), then=F("bill__ship_to_state_code")), default=F("bill__branch__state_code")),
    )
    taxed = lines.filter(exempt=False)
    # B2CL invoices of the period, and the invoices the period's credit notes correct: a few ids,
    # found first so the big line queries below filter on a literal list.
    credited = Document.objects.using(using).filter(
        business=business, branch_id__in=branch_ids, kind=DocumentKind.CREDIT_NOTE, date__gte=start,
        date__lte=end).values("original_id")
    large = list(
        Document.objects.using(using).filter(
            Q(date__gte=start, date__lte=end) | Q(id__in=credited),
            business=business, branch_id__in=branch_ids, kind__in=SUPPLY_DOCUMENTS, igst__gt=0,
        ).filter(total__gt=b2cl_limit(end)).annotate(gstin_kt=_recipient_gstin("snapshot"))
        .filter(gstin_kt="").values_list("id", flat=True)
    )
    if large:
        # A Case, not a negated Q: an invoice's doc_original is NULL, and NOT (… IN … OR NULL) is NULL.
        taxed = taxed.annotate(large=Case(When(Q(doc_id__in=large) | Q(doc_original__in=large), then=Value(True)),
                                          default=Value(False), output_field=BooleanField()))
    else:
        taxed = taxed.annotate(large=Value(False, output_field=BooleanField()))
    per_document = ("doc_id", "doc_kind", "doc_number", "doc_date", "doc_total", "gstin_kt", "rate_bp")
    sums = {f: Sum(f) for f in ("taxable", "cgst", "sgst", "igst")}
    order = ("gstin_kt", "doc_date", "doc_number", "rate_bp")
    registered = list(taxed.filter(registered=True).values(*per_document).annotate(**sums, pos=Max("pos"))
                      .order_by(*order))
    unregistered_large = list(
        taxed.filter(registered=False, large=True).values(*per_document).annotate(**sums, pos=Max("pos"))
        .order_by(*order)
    ) if large else []
    hsn = list(
        lines.values("registered", "code", "rate_bp").annotate(
            **_signed_sums(), quantity=Sum(F("quantity") * F("sign")), value=Sum(F("amount") * F("sign")))
        .order_by("code", "rate_bp", "registered")
    )
    nil_kind = Q(exempt=True) | Q(rate_bp=0)
    return {
        "state_code": branch.state_code,
        "b2b": [r for r in registered if r["doc_kind"] != DocumentKind.CREDIT_NOTE],
        "cdnr": [r for r in registered if r["doc_kind"] == DocumentKind.CREDIT_NOTE],
        "b2cl": [r for r in unregistered_large if r["doc_kind"] != DocumentKind.CREDIT_NOTE],
        "cdnur": [r for r in unregistered_large if r["doc_kind"] == DocumentKind.CREDIT_NOTE],
        "b2cs": list(
            taxed.filter(registered=False, large=False).values("pos", "rate_bp")
            .annotate(**_signed_sums()).order_by("pos", "rate_bp")
        ),
        "hsn": _merge_hsn(hsn),
        "hsn_b2b": [r for r in hsn if r["registered"]],
        "hsn_b2c": [r for r in hsn if not r["registered"]],
        "nil": list(
            lines.filter(nil_kind).annotate(inter=Case(
                When(~Q(pos=F("bill__branch__state_code")), then=Value(True)), default=Value(False),
                output_field=BooleanField()))
            .values("registered", "inter", "exempt").annotate(taxable=Sum(F("taxable") * F("sign"))).order_by()
        ),
        "series": document_series(business=business, start=start, end=end, branches=branch_ids,
                                  using=using)["rows"],
    }


def _merge_hsn(rows: list[dict]) -> list[dict]:
    """The HSN summary without the B2B/B2C split: the grouped rows of each code and rate added."""
    merged: dict[tuple, dict] = {}
    for r in rows:
        key = (r["code"], r["rate_bp"])
        if key not in merged:
            merged[key] = {k: v for k, v in r.items() if k != "registered"}
        else:
            for k in ("taxable", "cgst", "sgst", "igst", "quantity", "value"):
                merged[key][k] += r[k]
    return list(merged.values())


# Documents ----------------------------------------------------------------------------------

def document_series(*, business: Business, start: date, end: date, branches: Branches = None,
                    using: str | None = None) -> dict:
    """Per series, the documents dated in the period: first and last number, how many, how
    many were cancelled (voided: a credit note cites them), and whether the numbers between
    first and last are all there."""
    docs = _in_branches(
        Document.objects.using(using).filter(business=business, date__gte=start, date__lte=end),
        "branch_id", branches,
    )
    # Cancelled: issued, then voided (a credit note cites it, or a ₹0 note was reversed). Counted
    # apart from the voided bills' side (few), so the big GROUP BY joins no bill: plain counts over
    # the documents (each joins one series and one branch; a COUNT DISTINCT would sort every group).
    cancelled = dict(
        docs.filter(bill__status=BillStatus.VOIDED).exclude(kind=DocumentKind.CREDIT_NOTE)
        .values_list("series_id").annotate(n=Count("id")).values_list("series_id", "n").order_by()
    )
    rows = []
    for r in (
        docs.values("series_id", "series__prefix", "series__fy", "kind", "branch__code")
        .annotate(first=Min("number"), last=Max("number"), first_seq=Min("seq"), last_seq=Max("seq"),
                  count=Count("id"))
        .order_by("branch__code", "series__fy", "kind")
    ):
        r["cancelled"] = cancelled.get(r["series_id"], 0)
        rows.append({
            "series_id": r["series_id"], "branch_code": r["branch__code"], "kind": r["kind"],
            "kind_label": DocumentKind(r["kind"]).label, "prefix": r["series__prefix"], "fy": r["series__fy"],
            "first": r["first"], "last": r["last"], "count": r["count"], "cancelled": r["cancelled"],
            "net_issued": r["count"] - r["cancelled"],
            "missing": r["last_seq"] - r["first_seq"] + 1 - r["count"],
        })
    return {"from": start.isoformat(), "to": end.isoformat(), "rows": rows,
            "total": {k: sum(r[k] for r in rows) for k in ("count", "cancelled", "net_issued", "missing")}}


# Trial balance and general ledger -----------------------------------------------------------

TYPE_ORDER = [AccountType.ASSET, AccountType.LIABILITY, AccountType.EQUITY, AccountType.INCOME,
              AccountType.EXPENSE]
TYPE_HEADINGS = {"asset": "Assets", "liability": "Liabilities", "equity": "Equity", "income": "Income",
                 "expense": "Expenses"}


def trial_balance(*, business: Business, start: date, end: date, branches: Branches = None,
                  using: str | None = None) -> dict:
    """Every account: balance before the period, debits and credits in it, closing balance
    (signed, debit positive). Debits equal credits and the closings sum to zero."""
    in_scope = Q() if branches is None else Q(postings__entry__branch_id__in=list(branches))
    rows = []
    for a in (
        Account.objects.using(using).filter(business=business)
        .annotate(
            opening=Coalesce(Sum("postings__amount", filter=in_scope & Q(postings__date__lt=start)), 0),
            debit=Coalesce(Sum("postings__amount", filter=in_scope & Q(
                postings__date__gte=start, postings__date__lte=end, postings__amount__gt=0)), 0),
            credit=Coalesce(Sum("postings__amount", filter=in_scope & Q(
                postings__date__gte=start, postings__date__lte=end, postings__amount__lt=0)), 0),
        )
        .values("code", "name", "type", "opening", "debit", "credit")
    ):
        closing = a["opening"] + a["debit"] + a["credit"]
        rows.append({**a, "credit": -a["credit"], "closing": closing,
                     "heading": TYPE_HEADINGS.get(a["type"], a["type"]),
                     "closing_debit": max(closing, 0), "closing_credit": max(-closing, 0)})
    rows.sort(key=lambda r: (TYPE_ORDER.index(r["type"]) if r["type"] in TYPE_ORDER else 9, r["code"]))
    keys = ("opening", "debit", "credit", "closing", "closing_debit", "closing_credit")
    total = {k: sum(r[k] for r in rows) for k in keys}
    return {"from": start.isoformat(), "to": end.isoformat(), "rows": rows, "total": total,
            "balanced": total["debit"] == total["credit"] and total["closing"] == 0 and total["opening"] == 0}


LEDGER_ROW = ("id", "date", "amount", "entry_id", "entry__kind", "entry__memo", "entry__document__number",
              "entry__branch__code", "entry__reverses_id")


def _account_postings(business: Business, account: str, branches: Branches, using: str | None):
    """One account (its code, name, type) and its postings in the branches asked for."""
    acct = Account.objects.using(using).filter(business=business, code=account).first()
    if acct is None:
        raise NotFound("Account not found.")
    qs = _in_branches(Posting.objects.using(using).filter(account=acct), "entry__branch_id", branches)
    return {"code": acct.code, "name": acct.name, "type": acct.type}, qs


def _with_balance(row: dict, balance: int) -> dict:
    row["debit"], row["credit"], row["balance"] = max(row["amount"], 0), max(-row["amount"], 0), balance
    return row


def general_ledger(*, business: Business, account: str, start: date, end: date, branches: Branches = None,
                   limit: int | None = None, offset: int = 0, using: str | None = None) -> dict:
    """One account's postings in the period, oldest first, with the running balance (a window
    sum in the database), its opening and closing balance; `limit` rows from the `offset`-th
    (a page: the running balance is still the whole period's)."""
    acct, qs = _account_postings(business, account, branches, using)
    with consistent_read(using):
        opening = qs.filter(date__lt=start).aggregate(s=Sum("amount"))["s"] or 0
        period = qs.filter(date__gte=start, date__lte=end)
        sums = period.aggregate(debit=Sum("amount", filter=Q(amount__gt=0)),
                                credit=Sum("amount", filter=Q(amount__lt=0)), n=Count("id"))
        rows_qs = (
            period.annotate(running=Window(Sum("amount"),
                                           order_by=[F("date").asc(), F("entry_id").asc(), F("id").asc()]))
            .values(*LEDGER_ROW, "running").order_by("date", "entry_id", "id")
        )
        rows = [_with_balance(r, opening + r["running"])
                for r in (rows_qs[offset:offset + limit] if limit else rows_qs[offset:])]
    debit, credit = sums["debit"] or 0, -(sums["credit"] or 0)
    return {"account": acct, "from": start.isoformat(), "to": end.isoformat(), "opening": opening, "debit": debit,
            "credit": credit, "closing": opening + debit - credit, "count": sums["n"], "offset": offset,
            "rows": rows}


def general_ledger_stream(*, business: Business, account: str, start: date, end: date,
                          branches: Branches = None, using: str | None = None) -> dict:
    """The general ledger of general_ledger() for a file of any length: `rows` is an iterator
    over a server-side cursor (a busy account's year is a million postings; as a list it held
    1.6 GB of a worker's memory), and `debit`, `credit`, `closing` and `count` are added up
    from the rows as they stream, complete once `rows` is exhausted — so the file's totals are
    exactly its rows'. The opening and the rows are read in one snapshot (consistent_read)."""
    acct, qs = _account_postings(business, account, branches, using)
    out = {"account": acct, "from": start.isoformat(), "to": end.isoformat(), "opening": None, "debit": 0,
           "credit": 0, "closing": None, "count": 0}

    def rows() -> Iterator[dict]:
        with consistent_read(using):
            balance = out["opening"] = qs.filter(date__lt=start).aggregate(s=Sum("amount"))["s"] or 0
            yield {"opening": balance}
            for r in (qs.filter(date__gte=start, date__lte=end).values(*LEDGER_ROW)
                      .order_by("date", "entry_id", "id").iterator(chunk_size=5000)):
                balance += r["amount"]
                _with_balance(r, balance)
                out["debit"] += r["debit"]
                out["credit"] += r["credit"]
                out["count"] += 1
                yield r
            out["closing"] = balance

    out["rows"] = rows()
    return out


def accounts(*, business: Business, using: str | None = None) -> list[dict]:
    rows = list(Account.objects.using(using).filter(business=business).values("code", "name", "type"))
    rows.sort(key=lambda r: (TYPE_ORDER.index(r["type"]) if r["type"] in TYPE_ORDER else 9, r["code"]))
    return rows


def journal_rows(*, business: Business, start: date, end: date, branches: Branches = None,
                 using: str | None = None):
    """Every posting of the period, oldest entry first, as a stream of value dicts (exports)."""
    qs = _in_branches(
        Posting.objects.using(using).filter(account__business=business, date__gte=start, date__lte=end),
        "entry__branch_id", branches,
    )
    return (
        qs.values("entry_id", "date", "amount", "account__code", "account__name", "account__type",
                  "entry__kind", "entry__memo", "entry__reverses_id", "entry__document__number",
                  "entry__document__kind", "entry__branch__code")
        .order_by("date", "entry_id", "id")
        .iterator(chunk_size=5000)
    )


def balances_before(*, business: Business, day: date, branches: Branches = None,
                    using: str | None = None) -> list[dict]:
    """Each account's balance at the end of the day before `day` (an export's opening)."""
    qs = _in_branches(
        Posting.objects.using(using).filter(account__business=business, date__lt=day), "entry__branch_id", branches)
    return [r for r in qs.values("account__code", "account__name", "account__type").annotate(s=Sum("amount"))
            .order_by("account__code") if r["s"]]


def ledger_span(*, business: Business, branches: Branches = None,
                using: str | None = None) -> tuple[date | None, date | None]:
    """The first and last day with a journal entry (None, None for empty books): read off the
    entries' (business, date) index, not the postings."""
    qs = _in_branches(JournalEntry.objects.using(using).filter(business=business), "branch_id", branches)
    span = qs.aggregate(first=Min("date"), last=Max("date"))
    return span["first"], span["last"]


def movements_by_account(*, business: Business, start: date, end: date, branches: Branches = None,
                         using: str | None = None) -> dict[str, int]:
    """Each account's net movement (debit positive) in the period."""
    qs = _in_branches(
        Posting.objects.using(using).filter(account__business=business, date__gte=start, date__lte=end),
        "entry__branch_id", branches,
    )
    return dict(qs.values_list("account__code").annotate(s=Sum("amount")).values_list("account__code", "s")
                .order_by())


# The overview --------------------------------------------------------------------------------

def overview(*, business: Business, on: date | None = None, branches: Branches = None,
             using: str | None = None) -> dict:
    """The reports' front page: this month so far (cash, revenue, sessions, the liability and
    its tie to the ledger), packages expiring in 30 days, and the last six months' cash and
    revenue."""
    on = on or timezone.localdate()
    month_start = on.replace(day=1)
    six_back = date(month_start.year - (month_start.month <= 5), (month_start.month - 6) % 12 + 1, 1)
    trend = revenue_vs_cash(business=business, start=six_back, end=on, by="month", branches=branches,
                            using=using)["rows"]
    return {
        "roll": deferred_rollforward(business=business, start=month_start, end=on, by=None, branches=branches,
                                     using=using)["total"],
        "month": trend[-1],
        "sessions": redemptions(business=business, start=month_start, end=on, branches=branches,
                                using=using)["total"],
        "soon": expiring(business=business, within=30, on=on, branches=branches, using=using)["windows"],
        "trend": trend,
    }
