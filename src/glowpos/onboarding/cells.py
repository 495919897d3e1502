"""Reading one cell as what the clinic meant: a whole number, rupees as paise, a date (day first,
as India writes it). Each parser returns the value or raises CellError with the reason shown
next to the row number and column. No float arithmetic: a number from Excel goes through its
shortest decimal representation to exact paise.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation


class CellError(Exception):
    pass


def text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel keeps 9876543210 as a number
    return str(value).strip()


def whole_number(value, *, what: str = "sessions") -> int:
    if isinstance(value, bool):
        raise CellError(f"'{value}' is not a number of {what}")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    else:
        raw = text(value)
        if not re.fullmatch(r"\d{1,6}", raw):
            raise CellError(f"'{raw}' is not a whole number of {what}")
        number = int(raw)
    if number < 0:
        raise CellError(f"{number} {what}: cannot be negative")
    return number


def paise(value) -> int:
    """₹ amount as typed or stored: 24000, "24,000", "₹24,000.00", "Rs. 1,23,456/-" → paise."""
    if isinstance(value, bool):
        raise CellError(f"'{value}' is not an amount in rupees")
    if isinstance(value, (int, float, Decimal)):
        try:
            amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        except InvalidOperation:
            raise CellError(f"'{value}' is not an amount in rupees") from None
    else:
        raw = text(value)
        cleaned = re.sub(r"(?i)^(₹|rs\.?|inr)\s*", "", raw).replace(",", "").replace(" ", "")
        cleaned = re.sub(r"/-$", "", cleaned)
        if not re.fullmatch(r"-?\d{1,12}(\.\d{1,2})?", cleaned):
            raise CellError(f"'{raw}' is not an amount in rupees (e.g. 24000 or 24,000.00)")
        amount = Decimal(cleaned)
    if not amount.is_finite() or amount >= 10**12:
        raise CellError(f"'{value}' is not an amount in rupees")
    if amount < 0:
        raise CellError(f"{value}: an amount paid cannot be negative")
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise CellError(f"'{value}': rupees have at most two decimals")
    return int(cents)


MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}


def day(value) -> date:
    """A date cell, or text: 2025-06-01, 01/06/2025, 1-6-25, 01.06.2025, 1 Jun 2025, 01-June-2025."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = text(value)
    try:
        if m := re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", raw):
            return date(int(m[1]), int(m[2]), int(m[3]))
        if m := re.fullmatch(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})", raw):
            return date(_year(m[3]), int(m[2]), int(m[1]))
        if m := re.fullmatch(r"(\d{1,2})[-/. ]+([A-Za-z]{3,9})[-/.,' ]+(\d{2}|\d{4})", raw):
            month = MONTHS.get(m[2][:3].lower())
            if month:
                return date(_year(m[3]), month, int(m[1]))
    except ValueError:
        raise CellError(f"'{raw}' is not a real date") from None
    raise CellError(f"'{raw}' is not a date (write it as DD/MM/YYYY)")


def _year(digits: str) -> int:
    return int(digits) + 2000 if len(digits) == 2 else int(digits)
