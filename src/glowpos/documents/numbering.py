"""Document numbers: `{prefix}/{FY}/{sequence}`, at most 16 characters of A–Z 0–9 / -.

The sequence is zero-padded to fill the 16 characters (BLR1/25-26/00123), so numbers sort
and read alike; see docs/decisions/0002-document-numbers.md for why 16 and not 17.
"""
from __future__ import annotations

from glowpos.errors import DomainError

MAX_LENGTH = 16

# The letter after the branch code that tells the series apart (tax invoices have none).
KIND_SUFFIX = {
    "tax_invoice": "",
    "bill_of_supply": "S",
    "invoice_cum_bill_of_supply": "M",
    "redemption_note": "R",
    "credit_note": "C",
    "receipt_voucher": "V",
    "refund_voucher": "F",
}


class SeriesExhausted(DomainError):
    code = "series_exhausted"


def default_prefix(branch_code: str, kind: str) -> str:
    return f"{branch_code}{KIND_SUFFIX[kind]}"


def format_number(prefix: str, fy_label: str, seq: int) -> str:
    head = f"{prefix}/{fy_label}/"
    width = MAX_LENGTH - len(head)
    if len(str(seq)) > width:
        raise SeriesExhausted(
            f"Series {head} has no numbers left this financial year; give the branch a shorter prefix."
        )
    return f"{head}{seq:0{width}d}"
