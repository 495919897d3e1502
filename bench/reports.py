"""`python -m bench reports [--redemptions 1000000]`: a clinic chain's year by bulk insert,
then every report and export timed on it. Prints figures; asserts nothing.

The chain: 20 branches (codes B01…B20, one GSTIN), a client for every ten sessions, packages
of the demo plans sold over the last 400 days, and their sessions redeemed visit by visit at
any branch, each visit its own bill, redemption note, journal entry (two postings) and
redemption row, exactly the rows close_bill writes. Rows are plain dicts written with the
cursor's executemany and explicit ids (the ORM's bulk_create spends ten times longer building
SQL than the database spends inserting), one transaction per 5,000 packages.
"""
from __future__ import annotations

import random
import statistics
import time
from dataclasses import replace
from datetime import date, datetime, time as clock, timedelta

BRANCHES = 20
DAYS = 400


def _ids(model) -> int:
    from django.db.models import Max

    return (model.objects.aggregate(m=Max("id"))["m"] or 0) + 1


def _inserter(model):
    """A fast INSERT of plain dicts (attname → value) through the cursor's executemany: the
    ORM's per-object work costs ten times the database's. Columns not given get the model
    field's default, so fields other apps add later do not break the benchmark."""
    from django.db import connection
    from django.db.models import DateField, DateTimeField, JSONField

    fields = list(model._meta.concrete_fields)
    now = __import__("django.utils.timezone", fromlist=["now"]).now()
    defaults = {}
    for f in fields:
        if isinstance(f, DateTimeField) and (f.auto_now or f.auto_now_add):
            defaults[f.attname] = now
        else:
            defaults[f.attname] = f.get_default()  # "" for text, None where there is none
    convert = {}
    for f in fields:
        if isinstance(f, (DateField, DateTimeField, JSONField)):
            convert[f.attname] = (lambda field: lambda v: field.get_db_prep_save(v, connection))(f)
    quote = connection.ops.quote_name
    sql = (f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
           f"VALUES ({', '.join(['%s'] * len(fields))})")

    def insert(rows: list[dict]) -> None:
        values = []
        for row in rows:
            tup = []
            for f in fields:
                v = row[f.attname] if f.attname in row else defaults[f.attname]
                tup.append(convert[f.attname](v) if f.attname in convert and v is not None else v)
            values.append(tup)
        with connection.cursor() as cursor:
            for i in range(0, len(values), 5000):
                cursor.executemany(sql, values[i:i + 5000])

    return insert


def generate(redemptions: int, *, seed: int = 11):
    from django.db import transaction
    from django.utils import timezone

    from glowpos.billing.models import Bill, BillLine, BillStatus, LineType, Payment
    from glowpos.catalog.models import PackagePlan
    from glowpos.clients.models import Client
    from glowpos.documents.models import Document, DocumentKind, DocumentSeries
    from glowpos.documents.numbering import default_prefix, format_number
    from glowpos.ledger.models import Account, EntryKind, JournalEntry, Posting
    from glowpos.money import financial_year, split_inclusive, unit_value
    from glowpos.packages.models import ClientPackage, Entitlement, PackageStatus, Redemption, RedemptionStatus
    from glowpos.tenancy.models import Branch
    from tests.factories import clinic

    rng = random.Random(seed)
    c = clinic(name=f"Bench reports {time.time_ns()}")
    business = c.business
    gstin = business.branches.get().gstin
    branches = [
        Branch.objects.create(business=business, code=f"B{i:02d}", name=f"Glow {i:02d}", state_code="29",
                              state_name="Karnataka", gstin=gstin)
        for i in range(1, BRANCHES + 1)
    ]
    staff = [c.front_desk.id, c.manager.id, c.owner.id]
    # Who performed a session: mostly the practitioner, sometimes the manager, sometimes not recorded.
    performers = [c.practitioner.id, c.practitioner.id, c.manager.id, None]
    desk = c.front_desk.id
    accounts = {a.code: a.id for a in Account.objects.filter(business=business)}
    # Session bundles of one service (value packages and memberships are not benchmarked here).
    plans = [p for p in PackagePlan.objects.filter(business=business).prefetch_related("items__service")
             if len(p.items.all()) == 1]
    today = timezone.localdate()
    first_day = today - timedelta(days=DAYS)
    models = (Client, Bill, BillLine, Payment, Document, JournalEntry, Posting, ClientPackage, Entitlement,
              Redemption)
    insert = {m: _inserter(m) for m in models}
    next_id = {m: _ids(m) for m in models}

    def new_id(model) -> int:
        next_id[model] += 1
        return next_id[model] - 1

    n_clients = max(1000, redemptions // 10)
    numbers = rng.sample(range(6_000_000_000, 9_999_999_999), n_clients)
    clients = [new_id(Client) for _ in numbers]
    with transaction.atomic():
        insert[Client]([{"id": i, "business_id": business.id, "name": f"Client {n}", "phone": f"+91{n}",
                         "phone_reversed": str(n)[::-1]} for i, n in zip(clients, numbers)])

    series: dict[tuple[int, str, str], DocumentSeries] = {}
    seqs: dict[int, int] = {}

    def take(branch: Branch, kind: str, on: date) -> tuple[int, int, str]:
        fy = financial_year(on).label
        key = (branch.id, kind, fy)
        if key not in series:
            series[key] = DocumentSeries.objects.create(business=business, branch=branch, kind=kind, fy=fy,
                                                        prefix=default_prefix(branch.code, kind))
            seqs[series[key].id] = 0
        s = series[key]
        seqs[s.id] += 1
        return s.id, seqs[s.id], format_number(s.prefix, fy, seqs[s.id])

    def at(day: date) -> datetime:
        return timezone.make_aware(datetime.combine(day, clock(rng.randint(10, 19), rng.choice((0, 15, 30, 45)))))

    snapshot = {"lines": [], "recipient": {"gstin": ""}}
    counts = {"packages": 0, "redemptions": 0, "bills": 0, "postings": 0}
    t0 = time.perf_counter()
    left = redemptions
    while left > 0:
        rows: dict = {m: [] for m in models}
        visits: list[tuple] = []
        for _ in range(5000):
            if left <= 0:
                break
            plan = rng.choice(plans)
            item = plan.items.all()[0]
            units = item.units
            branch = rng.choice(branches)
            sold_on = first_day + timedelta(days=rng.randint(0, DAYS - 30))
            sold_at = at(sold_on)
            who = rng.choice(clients)
            split = split_inclusive(plan.price, 1800, inter_state=False)
            package_id, bill_id, document_id, entry_id = (new_id(ClientPackage), new_id(Bill), new_id(Document),
                                                          new_id(JournalEntry))
            series_id, seq, number = take(branch, DocumentKind.TAX_INVOICE, sold_on)
            rows[Bill].append({"id": bill_id, "business_id": business.id, "branch_id": branch.id, "client_id": who,
                               "status": BillStatus.CLOSED, "opened_by_id": desk, "opened_at": sold_at,
                               "closed_by_id": desk, "closed_at": sold_at})
            rows[BillLine].append({
                "id": new_id(BillLine), "bill_id": bill_id, "type": LineType.PACKAGE_SALE, "description": plan.name,
                "plan_id": plan.id, "quantity": 1, "unit_price": plan.price, "amount": plan.price,
                "code": item.service.sac, "rate_bp": 1800, "taxable": split.taxable, "cgst": split.cgst,
                "sgst": split.sgst})
            rows[Payment].append({"id": new_id(Payment), "bill_id": bill_id, "method": "upi", "amount": plan.price,
                                  "received_at": sold_at})
            rows[Document].append({
                "id": document_id, "business_id": business.id, "branch_id": branch.id, "series_id": series_id,
                "kind": DocumentKind.TAX_INVOICE, "seq": seq, "number": number, "date": sold_on,
                "issued_at": sold_at, "bill_id": bill_id, "client_id": who, "taxable": split.taxable,
                "cgst": split.cgst, "sgst": split.sgst, "igst": 0, "round_off": 0, "total": plan.price,
                "snapshot": snapshot, "receipt_token": f"b{document_id}", "issued_by_id": desk})
            rows[JournalEntry].append({"id": entry_id, "business_id": business.id, "branch_id": branch.id,
                                       "date": sold_on, "kind": EntryKind.SALE, "memo": f"Tax invoice {number}",
                                       "document_id": document_id})
            for code, amount in (("upi", plan.price), ("deferred_revenue", -split.taxable),
                                 ("output_cgst", -split.cgst), ("output_sgst", -split.sgst)):
                rows[Posting].append({"id": new_id(Posting), "entry_id": entry_id, "account_id": accounts[code],
                                      "date": sold_on, "amount": amount})
            used = min(left, units if rng.random() < 0.7 else rng.randint(0, units))
            expires = sold_on + timedelta(days=plan.validity_days)
            rows[ClientPackage].append({
                "id": package_id, "business_id": business.id, "client_id": who, "plan_id": plan.id,
                "status": PackageStatus.EXHAUSTED if used == units else PackageStatus.ACTIVE,
                "purchased_on": sold_on, "expires_on": expires, "price": plan.price, "taxable": split.taxable,
                "tax_rate_bp": 1800, "sale_bill_id": bill_id, "sale_document_id": document_id})
            entitlement_id = new_id(Entitlement)
            rows[Entitlement].append({"id": entitlement_id, "package_id": package_id, "service_id": item.service.id,
                                      "total_units": units, "used_units": used, "taxable_value": split.taxable,
                                      "posted_value": sum(unit_value(split.taxable, units, u)
                                                          for u in range(1, used + 1))})
            day = sold_on
            for unit in range(1, used + 1):
                day = min(today, day + timedelta(days=rng.randint(1, 30)), expires)
                visits.append((day, rng.choice(branches), who, entitlement_id, item.service, units, unit,
                               unit_value(split.taxable, units, unit)))
            counts["packages"] += 1
            left -= used
        # Within a series, numbers follow dates.
        visits.sort(key=lambda v: v[0])
        for day, branch, who, entitlement_id, service, units, unit, value in visits:
            when = at(day)
            by = rng.choice(staff)
            bill_id, line_id, document_id, entry_id = (new_id(Bill), new_id(BillLine), new_id(Document),
                                                       new_id(JournalEntry))
            series_id, seq, number = take(branch, DocumentKind.REDEMPTION_NOTE, day)
            rows[Bill].append({"id": bill_id, "business_id": business.id, "branch_id": branch.id, "client_id": who,
                               "status": BillStatus.CLOSED, "opened_by_id": by, "opened_at": when,
                               "closed_by_id": by, "closed_at": when})
            rows[BillLine].append({"id": line_id, "bill_id": bill_id, "type": LineType.REDEMPTION,
                                   "service_id": service.id, "code": service.sac,
                                   "practitioner_id": rng.choice(performers),
                                   "description": f"{service.name}: session {unit} of {units}"})
            rows[Document].append({
                "id": document_id, "business_id": business.id, "branch_id": branch.id, "series_id": series_id,
                "kind": DocumentKind.REDEMPTION_NOTE, "seq": seq, "number": number, "date": day, "issued_at": when,
                "bill_id": bill_id, "client_id": who, "taxable": 0, "cgst": 0, "sgst": 0, "igst": 0,
                "round_off": 0, "total": 0, "snapshot": snapshot, "receipt_token": f"b{document_id}",
                "issued_by_id": by})
            rows[JournalEntry].append({"id": entry_id, "business_id": business.id, "branch_id": branch.id,
                                       "date": day, "kind": EntryKind.REDEMPTION,
                                       "memo": f"Sessions redeemed on {number}", "document_id": document_id,
                                       "created_by_id": by})
            for code, amount in (("deferred_revenue", value), ("service_revenue", -value)):
                rows[Posting].append({"id": new_id(Posting), "entry_id": entry_id, "account_id": accounts[code],
                                      "date": day, "amount": amount})
            rows[Redemption].append({
                "id": new_id(Redemption), "business_id": business.id, "entitlement_id": entitlement_id,
                "bill_id": bill_id, "line_id": line_id, "status": RedemptionStatus.POSTED, "session_number": unit,
                "unit": unit, "value": value, "held_at": when, "posted_at": when, "by_id": by})
            counts["redemptions"] += 1
        with transaction.atomic():
            for model in models[1:]:
                insert[model](rows[model])
        counts["bills"] += len(rows[Bill])
        counts["postings"] += len(rows[Posting])
        print(f"  … {counts['redemptions']:,} redemptions, {counts['postings']:,} postings "
              f"({time.perf_counter() - t0:.0f} s)", flush=True)
    for s in series.values():
        DocumentSeries.objects.filter(id=s.id).update(last_number=seqs[s.id])
    counts["seconds"] = time.perf_counter() - t0
    return c, counts


def run(redemptions: int, *, reuse: bool = False, repeat: int = 1, only: str = "") -> None:
    """Generate the chain (or, with `reuse`, take the last one generated in this database) and
    time every report and export on it: each `repeat` times, printing the median and the runs
    (the machine is shared, single runs are noisy). `only`: time just the labels containing it."""
    from django.db import connection
    from django.utils import timezone

    from glowpos.reports import exports, gstr1
    from glowpos.reports.registry import REPORTS, Params, Scope
    from glowpos.reports.views import SCREEN_ROWS
    from glowpos.tenancy.models import Business

    business = Business.objects.filter(name__startswith="Bench reports").order_by("-id").first() if reuse else None
    if business is not None:
        from types import SimpleNamespace

        from glowpos.tenancy.models import Role, StaffMember

        c = SimpleNamespace(business=business, owner=StaffMember.objects.get(business=business, role=Role.OWNER))
        print(f"reusing {business.name} ({connection.vendor})")
    else:
        print(f"generating a chain with {redemptions:,} redemptions ({connection.vendor}) …")
        c, counts = generate(redemptions)
        print(f"inserted {counts['packages']:,} packages, {counts['redemptions']:,} redemptions, "
              f"{counts['bills']:,} bills, {counts['postings']:,} postings in {counts['seconds']:.1f} s")
    # Planner statistics, as autovacuum keeps them on a live database: a bulk load has none (and
    # autovacuum may be off on a development server), and without them PostgreSQL sorts a million
    # postings on disk where it would hash them.
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"ANALYZE in {time.perf_counter() - t0:.1f} s")
    today = timezone.localdate()
    year = Params(today - timedelta(days=365), today, by="month")
    month_start = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    month = Params(month_start, today.replace(day=1) - timedelta(days=1), by="day")
    scope = Scope(c.owner, None)

    from glowpos.reports.middleware import planned_afresh

    def timed(label: str, fn, times: int = repeat) -> None:
        if only and only.lower() not in label.lower():
            return
        runs = []
        for _ in range(times):
            t0 = time.perf_counter()
            with planned_afresh():  # as a report request runs (ADR 0012)
                size = fn()
            runs.append(time.perf_counter() - t0)
        spread = f"   (runs: {', '.join(f'{r:.2f}' for r in runs)})" if times > 1 else ""
        print(f"  {label:<48} {statistics.median(runs):8.2f} s   {size}{spread}", flush=True)

    print(f"reports ({connection.vendor}; a year = {year.start} to {year.end}, a month = {month.start} to {month.end};"
          f" median of {repeat})")
    for params, span in ((year, "year"), (month, "month")):
        for report in REPORTS.values():
            if not report.period and span == "month":
                continue
            label = f"{report.title} ({span if report.period else 'today'})"
            # Files have every row; the screens and the API show the first SCREEN_ROWS of a long list.
            # Files (and the exports below) are timed once: their time is their size.
            timed(f"{label} file", lambda r=report, p=params: _rows(r.tables(r.fetch(scope, p, None))), 1)
            screen = replace(params, limit=SCREEN_ROWS)
            timed(f"{label} screen", lambda r=report, p=screen: _rows(r.tables(r.fetch(scope, p, None))))
    from glowpos.reports import selectors

    roll = selectors.deferred_rollforward(business=c.business, start=year.start, end=today, by=None)["total"]
    owed = selectors.liability_by_package(business=c.business, limit=1)["totals"]["money_left"]
    ledger = selectors.ledger_deferred_balance(business=c.business, as_of=today)
    tb = selectors.trial_balance(business=c.business, start=year.start, end=today)
    print(f"  ties: roll-forward closing {roll['closing']:,} vs ledger {roll['ledger']:,} paise "
          f"({'ties' if roll['ties'] else 'DIFFERS'}); packages owe {owed:,} vs ledger {ledger:,} paise "
          f"({'ties' if owed == ledger else 'DIFFERS'}); trial balance "
          f"{'balances' if tb['balanced'] else 'DOES NOT BALANCE'}")
    _time_home_screen(c.business, only=only)
    print("exports")
    business = c.business
    for name in ("journal.csv", "tally.xml", "ledger.beancount"):
        for params, span in ((month, "month"), (year, "year")):
            timed(f"{name} ({span})",
                  lambda n=name, p=params: _bytes(exports.book_export(n, scope=scope, params=p, get={})[0]), 1)
    timed("reports.xlsx (month)",
          lambda: _bytes(exports.book_export("reports.xlsx", scope=scope, params=month, get={})[0]), 1)
    gstin = business.branches.exclude(gstin="").values_list("gstin", flat=True).first()
    timed(f"GSTR-1 JSON ({month.start:%b %Y})", lambda: _bytes(gstr1.dumps(gstr1.build(
        business=business, gstin=gstin, year=month.start.year, month=month.start.month))))
    timed(f"GSTR-1 JSON (the quarter of {month.start:%b %Y})", lambda: _bytes(gstr1.dumps(gstr1.build(
        business=business, gstin=gstin, year=month.start.year, month=month.start.month, quarterly=True))))


def _time_home_screen(business, *, only: str) -> None:
    """The counter's home screen ("Today": the day's bills and money, expiring packages, last
    sessions) of the chain's front desk (one branch) and owner (all twenty), on today and on
    an ordinary day. Not a report: it runs with prepared statements, as the counter does, so
    each is timed ten times on one connection (prepared from the fifth) and the median of the
    last five is printed. (The generator gives today every session that would have fallen
    after it, so today has many times an ordinary day's bills: a worst case.)"""
    from django.utils import timezone

    from glowpos.billing.models import Bill, BillStatus
    from glowpos.frontdesk.selectors import today
    from glowpos.tenancy.models import Role, StaffMember

    for on in (timezone.localdate(), timezone.localdate() - timedelta(days=2)):
        closed = Bill.objects.filter(business=business, status=BillStatus.CLOSED, closed_at__date=on).count()
        for role in (Role.FRONT_DESK, Role.OWNER):
            label = f"home screen, {role.label.lower()}, {on} ({closed:,} bills closed)"
            if only and only.lower() not in label:
                continue
            runs = []
            for _ in range(10):
                staff = StaffMember.objects.select_related("business").get(business=business, role=role)
                t0 = time.perf_counter()
                today(staff=staff, on=on)
                runs.append(time.perf_counter() - t0)
            print(f"  {label:<60} {statistics.median(runs[5:]):6.2f} s   (first run {runs[0]:.2f} s)", flush=True)


def _rows(tables) -> str:
    # A streamed table (the general ledger's file) is counted as it is read, which is what
    # producing the file costs before the CSV is written.
    return f"{sum(sum(1 for _ in t.rows) for t in tables):,} rows"


def _bytes(body) -> str:
    if isinstance(body, (bytes, str)):
        size = len(body)
    else:
        size = sum(len(part) for part in body)
    return f"{size / 1e6:,.1f} MB"
