"""GET /api/v1/reports/…: every report as JSON (money in paise, "currency": "INR"), each
report's tables as CSV or XLSX, and the accountant's exports (journal CSV, Tally XML,
Beancount, GSTR-1 JSON). Owners and managers only, a manager's own branches; the exports
are the owner's. Endpoints parse, call one selector or export, and return."""
from __future__ import annotations

from datetime import date
from typing import Literal

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from ninja import Query, Router

from glowpos.errors import ValidationFailed
from glowpos.reports import exports, selectors
from glowpos.reports.registry import Params, get_report, require_owner, scope_for

router = Router(tags=["reports"])

From = Query(..., alias="from", description="First day, YYYY-MM-DD.")
To = Query(..., alias="to", description="Last day, YYYY-MM-DD.")
Branch = Query(None, description="One branch's id; default: every branch you may see.")
By = Literal["day", "month"]


def _period(start: date, end: date) -> None:
    if end < start:
        raise ValidationFailed("to: must not be before from.", fields={"to": "Before from."})


def _inr(data: dict) -> dict:
    return {**data, "currency": "INR"}


@router.get("/deferred-revenue")
def deferred_revenue(request, start: date = From, end: date = To, branch: int | None = Branch) -> dict:
    """opening + sold − recognized − breakage − refunded = closing (the ledger's balance at `to`)."""
    scope = scope_for(request.staff, branch)
    _period(start, end)
    if scope.branches is None:
        return _inr(selectors.deferred_revenue(business=scope.business, start=start, end=end))
    total = selectors.deferred_rollforward(business=scope.business, start=start, end=end, by=None,
                                           branches=scope.branches)["total"]
    return _inr({k: total["ledger" if k == "closing" else k]
                 for k in ("opening", "sold", "recognized", "breakage", "refunded", "closing")})


@router.get("/deferred-revenue/roll-forward")
def rollforward(request, start: date = From, end: date = To, by: By = "month", branch: int | None = Branch) -> dict:
    """Per period and per branch, with each branch's and the total's tie to the ledger."""
    scope = scope_for(request.staff, branch)
    _period(start, end)
    return _inr(selectors.deferred_rollforward(business=scope.business, start=start, end=end, by=by,
                                               branches=scope.branches))


@router.get("/liability")
def liability(request, branch: int | None = Branch, limit: int = Query(500, ge=1, le=10000)) -> dict:
    """Sessions and money still owed today, by client and by package (largest first), with ageing;
    `client_credit`: value packages' unspent money (the ledger's Client credit), apart."""
    scope = scope_for(request.staff, branch)
    by_package = selectors.liability(business=scope.business, branches=scope.branches, limit=limit)
    on = date.fromisoformat(by_package["on"])
    every = scope.branches is None
    return _inr({
        **by_package,
        "ledger": selectors.ledger_deferred_balance(business=scope.business, as_of=on) if every else None,
        "client_credit": {
            **selectors.client_credit(business=scope.business, on=on, branches=scope.branches, limit=limit),
            "ledger": selectors.ledger_client_credit_balance(business=scope.business, as_of=on) if every else None,
        },
    })


@router.get("/expiring")
def expiring(request, within: int = Query(30, description="7, 30 or 90 days."), branch: int | None = Branch) -> dict:
    scope = scope_for(request.staff, branch)
    return _inr(selectors.expiring(business=scope.business, within=within, branches=scope.branches))


@router.get("/redemptions")
def redemptions(request, start: date = From, end: date = To, branch: int | None = Branch) -> dict:
    """Sessions redeemed by service, by staff member (who applied the package: there is no
    practitioner on a redemption yet), by branch and by day."""
    scope = scope_for(request.staff, branch)
    _period(start, end)
    return _inr(selectors.redemptions(business=scope.business, start=start, end=end, branches=scope.branches))


@router.get("/revenue-vs-cash")
def revenue_vs_cash(request, start: date = From, end: date = To, by: By = "day", branch: int | None = Branch) -> dict:
    scope = scope_for(request.staff, branch)
    _period(start, end)
    return _inr(selectors.revenue_vs_cash(business=scope.business, start=start, end=end, by=by,
                                          branches=scope.branches))


@router.get("/gst-summary")
def gst_summary(request, start: date = From, end: date = To, branch: int | None = Branch) -> dict:
    scope = scope_for(request.staff, branch)
    _period(start, end)
    return _inr(selectors.gst_summary(business=scope.business, start=start, end=end, branches=scope.branches))


@router.get("/documents")
def documents(request, start: date = From, end: date = To, branch: int | None = Branch) -> dict:
    scope = scope_for(request.staff, branch)
    _period(start, end)
    return selectors.document_series(business=scope.business, start=start, end=end, branches=scope.branches)


@router.get("/trial-balance")
def trial_balance(request, start: date = From, end: date = To, branch: int | None = Branch) -> dict:
    scope = scope_for(request.staff, branch)
    _period(start, end)
    return _inr(selectors.trial_balance(business=scope.business, start=start, end=end, branches=scope.branches))


@router.get("/ledger/{account}")
def general_ledger(request, account: str, start: date = From, end: date = To, branch: int | None = Branch,
                   limit: int = Query(1000, ge=1, le=10000),
                   offset: int = Query(0, ge=0, le=100_000_000, description="The page's first posting (0-based).")
                   ) -> dict:
    scope = scope_for(request.staff, branch)
    _period(start, end)
    return _inr(selectors.general_ledger(business=scope.business, account=account, start=start, end=end,
                                         branches=scope.branches, limit=limit, offset=offset))


# Files --------------------------------------------------------------------------------------------

def _attachment(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@router.get("/gstr1")
def gstr1(request, gstin: str | None = Query(None, description="Default: the business's only GSTIN."),
          period: str | None = Query(None, description="The month, YYYY-MM; default: last month."),
          frequency: Literal["monthly", "quarterly"] = Query(
              "monthly", description="quarterly: a QRMP filer's return for the quarter `period` is in "
                                     "(fp: the quarter's last month).")):
    """GSTR-1 of one GSTIN for one month (or quarter) in the GST portal's offline-tool JSON (rupees, 2 decimals)."""
    require_owner(request.staff)
    scope = scope_for(request.staff)
    today = timezone.localdate()
    body, filename = exports.book_export("gstr1.json", scope=scope, params=Params(today, today),
                                         get={"gstin": gstin, "period": period, "frequency": frequency})
    return _attachment(HttpResponse(body, content_type="application/json"), filename)


@router.get("/exports/{name}")
def book_export(request, name: Literal["journal.csv", "tally.xml", "tally-ledgers.xml", "ledger.beancount",
                                       "reports.xlsx"],
                start: date = From, end: date = To, branch: int | None = Branch):
    """The books for the accountant: journal.csv (one row per posting), tally.xml (TallyPrime
    vouchers), tally-ledgers.xml (the ledgers they use), ledger.beancount, reports.xlsx."""
    require_owner(request.staff)
    scope = scope_for(request.staff, branch)
    _period(start, end)
    body, filename = exports.book_export(name, scope=scope, params=Params(start, end), get={})
    content_type = exports.BOOK_EXPORTS[name]
    response = (HttpResponse(body, content_type=content_type) if isinstance(body, (bytes, str))
                else StreamingHttpResponse(body, content_type=content_type))
    return _attachment(response, filename)


@router.get("/{slug}.{fmt}")
def report_file(request, slug: str, fmt: Literal["csv", "xlsx"], start: date | None = Query(None, alias="from"),
                end: date | None = Query(None, alias="to"), branch: int | None = Branch, by: By = "month",
                within: int = 30, account: str = "deferred_revenue", table: int = Query(0, ge=0)):
    """Any report's tables: CSV (one table, `table` picks which) or XLSX (one sheet each)."""
    report = get_report(slug)
    scope = scope_for(request.staff, branch)
    if report.period and (start is None or end is None):
        raise ValidationFailed("from: required with to for this report.", fields={"from": "Required."})
    start = start or timezone.localdate()
    end = end or start
    _period(start, end)
    tables = report.tables(report.fetch(scope, Params(start, end, by=by, within=within, account=account), None))
    if fmt == "xlsx":
        return _attachment(HttpResponse(exports.xlsx_bytes(tables), content_type=exports.BOOK_EXPORTS["reports.xlsx"]),
                           f"{slug}.xlsx")
    if table >= len(tables):
        raise ValidationFailed(f"table: this report has {len(tables)} table(s), numbered from 0.",
                               fields={"table": "Out of range."})
    return _attachment(exports.csv_response(tables[table]), f"{slug}-{table}.csv")
