"""PostgreSQL: the counter's statements are prepared after a few uses on a connection (planned
once, not at every close); a report's are never — each is planned for the business and the
dates asked for (ADR 0012). Read from pg_prepared_statements on the test's own connection."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client as HttpClient

from glowpos.billing import services as billing
from glowpos.reports import selectors
from glowpos.reports.middleware import planned_afresh
from tests import factories
from tests.reports.history import APRIL, MAY

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
PERIOD = f"from={APRIL[0]}&to={MAY[1]}"
USES = 6  # psycopg prepares a statement on its fifth use (PG_PREPARE_THRESHOLD's default)


def prepared() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return {row[0] for row in cursor.fetchall()}


def test_closing_bills_prepares_the_counters_statements(clinic):
    priya, service = factories.client(clinic), clinic.service("Skin cleanup")
    before = prepared()
    for i in range(USES):
        bill = billing.open_bill(client_id=priya.id, by=clinic.front_desk)
        billing.add_service(bill_id=bill.id, service_id=service.id, by=clinic.front_desk)
        billing.close_bill(bill_id=bill.id, payments=factories.payment_due(bill, "upi"),
                           idempotency_key=f"plans-{i}", by=clinic.front_desk)

    new = prepared() - before
    assert any('INSERT INTO "billing_payment"' in s for s in new)
    assert any('UPDATE "documents_documentseries"' in s for s in new)


def _report_statements(statements: set[str]) -> set[str]:
    """The trial balance's and the general ledger's reads: sums and window sums of postings."""
    return {s for s in statements if "ledger_posting" in s and ("SUM(" in s or "OVER" in s)}


def test_a_report_run_again_and_again_is_never_prepared(chain):
    owner = HttpClient()
    owner.force_login(chain.c.owner.user)
    api = factories.api_client(chain.c.owner)
    before = prepared()
    for _ in range(USES):
        assert owner.get(f"/reports/trial-balance/?{PERIOD}").status_code == 200
        streamed = owner.get(f"/reports/ledger.csv?{PERIOD}&account=deferred_revenue")
        assert streamed.status_code == 200 and b"".join(streamed.streaming_content)
        assert api.get(f"/reports/trial-balance?from={APRIL[0]}&to={MAY[1]}").status_code == 200

    assert _report_statements(prepared() - before) == set()
    assert connection.connection.prepare_threshold == 5  # and the counter prepares again afterwards


def test_the_same_report_outside_a_report_request_would_be_prepared(chain):
    """The check above can fail: the trial balance's queries, run without planned_afresh, are
    prepared like any other statement."""
    for _ in range(USES):
        selectors.trial_balance(business=chain.c.business, start=APRIL[0], end=MAY[1])
    with planned_afresh():
        assert connection.connection.prepare_threshold is None

    assert _report_statements(prepared()) != set()
