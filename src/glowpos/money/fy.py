"""The Indian financial year (1 April to 31 March) a date or instant falls in.

Owns the FY label used in document series (``BLR1/25-26/000123``) and reports. The
financial year of an instant is decided on the Asia/Kolkata calendar, never UTC: a bill
closed at 01:30 IST on 1 April belongs to the new year although it is still 31 March in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

INDIA = ZoneInfo("Asia/Kolkata")
FIRST_MONTH = 4  # April


@dataclass(frozen=True)
class FinancialYear:
    """The financial year starting 1 April ``start_year``."""

    start_year: int

    @property
    def label(self) -> str:
        """``"25-26"`` for the year starting April 2025."""
        return f"{self.start_year % 100:02d}-{(self.start_year + 1) % 100:02d}"

    @property
    def start(self) -> date:
        return date(self.start_year, FIRST_MONTH, 1)

    @property
    def end(self) -> date:
        return date(self.start_year + 1, FIRST_MONTH - 1, 31)

    def __contains__(self, day: object) -> bool:
        if isinstance(day, datetime):
            raise TypeError("pass a date; for an instant use financial_year_at()")
        if not isinstance(day, date):
            return False
        return self.start <= day <= self.end


def financial_year(day: date) -> FinancialYear:
    """The financial year containing the calendar date ``day``."""
    # A datetime is a date too; silently using its own calendar day would put a UTC
    # instant late on 31 March in the wrong year. Make the caller say which timezone.
    if isinstance(day, datetime):
        raise TypeError("pass a date; for an instant use financial_year_at()")
    start_year = day.year if day.month >= FIRST_MONTH else day.year - 1
    return FinancialYear(start_year)


def financial_year_at(instant: datetime) -> FinancialYear:
    """The financial year of an aware ``instant``, read on the Asia/Kolkata calendar."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("instant must be timezone-aware; a naive datetime is ambiguous")
    return financial_year(instant.astimezone(INDIA).date())
