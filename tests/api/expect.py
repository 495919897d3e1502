"""What every refusal of the API looks like (API.md "Errors")."""
from __future__ import annotations


def refused(response, status: int, code: str) -> dict:
    """Assert the response is a refusal with this status and code, and a human sentence."""
    assert response.status_code == status, (response.status_code, response.content)
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert body["code"] == code, body
    assert isinstance(body["detail"], str) and body["detail"].strip(), body
    return body


def names_field(body: dict, field: str) -> None:
    """A validation refusal names the field that is wrong, in `fields` and in the sentence."""
    assert field in body.get("fields", {}), body
    assert field in body["detail"], body


def pick(row: dict, *keys: str) -> dict:
    """The contract's fields of a JSON object (the API may add fields, never drop these)."""
    return {k: row[k] for k in keys}


ITEM = ("service_id", "service_name", "total", "used", "held", "remaining")
