"""The screens' session, user, messages and htmx middleware (glowpos/api/middleware.py): an API
request passes them by, a screen's request gets them as Django gives them."""
from __future__ import annotations

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import RequestFactory

from glowpos.api import middleware

SCREENS_ONLY = [middleware.SessionMiddleware, middleware.AuthenticationMiddleware,
                middleware.MessageMiddleware, middleware.HtmxMiddleware]
ADDS = {"SessionMiddleware": "session", "AuthenticationMiddleware": "user",
        "MessageMiddleware": "_messages", "HtmxMiddleware": "htmx"}


def through(cls, path: str):
    """The request the view gets, past `cls` and the middleware it needs before it."""
    seen = {}

    def view(request):
        seen["request"] = request
        return HttpResponse()

    request = RequestFactory().get(path)
    chain = view
    for before in reversed(SCREENS_ONLY[:SCREENS_ONLY.index(cls) + 1]):
        chain = before(chain)
    chain(request)
    return seen["request"]


@pytest.mark.parametrize("cls", SCREENS_ONLY, ids=lambda c: c.__name__)
def test_an_api_request_passes_by_and_a_screen_gets_it(cls):
    attribute = ADDS[cls.__name__]
    assert not hasattr(through(cls, "/api/v1/clients"), attribute)
    assert hasattr(through(cls, "/clients/1"), attribute)


def test_each_is_djangos_own_so_the_admins_checks_find_it():
    from django.contrib.auth.middleware import AuthenticationMiddleware
    from django.contrib.messages.middleware import MessageMiddleware
    from django.contrib.sessions.middleware import SessionMiddleware

    assert issubclass(middleware.SessionMiddleware, SessionMiddleware)
    assert issubclass(middleware.AuthenticationMiddleware, AuthenticationMiddleware)
    assert issubclass(middleware.MessageMiddleware, MessageMiddleware)
    assert "django.middleware.csrf.CsrfViewMiddleware" in settings.MIDDLEWARE  # check --deploy asks by name
