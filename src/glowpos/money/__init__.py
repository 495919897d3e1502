"""Pure money computation: paise, GST split, allocation, display, financial year, GSTIN.

The functional core of PRODUCT.md "Money and tax rules". Plain Python on ints, no Django
and no float, so every rule here is checked by properties over generated amounts
(tests/money) rather than by the few cases a database test can afford.
"""

from glowpos.money.allocation import allocate, allocate_units, unit_value
from glowpos.money.format import amount_in_words, format_inr
from glowpos.money.fy import FinancialYear, financial_year, financial_year_at
from glowpos.money.gstin import is_valid_gstin
from glowpos.money.tax import TaxSplit, round_half_up, split_inclusive

__all__ = [
    "FinancialYear",
    "TaxSplit",
    "allocate",
    "allocate_units",
    "amount_in_words",
    "financial_year",
    "financial_year_at",
    "format_inr",
    "is_valid_gstin",
    "round_half_up",
    "split_inclusive",
    "unit_value",
]
