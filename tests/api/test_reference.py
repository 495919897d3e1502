"""docs/api.md is the reference of every operation of /api/v1 (shared/API.md is the contract
of the stable core only). It is generated (`python -m glowpos api_docs`) from the live OpenAPI
schema and glowpos.api.reference, and these tests keep it from drifting: every operation the
server describes is in the file, the file is exactly what the generator makes of today's API,
and the roles it states are the roles the server enforces."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from glowpos.api.reference import EVERYONE, MANAGERS, OPERATIONS, OWNER, api_operations, render
from tests import factories
from tests.api.expect import refused
from tests.security.test_roles import ROLE_TABLE

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
HEADING = re.compile(r"^### `(GET|POST|PUT|PATCH|DELETE) /api/v1(\S+)`", re.MULTILINE)


def _documented() -> set[tuple[str, str]]:
    return set(HEADING.findall(DOC.read_text(encoding="utf-8")))


def test_every_operation_of_the_live_openapi_is_in_docs_api_md(client):
    schema = client.get("/api/v1/openapi.json").json()  # what the server publishes, over HTTP
    served = {(method.upper(), path.removeprefix("/api/v1")) for path, ops in schema["paths"].items()
              for method in ops}
    assert served, "the OpenAPI schema lists no operations"
    assert served - _documented() == set(), "undocumented: run `python -m glowpos api_docs`"
    assert _documented() - served == set(), "docs/api.md documents operations that no longer exist"


def test_docs_api_md_is_what_the_generator_makes_of_todays_api():
    assert DOC.read_text(encoding="utf-8") == render(), "docs/api.md is stale: run `python -m glowpos api_docs`"


def test_every_operation_has_roles_answers_and_errors_and_nothing_is_stale():
    live = {(m, p) for m, p, _ in api_operations()}
    assert live - set(OPERATIONS) == set(), "add these to glowpos.api.reference.OPERATIONS"
    assert set(OPERATIONS) - live == set(), "OPERATIONS names operations that no longer exist"
    for route, op in OPERATIONS.items():
        assert op.answers, route
        if op.roles is not None and op.roles != EVERYONE:
            assert any(e.startswith("403 ") for e in op.errors), f"{route}: roles limited but no 403 listed"
        if "_id}" in route[1]:
            assert any(e.startswith("404 ") for e in op.errors), f"{route}: names an object but no 404 listed"


def test_the_documented_roles_of_every_mutating_operation_are_the_role_matrix():
    """tests/security/test_roles.py proves the matrix against the server, call by call."""
    for route, allowed in ROLE_TABLE.items():
        documented = OPERATIONS[route].roles
        if documented is None:  # public: logging in
            assert route == ("POST", "/auth/token")
            continue
        assert documented == allowed, route


def _read_url(path: str) -> str:
    if path == "/clients":
        return "/clients?q=9876"
    if path.startswith("/reports/") and path not in ("/reports/gstr1", "/reports/expiring", "/reports/liability"):
        return f"{path}?from=2025-04-01&to=2025-04-30"
    return path


def _concrete_reads() -> list[tuple[str, str]]:
    """Every GET of the API without an object id: its documented path and a callable URL."""
    out = []
    for method, path, _ in api_operations():
        if method != "GET":
            continue
        concrete = (path.replace("{account}", "deferred_revenue").replace("{name}", "journal.csv")
                    .replace("{slug}.{fmt}", "deferred-revenue.csv"))
        if "{" not in concrete:
            out.append((path, concrete))
    return out


@pytest.mark.parametrize("documented, path", _concrete_reads(), ids=lambda v: v)
def test_the_documented_roles_of_every_read_hold(clinic, documented, path):
    """Reads are not in the role matrix: here each role asks, and those the file does not name
    are refused 403 `forbidden`; those it names are answered."""
    roles = OPERATIONS[("GET", documented)].roles
    assert roles in (EVERYONE, MANAGERS, OWNER), documented
    for role in ("front_desk", "practitioner", "manager", "owner"):
        response = factories.api_client(getattr(clinic, role)).get(_read_url(path))
        if role in roles:
            assert response.status_code == 200, (role, path, response.status_code, response.content[:200])
        else:
            refused(response, 403, "forbidden")
