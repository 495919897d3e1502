"""Receipts that reach the client: closing a bill queues them in the same transaction, the worker
sends them through real protocols to fakes at the edge (an HTTP gateway, an SMTP server),
failures are retried with backoff and then shown as failed with a retry, and consent is kept."""
from __future__ import annotations

import email
import time
from datetime import timedelta
from email import policy

import pytest
from django.core.management import call_command
from django.test import Client as Browser
from django.utils import timezone

from glowpos.billing import services as billing
from glowpos.clients.models import Client
from glowpos.errors import ValidationFailed
from glowpos.receipts.models import OutboxMessage, OutboxStatus
from glowpos.receipts.services import enqueue_receipt, retry_message, save_template
from glowpos.receipts.worker import deliver_due
from tests import factories
from tests.receipts.fakes import FakeGateway, SmtpServer


@pytest.fixture
def gateway(settings):
    fake = FakeGateway()
    settings.GLOWPOS_MESSAGING = {"sms": fake.config(), "whatsapp": fake.config(), "email": {"BACKEND": "django"}}
    settings.GLOWPOS_PUBLIC_URL = "https://glow.example"
    yield fake
    fake.stop()


def messages_of(document) -> dict[str, OutboxMessage]:
    return {m.channel: m for m in OutboxMessage.objects.filter(document=document)}


def later(seconds: float):
    return timezone.now() + timedelta(seconds=seconds)


def test_closing_a_bill_queues_the_receipt_on_every_channel_she_agreed_to(clinic):
    asha = factories.client(clinic, name="Asha")
    Client.objects.filter(id=asha.id).update(email="asha@example.in", whatsapp_opt_in=True)
    bina = factories.client(clinic, name="Bina")
    Client.objects.filter(id=bina.id).update(sms_opt_out=True)
    chitra = factories.client(clinic, name="Chitra")

    queued = {who.name: set(messages_of(factories.sold_package(clinic, who).sale_document))
              for who in (Client.objects.get(id=asha.id), Client.objects.get(id=bina.id), chitra)}

    # SMS and email are transactional receipts: sent unless she opted out. WhatsApp: only if she opted in.
    assert queued == {"Asha": {"sms", "email", "whatsapp"}, "Bina": set(), "Chitra": {"sms"}}
    message = messages_of(factories.sold_package(clinic, chitra).sale_document)["sms"]
    assert (message.status, message.to, message.attempts, message.requested) == ("pending", chitra.phone, 0, False)


def test_the_worker_sends_the_sms_with_the_sessions_left_and_the_link(clinic, gateway):
    priya = factories.client(clinic, name="Priya Sharma", phone="9876543210")
    package = factories.sold_package(clinic, priya)
    closed = factories.redeem(clinic, package)

    assert deliver_due()["sent"] == 2  # the sale's receipt and the visit's

    message = messages_of(closed.document)["sms"]
    assert message.status == OutboxStatus.SENT and message.provider_id.startswith("msg-")
    sent = [r for r in gateway.requests if r["headers"]["Idempotency-Key"] == message.dedupe_key]
    assert len(sent) == 1
    body = sent[0]["body"]
    assert body["to"] == "+919876543210" and body["channel"] == "sms" and body["sender"] == "GLOWPS"
    assert closed.document.number in body["text"]
    assert "LHR-6 5 of 6 left till" in body["text"]
    assert f"https://glow.example/r/{closed.document.receipt_token}" in body["text"]
    assert "₹" not in body["text"] and message.body == body["text"]


def test_whatsapp_goes_to_a_client_who_opted_in_through_its_own_provider(clinic, gateway, settings):
    whatsapp = FakeGateway()
    settings.GLOWPOS_MESSAGING = {**settings.GLOWPOS_MESSAGING, "whatsapp": whatsapp.config()}
    try:
        who = factories.client(clinic, name="Kavya Reddy")
        Client.objects.filter(id=who.id).update(whatsapp_opt_in=True)
        document = factories.sold_package(clinic, Client.objects.get(id=who.id)).sale_document
        assert deliver_due() == {"sent": 2}
    finally:
        whatsapp.stop()
    [sms], [message] = gateway.requests, whatsapp.requests
    assert sms["body"]["channel"] == "sms" and message["body"]["channel"] == "whatsapp"
    assert message["body"]["text"].startswith("Hello Kavya Reddy, thank you for visiting")
    assert "• Laser hair reduction: 6 of 6 sessions left" in message["body"]["text"]
    assert message["headers"]["Idempotency-Key"] == f"receipt:{document.id}:whatsapp"


def test_email_goes_through_a_real_smtp_server_with_the_pdf(clinic, settings):
    smtp = SmtpServer()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp.port
    settings.GLOWPOS_MESSAGING = {"sms": {"BACKEND": "file"}, "email": {"BACKEND": "django"}}
    settings.GLOWPOS_EMAIL_ATTACH_PDF = True
    try:
        meera = factories.client(clinic, name="Meera Nair")
        Client.objects.filter(id=meera.id).update(email="meera@example.in", sms_opt_out=True)
        document = factories.sold_package(clinic, Client.objects.get(id=meera.id)).sale_document

        assert deliver_due() == {"sent": 1}
    finally:
        smtp.stop()
    [received] = smtp.messages
    assert received["to"] == ["meera@example.in"]
    mail = email.message_from_bytes(received["data"], policy=policy.default)
    assert mail["Subject"] == f"Your receipt {document.number} from {clinic.business.name}"
    assert mail["Message-ID"] == f"<receipt.{document.id}.email@glowpos>"
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert "Dear Meera Nair" in text and "Laser hair reduction: 6 of 6 sessions left" in text
    assert document.receipt_token in text
    [pdf] = [part for part in mail.iter_attachments()]
    assert pdf.get_content_type() == "application/pdf" and pdf.get_content().startswith(b"%PDF-")
    assert messages_of(document)["email"].status == OutboxStatus.SENT


def test_a_refused_address_fails_at_once_and_a_dead_server_is_retried(clinic, settings):
    smtp = SmtpServer(refuse={"nobody@example.in"})
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp.port
    settings.GLOWPOS_MESSAGING = {"email": {"BACKEND": "django"}}
    settings.GLOWPOS_EMAIL_ATTACH_PDF = False
    who = factories.client(clinic)
    Client.objects.filter(id=who.id).update(email="nobody@example.in", sms_opt_out=True)
    try:
        refused = factories.sold_package(clinic, Client.objects.get(id=who.id)).sale_document
        assert deliver_due() == {"failed": 1}
    finally:
        smtp.stop()
    message = messages_of(refused)["email"]
    assert message.attempts == 1 and "550" in message.last_error

    Client.objects.filter(id=who.id).update(email="someone@example.in")
    down = factories.sold_package(clinic, Client.objects.get(id=who.id)).sale_document  # the server is gone now
    assert deliver_due() == {"pending": 1}
    message = messages_of(down)["email"]
    assert message.status == OutboxStatus.PENDING and "mail server" in message.last_error


def test_failures_are_retried_with_growing_waits_then_shown_as_failed(clinic, gateway, settings):
    settings.GLOWPOS_OUTBOX_MAX_ATTEMPTS = 4
    settings.GLOWPOS_OUTBOX_BACKOFF_SECONDS = 30
    gateway.fail_first = 100
    document = factories.sold_package(clinic, factories.client(clinic)).sale_document
    message = messages_of(document)["sms"]

    now = timezone.now()
    waits = []
    for attempt in range(1, 4):
        assert deliver_due(now=now) == {"pending": 1}
        message.refresh_from_db()
        assert message.attempts == attempt and message.last_error.startswith("HTTP 503")
        waits.append((message.next_attempt_at - now).total_seconds())
        assert deliver_due(now=message.next_attempt_at - timedelta(seconds=1)) == {}  # not before its time
        now = message.next_attempt_at
    assert waits == [30, 60, 120]
    assert deliver_due(now=now) == {"failed": 1}
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.FAILED, 4)
    assert deliver_due(now=later(10_000)) == {}  # failed stays failed until someone retries

    # Visible: the receipt screen and the manager's outbox say so and offer a retry.
    desk = Browser()
    desk.force_login(clinic.front_desk.user)
    page = desk.get(f"/bills/{document.bill_id}/receipt").content.decode()
    assert 'class="badge failed">Failed' in page and "HTTP 503" in page
    assert f'action="/manage/outbox/{message.id}/retry"' in page
    manager = Browser()
    manager.force_login(clinic.manager.user)
    outbox = manager.get("/manage/outbox/?status=failed").content.decode()
    assert f'id="message-{message.id}"' in outbox and "Retry" in outbox

    gateway.fail_first = 0
    response = desk.post(f"/manage/outbox/{message.id}/retry", {"next": f"/bills/{document.bill_id}/receipt"})
    assert response.status_code == 302 and response["Location"] == f"/bills/{document.bill_id}/receipt"
    assert deliver_due() == {"sent": 1}
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT and message.attempts == 1
    with pytest.raises(ValidationFailed):
        retry_message(message_id=message.id, by=clinic.front_desk)


def test_a_number_the_provider_refuses_fails_without_retries(clinic, gateway):
    who = factories.client(clinic, phone="9876500099")
    gateway.refuse = {"+919876500099"}
    document = factories.sold_package(clinic, who).sale_document
    assert deliver_due() == {"failed": 1}
    message = messages_of(document)["sms"]
    assert message.attempts == 1 and message.last_error.startswith("HTTP 400")


def test_an_opt_out_after_queueing_is_respected_but_a_counter_request_is_sent(clinic, gateway):
    who = factories.client(clinic)
    document = factories.sold_package(clinic, who).sale_document
    Client.objects.filter(id=who.id).update(sms_opt_out=True)

    assert deliver_due() == {"skipped": 1}
    assert gateway.requests == []
    assert "has not agreed to SMS" in messages_of(document)["sms"].last_error

    asked = enqueue_receipt(document=document, channel="sms")  # she asks for it at the counter
    assert asked.requested and asked.dedupe_key == f"receipt:{document.id}:sms:2"
    assert deliver_due() == {"sent": 1}


def test_a_resend_from_the_counter_is_a_new_message_but_a_double_click_is_not(clinic, gateway):
    document = factories.sold_package(clinic, factories.client(clinic)).sale_document
    waiting = enqueue_receipt(document=document, channel="sms")
    assert waiting == messages_of(document)["sms"]  # still waiting: the same message
    deliver_due()
    again = enqueue_receipt(document=document, channel="sms")
    assert again.id != waiting.id and enqueue_receipt(document=document, channel="sms") == again
    deliver_due()
    assert len(gateway.delivered) == 2


def test_sending_never_blocks_or_fails_the_close(clinic, gateway):
    gateway.hold_seconds = 30  # a provider that would hang
    who = factories.client(clinic)
    started = time.monotonic()
    package = factories.sold_package(clinic, who)
    factories.redeem(clinic, package)
    assert time.monotonic() - started < 10
    assert gateway.requests == []  # closing never talks to the provider
    assert OutboxMessage.objects.filter(document__client=who, status=OutboxStatus.PENDING).count() == 2


def test_the_business_wording_is_used_and_checked(clinic, gateway):
    with pytest.raises(ValidationFailed, match=r"unknown placeholder \{amount\}"):
        save_template(by=clinic.manager, channel="sms", body="Paid {amount}")
    save_template(by=clinic.manager, channel="sms", body="{client}, thank you! {sessions}{link}",
                  provider_template_id="1107160000000012345")
    save_template(by=clinic.manager, channel="whatsapp", body="Hi {client}", send_on_close=False)
    who = factories.client(clinic, name="Tara")
    Client.objects.filter(id=who.id).update(whatsapp_opt_in=True)
    document = factories.sold_package(clinic, Client.objects.get(id=who.id)).sale_document

    assert set(messages_of(document)) == {"sms"}  # WhatsApp is not sent on close any more
    deliver_due()
    [request] = gateway.requests
    assert request["body"]["text"].startswith("Tara, thank you! LHR-6 6 of 6 left till")
    assert request["body"]["template_id"] == "1107160000000012345"


def test_the_worker_command_sends_what_is_due(clinic, gateway, capsys):
    factories.sold_package(clinic, factories.client(clinic))
    call_command("worker", "--once")
    assert "1 sent" in capsys.readouterr().out
    assert len(gateway.delivered) == 1


def test_the_file_backend_keeps_every_message_by_default(clinic, settings, tmp_path):
    settings.GLOWPOS_MESSAGING = {"sms": {"BACKEND": "file", "PATH": str(tmp_path)}}
    document = factories.sold_package(clinic, factories.client(clinic)).sale_document
    assert deliver_due() == {"sent": 1}
    line = (tmp_path / "sms.jsonl").read_text().strip()
    assert document.number in line and f'"dedupe_key": "receipt:{document.id}:sms"' in line


def test_only_managers_see_the_outbox_and_change_the_wording(clinic):
    desk = Browser()
    desk.force_login(clinic.front_desk.user)
    assert desk.get("/manage/outbox/").status_code == 403
    assert desk.post("/manage/outbox/wording/", {"channel": "sms", "body": "x"}).status_code == 403
    manager = Browser()
    manager.force_login(clinic.manager.user)
    page = manager.get("/manage/outbox/wording/").content.decode()
    assert "{business}: receipt {number} for {total}." in page
    response = manager.post("/manage/outbox/wording/", {"channel": "sms", "body": "Thanks {nmae}"})
    assert response.status_code == 422 and "unknown placeholder {nmae}" in response.content.decode()


def test_a_close_that_is_refused_queues_nothing(clinic):
    who = factories.client(clinic)
    bill = factories.open_bill(clinic, who, ("service", clinic.service("HydraFacial")))
    with pytest.raises(Exception):
        billing.close_bill(bill_id=bill.id, payments=[{"method": "cash", "amount": 1}], idempotency_key="k",
                           by=clinic.front_desk)
    assert not OutboxMessage.objects.filter(business=clinic.business).exists()
