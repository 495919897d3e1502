"""The Indian financial year, April to March, read on the Asia/Kolkata calendar."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from glowpos.money import FinancialYear, financial_year, financial_year_at

# Python's calendar ends at years 1 and 9999, where a financial year and its neighbours
# are cut off; a clinic's dates are nowhere near.
dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2999, 12, 31))


def test_fy_25_26_runs_from_1_april_2025_to_31_march_2026() -> None:
    fy = FinancialYear(2025)
    assert fy.label == "25-26"
    assert fy.start == date(2025, 4, 1)
    assert fy.end == date(2026, 3, 31)


def test_label_across_a_century() -> None:
    assert FinancialYear(1999).label == "99-00"
    assert FinancialYear(2009).label == "09-10"


def test_31_march_closes_the_year_and_1_april_opens_the_next() -> None:
    assert financial_year(date(2026, 3, 31)) == FinancialYear(2025)
    assert financial_year(date(2026, 4, 1)) == FinancialYear(2026)
    assert financial_year(date(2026, 1, 15)) == FinancialYear(2025)


def test_utc_evening_of_31_march_is_already_next_fy_in_india() -> None:
    instant = datetime(2026, 3, 31, 20, 0, tzinfo=timezone.utc)  # 2026-04-01 01:30 IST
    assert financial_year_at(instant).label == "26-27"


def test_just_before_midnight_ist_on_31_march_is_still_the_old_year() -> None:
    instant = datetime(2026, 3, 31, 18, 29, 59, tzinfo=timezone.utc)  # 23:59:59 IST
    assert financial_year_at(instant).label == "25-26"


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError):
        financial_year_at(datetime(2026, 3, 31, 20, 0))


def test_a_datetime_is_not_taken_for_a_date() -> None:
    instant = datetime(2026, 3, 31, 20, 0, tzinfo=timezone.utc)
    with pytest.raises(TypeError):
        financial_year(instant)
    with pytest.raises(TypeError):
        _ = instant in FinancialYear(2025)


@given(dates)
def test_the_financial_year_of_a_date_contains_it(day: date) -> None:
    fy = financial_year(day)
    assert day in fy
    assert fy.start <= day <= fy.end


@given(dates)
def test_consecutive_years_meet_without_gap_or_overlap(day: date) -> None:
    fy = financial_year(day)
    assert day not in FinancialYear(fy.start_year - 1)
    assert day not in FinancialYear(fy.start_year + 1)
    assert financial_year(fy.end + timedelta(days=1)) == FinancialYear(fy.start_year + 1)


@given(
    st.datetimes(
        min_value=datetime(1900, 1, 1), max_value=datetime(2999, 12, 31),
        timezones=st.just(timezone.utc),
    )
)
def test_financial_year_at_reads_the_india_calendar_day(instant: datetime) -> None:
    india_day = (instant + timedelta(hours=5, minutes=30)).date()
    assert financial_year_at(instant) == financial_year(india_day)
