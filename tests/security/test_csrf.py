"""Every web screen that takes a POST refuses one without the CSRF token (403), and every POST
form of every template carries the token. The routes are enumerated from Django's resolver:
a new screen is covered without anyone remembering to add it."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client as Browser
from django.urls import reverse

import glowpos
from tests.security.conftest import browser_of
from tests.security.test_tenant_isolation import WEB_OBJECT_REQUESTS, _state, web_routes

SKIP = ("admin:", "api-v1:")  # Django's admin (its own CSRF, platform staff); the API (bearer tokens)


def _kwargs_for(name: str, own) -> dict:
    if name in WEB_OBJECT_REQUESTS:
        return WEB_OBJECT_REQUESTS[name](own, own)[1]
    if name in ("receipt", "receipt-pdf"):
        return {"token": own.document.receipt_token}
    if name in ("reports:export",):
        return {"name": "journal.csv"}
    if name in ("reports:download",):
        return {"slug": "deferred-revenue", "fmt": "csv"}
    if name in ("reports:report",):
        return {"slug": "deferred-revenue"}
    return {}


@pytest.mark.parametrize("name", [n for n in web_routes() if not n.startswith(SKIP)])
def test_a_post_without_the_csrf_token_is_refused(mine, name):
    browser = browser_of(mine.clinic.owner, enforce_csrf_checks=True)
    before = _state(mine)

    response = browser.post(reverse(name, kwargs=_kwargs_for(name, mine)), {"channel": "sms", "reason": "x"})

    assert response.status_code == 403, (name, response.status_code)
    assert _state(mine) == before


def test_the_anonymous_login_post_needs_the_token_too(db):
    assert Browser(enforce_csrf_checks=True).post("/login/", {"username": "a", "password": "b"}).status_code == 403


def test_with_the_token_the_same_post_goes_through(mine):
    browser = browser_of(mine.clinic.front_desk, enforce_csrf_checks=True)
    page = browser.get(f"/clients/{mine.client.id}/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    assert browser.post(f"/clients/{mine.client.id}/bill", {"csrfmiddlewaretoken": token}).status_code == 302


TEMPLATES = sorted(Path(glowpos.__file__).parent.glob("**/templates/**/*.html"))
POST_FORM = re.compile(r"<form\b[^>]*\bmethod=\"post\"[^>]*>(.*?)</form>", re.DOTALL | re.IGNORECASE)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(Path(glowpos.__file__).parent)))
def test_every_post_form_carries_the_csrf_token(template):
    for form in POST_FORM.findall(template.read_text(encoding="utf-8")):
        assert "{% csrf_token %}" in form, f"{template.name}: a POST form without {{% csrf_token %}}"


HTMX_SCRIPT = re.compile(r"<script\b[^>]*htmx[^>]*>", re.IGNORECASE)


def test_every_page_that_loads_htmx_sends_the_csrf_token_with_its_requests():
    """A button's hx-post outside a form (removing a bill line) has no csrfmiddlewaretoken field:
    the page that loads htmx must send the token as the X-CSRFToken header of every request."""
    loaders = [t for t in TEMPLATES if HTMX_SCRIPT.search(t.read_text(encoding="utf-8"))]
    assert loaders, "no template loads htmx: this test would prove nothing"
    for template in loaders:
        text = template.read_text(encoding="utf-8")
        assert re.search(r"hx-headers='\{\"X-CSRFToken\": \"\{\{ csrf_token \}\}\"\}'", text), template.name
