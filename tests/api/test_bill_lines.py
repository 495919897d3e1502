"""POST /bills, POST /bills/{id}/lines, DELETE /bills/{id}/lines/{line_id}: building a bill,
and every reason a package cannot be applied to it."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from glowpos.packages.models import ClientPackage, PackageStatus
from tests import factories
from tests.api.expect import ITEM, names_field, pick, refused


def add(api, bill: dict, line: dict):
    return api.post(f"/bills/{bill['id']}/lines", line)


def package_item(api, client, package) -> dict:
    packages = {p["id"]: p for p in api.get(f"/clients/{client.id}").json()["packages"]}
    [item] = packages[package.id]["items"]
    return pick(item, *ITEM)


# Opening a bill

def test_open_bill_is_201_open_and_empty(api, priya, clinic):
    response = api.post("/bills", {"client_id": priya.id})

    assert response.status_code == 201, response.content
    bill = response.json()
    assert (bill["status"], bill["client_id"], bill["lines"]) == ("open", priya.id, [])
    assert (bill["subtotal"], bill["tax"], bill["total"], bill["amount_due"]) == (0, 0, 0, 0)
    assert bill["branch_id"] == clinic.business.branches.get().id
    assert api.get(f"/bills/{bill['id']}").json() == bill


def test_bill_times_are_in_the_business_zone_with_offset(api, priya):
    opened_at = api.post("/bills", {"client_id": priya.id}).json()["opened_at"]

    assert opened_at.endswith("+05:30"), opened_at
    assert abs(datetime.fromisoformat(opened_at) - timezone.now()) < timedelta(minutes=1)


def test_bill_for_another_business_client_is_404(api):
    stranger = factories.client(factories.clinic())

    refused(api.post("/bills", {"client_id": stranger.id}), 404, "not_found")


def test_bill_at_another_business_branch_is_404(api, priya):
    other_branch = factories.clinic().business.branches.get()

    refused(api.post("/bills", {"client_id": priya.id, "branch_id": other_branch.id}), 404, "not_found")


def test_bill_without_client_is_422_naming_client_id(api):
    names_field(refused(api.post("/bills", {}), 422, "validation_error"), "client_id")


def test_practitioner_may_not_open_bills(clinic, priya):
    practitioner = factories.api_client(clinic.practitioner)

    refused(practitioner.post("/bills", {"client_id": priya.id}), 403, "forbidden")


def test_another_business_bill_is_404_for_every_bill_endpoint(clinic, api, priya):
    bill = factories.api_bill(api, priya, factories.service_line(clinic.service()))
    line_id = bill["lines"][0]["id"]
    outsider = factories.api_client(factories.clinic().manager)

    refused(outsider.get(f"/bills/{bill['id']}"), 404, "not_found")
    refused(add(outsider, bill, {"type": "product", "product_id": clinic.product().id}), 404, "not_found")
    refused(outsider.delete(f"/bills/{bill['id']}/lines/{line_id}"), 404, "not_found")
    refused(factories.api_close(outsider, bill["id"], [{"method": "cash", "amount": bill["amount_due"]}]),
            404, "not_found")
    refused(outsider.post(f"/bills/{bill['id']}/void", {"reason": "probing"}), 404, "not_found")
    assert api.get(f"/bills/{bill['id']}").json() == bill


# Lines of each type

def test_service_line_charges_the_tax_inclusive_price(api, priya, laser):
    bill = factories.api_bill(api, priya)

    response = add(api, bill, factories.service_line(laser))

    assert response.status_code == 201, response.content
    bill = response.json()
    [line] = bill["lines"]
    assert (line["type"], line["description"], line["quantity"], line["amount"]) == (
        "service", "Laser hair reduction", 1, 450_000)
    assert (line["taxable"], line["cgst"], line["sgst"], line["igst"]) == (381_356, 34_322, 34_322, 0)
    assert (bill["subtotal"], bill["tax"], bill["total"], bill["amount_due"]) == (381_356, 68_644, 450_000, 450_000)


def test_product_line_multiplies_by_quantity(clinic, api, priya):
    bill = factories.api_bill(api, priya)

    response = add(api, bill, {"type": "product", "product_id": clinic.product("Sunscreen SPF 50").id, "quantity": 2})

    assert response.status_code == 201, response.content
    [line] = response.json()["lines"]
    assert (line["type"], line["quantity"], line["unit_price"], line["amount"]) == ("product", 2, 95_000, 190_000)
    assert (line["taxable"], line["cgst"], line["sgst"]) == (161_016, 14_492, 14_492)


def test_package_sale_line_charges_the_plan_price(clinic, api, priya):
    bill = factories.api_bill(api, priya)

    response = add(api, bill, {"type": "package_sale", "plan_id": clinic.plan("LHR-6").id})

    assert response.status_code == 201, response.content
    bill = response.json()
    [line] = bill["lines"]
    assert (line["type"], line["amount"], line["taxable"], line["cgst"], line["sgst"]) == (
        "package_sale", 2_400_000, 2_033_898, 183_051, 183_051)
    assert "LHR-6" in line["description"]
    assert bill["amount_due"] == 2_400_000


def test_redemption_line_is_free_and_shows_session_of_total(api, priya, laser, lhr):
    bill = factories.api_bill(api, priya)

    response = add(api, bill, factories.redemption_line(lhr, laser))

    assert response.status_code == 201, response.content
    bill = response.json()
    [line] = bill["lines"]
    assert (line["type"], line["amount"], line["taxable"], line["cgst"], line["sgst"]) == ("redemption", 0, 0, 0, 0)
    assert {k: line["package"][k] for k in ("id", "session", "total", "remaining_after")} == {
        "id": lhr.id, "session": 1, "total": 6, "remaining_after": 5}
    assert re.search(r"Laser hair reduction .*session 1 of 6", line["description"]), line["description"]
    assert (bill["total"], bill["amount_due"]) == (0, 0)


def test_redemption_holds_one_unit_at_once(api, priya, laser, lhr):
    factories.api_bill(api, priya, factories.redemption_line(lhr, laser))

    assert package_item(api, priya, lhr) == {
        "service_id": laser.id, "service_name": "Laser hair reduction", "total": 6, "used": 0, "held": 1,
        "remaining": 5}


def test_second_redemption_on_the_same_bill_is_the_next_session(api, priya, laser, lhr):
    bill = factories.api_bill(api, priya, factories.redemption_line(lhr, laser), factories.redemption_line(lhr, laser))

    assert [(l["package"]["session"], l["package"]["remaining_after"]) for l in bill["lines"]] == [(1, 5), (2, 4)]
    assert "session 2 of 6" in bill["lines"][1]["description"]


@pytest.mark.parametrize("line, field", [
    ({"type": "service"}, "service_id"),
    ({"type": "product"}, "product_id"),
    ({"type": "package_sale"}, "plan_id"),
    ({"type": "redemption", "service_id": 1}, "package_id"),
])
def test_line_without_its_id_is_422_naming_the_field(api, priya, line, field):
    bill = factories.api_bill(api, priya)

    names_field(refused(add(api, bill, line), 422, "validation_error"), field)
    assert api.get(f"/bills/{bill['id']}").json()["lines"] == []


def test_redemption_without_service_is_422_naming_service_id(api, priya, lhr):
    bill = factories.api_bill(api, priya)

    names_field(refused(add(api, bill, {"type": "redemption", "package_id": lhr.id}), 422, "validation_error"),
                "service_id")
    assert package_item(api, priya, lhr)["held"] == 0


@pytest.mark.parametrize("line", [
    {"type": "discount", "service_id": 1},
    {"type": "service", "service_id": 1, "quantity": 0},
    {"type": "service", "service_id": 1, "quantity": 101},
    {"type": "service", "service_id": 1, "quantity": "two"},
    {"type": "service", "service_id": "laser"},
    {"type": "service", "service_id": 10**30},
    {"type": "redemption", "package_id": 10**30, "service_id": 1},
    {"type": "package_sale", "plan_id": -5},
], ids=["unknown-type", "quantity-0", "quantity-101", "quantity-text", "id-text", "huge-service-id",
        "huge-package-id", "negative-plan-id"])
def test_malformed_line_is_422_and_adds_nothing(api, priya, line):
    bill = factories.api_bill(api, priya)

    refused(add(api, bill, line), 422, "validation_error")
    assert api.get(f"/bills/{bill['id']}").json()["lines"] == []


@pytest.mark.parametrize("kind", ["service", "product", "package_sale", "redemption"])
def test_unknown_catalog_or_package_id_is_404(clinic, api, priya, laser, kind):
    bill = factories.api_bill(api, priya)
    line = {
        "service": {"type": "service", "service_id": 999_999},
        "product": {"type": "product", "product_id": 999_999},
        "package_sale": {"type": "package_sale", "plan_id": 999_999},
        "redemption": {"type": "redemption", "package_id": 999_999, "service_id": laser.id},
    }[kind]

    refused(add(api, bill, line), 404, "not_found")


def test_another_business_catalog_is_404(api, priya):
    other = factories.clinic()
    bill = factories.api_bill(api, priya)

    refused(add(api, bill, factories.service_line(other.service())), 404, "not_found")
    refused(add(api, bill, {"type": "product", "product_id": other.product().id}), 404, "not_found")
    refused(add(api, bill, {"type": "package_sale", "plan_id": other.plan().id}), 404, "not_found")


def test_another_business_package_is_404_not_403(api, priya, laser):
    other = factories.clinic()
    their_package = factories.sold_package(other, factories.client(other))
    bill = factories.api_bill(api, priya)

    refused(add(api, bill, factories.redemption_line(their_package, laser)), 404, "not_found")
    refused(add(api, bill, {"type": "redemption", "package_id": their_package.id,
                            "service_id": other.service().id}), 404, "not_found")


def test_another_client_package_is_409_package_not_applicable(clinic, api, laser, lhr):
    asha = factories.client(clinic, name="Asha Rao")
    bill = factories.api_bill(api, asha)

    refused(add(api, bill, factories.redemption_line(lhr, laser)), 409, "package_not_applicable")
    assert api.get(f"/bills/{bill['id']}").json()["lines"] == []


# Refusals of a package

def test_redeeming_a_service_not_in_the_package_is_409_package_not_applicable(clinic, api, priya, lhr):
    bill = factories.api_bill(api, priya)

    body = refused(add(api, bill, factories.redemption_line(lhr, clinic.service("Chemical peel"))),
                   409, "package_not_applicable")
    assert body["package_id"] == lhr.id
    assert api.get(f"/bills/{bill['id']}").json()["lines"] == []


def test_fully_redeemed_package_is_409_package_exhausted(api, priya, laser, lhr):
    for _ in range(6):
        factories.api_closed(api, priya, factories.redemption_line(lhr, laser))
    bill = factories.api_bill(api, priya)

    refused(add(api, bill, factories.redemption_line(lhr, laser)), 409, "package_exhausted")
    item = package_item(api, priya, lhr)
    assert (item["used"], item["held"], item["remaining"]) == (6, 0, 0)


def test_last_session_held_on_another_terminal_cannot_be_taken_again(api, priya, laser, lhr):
    for _ in range(5):
        factories.api_closed(api, priya, factories.redemption_line(lhr, laser))
    factories.api_bill(api, priya, factories.redemption_line(lhr, laser))  # terminal 1 holds session 6
    second_terminal = factories.api_bill(api, priya)

    refused(add(api, second_terminal, factories.redemption_line(lhr, laser)), 409, "package_exhausted")
    assert package_item(api, priya, lhr)["held"] == 1


def test_expired_package_is_409_package_expired(api, priya, laser, lhr):
    today = timezone.localdate()
    ClientPackage.objects.filter(id=lhr.id).update(purchased_on=today - timedelta(days=400),
                                                   expires_on=today - timedelta(days=35))
    bill = factories.api_bill(api, priya)

    refused(add(api, bill, factories.redemption_line(lhr, laser)), 409, "package_expired")
    assert package_item(api, priya, lhr)["held"] == 0
    [package] = api.get(f"/clients/{priya.id}").json()["packages"]
    assert package["status"] == "expired"  # flagged on the profile before any nightly job runs


def test_package_expiring_today_can_still_be_redeemed(api, priya, laser, lhr):
    today = timezone.localdate()
    ClientPackage.objects.filter(id=lhr.id).update(purchased_on=today - timedelta(days=365), expires_on=today)
    bill = factories.api_bill(api, priya)

    assert add(api, bill, factories.redemption_line(lhr, laser)).status_code == 201


def test_frozen_package_is_409_package_frozen(api, priya, laser, lhr):
    ClientPackage.objects.filter(id=lhr.id).update(status=PackageStatus.FROZEN)
    bill = factories.api_bill(api, priya)

    refused(add(api, bill, factories.redemption_line(lhr, laser)), 409, "package_frozen")


def test_cancelled_package_is_409_package_not_active(clinic, api, manager, priya, laser):
    sale = factories.api_closed(api, priya, {"type": "package_sale", "plan_id": clinic.plan("LHR-6").id})
    package = ClientPackage.objects.get(sale_bill_id=sale["bill"]["id"])
    assert manager.post(f"/bills/{sale['bill']['id']}/void", {"reason": "client changed her mind"}).status_code == 200
    bill = factories.api_bill(api, priya)

    refused(add(api, bill, factories.redemption_line(package, laser)), 409, "package_not_active")


# Removing a line

def test_removing_a_redemption_line_releases_the_held_unit(api, priya, laser, lhr):
    bill = factories.api_bill(api, priya, factories.redemption_line(lhr, laser))
    assert package_item(api, priya, lhr)["held"] == 1

    response = api.delete(f"/bills/{bill['id']}/lines/{bill['lines'][0]['id']}")

    assert response.status_code == 200, response.content
    assert response.json()["lines"] == []
    item = package_item(api, priya, lhr)
    assert (item["used"], item["held"], item["remaining"]) == (0, 0, 6)


def test_removing_a_service_line_leaves_the_rest_of_the_bill(clinic, api, priya, laser, lhr):
    bill = factories.api_bill(api, priya, factories.redemption_line(lhr, laser),
                              factories.service_line(clinic.service("Chemical peel")))

    response = api.delete(f"/bills/{bill['id']}/lines/{bill['lines'][1]['id']}")

    assert [l["type"] for l in response.json()["lines"]] == ["redemption"]
    assert response.json()["amount_due"] == 0
    assert package_item(api, priya, lhr)["held"] == 1


def test_removing_a_line_of_another_bill_is_404(clinic, api, priya):
    first = factories.api_bill(api, priya, factories.service_line(clinic.service()))
    second = factories.api_bill(api, priya)

    refused(api.delete(f"/bills/{second['id']}/lines/{first['lines'][0]['id']}"), 404, "not_found")
    assert len(api.get(f"/bills/{first['id']}").json()["lines"]) == 1


# Who performs it

def test_practitioner_on_a_line_is_set_when_added_or_later_and_only_on_treatments(api, priya, clinic):
    bill = api.post("/bills", {"client_id": priya.id}).json()
    service = clinic.service("Skin cleanup")
    doctor, manager = clinic.practitioner, clinic.manager

    added = add(api, bill, {"type": "service", "service_id": service.id, "practitioner_id": doctor.id})
    assert added.status_code == 201 and added.json()["lines"][0]["practitioner_id"] == doctor.id
    line = added.json()["lines"][0]["id"]
    changed = api.http.patch(f"/api/v1/bills/{bill['id']}/lines/{line}", data={"practitioner_id": manager.id},
                             content_type="application/json", headers=api.headers)
    assert changed.status_code == 200 and changed.json()["lines"][0]["practitioner_id"] == manager.id
    cleared = api.http.patch(f"/api/v1/bills/{bill['id']}/lines/{line}", data={"practitioner_id": None},
                             content_type="application/json", headers=api.headers)
    assert cleared.json()["lines"][0]["practitioner_id"] is None

    product = add(api, bill, {"type": "product", "product_id": clinic.product().id, "practitioner_id": doctor.id})
    names_field(refused(product, 422, "validation_error"), "practitioner_id")
    product_line = add(api, bill, {"type": "product", "product_id": clinic.product().id}).json()["lines"][-1]["id"]
    on_product = api.http.patch(f"/api/v1/bills/{bill['id']}/lines/{product_line}", data={"practitioner_id": doctor.id},
                                content_type="application/json", headers=api.headers)
    refused(on_product, 422, "validation_error")

    stranger = factories.clinic().practitioner
    refused(add(api, bill, {"type": "service", "service_id": service.id, "practitioner_id": stranger.id}),
            404, "not_found")
    assert len(api.get(f"/bills/{bill['id']}").json()["lines"]) == 2  # the refusals added nothing

    due = api.get(f"/bills/{bill['id']}").json()["total"]
    assert factories.api_close(api, bill["id"], [{"method": "cash", "amount": due}]).status_code == 200
    late = api.http.patch(f"/api/v1/bills/{bill['id']}/lines/{line}", data={"practitioner_id": doctor.id},
                          content_type="application/json", headers=api.headers)
    refused(late, 409, "bill_not_open")
