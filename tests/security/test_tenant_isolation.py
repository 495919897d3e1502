"""Nothing of one business is visible to another (PRODUCT.md). Every URL of the site and every
operation of the API is listed here — enumerated from Django's resolver and from the ninja api
object, so a route added without an entry fails until it is classified: either it names an
object (then another business's staff asking for *our* object gets 404, and nothing changes),
or it is in ALLOWED with the reason it names none."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from glowpos.billing.models import Bill
from glowpos.clients.models import Client
from glowpos.packages.models import ClientPackage
from glowpos.receipts.models import OutboxMessage, RevokedReceipt
from tests import factories
from tests.api.expect import refused
from tests.security.conftest import Premises, browser_of
from tests.security.test_roles import api_routes

# Web routes without an object of a business in the URL, and why that is safe.
ALLOWED_WEB = {
    "frontdesk:home": "the day of the caller's own business",
    "frontdesk:login": "public: the login form",
    "frontdesk:logout": "ends the caller's own session",
    "frontdesk:search": "searches the caller's business only (checked below)",
    "frontdesk:client_new": "creates in the caller's business",
    "reports:index": "the caller's business, her branches",
    "reports:exports": "the caller's business",
    "reports:export": "a file name, not an object; the caller's business",
    "reports:download": "a report's slug, not an object; the caller's business",
    "reports:report": "a report's slug, not an object; the branch filter is checked below",
    "onboarding:upload": "uploads into the caller's business",
    "onboarding:template_xlsx": "the caller's own catalog",
    "onboarding:template_csv": "the caller's own catalog",
    "outbox:list": "the caller's business's messages",
    "outbox:templates": "the caller's business's wording",
    "receipt": "public by design: the 192-bit token is the credential (random tokens are 404, below)",
    "receipt-pdf": "public by design, as receipt",
    "api-v1:openapi-json": "the API's description, no data",
    "api-v1:openapi-view": "the API's documentation page, no data",
    "api-v1:api-root": "no content",
}
ALLOWED_PREFIXES = {
    "admin:": "Django's admin: the platform's superusers only, never a business's staff (checked below)",
}

# API operations without an object in the path, and why that is safe.
ALLOWED_API = {
    ("POST", "/auth/token"): "public: logging in",
    ("POST", "/auth/revoke"): "revokes the caller's own token",
    ("GET", "/services"): "the caller's catalog",
    ("GET", "/package-plans"): "the caller's catalog",
    ("GET", "/clients"): "searches the caller's business only (checked below)",
    ("POST", "/clients"): "creates in the caller's business",
    ("POST", "/bills"): "client_id in the body is checked below",
    ("GET", "/settings"): "the caller's business",
    ("PATCH", "/settings"): "the caller's business",
    ("GET", "/tax-rates"): "the caller's business",
    ("POST", "/tax-rates"): "the caller's business",
    ("GET", "/audit-events"): "the caller's business (object_id filters within it)",
    ("GET", "/reports/ledger/{account}"): "an account code (the same chart in every business), read in the caller's",
    ("GET", "/reports/exports/{name}"): "a file name, not an object",
    ("GET", "/reports/{slug}.{fmt}"): "a report's slug and format, not an object",
}
for _path in ("deferred-revenue", "deferred-revenue/roll-forward", "liability", "expiring", "redemptions",
              "revenue-vs-cash", "gst-summary", "documents", "trial-balance", "gstr1"):
    ALLOWED_API[("GET", f"/reports/{_path}")] = "the caller's business; the branch filter is checked below"


def web_routes() -> list[str]:
    """The qualified name of every URL pattern of the site."""
    names = []

    def walk(patterns, namespace: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = ":".join(filter(None, [namespace, p.namespace]))
                walk(p.url_patterns, ns)
            elif isinstance(p, URLPattern):
                names.append(f"{namespace}:{p.name}" if namespace else str(p.name))

    walk(get_resolver().url_patterns, "")
    return sorted(set(names))


# Web routes that name an object: how to ask for *their* object: (method, URL kwargs, POST data).
WEB_OBJECT_REQUESTS = {
    "frontdesk:client": lambda them, me: ("get", {"client_id": them.client.id}, {}),
    "frontdesk:redeem": lambda them, me: ("post", {"client_id": them.client.id},
                                          {"package_id": them.package.id, "service_id": them.clinic.service().id}),
    "frontdesk:start_bill": lambda them, me: ("post", {"client_id": them.client.id}, {}),
    "frontdesk:bill": lambda them, me: ("get", {"bill_id": them.open_bill.id}, {}),
    "frontdesk:add_line": lambda them, me: ("post", {"bill_id": them.open_bill.id},
                                            {"kind": "service", "id": me.clinic.service("Skin cleanup").id}),
    "frontdesk:remove_line": lambda them, me: ("post", {"bill_id": them.open_bill.id, "line_id": them.open_line.id},
                                               {}),
    "frontdesk:line_practitioner": lambda them, me: ("post", {"bill_id": them.open_bill.id,
                                                             "line_id": them.open_line.id},
                                                     {"practitioner_id": str(me.clinic.practitioner.id)}),
    "frontdesk:close": lambda them, me: ("post", {"bill_id": them.open_bill.id},
                                         {"idempotency_key": "iso-1", "method": "cash", "amount": "100"}),
    "frontdesk:void": lambda them, me: ("post", {"bill_id": them.open_bill.id}, {"reason": "x"}),
    "frontdesk:receipt": lambda them, me: ("get", {"bill_id": them.closed_bill.id}, {}),
    "frontdesk:package": lambda them, me: ("get", {"package_id": them.package.id}, {}),
    "frontdesk:package_action": lambda them, me: ("post", {"package_id": them.package.id, "action": "cancel"},
                                                  {"reason": "x", "method": "cash"}),
    "frontdesk:send_receipt": lambda them, me: ("post", {"bill_id": them.closed_bill.id}, {"channel": "sms"}),
    "onboarding:preview": lambda them, me: ("get", {"sha": them.staged_sha}, {}),
    "onboarding:problems_csv": lambda them, me: ("get", {"sha": them.staged_sha}, {}),
    "onboarding:commit": lambda them, me: ("post", {"sha": them.staged_sha}, {}),
    "onboarding:batch": lambda them, me: ("get", {"batch_id": them.batch.id}, {}),
    "onboarding:batch_problems_csv": lambda them, me: ("get", {"batch_id": them.batch.id}, {}),
    "outbox:retry": lambda them, me: ("post", {"message_id": them.message.id}, {}),
    "outbox:revoke": lambda them, me: ("post", {"document_id": them.document.id},
                                       {"reason": "Sent to the wrong number"}),
}

def test_every_url_of_the_site_is_classified():
    api_names = {n for n in web_routes() if n.startswith("api-v1:")}
    objects = set(WEB_OBJECT_REQUESTS)
    unclassified = [
        n for n in web_routes()
        if n not in ALLOWED_WEB and n not in objects and not n.startswith(tuple(ALLOWED_PREFIXES))
        and n not in api_names
    ]
    assert unclassified == [], "classify these URLs in tests/security/test_tenant_isolation.py"
    assert set(ALLOWED_WEB) | objects <= set(web_routes()), "entries for URLs that no longer exist"


def test_every_api_operation_is_classified():
    with_objects = {r for r in api_routes() if "{" in r[1] and r not in ALLOWED_API}
    without = {r for r in api_routes() if "{" not in r[1]}
    assert without - set(ALLOWED_API) == set(), "API operations without an object id: add them to ALLOWED_API"
    assert with_objects <= set(API_OBJECT_REQUESTS), "API operations naming an object: add to API_OBJECT_REQUESTS"
    assert set(ALLOWED_API) | set(API_OBJECT_REQUESTS) <= set(api_routes()), "stale entries"


@pytest.mark.parametrize("name", sorted(WEB_OBJECT_REQUESTS))
def test_another_business_gets_404_for_every_object_url(mine, theirs, name):
    method, kwargs, data = WEB_OBJECT_REQUESTS[name](mine, theirs)
    stranger = browser_of(theirs.clinic.owner)
    before = _state(mine)

    response = getattr(stranger, method)(reverse(name, kwargs=kwargs), data)

    assert response.status_code == 404, (name, response.status_code)
    assert _state(mine) == before, "another business's request changed our objects"


def _state(p: Premises) -> dict:
    return {
        "open_bill": Bill.objects.get(id=p.open_bill.id).status,
        "open_lines": Bill.objects.get(id=p.open_bill.id).lines.count(),
        "closed_bill": Bill.objects.get(id=p.closed_bill.id).status,
        "package": ClientPackage.objects.get(id=p.package.id).status,
        "message": OutboxMessage.objects.get(id=p.message.id).status,
        "revoked": RevokedReceipt.objects.filter(document=p.document).exists(),
        "bills_of_client": Bill.objects.filter(client=p.client).count(),
        "clients": Client.objects.filter(business=p.clinic.business).count(),
    }


# API operations that name an object: the request with *their* object, a valid body otherwise.
def _api_request(route, them: Premises, me: Premises):
    method, path = route
    url = (path.replace("{client_id}", str(them.client.id)).replace("{bill_id}", str(them.open_bill.id))
           .replace("{line_id}", str(them.open_line.id)).replace("{package_id}", str(them.package.id)))
    later = (them.package.expires_on + timedelta(days=30)).isoformat()
    body = API_OBJECT_REQUESTS[route]
    if callable(body):
        body = body(them, me, later)
    return method, url, body


API_OBJECT_REQUESTS = {
    ("GET", "/clients/{client_id}"): None,
    ("PATCH", "/clients/{client_id}"): {"name": "Renamed"},
    ("GET", "/bills/{bill_id}"): None,
    ("POST", "/bills/{bill_id}/lines"): lambda them, me, _: {"type": "service",
                                                             "service_id": me.clinic.service("Skin cleanup").id},
    ("DELETE", "/bills/{bill_id}/lines/{line_id}"): None,
    ("PATCH", "/bills/{bill_id}/lines/{line_id}"): {"practitioner_id": None},
    ("POST", "/bills/{bill_id}/discount"): {"amount": 100},
    ("POST", "/bills/{bill_id}/refunds"): lambda them, me, _: {"line_id": them.open_line.id, "amount": 100,
                                                               "reason": "x", "method": "cash"},
    ("POST", "/bills/{bill_id}/close"): {"payments": [{"method": "cash", "amount": 100}]},
    ("POST", "/bills/{bill_id}/void"): {"reason": "x"},
    ("GET", "/packages/{package_id}"): None,
    ("POST", "/packages/{package_id}/freeze"): {"reason": "x"},
    ("POST", "/packages/{package_id}/unfreeze"): {"reason": "x"},
    ("POST", "/packages/{package_id}/extend"): lambda them, me, later: {"reason": "x", "expires_on": later},
    ("POST", "/packages/{package_id}/cancel"): {"reason": "x", "method": "cash"},
    ("POST", "/packages/{package_id}/transfer"): lambda them, me, _: {"to_client_id": me.client.id, "reason": "x"},
    ("POST", "/packages/{package_id}/share"): lambda them, me, _: {"client_id": me.client.id},
    ("POST", "/packages/{package_id}/unshare"): lambda them, me, _: {"client_id": me.client.id},
}


def _api_send(api: factories.Api, method: str, url: str, body):
    headers = {"Idempotency-Key": "iso-key"}
    if method == "GET":
        return api.get(url)
    if method == "DELETE":
        return api.delete(url)
    if method == "PATCH":
        return api.http.patch(f"/api/v1{url}", data=body, content_type="application/json",
                              headers={**api.headers, **headers})
    return api.post(url, body, headers=headers)


@pytest.mark.parametrize("route", sorted(r for r in api_routes() if r not in ALLOWED_API),
                         ids=lambda r: f"{r[0]} {r[1]}")
def test_another_business_gets_404_for_every_object_of_the_api(mine, theirs, route):
    assert route in API_OBJECT_REQUESTS, f"{route}: classify it (ALLOWED_API or API_OBJECT_REQUESTS)"
    stranger = factories.api_client(theirs.clinic.owner)
    before = _state(mine)
    method, url, body = _api_request(route, them=mine, me=theirs)

    refused(_api_send(stranger, method, url, body), 404, "not_found")
    assert _state(mine) == before


# Their ids inside a request about our own objects, and their branch in a report's filter.
@pytest.mark.parametrize("case", [
    "bill_for_their_client", "line_of_their_service", "line_of_their_plan", "line_of_their_package",
    "refund_of_their_line", "transfer_to_their_client", "share_with_their_client", "report_of_their_branch",
])
def test_their_ids_inside_our_requests_are_not_found(mine, theirs, case):
    me = factories.api_client(theirs.clinic.owner)
    own_bill, own_package = theirs.open_bill.id, theirs.package.id
    them = mine
    before = _state(mine)
    response = {
        "bill_for_their_client": lambda: me.post("/bills", {"client_id": them.client.id}),
        "line_of_their_service": lambda: me.post(f"/bills/{own_bill}/lines",
                                                 {"type": "service", "service_id": them.clinic.service().id}),
        "line_of_their_plan": lambda: me.post(f"/bills/{own_bill}/lines",
                                              {"type": "package_sale", "plan_id": them.clinic.plan().id}),
        "line_of_their_package": lambda: me.post(f"/bills/{own_bill}/lines", {
            "type": "redemption", "package_id": them.package.id, "service_id": them.clinic.service().id}),
        "refund_of_their_line": lambda: me.post(f"/bills/{theirs.closed_bill.id}/refunds", {
            "line_id": them.closed_line.id, "amount": 100, "reason": "x", "method": "cash"}),
        "transfer_to_their_client": lambda: me.post(f"/packages/{own_package}/transfer",
                                                    {"to_client_id": them.client.id, "reason": "x"}),
        "share_with_their_client": lambda: me.post(f"/packages/{own_package}/share", {"client_id": them.client.id}),
        "report_of_their_branch": lambda: me.get(
            f"/reports/deferred-revenue?from=2025-04-01&to=2025-04-30&branch={them.branch.id}"),
    }[case]()
    refused(response, 404, "not_found")
    assert _state(mine) == before


def test_search_finds_nothing_of_another_business(mine, theirs):
    phone_tail = mine.client.phone[-4:]
    api = factories.api_client(theirs.clinic.owner)
    assert mine.client.id not in [c["id"] for c in api.get(f"/clients?q={phone_tail}").json()]
    assert mine.client.id not in [c["id"] for c in api.get(f"/clients?q={mine.client.phone}").json()]
    page = browser_of(theirs.clinic.owner).get("/search", {"q": mine.client.phone},
                                                headers={"HX-Request": "true"})
    assert mine.client.name not in page.content.decode()


def test_a_report_screen_of_another_business_branch_is_not_found(mine, theirs):
    response = browser_of(theirs.clinic.owner).get(
        reverse("reports:report", kwargs={"slug": "deferred-revenue"}), {"branch": mine.branch.id})
    assert response.status_code == 404


def test_a_business_staff_member_is_not_an_admin(mine):
    response = browser_of(mine.clinic.owner).get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_a_made_up_receipt_token_is_not_found(mine):
    browser = browser_of(mine.clinic.owner)
    assert browser.get(f"/r/{'A' * 32}").status_code == 404
    assert browser.get(f"/r/{'A' * 32}.pdf").status_code == 404
