"""New rows of the counter's inserted models are made by InsertsReused.__init__, not
Model.__init__'s general path (ADR 0014). What must hold: the instance is what Model.__init__
makes of the same keyword arguments — every attribute, its related objects cached, its state
(adding, database) — it refuses what Model.__init__ refuses with the same error, and a
pre_init/post_init receiver, should one be connected, sees every instance as always."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from django.db.models import Model
from django.db.models.signals import post_init

from glowpos.billing.models import Bill, BillLine, Payment
from glowpos.documents.models import Document
from glowpos.ledger.models import Account, JournalEntry, Posting
from glowpos.packages.models import PackageEvent, Redemption
from glowpos.receipts.models import OutboxMessage
from tests import factories

AT = datetime(2026, 11, 26, 10, 30, tzinfo=timezone.utc)


def _djangos(cls, **kwargs) -> Model:
    """The same arguments through Model.__init__ itself."""
    instance = cls.__new__(cls)
    Model.__init__(instance, **kwargs)
    return instance


def _seen(instance: Model) -> dict:
    """Everything an instance holds: its attributes, and its state's adding, database and
    cached related objects (compared by identity)."""
    state = instance._state
    return {**{k: v for k, v in vars(instance).items() if k != "_state"}, "_adding": state.adding,
            "_db": state.db, "_cache": {k: id(v) for k, v in state.fields_cache.items()}}


@pytest.fixture
def scene(clinic):
    priya = factories.client(clinic, name="Priya")
    package = factories.sold_package(clinic, priya)
    bill = factories.open_bill(clinic, priya, ("redemption", package), ("service", clinic.service("Skin cleanup")))
    entry = JournalEntry.objects.filter(business=clinic.business).first()
    return clinic, priya, package, bill, entry


def _cases(scene):
    c, priya, package, bill, entry = scene
    line = bill.lines.first()
    account = Account.objects.filter(business=c.business).first()
    document = Document.objects.filter(business=c.business).first()
    return [
        (Payment, dict(bill=bill, method="upi", amount=125_00)),
        (Payment, dict(bill_id=bill.id, method="cash", amount=1)),
        (Payment, dict(bill=bill, bill_id=bill.id, amount=1)),  # the id given too: set after the object
        (Posting, dict(entry=entry, account_id=account.id, date=date(2026, 11, 26), amount=-500)),
        (Posting, dict(entry_id=entry.id, account=account, date=date(2026, 11, 26), amount=500)),
        (Bill, dict(business=c.business, branch=None, client=priya, opened_by=c.front_desk, opened_at=AT)),
        (BillLine, dict(bill=bill, type="service", description="Skin cleanup", service=c.service("Skin cleanup"),
                        quantity=2, unit_price=150_000, amount=300_000)),
        (PackageEvent, dict(package=package, kind="held", at=AT, by=c.front_desk, data={"bill": bill.id})),
        (JournalEntry, dict(business=c.business, branch=bill.branch, date=date(2026, 11, 26), kind="redemption",
                            memo="m", document=document, reverses=None, created_at=AT, created_by=c.front_desk)),
        (OutboxMessage, dict(business=c.business, document=document, channel="sms", to="+919800000001",
                             created_at=AT, next_attempt_at=AT, dedupe_key="k")),
        (Redemption, dict(business=c.business, entitlement_id=1, bill=bill, line=line, status="pending",
                          session_number=1, held_at=AT, by=c.front_desk)),
    ]


def test_a_new_row_is_the_instance_model_init_makes(scene):
    for cls, kwargs in _cases(scene):
        ours, theirs = cls(**kwargs), _djangos(cls, **kwargs)
        assert _seen(ours) == _seen(theirs), cls.__name__


def test_a_one_to_one_given_as_an_object_is_cached_on_both_sides(scene):
    line = scene[3].lines.first()
    redemption = Redemption(bill=scene[3], line=line, status="pending")

    assert redemption.line is line and line.redemption is redemption


def test_fields_left_out_take_their_defaults_and_callable_defaults_are_called_per_row(scene):
    c, priya, package = scene[0], scene[1], scene[2]
    bill = Bill(business=c.business, client=priya, opened_by=c.front_desk)
    assert bill.status == "open" and bill.idempotency_key is None and bill.void_reason == "" and bill.branch_id is None

    first, second = (PackageEvent(package=package, kind="held") for _ in range(2))
    assert first.data == {} and first.data is not second.data  # default=dict: a new dict for each
    message = OutboxMessage(business=c.business, channel="sms", to="x", dedupe_key="k")
    assert message.attempts == 0 and message.status == "pending" and message.document_id is None
    assert message.next_attempt_at is not None  # default=timezone.now, called


def test_it_refuses_what_model_init_refuses_with_the_same_error(scene):
    priya, bill = scene[1], scene[3]

    for cls, kwargs, error in [
        (Payment, dict(bill=bill, amout=1), TypeError),           # a misspelt field
        (Payment, dict(bill=bill, amount=1, kind="x"), TypeError),  # not a field of this model
        (Payment, dict(bill=priya, amount=1), ValueError),        # an object of the wrong model
    ]:
        with pytest.raises(error) as ours:
            cls(**kwargs)
        with pytest.raises(error) as theirs:
            _djangos(cls, **kwargs)
        assert str(ours.value) == str(theirs.value)


def test_positional_arguments_and_a_connected_receiver_go_through_model_init(scene):
    bill = scene[3]
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance)

    post_init.connect(receiver, sender=Payment)
    try:
        payment = Payment(bill=bill, method="upi", amount=1)
    finally:
        post_init.disconnect(receiver, sender=Payment)
    assert seen == [payment]

    values = [getattr(payment, f.attname) for f in Payment._meta.concrete_fields]
    assert _seen(Payment(*values)) == _seen(_djangos(Payment, **{f.attname: v for f, v in
                                                                 zip(Payment._meta.concrete_fields, values)}))


def test_rows_made_so_save_and_read_back_as_given(scene):
    bill = scene[3]
    payment = Payment(bill=bill, method="upi", amount=777, received_at=AT)
    payment.save()

    assert Payment.objects.get(id=payment.id).amount == 777 and payment._state.adding is False
