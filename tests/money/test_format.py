"""Indian-grouped display of paise and the invoice's amount in words."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from glowpos.money import amount_in_words, format_inr

# Last three digits, then pairs; no leading zero; always two paise digits.
INDIAN_GROUPING = re.compile(r"^-?₹(?:[1-9]\d?(?:,\d{2})*,\d{3}|[1-9]\d{0,2}|0)\.\d{2}$")


@pytest.mark.parametrize(
    ("paise", "shown"),
    [
        (12_345_678, "₹1,23,456.78"),
        (0, "₹0.00"),
        (5, "₹0.05"),
        (99_999, "₹999.99"),
        (100_000, "₹1,000.00"),
        (-150_000, "-₹1,500.00"),
        (2_400_000, "₹24,000.00"),
        (100_000_000_000, "₹1,00,00,00,000.00"),
    ],
)
def test_amounts_are_grouped_in_lakhs_and_crores(paise: int, shown: str) -> None:
    assert format_inr(paise) == shown


def test_symbol_can_be_left_out() -> None:
    assert format_inr(12_345_678, symbol=False) == "1,23,456.78"
    assert format_inr(-150_000, symbol=False) == "-1,500.00"


@given(st.integers(-(10**15), 10**15))
def test_formatted_amount_reads_back_as_the_same_paise(paise: int) -> None:
    shown = format_inr(paise)
    assert INDIAN_GROUPING.match(shown), shown
    assert int(shown.replace("₹", "").replace(",", "").replace(".", "")) == paise
    assert format_inr(paise, symbol=False) == shown.replace("₹", "")


@pytest.mark.parametrize(
    ("paise", "words"),
    [
        (0, "Rupees Zero Only"),
        (100, "Rupees One Only"),
        (2_400_000, "Rupees Twenty-Four Thousand Only"),
        (
            12_345_678,
            "Rupees One Lakh Twenty-Three Thousand Four Hundred and Fifty-Six"
            " and Paise Seventy-Eight Only",
        ),
        (1_00_00_000_00, "Rupees One Crore Only"),
        (5, "Paise Five Only"),
        (10_105, "Rupees One Hundred and One and Paise Five Only"),
    ],
)
def test_amount_in_words_as_printed_on_the_invoice(paise: int, words: str) -> None:
    assert amount_in_words(paise) == words


@given(st.integers(0, 10**12 - 1))
def test_amount_in_words_is_one_clean_line(paise: int) -> None:
    words = amount_in_words(paise)
    assert words.endswith(" Only")
    assert "," not in words
    assert all(word == "and" or word[0].isupper() for word in words.split())


def test_amount_in_words_refuses_negative_and_too_large_amounts() -> None:
    with pytest.raises(ValueError):
        amount_in_words(-100)
    with pytest.raises(ValueError):
        amount_in_words(10**12)  # ₹1,000 crore: beyond num2words en_IN
