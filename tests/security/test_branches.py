"""A manager acts for her own branches only (PRODUCT.md: "reports for own branches"); so does a
front desk tied to a branch. Another branch's bill is not found, as another business's is; the
owner acts everywhere. Enforced where the bill is locked (billing/locking.py), for every action."""
from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.urls import reverse
from django.utils import timezone

from glowpos.billing import services as billing
from glowpos.billing.models import BillStatus
from glowpos.documents.models import Document, DocumentKind
from glowpos.packages.models import ClientPackage, PackageStatus
from glowpos.errors import NotFound
from glowpos.tenancy.models import Branch, StaffMember
from tests import factories
from glowpos.receipts.models import OutboxMessage, OutboxStatus, RevokedReceipt
from tests.api.expect import refused
from tests.security.conftest import browser_of


@pytest.fixture
def mysuru(clinic):
    return Branch.objects.create(business=clinic.business, code="MYS1", name="Mysuru", address="1 Sayyaji Rao Rd",
                                 state_code="29", state_name="Karnataka", gstin="")


def _bill_at(clinic, branch, *, closed: bool):
    who = factories.client(clinic)
    bill = billing.open_bill(client_id=who.id, branch_id=branch.id, by=clinic.owner)
    billing.add_service(bill_id=bill.id, service_id=clinic.service("Skin cleanup").id, by=clinic.owner)
    if closed:
        billing.close_bill(bill_id=bill.id, payments=factories.payment_due(bill), idempotency_key=f"b-{bill.id}",
                           by=clinic.owner)
    bill.refresh_from_db()
    return bill


def test_the_staff_of_the_test_clinic_are_tied_to_the_first_branch(clinic, mysuru):
    assert list(clinic.manager.allowed_branches()) == [clinic.manager.default_branch()]
    assert mysuru not in clinic.manager.allowed_branches()
    assert mysuru in clinic.owner.allowed_branches()


def test_a_manager_cannot_void_or_refund_another_branchs_bill(clinic, mysuru):
    bill = _bill_at(clinic, mysuru, closed=True)
    manager = factories.api_client(clinic.manager)

    refused(manager.post(f"/bills/{bill.id}/void", {"reason": "Entered twice"}), 404, "not_found")
    refused(manager.post(f"/bills/{bill.id}/refunds", {"line_id": bill.lines.get().id, "amount": 100,
                                                         "reason": "Correction", "method": "cash"}),
            404, "not_found")
    bill.refresh_from_db()
    assert bill.status == BillStatus.CLOSED and bill.documents.count() == 1


def test_a_manager_voids_her_own_branchs_bill_and_the_owner_any(clinic, mysuru):
    own = _bill_at(clinic, clinic.manager.default_branch(), closed=True)
    other = _bill_at(clinic, mysuru, closed=True)

    assert factories.api_client(clinic.manager).post(f"/bills/{own.id}/void", {"reason": "x"}).status_code == 200
    assert factories.api_client(clinic.owner).post(f"/bills/{other.id}/void", {"reason": "x"}).status_code == 200


def _package_sold_at(clinic, branch):
    who = factories.client(clinic)
    bill = billing.open_bill(client_id=who.id, branch_id=branch.id, by=clinic.owner)
    billing.add_package_sale(bill_id=bill.id, plan_id=clinic.plan("LHR-6").id, by=clinic.owner)
    billing.close_bill(bill_id=bill.id, payments=factories.payment_due(bill), idempotency_key=f"p-{bill.id}",
                       by=clinic.owner)
    return ClientPackage.objects.get(sale_bill=bill)


@pytest.mark.parametrize("action, body", [
    ("freeze", {"reason": "Travelling"}),
    ("extend", {"reason": "Goodwill", "expires_on": "2099-01-01"}),
    ("cancel", {"reason": "Moving", "method": "cash"}),
    ("transfer", {"reason": "Gift", "to_client_id": None}),
])
def test_a_manager_changes_only_packages_whose_books_are_her_branchs(clinic, mysuru, action, body):
    """A package's credit note, refund voucher and entries go to the branch that sold it: a
    manager of another branch cannot make them (not found), the owner can."""
    package = _package_sold_at(clinic, mysuru)
    if "to_client_id" in body:
        body = {**body, "to_client_id": factories.client(clinic, name="Sister").id}
    refused(factories.api_client(clinic.manager).post(f"/packages/{package.id}/{action}", body), 404, "not_found")
    package.refresh_from_db()
    assert package.status == PackageStatus.ACTIVE and package.expires_on.year != 2099
    assert not Document.objects.filter(business=clinic.business, kind=DocumentKind.CREDIT_NOTE).exists()
    done = factories.api_client(clinic.owner).post(f"/packages/{package.id}/{action}", body)
    assert done.status_code == 200, done.json()


def test_a_package_sold_at_another_branch_is_still_redeemed_and_shared_at_hers(clinic, mysuru):
    package = _package_sold_at(clinic, mysuru)
    desk = factories.api_client(clinic.front_desk)
    sister = factories.client(clinic, name="Sister")
    assert desk.post(f"/packages/{package.id}/share", {"client_id": sister.id}).status_code == 200
    bill = desk.post("/bills", {"client_id": package.client_id}).json()
    assert bill["branch_id"] == clinic.front_desk.default_branch().id
    line = {"type": "redemption", "package_id": package.id, "service_id": clinic.service().id}
    assert desk.post(f"/bills/{bill['id']}/lines", line).status_code == 201
    assert factories.api_close(desk, bill["id"]).status_code == 200


def test_the_front_desk_of_one_branch_cannot_touch_an_open_bill_of_another(clinic, mysuru):
    bill = _bill_at(clinic, mysuru, closed=False)
    for action in (
        lambda: billing.add_service(bill_id=bill.id, service_id=clinic.service("Skin cleanup").id,
                                    by=clinic.front_desk),
        lambda: billing.discount_bill(bill_id=bill.id, amount=100, by=clinic.front_desk),
        lambda: billing.remove_line(bill_id=bill.id, line_id=bill.lines.get().id, by=clinic.front_desk),
        lambda: billing.close_bill(bill_id=bill.id, payments=factories.payment_due(bill), idempotency_key="k",
                                   by=clinic.front_desk),
    ):
        with pytest.raises(NotFound):
            action()
    bill.refresh_from_db()
    assert bill.status == BillStatus.OPEN and bill.lines.get().discount == 0


def test_a_manager_of_two_branches_acts_at_both_opens_at_her_first_and_a_change_counts_at_once(clinic, mysuru):
    """Her branches come with her token's check (one value, "3,7"): both are hers, a bill opened
    without a branch opens at the first (the lowest id), and a change of her branches is seen
    at her next request."""
    first = clinic.manager.default_branch()
    clinic.manager.branches.add(mysuru)
    manager = factories.api_client(clinic.manager)
    here, there = _bill_at(clinic, first, closed=True), _bill_at(clinic, mysuru, closed=True)
    assert manager.get(f"/bills/{here.id}").status_code == 200
    assert manager.get(f"/bills/{there.id}").status_code == 200
    assert manager.post("/bills", {"client_id": factories.client(clinic).id}).json()["branch_id"] == first.id

    clinic.manager.branches.remove(first)

    refused(manager.get(f"/bills/{here.id}"), 404, "not_found")
    assert manager.get(f"/bills/{there.id}").status_code == 200
    assert manager.post("/bills", {"client_id": factories.client(clinic).id}).json()["branch_id"] == mysuru.id


def test_a_bill_opened_on_the_screens_by_staff_of_two_branches_opens_at_her_first(clinic, mysuru):
    """The screens' staff has no token check: her branch scope is read by itself, lowest id first."""
    first = clinic.manager.default_branch()
    clinic.manager.branches.add(mysuru)
    manager = StaffMember.objects.get(id=clinic.manager.id)  # as a screen's request reads her
    assert billing.open_bill(client_id=factories.client(clinic).id, by=manager).branch_id == first.id


def test_a_manager_cannot_open_a_bill_at_another_branch(clinic, mysuru):
    manager = factories.api_client(clinic.manager)
    who = factories.client(clinic)
    refused(manager.post("/bills", {"client_id": who.id, "branch_id": mysuru.id}), 404, "not_found")


def test_a_manager_reads_reports_of_her_own_branches_only(clinic, mysuru):
    manager = factories.api_client(clinic.manager)
    period = "from=2025-04-01&to=2025-04-30"
    own = clinic.manager.default_branch()
    assert manager.get(f"/reports/deferred-revenue?{period}&branch={own.id}").status_code == 200
    refused(manager.get(f"/reports/deferred-revenue?{period}&branch={mysuru.id}"), 404, "not_found")
    owner = factories.api_client(clinic.owner)
    assert owner.get(f"/reports/deferred-revenue?{period}&branch={mysuru.id}").status_code == 200


# Reads follow the same rule as writes: staff tied to branches (the test clinic's manager and
# front desk: BLR1) find nothing of another branch (Mysuru) — a 404 for an object named by id,
# and lists, counts and the audit log without it. The owner, the control, sees all of it.

@dataclass
class Elsewhere:
    open_bill: object
    closed_bill: object
    document: object
    message: object
    batch: object
    voided: object
    service_id: int


@pytest.fixture
def elsewhere(clinic, mysuru) -> Elsewhere:
    from glowpos.onboarding.services import commit_import
    from tests.onboarding.sheets import csv_bytes

    open_bill = _bill_at(clinic, mysuru, closed=False)
    closed = _bill_at(clinic, mysuru, closed=True)
    message = OutboxMessage.objects.filter(document__bill=closed).order_by("id").first()
    OutboxMessage.objects.filter(id=message.id).update(status=OutboxStatus.FAILED)
    voided = _bill_at(clinic, mysuru, closed=True)
    billing.void_bill(bill_id=voided.id, reason="Entered twice", by=clinic.owner)
    data = csv_bytes([["Imported at Mysuru", "9700000001", "", "", "", "", "", "", "", ""]])
    batch = commit_import(by=clinic.owner, data=data, filename="mysuru-clients.csv", branch_id=mysuru.id).batch
    return Elsewhere(open_bill, closed, closed.documents.get(), message, batch, voided,
                     clinic.service("Skin cleanup").id)


WEB_READS = {  # name: (method, kwargs, data) — another branch's object
    "frontdesk:bill": lambda e: ("get", {"bill_id": e.open_bill.id}, {}),
    "frontdesk:add_line": lambda e: ("post", {"bill_id": e.open_bill.id}, {"kind": "service", "id": e.service_id}),
    "frontdesk:remove_line": lambda e: ("post", {"bill_id": e.open_bill.id, "line_id": e.open_bill.lines.get().id},
                                        {}),
    "frontdesk:close": lambda e: ("post", {"bill_id": e.open_bill.id},
                                  {"idempotency_key": "k", "method": "cash", "amount": "100"}),
    "frontdesk:line_practitioner": lambda e: ("post", {"bill_id": e.open_bill.id,
                                                       "line_id": e.open_bill.lines.get().id}, {"practitioner_id": ""}),
    "frontdesk:void": lambda e: ("post", {"bill_id": e.open_bill.id}, {"reason": "Client left"}),
    "frontdesk:receipt": lambda e: ("get", {"bill_id": e.closed_bill.id}, {}),
    "frontdesk:send_receipt": lambda e: ("post", {"bill_id": e.closed_bill.id}, {"channel": "sms"}),
    "outbox:retry": lambda e: ("post", {"message_id": e.message.id}, {}),
    "outbox:revoke": lambda e: ("post", {"document_id": e.document.id}, {"reason": "Wrong number"}),
    "onboarding:batch": lambda e: ("get", {"batch_id": e.batch.id}, {}),
    "onboarding:batch_problems_csv": lambda e: ("get", {"batch_id": e.batch.id}, {}),
}
COUNTER_ROUTES = {"frontdesk:bill", "frontdesk:add_line", "frontdesk:remove_line", "frontdesk:line_practitioner",
                  "frontdesk:close",
                  "frontdesk:receipt", "frontdesk:send_receipt", "outbox:retry"}


@pytest.mark.parametrize("name, role", [(n, "manager") for n in sorted(WEB_READS)]
                         + [(n, "front_desk") for n in sorted(COUNTER_ROUTES)])  # the rest: 403 by role
def test_another_branchs_object_is_not_found_on_the_screens(clinic, elsewhere, name, role):
    method, kwargs, data = WEB_READS[name](elsewhere)
    url = reverse(name, kwargs=kwargs)
    before = _state(elsewhere)

    response = getattr(browser_of(getattr(clinic, role)), method)(url, data)

    assert response.status_code == 404, (name, role, response.status_code)
    assert _state(elsewhere) == before
    control = getattr(browser_of(clinic.owner), method)(url, data)  # the owner finds it (the action may refuse)
    assert control.status_code != 404, (name, control.status_code)


def _state(e: Elsewhere) -> tuple:
    e.open_bill.refresh_from_db()
    e.message.refresh_from_db()
    return (e.open_bill.status, e.open_bill.lines.count(), e.message.status,
            RevokedReceipt.objects.filter(document=e.document).exists())


@pytest.mark.parametrize("role", ["manager", "front_desk", "practitioner"])
def test_another_branchs_bill_is_not_found_in_the_api(clinic, elsewhere, role):
    api = factories.api_client(getattr(clinic, role))
    for bill in (elsewhere.open_bill, elsewhere.closed_bill):
        refused(api.get(f"/bills/{bill.id}"), 404, "not_found")
    owner = factories.api_client(clinic.owner)
    assert owner.get(f"/bills/{elsewhere.closed_bill.id}").json()["branch_id"] == elsewhere.closed_bill.branch_id


def _branch_filtered_api_reports() -> list[str]:
    """Every API report that takes a `branch` filter — from the live schema, so a new one is covered."""
    from glowpos.api.v1 import api

    paths = api.get_openapi_schema(path_prefix="")["paths"]
    return sorted(path for path, ops in paths.items() for op in ops.values()
                  if any(p["name"] == "branch" for p in op.get("parameters", [])) and "{" not in path)


@pytest.mark.parametrize("path", _branch_filtered_api_reports())
def test_a_manager_asking_for_another_branch_in_any_report_is_not_found(clinic, mysuru, path):
    assert path.startswith("/reports/"), path
    query = f"from=2025-04-01&to=2025-04-30&branch={mysuru.id}"
    refused(factories.api_client(clinic.manager).get(f"{path}?{query}"), 404, "not_found")


@pytest.mark.parametrize("url", ["/manage/reports/{slug}/", "/manage/reports/{slug}.csv"])
def test_a_manager_asking_for_another_branch_on_a_report_screen_or_file_is_not_found(clinic, mysuru, url):
    from glowpos.reports.registry import REPORTS

    for slug in REPORTS:
        response = browser_of(clinic.manager).get(url.format(slug=slug), {"branch": mysuru.id})
        assert response.status_code == 404, (slug, url, response.status_code)


def test_lists_of_a_manager_leave_out_another_branch(clinic, elsewhere):
    """The day, the client's visits, the outbox, the imports, the audit log, the documents report."""
    manager, owner = browser_of(clinic.manager), browser_of(clinic.owner)
    number = elsewhere.document.number
    client = elsewhere.closed_bill.client

    def seen(browser, url) -> str:
        response = browser.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response.content.decode()

    for url, mark in (("/", elsewhere.open_bill.client.name), (f"/clients/{client.id}/", number),
                      ("/manage/outbox/", elsewhere.message.to), ("/manage/import/", "mysuru-clients.csv")):
        assert mark in seen(owner, url), url
        assert mark not in seen(manager, url), url

    as_manager, as_owner = factories.api_client(clinic.manager), factories.api_client(clinic.owner)
    voided = f"/audit-events?object_type=bill&object_id={elsewhere.voided.id}"
    assert [e["action"] for e in as_owner.get(voided).json()] == ["bill.void"]
    assert as_manager.get(voided).json() == []
    assert "bill.void" not in [e["action"] for e in as_manager.get("/audit-events").json()]

    today = timezone.localdate().isoformat()
    series = f"/reports/documents?from={today}&to={today}"
    assert "MYS1" in [r["branch_code"] for r in as_owner.get(series).json()["rows"]]
    assert "MYS1" not in [r["branch_code"] for r in as_manager.get(series).json()["rows"]]


def test_staff_tied_to_a_branch_read_their_own_branchs_objects(clinic):
    """The rule is not a blanket refusal: BLR1's objects are there for BLR1's staff."""
    own = _bill_at(clinic, clinic.manager.default_branch(), closed=True)
    for role in ("manager", "front_desk"):
        staff = getattr(clinic, role)
        assert browser_of(staff).get(reverse("frontdesk:receipt", kwargs={"bill_id": own.id})).status_code == 200
        assert factories.api_client(staff).get(f"/bills/{own.id}").status_code == 200
    assert own.documents.get().number in browser_of(clinic.manager).get(f"/clients/{own.client_id}/").content.decode()
