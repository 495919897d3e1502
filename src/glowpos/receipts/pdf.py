"""The receipt as a PDF, rendered by WeasyPrint from the same template as the page."""
from __future__ import annotations

from pathlib import Path

from django.template.loader import render_to_string

FONTS = Path(__file__).resolve().parent / "static" / "receipts" / "fonts"
LAYOUTS = ("a4", "thermal")


def receipt_context(document, *, layout: str = "a4", pdf: bool = False, font_base: str = "") -> dict:
    return {
        "doc": document, "s": document.snapshot, "layout": layout, "pdf": pdf,
        "font_base": FONTS.as_uri() + "/" if pdf else font_base,
    }


def render_pdf(document, *, layout: str = "a4") -> bytes:
    from weasyprint import HTML  # imported here: loading pango costs start-up time elsewhere

    html = render_to_string("receipts/receipt.html", receipt_context(document, layout=layout, pdf=True))
    return HTML(string=html, base_url=str(FONTS)).write_pdf()
