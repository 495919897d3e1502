"""The client's digital receipt (/r/<token>) opened on her phone: the page fits the screen — no
sideways scrolling to find the amount — and each line still shows its SAC code, taxable value
and GST rate, under its description, as the thermal slip does."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from glowpos.documents.models import Document
from tests import factories
from tests.e2e.counter import sold


def _receipt(browser, live_server, invoice, width):
    """The public receipt of `invoice` on a screen `width` px wide: (context, page, its first line)."""
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    page.goto(f"{live_server.url}/r/{invoice.receipt_token}")
    return context, page, page.locator("table").first.locator("tbody tr").first


@pytest.mark.parametrize("width", [360, 420])
def test_a_tax_invoice_fits_a_phone_and_keeps_each_lines_tax(clinic_live, browser, live_server, width):
    client = factories.client(clinic_live, name="Meera Krishnamurthy-Venkataraman", phone="98450 77123")
    package = sold(clinic_live, client, plan="LHR-6", days_ago=1)
    invoice = Document.objects.get(id=package.sale_document_id)
    assert invoice.cgst > 0  # a line with tax columns: the widest receipt

    context, page, line = _receipt(browser, live_server, invoice, width)

    assert page.evaluate("document.documentElement.scrollWidth") <= width
    amount = line.locator("td.n").last
    expect(amount).to_be_in_viewport(ratio=1)
    expect(amount).to_have_text(f"₹{invoice.total // 100:,}.{invoice.total % 100:02d}")
    # The tax columns give way to a line under the description, on the phone only.
    expect(line.locator("td.tx").first).to_be_hidden()
    expect(line.locator(".thermal-only")).to_be_visible()
    expect(line.locator(".thermal-only")).to_contain_text(f"SAC/HSN {invoice.snapshot['lines'][0]['code']}")
    expect(line.locator(".thermal-only")).to_contain_text("GST 18%")
    expect(page.locator("tfoot")).to_contain_text("CGST")
    context.close()


def test_on_a_laptop_the_receipt_keeps_its_tax_columns(clinic_live, browser, live_server):
    client = factories.client(clinic_live, name="Meera K", phone="98450 77124")
    invoice = Document.objects.get(id=sold(clinic_live, client, plan="LHR-6", days_ago=1).sale_document_id)
    context, _, line = _receipt(browser, live_server, invoice, 1280)
    expect(line.locator("td.tx").first).to_be_visible()
    expect(line.locator(".thermal-only")).to_be_hidden()
    context.close()
