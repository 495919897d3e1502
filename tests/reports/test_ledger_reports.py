"""Reports read from the ledger: the deferred revenue roll-forward, revenue vs cash, the
trial balance and the general ledger, against the hand-computed chain of history.py."""
from __future__ import annotations

from datetime import date

from django.db import connection
from django.test.utils import CaptureQueriesContext

from glowpos.ledger.selectors import balance
from glowpos.reports import selectors
from tests.reports.history import (
    APRIL,
    BREAKAGE,
    CLEANUP_HALF_TAX,
    CLEANUP_TAXABLE,
    CLN_HALF_TAX,
    CLN_TAXABLE,
    LASER_SESSION,
    LHR_HALF_TAX,
    LHR_TAXABLE,
    MAY,
    PEEL_HALF_TAX,
    PEEL_TAXABLE,
    REFUND,
    SUNSCREEN_HALF_TAX,
    SUNSCREEN_TAXABLE,
)

APRIL_CLOSING = LHR_TAXABLE + CLN_TAXABLE - LASER_SESSION          # 21,186.43
MAY_CLOSING = APRIL_CLOSING + PEEL_TAXABLE - BREAKAGE - REFUND     # 29,855.93
MOVES = ("opening", "sold", "recognized", "breakage", "refunded", "closing")


def moves(row: dict) -> tuple:
    return tuple(row[k] for k in MOVES)


def test_april_rolls_forward_per_branch_and_in_total(chain):
    report = selectors.deferred_rollforward(business=chain.c.business, start=APRIL[0], end=APRIL[1])

    assert moves(report["total"]) == (0, LHR_TAXABLE + CLN_TAXABLE, LASER_SESSION, 0, 0, APRIL_CLOSING)
    assert APRIL_CLOSING == 2_118_643
    by_branch = {b["branch_code"]: b for b in report["branches"]}
    assert moves(by_branch["BLR1"]) == (0, LHR_TAXABLE, LASER_SESSION, 0, 0, LHR_TAXABLE - LASER_SESSION)
    # MYS1's cleanup session was redeemed and voided in April: it nets out of "recognized".
    assert moves(by_branch["MYS1"]) == (0, CLN_TAXABLE, 0, 0, 0, CLN_TAXABLE)
    assert all(row["ties"] and row["difference"] == 0 for row in [report["total"], *report["branches"]])


def test_may_opens_with_april_and_carries_breakage_refund_and_a_voided_sale(chain):
    report = selectors.deferred_rollforward(business=chain.c.business, start=MAY[0], end=MAY[1])

    assert moves(report["total"]) == (APRIL_CLOSING, PEEL_TAXABLE, 0, BREAKAGE, REFUND, MAY_CLOSING)
    assert MAY_CLOSING == 2_985_593
    by_branch = {b["branch_code"]: b for b in report["branches"]}
    assert moves(by_branch["BLR1"]) == (LHR_TAXABLE - LASER_SESSION, PEEL_TAXABLE, 0, BREAKAGE, 0,
                                        LHR_TAXABLE - LASER_SESSION + PEEL_TAXABLE - BREAKAGE)
    assert moves(by_branch["MYS1"]) == (CLN_TAXABLE, 0, 0, 0, REFUND, CLN_TAXABLE - REFUND)


def test_closing_is_the_ledgers_balance_to_the_paisa(chain):
    business = chain.c.business
    report = selectors.deferred_rollforward(business=business, start=APRIL[0], end=MAY[1])

    ledger = -balance(business=business, account="deferred_revenue", as_of=MAY[1])
    assert report["total"]["closing"] == report["total"]["ledger"] == ledger == MAY_CLOSING
    assert sum(b["closing"] for b in report["branches"]) == ledger


def test_monthly_periods_chain_opening_to_closing(chain):
    report = selectors.deferred_rollforward(business=chain.c.business, start=APRIL[0], end=MAY[1], by="month")

    april, may = report["periods"]
    assert (april["period"], april["opening"], april["closing"]) == ("2025-04", 0, APRIL_CLOSING)
    assert (may["period"], may["opening"], may["closing"]) == ("2025-05", APRIL_CLOSING, MAY_CLOSING)
    assert (may["breakage"], may["refunded"]) == (BREAKAGE, REFUND)


def test_the_api_contract_function_keeps_its_keys_and_takes_a_branch(chain):
    business = chain.c.business

    whole = selectors.deferred_revenue(business=business, start=MAY[0], end=MAY[1])
    mysuru = selectors.deferred_revenue(business=business, start=MAY[0], end=MAY[1], branch=chain.mys)

    assert whole == {"opening": APRIL_CLOSING, "sold": PEEL_TAXABLE, "recognized": 0, "breakage": BREAKAGE,
                     "refunded": REFUND, "closing": MAY_CLOSING}
    assert mysuru == {"opening": CLN_TAXABLE, "sold": 0, "recognized": 0, "breakage": 0, "refunded": REFUND,
                      "closing": CLN_TAXABLE - REFUND}


def test_an_entry_kind_the_report_does_not_know_shows_as_a_difference(chain):
    """A kind added to the ledger later (say a package transfer) must not vanish silently."""
    from glowpos.ledger.models import Account, JournalEntry, Posting

    business = chain.c.business
    entry = JournalEntry.objects.create(business=business, branch=chain.blr, date=MAY[1], kind="transfer",
                                        memo="A kind the roll-forward does not know")
    for code, amount in (("deferred_revenue", -5_000), ("cash", 5_000)):
        Posting.objects.create(entry=entry, account=Account.objects.get(business=business, code=code),
                               date=MAY[1], amount=amount)

    total = selectors.deferred_rollforward(business=business, start=MAY[0], end=MAY[1])["total"]

    assert (total["other"], total["difference"], total["ties"]) == (5_000, 5_000, False)


def test_the_roll_forward_groups_in_the_database(chain):
    """One GROUP BY over the postings (opening, movements and the ledger's balance from the same
    grouped rows) and the branches' names, whatever the history's size, not one per posting."""
    with CaptureQueriesContext(connection) as queries:
        selectors.deferred_rollforward(business=chain.c.business, start=APRIL[0], end=MAY[1], by="day")

    postings = [q["sql"] for q in queries.captured_queries if "ledger_posting" in q["sql"]]
    assert len(queries) <= 3 and len(postings) == 1
    assert "GROUP BY" in postings[0]


def test_revenue_vs_cash_explains_where_the_cash_went(chain):
    report = selectors.revenue_vs_cash(business=chain.c.business, start=APRIL[0], end=MAY[1], by="month")

    april, may = report["rows"]
    april_gst = 2 * (LHR_HALF_TAX + CLN_HALF_TAX + SUNSCREEN_HALF_TAX + CLEANUP_HALF_TAX)
    assert april == {
        "period": "2025-04", "label": "Apr 2025",
        "cash_collected": 2_400_000 + 500_000 + 215_000,  # UPI, cash, card
        "revenue_recognized": LASER_SESSION + SUNSCREEN_TAXABLE + CLEANUP_TAXABLE,
        "deferred_added": APRIL_CLOSING, "gst": april_gst, "other": 0,
    }
    assert april_gst == 475_172
    assert may == {
        "period": "2025-05", "label": "May 2025",
        "cash_collected": 1_200_000 - REFUND,  # Meera's ₹5,000 came in and went back out
        "revenue_recognized": BREAKAGE, "deferred_added": PEEL_TAXABLE - BREAKAGE - REFUND,
        "gst": 2 * PEEL_HALF_TAX, "other": 0,
    }
    for row in report["rows"]:
        assert row["cash_collected"] == (row["revenue_recognized"] + row["deferred_added"] + row["gst"]
                                         + row["other"])


def test_revenue_vs_cash_by_day_lists_every_day(chain):
    report = selectors.revenue_vs_cash(business=chain.c.business, start=APRIL[0], end=APRIL[1], by="day")

    assert len(report["rows"]) == 30
    fifth = next(r for r in report["rows"] if r["period"] == "2025-04-05")
    assert (fifth["cash_collected"], fifth["revenue_recognized"]) == (2_400_000, 0)
    assert report["total"]["cash_collected"] == 3_115_000


def test_trial_balance_balances_and_shows_hand_computed_accounts(chain):
    report = selectors.trial_balance(business=chain.c.business, start=MAY[0], end=MAY[1])

    rows = {r["code"]: r for r in report["rows"]}
    assert report["balanced"]
    assert rows["cash"]["opening"] == 500_000  # Anil's cleanup package, April
    assert (rows["cash"]["debit"], rows["cash"]["credit"]) == (500_000, 500_000 + REFUND)  # Meera in and out
    assert rows["upi"]["closing"] == 2_400_000 + 1_200_000
    assert rows["deferred_revenue"]["closing"] == -MAY_CLOSING
    assert rows["breakage_income"]["closing_credit"] == BREAKAGE
    assert report["total"]["debit"] == report["total"]["credit"]


def test_general_ledger_runs_the_balance_from_the_opening(chain):
    report = selectors.general_ledger(business=chain.c.business, account="deferred_revenue", start=MAY[0],
                                      end=MAY[1])

    assert report["opening"] == -APRIL_CLOSING
    balances = [r["balance"] for r in report["rows"]]
    assert balances == [
        -APRIL_CLOSING - PEEL_TAXABLE,
        -APRIL_CLOSING - PEEL_TAXABLE + BREAKAGE,
        -APRIL_CLOSING - PEEL_TAXABLE + BREAKAGE + REFUND,
        -APRIL_CLOSING - PEEL_TAXABLE + BREAKAGE + REFUND - CLN_TAXABLE,  # Meera's sale
        -MAY_CLOSING,                                                      # …and its void
    ]
    assert report["closing"] == -MAY_CLOSING
    assert (report["debit"], report["credit"]) == (BREAKAGE + REFUND + CLN_TAXABLE, PEEL_TAXABLE + CLN_TAXABLE)


def test_a_page_of_the_general_ledger_keeps_the_whole_periods_running_balance(chain):
    whole = selectors.general_ledger(business=chain.c.business, account="deferred_revenue", start=MAY[0],
                                     end=MAY[1])
    page = selectors.general_ledger(business=chain.c.business, account="deferred_revenue", start=MAY[0],
                                    end=MAY[1], limit=2, offset=2)

    assert [r["id"] for r in page["rows"]] == [r["id"] for r in whole["rows"][2:4]]
    assert [r["balance"] for r in page["rows"]] == [r["balance"] for r in whole["rows"][2:4]]
    assert (page["opening"], page["closing"], page["count"]) == (whole["opening"], whole["closing"], 5)


def test_the_ledger_screen_pages_earlier_and_later(chain, monkeypatch):
    from django.test import Client as HttpClient

    from glowpos.reports import views

    owner = HttpClient()
    owner.force_login(chain.c.owner.user)
    query = f"from={MAY[0]}&to={MAY[1]}&account=deferred_revenue"
    monkeypatch.setattr(views, "SCREEN_ROWS", 2)  # five postings: three pages
    first = owner.get(f"/reports/ledger/?{query}").content.decode()
    second = owner.get(f"/reports/ledger/?{query}&offset=2").content.decode()
    bad = owner.get(f"/reports/ledger/?{query}&offset=-1")
    assert "Postings 1–2 of 5" in first and "offset=2" in first and "Earlier" not in first
    assert "Opening balance" in first and "Brought forward" not in first
    assert "Postings 3–4 of 5" in second and "offset=0" in second and "offset=4" in second
    assert "Brought forward" in second
    assert bad.status_code == 422 and "offset" in bad.content.decode()


def test_the_general_ledger_file_streams_the_same_rows_and_totals_as_the_report(chain):
    """A file has every posting: streamed from a server-side cursor (a busy account's year is a
    million rows), its totals added up as the rows go by — the same figures as the report's."""
    whole = selectors.general_ledger(business=chain.c.business, account="deferred_revenue", start=MAY[0],
                                     end=MAY[1])
    streamed = selectors.general_ledger_stream(business=chain.c.business, account="deferred_revenue",
                                               start=MAY[0], end=MAY[1])
    assert not isinstance(streamed["rows"], list)
    rows = list(streamed["rows"])

    assert rows[0] == {"opening": -APRIL_CLOSING}
    assert [(r["id"], r["balance"], r["debit"], r["credit"]) for r in rows[1:]] == [
        (r["id"], r["balance"], r["debit"], r["credit"]) for r in whole["rows"]]
    for key in ("opening", "debit", "credit", "closing", "count"):
        assert streamed[key] == whole[key], key


def test_the_general_ledger_csv_download_is_streamed_and_ends_with_the_totals(chain):
    from django.test import Client as HttpClient

    def rupees(paise: int) -> str:
        return f"{'-' if paise < 0 else ''}{abs(paise) // 100}.{abs(paise) % 100:02d}"

    owner = HttpClient()
    owner.force_login(chain.c.owner.user)
    response = owner.get(f"/reports/ledger.csv?from={MAY[0]}&to={MAY[1]}&account=deferred_revenue")

    assert response.status_code == 200 and response.streaming
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Date,Entry,Kind,Document,Narration,Branch,Debit")
    assert "Opening balance" in lines[1] and len(lines) == 1 + 1 + 5 + 1  # header, opening, postings, total
    total = lines[-1].split(",")
    assert total[0] == "Total"
    assert total[-3:] == [rupees(BREAKAGE + REFUND + CLN_TAXABLE), rupees(PEEL_TAXABLE + CLN_TAXABLE),
                          rupees(-MAY_CLOSING)]


def test_a_manager_of_one_branch_sees_only_it(chain):
    report = selectors.deferred_rollforward(business=chain.c.business, start=APRIL[0], end=APRIL[1],
                                            branches=[chain.blr.id])

    assert [b["branch_code"] for b in report["branches"]] == ["BLR1"]
    assert report["total"]["closing"] == LHR_TAXABLE - LASER_SESSION


def test_another_business_never_appears(chain):
    from tests import factories

    other = factories.clinic()
    factories.sold_package(other, factories.client(other))

    report = selectors.deferred_rollforward(business=chain.c.business, start=date(2025, 1, 1), end=date.max,
                                            by=None)

    assert report["total"]["ledger"] == MAY_CLOSING


def test_the_roll_forward_reads_one_snapshot_outside_a_transaction(committed_db):
    """In production no transaction surrounds a report: on PostgreSQL the roll-forward opens a
    READ ONLY, REPEATABLE READ one of its own (on SQLite it reads as it is)."""
    from django.db import connection
    from django.utils import timezone

    from tests import factories

    c = factories.clinic()
    factories.sold_package(c, factories.client(c))
    today = timezone.localdate()

    assert not connection.in_atomic_block
    total = selectors.deferred_rollforward(business=c.business, start=today, end=today)["total"]

    assert total["ties"] and total["closing"] == 2_033_898
    assert not connection.in_atomic_block


def test_every_selector_takes_a_database_alias(chain):
    """So the reports can be pointed at a read replica (docs/decisions/0005)."""
    import inspect

    business = chain.c.business
    for name in ("deferred_revenue", "deferred_rollforward", "liability_by_package", "liability_by_client",
                 "expiring", "redemptions", "revenue_vs_cash", "gst_summary", "gstr1_lines", "document_series",
                 "trial_balance", "general_ledger", "journal_rows"):
        assert "using" in inspect.signature(getattr(selectors, name)).parameters, name
    assert selectors.deferred_rollforward(business=business, start=APRIL[0], end=MAY[1], using="default") == \
        selectors.deferred_rollforward(business=business, start=APRIL[0], end=MAY[1])


def test_the_overview_is_this_month_so_far(chain):
    page = selectors.overview(business=chain.c.business, on=APRIL[1])

    assert page["month"]["cash_collected"] == 3_115_000
    assert page["roll"]["closing"] == APRIL_CLOSING and page["roll"]["ties"]
    assert page["sessions"] == {"sessions": 1, "value": LASER_SESSION}
    assert [r["period"] for r in page["trend"]] == ["2024-11", "2024-12", "2025-01", "2025-02", "2025-03", "2025-04"]
