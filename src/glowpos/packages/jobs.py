"""The daily jobs, run by the outbox worker (`python -m glowpos worker`) once per business day
per business (docs/decisions/0009-daily-jobs-in-the-worker.md):

- expire_packages: packages past their expiry become expired; their unused deferred revenue
  (or unspent client credit) is posted to breakage income;
- release_abandoned_holds: sessions held on bills left open on a past business day go back
  to their packages (the bill stays open; its redemption lines are removed).

Each (business, job, day) is claimed with a lease on a `DailyJobRun` row whose UNIQUE
constraint lets only one worker insert it; the others see it claimed and go on. A worker that
dies mid-run leaves its lease to expire and the next pass runs the job again, which is safe:
both jobs are idempotent and work one transaction per package or bill.
`python -m glowpos expire_packages` still runs the expiry by hand (or from cron).
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from glowpos.billing.models import Bill, BillLine, BillStatus
from glowpos.packages import services as packages
from glowpos.packages.models import DailyJobRun, Redemption, RedemptionStatus
from glowpos.tenancy.models import Business


def release_abandoned_holds(*, business: Business, on: date) -> int:
    """Give back every unit held on a bill opened before `on` (a past business day) and still
    open. One transaction per bill, locks in the order a close takes them. Returns the units."""
    start = timezone.make_aware(datetime.combine(on, time.min))
    bills = (Bill.objects.filter(business=business, status=BillStatus.OPEN, opened_at__lt=start,
                                 redemptions__status=RedemptionStatus.PENDING)
             .distinct().order_by("id").values_list("id", flat=True))
    released = 0
    now = timezone.now()
    for bill_id in list(bills):
        with transaction.atomic():
            bill = Bill.objects.select_for_update().filter(id=bill_id, status=BillStatus.OPEN).first()
            if bill is None:
                continue  # closed or voided meanwhile
            packages.lock_entitlements_of(bill)
            for redemption in Redemption.objects.filter(bill=bill, status=RedemptionStatus.PENDING):
                packages.release_hold(redemption=redemption, by=None, at=now,
                                      why="bill left open since an earlier day")
                BillLine.objects.filter(id=redemption.line_id).delete()
                released += 1
    return released


def _expire(*, business: Business, on: date) -> int:
    return packages.expire_packages(on=on, business=business)


DAILY_JOBS = {"expire_packages": _expire, "release_abandoned_holds": release_abandoned_holds}


def lease() -> timedelta:
    return timedelta(seconds=settings.GLOWPOS_DAILY_JOB_LEASE_SECONDS)


def claim(*, business_id: int, job: str, day: date, worker: str, now: datetime) -> bool:
    """Take the day's run of `job` for the business: True if this worker should run it now."""
    try:
        with transaction.atomic():
            DailyJobRun.objects.create(business_id=business_id, job=job, day=day, worker=worker,
                                       started_at=now, claimed_until=now + lease())
            return True
    except IntegrityError:
        pass  # another worker inserted it first
    # Taken over only if its worker stopped without finishing and its lease ran out.
    taken = (DailyJobRun.objects.filter(business_id=business_id, job=job, day=day, finished_at__isnull=True,
                                        claimed_until__lt=now)
             .update(worker=worker, started_at=now, claimed_until=now + lease(), attempts=F("attempts") + 1))
    return bool(taken)


def run_daily_jobs(*, worker: str, now: datetime | None = None) -> dict[str, int]:
    """One pass: run every daily job not yet done today for every business. Returns
    {job: total} over what this worker ran (empty when nothing was due: one read query)."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    done = set(DailyJobRun.objects.filter(Q(finished_at__isnull=False) | Q(claimed_until__gte=now), day=day)
               .values_list("business_id", "job"))  # finished, or another worker's lease still runs
    due = [(b, job) for b in Business.objects.order_by("id").values_list("id", flat=True) for job in DAILY_JOBS
           if (b, job) not in done]
    totals: dict[str, int] = {}
    for business_id, job in due:
        if not claim(business_id=business_id, job=job, day=day, worker=worker, now=now):
            continue
        count = DAILY_JOBS[job](business=Business.objects.get(id=business_id), on=day)
        DailyJobRun.objects.filter(business_id=business_id, job=job, day=day, worker=worker).update(
            finished_at=timezone.now(), claimed_until=None, result={"count": count})
        totals[job] = totals.get(job, 0) + count
    return totals
