"""The report screens, their CSV/XLSX downloads, and the accountant's exports.

Each view parses the query string, asks the registry for the staff member's scope, calls one
report's selector, and renders. Owners and managers only; a manager's own branches; the
books leave the clinic (journal, Tally, Beancount, GSTR-1, the XLSX pack) on the owner's say.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from functools import wraps
from urllib.parse import urlencode

import phonenumbers
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from glowpos.errors import DomainError, Forbidden, ValidationFailed
from glowpos.frontdesk.errors import problem
from glowpos.frontdesk.views import staff_view
from glowpos.money import format_inr
from glowpos.reports import charts, exports, selectors
from glowpos.reports.charts import Series
from glowpos.reports.templatetags.reports import drcr
from glowpos.reports.registry import (
    BOOL,
    DATE,
    DRCR,
    INT,
    MONEY,
    PHONE,
    RATE,
    REPORTS,
    Params,
    Table,
    get_report,
    parse_branch,
    parse_params,
    quick_periods,
    require_owner,
    scope_for,
)
from glowpos.tenancy.models import Role

SCREEN_ROWS = 500  # a screen shows this many rows of a long table; the downloads have them all


def manager_view(view):
    """Logged-in staff (frontdesk.staff_view) who are managers or owners; others get a 403
    page that says why."""

    @staff_view
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except Forbidden as exc:
            return render(request, "reports/forbidden.html", {"problem": problem(exc)}, status=403)

    return wrapper


# Formatting a table for the screen ------------------------------------------------------------

def _phone(e164: str) -> str:
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164, "IN"), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return e164


def _cell(value, kind: str, href: str | None = None) -> dict:
    cls = "n" if kind in (MONEY, DRCR, INT, RATE) else ""
    if value is None or value == "":
        text = ""
    elif kind == MONEY and isinstance(value, int):
        text = format_inr(value)
        if value < 0:
            cls += " neg"
    elif kind == DRCR and isinstance(value, int):
        text = drcr(value)
    elif kind == INT and isinstance(value, int):
        text = f"{value:,}"
    elif kind == RATE and isinstance(value, int):
        text = f"{value / 100:g}%"
    elif kind == DATE and isinstance(value, date):
        text = value.strftime("%d %b %Y")
    elif kind == DATE and isinstance(value, str) and len(value) == 10 and value[4] == "-":
        text = date.fromisoformat(value).strftime("%d %b %Y")
    elif kind == PHONE:
        text, href = _phone(value), f"tel:{value}"
    elif kind == BOOL:
        text = "yes" if value else "no"
    else:
        text = str(value)
    return {"text": text, "cls": cls.strip(), "href": href}


def screen_table(table: Table, *, index: int = 0, links: dict | None = None, limit: int | None = SCREEN_ROWS) -> dict:
    """The table as the screen shows it: its screen columns, figures formatted (₹ on every
    amount, so the headers drop "(₹)"), the first `limit` rows."""
    links = links or {}
    rows = table.rows[:limit] if limit else table.rows
    columns = [c for c in table.columns if c.screen]

    def cls(c) -> str:
        return " ".join(filter(None, ["n" if c.kind in (MONEY, DRCR, INT, RATE) else "", "wrap" if c.wrap else ""]))

    return {
        "index": index, "name": table.name, "title": table.title,
        "columns": [{"label": c.short or c.label.replace(" (₹)", ""), "cls": cls(c)} for c in columns],
        "rows": [[{**_cell(r.get(c.key), c.kind, links[c.key](r) if c.key in links else None),
                   "wrap": c.wrap} for c in columns] for r in rows],
        "total": [_cell(table.total.get(c.key), c.kind) for c in columns] if table.total else None,
        "hidden": (table.count if table.count is not None else len(table.rows)) - len(rows),
    }


def _client_link(key: str):
    return lambda r: reverse("frontdesk:client", args=[r[key]]) if r.get(key) else None


# Screens ----------------------------------------------------------------------------------------

def _context(request, slug: str | None) -> tuple[dict, object, Params]:
    """The parts every report screen has: scope, period, branch picker, quick periods."""
    branch_id = parse_branch(request.GET.get("branch"))
    scope = scope_for(request.staff, branch_id)
    params = parse_params(request.GET)
    allowed = list(request.staff.allowed_branches().order_by("code"))
    query = {k: v for k, v in request.GET.items() if k in ("from", "to", "branch", "by", "within", "account") and v}
    context = {
        **_frame(request, slug, scope, allowed), "params": params, "branch_id": branch_id,
        "query": urlencode(query),
    }
    return context, scope, params


def _frame(request, slug: str | None, scope, allowed) -> dict:
    report = REPORTS.get(slug) if slug else None
    return {
        "reports": REPORTS.values(), "slug": slug, "report": report, "branches": allowed,
        "quick": quick_periods(), "is_owner": request.staff.role == Role.OWNER, "today": timezone.localdate(),
        "scope_label": _scope_label(scope, allowed),
        "filter_period": slug == "exports" or bool(report and report.period),
        "filter_by": bool(report and "by" in report.options),
    }


def _scope_label(scope, allowed) -> str:
    if scope.branches is None:
        return "All branches"
    names = [b.name for b in allowed if b.id in scope.branches]
    return ", ".join(names)


def _refused(request, slug: str | None, exc: DomainError) -> HttpResponse:
    """Bad input: the screen again with the default period and the refusal on top."""
    scope = scope_for(request.staff, None)  # a Forbidden here is the decorator's 403
    allowed = list(request.staff.allowed_branches().order_by("code"))
    context = {**_frame(request, slug, scope, allowed), "params": parse_params({}), "branch_id": None,
               "query": "", "problem": problem(exc)}
    return render(request, "reports/refused.html", context, status=exc.status)


@require_GET
@manager_view
def index(request):
    try:
        context, scope, params = _context(request, None)
    except Forbidden:
        raise
    except DomainError as exc:
        return _refused(request, None, exc)
    data = selectors.overview(business=scope.business, branches=scope.branches)
    trend = data["trend"]
    context.update(
        **data,
        trend_chart=charts.bar_chart(
            labels=[r["label"] for r in trend],
            series=[Series("Cash collected", [r["cash_collected"] for r in trend]),
                    Series("Revenue recognized", [r["revenue_recognized"] for r in trend])],
            label="Cash collected and revenue recognized, last six months"),
    )
    return render(request, "reports/index.html", context)


SCREENS = {}


def screen(slug: str):
    def register(fn):
        SCREENS[slug] = fn
        return fn
    return register


@require_GET
@manager_view
def report(request, slug: str):
    report = get_report(slug)
    try:
        context, scope, params = _context(request, slug)
        data = report.fetch(scope, replace(params, limit=SCREEN_ROWS), None)
    except Forbidden:
        raise
    except DomainError as exc:
        return _refused(request, slug, exc)
    tables = report.tables(data)
    context.update(report=report, data=data, tables=[screen_table(t, index=i) for i, t in enumerate(tables)])
    extra = SCREENS.get(slug)
    if extra:
        context.update(extra(data, tables, params, scope))
    return render(request, f"reports/{slug}.html", context)


@screen("deferred-revenue")
def _rollforward_screen(data, tables, params, scope):
    t = data["total"]
    return {
        "waterfall": charts.waterfall(steps=[
            ("Opening", t["opening"], "total"), ("Sold", t["sold"], "up"), ("Recognized", t["recognized"], "down"),
            ("Breakage", t["breakage"], "down"), ("Refunded", t["refunded"], "down"),
            ("Closing", t["closing"], "total"),
        ], label="Deferred revenue: opening, movements, closing"),
        "period_chart": charts.bar_chart(
            labels=[p["label"] for p in data["periods"]],
            series=[Series("Sold", [p["sold"] for p in data["periods"]]),
                    Series("Recognized", [p["recognized"] for p in data["periods"]]),
                    Series("Closing liability", [p["closing"] for p in data["periods"]])],
            label="Package money sold, recognized and still owed per period"),
    }


@screen("liability")
def _liability_screen(data, tables, params, scope):
    return {
        "by_client": screen_table(tables[0], index=0, links={"client_name": _client_link("client_id")}),
        "by_package": screen_table(tables[1], index=1, links={"client__name": _client_link("client_id")}),
        "ageing_chart": charts.bar_chart(
            labels=[a["label"] for a in data["totals"]["ageing"]],
            series=[Series("Money left", [a["money_left"] for a in data["totals"]["ageing"]])],
            label="Money owed in sessions by age of the sale", height=240, label_values=True),
        "ties": data["ledger"] is not None and data["ledger"] == data["totals"]["money_left"],
        "credit": screen_table(tables[2], index=2, links={"client__name": _client_link("client_id")}),
        "credit_ties": data["credit_ledger"] is not None
        and data["credit_ledger"] == data["credit"]["totals"]["money_left"],
    }


@screen("expiring")
def _expiring_screen(data, tables, params, scope):
    return {"list": screen_table(tables[0], links={"client__name": _client_link("client_id")})}


@screen("redemptions")
def _redemptions_screen(data, tables, params, scope):
    top = max([r["sessions"] for r in data["by_service"]] or [1])
    return {
        "day_chart": charts.bar_chart(
            labels=[r["label"][:6] if data["by"] == "day" else r["label"] for r in data["by_period"]],
            series=[Series("Sessions", [r["sessions"] for r in data["by_period"]])],
            label=f"Sessions redeemed per {data['by']}", money=False, height=220),
        "service_bars": [{**r, "percent": round(100 * r["sessions"] / top)} for r in data["by_service"]],
    }


@screen("revenue")
def _revenue_screen(data, tables, params, scope):
    rows = data["rows"]
    labels = [r["label"] if params.by == "month" else r["label"][:6] for r in rows]
    return {"chart": charts.bar_chart(
        labels=labels,
        series=[Series("Cash collected", [r["cash_collected"] for r in rows]),
                Series("Revenue recognized", [r["revenue_recognized"] for r in rows]),
                Series("Into package liability", [r["deferred_added"] for r in rows])],
        label="Cash collected, revenue recognized and package money deferred per period", height=300)}


@screen("gst")
def _gst_screen(data, tables, params, scope):
    gstins = sorted({b.gstin for b in scope.staff.allowed_branches() if b.gstin})
    top = max([abs(r["taxable"]) for r in data["rows"]] or [1]) or 1
    bars = [{"name": f"{r['code']} · {r['rate_bp'] / 100:g}%{' · B2B' if r['b2b'] else ''}", "taxable": r["taxable"],
             "tax": r["tax"], "percent": round(100 * max(r["taxable"], 0) / top)} for r in data["rows"]]
    return {"gstins": gstins, "months": _months(params.start, params.end), "bars": bars}


def _months(start: date, end: date) -> list[tuple[str, str, bool]]:
    """GSTR-1 months to offer: the last twelve, newest first, as (value, label, selected); the
    month the period ends in is selected, or last month when the period is this month."""
    today = timezone.localdate()
    wanted = end if end < today.replace(day=1) else today.replace(day=1) - timedelta(days=1)
    cursor = today.replace(day=1)
    if (cursor.year - wanted.year) * 12 + cursor.month - wanted.month > 12:
        cursor = wanted.replace(day=1)  # an older period: the year ending with its month
    out = []
    for _ in range(13):
        out.append((cursor.strftime("%Y-%m"), cursor.strftime("%B %Y"),
                    (cursor.year, cursor.month) == (wanted.year, wanted.month)))
        cursor = (cursor - timedelta(days=1)).replace(day=1)
    return out


@screen("ledger")
def _ledger_screen(data, tables, params, scope):
    """The account picker, and the pager: SCREEN_ROWS postings a page, earlier and later."""
    shown = len(data["rows"])
    offset, count = data["offset"], data["count"]
    pager = None
    if count > SCREEN_ROWS or offset:
        pager = {"first": offset + 1 if shown else 0, "last": offset + shown, "count": count,
                 "earlier": max(offset - SCREEN_ROWS, 0) if offset else None,
                 "later": offset + SCREEN_ROWS if offset + SCREEN_ROWS < count else None}
    return {"accounts": selectors.accounts(business=scope.business), "pager": pager}


# Downloads ----------------------------------------------------------------------------------------

def _attachment(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _file_stem(slug: str, params: Params, report) -> str:
    if not report.period:
        return f"{slug}-{timezone.localdate().isoformat()}"
    return f"{slug}-{params.start.isoformat()}-to-{params.end.isoformat()}"


@require_GET
@manager_view
def download(request, slug: str, fmt: str):
    report = get_report(slug)
    try:
        scope = scope_for(request.staff, parse_branch(request.GET.get("branch")))
        params = parse_params(request.GET)
        tables = report.tables(report.fetch(scope, params, None))
    except Forbidden:
        raise
    except DomainError as exc:
        return _refused(request, slug, exc)
    stem = _file_stem(slug, params, report)
    if fmt == "xlsx":
        return _attachment(HttpResponse(
            exports.xlsx_bytes(tables),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), f"{stem}.xlsx")
    try:
        index = int(request.GET.get("table", "0"))
        table = tables[index]
    except (ValueError, IndexError):
        return _refused(request, slug, ValidationFailed("table: no such table in this report.",
                                                        fields={"table": "Unknown."}))
    suffix = f"-{table.name.lower().replace(' ', '-')}" if len(tables) > 1 else ""
    return _attachment(exports.csv_response(table), f"{stem}{suffix}.csv")


@require_GET
@manager_view
def exports_page(request):
    try:
        context, scope, params = _context(request, "exports")
        require_owner(request.staff)
    except Forbidden:
        raise
    except DomainError as exc:
        return _refused(request, "exports", exc)
    first, last = selectors.ledger_span(business=scope.business, branches=scope.branches)
    gstins = sorted(set(scope.business.branches.exclude(gstin="").values_list("gstin", flat=True)))
    context.update(first=first, last=last, gstins=gstins, months=_months(params.start, params.end),
                   ledgers=exports.tally_ledgers())
    return render(request, "reports/exports.html", context)


@require_GET
@manager_view
def export_file(request, name: str):
    try:
        require_owner(request.staff)
        scope = scope_for(request.staff, parse_branch(request.GET.get("branch")))
        params = parse_params(request.GET)
        content_type = exports.BOOK_EXPORTS[name]
        body, filename = exports.book_export(name, scope=scope, params=params, get=request.GET)
    except Forbidden:
        raise
    except DomainError as exc:
        return _refused(request, "exports", exc)
    if isinstance(body, (bytes, str)):
        response = HttpResponse(body, content_type=content_type)
    else:
        response = StreamingHttpResponse(body, content_type=content_type)
    return _attachment(response, filename)
