"""Every role × every mutating API endpoint: allowed, or 403 `forbidden` (PRODUCT.md "Users and
roles"). The endpoints come from the ninja api object itself, so an endpoint added without a
row in ROLE_TABLE (and a way to call it in CALLS) fails here until someone decides who may
call it. The roles are enforced by the services; the API only maps the refusal."""
from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from glowpos.api.v1 import api
from glowpos.billing import services as billing
from glowpos.packages.services import freeze_package, share_package
from tests import factories
from tests.api.expect import refused

ROLES = ("front_desk", "practitioner", "manager", "owner")
EVERYONE = frozenset(ROLES)
COUNTER = frozenset({"front_desk", "manager", "owner"})
MANAGERS = frozenset({"manager", "owner"})
OWNER = frozenset({"owner"})
MUTATING = {"POST", "PUT", "PATCH", "DELETE"}

# Who may call each mutating endpoint (everyone else: 403 forbidden).
ROLE_TABLE: dict[tuple[str, str], frozenset[str]] = {
    ("POST", "/auth/token"): EVERYONE,
    ("POST", "/auth/revoke"): EVERYONE,
    ("POST", "/clients"): COUNTER,
    ("PATCH", "/clients/{client_id}"): COUNTER,
    ("POST", "/bills"): COUNTER,
    ("POST", "/bills/{bill_id}/lines"): COUNTER,
    ("DELETE", "/bills/{bill_id}/lines/{line_id}"): COUNTER,
    ("PATCH", "/bills/{bill_id}/lines/{line_id}"): COUNTER,
    ("POST", "/bills/{bill_id}/discount"): COUNTER,  # within the business's limit; above it a manager
    ("POST", "/bills/{bill_id}/close"): COUNTER,
    ("POST", "/bills/{bill_id}/void"): MANAGERS,
    ("POST", "/bills/{bill_id}/refunds"): MANAGERS,
    ("POST", "/packages/{package_id}/freeze"): MANAGERS,
    ("POST", "/packages/{package_id}/unfreeze"): MANAGERS,
    ("POST", "/packages/{package_id}/extend"): MANAGERS,
    ("POST", "/packages/{package_id}/cancel"): MANAGERS,
    ("POST", "/packages/{package_id}/transfer"): MANAGERS,
    ("POST", "/packages/{package_id}/share"): COUNTER,
    ("POST", "/packages/{package_id}/unshare"): COUNTER,
    ("PATCH", "/settings"): OWNER,
    ("POST", "/tax-rates"): OWNER,
}


def api_routes() -> list[tuple[str, str]]:
    """(METHOD, path) of every operation of the API, from the api object's own schema."""
    paths = api.get_openapi_schema(path_prefix="")["paths"]
    return sorted((method.upper(), path) for path, ops in paths.items() for method in ops)


def mutating_routes() -> list[tuple[str, str]]:
    return [r for r in api_routes() if r[0] in MUTATING]


# How to call each endpoint successfully: builds what it needs with the front desk and the
# owner, returns (path, body, headers). The role under test then makes the call.

def _closed_service_bill(c, who):
    return factories.close_paid(c, factories.open_bill(c, who, ("service", c.service("Skin cleanup")))).bill


def _call(route, c, staff):
    method, path = route
    who = factories.client(c)
    today = timezone.localdate()
    if path == "/auth/token":
        return path, {"username": staff.user.username, "password": factories.PASSWORD}, {}
    if path == "/auth/revoke":
        return path, None, {}
    if path == "/clients":
        return path, {"name": "Meera Nair", "phone": f"97{next(_phones):08d}"}, {}
    if path == "/clients/{client_id}":
        return f"/clients/{who.id}", {"email": "meera@example.in"}, {}
    if path == "/bills":
        return path, {"client_id": who.id}, {}
    if path == "/settings":
        return path, {"discount_limit_bp": 1500}, {}
    if path == "/tax-rates":
        return path, {"code": "999722", "rate_bp": 1800, "effective_from": (today + timedelta(days=1)).isoformat()}, {}
    if path.startswith("/bills/{bill_id}"):
        if path.endswith(("/void", "/refunds")):
            bill = _closed_service_bill(c, who)
        else:
            bill = factories.open_bill(c, who, ("service", c.service("Skin cleanup")))
        line = bill.lines.get()
        url = path.replace("{bill_id}", str(bill.id)).replace("{line_id}", str(line.id))
        body = {
            "/bills/{bill_id}/lines": {"type": "service", "service_id": c.service("Skin cleanup").id},
            "/bills/{bill_id}/lines/{line_id}": {"practitioner_id": c.practitioner.id} if method == "PATCH" else None,
            "/bills/{bill_id}/discount": {"amount": 100},
            "/bills/{bill_id}/close": {"payments": factories.payment_due(bill)},
            "/bills/{bill_id}/void": {"reason": "Entered twice"},
            "/bills/{bill_id}/refunds": {"line_id": line.id, "amount": 100, "reason": "Price correction",
                                         "method": "cash"},
        }[path]
        return url, body, {"Idempotency-Key": f"roles-{bill.id}"}
    if path.startswith("/packages/{package_id}"):
        package = factories.sold_package(c, who)
        if path.endswith("/unfreeze"):
            freeze_package(package_id=package.id, reason="Travelling", by=c.manager)
        other = factories.client(c, name="Sister")
        if path.endswith("/unshare"):
            share_package(package_id=package.id, client_id=other.id, by=c.front_desk)
        body = {
            "/packages/{package_id}/freeze": {"reason": "Travelling"},
            "/packages/{package_id}/unfreeze": {"reason": "Back"},
            "/packages/{package_id}/extend": {"reason": "Goodwill",
                                              "expires_on": (package.expires_on + timedelta(days=30)).isoformat()},
            "/packages/{package_id}/cancel": {"reason": "Moving away", "method": "cash"},
            "/packages/{package_id}/transfer": {"to_client_id": other.id, "reason": "Gift to her sister"},
            "/packages/{package_id}/share": {"client_id": other.id},
            "/packages/{package_id}/unshare": {"client_id": other.id},
        }[path]
        return path.replace("{package_id}", str(package.id)), body, {}
    raise LookupError(f"{method} {path}: no way to call it in tests/security/test_roles.py _call")


_phones = itertools.count(1)


def _send(client: factories.Api, method: str, url: str, body, headers):
    if method == "DELETE":
        return client.delete(url, headers=headers)
    if method == "PATCH":
        return client.http.patch(f"/api/v1{url}", data=body, content_type="application/json",
                                 headers={**client.headers, **headers})
    return client.post(url, body, headers=headers)


def test_every_mutating_endpoint_has_a_row_in_the_role_table():
    routes = set(mutating_routes())
    assert routes - set(ROLE_TABLE) == set(), "new endpoints: decide who may call them in ROLE_TABLE"
    assert set(ROLE_TABLE) - routes == set(), "ROLE_TABLE names endpoints that no longer exist"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", mutating_routes(), ids=lambda r: f"{r[0]} {r[1]}")
def test_role_may_or_may_not_call_the_endpoint(clinic, route, role):
    assert route in ROLE_TABLE, f"{route[0]} {route[1]} has no row in ROLE_TABLE"
    staff = getattr(clinic, role)
    url, body, headers = _call(route, clinic, staff)
    caller = factories.Api(None) if route[1] == "/auth/token" else factories.api_client(staff)

    response = _send(caller, route[0], url, body, headers)

    if role in ROLE_TABLE[route]:
        assert 200 <= response.status_code < 300, (role, route, response.status_code, response.content)
    else:
        refused(response, 403, "forbidden")


def test_the_practitioner_can_read_but_not_discount_or_void(clinic):
    """PRODUCT.md: a practitioner sees her appointments and redemptions; she cannot discount or void."""
    who = factories.client(clinic)
    bill = factories.open_bill(clinic, who, ("service", clinic.service("Skin cleanup")))
    practitioner = factories.api_client(clinic.practitioner)
    assert practitioner.get(f"/bills/{bill.id}").status_code == 200
    assert practitioner.get(f"/clients/{who.id}").status_code == 200
    refused(practitioner.post(f"/bills/{bill.id}/discount", {"amount": 100}), 403, "forbidden")
    refused(practitioner.post(f"/bills/{bill.id}/void", {"reason": "no"}), 403, "forbidden")
    bill.refresh_from_db()
    assert bill.status == "open" and bill.lines.get().discount == 0


def test_roles_hold_in_the_services_not_only_in_the_api(clinic):
    """The same refusals without any HTTP: the services check the acting staff member."""
    from glowpos.catalog.services import set_tax_rate
    from glowpos.errors import Forbidden
    from glowpos.tenancy.services import update_settings

    who = factories.client(clinic)
    bill = _closed_service_bill(clinic, who)
    with pytest.raises(Forbidden):
        billing.void_bill(bill_id=bill.id, reason="x", by=clinic.front_desk)
    with pytest.raises(Forbidden):
        billing.discount_bill(bill_id=bill.id, amount=1, by=clinic.practitioner)
    with pytest.raises(Forbidden):
        set_tax_rate(by=clinic.front_desk, code="999722", rate_bp=500, effective_from=timezone.localdate())
    with pytest.raises(Forbidden):
        set_tax_rate(by=clinic.manager, code="999722", rate_bp=500, effective_from=timezone.localdate())
    with pytest.raises(Forbidden):
        update_settings(by=clinic.manager, round_off_to_rupee=True)


# The screens: every web route that changes something × every role. A POST by a role not in the
# row is refused with 403 and changes nothing; the least-privileged role in the row gets through.
# The routes come from Django's resolver: a new screen that takes a POST fails here until it
# has a row (GET-only screens answer 405 to a POST and need none).
# A screen that does several things (a package's actions) has a row per thing: "name[thing]".
WEB_ROLE_TABLE: dict[str, frozenset[str]] = {
    "frontdesk:logout": EVERYONE,
    "frontdesk:void": MANAGERS,  # the front desk only with a manager's approval typed in (then the manager acts)
    "frontdesk:package_action[freeze]": MANAGERS,
    "frontdesk:package_action[unfreeze]": MANAGERS,
    "frontdesk:package_action[extend]": MANAGERS,
    "frontdesk:package_action[cancel]": MANAGERS,
    "frontdesk:package_action[transfer]": MANAGERS,
    "frontdesk:package_action[share]": COUNTER,
    "frontdesk:package_action[unshare]": COUNTER,
    "frontdesk:client_new": COUNTER,
    "frontdesk:redeem": COUNTER,
    "frontdesk:start_bill": COUNTER,
    "frontdesk:add_line": COUNTER,
    "frontdesk:remove_line": COUNTER,
    "frontdesk:line_practitioner": COUNTER,
    "frontdesk:close": COUNTER,
    "frontdesk:send_receipt": COUNTER,
    "outbox:retry": COUNTER,
    "outbox:revoke": MANAGERS,
    "outbox:templates": MANAGERS,
    "onboarding:upload": MANAGERS,
    "onboarding:commit": MANAGERS,
}
WEB_PUBLIC_POSTS = {"frontdesk:login"}  # anyone may try to log in (throttled: tests/security/test_auth.py)


def _web_post(name: str, own):
    """(URL, form data) of a POST that succeeds for a role allowed to make it."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from tests.onboarding.sheets import csv_bytes
    from tests.security.test_tenant_isolation import WEB_OBJECT_REQUESTS

    if name.startswith("frontdesk:package_action["):
        action = name[name.index("[") + 1:-1]
        own.package.refresh_from_db()
        if action == "unfreeze" and own.package.status != "frozen":
            freeze_package(package_id=own.package.id, reason="Travelling", by=own.clinic.owner)
        other = factories.client(own.clinic, name="Sister")
        if action == "unshare":
            from glowpos.packages.services import share_package

            share_package(package_id=own.package.id, client_id=other.id, by=own.clinic.owner)
        data = {"freeze": {"reason": "Travelling"}, "unfreeze": {"reason": "Back"},
                "extend": {"days": "30", "reason": "Goodwill"}, "cancel": {"reason": "Moving", "method": "cash"},
                "transfer": {"to_client_id": other.id, "reason": "Gift"}, "share": {"client_id": other.id},
                "unshare": {"client_id": other.id}}[action]
        return reverse("frontdesk:package_action", kwargs={"package_id": own.package.id, "action": action}), data
    if name in WEB_OBJECT_REQUESTS:
        _, kwargs, data = WEB_OBJECT_REQUESTS[name](own, own)
        if name == "frontdesk:close":
            due = factories.payment_due(own.open_bill)[0]["amount"]
            data = {"idempotency_key": "roles-web", "pay_cash": f"{due // 100}.{due % 100:02d}"}
        return reverse(name, kwargs=kwargs), data
    data = {
        "frontdesk:client_new": {"name": "Meera Nair", "phone": f"97{next(_phones):08d}"},
        "outbox:templates": {"channel": "sms", "body": "Your receipt: {link}"},
        "onboarding:upload": {"file": SimpleUploadedFile(
            "more.csv", csv_bytes([["Asha Rao", f"95{next(_phones):08d}", "", "", "", "", "", "", "", ""]]))},
    }.get(name, {})
    return reverse(name), data


def _posting_routes() -> list[str]:
    from tests.security.test_tenant_isolation import web_routes

    return [n for n in web_routes() if not n.startswith(("admin:", "api-v1:"))]


def test_every_screen_that_takes_a_post_has_a_row_in_the_web_role_table(mine):
    from django.urls import NoReverseMatch, reverse

    from tests.security.conftest import browser_of
    from tests.security.test_csrf import _kwargs_for

    owner = browser_of(mine.clinic.owner)
    posting = set()
    for name in _posting_routes():
        try:
            url = reverse(name, kwargs=_kwargs_for(name, mine))
        except NoReverseMatch:
            raise AssertionError(f"{name}: give its URL arguments in tests/security/test_csrf.py _kwargs_for")
        if owner.post(url, {}).status_code != 405:
            posting.add(name)
    rows = {n.split("[")[0] for n in WEB_ROLE_TABLE}
    assert posting - rows - WEB_PUBLIC_POSTS == set(), "decide who may POST to these screens"
    assert rows - posting == set(), "WEB_ROLE_TABLE names screens that take no POST"
    from glowpos.frontdesk.views import PACKAGE_ACTIONS

    actions = {f"frontdesk:package_action[{a}]" for a in PACKAGE_ACTIONS}
    assert actions == {n for n in WEB_ROLE_TABLE if n.startswith("frontdesk:package_action[")}, \
        "a package action without a row in WEB_ROLE_TABLE (or a row for one that is gone)"


@pytest.mark.parametrize("name", sorted(WEB_ROLE_TABLE))
def test_role_may_or_may_not_post_to_the_screen(mine, name):
    from tests.security.conftest import browser_of
    from tests.security.test_tenant_isolation import _state

    allowed = WEB_ROLE_TABLE[name]
    for role in (r for r in ROLES if r not in allowed):
        url, data = _web_post(name, mine)
        before = _state(mine)
        response = browser_of(getattr(mine.clinic, role)).post(url, data)
        assert response.status_code == 403, (name, role, response.status_code)
        assert _state(mine) == before, (name, role)
    least = next(r for r in ROLES if r in allowed)
    url, data = _web_post(name, mine)
    response = browser_of(getattr(mine.clinic, least)).post(url, data)
    assert response.status_code in (200, 302), (name, least, response.status_code, response.content[:300])
