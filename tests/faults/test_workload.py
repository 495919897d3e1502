"""Many terminals at once doing everything a day brings (tests/faults/workload.py), then every
invariant of the books (tests/invariants.py). Seeded: GLOWPOS_WORKLOAD_SEED=<seed> replays a
failing run's choices."""
from __future__ import annotations

import os

import pytest

from tests import factories
from tests.faults.workload import run_day
from tests.invariants import assert_invariants

pytestmark = pytest.mark.concurrency
SEEDS = [int(s) for s in os.environ.get("GLOWPOS_WORKLOAD_SEED", "11,29").split(",")]


@pytest.mark.parametrize("seed", SEEDS)
def test_a_random_busy_day_keeps_every_invariant(committed_db, seed):
    clinic = factories.clinic()

    day = run_day(clinic, seed=seed, terminals=6, steps=35)

    assert not day.failures, f"seed {seed}:\n" + "\n".join(day.failures[:5])
    print(f"seed {seed}: {dict(sorted(day.outcomes.items()))}")
    assert day.outcomes["close"] + day.outcomes["sell"] >= 20, day.outcomes  # the day really happened
    assert any(k.startswith(("redeem:package_exhausted", "void:", "close:")) for k in day.outcomes if ":" in k)
    assert_invariants(clinic.business)
