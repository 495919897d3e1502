"""Package lifecycle over HTTP: roles, codes, and the history a manager reads."""
from datetime import timedelta

from django.utils import timezone

from tests import factories


def test_manager_freezes_and_the_counter_sees_package_frozen(clinic, api):
    package = factories.sold_package(clinic, factories.client(clinic))
    manager = factories.api_client(clinic.manager)
    assert api.post(f"/packages/{package.id}/freeze", {"reason": "travelling"}).status_code == 403
    frozen = manager.post(f"/packages/{package.id}/freeze", {"reason": "travelling"})
    assert frozen.status_code == 200 and frozen.json()["status"] == "frozen"
    bill = api.post("/bills", {"client_id": package.client_id}).json()
    refused = api.post(f"/bills/{bill['id']}/lines",
                       {"type": "redemption", "package_id": package.id, "service_id": clinic.service().id})
    assert refused.status_code == 409 and refused.json()["code"] == "package_frozen"
    history = manager.get(f"/packages/{package.id}").json()["history"]
    assert [h["kind"] for h in history] == ["sold", "frozen"]
    assert history[-1]["by"] == clinic.manager.user.username and history[-1]["reason"] == "travelling"


def test_cancel_over_http_returns_refund_and_document_numbers(clinic):
    package = factories.sold_package(clinic, factories.client(clinic))
    manager = factories.api_client(clinic.manager)
    response = manager.post(f"/packages/{package.id}/cancel", {"reason": "moving", "method": "cash"})
    body = response.json()
    assert response.status_code == 200, body
    assert body["refund"] == {"unused_gross": 2_400_000, "fee": 240_000, "refund": 2_160_000}
    assert body["credit_note"].startswith("BLR1C/") and body["refund_voucher"].startswith("BLR1F/")
    assert body["package"]["status"] == "cancelled"


def test_extend_into_the_past_is_422_naming_expires_on(clinic):
    package = factories.sold_package(clinic, factories.client(clinic))
    manager = factories.api_client(clinic.manager)
    response = manager.post(f"/packages/{package.id}/extend",
                            {"expires_on": (timezone.localdate() - timedelta(days=1)).isoformat(), "reason": "x"})
    assert response.status_code == 422 and "expires_on" in response.json()["fields"]


def test_interval_override_through_the_api_needs_a_managers_approval_and_reason(clinic, api):
    laser = clinic.service()
    laser.min_interval_days = 28
    laser.save()
    package = factories.sold_package(clinic, factories.client(clinic))
    factories.redeem(clinic, package)
    bill = api.post("/bills", {"client_id": package.client_id}).json()
    line = {"type": "redemption", "package_id": package.id, "service_id": laser.id}
    refused = api.post(f"/bills/{bill['id']}/lines", line)
    assert refused.status_code == 409 and refused.json()["code"] == "interval_too_short"
    approval = {"username": clinic.manager.user.username, "password": factories.PASSWORD}
    ok = api.post(f"/bills/{bill['id']}/lines", {**line, "approval": approval, "override_reason": "bridal shoot"})
    assert ok.status_code == 201, ok.json()


def test_another_business_package_is_not_found(clinic):
    package = factories.sold_package(clinic, factories.client(clinic))
    other = factories.clinic()
    outsider = factories.api_client(other.manager)
    assert outsider.get(f"/packages/{package.id}").status_code == 404
    assert outsider.post(f"/packages/{package.id}/freeze", {"reason": "x"}).json()["code"] == "not_found"


def test_unshare_over_http_ends_the_share_and_refuses_while_she_has_a_session_held(clinic, api):
    package = factories.sold_package(clinic, factories.client(clinic))
    daughter = factories.client(clinic, name="Anya")
    assert api.post(f"/packages/{package.id}/share", {"client_id": daughter.id}).json()["shared_with"] == [daughter.id]
    bill = api.post("/bills", {"client_id": daughter.id}).json()
    held = api.post(f"/bills/{bill['id']}/lines",
                    {"type": "redemption", "package_id": package.id, "service_id": clinic.service().id})
    assert held.status_code == 201, held.json()
    refused = api.post(f"/packages/{package.id}/unshare", {"client_id": daughter.id})
    assert refused.status_code == 409 and refused.json()["code"] == "package_has_holds", refused.json()
    assert api.get(f"/packages/{package.id}").json()["shared_with"] == [daughter.id]

    assert api.delete(f"/bills/{bill['id']}/lines/{held.json()['lines'][0]['id']}").status_code == 200
    done = api.post(f"/packages/{package.id}/unshare", {"client_id": daughter.id})
    assert done.status_code == 200 and done.json()["shared_with"] == []
    assert [h["kind"] for h in done.json()["history"]][-4:] == ["shared", "held", "released", "unshared"]
    again = api.post(f"/packages/{package.id}/unshare", {"client_id": daughter.id})
    assert again.status_code == 404
