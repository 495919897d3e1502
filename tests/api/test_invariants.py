"""Invariants over everything the API did: every journal entry balances; every refusal is
{"code", "detail"}; the contract's endpoints are all in the OpenAPI spec."""
from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone

from glowpos.ledger.models import JournalEntry, Posting
from glowpos.packages.models import ClientPackage, PackageStatus
from tests import factories
from tests.api.expect import refused

SNAKE_CASE = re.compile(r"^[a-z]+(_[a-z]+)*$")
CONTRACT_CODES = {
    "validation_error", "not_found", "package_exhausted", "package_expired", "package_frozen",
    "package_not_active", "package_not_applicable", "bill_not_open", "payment_mismatch",
    "idempotency_conflict", "forbidden",
}


def test_every_journal_entry_balances_after_a_day_at_the_counter(clinic, api, manager, priya, laser, lhr):
    peel = clinic.service("Chemical peel")
    factories.api_closed(api, priya, factories.redemption_line(lhr, laser))
    factories.api_closed(api, priya, factories.redemption_line(lhr, laser), factories.service_line(peel),
                         method="card")
    factories.api_closed(api, priya, factories.service_line(clinic.service("Dermatologist consultation")),
                         {"type": "product", "product_id": clinic.product().id, "quantity": 3}, method="cash")
    cleanup = factories.api_closed(api, priya, {"type": "package_sale", "plan_id": clinic.plan("CLN-5").id})
    mistaken = factories.api_closed(api, priya, factories.redemption_line(lhr, laser))
    for closed in (mistaken, cleanup):
        assert manager.post(f"/bills/{closed['bill']['id']}/void", {"reason": "mistake"}).status_code == 200

    entries = list(JournalEntry.objects.filter(business=clinic.business).prefetch_related("postings__account"))

    kinds = Counter(e.kind for e in entries)
    assert kinds["sale"] >= 4 and kinds["redemption"] >= 3, kinds
    for entry in entries:
        amounts = [p.amount for p in entry.postings.all()]
        assert len(amounts) >= 2 and 0 not in amounts, (entry.memo, amounts)
        assert sum(amounts) == 0, (entry.memo, amounts)
    reversals = [e for e in entries if e.reverses_id]
    assert len(reversals) == 2  # the mistaken session's recognition, and the cleanup sale
    assert Posting.objects.filter(account__business=clinic.business).aggregate(s=Sum("amount"))["s"] == 0
    # what is still owed to Priya in sessions: her package's value less the two sessions she had
    left = -Posting.objects.filter(account__business=clinic.business, account__code="deferred_revenue").aggregate(
        s=Sum("amount"))["s"]
    assert left == 2_033_898 - 2 * 338_983


def test_every_refusal_has_a_code_and_a_detail(clinic, api, manager, priya, laser, lhr):
    """One request for each refusal the contract names (and a few more); each body reads the same way."""
    peel = clinic.service("Chemical peel")
    stranger = factories.client(factories.clinic())
    open_bill = factories.api_bill(api, priya)
    lines = f"/bills/{open_bill['id']}/lines"
    paid = factories.api_closed(api, priya, factories.service_line(peel))
    asha = factories.client(clinic, name="Asha Rao")
    asha_bill = factories.api_bill(api, asha)
    expired = factories.sold_package(clinic, priya, plan="PEEL-4")
    today = timezone.localdate()
    ClientPackage.objects.filter(id=expired.id).update(purchased_on=today - timedelta(days=400),
                                                       expires_on=today - timedelta(days=1))
    frozen = factories.sold_package(clinic, priya, plan="CLN-5")
    ClientPackage.objects.filter(id=frozen.id).update(status=PackageStatus.FROZEN)
    cancelled = factories.sold_package(clinic, priya, plan="CLN-5")
    assert manager.post(f"/bills/{cancelled.sale_bill_id}/void", {"reason": "refund"}).status_code == 200
    for _ in range(6):
        factories.api_closed(api, priya, factories.redemption_line(lhr, laser))
    key_bill = factories.api_bill(api, priya, factories.service_line(peel))
    assert factories.api_close(api, key_bill["id"], [{"method": "cash", "amount": 350_000}],
                               key="used-key").status_code == 200
    mismatch_bill = factories.api_bill(api, priya, factories.service_line(peel))

    responses = [
        factories.Api(None).post("/auth/token", {"username": "nobody", "password": "x"}),
        factories.Api(None).get("/services"),
        factories.Api("expired-or-made-up").get("/services"),
        api.get("/clients?q=12"),
        api.post("/clients", {"name": "X", "phone": "12"}),
        api.post("/clients", {"name": "Priya again", "phone": "9876543210"}),
        api.get(f"/clients/{stranger.id}"),
        api.post("/bills", {"client_id": 10**30}),
        api.http.post(f"/api/v1{lines}", data="{oops", content_type="application/json", headers=api.headers),
        api.post(lines, {"type": "service"}),
        api.post(lines, {"type": "service", "service_id": 999_999}),
        api.post(lines, factories.redemption_line(lhr, laser)),
        api.post(lines, factories.redemption_line(expired, peel)),
        api.post(lines, factories.redemption_line(frozen, clinic.service("Skin cleanup"))),
        api.post(lines, factories.redemption_line(cancelled, clinic.service("Skin cleanup"))),
        api.post(lines, factories.redemption_line(lhr, peel)),
        api.post(f"/bills/{asha_bill['id']}/lines", factories.redemption_line(lhr, laser)),
        api.post(f"/bills/{paid['bill']['id']}/lines", factories.service_line(peel)),
        factories.api_close(api, open_bill["id"], []),
        factories.api_close(api, mismatch_bill["id"], [{"method": "upi", "amount": 1}]),
        factories.api_close(api, key_bill["id"], [{"method": "upi", "amount": 350_000}], key="used-key"),
        api.post(f"/bills/{mismatch_bill['id']}/close", {"payments": []}),
        api.post(f"/bills/{paid['bill']['id']}/void", {"reason": "x"}),
        manager.post(f"/bills/{paid['bill']['id']}/void", {}),
        api.get(f"/reports/deferred-revenue?from={today}&to={today}"),
        manager.get("/reports/deferred-revenue?from=2026-02-30&to=2026-03-01"),
    ]

    codes = set()
    for response in responses:
        assert 400 <= response.status_code < 500, (response.status_code, response.content)
        body = response.json()
        assert SNAKE_CASE.match(body["code"]), body
        assert isinstance(body["detail"], str) and body["detail"].strip(), body
        assert isinstance(body.get("fields", {}), dict), body
        codes.add(body["code"])
    assert CONTRACT_CODES <= codes, CONTRACT_CODES - codes


def test_refusals_never_leak_a_traceback(api):
    body = refused(api.post("/bills", {"client_id": "x" * 5000}), 422, "validation_error")
    assert "Traceback" not in body["detail"]


def test_openapi_spec_lists_every_endpoint_of_the_contract(db):
    response = factories.Api(None).get("/openapi.json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    expected = {
        ("post", "/api/v1/auth/token"), ("get", "/api/v1/services"), ("get", "/api/v1/package-plans"),
        ("get", "/api/v1/clients"), ("post", "/api/v1/clients"), ("get", "/api/v1/clients/{client_id}"),
        ("post", "/api/v1/bills"), ("post", "/api/v1/bills/{bill_id}/lines"),
        ("delete", "/api/v1/bills/{bill_id}/lines/{line_id}"), ("post", "/api/v1/bills/{bill_id}/close"),
        ("post", "/api/v1/bills/{bill_id}/void"), ("get", "/api/v1/reports/deferred-revenue"),
    }
    assert expected <= {(method, path) for path, ops in paths.items() for method in ops}
    assert factories.Api(None).get("/docs").status_code == 200


BILL_PATHS = [
    ("get", "/bills/{id}", None),
    ("post", "/bills/{id}/lines", {"type": "service", "service_id": 1}),
    ("delete", "/bills/{id}/lines/1", None),
    ("delete", "/bills/1/lines/{id}", None),
    ("post", "/bills/{id}/close", {"payments": []}),
    ("post", "/bills/{id}/void", {"reason": "probe"}),
    ("get", "/clients/{id}", None),
]


@pytest.mark.parametrize("method, path, body", BILL_PATHS, ids=[f"{m} {p}" for m, p, _ in BILL_PATHS])
def test_ids_too_large_to_exist_are_422_never_500(clinic, manager, method, path, body):
    kwargs = {"headers": {"Idempotency-Key": "probe"}} if "close" in path else {}
    if body is not None:
        kwargs["body"] = body
    factories.api_bill(manager, factories.client(clinic), factories.service_line(clinic.service()))

    response = getattr(manager, method)(path.format(id=10**30), **kwargs)

    refused(response, 422, "validation_error")


@pytest.mark.parametrize("method, path, body", BILL_PATHS, ids=[f"{m} {p}" for m, p, _ in BILL_PATHS])
def test_largest_accepted_id_is_a_plain_404(clinic, manager, method, path, body):
    kwargs = {"headers": {"Idempotency-Key": "probe"}} if "close" in path else {}
    if body is not None:
        kwargs["body"] = body
    factories.api_bill(manager, factories.client(clinic), factories.service_line(clinic.service()))

    response = getattr(manager, method)(path.format(id=2**53), **kwargs)

    refused(response, 404, "not_found")


def test_largest_accepted_ids_in_a_body_are_a_plain_404(clinic, api, priya, laser):
    bill = factories.api_bill(api, priya)

    refused(api.post("/bills", {"client_id": 2**53}), 404, "not_found")
    refused(api.post(f"/bills/{bill['id']}/lines", {"type": "service", "service_id": 2**53}), 404, "not_found")
    refused(api.post(f"/bills/{bill['id']}/lines", {"type": "product", "product_id": 2**53}), 404, "not_found")
    refused(api.post(f"/bills/{bill['id']}/lines", {"type": "package_sale", "plan_id": 2**53}), 404, "not_found")
    refused(api.post(f"/bills/{bill['id']}/lines", {"type": "redemption", "package_id": 2**53,
                                                    "service_id": laser.id}), 404, "not_found")


def test_unknown_api_path_and_wrong_method_still_answer_with_the_error_body(api):
    unknown = api.get("/no-such-endpoint")
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"
    wrong = api.get("/bills/1/close")
    assert wrong.status_code == 405 and wrong.json()["code"] == "method_not_allowed"
    assert "POST" in wrong["Allow"]
