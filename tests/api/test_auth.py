"""POST /auth/token and the bearer token on every other call."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from glowpos.tenancy.models import ApiToken
from glowpos.tenancy.services import revoke_token
from tests import factories
from tests.api.expect import names_field, refused

PASSWORD = factories.PASSWORD


def login(username: str, password: str):
    return factories.Api(None).post("/auth/token", {"username": username, "password": password})


def key_of(api: factories.Api) -> str:
    return api.headers["Authorization"].removeprefix("Bearer ")


def test_right_password_gets_a_201_token_that_opens_the_api(clinic):
    response = login(clinic.front_desk.user.username, PASSWORD)

    assert response.status_code == 201
    token = response.json()["token"]
    assert len(token) >= 32
    assert factories.Api(token).get("/services").status_code == 200


def test_the_scheme_is_read_in_any_case_and_the_token_is_all_after_its_space(clinic, api):
    token = key_of(api)

    assert api.get("/services", headers={"Authorization": f"bearer {token}"}).status_code == 200
    assert api.get("/services", headers={"Authorization": f"BEARER {token}"}).status_code == 200
    refused(api.get("/services", headers={"Authorization": f"Bearer  {token}"}), 401, "unauthorized")
    refused(api.get("/services", headers={"Authorization": f"Bearer{token}"}), 401, "unauthorized")


def test_only_the_hash_of_a_token_is_stored(clinic, api):
    assert not ApiToken.objects.filter(key_hash=key_of(api)).exists()
    assert ApiToken.objects.filter(staff=clinic.front_desk).count() == 1


def test_wrong_password_is_401_with_code_and_detail(clinic):
    body = refused(login(clinic.front_desk.user.username, "not-the-password"), 401, "invalid_credentials")
    assert set(body) >= {"code", "detail"}


def test_unknown_username_is_refused_exactly_like_a_wrong_password(clinic):
    unknown = login("nobody-here", PASSWORD)
    wrong = login(clinic.front_desk.user.username, "not-the-password")

    refused(unknown, 401, "invalid_credentials")
    assert unknown.json() == wrong.json()  # no hint which usernames exist


def test_empty_username_is_422_naming_username(db):
    names_field(refused(login("", PASSWORD), 422, "validation_error"), "username")


def test_sixth_attempt_after_five_failures_is_429_even_with_the_right_password(clinic, settings):
    settings.GLOWPOS_LOGIN_MAX_FAILURES = 5
    username = clinic.front_desk.user.username
    for _ in range(5):
        refused(login(username, "guess"), 401, "invalid_credentials")

    refused(login(username, PASSWORD), 429, "throttled")


def test_four_failures_do_not_lock_the_account(clinic, settings):
    settings.GLOWPOS_LOGIN_MAX_FAILURES = 5
    username = clinic.front_desk.user.username
    for _ in range(4):
        refused(login(username, "guess"), 401, "invalid_credentials")

    assert login(username, PASSWORD).status_code == 201


def test_throttling_one_username_leaves_colleagues_able_to_log_in(clinic, settings):
    settings.GLOWPOS_LOGIN_MAX_FAILURES = 5
    for _ in range(5):
        login(clinic.front_desk.user.username, "guess")

    assert login(clinic.manager.user.username, PASSWORD).status_code == 201


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "Bearer not-a-token"},
    {"Authorization": "Bearer "},
    {"Authorization": "Token abc"},
], ids=["none", "invalid", "empty", "wrong-scheme"])
def test_missing_or_invalid_token_is_401(db, headers):
    response = factories.Api(None).get("/services", headers=headers)
    refused(response, 401, "unauthorized")


def test_expired_token_is_refused(clinic, api):
    ApiToken.objects.filter(staff=clinic.front_desk).update(expires_at=timezone.now() - timedelta(seconds=1))

    refused(api.get("/services"), 401, "unauthorized")


def test_revoked_token_is_refused(clinic, api):
    revoke_token(key_of(api))

    refused(api.get("/services"), 401, "unauthorized")


def test_token_of_a_deactivated_staff_member_is_refused(clinic, api):
    user = clinic.front_desk.user
    user.is_active = False
    user.save()

    refused(api.get("/services"), 401, "unauthorized")


def test_deactivated_staff_member_cannot_get_a_token(clinic):
    user = clinic.front_desk.user
    user.is_active = False
    user.save()

    refused(login(user.username, PASSWORD), 401, "invalid_credentials")
