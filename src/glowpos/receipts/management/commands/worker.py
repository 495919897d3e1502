"""`python -m glowpos worker`: send the outbox (receipts by SMS, WhatsApp, email), with retries,
and run the daily jobs (expire packages, release abandoned holds) once per business day per
business (glowpos.packages.jobs; several workers never run a job twice the same day).

Runs until stopped (SIGTERM/SIGINT finish the message in hand, then exit); `--once` makes one
pass over what is due now and exits, for tests and cron. `make run` starts one beside runserver.
"""
from __future__ import annotations

import signal
import time

from django.core.management.base import BaseCommand
from django.db import DatabaseError, connection

from glowpos.packages.jobs import run_daily_jobs
from glowpos.receipts.worker import deliver_due, worker_name


class Command(BaseCommand):
    help = "Send queued receipts (SMS, WhatsApp, email); retry failures with backoff."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Send what is due now, then exit.")
        parser.add_argument("--interval", type=float, default=2.0, help="Seconds to wait when nothing is due.")
        parser.add_argument("--batch", type=int, default=20, help="Messages claimed at a time.")
        parser.add_argument("--no-daily-jobs", action="store_true",
                            help="Only send the outbox; leave the daily jobs to another worker.")

    def handle(self, *args, once: bool, interval: float, batch: int, no_daily_jobs: bool, **options):
        name = worker_name()
        stopping = []
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stopping.append(True))
        if not once:
            self.stdout.write(f"Outbox worker {name} started (Ctrl-C to stop).")
        while not stopping:
            try:
                ran = {} if no_daily_jobs else run_daily_jobs(worker=name)
                if any(ran.values()):
                    self.stdout.write("Daily jobs: " + ", ".join(f"{job} {n}" for job, n in sorted(ran.items())))
                outcomes = deliver_due(worker=name, batch=batch)
            except DatabaseError as error:  # the database restarting or busy: wait and go on
                self.stderr.write(f"outbox worker: database error, retrying: {error}")
                connection.close()
                outcomes = None
            if outcomes:
                self.stdout.write(", ".join(f"{n} {status}" for status, n in sorted(outcomes.items())))
            if once and not outcomes:
                break
            if not outcomes:
                connection.close_if_unusable_or_obsolete()
                deadline = time.monotonic() + interval
                while not stopping and time.monotonic() < deadline:
                    time.sleep(0.1)
