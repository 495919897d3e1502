"""The audit log: who did what, when, to which object — written by the service doing it, in
the same transaction (an action refused or rolled back leaves no event). One test per action."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from glowpos.audit.models import AuditEvent, AuditImmutable
from glowpos.audit.selectors import events
from glowpos.billing import services as billing
from glowpos.catalog.services import set_tax_rate
from glowpos.errors import DomainError
from glowpos.packages import services as packages
from glowpos.tenancy.services import update_settings
from tests import factories


def only_event(clinic, action: str) -> AuditEvent:
    found = list(AuditEvent.objects.filter(business=clinic.business, action=action))
    assert len(found) == 1, [(e.action, e.data) for e in AuditEvent.objects.filter(business=clinic.business)]
    return found[0]


def _service_bill(clinic, *, closed: bool, service: str = "Skin cleanup"):
    bill = factories.open_bill(clinic, factories.client(clinic), ("service", clinic.service(service)))
    return factories.close_paid(clinic, bill).bill if closed else bill


def test_voiding_a_closed_bill_is_recorded_with_the_reason_and_the_credit_note(clinic):
    bill = _service_bill(clinic, closed=True)
    before = timezone.now()

    billing.void_bill(bill_id=bill.id, reason="Entered twice", by=clinic.manager)

    event = only_event(clinic, "bill.void")
    assert (event.staff, event.object_type, event.object_id) == (clinic.manager, "bill", bill.id)
    assert event.data["reason"] == "Entered twice" and event.data["was"] == "closed"
    assert event.data["credit_note"] == bill.documents.get(kind="credit_note").number
    assert before <= event.at <= timezone.now()


def test_voiding_an_open_bill_is_recorded_too(clinic):
    bill = _service_bill(clinic, closed=False)
    billing.void_bill(bill_id=bill.id, reason="Client left", by=clinic.owner)
    event = only_event(clinic, "bill.void")
    assert (event.staff, event.data["was"], event.data["credit_note"]) == (clinic.owner, "open", None)


def test_a_line_discount_is_recorded_with_its_approver(clinic):
    bill = _service_bill(clinic, closed=False, service="HydraFacial")
    line = bill.lines.get()
    billing.discount_line(bill_id=bill.id, line_id=line.id, amount=line.amount // 2, by=clinic.front_desk,
                          approver=clinic.manager)
    event = only_event(clinic, "bill.discount")
    assert event.staff == clinic.front_desk and event.object_id == bill.id
    assert event.data == {"line_id": line.id, "amount": line.amount // 2, "approved_by": clinic.manager.id}


def test_a_bill_discount_is_recorded_and_no_discount_is_not(clinic):
    bill = _service_bill(clinic, closed=False)
    billing.discount_bill(bill_id=bill.id, amount=0, by=clinic.front_desk)
    assert not AuditEvent.objects.filter(business=clinic.business).exists()

    billing.discount_bill(bill_id=bill.id, amount=5000, by=clinic.front_desk)
    event = only_event(clinic, "bill.discount")
    assert event.data == {"line_id": None, "amount": 5000, "approved_by": None}


def test_a_refund_is_recorded(clinic):
    bill = _service_bill(clinic, closed=True)
    line = bill.lines.get()
    note = billing.refund_line(bill_id=bill.id, line_id=line.id, amount=20000, reason="Price correction",
                               method="upi", by=clinic.manager)
    event = only_event(clinic, "bill.refund")
    assert event.data == {"line_id": line.id, "amount": 20000, "method": "upi", "reason": "Price correction",
                          "credit_note": note.number}


@pytest.fixture
def package(clinic):
    return factories.sold_package(clinic, factories.client(clinic))


def test_freezing_and_unfreezing_are_recorded(clinic, package):
    packages.freeze_package(package_id=package.id, reason="Travelling", by=clinic.manager)
    packages.unfreeze_package(package_id=package.id, reason="Back", by=clinic.owner)
    freeze, unfreeze = only_event(clinic, "package.freeze"), only_event(clinic, "package.unfreeze")
    assert (freeze.staff, freeze.object_type, freeze.object_id, freeze.data) == (
        clinic.manager, "clientpackage", package.id, {"reason": "Travelling"})
    assert unfreeze.staff == clinic.owner and unfreeze.data["frozen_days"] == 0


def test_extending_is_recorded_with_both_dates(clinic, package):
    later = package.expires_on + timedelta(days=30)
    packages.extend_package(package_id=package.id, expires_on=later, reason="Goodwill", by=clinic.manager)
    event = only_event(clinic, "package.extend")
    assert event.data == {"reason": "Goodwill", "expires_on": [package.expires_on.isoformat(), later.isoformat()]}


def test_cancelling_is_recorded_with_the_refund(clinic, package):
    result = packages.cancel_package(package_id=package.id, reason="Moving away", method="cash", by=clinic.manager)
    event = only_event(clinic, "package.cancel")
    assert event.data["refund"] == result["refund"] and event.data["fee"] == result["fee"]
    assert event.data["credit_note"] == result["credit_note"].number and event.data["method"] == "cash"


def test_cancelling_a_value_package_is_recorded(clinic):
    credit = factories.sold_package(clinic, factories.client(clinic), plan="GLOW-12K", method="cash")
    result = packages.cancel_package(package_id=credit.id, reason="Moving away", method="upi", by=clinic.manager)
    assert only_event(clinic, "package.cancel").data["refund"] == result["refund"]


def test_a_transfer_is_recorded(clinic, package):
    sister = factories.client(clinic, name="Sister")
    new = packages.transfer_package(package_id=package.id, to_client_id=sister.id, reason="Gift", by=clinic.manager)
    event = only_event(clinic, "package.transfer")
    assert event.data == {"reason": "Gift", "from_client": package.client_id, "to_client": sister.id,
                          "new_package": new.id}


def test_an_interval_override_is_recorded_against_the_approving_manager(clinic, package):
    laser = clinic.service()
    laser.min_interval_days = 28
    laser.save()
    factories.redeem(clinic, package)
    bill = factories.open_bill(clinic, package.client)
    packages.apply_package(bill_id=bill.id, package_id=package.id, service_id=laser.id, by=clinic.front_desk,
                           approver=clinic.manager, override_reason="Wedding on Saturday")
    event = only_event(clinic, "package.interval_override")
    assert event.staff == clinic.manager and event.object_id == package.id
    assert event.data["reason"] == "Wedding on Saturday" and event.data["at_counter"] == clinic.front_desk.id


def test_a_settings_change_is_recorded_with_before_and_after(clinic):
    update_settings(by=clinic.owner, discount_limit_bp=1500, round_off_to_rupee=False)
    event = only_event(clinic, "settings.change")
    assert event.data == {"discount_limit_bp": [1000, 1500]}  # round-off was already off: not a change
    update_settings(by=clinic.owner, discount_limit_bp=1500)
    assert AuditEvent.objects.filter(action="settings.change").count() == 1  # nothing changed, nothing recorded


def test_a_tax_rate_change_is_recorded_with_the_rate_it_replaces(clinic):
    from glowpos.catalog.selectors import rate_on

    tomorrow = timezone.localdate() + timedelta(days=1)
    in_force = rate_on(business=clinic.business, code="999722", on=tomorrow).rate_bp
    rate = set_tax_rate(by=clinic.owner, code="999722", rate_bp=in_force + 100, effective_from=tomorrow)
    event = only_event(clinic, "tax_rate.set")
    assert (event.object_type, event.object_id) == ("taxrate", rate.id)
    assert event.data["rate_bp"] == in_force + 100 and event.data["before"]["rate_bp"] == in_force
    assert rate_on(business=clinic.business, code="999722", on=tomorrow).rate_bp == in_force + 100


def test_revoking_a_receipt_link_is_recorded_once(clinic):
    from glowpos.receipts.services import revoke_receipt

    document = _service_bill(clinic, closed=True).documents.get()
    revoke_receipt(document_id=document.id, reason="Sent to the wrong number", by=clinic.manager)
    revoke_receipt(document_id=document.id, reason="Again", by=clinic.owner)  # already revoked: nothing new
    event = only_event(clinic, "receipt.revoke")
    assert (event.staff, event.object_type, event.object_id) == (clinic.manager, "document", document.id)
    assert event.data == {"number": document.number, "reason": "Sent to the wrong number"}


def test_a_change_of_the_receipt_wording_is_recorded_with_before_and_after(clinic):
    from glowpos.receipts.services import save_template

    save_template(by=clinic.manager, channel="sms", body="Receipt {number}: {link}")
    save_template(by=clinic.owner, channel="sms", body="Your receipt {number}: {link}")
    save_template(by=clinic.owner, channel="sms", body="Your receipt {number}: {link}")  # the same: not a change
    first, second = AuditEvent.objects.filter(business=clinic.business, action="message_template.change")
    assert first.staff == clinic.manager and first.data["body"] == [None, "Receipt {number}: {link}"]
    assert second.staff == clinic.owner
    assert second.data == {"channel": "sms", "body": ["Receipt {number}: {link}", "Your receipt {number}: {link}"]}


def test_an_import_is_recorded_with_its_opening_balance(clinic):
    from glowpos.onboarding.services import commit_import
    from tests.onboarding.sheets import csv_bytes

    data = csv_bytes([["Asha Rao", "9700000009", "", "", "", "", "", "", "", ""]])
    batch = commit_import(by=clinic.manager, data=data, filename="clients.csv").batch
    commit_import(by=clinic.manager, data=data, filename="clients (1).csv")  # the same file: nothing imported
    event = only_event(clinic, "import.commit")
    assert (event.staff, event.object_type, event.object_id) == (clinic.manager, "importbatch", batch.id)
    assert event.data == {"filename": "clients.csv", "rows": 1, "branch": "BLR1", "opening_total": 0}


def test_a_refused_action_leaves_no_event(clinic, package):
    bill = factories.open_bill(clinic, package.client, ("redemption", package))  # a session held
    with pytest.raises(DomainError):
        packages.cancel_package(package_id=package.id, reason="x", method="cash", by=clinic.manager)
    closed = _service_bill(clinic, closed=True)
    billing.refund_line(bill_id=closed.id, line_id=closed.lines.get().id, amount=100, reason="x", method="cash",
                        by=clinic.manager)
    with pytest.raises(DomainError):  # partly refunded: not voidable
        billing.void_bill(bill_id=closed.id, reason="x", by=clinic.manager)
    assert list(AuditEvent.objects.filter(business=clinic.business).values_list("action", flat=True)) == [
        "bill.refund"]
    assert bill.lines.count() == 1


def test_an_event_is_never_changed_or_deleted(clinic):
    update_settings(by=clinic.owner, round_off_to_rupee=True)
    event = only_event(clinic, "settings.change")
    with pytest.raises(AuditImmutable):
        event.save()
    with pytest.raises(AuditImmutable):
        event.delete()


def _armed_on_sqlite() -> None:
    """On SQLite the delete triggers stand down only while glowpos_purge_guard says so (the flush
    after a transactional test); arm them for this test (its transaction rolls this back)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("UPDATE glowpos_purge_guard SET allowed = 0")


def _refused_by_the_database(sql: str, params: list) -> None:
    with pytest.raises(DatabaseError, match="immutable"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_the_database_refuses_to_change_or_delete_an_event_whoever_asks(clinic):
    """Triggers (audit/0002, ADR 0004): raw SQL and querysets, which skip the model, are refused
    by the database itself — on SQLite and on PostgreSQL alike."""
    _armed_on_sqlite()
    update_settings(by=clinic.owner, round_off_to_rupee=True)
    event = only_event(clinic, "settings.change")
    table = AuditEvent._meta.db_table

    _refused_by_the_database(f"UPDATE {table} SET action = 'nothing.happened' WHERE id = %s", [event.id])
    _refused_by_the_database(f"UPDATE {table} SET staff_id = NULL, at = %s WHERE id = %s",
                             [timezone.now() - timedelta(days=400), event.id])
    _refused_by_the_database(f"DELETE FROM {table} WHERE id = %s", [event.id])
    _refused_by_the_database(f"DELETE FROM {table}", [])
    with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
        AuditEvent.objects.filter(id=event.id).update(data={})  # a queryset update skips Model.save()
    with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
        AuditEvent.objects.filter(id=event.id)._raw_delete(using="default")  # no Model.delete(), no signals

    kept = AuditEvent.objects.get(id=event.id)
    assert (kept.action, kept.staff_id, kept.at, kept.data) == (event.action, event.staff_id, event.at, event.data)


def test_the_database_still_takes_new_events(clinic):
    """Append-only, not frozen: inserting is what the log is for."""
    _armed_on_sqlite()
    update_settings(by=clinic.owner, round_off_to_rupee=True)
    update_settings(by=clinic.owner, round_off_to_rupee=False)
    assert AuditEvent.objects.filter(business=clinic.business, action="settings.change").count() == 2


def test_the_log_reads_newest_first_per_object(clinic, package):
    packages.freeze_package(package_id=package.id, reason="a", by=clinic.manager)
    packages.unfreeze_package(package_id=package.id, reason="b", by=clinic.manager)
    found = events(business=clinic.business, object_type="clientpackage", object_id=package.id)
    assert [e.action for e in found] == ["package.unfreeze", "package.freeze"]


def test_managers_read_the_log_over_the_api_and_the_front_desk_may_not(clinic, package):
    from tests.api.expect import refused

    packages.freeze_package(package_id=package.id, reason="Travelling", by=clinic.manager)
    rows = factories.api_client(clinic.owner).get(
        f"/audit-events?object_type=clientpackage&object_id={package.id}").json()
    assert [(r["action"], r["by"], r["data"]) for r in rows] == [
        ("package.freeze", clinic.manager.user.username, {"reason": "Travelling"})]
    refused(factories.api_client(clinic.front_desk).get("/audit-events"), 403, "forbidden")
    other = factories.clinic()
    assert factories.api_client(other.owner).get(f"/audit-events?object_id={package.id}").json() == []
