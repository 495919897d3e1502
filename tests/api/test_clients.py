"""GET/POST /clients and GET /clients/{id}: finding the client at the counter."""
from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests import factories
from tests.api.expect import ITEM, names_field, pick, refused


@pytest.fixture
def asha(clinic):
    """Ends in the same five digits as Priya's number."""
    return factories.client(clinic, name="Asha Rao", phone="81234 43210")


def search(api, q: str):
    return api.get(f"/clients?{urlencode({'q': q})}")


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [c["id"] for c in response.json()]


def test_last_four_digits_find_the_client(api, priya, asha, clinic):
    factories.client(clinic, name="Someone Else", phone="99000 11111")

    assert sorted(ids(api.get("/clients?q=3210"))) == sorted([priya.id, asha.id])
    assert ids(api.get("/clients?q=543210")) == [priya.id]


def test_search_result_shows_name_and_phone_in_e164(api, priya):
    [found] = api.get("/clients?q=3210").json()
    assert {k: found[k] for k in ("id", "name", "phone")} == {
        "id": priya.id, "name": "Priya Sharma", "phone": "+919876543210"}


@pytest.mark.parametrize("typed", ["98765 43210", "+91-98765-43210", "098765 43210", "9876543210", "+919876543210"])
def test_full_number_in_any_common_format_finds_exactly_that_client(api, priya, asha, typed):
    assert ids(search(api, typed)) == [priya.id]


def test_name_search_is_partial_and_ignores_case(api, priya, asha):
    assert ids(api.get("/clients?q=sharma")) == [priya.id]
    assert ids(api.get("/clients?q=PRI")) == [priya.id]


@pytest.mark.parametrize("typed", ["321", "3", "+9", "98-7"])
def test_fewer_than_four_digits_is_422_naming_q(api, priya, typed):
    response = search(api, typed)
    names_field(refused(response, 422, "validation_error"), "q")


def test_search_without_q_is_422_naming_q(api):
    names_field(refused(api.get("/clients"), 422, "validation_error"), "q")


def test_search_never_shows_another_business_client(api, priya):
    other = factories.clinic()
    factories.client(other, name="Priya Sharma", phone="98765 43210")

    assert ids(api.get("/clients?q=3210")) == [priya.id]
    assert ids(api.get("/clients?q=Priya")) == [priya.id]


def test_new_client_is_201_with_phone_in_e164(api):
    response = api.post("/clients", {"name": "Meera Iyer", "phone": "098450 12345", "email": "meera@example.in"})

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["phone"] == "+919845012345"
    assert (body["name"], body["email"]) == ("Meera Iyer", "meera@example.in")
    assert ids(api.get("/clients?q=2345")) == [body["id"]]


@pytest.mark.parametrize("phone", ["12345", "not a phone", "98765", "+91 12345 67890123"])
def test_bad_phone_is_422_naming_phone(api, phone):
    response = api.post("/clients", {"name": "Meera Iyer", "phone": phone})
    names_field(refused(response, 422, "validation_error"), "phone")
    assert api.get("/clients?q=Meera").json() == []


def test_bad_email_is_422_naming_email(api):
    response = api.post("/clients", {"name": "Meera Iyer", "phone": "9845012345", "email": "meera-at-home"})
    names_field(refused(response, 422, "validation_error"), "email")


@pytest.mark.parametrize("body", [{"phone": "9845012345"}, {"name": "   ", "phone": "9845012345"}])
def test_client_without_name_is_422_naming_name(api, body):
    names_field(refused(api.post("/clients", body), 422, "validation_error"), "name")


def test_second_client_with_same_number_is_409_with_existing_id(api, priya):
    response = api.post("/clients", {"name": "P. Sharma", "phone": "+91-98765-43210"})

    body = refused(response, 409, "duplicate_client")
    assert body["existing_id"] == priya.id
    assert ids(api.get("/clients?q=3210")) == [priya.id]


def test_same_number_in_another_business_is_a_different_client(api, priya):
    other_api = factories.api_client(factories.clinic().front_desk)

    response = other_api.post("/clients", {"name": "Priya Sharma", "phone": "98765 43210"})

    assert response.status_code == 201
    assert response.json()["id"] != priya.id


def test_profile_lists_active_packages_first_with_total_used_held_remaining(clinic, api, manager, priya):
    laser = clinic.service("Laser hair reduction")
    lhr = factories.sold_package(clinic, priya, plan="LHR-6")
    factories.api_closed(api, priya, factories.redemption_line(lhr, laser))  # one used
    factories.api_bill(api, priya, factories.redemption_line(lhr, laser))  # one held
    cleanup_sale = factories.api_closed(api, priya, {"type": "package_sale", "plan_id": clinic.plan("CLN-5").id})
    assert manager.post(f"/bills/{cleanup_sale['bill']['id']}/void", {"reason": "sold by mistake"}).status_code == 200

    response = api.get(f"/clients/{priya.id}")

    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["phone"]) == (priya.id, "+919876543210")
    first, second = body["packages"]  # the cancelled one is newer, yet the active one comes first
    assert (first["id"], first["status"], first["kind"]) == (lhr.id, "active", lhr.plan.kind)
    assert first["plan_name"] == "Laser hair reduction — 6 sessions"
    assert first["purchased_on"] == lhr.purchased_on.isoformat()
    assert first["expires_on"] == lhr.expires_on.isoformat()
    assert [pick(i, *ITEM) for i in first["items"]] == [{"service_id": laser.id, "service_name": "Laser hair reduction",
                               "total": 6, "used": 1, "held": 1, "remaining": 4}]
    assert second["status"] == "cancelled"
    assert second["items"][0]["remaining"] == 5


def test_another_business_client_is_404_not_403(api):
    stranger = factories.client(factories.clinic())

    refused(api.get(f"/clients/{stranger.id}"), 404, "not_found")


def test_unknown_client_is_404(api, priya):
    refused(api.get(f"/clients/{priya.id + 1000}"), 404, "not_found")


@pytest.mark.parametrize("client_id", [str(10**30), "0", "-1", "abc", "1.5"])
def test_client_id_that_cannot_be_an_id_is_422_naming_client_id(api, client_id):
    names_field(refused(api.get(f"/clients/{client_id}"), 422, "validation_error"), "client_id")


def test_message_consent_is_changed_through_patch_and_must_be_a_boolean(clinic, api):
    priya = factories.client(clinic)
    changed = api._call("patch", f"/clients/{priya.id}", {"whatsapp_opt_in": True, "sms_opt_out": True})
    assert changed.status_code == 200, changed.json()
    assert (changed.json()["whatsapp_opt_in"], changed.json()["sms_opt_out"]) == (True, True)
    bad = api._call("patch", f"/clients/{priya.id}", {"whatsapp_opt_in": "yes"})
    assert bad.status_code == 422 and "whatsapp_opt_in" in bad.json()["fields"]
