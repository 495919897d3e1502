"""Rounding and the GST split of a tax-inclusive amount.

Owns the one rounding rule GlowPOS uses for money (half away from zero, on integers) and
the split of a quoted, tax-inclusive price in paise into taxable value and CGST/SGST or
IGST (PRODUCT.md, "Money and tax rules").

Invariants, for every gross and every rate in [0, 10000] basis points:

* ``taxable + cgst + sgst + igst == gross`` exactly: the client pays the quoted price;
* intra-state ``cgst == sgst``; inter-state ``cgst == sgst == 0``;
* ``split_inclusive(-g) == -split_inclusive(g)``: a refund line mirrors its sale line;
* ``taxable >= 0`` whenever ``gross >= 0``.

No float is ever involved: a float cannot represent most paise amounts divided by 1.18.
"""

from __future__ import annotations

from dataclasses import dataclass

BASIS_POINTS = 10_000  # 1800 bp = 18 %


def round_half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded to the nearest int, halves away from zero.

    ``round_half_up(5, 2) == 3`` and ``round_half_up(-5, 2) == -3``, so a refund rounds
    exactly like the sale it reverses (Python's ``round`` would round halves to even).
    """
    _require_int(numerator=numerator, denominator=denominator)
    if denominator <= 0:
        raise ValueError(f"denominator must be positive, got {denominator}")
    if numerator < 0:
        return -round_half_up(-numerator, denominator)
    return (2 * numerator + denominator) // (2 * denominator)


@dataclass(frozen=True)
class TaxSplit:
    """A line's amount in paise, split into taxable value and GST heads."""

    taxable: int
    cgst: int
    sgst: int
    igst: int

    @property
    def tax(self) -> int:
        return self.cgst + self.sgst + self.igst

    @property
    def gross(self) -> int:
        return self.taxable + self.tax


def split_inclusive(gross: int, rate_bp: int, *, inter_state: bool = False) -> TaxSplit:
    """Split a tax-inclusive ``gross`` (paise) at ``rate_bp`` basis points.

    Intra-state, the half rate is rounded once and used for both CGST and SGST, and the
    taxable value takes whatever is left, so the three always add back to ``gross``
    (``tax_half = round_half_up(gross × r / (2 × (1 + r)))``, PRODUCT.md).
    ₹24,000 at 18 %: taxable 20,338.98, CGST 1,830.51, SGST 1,830.51.
    """
    _require_int(gross=gross, rate_bp=rate_bp)
    if not 0 <= rate_bp <= BASIS_POINTS:
        raise ValueError(f"rate_bp must be between 0 and {BASIS_POINTS}, got {rate_bp}")
    if inter_state:
        igst = round_half_up(gross * rate_bp, BASIS_POINTS + rate_bp)
        return TaxSplit(taxable=gross - igst, cgst=0, sgst=0, igst=igst)
    tax_half = round_half_up(gross * rate_bp, 2 * (BASIS_POINTS + rate_bp))
    return TaxSplit(taxable=gross - 2 * tax_half, cgst=tax_half, sgst=tax_half, igst=0)


def _require_int(**values: object) -> None:
    # A float (or Decimal) slipping in would not fail loudly: the arithmetic would simply
    # return a float. Refuse it at the door instead.
    for name, value in values.items():
        if not isinstance(value, int):
            raise TypeError(f"{name} must be an int (paise or basis points), got {value!r}")
