"""How a message leaves GlowPOS: one backend per channel, chosen in settings.GLOWPOS_MESSAGING.

    file     one JSON line per message in VAR_DIR/outbox/<channel>.jsonl (the default: the demo
             and a clinic without a provider lose nothing and send nothing)
    console  printed on the worker's standard output
    http     a JSON POST to an SMS/WhatsApp gateway (HttpJsonBackend); retried on 5xx/429/timeouts
    django   email through Django's mail (settings.EMAIL_BACKEND: SMTP when EMAIL_HOST is set)
    a dotted path to a class taking the channel's settings dict, for any other provider.

A backend's send() returns the provider's message id, or raises TemporaryFailure (try again
later) or PermanentFailure (do not: a bad number, a refused address). Every attempt of one
message carries the same dedupe key (Idempotency-Key header, email Message-ID), so a provider
that honours it drops the copy a crashed worker's retry sends.
"""
from __future__ import annotations

import json
import smtplib
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timezone as dt_timezone
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils.module_loading import import_string


class TemporaryFailure(Exception):
    """Worth another attempt later (the provider is down, slow or busy)."""


class PermanentFailure(Exception):
    """Another attempt would fail the same way (a refused number or address, a bad request)."""


@dataclass(frozen=True)
class Outgoing:
    channel: str
    to: str
    subject: str
    body: str
    dedupe_key: str
    provider_template_id: str = ""
    attachments: tuple[tuple[str, bytes, str], ...] = ()  # (filename, content, mimetype)


class Backend(Protocol):
    def send(self, message: Outgoing) -> str: ...


class FileBackend:
    def __init__(self, config: dict):
        self.path = Path(config.get("PATH") or Path(settings.VAR_DIR) / "outbox") / f"{config['CHANNEL']}.jsonl"

    def send(self, message: Outgoing) -> str:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        record = {"at": datetime.now(dt_timezone.utc).isoformat(), "channel": message.channel, "to": message.to,
                  "subject": message.subject, "body": message.body, "dedupe_key": message.dedupe_key,
                  "attachments": [name for name, _, _ in message.attachments]}
        with self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        return f"file:{message.dedupe_key}"


class ConsoleBackend:
    def __init__(self, config: dict):
        pass

    def send(self, message: Outgoing) -> str:
        print(f"[{message.channel} to {message.to}] {message.subject + ' — ' if message.subject else ''}"
              f"{message.body}", flush=True)
        return f"console:{message.dedupe_key}"


class HttpJsonBackend:
    """A gateway that takes `POST {URL}` with JSON {channel, to, text, sender, template_id,
    reference}, a bearer token, and an Idempotency-Key header; answers 2xx with {"id": ...}.
    Most Indian SMS and WhatsApp gateways fit this shape or need only a thin subclass."""

    def __init__(self, config: dict):
        self.url = config.get("URL") or ""
        self.token = config.get("TOKEN") or ""
        self.sender = config.get("SENDER") or ""
        self.timeout = int(config.get("TIMEOUT") or 10)  # whole seconds

    def send(self, message: Outgoing) -> str:
        if not self.url:
            raise PermanentFailure(f"No URL configured for the {message.channel} provider.")
        payload = {"channel": message.channel, "to": message.to, "text": message.body, "sender": self.sender,
                   "template_id": message.provider_template_id, "reference": message.dedupe_key}
        headers = {"Content-Type": "application/json", "Accept": "application/json",
                   "Idempotency-Key": message.dedupe_key}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.url, data=json.dumps(payload).encode(), headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = response.read(64_000)
        except urllib.error.HTTPError as error:
            detail = f"HTTP {error.code}: {error.read(300).decode('utf-8', 'replace')}".strip()
            if error.code in (408, 425, 429) or error.code >= 500:
                raise TemporaryFailure(detail) from None
            raise PermanentFailure(detail) from None
        except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError) as error:
            raise TemporaryFailure(f"{message.channel} provider unreachable: {getattr(error, 'reason', error)}") from None
        try:
            return str(json.loads(answer or b"{}").get("id") or "")
        except (ValueError, AttributeError):
            return ""


class DjangoEmailBackend:
    """Email through django.core.mail: SMTP in production (EMAIL_HOST and friends)."""

    def __init__(self, config: dict):
        self.from_email = config.get("FROM") or settings.DEFAULT_FROM_EMAIL

    def send(self, message: Outgoing) -> str:
        message_id = f"<{message.dedupe_key.replace(':', '.')}@glowpos>"
        email = EmailMessage(subject=message.subject, body=message.body, from_email=self.from_email,
                             to=[message.to], headers={"Message-ID": message_id,
                                                       "X-GlowPOS-Dedupe-Key": message.dedupe_key})
        for name, content, mimetype in message.attachments:
            email.attach(name, content, mimetype)
        try:
            get_connection(fail_silently=False).send_messages([email])
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            if all(code >= 500 for code in codes):
                raise PermanentFailure(f"address refused: {error.recipients}") from None
            raise TemporaryFailure(f"address deferred: {error.recipients}") from None
        except smtplib.SMTPResponseException as error:
            detail = f"SMTP {error.smtp_code}: {error.smtp_error!r}"
            if error.smtp_code >= 500:
                raise PermanentFailure(detail) from None
            raise TemporaryFailure(detail) from None
        except (smtplib.SMTPException, OSError) as error:
            raise TemporaryFailure(f"mail server: {error}") from None
        return message_id


SHORT_NAMES = {
    "file": FileBackend,
    "console": ConsoleBackend,
    "http": HttpJsonBackend,
    "django": DjangoEmailBackend,
}


def backend_for(channel: str) -> Backend:
    config = {**settings.GLOWPOS_MESSAGING.get(channel, {}), "CHANNEL": channel}
    name = config.get("BACKEND") or "file"
    cls = SHORT_NAMES.get(name) or import_string(name)
    return cls(config)
