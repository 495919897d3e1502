"""The public receipt page and its PDF: no login, found only by the unguessable token."""
from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.http import require_safe

from glowpos.errors import NotFound
from glowpos.receipts.pdf import LAYOUTS, receipt_context, render_pdf
from glowpos.receipts.selectors import receipt_by_token


def _document(token: str):
    try:
        return receipt_by_token(token)
    except NotFound:
        raise Http404("Receipt not found") from None


def _layout(request) -> str:
    layout = request.GET.get("layout", "a4")
    return layout if layout in LAYOUTS else "a4"


@require_safe
def receipt(request, token: str):
    document = _document(token)
    context = receipt_context(document, layout=_layout(request), font_base=static("receipts/fonts/"))
    response = render(request, "receipts/receipt.html", {**context, "token": token})
    response["Referrer-Policy"] = "no-referrer"  # the token must not leak to other sites
    return response


@require_safe
def receipt_pdf(request, token: str):
    document = _document(token)
    response = HttpResponse(render_pdf(document, layout=_layout(request)), content_type="application/pdf")
    filename = document.number.replace("/", "-")
    response["Content-Disposition"] = f'inline; filename="{filename}.pdf"'
    response["Referrer-Policy"] = "no-referrer"
    return response
