"""schemathesis over /api/v1/openapi.json, every operation, authenticated with a real token as
the owner (who may do everything) in a clinic with real objects: no response is a 5xx, and every
4xx is the error body of API.md ({"code", "detail"}). Generated from the schema (positive and
negative cases), half of them aimed at the clinic's real ids so they get past "not found".

Derandomised: the same examples every run (a failure reproduces); GLOWPOS_FUZZ_EXAMPLES raises
the count for a longer hunt (`GLOWPOS_FUZZ_EXAMPLES=500 pytest tests/security/test_fuzz_api.py`)."""
from __future__ import annotations

import functools
import os
import re

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from glowpos.tenancy.services import issue_token
from glowpos.wsgi import application
from tests import factories
from tests.security.test_roles import api_routes

EXAMPLES = int(os.environ.get("GLOWPOS_FUZZ_EXAMPLES", "24"))
SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")


@functools.cache
def schema():
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """A real WSGI request ends by closing "old" connections, and the test's transaction looks
    old to it; Django's own test client disconnects that handler the same way."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def demo(clinic) -> dict[str, int]:
    """A small clinic day: clients, a bundle, a value package, a membership, open and closed bills."""
    priya, meera = factories.client(clinic, name="Priya Sharma"), factories.client(clinic, name="Meera Nair")
    laser = factories.sold_package(clinic, priya)
    factories.sold_package(clinic, meera, plan="GLOW-12K", method="cash")
    factories.sold_package(clinic, meera, plan="GLOW-CLUB")
    factories.redeem(clinic, laser)
    open_bill = factories.open_bill(clinic, priya, ("service", clinic.service("Skin cleanup")), ("redemption", laser))
    closed = factories.close_paid(clinic, factories.open_bill(clinic, meera, ("service", clinic.service("Hair spa")),
                                                              ("product", clinic.product())))
    return {"client_id": priya.id, "bill_id": open_bill.id, "line_id": open_bill.lines.order_by("id").first().id,
            "package_id": laser.id, "closed_bill_id": closed.bill.id}


def _token(staff) -> str:
    return issue_token(username=staff.user.username, password=factories.PASSWORD, address="127.0.0.9")


def check(response, case) -> None:
    where = f"{case.method} {case.formatted_path} {case.query or ''} {case.body!r:.300}"
    assert response.status_code < 500, f"{response.status_code} from {where}"
    if 400 <= response.status_code < 500:
        content_type = (response.headers.get("content-type") or [""])[0]
        assert content_type.startswith("application/json"), (where, content_type)
        body = response.json()
        assert isinstance(body, dict) and set(body) >= {"code", "detail"}, (where, body)
        assert SNAKE.match(body["code"]) and isinstance(body["detail"], str) and body["detail"].strip(), (where, body)


@pytest.mark.parametrize("route", api_routes(), ids=lambda r: f"{r[0]} {r[1]}")
def test_no_operation_answers_5xx_and_every_4xx_has_the_error_body(clinic, demo, route):
    method, path = route
    operation = schema()[f"/api/v1{path}"][method]
    real = {name: demo[name] for name in ("client_id", "bill_id", "line_id", "package_id") if f"{{{name}}}" in path}
    if path in ("/bills/{bill_id}/refunds", "/bills/{bill_id}/void") and "bill_id" in real:
        real["bill_id"] = demo["closed_bill_id"]
    strategies = [operation.as_strategy(), operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)]
    if real:
        strategies += [operation.as_strategy(path_parameters=real),
                       operation.as_strategy(generation_mode=GenerationMode.NEGATIVE, path_parameters=real)]
    token = _token(clinic.owner)

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
    @given(case=st.one_of(strategies))
    def fuzz(case):
        # Revoking ends the token it is called with: give that endpoint a fresh one each time.
        bearer = _token(clinic.owner) if path == "/auth/revoke" else token
        check(case.call(headers={"Authorization": f"Bearer {bearer}"}), case)

    fuzz()
