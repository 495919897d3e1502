"""Benchmarks print figures; they assert nothing.

    python -m bench search   [--clients 100000] [--queries 500]
    python -m bench checkout [--bills 300]
    python -m bench reports  [--redemptions 1000000] [--reuse] [--repeat 3] [--only text]
                             (bench/reports.py: every report and export, median of the runs)
    python -m bench import   [--rows 10000] [--format xlsx|csv]
    python -m bench load     [--seconds 30] [--terminals 32] [--workers 4]   (bench/load.py: gunicorn
                             on a scratch PostgreSQL database, HTTP visits, then the invariants)

Each runs on its own database: an SQLite file in ./var/bench by default, or DATABASE_URL
(point it at a scratch PostgreSQL database; the benchmark adds its own business to it). Each
prints latency percentiles of the product's code path and of a hand-written raw-SQL floor
doing the same work on the same database, and their ratio.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "glowpos.settings")
os.environ.setdefault("GLOWPOS_VAR_DIR", str(Path.cwd() / "var" / "bench"))


def _setup() -> None:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def percentiles(samples_s: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples_s)
    q = statistics.quantiles(ms, n=100)
    return f"p50 {q[49]:7.2f} ms   p95 {q[94]:7.2f} ms   max {ms[-1]:7.2f} ms   (n={len(ms)})"


def _timed(fn, n: int) -> list[float]:
    samples = []
    for i in range(n):
        t0 = time.perf_counter()
        fn(i)
        samples.append(time.perf_counter() - t0)
    return samples


def _upper(prefix: str) -> str:
    from glowpos.clients.selectors import _next_prefix

    return _next_prefix(prefix) or "A"


def bench_search(clients: int, queries: int) -> None:
    import random

    from django.db import connection

    from glowpos.clients.models import Client
    from glowpos.clients.selectors import find_clients
    from tests.factories import clinic

    c = clinic(name=f"Bench search {time.time_ns()}")
    rng = random.Random(1)
    t0 = time.perf_counter()
    numbers = rng.sample(range(6_000_000_000, 9_999_999_999), clients)
    batch = [
        Client(business=c.business, name=f"Client {i}", phone=f"+91{n}", phone_reversed=str(n)[::-1])
        for i, n in enumerate(numbers)
    ]
    Client.objects.bulk_create(batch, batch_size=5000)
    print(f"{connection.vendor}: inserted {clients:,} clients in {time.perf_counter() - t0:.1f} s")
    suffixes = [str(rng.choice(numbers))[-4:] for _ in range(queries)]

    def product(i: int) -> None:
        list(find_clients(business=c.business, query=suffixes[i]))

    def raw(i: int) -> None:
        with connection.cursor() as cur:
            cur.execute(
                "SELECT id, name, phone FROM clients_client WHERE business_id = %s "
                "AND phone_reversed >= %s AND phone_reversed < %s ORDER BY name LIMIT 20",
                [c.business.id, suffixes[i][::-1], _upper(suffixes[i][::-1])],
            )
            cur.fetchall()

    _timed(product, 20), _timed(raw, 20)  # warm caches
    ours, floor = _timed(product, queries), _timed(raw, queries)
    print(f"search by last 4 digits, {clients:,} clients ({connection.vendor})")
    print(f"  find_clients : {percentiles(ours)}")
    print(f"  raw SQL      : {percentiles(floor)}")
    print(f"  ratio p50    : {statistics.median(ours) / statistics.median(floor):.2f}x")


def bench_checkout(bills: int) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from glowpos.billing import services as billing
    from glowpos.billing.models import Bill
    from tests.factories import clinic, client, sold_package

    c = clinic(name=f"Bench checkout {time.time_ns()}")
    desk = c.front_desk
    priya = client(c)
    service = c.service("Skin cleanup")
    open_bills = []
    for _ in range(bills):
        bill = billing.open_bill(client_id=priya.id, by=desk)
        billing.add_service(bill_id=bill.id, service_id=service.id, by=desk)
        open_bills.append(bill.id)
    due = billing.bill_totals(Bill.objects.get(id=open_bills[0])).total

    def product(i: int) -> None:
        billing.close_bill(bill_id=open_bills[i], payments=[{"method": "upi", "amount": due}],
                           idempotency_key=f"bench-{open_bills[i]}", by=desk)

    # The floor: the same rows written by hand in one transaction (lock bill and series row,
    # payment, document, journal entry with its postings, bill update, outbox row).
    floor_bills = []
    for _ in range(bills):
        bill = billing.open_bill(client_id=priya.id, by=desk)
        billing.add_service(bill_id=bill.id, service_id=service.id, by=desk)
        floor_bills.append(bill.id)
    sold_package(c, priya)  # makes sure the series, accounts exist
    from glowpos.documents.models import DocumentSeries
    from glowpos.ledger.models import Account

    series = DocumentSeries.objects.get(branch__business=c.business, kind="tax_invoice")
    accounts = list(Account.objects.filter(business=c.business, code__in=["upi", "service_revenue", "output_cgst", "output_sgst"]).values_list("id", flat=True))
    for_update = " FOR UPDATE" if connection.vendor == "postgresql" else ""

    def raw(i: int) -> None:
        now = timezone.now()
        today = timezone.localdate()
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(f"SELECT id, status FROM billing_bill WHERE id = %s{for_update}", [floor_bills[i]])
            cur.execute("SELECT SUM(amount), SUM(taxable) FROM billing_billline WHERE bill_id = %s", [floor_bills[i]])
            cur.execute(f"SELECT last_number FROM documents_documentseries WHERE id = %s{for_update}", [series.id])
            seq = cur.fetchone()[0] + 1
            cur.execute("UPDATE documents_documentseries SET last_number = %s WHERE id = %s", [seq, series.id])
            cur.execute("INSERT INTO billing_payment (bill_id, method, amount, received_at) VALUES (%s, 'upi', %s, %s)",
                        [floor_bills[i], due, now])
            cur.execute(
                "INSERT INTO documents_document (business_id, branch_id, series_id, kind, seq, number, date, issued_at,"
                " bill_id, client_id, taxable, cgst, sgst, igst, round_off, total, snapshot, receipt_token, issued_by_id)"
                " VALUES (%s,%s,%s,'tax_invoice',%s,%s,%s,%s,%s,%s,%s,%s,%s,0,0,%s,%s,%s,%s)",
                [c.business.id, series.branch_id, series.id, seq, f"RAW/{seq:011d}"[:16], today, now, floor_bills[i],
                 priya.id, due - 2, 1, 1, due, '{"lines": []}', f"raw-{floor_bills[i]}-{time.time_ns()}", desk.id],
            )
            cur.execute("INSERT INTO ledger_journalentry (business_id, branch_id, date, kind, memo, created_at) VALUES (%s,%s,%s,'sale','raw',%s)",
                        [c.business.id, series.branch_id, today, now])
            cur.execute("SELECT MAX(id) FROM ledger_journalentry")
            entry = cur.fetchone()[0]
            for account, amount in zip(accounts, [due, -(due - 2), -1, -1]):
                cur.execute("INSERT INTO ledger_posting (entry_id, account_id, date, amount) VALUES (%s,%s,%s,%s)",
                            [entry, account, today, amount])
            cur.execute("UPDATE billing_bill SET status = 'closed', closed_at = %s WHERE id = %s", [now, floor_bills[i]])
            cur.execute(
                "INSERT INTO receipts_outboxmessage (business_id, document_id, channel, \"to\", status, attempts,"
                " created_at, dedupe_key, requested, next_attempt_at, claimed_by, provider_id, last_error, body)"
                " VALUES (%s, (SELECT MAX(id) FROM documents_document), 'sms', %s, 'pending', 0, %s, %s, %s, %s,"
                " '', '', '', '')",
                [c.business.id, priya.phone, now, f"raw:{floor_bills[i]}:{time.time_ns()}", False, now],
            )

    cpu0 = time.process_time()
    ours = _timed(product, bills)
    cpu1 = time.process_time()
    floor = _timed(raw, bills)
    cpu2 = time.process_time()
    print(f"close_bill, one service line paid by UPI ({connection.vendor})")
    print(f"  close_bill : {percentiles(ours)}   CPU here {(cpu1 - cpu0) * 1000 / bills:.2f} ms")
    print(f"  raw SQL    : {percentiles(floor)}   CPU here {(cpu2 - cpu1) * 1000 / bills:.2f} ms")
    print(f"  ratio p50  : {statistics.median(ours) / statistics.median(floor):.2f}x  (target ≤ 3x)")
    print("  (CPU here: this process's CPU time per close — Python, the ORM and, on SQLite, the database;"
          " steadier than wall time on a shared machine)")


def bench_import(rows: int, fmt: str) -> None:
    """A clinic's whole client list: 80 % with an open package (plans by code and by name, some
    sessions used), 20 % clients only. Times the dry run and the commit of one file."""
    import random
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from glowpos.money import format_inr
    from glowpos.onboarding.services import commit_import, preview_import
    from tests.factories import clinic
    from tests.onboarding.sheets import csv_bytes, xlsx_bytes

    c = clinic(name=f"Bench import {time.time_ns()}")
    rng = random.Random(3)
    today = timezone.localdate()
    plans = [("LHR-6", 6, 24000), ("Skin cleanup — 5 sessions", 5, 5000), ("PEEL-4", 4, 12000)]
    numbers = rng.sample(range(6_000_000_000, 9_999_999_999), rows)
    table = []
    for i, n in enumerate(numbers):
        if i % 5 == 4:
            table.append([f"Client {i}", f"{n}", "", "", "", "", "", "", "", ""])
            continue
        plan, units, rupees = plans[i % 3]
        bought = today - timedelta(days=rng.randint(0, 170))
        table.append([f"Client {i}", f"+91 {n}", f"client{i}@example.in", plan, "", units,
                      rng.randint(0, units), rupees, f"{bought:%d/%m/%Y}", ""])
    data = (xlsx_bytes if fmt == "xlsx" else csv_bytes)(table)
    print(f"import of {rows:,} rows ({fmt}, {len(data) / 1024:.0f} KB, {connection.vendor})")
    t0 = time.perf_counter()
    preview = preview_import(by=c.owner, data=data, filename=f"bench.{fmt}")
    t1 = time.perf_counter()
    done = commit_import(by=c.owner, data=data, filename=f"bench.{fmt}")
    t2 = time.perf_counter()
    counts = done.batch.report["counts"]
    assert preview.checked.bad_rows == 0 and counts["packages_created"] == len(preview.checked.packages)
    print(f"  dry run (read + check)   : {t1 - t0:6.2f} s")
    print(f"  commit (check + write)   : {t2 - t1:6.2f} s   (target < 30 s)")
    print(f"  written: {counts['clients_created']:,} clients, {counts['packages_created']:,} packages, "
          f"opening deferred revenue {format_inr(counts['opening_deferred'])}")
    t3 = time.perf_counter()
    again = commit_import(by=c.owner, data=data, filename=f"bench.{fmt}")
    print(f"  the same file again      : {time.perf_counter() - t3:6.2f} s   (created: {again.created})")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    sub = parser.add_subparsers(dest="what", required=True)
    s = sub.add_parser("search")
    s.add_argument("--clients", type=int, default=100_000)
    s.add_argument("--queries", type=int, default=500)
    k = sub.add_parser("checkout")
    k.add_argument("--bills", type=int, default=300)
    r = sub.add_parser("reports")
    r.add_argument("--redemptions", type=int, default=1_000_000)
    r.add_argument("--reuse", action="store_true", help="time the chain generated last time, generate nothing")
    r.add_argument("--repeat", type=int, default=1, help="time each report this many times; print the median")
    r.add_argument("--only", default="", help="time only the reports and exports whose label contains this")
    m = sub.add_parser("import")
    m.add_argument("--rows", type=int, default=10_000)
    m.add_argument("--format", choices=["xlsx", "csv"], default="xlsx")
    fd = sub.add_parser("counter")
    fd.add_argument("--clients", type=int, default=100_000)
    fd.add_argument("--samples", type=int, default=200)
    lo = sub.add_parser("load")
    lo.add_argument("--seconds", type=int, default=30)
    lo.add_argument("--terminals", type=int, default=32)
    lo.add_argument("--workers", type=int, default=4)
    lo.add_argument("--keep", action="store_true", help="keep the scratch database afterwards")
    args = parser.parse_args(argv)
    if args.what == "load":  # its own scratch database: nothing to migrate here first
        from bench.load import run as load

        sys.exit(load(seconds=args.seconds, terminals=args.terminals, workers=args.workers, keep=args.keep))
    sys.path.insert(0, str(Path.cwd()))
    _setup()
    if args.what == "search":
        bench_search(args.clients, args.queries)
    elif args.what == "import":
        bench_import(args.rows, args.format)
    elif args.what == "counter":
        from bench.counter import run as counter

        counter(args.clients, args.samples, percentiles)
    elif args.what == "reports":
        from bench.reports import run

        run(args.redemptions, reuse=args.reuse, repeat=args.repeat, only=args.only)
    else:
        bench_checkout(args.bills)


if __name__ == "__main__":
    main(sys.argv[1:])
