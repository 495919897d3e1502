"""Responses Django or django-ninja produce before our handlers run (an unknown path under
/api/, a method a route does not allow) get the API's error body too; and the screens'
middleware that an API request passes by."""
from __future__ import annotations

from django.contrib.auth import middleware as auth
from django.contrib.messages import middleware as messages
from django.contrib.sessions import middleware as sessions
from django.http import JsonResponse
from django_htmx import middleware as htmx

_CODES = {404: ("not_found", "No such endpoint."), 405: ("method_not_allowed", "Method not allowed here.")}


class ApiErrorBodyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            is_api(request)
            and response.status_code in _CODES
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            code, detail = _CODES[response.status_code]
            replaced = JsonResponse({"code": code, "detail": detail}, status=response.status_code)
            if "Allow" in response:
                replaced["Allow"] = response["Allow"]
            return replaced
        return response


def is_api(request) -> bool:
    """A request to the REST API (under /api/, as urls.py routes it), not to a screen."""
    return request.path_info.startswith("/api/")


class _ScreensOnly:
    """A middleware of the front desk's screens, which an API request passes by.

    The API authenticates by a bearer token and answers JSON: it has no session, logged-in user,
    flash messages or htmx, and asked at every API request these four were about 2.5% of a
    counter visit's Python. Each class below subclasses Django's own (or django-htmx's), so the
    admin's checks for them in MIDDLEWARE still find them, and a screen's request runs them
    unchanged. CSRF stays Django's middleware as it is: `check --deploy` looks for it by name,
    and it costs an API request next to nothing (django-ninja's views are csrf_exempt)."""

    def __call__(self, request):
        if is_api(request):
            return self.get_response(request)
        return super().__call__(request)


class SessionMiddleware(_ScreensOnly, sessions.SessionMiddleware):
    pass


class AuthenticationMiddleware(_ScreensOnly, auth.AuthenticationMiddleware):
    pass


class MessageMiddleware(_ScreensOnly, messages.MessageMiddleware):
    pass


class HtmxMiddleware(_ScreensOnly, htmx.HtmxMiddleware):
    pass
