"""The public receipt: found only by its unguessable token."""
from __future__ import annotations

from glowpos.documents.models import Document
from glowpos.errors import NotFound


def receipt_by_token(token: str) -> Document:
    document = Document.objects.select_related("branch", "business").filter(receipt_token=token).first()
    if document is None or len(token) < 20:
        raise NotFound("Receipt not found.")
    return document
