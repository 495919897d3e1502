"""Benchmarks print figures; they assert nothing.

    python -m bench search   [--clients 100000] [--queries 500]
    python -m bench checkout [--bills 300]
    python -m bench reports  [--redemptions 1000000] [--reuse] [--repeat 3] [--only text]
                             (bench/reports.py: every report and export, median of the runs)
    python -m bench import   [--rows 10000] [--format xlsx|csv]
    python -m bench load     [--seconds 30] [--terminals 32] [--workers 4] [--no-floor]   (bench/load.py:
                             gunicorn on a scratch PostgreSQL database, HTTP visits, the invariants,
                             then the same visits against the raw-SQL floor, bench/load_floor.py)

Each runs on its own database: an SQLite file in ./var/bench by default, or DATABASE_URL
(point it at a scratch PostgreSQL database; the benchmark adds its own business to it). Each
prints latency percentiles of the product's code path and of a hand-written raw-SQL floor
doing the same work on the same database, and their ratio.
"""
from __future__ import annotations

import argparse
import json
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

    def opened(n: int) -> list[int]:
        """n open bills of one service line each."""
        ids = []
        for _ in range(n):
            bill = billing.open_bill(client_id=priya.id, by=desk)
            billing.add_service(bill_id=bill.id, service_id=service.id, by=desk)
            ids.append(bill.id)
        return ids

    open_bills = opened(bills)
    due = billing.bill_totals(Bill.objects.get(id=open_bills[0])).total

    def product(i: int) -> None:
        billing.close_bill(bill_id=open_bills[i], payments=[{"method": "upi", "amount": due}],
                           idempotency_key=f"bench-{open_bills[i]}", by=desk)

    # The floors, each one transaction on the same database.
    # "Same statements": what close_bill sends, written by hand — lock the bill (with its
    # business, branch and client), read its lines (with their holds) and the tax rates, insert the payment, read
    # the client's packages for the receipt, bump the series (UPDATE … RETURNING), insert
    # the document (the same snapshot, as JSON), read the accounts, insert the journal entry and
    # its postings, close the bill, read the business's quiet channels, queue the receipt.
    # "Writes only" (sessions 1-3): the same rows written, but the rates, the accounts, the
    # packages and the channels not read, and a placeholder snapshot.
    floor_bills, writes_bills = opened(bills), opened(bills)
    sold_package(c, priya)  # makes sure the series, accounts exist; the receipt lists a package
    from glowpos.documents.models import Document, DocumentSeries
    from glowpos.ledger.models import Account

    series = DocumentSeries.objects.get(branch__business=c.business, kind="tax_invoice")
    codes = ["upi", "service_revenue", "output_cgst", "output_sgst"]
    accounts = list(Account.objects.filter(business=c.business, code__in=codes).values_list("id", flat=True))
    for_update = " FOR UPDATE" if connection.vendor == "postgresql" else ""
    bill_lock = " FOR UPDATE OF b" if connection.vendor == "postgresql" else ""
    sac = service.sac
    snapshot = None  # a product document's snapshot: the same JSON the product writes

    def insert_document(cur, bill_id: int, seq: int, now, today, snapshot_json: str) -> int:
        cur.execute(
            "INSERT INTO documents_document (business_id, branch_id, series_id, kind, seq, number, date, issued_at,"
            " bill_id, client_id, taxable, cgst, sgst, igst, round_off, total, snapshot, receipt_token, issued_by_id)"
            " VALUES (%s,%s,%s,'tax_invoice',%s,%s,%s,%s,%s,%s,%s,%s,%s,0,0,%s,%s,%s,%s) RETURNING id",
            [c.business.id, series.branch_id, series.id, seq, f"RAW/{seq:011d}"[:16], today, now, bill_id,
             priya.id, due - 2, 1, 1, due, snapshot_json, f"raw-{bill_id}-{time.time_ns()}", desk.id],
        )
        return cur.fetchone()[0]

    def same_statements(i: int) -> None:
        now, today, bill_id = timezone.now(), timezone.localdate(), floor_bills[i]
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("SELECT b.*, bu.*, br.*, cl.* FROM billing_bill b JOIN tenancy_business bu ON bu.id = b.business_id"
                        " JOIN tenancy_branch br ON br.id = b.branch_id LEFT JOIN clients_client cl ON cl.id = b.client_id"
                        f" WHERE b.business_id = %s AND b.id = %s LIMIT 1{bill_lock}",
                        [c.business.id, bill_id])
            cur.fetchone()
            cur.execute("SELECT l.*, r.* FROM billing_billline l LEFT JOIN packages_redemption r ON r.line_id = l.id"
                        " WHERE l.bill_id = %s ORDER BY l.id", [bill_id])  # the lines with their holds, if any
            cur.fetchall()
            cur.execute("SELECT code, rate_bp, exempt FROM catalog_taxrate WHERE business_id = %s AND code IN (%s)"
                        " AND effective_from <= %s"
                        " ORDER BY code, effective_from DESC", [c.business.id, sac, today])
            cur.fetchall()
            cur.execute("INSERT INTO billing_payment (bill_id, method, amount, received_at) VALUES (%s, 'upi', %s, %s)"
                        " RETURNING id", [bill_id, due, now])
            cur.execute(
                "SELECT p.id, p.status, p.purchased_on, p.expires_on, p.credit_total, p.credit_used, pl.name, pl.code,"
                " pl.kind, pl.member_discount_bp, pl.rollover, e.id, e.service_id, e.total_units, e.used_units,"
                " e.held_units, s.name FROM packages_clientpackage p JOIN catalog_packageplan pl ON pl.id = p.plan_id"
                " LEFT JOIN packages_entitlement e ON e.package_id = p.id LEFT JOIN catalog_service s ON s.id = e.service_id"
                " WHERE p.business_id = %s AND p.client_id = %s AND p.status IN ('active', 'frozen') AND p.expires_on >= %s"
                " ORDER BY e.id",
                [c.business.id, priya.id, today])
            cur.fetchall()
            cur.execute("UPDATE documents_documentseries SET last_number = last_number + 1 WHERE branch_id = %s"
                        " AND kind = 'tax_invoice' AND fy = %s RETURNING id, prefix, last_number",
                        [series.branch_id, series.fy])
            seq = cur.fetchone()[2]
            document = insert_document(cur, bill_id, seq, now, today, json.dumps(snapshot))
            cur.execute("SELECT * FROM ledger_account WHERE business_id = %s AND code IN (%s, %s, %s, %s)",
                        [c.business.id, *codes])
            cur.fetchall()
            cur.execute("INSERT INTO ledger_journalentry (business_id, branch_id, date, kind, memo, document_id,"
                        " created_at, created_by_id) VALUES (%s,%s,%s,'sale','raw',%s,%s,%s) RETURNING id",
                        [c.business.id, series.branch_id, today, document, now, desk.id])
            entry = cur.fetchone()[0]
            cur.execute("INSERT INTO ledger_posting (entry_id, account_id, date, amount) VALUES"
                        " (%s,%s,%s,%s), (%s,%s,%s,%s), (%s,%s,%s,%s), (%s,%s,%s,%s) RETURNING id",
                        [v for account, amount in zip(accounts, [due, -(due - 2), -1, -1])
                         for v in (entry, account, today, amount)])
            cur.execute("UPDATE billing_bill SET status = 'closed', closed_at = %s, closed_by_id = %s,"
                        " idempotency_key = %s, close_fingerprint = %s WHERE id = %s",
                        [now, desk.id, f"raw-{bill_id}", "0" * 64, bill_id])
            cur.execute("SELECT channel FROM receipts_messagetemplate WHERE business_id = %s AND NOT send_on_close",
                        [c.business.id])
            cur.fetchall()
            _queue(cur, document, now)

    def _queue(cur, document: int, now) -> None:
        cur.execute(
            "INSERT INTO receipts_outboxmessage (business_id, document_id, channel, \"to\", status, attempts,"
            " created_at, dedupe_key, requested, next_attempt_at, claimed_by, provider_id, last_error, body)"
            " VALUES (%s, %s, 'sms', %s, 'pending', 0, %s, %s, %s, %s, '', '', '', '') RETURNING id",
            [c.business.id, document, priya.phone, now, f"raw:{document}", False, now],
        )

    def writes_only(i: int) -> None:
        now, today, bill_id = timezone.now(), timezone.localdate(), writes_bills[i]
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(f"SELECT id, status FROM billing_bill WHERE id = %s{for_update}", [bill_id])
            cur.execute("SELECT SUM(amount), SUM(taxable) FROM billing_billline WHERE bill_id = %s", [bill_id])
            cur.execute(f"SELECT last_number FROM documents_documentseries WHERE id = %s{for_update}", [series.id])
            seq = cur.fetchone()[0] + 1
            cur.execute("UPDATE documents_documentseries SET last_number = %s WHERE id = %s", [seq, series.id])
            cur.execute("INSERT INTO billing_payment (bill_id, method, amount, received_at) VALUES (%s, 'upi', %s, %s)",
                        [bill_id, due, now])
            document = insert_document(cur, bill_id, seq, now, today, '{"lines": []}')
            cur.execute("INSERT INTO ledger_journalentry (business_id, branch_id, date, kind, memo, created_at)"
                        " VALUES (%s,%s,%s,'sale','raw',%s) RETURNING id", [c.business.id, series.branch_id, today, now])
            entry = cur.fetchone()[0]
            for account, amount in zip(accounts, [due, -(due - 2), -1, -1]):
                cur.execute("INSERT INTO ledger_posting (entry_id, account_id, date, amount) VALUES (%s,%s,%s,%s)",
                            [entry, account, today, amount])
            cur.execute("UPDATE billing_bill SET status = 'closed', closed_at = %s WHERE id = %s", [now, bill_id])
            _queue(cur, document, now)

    product(0)
    snapshot = Document.objects.get(bill_id=open_bills[0]).snapshot
    timings = {"close_bill": [], "same statements": [], "writes only": []}
    cpu = dict.fromkeys(timings, 0.0)
    # Interleaved, so a busy moment of the machine falls on all three alike.
    for i in range(1, bills):
        for label, fn in (("close_bill", product), ("same statements", same_statements), ("writes only", writes_only)):
            c0, t0 = time.process_time(), time.perf_counter()
            fn(i)
            timings[label].append(time.perf_counter() - t0)
            cpu[label] += time.process_time() - c0
    print(f"close_bill, one service line paid by UPI, the client holding a package ({connection.vendor})")
    for label, samples in timings.items():
        print(f"  {label:16}: {percentiles(samples)}   CPU here {cpu[label] * 1000 / len(samples):.2f} ms")
    ours = statistics.median(timings["close_bill"])
    print(f"  ratio p50, against the same statements by hand : {ours / statistics.median(timings['same statements']):.2f}x"
          "  (target ≤ 3x)")
    print(f"  ratio p50, against the writes-only floor       : {ours / statistics.median(timings['writes only']):.2f}x"
          "  (the floor of sessions 1-3)")
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
    lo.add_argument("--no-floor", dest="floor", action="store_false",
                    help="skip the raw-SQL floor (bench/load_floor.py) after the product")
    args = parser.parse_args(argv)
    if args.what == "load":  # its own scratch database: nothing to migrate here first
        from bench.load import run as load

        sys.exit(load(seconds=args.seconds, terminals=args.terminals, workers=args.workers, keep=args.keep,
                      floor=args.floor))
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
