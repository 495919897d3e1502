"""Logging in and out: guessing is throttled on the API and on the web login alike (one
count per username); tokens expire and can be revoked by their holder."""
from __future__ import annotations

import re
from datetime import timedelta

from django.test import Client as Browser
from django.utils import timezone

from glowpos.tenancy.models import ApiToken
from tests import factories
from tests.api.expect import refused


def _login(username: str, password: str):
    return factories.Api(None).post("/auth/token", {"username": username, "password": password})


def test_revoke_ends_the_calling_token_and_only_it(clinic):
    phone, tablet = factories.api_client(clinic.front_desk), factories.api_client(clinic.front_desk)

    response = phone.post("/auth/revoke")

    assert response.status_code == 204 and response.content == b""
    refused(phone.get("/services"), 401, "unauthorized")
    refused(phone.post("/auth/revoke"), 401, "unauthorized")  # a revoked token cannot act, even to revoke
    assert tablet.get("/services").status_code == 200
    assert ApiToken.objects.filter(staff=clinic.front_desk, revoked_at__isnull=False).count() == 1


def test_revoke_needs_a_token(db):
    refused(factories.Api(None).post("/auth/revoke"), 401, "unauthorized")


def test_a_token_lives_the_configured_hours_then_is_refused(clinic, settings):
    settings.GLOWPOS_TOKEN_TTL_HOURS = 2
    api = factories.api_client(clinic.front_desk)
    token = ApiToken.objects.get(staff=clinic.front_desk)
    assert abs(token.expires_at - (timezone.now() + timedelta(hours=2))) < timedelta(minutes=1)
    assert api.get("/services").status_code == 200

    ApiToken.objects.filter(id=token.id).update(expires_at=timezone.now() - timedelta(seconds=1))

    refused(api.get("/services"), 401, "unauthorized")


def test_failures_on_the_web_login_throttle_the_api_login_too(clinic, settings):
    settings.GLOWPOS_LOGIN_MAX_FAILURES = 3
    username = clinic.manager.user.username
    browser = Browser()
    for _ in range(3):
        assert browser.post("/login/", {"username": username, "password": "guess"}).status_code == 401

    refused(_login(username, factories.PASSWORD), 429, "throttled")
    page = browser.post("/login/", {"username": username, "password": factories.PASSWORD})
    assert page.status_code == 429 and "Too many failed logins" in page.content.decode()


def test_one_address_guessing_many_usernames_is_throttled(clinic, settings):
    settings.GLOWPOS_LOGIN_MAX_FAILURES = 2  # per username; an address gets four times that
    for n in range(8):
        refused(_login(f"guess{n}", "guess"), 401, "invalid_credentials")

    refused(_login(clinic.owner.user.username, factories.PASSWORD), 429, "throttled")


def test_a_managers_approval_password_is_throttled_like_a_login(clinic, settings):
    """Approval at the counter (a discount above the limit) checks the manager's password:
    guessing it there counts, and locks, like guessing at the login."""
    settings.GLOWPOS_LOGIN_MAX_FAILURES = 3
    who = factories.client(clinic)
    desk = factories.api_client(clinic.front_desk)
    bill = factories.api_bill(desk, who, factories.service_line(clinic.service("HydraFacial")))
    big = bill["total"] // 2
    approval = {"username": clinic.manager.user.username, "password": "guess"}
    for _ in range(3):
        refused(desk.post(f"/bills/{bill['id']}/discount", {"amount": big, "approval": approval}),
                401, "invalid_credentials")

    approval["password"] = factories.PASSWORD
    refused(desk.post(f"/bills/{bill['id']}/discount", {"amount": big, "approval": approval}), 429, "throttled")
    refused(_login(clinic.manager.user.username, factories.PASSWORD), 429, "throttled")


def _every_operation():
    """(method, concrete URL) of every operation the API has today — from its own schema, so an
    operation added later is covered without anyone adding it here."""
    from tests.security.test_roles import api_routes

    for method, path in api_routes():
        yield method, re.sub(r"\{[a-z_]+\}", "1", path)


def _call(api: factories.Api, method: str, url: str):
    return api.http.generic(method, f"/api/v1{url}", data=b"{}", content_type="application/json",
                            headers=api.headers)


def test_only_logging_in_is_public(db):
    from glowpos.api.v1 import api

    paths = api.get_openapi_schema(path_prefix="")["paths"]
    public = sorted((m.upper(), p) for p, ops in paths.items() for m, op in ops.items() if not op.get("security"))
    assert public == [("POST", "/auth/token")]
    anonymous = factories.Api(None)
    for method, url in _every_operation():
        if (method, url) != ("POST", "/auth/token"):
            refused(_call(anonymous, method, url), 401, "unauthorized")


def test_a_revoked_or_expired_token_opens_no_operation(clinic):
    revoked, expired = factories.api_client(clinic.owner), factories.api_client(clinic.owner)
    assert revoked.post("/auth/revoke").status_code == 204
    ApiToken.objects.filter(staff=clinic.owner, revoked_at__isnull=True).update(
        expires_at=timezone.now() - timedelta(seconds=1))
    for method, url in _every_operation():
        if (method, url) == ("POST", "/auth/token"):
            continue
        refused(_call(revoked, method, url), 401, "unauthorized")
        refused(_call(expired, method, url), 401, "unauthorized")


def test_a_deactivated_staff_members_token_and_session_stop_working(clinic):
    api = factories.api_client(clinic.manager)
    browser = Browser()
    browser.force_login(clinic.manager.user)
    assert api.get("/services").status_code == 200 and browser.get("/").status_code == 200

    clinic.manager.user.is_active = False
    clinic.manager.user.save()

    refused(api.get("/services"), 401, "unauthorized")
    assert browser.get("/").status_code == 302  # back to the login
    refused(_login(clinic.manager.user.username, factories.PASSWORD), 401, "invalid_credentials")
