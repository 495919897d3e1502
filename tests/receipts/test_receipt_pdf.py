"""The public receipt and its PDF: same template, no login, only by the unguessable token."""
from django.test import Client as HttpClient

from tests import factories


def test_receipt_pdf_is_a_real_pdf_in_a4_and_thermal_layouts(clinic):
    package = factories.sold_package(clinic, factories.client(clinic))
    token = package.sale_document.receipt_token
    anonymous = HttpClient()
    for layout in ("a4", "thermal"):
        response = anonymous.get(f"/r/{token}.pdf?layout={layout}")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF-") and len(response.content) > 5_000
        assert response["Content-Disposition"].endswith(f'{package.sale_document.number.replace("/", "-")}.pdf"')


def test_receipt_page_shows_rule_46_fields_and_what_is_left(clinic):
    package = factories.sold_package(clinic, factories.client(clinic))
    doc = package.sale_document
    page = HttpClient().get(f"/r/{doc.receipt_token}").content.decode()
    for must in (doc.number, doc.branch.gstin, "Place of supply: Karnataka (29)", "reverse charge: No",
                 "999316", "₹20,338.98", "₹1,830.51", "Rupees Twenty-Four Thousand Only",
                 "6 of 6 remaining", "computer-generated"):
        assert must in page, must


def test_unknown_receipt_token_is_404_for_page_and_pdf(db):
    anonymous = HttpClient()
    assert anonymous.get("/r/not-a-real-token-but-long-enough").status_code == 404
    assert anonymous.get("/r/not-a-real-token-but-long-enough.pdf").status_code == 404


def test_what_is_left_shows_live_packages_and_the_one_this_visit_used_up(clinic):
    who = factories.client(clinic)
    old, new = factories.sold_package(clinic, who), factories.sold_package(clinic, who)
    factories.redeem_until(clinic, old, remaining=1)
    last = factories.redeem(clinic, old).document  # her sixth and last session of the first package
    shown = {p["id"]: p for p in last.snapshot["packages"]}
    assert set(shown) == {old.id, new.id}
    assert shown[old.id]["status"] == "exhausted" and shown[old.id]["items"][0]["remaining"] == 0
    later = factories.redeem(clinic, new).document  # the used-up package is no longer news
    assert [p["id"] for p in later.snapshot["packages"]] == [new.id]
    assert "5 of 6 remaining" in HttpClient().get(f"/r/{later.receipt_token}").content.decode()


def test_what_is_left_keeps_a_frozen_package_and_leaves_out_one_past_its_expiry(clinic):
    """Chosen in SQL as effective_status does: a frozen package is still hers; an active one
    past its expiry date (the nightly job not run yet) is expired and not shown."""
    from datetime import timedelta

    from django.utils import timezone

    from glowpos.packages.models import ClientPackage
    from glowpos.packages.services import freeze_package

    who = factories.client(clinic)
    frozen, lapsed, used = (factories.sold_package(clinic, who) for _ in range(3))
    freeze_package(package_id=frozen.id, reason="Travelling", by=clinic.manager)
    today = timezone.localdate()
    ClientPackage.objects.filter(id=lapsed.id).update(purchased_on=today - timedelta(days=200),
                                                      expires_on=today - timedelta(days=1))

    shown = [p["id"] for p in factories.redeem(clinic, used).document.snapshot["packages"]]
    assert sorted(shown) == sorted([frozen.id, used.id])
