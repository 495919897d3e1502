"""The worked examples of PRODUCT.md, end to end through the services."""
from glowpos.ledger.models import JournalEntry
from tests import factories


def test_24000_package_sale_posts_deferred_revenue_and_gst(clinic):
    priya = factories.client(clinic)
    package = factories.sold_package(clinic, priya)
    doc = package.sale_document
    assert (doc.taxable, doc.cgst, doc.sgst, doc.total) == (2_033_898, 183_051, 183_051, 2_400_000)
    entry = JournalEntry.objects.get(document=doc, kind="sale")
    assert {p.account.code: p.amount for p in entry.postings.all()} == {
        "upi": 2_400_000, "deferred_revenue": -2_033_898, "output_cgst": -183_051, "output_sgst": -183_051,
    }
