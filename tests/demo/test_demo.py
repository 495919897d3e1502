"""`python -m glowpos demo`: the demo clinic's history, made through the real services, includes
the whole life of value packages and memberships, and its books tie. Running it again changes
nothing."""
from django.core.management import call_command
from django.db.models import Count

from glowpos.billing.models import Bill, BillLine, Payment
from glowpos.documents.models import Document
from glowpos.ledger.models import JournalEntry, Posting
from glowpos.packages.models import ClientPackage, PackageShare, Redemption
from glowpos.tenancy.models import Business
from tests.books import assert_books_balance
from tests.invariants import assert_invariants


def _package(name, code):
    return ClientPackage.objects.filter(client__name=name, plan__code=code).select_related("plan").order_by("id")


def test_the_demo_has_a_life_for_every_kind_of_package_and_its_books_tie(db, capsys):
    call_command("demo")
    assert "Demo clinic created" in capsys.readouterr().out
    business = Business.objects.get(name="Glow Skin Clinic")

    # GLOW-12K: credit spent over several visits, wholly by credit and partly by credit + cash.
    farah = _package("Farah Khan", "GLOW-12K").get()
    spent = Bill.objects.filter(client=farah.client, payments__method="credit").distinct()
    assert spent.count() >= 4 and 0 < farah.credit_used < farah.credit_total
    methods = [set(b.payments.values_list("method", flat=True)) for b in spent]
    assert {"credit"} in methods and {"credit", "cash"} in methods
    # …and shared with her daughter, who pays with her mother's credit.
    isha = _package("Isha Menon", "GLOW-12K").get()
    assert PackageShare.objects.filter(package=isha, client__name="Diya Menon").exists()
    assert Payment.objects.filter(method="credit", bill__client__name="Diya Menon").exists()

    # GLOW-CLUB: monthly renewals, each period following the last, her facial redeemed, and the
    # member price on other services.
    periods = list(_package("Gayatri Rao", "GLOW-CLUB"))
    assert len(periods) >= 4
    assert all(p.renews_id == q.id for q, p in zip(periods, periods[1:]))
    assert Redemption.objects.filter(entitlement__package__in=periods, status="posted").count() >= 3
    member = BillLine.objects.filter(bill__client__name="Gayatri Rao", type="service", discount__gt=0)
    assert member.exists() and all("member GLOW-CLUB" in line.description for line in member)
    # A member who never came: her unused facial lapsed to breakage income.
    jaya = _package("Jaya Pillai", "GLOW-CLUB").get()
    assert jaya.status == "expired"
    breakage = Posting.objects.filter(entry__package=jaya, entry__kind="breakage", account__code="breakage_income")
    assert breakage.get().amount < 0

    # Frozen, cancelled with a refund, transferred (and used by the new owner), shared.
    assert _package("Lata Bhat", "LHR-6").get().status == "frozen"
    mohan = _package("Mohan Das", "CLN-5").get()
    assert mohan.status == "cancelled"
    assert {d.kind for d in Document.objects.filter(client=mohan.client, original__isnull=False)} == {
        "credit_note", "refund_voucher"}
    nisha = _package("Nisha Gowda", "PEEL-4").get()
    assert nisha.status == "transferred" and nisha.transferred_to.client.name == "Nirmala Gowda"
    assert Redemption.objects.filter(entitlement__package=nisha.transferred_to, status="posted").exists()
    radha = _package("Radha Iyer", "BRIDAL").get()
    assert PackageShare.objects.filter(package=radha, client__name="Sita Iyer").exists()
    assert Redemption.objects.filter(entitlement__package=radha, bill__client__name="Sita Iyer",
                                     status="posted").exists()

    # Treatments name who performed them (mostly the practitioner), so the report has them.
    performed = Redemption.objects.filter(entitlement__package__business=business, status="posted",
                                          line__practitioner__role="practitioner")
    assert performed.count() >= 10
    assert performed.first().line.practitioner.user.get_full_name() == "Dr. Kavya Iyer"
    assert_invariants(business)
    assert_books_balance(business)

    counts = [m.objects.count() for m in (Bill, Document, JournalEntry, ClientPackage, Redemption)]
    call_command("demo")
    assert "already present" in capsys.readouterr().out
    assert [m.objects.count() for m in (Bill, Document, JournalEntry, ClientPackage, Redemption)] == counts
    assert Business.objects.filter(name="Glow Skin Clinic").count() == 1
    assert not Document.objects.values("series_id", "seq").annotate(n=Count("id")).filter(n__gt=1).exists()
