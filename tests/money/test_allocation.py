"""Allocation of a package's value over its items and units, to the paisa."""

from __future__ import annotations

from fractions import Fraction
from math import ceil, floor

import pytest
from hypothesis import given
from hypothesis import strategies as st

from glowpos.money import allocate, allocate_units, split_inclusive, unit_value

totals = st.integers(min_value=-(10**12), max_value=10**12)
weight_lists = st.lists(st.integers(0, 10**9), min_size=1, max_size=20).filter(any)
unit_counts = st.integers(min_value=1, max_value=500)


# Worked examples.


def test_10000_at_18_percent_over_7_sessions_splits_as_product_md() -> None:
    taxable = split_inclusive(1_000_000, 1800).taxable
    assert taxable == 847_458
    assert allocate_units(taxable, 7) == [121066, 121066, 121066, 121065, 121065, 121065, 121065]


def test_leftover_paise_go_to_the_lower_index_on_equal_remainders() -> None:
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert allocate(1, [1, 1]) == [1, 0]
    assert allocate(2, [1, 2, 1]) == [1, 1, 0]


def test_leftover_paise_go_to_the_largest_remainder_first() -> None:
    # Exact shares 3.3, 3.6, 3.1: the single leftover paisa goes to the middle item.
    assert allocate(10, [33, 36, 31]) == [3, 4, 3]


def test_a_zero_weight_item_gets_nothing() -> None:
    assert allocate(100, [0, 1, 0, 2]) == [0, 33, 0, 67]


def test_a_refund_allocates_like_its_sale_negated() -> None:
    assert allocate(-100, [1, 1, 1]) == [-34, -33, -33]
    assert allocate_units(-10, 3) == [-4, -3, -3]


def test_zero_allocates_zeros() -> None:
    assert allocate(0, [5, 7]) == [0, 0]
    assert allocate_units(0, 3) == [0, 0, 0]


@pytest.mark.parametrize("weights", [[], [0], [0, 0], [1, -1], [3, -1]])
def test_weights_must_be_non_negative_with_one_positive(weights: list[int]) -> None:
    with pytest.raises(ValueError):
        allocate(100, weights)


def test_units_must_be_at_least_one_and_n_within_them() -> None:
    with pytest.raises(ValueError):
        allocate_units(100, 0)
    with pytest.raises(ValueError):
        unit_value(100, 3, 0)
    with pytest.raises(ValueError):
        unit_value(100, 3, 4)


# Properties.


@given(totals, weight_lists)
def test_allocation_sums_exactly_to_the_total(total: int, weights: list[int]) -> None:
    assert sum(allocate(total, weights)) == total


@given(totals, weight_lists)
def test_each_share_is_the_floor_or_ceiling_of_its_exact_share(
    total: int, weights: list[int]
) -> None:
    for share, weight in zip(allocate(total, weights), weights, strict=True):
        exact = Fraction(total * weight, sum(weights))
        assert share in (floor(exact), ceil(exact))


@given(st.integers(0, 10**12), weight_lists)
def test_rounded_up_shares_had_the_largest_remainders(total: int, weights: list[int]) -> None:
    shares = allocate(total, weights)
    remainders = [total * w % sum(weights) for w in weights]
    up = [i for i, (s, w) in enumerate(zip(shares, weights)) if s * sum(weights) > total * w]
    down = [i for i in range(len(weights)) if i not in up and remainders[i]]
    for i in up:
        for j in down:
            assert (remainders[i], -i) > (remainders[j], -j)


@given(totals, unit_counts)
def test_units_sum_to_the_total_and_differ_by_at_most_one_paisa(total: int, units: int) -> None:
    values = allocate_units(total, units)
    assert len(values) == units
    assert sum(values) == total
    assert max(values) - min(values) <= 1


@given(st.integers(0, 10**12), unit_counts)
def test_extra_paise_sit_on_the_first_units(total: int, units: int) -> None:
    values = allocate_units(total, units)
    assert values == sorted(values, reverse=True)


@given(totals, unit_counts, st.data())
def test_unit_value_is_that_unit_of_allocate_units(
    total: int, units: int, data: st.DataObject
) -> None:
    n = data.draw(st.integers(1, units))
    assert unit_value(total, units, n) == allocate_units(total, units)[n - 1]
