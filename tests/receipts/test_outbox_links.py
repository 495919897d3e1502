"""The receipt link a message carries: unguessable, needs no login, shows only its own bill, and
a manager can revoke it for good (the document itself stays as issued)."""
from __future__ import annotations

import base64

import pytest
from django.test import Client as Browser

from glowpos.documents.models import Document
from glowpos.errors import Forbidden, NotFound
from glowpos.receipts.models import OutboxMessage, OutboxStatus, RevokedReceipt
from glowpos.receipts.services import revoke_receipt
from glowpos.receipts.worker import deliver_due
from tests import factories


def test_the_link_carries_at_least_128_random_bits(clinic):
    tokens = {factories.sold_package(clinic, factories.client(clinic)).sale_document.receipt_token
              for _ in range(3)}
    assert len(tokens) == 3
    for token in tokens:
        assert len(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))) * 8 >= 128


def test_the_link_needs_no_login_and_shows_nothing_of_other_bills(clinic):
    asha, bina = factories.client(clinic, name="Asha Rao"), factories.client(clinic, name="Bina Das")
    mine = factories.sold_package(clinic, asha).sale_document
    factories.redeem(clinic, factories.sold_package(clinic, asha))
    theirs = factories.sold_package(clinic, bina, plan="PEEL-4").sale_document

    page = Browser().get(f"/r/{mine.receipt_token}").content.decode()

    assert mine.number in page and "Asha Rao" in page
    later_bills = Document.objects.filter(client=asha).exclude(id=mine.id)
    for other in [theirs, *later_bills]:
        assert other.number not in page and other.receipt_token not in page
    assert "Bina Das" not in page and "Chemical peel" not in page


def test_a_revoked_link_shows_nothing_and_its_waiting_messages_are_not_sent(clinic, settings, tmp_path):
    settings.GLOWPOS_MESSAGING = {"sms": {"BACKEND": "file", "PATH": str(tmp_path)}}
    document = factories.sold_package(clinic, factories.client(clinic)).sale_document
    anonymous = Browser()
    assert anonymous.get(f"/r/{document.receipt_token}").status_code == 200

    manager = Browser()
    manager.force_login(clinic.manager.user)
    response = manager.post(f"/manage/outbox/receipts/{document.id}/revoke",
                            {"reason": "sent to a wrong number", "next": f"/bills/{document.bill_id}/receipt"})
    assert response.status_code == 302

    assert anonymous.get(f"/r/{document.receipt_token}").status_code == 404
    assert anonymous.get(f"/r/{document.receipt_token}.pdf").status_code == 404
    assert deliver_due() == {}
    message = OutboxMessage.objects.get(document=document)
    assert message.status == OutboxStatus.SKIPPED and "revoked" in message.last_error
    assert not (tmp_path / "sms.jsonl").exists()
    screen = manager.get(f"/bills/{document.bill_id}/receipt").content.decode()
    assert 'id="link-revoked"' in screen and "sent to a wrong number" in screen
    assert Document.objects.get(id=document.id).receipt_token == document.receipt_token  # never changed


def test_only_a_manager_revokes_and_only_in_her_own_business(clinic):
    document = factories.sold_package(clinic, factories.client(clinic)).sale_document
    with pytest.raises(Forbidden):
        revoke_receipt(document_id=document.id, reason="x", by=clinic.front_desk)
    desk = Browser()
    desk.force_login(clinic.front_desk.user)
    assert desk.post(f"/manage/outbox/receipts/{document.id}/revoke", {"reason": "x"}).status_code == 403
    other = factories.clinic()
    with pytest.raises(NotFound):
        revoke_receipt(document_id=document.id, reason="x", by=other.manager)
    assert not RevokedReceipt.objects.exists()
    assert Browser().get(f"/r/{document.receipt_token}").status_code == 200
