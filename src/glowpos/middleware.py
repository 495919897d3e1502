"""Requests carrying a NUL character in a text value are refused before any view runs.

PostgreSQL text cannot hold NUL (U+0000): a search, a name or a reason containing one made the
database raise and the request answer 500 (found by tests/security/test_fuzz_api.py). No clinic
types a NUL, so such a request is bad input: the API answers 422 with its error body, naming the
field; a screen answers 400. Query strings, form fields and JSON bodies are checked; uploaded
files (an import's .xlsx is binary) are not text values and pass.
"""
from __future__ import annotations

import re

from django.http import HttpResponse, JsonResponse

from glowpos.api.middleware import is_api

_JSON_NUL = re.compile(rb"(?<!\\)\\u0000", re.IGNORECASE)


class RefuseNulCharacters:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        field = self._nul_field(request)
        if field is None:
            return self.get_response(request)
        if is_api(request):
            return JsonResponse({"code": "validation_error", "detail": f"{field}: must not contain NUL characters.",
                                 "fields": {field: "Contains a NUL character."}}, status=422)
        return HttpResponse("Bad request: a field contains a NUL character.", status=400,
                            content_type="text/plain; charset=utf-8")

    @staticmethod
    def _nul_field(request) -> str | None:
        for key, values in request.GET.lists():
            if "\x00" in key or any("\x00" in v for v in values):
                return key.replace("\x00", "") or "query"
        content_type = request.content_type or ""
        if request.method in ("POST", "PUT", "PATCH", "DELETE"):
            if content_type == "application/json":
                if _JSON_NUL.search(request.body) or b"\x00" in request.body:
                    return "body"
            elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
                for key, values in request.POST.lists():
                    if "\x00" in key or any("\x00" in v for v in values):
                        return key.replace("\x00", "") or "body"
        return None
