"""A manager acts for her own branches only (PRODUCT.md: "reports for own branches"); so does a
front desk tied to a branch. Another branch's bill is not found, as another business's is; the
owner acts everywhere. Enforced where the bill is locked (billing/locking.py), for every action."""
from __future__ import annotations

import pytest

from glowpos.billing import services as billing
from glowpos.billing.models import BillStatus
from glowpos.errors import NotFound
from glowpos.tenancy.models import Branch
from tests import factories
from tests.api.expect import refused


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
