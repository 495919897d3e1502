"""The answers of the counter's writes are built from what the write has in hand (the close's
lines, redemptions and payments; the bill the line was added to), not read again: each must
be exactly what reading the bill afterwards gives. And a visit's statement count per request,
so a query added to the counter's path is a decision, not an accident."""
from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from glowpos.catalog.models import Service
from tests import factories

# Django issues these around a transaction; what is counted is the work.
_BRACKETS = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def _lines_added(api, bill_id: int, *lines: dict) -> None:
    for line in lines:
        response = api.post(f"/bills/{bill_id}/lines", line)
        assert response.status_code == 201, response.content
        assert response.json() == api.get(f"/bills/{bill_id}").json()


def test_a_visit_with_a_session_a_service_and_a_product_answers_what_the_bill_reads(clinic, api):
    priya = factories.client(clinic)
    package = factories.sold_package(clinic, priya)
    bill = api.post("/bills", {"client_id": priya.id}).json()
    assert bill == api.get(f"/bills/{bill['id']}").json()
    _lines_added(api, bill["id"], factories.redemption_line(package, clinic.service()),
                 factories.service_line(clinic.service("Skin cleanup")),
                 {"type": "product", "product_id": clinic.product().id, "quantity": 2})
    due = api.get(f"/bills/{bill['id']}").json()["amount_due"]

    response = factories.api_close(api, bill["id"], [{"method": "cash", "amount": due - 10_000},
                                                     {"method": "upi", "amount": 10_000}])

    assert response.status_code == 200, response.content
    answer = response.json()["bill"]
    assert answer == api.get(f"/bills/{bill['id']}").json()
    session = next(l for l in answer["lines"] if l["type"] == "redemption")
    assert session["package"] == {"id": package.id, "session": 1, "total": 6, "remaining_after": 5,
                                  "status": "posted"}
    assert "session 1 of 6, 5 remaining" in session["description"]
    assert (answer["status"], answer["paid"], answer["amount_due"]) == ("closed", due, 0)


def test_two_sessions_of_two_packages_on_one_close_answer_what_the_bill_reads(clinic, api):
    priya = factories.client(clinic)
    laser, peel = factories.sold_package(clinic, priya), factories.sold_package(clinic, priya, plan="PEEL-4")
    bill = api.post("/bills", {"client_id": priya.id}).json()
    _lines_added(api, bill["id"], factories.redemption_line(peel, factories.package_service(peel)),
                 factories.redemption_line(laser, clinic.service()))

    response = factories.api_close(api, bill["id"])

    assert response.status_code == 200, response.content
    assert response.json()["bill"] == api.get(f"/bills/{bill['id']}").json()
    assert [l["package"]["id"] for l in response.json()["bill"]["lines"]] == [peel.id, laser.id]


def test_a_close_paid_with_package_credit_answers_what_the_bill_reads(clinic, api):
    # The credit's bonus is a discount written during the close, after the lines were first
    # read: the answer must carry the discounted lines, and the session's caption posted on them.
    who = factories.client(clinic)
    factories.sold_package(clinic, who, plan="GLOW-12K", method="cash")
    laser = factories.sold_package(clinic, who)
    bill = api.post("/bills", {"client_id": who.id}).json()
    _lines_added(api, bill["id"], factories.service_line(clinic.service("Skin cleanup")),
                 factories.redemption_line(laser, clinic.service()))
    due = api.get(f"/bills/{bill['id']}").json()["amount_due"]

    response = factories.api_close(api, bill["id"], [{"method": "credit", "amount": due}])

    assert response.status_code == 200, response.content
    answer = response.json()["bill"]
    assert answer == api.get(f"/bills/{bill['id']}").json()
    assert answer["lines"][0]["discount"] > 0 and answer["total"] < due
    assert "session 1 of 6, 5 remaining" in answer["lines"][1]["description"]


def test_a_members_service_line_answers_its_member_price(clinic, api):
    who = factories.client(clinic)
    factories.sold_package(clinic, who, plan="GLOW-CLUB")
    bill = api.post("/bills", {"client_id": who.id}).json()
    service = clinic.service("Skin cleanup")

    response = api.post(f"/bills/{bill['id']}/lines", factories.service_line(service))

    assert response.status_code == 201, response.content
    assert response.json() == api.get(f"/bills/{bill['id']}").json()
    [line] = response.json()["lines"]
    assert line["discount"] > 0 and "(member GLOW-CLUB)" in line["description"]
    assert line["amount"] == Service.objects.get(id=service.id).price - line["discount"]


def test_a_visit_sends_these_statements_per_request(clinic, api):
    """Search, profile, open, redeem, close: the load benchmark's visit, the second time (the
    first of the year also creates the redemption notes' series). Counted without the
    transaction's BEGIN/COMMIT and savepoints, the same on both databases."""
    priya = factories.client(clinic, phone="98765 43210")
    package = factories.sold_package(clinic, priya)
    session = factories.redemption_line(package, clinic.service())

    def counted(call) -> tuple[int, dict]:
        with CaptureQueriesContext(connection) as queries:
            response = call()
        assert response.status_code in (200, 201), response.content
        return len([q for q in queries.captured_queries if not q["sql"].startswith(_BRACKETS)]), response.json()

    def visit() -> dict[str, int]:
        counts = {}
        counts["search"], _ = counted(lambda: api.get("/clients?q=3210"))
        counts["profile"], _ = counted(lambda: api.get(f"/clients/{priya.id}"))
        counts["open"], bill = counted(lambda: api.post("/bills", {"client_id": priya.id}))
        counts["redeem"], _ = counted(lambda: api.post(f"/bills/{bill['id']}/lines", session))
        counts["close"], _ = counted(lambda: factories.api_close(api, bill["id"]))
        return counts

    visit()
    assert visit() == {"search": 2, "profile": 3, "open": 3, "redeem": 9, "close": 18}
