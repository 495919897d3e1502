"""Responses Django or django-ninja produce before our handlers run (an unknown path under
/api/, a method a route does not allow) get the API's error body too."""
from __future__ import annotations

from django.http import JsonResponse

_CODES = {404: ("not_found", "No such endpoint."), 405: ("method_not_allowed", "Method not allowed here.")}


class ApiErrorBodyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.path.startswith("/api/")
            and response.status_code in _CODES
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            code, detail = _CODES[response.status_code]
            replaced = JsonResponse({"code": code, "detail": detail}, status=response.status_code)
            if "Allow" in response:
                replaced["Allow"] = response["Allow"]
            return replaced
        return response
