"""The public receipt page: no login, found only by its unguessable token."""
from __future__ import annotations

from django.http import Http404
from django.shortcuts import render

from glowpos.errors import NotFound
from glowpos.receipts.selectors import receipt_by_token


def receipt(request, token: str):
    try:
        document = receipt_by_token(token)
    except NotFound:
        raise Http404("Receipt not found") from None
    return render(request, "receipts/receipt.html", {"doc": document, "s": document.snapshot})
