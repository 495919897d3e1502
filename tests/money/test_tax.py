"""The tax-inclusive GST split and the rounding under it (PRODUCT.md, "Money and tax rules")."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from glowpos.money import TaxSplit, allocate_units, round_half_up, split_inclusive

grosses = st.integers(min_value=-(10**12), max_value=10**12)
rates = st.integers(min_value=0, max_value=10_000)


# Worked examples, as PRODUCT.md states them.


def test_24000_at_18_percent_splits_as_product_md() -> None:
    split = split_inclusive(2_400_000, 1800)
    assert split == TaxSplit(taxable=2_033_898, cgst=183_051, sgst=183_051, igst=0)
    assert split.tax == 366_102
    assert split.gross == 2_400_000


def test_each_of_6_sessions_of_the_24000_package_recognises_3389_83() -> None:
    taxable = split_inclusive(2_400_000, 1800).taxable
    assert allocate_units(taxable, 6) == [338_983] * 6


def test_refund_of_the_24000_package_mirrors_its_sale() -> None:
    assert split_inclusive(-2_400_000, 1800) == TaxSplit(
        taxable=-2_033_898, cgst=-183_051, sgst=-183_051, igst=0
    )


def test_inter_state_24000_at_18_percent_is_all_igst() -> None:
    assert split_inclusive(2_400_000, 1800, inter_state=True) == TaxSplit(
        taxable=2_033_898, cgst=0, sgst=0, igst=366_102
    )


def test_exempt_rate_leaves_everything_taxable() -> None:
    assert split_inclusive(2_400_000, 0) == TaxSplit(taxable=2_400_000, cgst=0, sgst=0, igst=0)
    assert split_inclusive(2_400_000, 0, inter_state=True).tax == 0


@pytest.mark.parametrize("rate_bp", [-1, 10_001])
def test_rate_outside_0_to_100_percent_is_refused(rate_bp: int) -> None:
    with pytest.raises(ValueError):
        split_inclusive(100, rate_bp)


def test_float_amounts_are_refused() -> None:
    with pytest.raises(TypeError):
        split_inclusive(24000.0, 1800)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        round_half_up(1.5, 2)  # type: ignore[arg-type]


# Rounding.


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [(5, 2, 3), (-5, 2, -3), (4, 2, 2), (7, 3, 2), (-7, 3, -2), (8, 3, 3), (0, 7, 0), (1, 4, 0)],
)
def test_round_half_up_rounds_halves_away_from_zero(
    numerator: int, denominator: int, expected: int
) -> None:
    assert round_half_up(numerator, denominator) == expected


def test_round_half_up_needs_a_positive_denominator() -> None:
    with pytest.raises(ValueError):
        round_half_up(1, 0)
    with pytest.raises(ValueError):
        round_half_up(1, -2)


@given(st.integers(-(10**16), 10**16), st.integers(1, 10**8))
def test_round_half_up_is_the_nearest_int_with_halves_away_from_zero(
    numerator: int, denominator: int
) -> None:
    exact = Fraction(numerator, denominator)
    rounded = round_half_up(numerator, denominator)
    distance = abs(exact - rounded)
    assert distance <= Fraction(1, 2)
    if distance == Fraction(1, 2):
        assert abs(rounded) > abs(exact)


# Properties of the split, for every amount and rate.


@given(grosses, rates, st.booleans())
def test_split_adds_back_to_the_quoted_price(gross: int, rate_bp: int, inter_state: bool) -> None:
    split = split_inclusive(gross, rate_bp, inter_state=inter_state)
    assert split.taxable + split.cgst + split.sgst + split.igst == gross
    assert split.gross == gross


@given(grosses, rates)
def test_intra_state_cgst_equals_sgst_and_no_igst(gross: int, rate_bp: int) -> None:
    split = split_inclusive(gross, rate_bp)
    assert split.cgst == split.sgst
    assert split.igst == 0


@given(grosses, rates)
def test_inter_state_is_igst_only(gross: int, rate_bp: int) -> None:
    split = split_inclusive(gross, rate_bp, inter_state=True)
    assert split.cgst == split.sgst == 0


@given(grosses, rates)
def test_tax_half_is_the_rounded_exact_half_tax(gross: int, rate_bp: int) -> None:
    exact_half = Fraction(gross * rate_bp, 2 * (10_000 + rate_bp))
    assert abs(split_inclusive(gross, rate_bp).cgst - exact_half) <= Fraction(1, 2)


@given(st.integers(0, 10**12), rates, st.booleans())
def test_a_sale_never_has_negative_taxable_value_or_tax(
    gross: int, rate_bp: int, inter_state: bool
) -> None:
    split = split_inclusive(gross, rate_bp, inter_state=inter_state)
    assert split.taxable >= 0
    assert split.tax >= 0


@given(grosses, rates, st.booleans())
def test_a_refund_line_is_the_exact_negation_of_its_sale(
    gross: int, rate_bp: int, inter_state: bool
) -> None:
    sale = split_inclusive(gross, rate_bp, inter_state=inter_state)
    refund = split_inclusive(-gross, rate_bp, inter_state=inter_state)
    assert refund == TaxSplit(-sale.taxable, -sale.cgst, -sale.sgst, -sale.igst)
