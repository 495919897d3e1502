"""Reading what the counter typed: rupee amounts and the payment split. Parsing only; every
rule about money owed lives in billing.services.close_bill."""
from __future__ import annotations

import re
from dataclasses import dataclass

from glowpos.errors import ValidationFailed

METHODS = (("cash", "Cash"), ("card", "Card"), ("upi", "UPI"))
CREDIT = ("credit", "Package credit")
_AMOUNT = re.compile(r"(\d{1,9})(?:\.(\d{1,2}))?")


def parse_rupees(raw: str | None, *, field: str, label: str) -> int:
    """"1,500" / "1500.5" / "₹1,500.50" → paise; blank → 0."""
    text = (raw or "").strip().replace(",", "").replace("₹", "").strip()
    if not text:
        return 0
    match = _AMOUNT.fullmatch(text)
    if match is None:
        raise ValidationFailed(
            f"{label}: '{raw}' is not an amount in rupees (e.g. 1500 or 1500.50).",
            fields={field: "Rupees, e.g. 1500 or 1500.50."},
        )
    return int(match[1]) * 100 + int((match[2] or "0").ljust(2, "0"))


@dataclass(frozen=True)
class PaymentForm:
    payments: list[dict]
    change: int  # paise to hand back from the cash received


def parse_payments(data) -> PaymentForm:
    amounts = {m: parse_rupees(data.get(f"pay_{m}"), field=f"pay_{m}", label=label)
               for m, label in (*METHODS, CREDIT)}
    received = parse_rupees(data.get("cash_received"), field="cash_received", label="Cash received")
    if received and received < amounts["cash"]:
        raise ValidationFailed(
            "Cash received is less than the cash part of the payment.",
            fields={"cash_received": "Less than the cash amount."},
        )
    payments = [{"method": m, "amount": a} for m, a in amounts.items() if a]
    return PaymentForm(payments=payments, change=received - amounts["cash"] if received else 0)
