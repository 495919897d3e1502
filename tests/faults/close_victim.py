"""A process for tests/faults/test_kill_close.py to kill: it closes one bill, and the test sends
it SIGKILL at a random moment. Run as

    python tests/faults/close_victim.py BILL_ID STAFF_ID IDEMPOTENCY_KEY PAYMENTS_JSON

with DATABASE_URL pointing at the test database. GLOWPOS_FAULT_PAUSE (seconds, read only by
this script) wraps ledger.post and documents.issue — from the outside, at the edge of this
process — in random pauses, so that the kill lands before, between and after the writes of
close_bill's one transaction rather than always before or after it. Prints "ready" when about
to close, "wrote <what>" after each of those writes (the transaction still open), and
"closed <number>" when it has committed."""
from __future__ import annotations

import json
import os
import random
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "glowpos.settings")

import django

django.setup()

from glowpos.billing import services as billing
from glowpos.documents import services as documents
from glowpos.ledger import services as ledger
from glowpos.tenancy.models import StaffMember

pause = float(os.environ.get("GLOWPOS_FAULT_PAUSE", "0"))
rng = random.Random(os.environ.get("GLOWPOS_FAULT_SEED"))


def paused(fn):
    def wrapper(*args, **kwargs):
        time.sleep(rng.uniform(0, pause))
        result = fn(*args, **kwargs)
        print("wrote", fn.__name__, flush=True)
        time.sleep(rng.uniform(0, pause))
        return result
    return wrapper


if pause:
    ledger.post = paused(ledger.post)
    documents.issue = paused(documents.issue)

bill_id, staff_id, key, payments = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], json.loads(sys.argv[4])
staff = StaffMember.objects.select_related("business", "user").get(id=staff_id)
print("ready", flush=True)
closed = billing.close_bill(bill_id=bill_id, payments=payments, idempotency_key=key, by=staff)
print("closed", closed.document.number, flush=True)
