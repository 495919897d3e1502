"""The chart of accounts every business starts with."""
from __future__ import annotations

from glowpos.ledger.models import AccountType as T

CASH, CARD, UPI = "cash", "card", "upi"
CLIENT_CREDIT = "client_credit"
DEFERRED_REVENUE = "deferred_revenue"
SERVICE_REVENUE = "service_revenue"
PRODUCT_REVENUE = "product_revenue"
BREAKAGE_INCOME = "breakage_income"
OUTPUT_CGST, OUTPUT_SGST, OUTPUT_IGST = "output_cgst", "output_sgst", "output_igst"
ROUND_OFF = "round_off"
DISCOUNTS = "discounts"
REFUNDS_PAYABLE = "refunds_payable"
OPENING_BALANCE_EQUITY = "opening_balance_equity"

CHART: list[tuple[str, str, str]] = [
    (CASH, "Cash", T.ASSET),
    (CARD, "Card receipts", T.ASSET),
    (UPI, "UPI receipts", T.ASSET),
    (DEFERRED_REVENUE, "Deferred revenue – packages", T.LIABILITY),
    (CLIENT_CREDIT, "Client credit (value packages)", T.LIABILITY),
    (OUTPUT_CGST, "Output CGST", T.LIABILITY),
    (OUTPUT_SGST, "Output SGST", T.LIABILITY),
    (OUTPUT_IGST, "Output IGST", T.LIABILITY),
    (REFUNDS_PAYABLE, "Refunds payable", T.LIABILITY),
    (SERVICE_REVENUE, "Service revenue", T.INCOME),
    (PRODUCT_REVENUE, "Product revenue", T.INCOME),
    (BREAKAGE_INCOME, "Breakage income", T.INCOME),
    (ROUND_OFF, "Round off", T.INCOME),
    (DISCOUNTS, "Discounts", T.EXPENSE),
    (OPENING_BALANCE_EQUITY, "Opening balance equity", T.EQUITY),
]

# How each payment method lands in the books.
PAYMENT_ACCOUNT = {"cash": CASH, "card": CARD, "upi": UPI, "credit": CLIENT_CREDIT}
