"""The daily jobs the worker runs once per business day per business: packages past their
expiry expire (breakage income), holds on bills left open since an earlier day go back. Two
workers racing never run a job twice the same day; one that died mid-run is taken over."""
from datetime import datetime, time, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from glowpos.billing import services as billing
from glowpos.ledger.models import JournalEntry
from glowpos.packages.jobs import run_daily_jobs
from glowpos.packages.models import ClientPackage, DailyJobRun, Redemption
from tests import factories
from tests.books import assert_books_balance
from tests.invariants import assert_invariants
from tests.racing import race


def _lapse(package) -> None:
    today = timezone.localdate()
    ClientPackage.objects.filter(id=package.id).update(purchased_on=today - timedelta(days=365),
                                                       expires_on=today - timedelta(days=1))


@pytest.fixture
def lapsed(clinic):
    """A laser package, 2 of 6 sessions used, whose expiry date was yesterday."""
    package = factories.sold_package(clinic, factories.client(clinic))
    factories.redeem_until(clinic, package, remaining=4)
    _lapse(package)
    return package


def test_a_worker_pass_expires_what_is_due_once_a_day(clinic, lapsed):
    now = timezone.now()
    assert run_daily_jobs(worker="a", now=now) == {"expire_packages": 1, "release_abandoned_holds": 0}
    lapsed.refresh_from_db()
    assert lapsed.status == "expired"
    assert JournalEntry.objects.filter(package=lapsed, kind="breakage").count() == 1
    runs = DailyJobRun.objects.filter(business=clinic.business, day=timezone.localdate(now))
    assert sorted((r.job, r.worker, r.result["count"], r.finished_at is not None) for r in runs) == [
        ("expire_packages", "a", 1, True), ("release_abandoned_holds", "a", 0, True)]
    assert run_daily_jobs(worker="b", now=now + timedelta(hours=1)) == {}  # done for today
    tomorrow = run_daily_jobs(worker="b", now=now + timedelta(days=1))
    assert tomorrow == {"expire_packages": 0, "release_abandoned_holds": 0}
    assert_books_balance(clinic.business)


@pytest.mark.concurrency
def test_two_workers_racing_on_the_same_day_run_each_job_once(committed_db):
    clinic = factories.clinic()
    lapsed = [factories.sold_package(clinic, factories.client(clinic, name=f"Client {n}")) for n in range(3)]
    for package in lapsed:
        _lapse(package)
    now = timezone.now()

    outcomes = race(lambda: run_daily_jobs(worker="one", now=now), lambda: run_daily_jobs(worker="two", now=now))

    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    assert sum("expire_packages" in o.value for o in outcomes) == 1  # one worker ran it, the other saw it claimed
    assert sum(o.value.get("expire_packages", 0) for o in outcomes) == 3
    assert DailyJobRun.objects.filter(business=clinic.business, job="expire_packages").count() == 1
    assert JournalEntry.objects.filter(business=clinic.business, kind="breakage").count() == 3
    assert_invariants(clinic.business)


def test_a_run_whose_worker_died_is_taken_over_once_its_lease_runs_out(clinic, lapsed, settings):
    now = timezone.now()
    day = timezone.localdate(now)
    DailyJobRun.objects.create(business=clinic.business, job="expire_packages", day=day, worker="dead",
                               started_at=now, claimed_until=now + timedelta(minutes=15))
    assert "expire_packages" not in run_daily_jobs(worker="b", now=now + timedelta(minutes=5))  # still its lease
    lapsed.refresh_from_db()
    assert lapsed.status == "active"
    assert run_daily_jobs(worker="b", now=now + timedelta(minutes=16)) == {"expire_packages": 1}
    run = DailyJobRun.objects.get(business=clinic.business, job="expire_packages", day=day)
    assert (run.worker, run.attempts, run.result) == ("b", 2, {"count": 1})


def test_holds_on_a_bill_left_open_since_yesterday_go_back_and_todays_stay(clinic):
    package = factories.sold_package(clinic, factories.client(clinic))
    yesterday = timezone.make_aware(datetime.combine(timezone.localdate() - timedelta(days=1), time(18)))
    stale = billing.open_bill(client_id=package.client_id, by=clinic.front_desk, at=yesterday)
    billing.add_service(bill_id=stale.id, service_id=clinic.service("Skin cleanup").id, by=clinic.front_desk)
    factories.hold(clinic, stale, package)
    fresh = factories.open_bill(clinic, package.client, ("redemption", package))
    assert run_daily_jobs(worker="a")["release_abandoned_holds"] == 1
    entitlement = package.entitlements.get()
    assert (entitlement.used_units, entitlement.held_units) == (0, 1)
    assert list(Redemption.objects.filter(bill=stale).values_list("status", flat=True)) == ["released"]
    assert [l.type for l in stale.lines.all()] == ["service"]  # the bill stays open without the redemption
    assert list(Redemption.objects.filter(bill=fresh).values_list("status", flat=True)) == ["pending"]
    factories.close_paid(clinic, stale)
    assert_invariants(clinic.business)


def test_the_worker_command_runs_the_daily_jobs_unless_told_not_to(clinic, lapsed, capsys):
    call_command("worker", "--once", "--no-daily-jobs")
    lapsed.refresh_from_db()
    assert lapsed.status == "active" and not DailyJobRun.objects.exists()
    call_command("worker", "--once")
    assert "Daily jobs: expire_packages 1, release_abandoned_holds 0" in capsys.readouterr().out
    lapsed.refresh_from_db()
    assert lapsed.status == "expired"


def test_the_expire_packages_command_still_expires_by_hand(clinic, lapsed, capsys):
    call_command("expire_packages")
    assert "1 package(s) expired." in capsys.readouterr().out
    call_command("expire_packages")
    assert "0 package(s) expired." in capsys.readouterr().out
    assert_books_balance(clinic.business)
