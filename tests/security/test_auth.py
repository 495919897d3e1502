"""Logging in and out: guessing is throttled on the API and on the web login alike (one
count per username); tokens expire and can be revoked by their holder."""
from __future__ import annotations

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
