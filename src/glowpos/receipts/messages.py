"""The words of a receipt message: a business's template per channel, filled from the issued
document's snapshot (what was true when the bill closed: the remaining sessions and expiry).

Placeholders are `{name}` from PLACEHOLDERS only, replaced as plain text (no attribute access,
no template language), so a manager's template can never reach anything else.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.conf import settings

from glowpos.money import format_inr
from glowpos.receipts.models import Channel, MessageTemplate

PLACEHOLDERS = {
    "client": "the client's name",
    "business": "your business's name",
    "branch": "the branch",
    "number": "the receipt number",
    "date": "the receipt date",
    "total": "the amount paid",
    "sessions": "each active package's remaining sessions and expiry",
    "link": "the receipt link (no login needed)",
}

DEFAULTS: dict[str, tuple[str, str]] = {
    Channel.SMS: ("", "{business}: receipt {number} for {total}. {sessions}View: {link}"),
    Channel.WHATSAPP: ("", "Hello {client}, thank you for visiting {business}.\n"
                           "Receipt {number} · {total}\n{sessions}\n{link}"),
    Channel.EMAIL: ("Your receipt {number} from {business}",
                    "Dear {client},\n\nThank you for visiting {business} ({branch}).\n\n"
                    "Receipt {number} dated {date}: {total}.\n\n{sessions}\n\n"
                    "View or download your receipt: {link}\n\nThis is a computer-generated receipt."),
}


@dataclass(frozen=True)
class Wording:
    subject: str
    body: str
    send_on_close: bool = True
    provider_template_id: str = ""


def wording(business, channel: str) -> Wording:
    row = MessageTemplate.objects.filter(business=business, channel=channel).first()
    if row is None:
        subject, body = DEFAULTS[channel]
        return Wording(subject=subject, body=body)
    return Wording(subject=row.subject, body=row.body, send_on_close=row.send_on_close,
                   provider_template_id=row.provider_template_id)


def unknown_placeholders(text: str) -> list[str]:
    return sorted({name for name in re.findall(r"\{(\w+)\}", text or "") if name not in PLACEHOLDERS})


def fill(text: str, values: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), text or "")


def receipt_link(document) -> str:
    base = settings.GLOWPOS_PUBLIC_URL.rstrip("/")
    return f"{base}/r/{document.receipt_token}"


def _day(iso: str) -> str:
    return f"{date.fromisoformat(iso):%d %b %Y}"


def sessions_text(snapshot: dict, *, channel: str) -> str:
    """Active packages with sessions left, as the client reads them on this channel."""
    lines = []
    for p in snapshot.get("packages", []):
        if p.get("status") != "active":
            continue
        for item in p.get("items", []):
            if channel != Channel.SMS:
                name = item["service_name"]
            else:  # short: the plan's code, and the service where the plan has several
                several = len(p.get("items", [])) > 1
                name = f"{p['plan_code']} {item['service_name']}" if several else p["plan_code"]
            left = f"{item['remaining']} of {item['total']}"
            if channel == Channel.SMS:
                lines.append(f"{name} {left} left till {date.fromisoformat(p['expires_on']):%d-%m-%Y}. ")
            else:
                lines.append(f"• {name}: {left} sessions left (valid till {_day(p['expires_on'])})")
    if channel == Channel.SMS:
        return "".join(lines)
    return ("Sessions left:\n" + "\n".join(lines)) if lines else ""


def values_for(document, *, channel: str) -> dict[str, str]:
    s = document.snapshot
    total = format_inr(document.total)
    if channel == Channel.SMS:
        total = total.replace("₹", "Rs ")  # one ₹ makes an SMS Unicode: 70 characters a part, not 160
    return {
        "client": s.get("recipient", {}).get("name", ""),
        "business": s.get("supplier", {}).get("trade_name") or document.business.name,
        "branch": s.get("supplier", {}).get("branch", ""),
        "number": document.number,
        "date": f"{document.date:%d %b %Y}",
        "total": total,
        "sessions": sessions_text(s, channel=channel),
        "link": receipt_link(document),
    }


def render(document, *, channel: str, words: Wording | None = None) -> tuple[str, str]:
    """(subject, body) of the receipt message for this document on this channel."""
    words = words or wording(document.business, channel)
    values = values_for(document, channel=channel)
    return fill(words.subject, values).strip(), fill(words.body, values).strip()
