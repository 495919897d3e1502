"""The raw-SQL floor of `bench load`: the five requests of a visit answered by a bare WSGI app
(no Django, no ORM) that sends, by hand through psycopg, the statements the product sends for
them — the same tables, joins, locks, transactions and rows (see tests/api/test_answers.py
for the product's count per request) — on the same gunicorn, database and data.

It checks no rule and answers only what the load generator reads, so it is faster than any
real product could be; what lies between it and the product is Django, the ORM and the
product's own Python. Served as `bench.load_floor:application`, with `FLOOR_DSN` naming the
database (the bench's scratch one). Never for real use: it is a measuring stick.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import psycopg

CLINIC_TIME = ZoneInfo("Asia/Kolkata")  # settings.TIME_ZONE: a supply's date is the clinic's
_connection: psycopg.Connection | None = None


def db() -> psycopg.Connection:
    """One connection per worker, kept (as CONN_MAX_AGE keeps the product's); psycopg binds on
    the server and prepares a statement on its fifth use, as the product's connection does."""
    global _connection
    if _connection is None or _connection.closed:
        _connection = psycopg.connect(os.environ["FLOOR_DSN"], autocommit=True)
    return _connection


def rows(sql: str, params=()) -> list[tuple]:
    with db().cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall() if cur.description else []


def row(sql: str, params=()) -> tuple | None:
    found = rows(sql, params)
    return found[0] if found else None


def financial_year(on: date) -> str:
    start = on.year if on.month >= 4 else on.year - 1
    return f"{start % 100:02d}-{(start + 1) % 100:02d}"


# The token check: the staff member and her business, the token and the login only matched, and
# the ids of her branches (the request's branch scope).
STAFF = ("SELECT s.id, s.business_id, s.role, b.name, b.legal_name, b.round_off_to_rupee,"
         " (SELECT STRING_AGG(sb.branch_id::text, ',') FROM tenancy_staffmember_branches sb"
         " WHERE sb.staffmember_id = s.id GROUP BY sb.staffmember_id) FROM tenancy_staffmember s"
         " JOIN tenancy_business b ON b.id = s.business_id JOIN tenancy_apitoken t ON t.staff_id = s.id"
         " JOIN auth_user u ON u.id = s.user_id WHERE t.key_hash = %s AND t.revoked_at IS NULL"
         " AND t.expires_at > %s AND u.is_active LIMIT 1")
CLIENT = "SELECT * FROM clients_client WHERE business_id = %s AND id = %s LIMIT 1"
PACKAGES = (
    "SELECT p.id, p.status, p.purchased_on, p.expires_on, p.credit_total, p.credit_used, pl.name, pl.code, pl.kind,"
    " pl.member_discount_bp, pl.rollover, e.id, e.service_id, e.total_units, e.used_units, e.held_units, sv.name"
    " FROM packages_clientpackage p JOIN catalog_packageplan pl ON pl.id = p.plan_id"
    " LEFT JOIN packages_entitlement e ON e.package_id = p.id LEFT JOIN catalog_service sv ON sv.id = e.service_id"
    " WHERE p.business_id = %s AND p.client_id = %s{only} ORDER BY e.id")
LINES = ("SELECT l.id, l.description, l.amount, l.*, r.id, r.status, r.session_number, e.package_id, e.total_units"
         " FROM billing_billline l"
         " LEFT JOIN packages_redemption r ON r.line_id = l.id LEFT JOIN packages_entitlement e ON e.id = r.entitlement_id"
         " WHERE l.bill_id = %s ORDER BY l.id")


def packages_of(business_id: int, client_id: int, *, on: date | None = None) -> list[dict]:
    only = " AND p.status IN ('active', 'frozen') AND p.expires_on >= %s" if on else ""
    found: dict[int, dict] = {}
    for r in rows(PACKAGES.format(only=only), (business_id, client_id, on) if on else (business_id, client_id)):
        package = found.setdefault(r[0], {"id": r[0], "status": r[1], "plan_name": r[6], "plan_code": r[7],
                                          "expires_on": r[3].isoformat(), "items": []})
        if r[11] is not None:
            package["items"].append({"service_id": r[12], "service_name": r[16], "total": r[13], "used": r[14],
                                     "held": r[15], "remaining": r[13] - r[14] - r[15]})
    return list(found.values())


def bill_answer(bill_id: int, status: str) -> dict:
    lines = [{"id": r[0], "description": r[1], "amount": r[2],
              **({"package": {"id": r[-2], "session": r[-3], "total": r[-1], "status": r[-4]}} if r[-5] else {})}
             for r in rows(LINES, (bill_id,))]
    return {"id": bill_id, "status": status, "lines": lines}


def search(staff, query: dict, body: dict):
    digits = query["q"][::-1]
    upper = digits[:-1] + chr(ord(digits[-1]) + 1)
    found = rows("SELECT id, name, phone FROM clients_client WHERE business_id = %s AND phone_reversed >= %s"
                 " AND phone_reversed < %s ORDER BY name LIMIT 20", (staff[1], digits, upper))
    return 200, [{"id": i, "name": n, "phone": p} for i, n, p in found]


def profile(staff, client_id: int, body: dict):
    client = row(CLIENT, (staff[1], client_id))
    return 200, {"id": client[0], "name": client[2], "phone": client[3], "packages": packages_of(staff[1], client_id)}


def open_bill(staff, body: dict):
    client = row(CLIENT, (staff[1], body["client_id"]))
    branch = (min(int(i) for i in staff[6].split(",")),) if staff[6] else row(
        "SELECT * FROM tenancy_branch WHERE business_id = %s ORDER BY id LIMIT 1", (staff[1],))
    bill_id = row("INSERT INTO billing_bill (business_id, branch_id, client_id, status, opened_by_id, opened_at,"
                  " ship_to_state_code, close_fingerprint, void_reason) VALUES (%s, %s, %s, 'open', %s, %s, '', '', '')"
                  " RETURNING id", (staff[1], branch[0], client[0], staff[0], datetime.now(timezone.utc)))[0]
    return 201, {"id": bill_id, "status": "open", "client_id": client[0], "lines": []}


def redeem(staff, bill_id: int, body: dict):
    now = datetime.now(timezone.utc)
    with db().transaction():
        bill = row("SELECT b.*, bu.* FROM billing_bill b JOIN tenancy_business bu ON bu.id = b.business_id"
                   " WHERE b.business_id = %s AND b.id = %s LIMIT 1 FOR UPDATE OF b", (staff[1], bill_id))
        ent = row("SELECT e.id, e.total_units, e.used_units, e.held_units, sv.name, sv.sac FROM packages_entitlement e"
                  " JOIN packages_clientpackage p ON p.id = e.package_id JOIN catalog_service sv ON sv.id = e.service_id"
                  " WHERE p.business_id = %s AND e.package_id = %s AND e.service_id = %s LIMIT 1 FOR UPDATE OF e",
                  (staff[1], body["package_id"], body["service_id"]))
        row("SELECT p.*, pl.* FROM packages_clientpackage p JOIN catalog_packageplan pl ON pl.id = p.plan_id"
            " WHERE p.business_id = %s AND p.id = %s LIMIT 1", (staff[1], body["package_id"]))
        rows("UPDATE packages_entitlement SET held_units = held_units + 1 WHERE id = %s", (ent[0],))
        session = ent[2] + ent[3] + 1
        line_id = row(
            "INSERT INTO billing_billline (bill_id, type, description, service_id, quantity, unit_price, discount,"
            " amount, code, rate_bp, exempt, taxable, cgst, sgst, igst) VALUES (%s, 'redemption', %s, %s, 1, 0, 0, 0,"
            " %s, 0, false, 0, 0, 0, 0) RETURNING id",
            (bill[0], f"{ent[4]} — session {session} of {ent[1]}, {ent[1] - session} remaining", body["service_id"],
             ent[5]))[0]
        row("INSERT INTO packages_redemption (business_id, entitlement_id, bill_id, line_id, status, session_number,"
            " held_at, by_id) VALUES (%s, %s, %s, %s, 'pending', %s, %s, %s) RETURNING id",
            (staff[1], ent[0], bill[0], line_id, session, now, staff[0]))
        row("INSERT INTO packages_packageevent (package_id, kind, at, by_id, reason, data) VALUES (%s, 'held', %s, %s,"
            " '', %s) RETURNING id", (body["package_id"], now, staff[0],
                                     json.dumps({"bill": bill[0], "service": body["service_id"], "session": session})))
    return 201, bill_answer(bill_id, "open")


def close(staff, bill_id: int, body: dict, key: str):
    now = datetime.now(timezone.utc)
    today = now.astimezone(CLINIC_TIME).date()
    with db().transaction():
        bill = row("SELECT b.id, b.business_id, b.branch_id, b.client_id, bu.name, bu.legal_name, br.code, br.name,"
                   " br.address, br.state_name, br.state_code, br.gstin, cl.name, cl.phone, cl.email, cl.sms_opt_out"
                   " FROM billing_bill b JOIN tenancy_business bu ON bu.id = b.business_id"
                   " JOIN tenancy_branch br ON br.id = b.branch_id JOIN clients_client cl ON cl.id = b.client_id"
                   " WHERE b.business_id = %s AND b.id = %s LIMIT 1 FOR UPDATE OF b", (staff[1], bill_id))
        lines = rows("SELECT l.*, r.id, r.entitlement_id, r.line_id, r.status FROM billing_billline l"  # priced by the product
                     " LEFT JOIN packages_redemption r ON r.line_id = l.id WHERE l.bill_id = %s ORDER BY l.id", (bill_id,))
        held = sorted(line[-4:-1] for line in lines if line[-1] == "pending")
        ents = {r[0]: r for r in rows(
            "SELECT e.id, e.package_id, e.service_id, e.total_units, e.used_units, e.taxable_value, d.number, pl.code,"
            " sv.name, p.*, pl.*, sv.* FROM packages_entitlement e JOIN packages_clientpackage p ON p.id = e.package_id"
            " JOIN catalog_packageplan pl ON pl.id = p.plan_id JOIN catalog_service sv ON sv.id = e.service_id"
            " LEFT JOIN documents_document d ON d.id = p.sale_document_id WHERE e.id = ANY(%s) ORDER BY e.id"
            " FOR UPDATE OF e", (sorted({h[1] for h in held}),))}
        snapshot_lines, recognised = [], 0
        for redemption_id, ent_id, line_id in held:
            ent = ents[ent_id]
            taken = {u for (u,) in rows("SELECT unit FROM packages_redemption WHERE entitlement_id = %s"
                                        " AND status = 'posted'", (ent_id,))}
            unit = min(n for n in range(1, ent[3] + 1) if n not in taken)
            session, value = ent[4] + 1, ent[5] // ent[3]
            recognised += value
            rows("UPDATE packages_entitlement SET used_units = used_units + 1, held_units = held_units - 1,"
                 " posted_value = posted_value + %s WHERE id = %s", (value, ent_id))
            caption = (f"{ent[8]} — from package {ent[7]} (invoice {ent[6]}): session {session} of {ent[3]},"
                       f" {ent[3] - session} remaining")
            rows("UPDATE billing_billline SET description = %s WHERE id = %s", (caption, line_id))
            rows("UPDATE packages_redemption SET status = 'posted', posted_at = %s, session_number = %s, unit = %s,"
                 " value = %s WHERE id = %s", (now, session, unit, value, redemption_id))
            row("INSERT INTO packages_packageevent (package_id, kind, at, by_id, reason, data) VALUES"
                " (%s, 'redeemed', %s, %s, '', %s) RETURNING id",
                (ent[1], now, staff[0], json.dumps({"bill": bill_id, "service": ent[2], "session": session,
                                                    "value": value})))
            snapshot_lines.append({"id": line_id, "type": "redemption", "description": caption, "amount": 0,
                                   "package": {"id": ent[1], "code": ent[7], "session": session, "total": ent[3],
                                               "remaining_after": ent[3] - session}})
        receipt = packages_of(staff[1], bill[3], on=today)
        series_id, prefix, seq = row(
            "UPDATE documents_documentseries SET last_number = last_number + 1 WHERE branch_id = %s"
            " AND kind = 'redemption_note' AND fy = %s RETURNING id, prefix, last_number",
            (bill[2], financial_year(today)))
        head = f"{prefix}/{financial_year(today)}/"
        number = f"{head}{seq:0{16 - len(head)}d}"
        snapshot = {
            "title": "Redemption note", "bill_id": bill_id,
            "supplier": {"name": bill[5] or bill[4], "trade_name": bill[4], "branch": bill[7], "address": bill[8],
                         "state": bill[9], "state_code": bill[10], "gstin": bill[11]},
            "recipient": {"name": bill[12], "phone": bill[13], "email": bill[14]},
            "place_of_supply": f"{bill[9]} ({bill[10]})", "lines": snapshot_lines,
            "totals": {"taxable": 0, "cgst": 0, "sgst": 0, "igst": 0, "round_off": 0, "total": 0},
            "amount_in_words": "Rupees Zero Only", "payments": [], "packages": receipt,
        }
        document_id = row(
            "INSERT INTO documents_document (business_id, branch_id, series_id, kind, seq, number, date, issued_at,"
            " bill_id, client_id, taxable, cgst, sgst, igst, round_off, total, snapshot, receipt_token, issued_by_id)"
            " VALUES (%s, %s, %s, 'redemption_note', %s, %s, %s, %s, %s, %s, 0, 0, 0, 0, 0, 0, %s, %s, %s) RETURNING id",
            (staff[1], bill[2], series_id, seq, number, today, now, bill_id, bill[3], json.dumps(snapshot),
             secrets.token_urlsafe(24), staff[0]))[0]
        accounts = dict(rows("SELECT code, id FROM ledger_account WHERE business_id = %s AND code = ANY(%s)",
                             (staff[1], ["deferred_revenue", "service_revenue", "output_cgst", "output_sgst",
                                         "output_igst", "round_off"])))
        entry = row("INSERT INTO ledger_journalentry (business_id, branch_id, date, kind, memo, document_id,"
                    " created_at, created_by_id) VALUES (%s, %s, %s, 'redemption', %s, %s, %s, %s) RETURNING id",
                    (staff[1], bill[2], today, f"Sessions redeemed on {number}", document_id, now, staff[0]))[0]
        rows("INSERT INTO ledger_posting (entry_id, account_id, date, amount) VALUES (%s, %s, %s, %s),"
             " (%s, %s, %s, %s) RETURNING id", (entry, accounts["deferred_revenue"], today, recognised,
                                                 entry, accounts["service_revenue"], today, -recognised))
        rows("UPDATE billing_bill SET status = 'closed', closed_at = %s, closed_by_id = %s, idempotency_key = %s,"
             " close_fingerprint = %s WHERE id = %s",
             (now, staff[0], key, hashlib.sha256(json.dumps([bill_id, body]).encode()).hexdigest(), bill_id))
        quiet = {c for (c,) in rows("SELECT channel FROM receipts_messagetemplate WHERE business_id = %s"
                                    " AND NOT send_on_close", (staff[1],))}
        if "sms" not in quiet and not bill[15]:
            row("INSERT INTO receipts_outboxmessage (business_id, document_id, channel, \"to\", status, attempts,"
                " created_at, dedupe_key, requested, next_attempt_at, claimed_by, provider_id, last_error, body)"
                " VALUES (%s, %s, 'sms', %s, 'pending', 0, %s, %s, false, %s, '', '', '', '') RETURNING id",
                (staff[1], document_id, bill[13], now, f"receipt:{document_id}:sms", now))
    return 200, {"bill": {"id": bill_id, "status": "closed", "lines": snapshot_lines},
                 "document": {"id": document_id, "number": number}}


ROUTES = [
    ("GET", re.compile(r"^/api/v1/clients$"), lambda staff, m, q, body, key: search(staff, q, body)),
    ("GET", re.compile(r"^/api/v1/clients/(\d+)$"), lambda staff, m, q, body, key: profile(staff, int(m[1]), body)),
    ("POST", re.compile(r"^/api/v1/bills$"), lambda staff, m, q, body, key: open_bill(staff, body)),
    ("POST", re.compile(r"^/api/v1/bills/(\d+)/lines$"), lambda staff, m, q, body, key: redeem(staff, int(m[1]), body)),
    ("POST", re.compile(r"^/api/v1/bills/(\d+)/close$"), lambda staff, m, q, body, key: close(staff, int(m[1]), body, key)),
]


def application(environ, start_response):
    method, path = environ["REQUEST_METHOD"], environ["PATH_INFO"]
    status, answer = 404, {"detail": "Not found."}
    if path == "/api/v1/openapi.json":  # the bench's readiness probe
        status, answer = 200, {}
    for verb, pattern, handler in ROUTES:
        match = pattern.match(path)
        if verb == method and match:
            token = environ.get("HTTP_AUTHORIZATION", "").removeprefix("Bearer ")
            staff = row(STAFF, (hashlib.sha256(token.encode()).hexdigest(), datetime.now(timezone.utc)))
            if staff is None:
                status, answer = 401, {"detail": "Unauthorized"}
                break
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = json.loads(environ["wsgi.input"].read(length)) if length else {}
            query = dict(p.split("=", 1) for p in environ.get("QUERY_STRING", "").split("&") if "=" in p)
            status, answer = handler(staff, match, query, body, environ.get("HTTP_IDEMPOTENCY_KEY", ""))
            break
    data = json.dumps(answer, default=str).encode()
    start_response(f"{status} {'OK' if status < 400 else 'Error'}",
                   [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]
