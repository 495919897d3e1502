"""GSTIN: shape, state code and check digit of an Indian GST identification number.

Owns the offline check of a GSTIN typed at the front desk or imported from a spreadsheet:
``SS PPPPPPPPPP E Z C`` = state code, the holder's PAN, entity number (1-9, A-Z), the
letter Z, and a mod-36 Luhn check character. A GSTIN passing here may still not be
registered; only the GST portal can say that.

Input is taken exactly as given: callers normalise (strip, upper-case) first.
"""

from __future__ import annotations

import re

CHARSET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_PATTERN = re.compile(r"^[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][1-9A-Z]Z[0-9A-Z]$")
# 01-38 are the states and union territories; 97 is "Other Territory", 99 "Centre
# Jurisdiction" (OIDAR and other centrally administered registrations).
_STATE_CODES = frozenset({f"{code:02d}" for code in range(1, 39)} | {"97", "99"})


def gstin_check_digit(first14: str) -> str:
    """The 15th character of a GSTIN whose first 14 characters are ``first14``.

    Luhn mod 36: character values 0-35 from CHARSET, factors 1, 2, 1, 2, … from the left;
    each product contributes ``product // 36 + product % 36``.
    """
    if len(first14) != 14 or any(char not in CHARSET for char in first14):
        raise ValueError(f"expected 14 characters of 0-9 A-Z, got {first14!r}")
    total = 0
    for index, char in enumerate(first14):
        product = CHARSET.index(char) * (1 + index % 2)
        total += product // 36 + product % 36
    return CHARSET[(36 - total % 36) % 36]


def is_valid_gstin(gstin: str) -> bool:
    """True when ``gstin`` has the GSTIN shape, a known state code and a correct check digit."""
    return (
        isinstance(gstin, str)
        and _PATTERN.match(gstin) is not None
        and gstin[:2] in _STATE_CODES
        and gstin_check_digit(gstin[:14]) == gstin[14]
    )


def gstin_state_code(gstin: str) -> str:
    """The two-digit state code of a valid GSTIN, e.g. ``"27"`` (Maharashtra)."""
    if not is_valid_gstin(gstin):
        raise ValueError(f"not a valid GSTIN: {gstin!r}")
    return gstin[:2]
