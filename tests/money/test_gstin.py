"""GSTIN shape, state code and mod-36 check digit."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from glowpos.money import is_valid_gstin
from glowpos.money.gstin import CHARSET, gstin_check_digit, gstin_state_code

letters = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=1)
digits = st.text("0123456789", min_size=1, max_size=1)


@st.composite
def gstin_bodies(draw: st.DrawFn) -> str:
    """The first 14 characters of a well-shaped GSTIN."""
    state = f"{draw(st.integers(1, 38)):02d}"
    pan = "".join(draw(letters) for _ in range(5)) + "".join(draw(digits) for _ in range(4))
    pan += draw(letters)
    entity = draw(st.sampled_from(CHARSET[1:]))
    return f"{state}{pan}{entity}Z"


def luhn_mod36_checksum(full: str) -> int:
    """Luhn mod N as usually stated: from the right, double every second character."""
    total = 0
    for position, char in enumerate(reversed(full)):
        product = CHARSET.index(char) * (2 if position % 2 else 1)
        total += product // 36 + product % 36
    return total % 36


@pytest.mark.parametrize(
    "gstin",
    [
        "27AAPFU0939F1ZV",  # the stock example of python-stdnum and many GST guides
        "27AAACR5055K1Z7",  # Reliance Industries Ltd (PAN AAACR5055K), Maharashtra
    ],
)
def test_known_gstins_are_valid(gstin: str) -> None:
    assert is_valid_gstin(gstin)
    assert gstin_check_digit(gstin[:14]) == gstin[14]


@pytest.mark.parametrize(
    "gstin",
    [
        "29AAGCB1286Q000",  # 14th character must be Z
        "27AAPFU0939F1ZO",  # wrong check digit
        "27AAPFU0939F1ZW",  # wrong check digit
        "72AAPFU0939F1ZV",  # transposed state code
        "27aapfu0939f1zv",  # not normalised
        " 27AAPFU0939F1ZV",
        "27AAPFU0939F1Z",
        "27AAPFU0939F0ZV",  # entity number 0 does not exist
        "",
    ],
)
def test_malformed_or_mistyped_gstins_are_invalid(gstin: str) -> None:
    assert not is_valid_gstin(gstin)


@pytest.mark.parametrize(
    ("state", "valid"),
    [("00", False), ("01", True), ("38", True), ("39", False), ("96", False), ("97", True),
     ("99", True)],
)
def test_state_code_must_be_a_known_one(state: str, valid: bool) -> None:
    body = f"{state}AAPFU0939F1Z"
    assert is_valid_gstin(body + gstin_check_digit(body)) is valid


def test_state_code_is_read_from_a_valid_gstin() -> None:
    assert gstin_state_code("27AAPFU0939F1ZV") == "27"
    with pytest.raises(ValueError):
        gstin_state_code("27AAPFU0939F1ZW")


def test_check_digit_needs_14_characters_of_the_charset() -> None:
    with pytest.raises(ValueError):
        gstin_check_digit("27AAPFU0939F1")
    with pytest.raises(ValueError):
        gstin_check_digit("27aapfu0939f1z")


@given(gstin_bodies())
def test_appending_the_check_digit_makes_a_valid_gstin(body: str) -> None:
    gstin = body + gstin_check_digit(body)
    assert is_valid_gstin(gstin)
    assert luhn_mod36_checksum(gstin) == 0


@given(gstin_bodies(), st.integers(0, 13), st.sampled_from(CHARSET))
def test_any_single_mistyped_character_changes_the_check_digit(
    body: str, position: int, char: str
) -> None:
    mistyped = body[:position] + char + body[position + 1 :]
    if mistyped != body:
        assert gstin_check_digit(mistyped) != gstin_check_digit(body)
