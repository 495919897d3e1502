"""Importing clients and open package balances: a dry run writes nothing, a commit writes it all
in one transaction, the same file twice changes nothing, bad rows are named, and the opening
balance ties the books."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from glowpos.catalog.models import PackagePlan, PackagePlanItem
from glowpos.clients.models import Client
from glowpos.errors import Forbidden
from glowpos.ledger.chart import DEFERRED_REVENUE, OPENING_BALANCE_EQUITY
from glowpos.ledger.models import EntryKind, JournalEntry, Posting
from glowpos.money import split_inclusive, unit_value
from glowpos.onboarding.models import ImportBatch, ImportedRow
from glowpos.onboarding.services import commit_import, preview_import
from glowpos.packages.models import ClientPackage, Entitlement, PackageEvent, PackageStatus
from glowpos.reports.selectors import deferred_revenue
from tests import factories
from tests.books import assert_books_balance
from tests.onboarding.sheets import csv_bytes, xlsx_bytes

TODAY = timezone.localdate()
BOUGHT = TODAY - timedelta(days=60)


def d(day) -> str:
    return f"{day:%d/%m/%Y}"


def rows_of_a_clinic() -> list[list]:
    return [
        ["Priya Sharma", "98765 43210", "priya@example.in", "LHR-6", "", "6", "2", "24,000", d(BOUGHT), ""],
        ["Ananya Iyer", "+91-99000-11223", "", "", "", "", "", "", "", ""],
        ["Kavya Reddy", "099001 12233", "", "Skin cleanup — 5 sessions", "", "", "4", "₹5,000.00", d(BOUGHT), ""],
        ["Meera Nair", "9845012345", "", "Old winter offer", "Chemical peel", "8", "3", "20000",
         d(BOUGHT - timedelta(days=30)), d(TODAY + timedelta(days=200))],
    ]


def counts(business) -> dict:
    return {
        "clients": Client.objects.filter(business=business).count(),
        "packages": ClientPackage.objects.filter(business=business).count(),
        "entitlements": Entitlement.objects.filter(package__business=business).count(),
        "events": PackageEvent.objects.filter(package__business=business).count(),
        "plans": PackagePlan.objects.filter(business=business).count(),
        "entries": JournalEntry.objects.filter(business=business).count(),
        "batches": ImportBatch.objects.filter(business=business).count(),
        "rows": ImportedRow.objects.filter(business=business).count(),
    }


def test_a_dry_run_shows_what_would_happen_and_writes_nothing(clinic):
    existing = factories.client(clinic, name="Kavya R.", phone="9900112233")
    before = counts(clinic.business)

    preview = preview_import(by=clinic.owner, data=csv_bytes(rows_of_a_clinic()), filename="clients.csv")

    checked = preview.checked
    assert [c.name for c in checked.new_clients] == ["Priya Sharma", "Ananya Iyer", "Meera Nair"]
    assert [(m.row, m.name, m.client.id) for m in checked.matched] == [(4, "Kavya Reddy", existing.id)]
    assert [(p.row, p.plan_name, p.total_units, p.used_units) for p in checked.packages] == [
        (2, "Laser hair reduction — 6 sessions", 6, 2), (4, "Skin cleanup — 5 sessions", 5, 4),
        (5, "Old winter offer", 8, 3)]
    assert [p.name for p in checked.new_plans] == ["Old winter offer"]
    assert checked.problems == [] and preview.can_commit
    assert counts(clinic.business) == before


def test_a_commit_writes_clients_packages_and_the_opening_balance(clinic):
    done = commit_import(by=clinic.owner, data=xlsx_bytes(rows_of_a_clinic()), filename="clients.xlsx")

    assert done.created
    priya = Client.objects.get(business=clinic.business, phone="+919876543210")
    laser = ClientPackage.objects.get(client=priya)
    # ₹24,000 at 18 % on the purchase date: taxable 20,338.98, no invoice, no sale bill.
    assert (laser.price, laser.taxable, laser.tax_rate_bp) == (2_400_000, 2_033_898, 1800)
    assert laser.sale_bill_id is None and laser.sale_document_id is None
    assert (laser.purchased_on, laser.expires_on) == (BOUGHT, BOUGHT + timedelta(days=365))
    assert laser.status == PackageStatus.ACTIVE
    ent = Entitlement.objects.get(package=laser)
    assert (ent.total_units, ent.used_units, ent.held_units, ent.opening_used_units) == (6, 2, 0, 2)
    assert ent.taxable_value == 2_033_898
    # Skin cleanup is taxed at 5 % since the rationalisation (SAC 999722), on the purchase date.
    cleanup = ClientPackage.objects.get(client__phone="+919900112233")
    assert cleanup.tax_rate_bp == 500 and cleanup.taxable == split_inclusive(500_000, 500).taxable
    # The new plan is in the catalog, not for sale at the counter.
    plan = PackagePlan.objects.get(business=clinic.business, name="Old winter offer")
    assert not plan.active and plan.code.startswith("IMP-")
    assert [(i.service.name, i.units) for i in plan.items.all()] == [("Chemical peel", 8)]

    unused = sum(
        unit_value(e.taxable_value, e.total_units, n)
        for e in Entitlement.objects.filter(package__business=clinic.business)
        for n in range(e.used_units + 1, e.total_units + 1)
    )
    entry = JournalEntry.objects.get(business=clinic.business, kind=EntryKind.OPENING)
    assert entry.date == TODAY - timedelta(days=1)
    assert {p.account.code: p.amount for p in entry.postings.all()} == {
        OPENING_BALANCE_EQUITY: unused, DEFERRED_REVENUE: -unused}
    assert done.batch.opening_entry == entry and done.batch.report["counts"]["opening_deferred"] == unused
    report = assert_books_balance(clinic.business)
    assert report["opening"] == report["closing"] == unused and report["sold"] == 0


def test_the_same_file_twice_changes_nothing(clinic):
    data = csv_bytes(rows_of_a_clinic())
    first = commit_import(by=clinic.owner, data=data, filename="clients.csv")
    after_first = counts(clinic.business)

    again = commit_import(by=clinic.manager, data=data, filename="clients (1).csv")

    assert not again.created and again.batch == first.batch
    assert counts(clinic.business) == after_first
    assert preview_import(by=clinic.owner, data=data, filename="x.csv").already == first.batch


def test_the_same_rows_saved_again_as_another_file_change_nothing(clinic):
    commit_import(by=clinic.owner, data=csv_bytes(rows_of_a_clinic()), filename="clients.csv")
    after_first = counts(clinic.business)

    resaved = commit_import(by=clinic.owner, data=xlsx_bytes(rows_of_a_clinic()), filename="clients.xlsx")

    assert resaved.batch is None and not resaved.created
    assert [row for row, _ in resaved.checked.skipped] == [2, 4, 5]
    assert counts(clinic.business) == after_first


def test_a_corrected_file_imports_only_its_new_rows(clinic):
    rows = rows_of_a_clinic()
    rows[0][1] = "98765 4321"  # a digit short: Priya's row is refused
    first = commit_import(by=clinic.owner, data=csv_bytes(rows), filename="v1.csv")
    assert first.batch.report["counts"]["rows_with_problems"] == 1
    assert not Client.objects.filter(name="Priya Sharma").exists()
    after_first = counts(clinic.business)

    rows[0][1] = "98765 43210"
    rows[1][0] = "Ananya S. Iyer"  # a name corrected: she is matched by phone, not changed
    second = commit_import(by=clinic.owner, data=csv_bytes(rows), filename="v2.csv")

    checked = second.checked
    assert second.created
    assert [c.name for c in checked.new_clients] == ["Priya Sharma"]
    assert [p.row for p in checked.packages] == [2]
    assert [row for row, _ in checked.skipped] == [4, 5]
    assert counts(clinic.business)["packages"] == after_first["packages"] + 1
    assert Client.objects.get(phone="+919900011223").name == "Ananya Iyer"
    assert_books_balance(clinic.business)


def test_bad_rows_are_named_by_row_column_and_reason_and_skipped(clinic):
    rows = [
        ["Asha", "12345", "", "", "", "", "", "", "", ""],
        ["Bina", "9876500001", "", "LHR-6", "", "6", "7", "24000", d(BOUGHT), ""],
        ["Chitra", "9876500002", "", "Diamond facial", "", "4", "0", "8000", d(BOUGHT), ""],
        ["Devi", "9876500003", "", "LHR-6", "", "6", "0", "24000", d(TODAY + timedelta(days=3)), ""],
        ["Esha", "9876500004", "", "LHR-6", "", "6", "1", "24000", d(BOUGHT), ""],
        ["Esha again", "+91 98765 00004", "", "LHR-6", "", "6", "3", "24,000.00", d(BOUGHT), ""],
        ["Farah", "9876500005", "not-an-email", "CLN-5", "", "", "1", "5000", "31/02/2025", ""],
        ["Gita", "9876500006", "", "CLN-5", "", "", "1", "five thousand", d(BOUGHT), ""],
        ["Hema", "9876500007", "", "PEEL-4", "", "", "1", "12000", d(TODAY - timedelta(days=400)), ""],
        ["", "9876500008", "", "", "", "", "", "", "", ""],
    ]
    checked = preview_import(by=clinic.owner, data=csv_bytes(rows), filename="bad.csv").checked

    problems = [(p.row, p.column, p.value, p.reason) for p in checked.problems]
    assert problems == [
        (2, "Phone (column B)", "12345", "not a valid Indian phone number (10 digits, e.g. 98765 43210)"),
        (3, "Sessions used (column G)", "7", "used (7) is more than the total (6)"),
        (4, "Plan (column D)", "Diamond facial", "unknown plan: no plan has this name or code (to import it "
                                                 "as a new plan, write its service in the Service column)"),
        (5, "Purchase date (column I)", d(TODAY + timedelta(days=3)),
         f"a date in the future (today is {TODAY:%d/%m/%Y})"),
        (7, "", "", "duplicate row: the same package as row 6 (client, plan, purchase date, sessions and amount)"),
        (8, "Email (column C)", "not-an-email", "not an email address"),
        (8, "Purchase date (column I)", "31/02/2025", "'31/02/2025' is not a real date"),
        (9, "Amount paid (column H)", "five thousand",
         "'five thousand' is not an amount in rupees (e.g. 24000 or 24,000.00)"),
        (10, "Expiry (column J)", d(TODAY - timedelta(days=400) + timedelta(days=180)),
         f"expired on {TODAY - timedelta(days=220):%d %b %Y}: only open packages are imported "
         "(if the clinic extended it, write the new expiry)"),
        (11, "Client name (column A)", "", "a client needs a name"),
    ]
    assert checked.bad_rows == 9
    assert [p.row for p in checked.packages] == [6]  # Esha's first row only

    done = commit_import(by=clinic.owner, data=csv_bytes(rows), filename="bad.csv")
    assert list(Client.objects.filter(business=clinic.business).values_list("name", flat=True)) == ["Esha"]
    assert done.batch.report["counts"]["rows_with_problems"] == 9
    assert [row for row, *_ in done.batch.report["problems"]] == [p[0] for p in problems]


def test_a_file_with_only_problems_writes_nothing(clinic):
    before = counts(clinic.business)
    done = commit_import(by=clinic.owner, data=csv_bytes([["A", "1", "", "", "", "", "", "", "", ""]]),
                         filename="x.csv")
    assert done.batch is None and not done.created
    assert counts(clinic.business) == before


def test_redeeming_an_imported_package_takes_the_next_session_at_its_unit_value(clinic):
    commit_import(by=clinic.owner, data=csv_bytes(rows_of_a_clinic()[:1]), filename="one.csv")
    laser = ClientPackage.objects.get(client__phone="+919876543210")

    closed = factories.redeem(clinic, laser)

    line = closed.document.snapshot["lines"][0]
    assert "session 3 of 6, 3 remaining" in line["description"]
    redemption = closed.bill.redemptions.get()
    assert (redemption.unit, redemption.value) == (3, unit_value(2_033_898, 6, 3))
    assert Entitlement.objects.get(package=laser).used_units == 3
    assert_books_balance(clinic.business)
    factories.redeem_until(clinic, laser, remaining=0)
    laser.refresh_from_db()
    assert laser.status == PackageStatus.EXHAUSTED
    report = assert_books_balance(clinic.business)
    assert report["closing"] == 0
    # Only the four sessions taken in GlowPOS were recognised here; the first two were in the old books.
    recognised = sum(Posting.objects.filter(entry__kind=EntryKind.REDEMPTION, account__code=DEFERRED_REVENUE,
                                             entry__business=clinic.business).values_list("amount", flat=True))
    assert recognised == sum(unit_value(2_033_898, 6, n) for n in range(3, 7))


def test_a_voided_visit_gives_an_imported_package_its_session_back(clinic):
    commit_import(by=clinic.owner, data=csv_bytes(rows_of_a_clinic()[:1]), filename="one.csv")
    laser = ClientPackage.objects.get(client__phone="+919876543210")
    visit = factories.redeem(clinic, laser)
    from glowpos.billing import services as billing

    billing.void_bill(bill_id=visit.bill.id, reason="wrong client", by=clinic.manager)

    assert Entitlement.objects.get(package=laser).used_units == 2
    again = factories.redeem(clinic, laser)
    assert again.bill.redemptions.get().unit == 3
    assert_books_balance(clinic.business)


def test_an_imported_package_that_expires_breaks_only_its_unused_value(clinic):
    from glowpos.packages.services import expire_packages

    rows = rows_of_a_clinic()[:1]
    rows[0][9] = d(TODAY)  # expires today
    commit_import(by=clinic.owner, data=csv_bytes(rows), filename="one.csv")

    expire_packages(on=TODAY + timedelta(days=1), business=clinic.business)

    breakage = Posting.objects.get(entry__kind=EntryKind.BREAKAGE, account__code=DEFERRED_REVENUE,
                                   entry__business=clinic.business)
    assert breakage.amount == sum(unit_value(2_033_898, 6, n) for n in range(3, 7))
    opening = Posting.objects.get(entry__kind=EntryKind.OPENING, account__code=DEFERRED_REVENUE)
    assert breakage.amount == -opening.amount


def test_a_plan_of_several_services_names_the_sessions_used_per_service(clinic):
    bridal = PackagePlan.objects.create(business=clinic.business, code="BRIDE", name="Bridal glow", price=3_500_000,
                                        validity_days=180)
    for name, units in (("Gold facial", 2), ("Chemical peel", 1), ("Hair spa", 3)):
        PackagePlanItem.objects.create(plan=bridal, service=clinic.service(name), units=units)
    rows = [["Riya", "9876511111", "", "BRIDE", "", "", "Gold facial 1; hair spa: 2", "35000", d(BOUGHT), ""],
            ["Tara", "9876522222", "", "BRIDE", "", "7", "", "35000", d(BOUGHT), ""],
            ["Uma", "9876533333", "", "Bridal glow", "", "", "3", "35000", d(BOUGHT), ""]]
    checked = preview_import(by=clinic.owner, data=csv_bytes(rows), filename="b.csv").checked

    assert [(p.row, p.reason) for p in checked.problems] == [
        (3, "Bridal glow has 6 sessions (Gold facial 2, Chemical peel 1, Hair spa 3): leave it blank or write 6"),
        (4, "name each service of the plan with its count, e.g. 'Gold facial 1; Chemical peel 1'"),
    ]
    commit_import(by=clinic.owner, data=csv_bytes(rows[:1]), filename="b.csv")
    ents = {e.service.name: e for e in Entitlement.objects.filter(package__plan=bridal).select_related("service")}
    assert {n: (e.total_units, e.used_units) for n, e in ents.items()} == {
        "Gold facial": (2, 1), "Chemical peel": (1, 0), "Hair spa": (3, 2)}
    # Highest item rate (18 % on the peel) on ₹35,000, allocated by standalone price like a sale.
    taxable = split_inclusive(3_500_000, 1800).taxable
    assert sum(e.taxable_value for e in ents.values()) == taxable
    assert_books_balance(clinic.business)


def test_only_an_owner_or_a_manager_imports(clinic):
    data = csv_bytes(rows_of_a_clinic())
    for staff in (clinic.front_desk, clinic.practitioner):
        with pytest.raises(Forbidden):
            preview_import(by=staff, data=data, filename="x.csv")
        with pytest.raises(Forbidden):
            commit_import(by=staff, data=data, filename="x.csv")
    assert commit_import(by=clinic.manager, data=data, filename="x.csv").created


def test_a_client_added_at_the_counter_after_the_preview_is_matched_not_duplicated(clinic):
    data = csv_bytes(rows_of_a_clinic())
    assert "Ananya Iyer" in [c.name for c in preview_import(by=clinic.owner, data=data, filename="x").checked.new_clients]
    walk_in = factories.client(clinic, name="Ananya", phone="9900011223")

    done = commit_import(by=clinic.owner, data=data, filename="x.csv")

    assert [m.client.id for m in done.checked.matched] == [walk_in.id]
    assert Client.objects.filter(business=clinic.business, phone="+919900011223").count() == 1


def test_a_failure_midway_writes_nothing(clinic):
    """The opening entry cannot be posted (its account is missing): the clients and packages
    written before it in the same transaction are rolled back with it."""
    from glowpos.ledger.models import Account

    Account.objects.filter(business=clinic.business, code=OPENING_BALANCE_EQUITY).delete()
    before = counts(clinic.business)
    with pytest.raises(Exception, match="unknown accounts"):
        commit_import(by=clinic.owner, data=csv_bytes(rows_of_a_clinic()), filename="x.csv")
    assert counts(clinic.business) == before


def test_the_report_for_the_import_day_opens_with_the_imported_balance(clinic):
    done = commit_import(by=clinic.owner, data=csv_bytes(rows_of_a_clinic()), filename="x.csv")
    opening = done.batch.report["counts"]["opening_deferred"]
    report = deferred_revenue(business=clinic.business, start=TODAY, end=TODAY)
    assert report == {"opening": opening, "sold": 0, "recognized": 0, "breakage": 0, "refunded": 0,
                      "closing": opening}
