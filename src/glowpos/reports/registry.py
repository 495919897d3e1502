"""Which reports exist, who may read them, and how each one's data is laid out as tables.

A report is fetched once through its selector (selectors.py) and then shown three ways from
the same tables: on its screen, as CSV (one table per file) and as XLSX (one sheet per
table). The API returns the selector's own data. Scope (business, branches) comes from the
staff member: owners and managers only; a manager sees the branches she works in.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone

from glowpos.errors import NotFound, ValidationFailed
from glowpos.money import financial_year, format_inr
from glowpos.reports import selectors
from glowpos.tenancy.models import Role, StaffMember
from glowpos.tenancy.services import MANAGERS, require_role

MONEY, INT, TEXT, DATE, RATE, BOOL, PHONE = "money", "int", "text", "date", "rate", "bool", "phone"
DRCR = "drcr"  # a signed balance, debit positive: a number in files, "₹… Dr/Cr" on screen


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = TEXT
    screen: bool = True  # False: in the CSV and XLSX only (the screen has no room for it)
    file: bool = True  # False: on the screen only
    short: str = ""  # the screen's header, where the file's is too wide
    wrap: bool = False  # long text that may wrap on the screen (everything else stays on one line)


@dataclass
class Table:
    name: str  # the sheet's name and the CSV's file name (≤ 31 characters, Excel's limit)
    title: str
    columns: list[Column]
    rows: list[dict]  # or, for a streamed file (the general ledger's), an iterator of them
    total: dict | None = None
    count: int | None = None  # all the rows there are, when `rows` was cut at Params.limit


@dataclass(frozen=True)
class Scope:
    """What a staff member may read: her business, and her branches (None: all of them)."""

    staff: StaffMember
    branches: list[int] | None

    @property
    def business(self):
        return self.staff.business


@dataclass(frozen=True)
class Params:
    start: date
    end: date
    by: str = "month"
    within: int = 30
    account: str = "deferred_revenue"
    limit: int | None = None  # the screens' row limit for long lists; files have every row
    offset: int = 0  # the general ledger's page: its first row


def scope_for(staff: StaffMember, branch_id: int | None = None) -> Scope:
    """Owners and managers only; a manager's own branches; `branch_id` narrows to one."""
    require_role(staff, *MANAGERS, action="see reports")
    allowed = staff.allowed_branches()
    every = staff.role == Role.OWNER or not staff.branches.exists()
    if branch_id is not None:
        if not allowed.filter(id=branch_id).exists():
            raise NotFound("Branch not found.")
        return Scope(staff, [branch_id])
    return Scope(staff, None if every else list(allowed.values_list("id", flat=True)))


def require_owner(staff: StaffMember) -> None:
    """The books leave the clinic (journal, Tally, Beancount, GSTR-1) on the owner's say only."""
    require_role(staff, Role.OWNER, action="export the books for the accountant")


def default_period(today: date | None = None) -> tuple[date, date]:
    """This month so far."""
    today = today or timezone.localdate()
    return today.replace(day=1), today


def quick_periods(today: date | None = None) -> list[tuple[str, date, date]]:
    today = today or timezone.localdate()
    first = today.replace(day=1)
    last_month_end = date.fromordinal(first.toordinal() - 1)
    fy = financial_year(today)
    last_fy = financial_year(date(fy.start_year - 1, 6, 1))
    return [
        ("This month", first, today),
        ("Last month", last_month_end.replace(day=1), last_month_end),
        (f"FY {fy.label} to date", fy.start, today),
        (f"FY {last_fy.label}", last_fy.start, last_fy.end),
    ]


def parse_params(get, *, defaults: Params | None = None) -> Params:
    """From a query string (screens): from, to, by, within, account. Bad input names the field."""
    start, end = (defaults.start, defaults.end) if defaults else default_period()
    values = {"start": start, "end": end}
    for key, name in (("from", "start"), ("to", "end")):
        raw = (get.get(key) or "").strip()
        if raw:
            values[name] = _parse_date(key, raw)
    if values["end"] < values["start"]:
        raise ValidationFailed("to: must not be before from.", fields={"to": "Before from."})
    by = get.get("by") or "month"
    if by not in ("day", "month"):
        raise ValidationFailed("by: must be day or month.", fields={"by": "day or month."})
    within = get.get("within") or "30"
    if within not in ("7", "30", "90"):
        raise ValidationFailed("within: must be 7, 30 or 90.", fields={"within": "7, 30 or 90."})
    offset = (get.get("offset") or "0").strip()
    if not offset.isdigit() or int(offset) > 100_000_000:
        raise ValidationFailed("offset: a row number, 0 or more.", fields={"offset": "0 or more."})
    return Params(start=values["start"], end=values["end"], by=by, within=int(within),
                  account=(get.get("account") or "deferred_revenue")[:40], offset=int(offset))


def _parse_date(key: str, raw: str) -> date:
    try:
        if len(raw) == 10:
            return date.fromisoformat(raw)
    except ValueError:
        pass
    raise ValidationFailed(f"{key}: not a date; use YYYY-MM-DD.", fields={key: "YYYY-MM-DD."})


def parse_branch(raw) -> int | None:
    if raw in (None, ""):
        return None
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ValidationFailed("branch: pick a branch from the list.", fields={"branch": "Unknown."}) from None
    if value <= 0:
        raise ValidationFailed("branch: pick a branch from the list.", fields={"branch": "Unknown."})
    return value


# The reports --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Report:
    slug: str
    title: str
    summary: str
    fetch: Callable[[Scope, Params, str | None], dict]
    tables: Callable[[dict], list[Table]]
    period: bool = True  # has a from/to period (the liability is as of today)
    options: tuple[str, ...] = field(default=())


ROLL_COLUMNS = [
    Column("opening", "Opening (₹)", MONEY), Column("sold", "Sold (₹)", MONEY),
    Column("recognized", "Recognized (₹)", MONEY), Column("breakage", "Breakage (₹)", MONEY),
    Column("refunded", "Refunded (₹)", MONEY), Column("closing", "Closing (₹)", MONEY),
]


def _rollforward(scope, p, using):
    return selectors.deferred_rollforward(business=scope.business, start=p.start, end=p.end, by=p.by,
                                          branches=scope.branches, using=using)


def _with_tie(row: dict) -> dict:
    return {**row, "tie": "✓ ties" if row["ties"] else f"✗ differs by {format_inr(row['difference'])}"}


def _rollforward_tables(d):
    return [
        Table("Roll-forward by period", "Deferred revenue roll-forward by period",
              [Column("label", "Period"), *ROLL_COLUMNS], d["periods"], {**d["total"], "label": "Total"}),
        Table("Roll-forward by branch", "Deferred revenue roll-forward by branch",
              [Column("branch_code", "Branch"), Column("branch_name", "Name", screen=False), *ROLL_COLUMNS,
               Column("ledger", "Ledger balance (₹)", MONEY, screen=False),
               Column("difference", "Difference (₹)", MONEY, screen=False),
               Column("tie", "Ledger", file=False)],
              [_with_tie(b) for b in d["branches"]], _with_tie({**d["total"], "branch_code": "Total"})),
    ]


def _liability(scope, p, using):
    today = timezone.localdate()
    by_package = selectors.liability(business=scope.business, on=today, branches=scope.branches, limit=p.limit,
                                     using=using)
    return {
        "on": by_package["on"],
        "by_client": by_package["by_client"],
        "clients": by_package["clients"],
        "by_package": by_package["packages"], "count": by_package["count"], "totals": by_package["totals"],
        "ledger": selectors.ledger_deferred_balance(business=scope.business, as_of=today, using=using)
        if scope.branches is None else None,
        # Value packages: money held for the client to spend, apart from the sessions owed.
        "credit": selectors.client_credit(business=scope.business, on=today, branches=scope.branches,
                                          limit=p.limit, using=using),
        "credit_ledger": selectors.ledger_client_credit_balance(business=scope.business, as_of=today, using=using)
        if scope.branches is None else None,
    }


AGE_SHORT = {"age_0_90": "0–90 d", "age_91_180": "91–180 d", "age_181_365": "181–365 d", "age_over_365": "> 1 yr"}
AGE_COLUMNS = [Column(key, f"{label} (₹)", MONEY, short=AGE_SHORT.get(key, "")) for key, label, _, _ in selectors.AGEING]


def _liability_tables(d):
    ageing = {a["key"]: a["money_left"] for a in d["totals"]["ageing"]}
    return [
        Table("Liability by client", "Outstanding liability by client",
              [Column("client_name", "Client"), Column("phone", "Phone", PHONE),
               Column("packages", "Packages", INT, screen=False),
               Column("sessions_left", "Sessions left", INT, short="Sessions"),
               Column("money_left", "Money left (₹)", MONEY), *AGE_COLUMNS,
               Column("client_credit", "Client credit (₹)", MONEY, short="Credit")],
              d["by_client"], {"client_name": "Total", "packages": d["count"] + d["credit"]["count"], **d["totals"],
                               **ageing, "client_credit": d["credit"]["totals"]["money_left"]},
              count=d["clients"]),
        Table("Liability by package", "Outstanding liability by package",
              [Column("client__name", "Client"), Column("client__phone", "Phone", PHONE, screen=False),
               Column("plan__code", "Plan"),
               Column("plan__name", "Package", screen=False), Column("sale_bill__branch__code", "Sold at"),
               Column("purchased_on", "Sold on", DATE), Column("expires_on", "Expires on", DATE),
               Column("effective_status", "Status"), Column("sessions_left", "Sessions left", INT),
               Column("taxable", "Value (₹)", MONEY, screen=False),
               Column("recognized", "Recognized (₹)", MONEY, screen=False),
               Column("money_left", "Money left (₹)", MONEY), Column("age_days", "Age (days)", INT, screen=False)],
              d["by_package"], {"client__name": "Total", **d["totals"]}, count=d["count"]),
        Table("Client credit", "Client credit: value packages' unspent money",
              [Column("client__name", "Client"), Column("client__phone", "Phone", PHONE, screen=False),
               Column("plan__code", "Plan"),
               Column("plan__name", "Package", screen=False), Column("sale_bill__branch__code", "Sold at"),
               Column("purchased_on", "Sold on", DATE), Column("expires_on", "Expires on", DATE),
               Column("effective_status", "Status"), Column("price", "Paid (₹)", MONEY, screen=False),
               Column("credit_left", "Credit left (face) (₹)", MONEY, short="Credit left"),
               Column("money_left", "Money held (₹)", MONEY), Column("age_days", "Age (days)", INT, screen=False)],
              d["credit"]["packages"], {"client__name": "Total", **d["credit"]["totals"]}, count=d["credit"]["count"]),
    ]


def _expiring(scope, p, using):
    return selectors.expiring(business=scope.business, within=p.within, branches=scope.branches, using=using)


def _expiring_tables(d):
    return [Table(f"Expiring in {d['within']} days", f"Packages expiring in the next {d['within']} days",
                  [Column("client__name", "Client"), Column("client__phone", "Phone", PHONE),
                   Column("plan__name", "Package", wrap=True), Column("expires_on", "Expires on", DATE),
                   Column("days_left", "Days left", INT), Column("sessions_left", "Sessions left", INT),
                   Column("money_left", "Money left (₹)", MONEY), Column("sale_bill__branch__code", "Sold at")],
                  d["packages"])]


def _redemptions(scope, p, using):
    return selectors.redemptions(business=scope.business, start=p.start, end=p.end, branches=scope.branches,
                                 using=using)


def _redemption_tables(d):
    cols = [Column("sessions", "Sessions", INT), Column("value", "Revenue recognized (₹)", MONEY)]
    total = {"name": "Total", **d["total"]}
    return [
        Table("Sessions by service", "Sessions redeemed by service", [Column("name", "Service"), *cols],
              d["by_service"], total),
        Table("Sessions by staff", "Sessions redeemed by staff (who applied the package)",
              [Column("name", "Staff"), *cols], d["by_staff"], total),
        Table("Sessions by branch", "Sessions redeemed by branch", [Column("name", "Branch"), *cols],
              d["by_branch"], total),
        Table(f"Sessions by {d['by']}", f"Sessions redeemed by {d['by']}", [Column("label", d["by"].capitalize()),
                                                                          *cols],
              d["by_period"], {"label": "Total", **d["total"]}),
        # Last, so the earlier tables keep their numbers (the API's and the downloads' `table`).
        Table("Sessions by practitioner", "Sessions redeemed by practitioner (who performed them)",
              [Column("name", "Practitioner"), *cols], d["by_practitioner"], total),
    ]


def _revenue(scope, p, using):
    return selectors.revenue_vs_cash(business=scope.business, start=p.start, end=p.end, by=p.by,
                                     branches=scope.branches, using=using)


def _revenue_tables(d):
    return [Table("Revenue vs cash", "Revenue recognized vs cash collected",
                  [Column("label", "Period"), Column("cash_collected", "Cash collected (₹)", MONEY),
                   Column("revenue_recognized", "Revenue recognized (₹)", MONEY),
                   Column("deferred_added", "Into package liability (₹)", MONEY),
                   Column("gst", "GST collected (₹)", MONEY), Column("other", "Other (₹)", MONEY)],
                  d["rows"], {"label": "Total", **d["total"]})]


def _gst(scope, p, using):
    return selectors.gst_summary(business=scope.business, start=p.start, end=p.end, branches=scope.branches,
                                 using=using)


def _gst_tables(d):
    rows = [{**r, "supply": "B2B" if r["b2b"] else "B2C", "nature": "Exempt" if r["exempt"] else "Taxable"}
            for r in d["rows"]]
    return [Table("GST summary", "GST summary by rate and SAC/HSN",
                  [Column("supply", "Supply"), Column("code", "SAC/HSN"),
                   Column("description", "Description", wrap=True), Column("nature", "Nature", screen=False),
                   Column("rate_bp", "Rate", RATE),
                   Column("documents", "Documents", INT, screen=False), Column("taxable", "Taxable value (₹)", MONEY),
                   Column("cgst", "CGST (₹)", MONEY), Column("sgst", "SGST (₹)", MONEY),
                   Column("igst", "IGST (₹)", MONEY), Column("tax", "Total tax (₹)", MONEY)],
                  rows, {"supply": "Total", **d["total"]})]


def _documents(scope, p, using):
    return selectors.document_series(business=scope.business, start=p.start, end=p.end, branches=scope.branches,
                                     using=using)


def _document_tables(d):
    return [Table("Document series", "Document series summary",
                  [Column("branch_code", "Branch"), Column("kind_label", "Document"),
                   Column("prefix", "Prefix", screen=False), Column("fy", "FY", screen=False),
                   Column("first", "First"), Column("last", "Last"),
                   Column("count", "Issued", INT), Column("cancelled", "Cancelled", INT),
                   Column("net_issued", "Net issued", INT), Column("missing", "Missing numbers", INT)],
                  d["rows"], {"branch_code": "Total", **d["total"]})]


def _trial_balance(scope, p, using):
    return selectors.trial_balance(business=scope.business, start=p.start, end=p.end, branches=scope.branches,
                                   using=using)


def _trial_balance_tables(d):
    return [Table("Trial balance", "Trial balance",
                  [Column("code", "Code"), Column("name", "Account"), Column("type", "Type"),
                   Column("opening", "Opening (Dr +) (₹)", DRCR, short="Opening"),
                   Column("debit", "Debits (₹)", MONEY),
                   Column("credit", "Credits (₹)", MONEY), Column("closing_debit", "Closing Dr (₹)", MONEY),
                   Column("closing_credit", "Closing Cr (₹)", MONEY)],
                  d["rows"], {"code": "Total", **d["total"]})]


def _ledger(scope, p, using):
    if p.limit is None:  # a file: every posting, streamed (a busy account's year is a million)
        return selectors.general_ledger_stream(business=scope.business, account=p.account, start=p.start,
                                               end=p.end, branches=scope.branches, using=using)
    return selectors.general_ledger(business=scope.business, account=p.account, start=p.start, end=p.end,
                                    branches=scope.branches, limit=p.limit, offset=p.offset, using=using)


def _ledger_tables(d):
    """The opening, the postings and the totals. Streamed (a file): the rows are a generator
    and the total row is filled in when they are exhausted, which the CSV and XLSX writers
    reach before they write it."""
    streamed = not isinstance(d["rows"], list)
    total = {"date": "Total"}

    def rows():
        source = iter(d["rows"])
        if streamed:
            next(source)  # reads the opening, in the same snapshot as the rows
        if d.get("offset") and d["rows"]:  # a later page: the balance it starts from
            first = d["rows"][0]
            yield {"date": first["date"], "entry__memo": "Brought forward", "balance": first["balance"] - first["amount"]}
        else:
            yield {"date": d["from"], "entry__memo": "Opening balance", "balance": d["opening"]}
        for r in source:
            yield {**r, "debit": r["debit"] or None, "credit": r["credit"] or None}
        total.update(debit=d["debit"], credit=d["credit"], balance=d["closing"])

    return [Table(d["account"]["name"][:31], f"General ledger: {d['account']['name']}",
                  [Column("date", "Date", DATE), Column("entry_id", "Entry", INT, screen=False),
                   Column("entry__kind", "Kind"), Column("entry__document__number", "Document", screen=False),
                   Column("entry__memo", "Narration", wrap=True), Column("entry__branch__code", "Branch"),
                   Column("debit", "Debit (₹)", MONEY), Column("credit", "Credit (₹)", MONEY),
                   Column("balance", "Balance (Dr +) (₹)", DRCR, short="Balance")],
                  rows() if streamed else list(rows()), total,
                  count=None if streamed else d["count"] - d.get("offset", 0) + 1)]  # + the opening row


REPORTS: dict[str, Report] = {r.slug: r for r in [
    Report("deferred-revenue", "Deferred revenue roll-forward",
           "Package money still owed in sessions: opening + sold − recognized − breakage − refunded = closing.",
           _rollforward, _rollforward_tables, options=("by",)),
    Report("liability", "Outstanding liability", "Sessions and money still owed, by client and by package, "
           "with ageing; value packages' client credit apart.", _liability, _liability_tables, period=False),
    Report("expiring", "Packages expiring soon", "Clients to call before their sessions lapse.",
           _expiring, _expiring_tables, period=False, options=("within",)),
    Report("redemptions", "Sessions redeemed", "By service, staff, branch and day.", _redemptions,
           _redemption_tables),
    Report("revenue", "Revenue vs cash", "Why a busy package-selling month is not a rich month.", _revenue,
           _revenue_tables, options=("by",)),
    Report("gst", "GST summary", "Outward supplies by rate and SAC/HSN, B2B and B2C; GSTR-1 JSON.", _gst,
           _gst_tables),
    Report("documents", "Document series", "First, last, count and cancelled per series.", _documents,
           _document_tables),
    Report("trial-balance", "Trial balance", "Every account's opening, debits, credits and closing.",
           _trial_balance, _trial_balance_tables),
    Report("ledger", "General ledger", "One account's postings with the running balance.", _ledger,
           _ledger_tables, options=("account",)),
]}


def get_report(slug: str) -> Report:
    report = REPORTS.get(slug)
    if report is None:
        raise NotFound("No such report.")
    return report
