"""docs/api.md, generated from the live OpenAPI schema of /api/v1 plus what a schema cannot say:
who may call each operation, what it answers and with which error codes.

`python -m glowpos api_docs` writes the file; tests/api/test_reference.py fails when the file
differs from what this renders, or when an operation of the API has no entry in OPERATIONS
(and for a mutating one, when its roles differ from the role matrix of tests/security).
shared/API.md stays the contract of the stable core; this is the reference of everything.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

PUBLIC = "public (no token)"
EVERYONE = frozenset({"front_desk", "practitioner", "manager", "owner"})
COUNTER = frozenset({"front_desk", "manager", "owner"})
MANAGERS = frozenset({"manager", "owner"})
OWNER = frozenset({"owner"})
ROLE_NAMES = {"front_desk": "front desk", "practitioner": "practitioner", "manager": "manager", "owner": "owner"}
ROLE_ORDER = ["front_desk", "practitioner", "manager", "owner"]

# Errors every operation with a token may answer; listed once at the top of the file.
COMMON = {
    "401 unauthorized": "no token, an expired or a revoked one",
    "422 validation_error": "bad input; `fields` names each field and what is wrong",
}

BILL_409 = ("409 bill_not_open",)
PACKAGE_409 = ("409 package_not_active", "409 package_frozen", "409 package_expired")


@dataclass(frozen=True)
class Op:
    roles: frozenset[str] | None  # None: public
    answers: str
    errors: tuple[str, ...] = ()
    contract: bool = False  # in shared/API.md (the stable core)
    branch_scoped: bool = False  # staff tied to branches: another branch's object is 404


OPERATIONS: dict[tuple[str, str], Op] = {
    ("POST", "/auth/token"): Op(None, '201 `{"token"}` — a bearer token (expires after GLOWPOS_TOKEN_TTL_HOURS)',
                                ("401 invalid_credentials", "429 throttled (too many failed logins)"), contract=True),
    ("POST", "/auth/revoke"): Op(EVERYONE, "204 — the token of this request stops working at once"),
    ("GET", "/services"): Op(EVERYONE, '200 `[{"id", "name", "sac", "price", "tax_rate_bp"}]`', contract=True),
    ("GET", "/package-plans"): Op(EVERYONE, '200 `[{"id", "code", "name", "kind", "price", "validity_days", '
                                  '"credit_value", "items"}]`', contract=True),
    ("GET", "/clients"): Op(EVERYONE, "200 `[client]`, the caller's business only", contract=True),
    ("POST", "/clients"): Op(COUNTER, "201 client", ("403 forbidden", "409 duplicate_client (with existing_id)"),
                             contract=True),
    ("GET", "/clients/{client_id}"): Op(EVERYONE, '200 client with `"packages": [package]`', ("404 not_found",),
                                        contract=True),
    ("PATCH", "/clients/{client_id}"): Op(COUNTER, "200 client", ("403 forbidden", "404 not_found",
                                                                  "409 duplicate_client")),
    ("POST", "/bills"): Op(COUNTER, "201 bill (status `open`)", ("403 forbidden", "404 not_found (client, branch)"),
                           contract=True, branch_scoped=True),
    ("GET", "/bills/{bill_id}"): Op(EVERYONE, "200 bill", ("404 not_found",), branch_scoped=True),
    ("POST", "/bills/{bill_id}/lines"): Op(
        COUNTER, "201 bill",
        ("403 forbidden", "404 not_found (bill, package, practitioner)", *BILL_409, "409 package_exhausted",
         *PACKAGE_409,
         "409 package_not_applicable", "409 interval_too_short (a manager's `approval` overrides)",
         "409 tax_rate_missing"), contract=True, branch_scoped=True),
    ("PATCH", "/bills/{bill_id}/lines/{line_id}"): Op(COUNTER, "200 bill (the line's `practitioner_id` set)",
                                                      ("403 forbidden", "404 not_found (bill, line, practitioner)",
                                                       *BILL_409),
                                                      contract=True, branch_scoped=True),
    ("DELETE", "/bills/{bill_id}/lines/{line_id}"): Op(COUNTER, "200 bill (a held session is released)",
                                                       ("403 forbidden", "404 not_found", *BILL_409), contract=True,
                                                       branch_scoped=True),
    ("POST", "/bills/{bill_id}/discount"): Op(
        COUNTER, "200 bill", ("403 forbidden (practitioner)", "403 discount_needs_approval (above the limit)",
                              "404 not_found", *BILL_409), branch_scoped=True),
    ("POST", "/bills/{bill_id}/refunds"): Op(
        MANAGERS, '201 `{"credit_note": document, "receipt_url"}`',
        ("403 forbidden", "404 not_found (bill, line)", "409 domain_error (more than is left to refund)"),
        branch_scoped=True),
    ("POST", "/bills/{bill_id}/close"): Op(
        COUNTER, '200 `{"bill", "document", "receipt_url"}`; header `Idempotency-Key` (a repeat returns the same '
                 "document)",
        ("403 forbidden", "404 not_found", *BILL_409, "409 bill_empty", "409 payment_mismatch",
         "409 idempotency_conflict"), contract=True, branch_scoped=True),
    ("POST", "/bills/{bill_id}/void"): Op(MANAGERS, "200 bill (a closed bill is reversed by a credit note)",
                                          ("403 forbidden", "404 not_found", "409 domain_error (not voidable)"),
                                          contract=True, branch_scoped=True),
    ("GET", "/packages/{package_id}"): Op(EVERYONE, "200 package with `client_id`, `shared_with`, `history`",
                                          ("404 not_found",)),
    ("POST", "/packages/{package_id}/freeze"): Op(MANAGERS, "200 package", ("403 forbidden", "404 not_found",
                                                                           *PACKAGE_409)),
    ("POST", "/packages/{package_id}/unfreeze"): Op(MANAGERS, "200 package", ("403 forbidden", "404 not_found",
                                                                             "409 package_not_active")),
    ("POST", "/packages/{package_id}/extend"): Op(MANAGERS, "200 package", ("403 forbidden", "404 not_found",
                                                                           "409 package_not_active")),
    ("POST", "/packages/{package_id}/cancel"): Op(
        MANAGERS, '200 `{"package", "refund": {"unused_gross", "fee", "refund"}, "currency", "credit_note", '
                  '"refund_voucher"}`', ("403 forbidden", "404 not_found", "409 package_not_active",
                                         "409 package_has_holds")),
    ("POST", "/packages/{package_id}/transfer"): Op(MANAGERS, '200 `{"from": package, "to": package}`',
                                                    ("403 forbidden", "404 not_found (package, client)",
                                                     "409 package_not_active", "409 package_has_holds")),
    ("POST", "/packages/{package_id}/share"): Op(COUNTER, "200 package", ("403 forbidden",
                                                                         "404 not_found (package, client)",
                                                                         "409 package_not_active")),
    ("POST", "/packages/{package_id}/unshare"): Op(COUNTER, "200 package", ("403 forbidden",
                                                                           "404 not_found (package, share)",
                                                                           "409 package_has_holds")),
    ("GET", "/settings"): Op(EVERYONE, '200 `{"name", "round_off_to_rupee", "discount_limit_bp", '
                                       '"cancellation_fee_bp"}`'),
    ("PATCH", "/settings"): Op(OWNER, "200 settings (each change is in the audit log)", ("403 forbidden",)),
    ("GET", "/tax-rates"): Op(EVERYONE, '200 `[{"id", "code", "rate_bp", "exempt", "effective_from", '
                                        '"description"}]`'),
    ("POST", "/tax-rates"): Op(OWNER, "201 tax rate (in the audit log with the rate it replaces)",
                               ("403 forbidden",)),
    ("GET", "/audit-events"): Op(MANAGERS, '200 `[{"id", "at", "action", "by", "object_type", "object_id", "data"}]`'
                                           ", newest first", ("403 forbidden",), branch_scoped=True),
    ("GET", "/reports/gstr1"): Op(OWNER, "200 GSTR-1 JSON file (the GST portal's offline-tool format)",
                                  ("403 forbidden", "404 not_found (GSTIN)")),
    ("GET", "/reports/exports/{name}"): Op(OWNER, "200 the file (journal.csv, tally.xml, tally-ledgers.xml, "
                                                  "ledger.beancount, reports.xlsx)",
                                           ("403 forbidden", "404 not_found (branch)"), branch_scoped=True),
    ("GET", "/reports/{slug}.{fmt}"): Op(MANAGERS, "200 a report's tables as CSV (`table` picks one) or XLSX",
                                         ("403 forbidden", "404 not_found (report, branch)"), branch_scoped=True),
    ("GET", "/reports/ledger/{account}"): Op(MANAGERS, "200 the account's postings with running balance (paise)",
                                             ("403 forbidden", "404 not_found (account, branch)"), branch_scoped=True),
}
for _path, _what in (
    ("deferred-revenue", "opening + sold − recognized − breakage − refunded = closing, tied to the ledger"),
    ("deferred-revenue/roll-forward", "the same per period and branch"),
    ("liability", "sessions and money owed, by client and by package, with ageing"),
    ("expiring", "packages expiring within 7, 30 or 90 days"),
    ("redemptions", "sessions redeemed by service, staff, branch and day"),
    ("revenue-vs-cash", "revenue recognized against cash collected"),
    ("gst-summary", "output tax by rate and kind"),
    ("documents", "per document series: first, last, count, cancelled, missing"),
    ("trial-balance", "every account: opening, debits, credits, closing"),
):
    OPERATIONS[("GET", f"/reports/{_path}")] = Op(
        MANAGERS, f"200 JSON, paise, `\"currency\": \"INR\"`: {_what}",
        ("403 forbidden", "404 not_found (branch)"), contract=_path == "deferred-revenue", branch_scoped=True)


def api_operations() -> list[tuple[str, str, dict]]:
    from glowpos.api.v1 import api

    paths = api.get_openapi_schema(path_prefix="")["paths"]
    order = {"GET": 0, "POST": 1, "PUT": 2, "PATCH": 3, "DELETE": 4}
    found = [(method.upper(), path, op) for path, ops in paths.items() for method, op in ops.items()]
    return sorted(found, key=lambda r: (r[1].strip("/").split("/")[0].split(".")[0], r[1], order.get(r[0], 9)))


def _schemas() -> dict:
    from glowpos.api.v1 import api

    return api.get_openapi_schema(path_prefix="").get("components", {}).get("schemas", {})


def _type(schema: dict) -> str:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "anyOf" in schema:
        kinds = [_type(s) for s in schema["anyOf"] if s.get("type") != "null"]
        return " | ".join(kinds) + (" | null" if any(s.get("type") == "null" for s in schema["anyOf"]) else "")
    if "enum" in schema:
        return " | ".join(json.dumps(v) for v in schema["enum"])
    if "const" in schema:
        return json.dumps(schema["const"])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"[{_type(schema.get('items', {}))}]"
    if schema.get("format") == "date":
        return "date (YYYY-MM-DD)"
    return kind


def _limits(schema: dict) -> str:
    parts = []
    for key, word in (("minimum", "≥"), ("maximum", "≤"), ("minLength", "length ≥"), ("maxLength", "length ≤")):
        if key in schema and not (key == "maximum" and schema[key] >= 2**53):
            parts.append(f"{word} {schema[key]}")
    return ", ".join(parts)


def _field_rows(properties: dict, required: list[str]) -> list[str]:
    rows = []
    for name, schema in properties.items():
        note = " — ".join(filter(None, [_limits(schema), schema.get("description", "").replace("\n", " ")]))
        default = f", default {json.dumps(schema['default'])}" if "default" in schema else ""
        need = "required" if name in required else f"optional{default}"
        rows.append(f"  - `{name}`: {_type(schema)}, {need}" + (f" ({note})" if note else ""))
    return rows


def _body(op: dict, schemas: dict) -> list[str]:
    content = op.get("requestBody", {}).get("content", {}).get("application/json", {})
    if not content:
        return []
    name = _type(content["schema"])
    schema = schemas.get(name, {})
    lines = [f"- Body (JSON, `{name}`):", *_field_rows(schema.get("properties", {}), schema.get("required", []))]
    nested = sorted({_type(s).split(" | ")[0].strip("[]") for s in schema.get("properties", {}).values()}
                    & set(schemas))
    for inner in nested:
        lines += [f"  - `{inner}`:", *["  " + row for row in _field_rows(schemas[inner].get("properties", {}),
                                                                        schemas[inner].get("required", []))]]
    return lines


def _roles(roles: frozenset[str] | None) -> str:
    if roles is None:
        return PUBLIC
    if roles == EVERYONE:
        return "every role"
    return ", ".join(ROLE_NAMES[r] for r in ROLE_ORDER if r in roles)


def render() -> str:
    schemas = _schemas()
    out = [
        "# GlowPOS API v1 — reference",
        "",
        "<!-- Generated by `python -m glowpos api_docs` from the live OpenAPI schema "
        "(/api/v1/openapi.json) and src/glowpos/api/reference.py. Do not edit by hand: "
        "tests/api/test_reference.py fails when this file and the API differ. -->",
        "",
        "Every operation of `/api/v1`. The stable core is the contract in shared/API.md (marked "
        "*contract* below); the rest was added by the project. Money is integer paise; dates are "
        "YYYY-MM-DD in the business's time zone. Send `Authorization: Bearer <token>` (from "
        "`POST /auth/token`) on every call except that one.",
        "",
        "Errors are `{\"code\", \"detail\", \"fields\"?}`. Every operation that takes a token may also answer:",
        "",
        *[f"- {code}: {why}" for code, why in COMMON.items()],
        "",
        "Another business's object is always `404 not_found`, never 403. *Branch-scoped*: for staff tied "
        "to branches (a manager's own branches, a front desk's), another branch's bill, document or "
        "report filter is `404 not_found` as well, and lists leave it out; the owner sees every branch.",
        "",
    ]
    tag = None
    for method, path, op in api_operations():
        entry = OPERATIONS.get((method, path))
        if entry is None:
            raise LookupError(f"{method} {path}: no entry in glowpos.api.reference.OPERATIONS")
        group = path.strip("/").split("/")[0].split(".")[0] or "root"
        if group != tag:
            tag = group
            out += [f"## {group}", ""]
        marks = [m for m, on in (("contract", entry.contract), ("branch-scoped", entry.branch_scoped)) if on]
        out += [f"### `{method} /api/v1{path}`" + (f" — *{', '.join(marks)}*" if marks else ""), ""]
        doc = (op.get("description") or "").strip().replace("\n", " ")
        if doc:
            out += [doc, ""]
        out.append(f"- Roles: {_roles(entry.roles)}")
        params = op.get("parameters", [])
        if params:
            out.append("- Parameters:")
            for p in params:
                schema = p.get("schema", {})
                default = f", default {json.dumps(schema['default'])}" if "default" in schema else ""
                need = "required" if p.get("required") else f"optional{default}"
                note = " — ".join(filter(None, [_limits(schema), (p.get("description") or "").replace("\n", " ")]))
                out.append(f"  - `{p['name']}` ({p['in']}): {_type(schema)}, {need}" + (f" ({note})" if note else ""))
        out += _body(op, schemas)
        out.append(f"- Answers: {entry.answers}")
        if entry.errors:
            out.append(f"- Errors: {', '.join(entry.errors)}")
        out.append("")
    return "\n".join(out)
