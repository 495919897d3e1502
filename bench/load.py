"""`python -m bench load [--seconds 30] [--terminals 32] [--workers 4] [--no-floor]`: the production shape
under a busy chain's counters, end to end over HTTP. Prints figures; exits 1 if an invariant of
the books is broken afterwards.

1. Creates a scratch PostgreSQL database (`glowpos_bench_load`, on the server of DATABASE_URL,
   default postgres://postgres@127.0.0.1:5432) and migrates it.
2. Seeds a clinic: 20,000 clients to search among, and for every terminal ten regulars who each
   hold a package of 100 sessions.
3. Starts gunicorn (`glowpos.wsgi`, --workers sync workers, persistent database connections)
   on a free loopback port.
4. Runs the terminals — threads with http.client, each logged in with its own token — doing real
   visits for --seconds: search the client by the last 4 digits of her phone, open her profile,
   open a bill, apply her package (one session held), close it with an Idempotency-Key.
5. Prints checkouts per second and the latency of each step and of a whole visit (p50/p95/max),
   stops gunicorn and checks every invariant of the books (tests/invariants.py).
6. Unless --no-floor: the same terminals, with the same tokens and regulars, do the same visits
   for as long against the raw-SQL floor (bench/load_floor.py: the product's statements by hand
   in a bare WSGI app) on the same gunicorn and database; prints its figures and the ratios.
   Then drops the database (unless --keep).

Loopback only; it stops by itself.
"""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DB_NAME = "glowpos_bench_load"
SESSIONS = 100
REGULARS_PER_TERMINAL = 10
CROWD = 20_000


def scratch_database(server_url: str) -> str:
    """Drop and create the scratch database; returns its URL."""
    import psycopg

    parts = urlsplit(server_url)
    admin = urlunsplit((parts.scheme, parts.netloc, "/postgres", "", ""))
    with psycopg.connect(admin.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    return urlunsplit((parts.scheme, parts.netloc, f"/{DB_NAME}", "", ""))


def drop_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    admin = urlunsplit((parts.scheme, parts.netloc, "/postgres", "", ""))
    with psycopg.connect(admin.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


def seed(terminals: int):
    """The clinic, the crowd to search among, and each terminal's regulars with their packages."""
    import random

    from tests import factories

    from glowpos.billing import services as billing
    from glowpos.catalog.models import PackagePlan, PackagePlanItem
    from glowpos.clients.models import Client
    from glowpos.packages.models import ClientPackage

    # A one-letter branch code: its redemption notes are numbered BR/26-27/0000001, seven digits,
    # as both phases' closes (the product's, then the floor's) fill the one series; BLR1's four
    # digits ran out past 9,999 closes on a fast machine (the floor's closes then failed).
    c = factories.clinic(name=f"Bench load {time.time_ns()}", branch_code="B")
    plan = PackagePlan.objects.create(business=c.business, code="LOAD-100", name="Skin cleanup — 100 sessions",
                                      price=40_000 * 100, validity_days=365, kind="bundle")  # < ₹50,000: no address
    PackagePlanItem.objects.create(plan=plan, service=c.service("Skin cleanup"), units=SESSIONS)
    rng = random.Random(7)
    numbers = rng.sample(range(6_000_000_000, 9_999_999_999), CROWD + terminals * REGULARS_PER_TERMINAL)
    crowd, regular_numbers = numbers[:CROWD], numbers[CROWD:]
    Client.objects.bulk_create(
        [Client(business=c.business, name=f"Client {i}", phone=f"+91{n}", phone_reversed=str(n)[::-1])
         for i, n in enumerate(crowd)], batch_size=5000)
    regulars = []
    for i, n in enumerate(regular_numbers):
        who = factories.client(c, name=f"Regular {i}", phone=str(n))
        bill = billing.open_bill(client_id=who.id, by=c.front_desk)
        billing.add_package_sale(bill_id=bill.id, plan_id=plan.id, by=c.front_desk)
        billing.close_bill(bill_id=bill.id, payments=factories.payment_due(bill, "upi"),
                           idempotency_key=f"seed-{bill.id}", by=c.front_desk)
        package = ClientPackage.objects.get(sale_bill=bill)
        regulars.append({"id": who.id, "last4": str(n)[-4:], "package": package.id,
                         "service": c.service("Skin cleanup").id})
    return c, regulars


def interpreter() -> str:
    """Which Python runs the bench, and how it was built: a build without profile-guided and
    link-time optimisation, linked to a shared libpython, spends about a tenth more on the
    same visits (ADR 0014), so figures from different interpreters do not compare."""
    import platform

    try:  # what this process has mapped: Debian's python3.11 is linked statically
        shared = bool(re.search(r"libpython[0-9.]*\.so", Path("/proc/self/maps").read_text()))
    except OSError:
        shared = None
    shared = {True: "shared libpython", False: "libpython linked in", None: "libpython unknown"}[shared]
    return f"{platform.python_implementation()} {platform.python_version()} ({sys.executable}, {shared})"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(url: str, workers: int, port: int, app: str = "glowpos.wsgi:application") -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "glowpos.settings", "CONN_MAX_AGE": "600",
           "FLOOR_DSN": url}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", app, "--workers", str(workers),
         "--bind", f"127.0.0.1:{port}", "--backlog", "512", "--log-level", "warning", "--timeout", "60"],
        env=env, cwd=Path.cwd(), start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}")
        try:
            status, _ = request(port, "GET", "/api/v1/openapi.json")
            if status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    stop(server)
    raise SystemExit("gunicorn did not answer within 60 s")


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(10)


def cpu_seconds(names: tuple[str, ...]) -> dict[str, float]:
    """CPU time (user + system) used so far by the machine's processes, summed per name in
    `names` (matched against the command line), from /proc: where a checkout's CPU goes."""
    tick = os.sysconf("SC_CLK_TCK")
    used = dict.fromkeys(names, 0.0)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        for name in names:
            if name in cmdline:
                used[name] += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
                break
    return used


def request(port: int, method: str, path: str, body=None, headers=None) -> tuple[int, dict | None]:
    """One HTTP/1.1 request on its own connection, as a terminal sends it (gunicorn's sync
    workers close the connection after each answer). Written on the socket: http.client
    parsed each answer's headers through the email package, and the terminals share the
    server's two CPUs — every microsecond they spend is taken from the server."""
    data = json.dumps(body).encode() if body is not None else b""
    head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close", "Content-Type: application/json",
            f"Content-Length: {len(data)}", *(f"{name}: {value}" for name, value in (headers or {}).items())]
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall("\r\n".join(head).encode("latin-1") + b"\r\n\r\n" + data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    status_line, _, rest = b"".join(chunks).partition(b"\r\n")
    header_block, _, payload = rest.partition(b"\r\n\r\n")
    fields = dict(line.split(b":", 1) for line in header_block.split(b"\r\n") if b":" in line)
    fields = {name.strip().lower(): value.strip() for name, value in fields.items()}
    if b"content-length" in fields:  # both apps set it (Django's CommonMiddleware): nothing is chunked
        payload = payload[:int(fields[b"content-length"])]
    json_answer = payload and fields.get(b"content-type", b"").startswith(b"application/json")
    return int(status_line.split()[1]), (json.loads(payload) if json_answer else None)


class Terminal(threading.Thread):
    STEPS = ("search", "profile", "open", "redeem", "close")

    def __init__(self, n: int, port: int, token: str, regulars: list[dict], deadline: float, stats):
        super().__init__(daemon=True)
        self.n, self.port, self.token, self.regulars = n, port, token, regulars
        self.deadline, self.stats = deadline, stats
        self.visits = 0
        self.errors: list[str] = []

    def call(self, step: str, method: str, path: str, body=None, headers=None):
        t0 = time.perf_counter()
        status, data = request(self.port, method, f"/api/v1{path}", body,
                               {"Authorization": f"Bearer {self.token}", **(headers or {})})
        self.stats[step].append(time.perf_counter() - t0)
        if not 200 <= status < 300:
            raise RuntimeError(f"{step}: {status} {data}")
        return data

    def run(self) -> None:
        i = 0
        while time.monotonic() < self.deadline:
            who = self.regulars[i % len(self.regulars)]
            i += 1
            t0 = time.perf_counter()
            try:
                found = self.call("search", "GET", f"/clients?q={who['last4']}")
                client_id = next(c["id"] for c in found if c["id"] == who["id"])
                profile = self.call("profile", "GET", f"/clients/{client_id}")
                package = next(p for p in profile["packages"] if p["id"] == who["package"])
                bill = self.call("open", "POST", "/bills", {"client_id": client_id})
                self.call("redeem", "POST", f"/bills/{bill['id']}/lines",
                          {"type": "redemption", "package_id": package["id"], "service_id": who["service"]})
                self.call("close", "POST", f"/bills/{bill['id']}/close", {"payments": []},
                          {"Idempotency-Key": f"load-{self.n}-{bill['id']}"})
            except Exception as exc:  # noqa: BLE001 - counted and shown
                self.errors.append(str(exc)[:300])
                continue
            self.stats["visit"].append(time.perf_counter() - t0)
            self.visits += 1


def percentiles(samples: list[float]) -> str:
    if len(samples) < 2:
        return f"(n={len(samples)})"
    ms = sorted(s * 1000 for s in samples)
    q = statistics.quantiles(ms, n=100)
    return f"p50 {q[49]:7.1f} ms   p95 {q[94]:7.1f} ms   p99 {q[98]:7.1f} ms   max {ms[-1]:7.1f} ms   (n={len(ms):,})"


@dataclass
class Phase:
    """One server driven by the terminals for the bench's seconds: what it did and cost."""
    visits: int
    errors: list[str]
    stats: dict[str, list[float]]
    cpu: dict[str, float]
    elapsed: float

    def report(self, title: str) -> None:
        print(f"\n{title}, {self.elapsed:.1f} s")
        print(f"  checkouts      : {self.visits:,}  =  {self.visits / self.elapsed:.1f} per second")
        print(f"  errors         : {len(self.errors)}" + (f"   first: {self.errors[0]}" if self.errors else ""))
        print(f"  whole visit    : {percentiles(self.stats['visit'])}")
        for step in Terminal.STEPS:
            print(f"  {step:<14} : {percentiles(self.stats[step])}")
        busy = sum(self.cpu.values())
        print("  CPU per checkout: " + ", ".join(f"{k} {v * 1000 / max(self.visits, 1):.1f} ms" for k, v in self.cpu.items())
              + f"   (the {os.cpu_count()} CPUs {busy / (self.elapsed * (os.cpu_count() or 1)):.0%} busy with these)")


def drive(port: int, tokens: list[str], regulars: list[dict], seconds: int) -> Phase:
    """Every terminal doing visits against the server on `port` until the deadline."""
    stats: dict[str, list[float]] = defaultdict(list)  # list.append is atomic: no lock needed
    started = time.monotonic()
    deadline = started + seconds
    crew = [Terminal(n, port, token, regulars[n * REGULARS_PER_TERMINAL:(n + 1) * REGULARS_PER_TERMINAL],
                     deadline, stats) for n, token in enumerate(tokens)]
    tiers = ("gunicorn", "postgres")
    cpu_before, own_before = cpu_seconds(tiers), time.process_time()
    for t in crew:
        t.start()
    for t in crew:
        t.join(seconds + 120)
    elapsed = time.monotonic() - started
    cpu = {k: v - cpu_before[k] for k, v in cpu_seconds(tiers).items()}
    cpu["load generator"] = time.process_time() - own_before
    return Phase(sum(t.visits for t in crew), [e for t in crew for e in t.errors], stats, cpu, elapsed)


def run(*, seconds: int, terminals: int, workers: int, keep: bool, floor: bool = True) -> int:
    server_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    if not server_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("bench load runs on PostgreSQL: set DATABASE_URL to a server (any database on it)")
    url = scratch_database(server_url)
    os.environ["DATABASE_URL"] = url
    sys.path.insert(0, str(Path.cwd()))
    import django
    from django.core.management import call_command

    django.setup()
    from tests.factories import PASSWORD

    call_command("migrate", verbosity=0)
    from django.db import connection

    t0 = time.perf_counter()
    clinic, regulars = seed(terminals)
    connection.close()
    print(f"seeded {CROWD:,} clients and {len(regulars)} regulars with a {SESSIONS}-session package "
          f"in {time.perf_counter() - t0:.1f} s ({DB_NAME})")

    print(f"interpreter (gunicorn's and the terminals'): {interpreter()}")
    port = free_port()
    server = start_gunicorn(url, workers, port)
    try:
        tokens = []
        for _ in range(terminals):
            status, data = request(port, "POST", "/api/v1/auth/token",
                                   {"username": clinic.front_desk.user.username, "password": PASSWORD})
            assert status == 201, (status, data)
            tokens.append(data["token"])
        product = drive(port, tokens, regulars, seconds)
    finally:
        stop(server)
    shape = f"gunicorn {workers} sync workers, {terminals} terminals on loopback (PostgreSQL, {os.cpu_count()} CPUs)"
    product.report(f"GlowPOS: {shape}")
    print("  (target ≥ 100 checkouts per second)")

    from tests.invariants import violations

    t1 = time.perf_counter()
    found = violations(clinic.business)
    print(f"\ninvariants of the books ({time.perf_counter() - t1:.1f} s): "
          f"{'all hold' if not found else f'{len(found)} VIOLATIONS'}")
    for line in found[:20]:
        print("  ", line)
    connection.close()

    if floor:
        # The same visits against the raw-SQL floor (bench/load_floor.py), after the product's
        # books were checked: the floor checks no rule, so its rows are not held to them.
        server = start_gunicorn(url, workers, port, app="bench.load_floor:application")
        try:
            floor_phase = drive(port, tokens, regulars, seconds)
        finally:
            stop(server)
        floor_phase.report(f"Raw-SQL floor (bench/load_floor.py, the same statements by hand): {shape}")
        ours, theirs = product.visits / product.elapsed, floor_phase.visits / floor_phase.elapsed
        print(f"\n  throughput, floor / GlowPOS : {theirs / max(ours, 1e-9):.2f}x")
        app_cpu = product.cpu["gunicorn"] / max(product.visits, 1)
        floor_cpu = floor_phase.cpu["gunicorn"] / max(floor_phase.visits, 1)
        print(f"  gunicorn CPU per visit, GlowPOS / floor : {app_cpu * 1000:.1f} / {floor_cpu * 1000:.1f} ms"
              f" = {app_cpu / max(floor_cpu, 1e-9):.2f}x")
    if keep:
        print(f"kept the database: {url}")
    else:
        drop_database(url)
    return 1 if found or product.errors or (floor and floor_phase.errors) else 0
