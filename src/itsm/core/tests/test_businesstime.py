"""Business-time arithmetic: worked examples and properties (hypothesis)."""

# covers: SLM-6

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from itsm.core.businesstime import BusinessHours, NoWorkingTime, office_hours

SH = ZoneInfo("Asia/Shanghai")
T = dt.time
NINE_TO_SIX = (T(9), T(18))


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SH)


def china_2025(*windows) -> BusinessHours:
    """Mon–Fri with the official 2025 National Day / Mid-Autumn arrangement."""
    holidays = {dt.date(2025, 10, d): () for d in range(1, 9)}
    makeup = {dt.date(2025, 9, 28): windows, dt.date(2025, 10, 11): windows}
    return office_hours(*windows, exceptions={**holidays, **makeup})


def test_national_day_is_skipped():
    calendar = china_2025(NINE_TO_SIX)
    assert calendar.add(at("2025-09-30 17:30"), dt.timedelta(hours=4)) == at("2025-10-09 12:30")


def test_make_up_working_day_counts():
    calendar = china_2025(NINE_TO_SIX)
    assert calendar.add(at("2025-09-27 10:00"), dt.timedelta(hours=2)) == at("2025-09-28 11:00")


def test_lunch_break_is_not_working_time():
    calendar = office_hours((T(9), T(12)), (T(13, 30), T(18)))
    assert calendar.add(at("2025-09-26 11:00"), dt.timedelta(hours=2)) == at("2025-09-26 14:30")
    assert calendar.elapsed(at("2025-09-26 11:00"), at("2025-09-26 14:30")) == dt.timedelta(
        hours=2)


def test_deadline_may_end_exactly_at_closing_time():
    calendar = office_hours(NINE_TO_SIX)
    assert calendar.add(at("2025-09-26 17:00"), dt.timedelta(hours=1)) == at("2025-09-26 18:00")
    assert calendar.add(at("2025-09-26 18:00"), dt.timedelta(minutes=1)) == at(
        "2025-09-29 09:01")


def test_always_on_calendar_is_wall_clock():
    calendar = BusinessHours(always_on=True)
    start = at("2025-09-30 23:30")
    assert calendar.add(start, dt.timedelta(hours=4)) == at("2025-10-01 03:30")


def test_a_calendar_without_working_time_fails_clearly():
    with pytest.raises(NoWorkingTime):
        BusinessHours().add(at("2025-01-01 09:00"), dt.timedelta(hours=1))


starts = st.datetimes(min_value=dt.datetime(2025, 9, 1), max_value=dt.datetime(2025, 12, 31),
                      timezones=st.just(SH)).map(lambda d: d.replace(second=0, microsecond=0))
durations = st.integers(min_value=0, max_value=60 * 60).map(lambda m: dt.timedelta(minutes=m))
calendars = st.sampled_from([
    china_2025(NINE_TO_SIX),
    china_2025((T(9), T(12)), (T(13, 30), T(18))),
    office_hours((T(8), T(12)), weekdays=(5,)),
    BusinessHours(always_on=True),
])


@settings(max_examples=300, deadline=None)
@given(calendars, starts, durations, durations)
def test_adding_a_then_b_equals_adding_a_plus_b(calendar, start, a, b):
    assert calendar.add(calendar.add(start, a), b) == calendar.add(start, a + b)


@settings(max_examples=300, deadline=None)
@given(calendars, starts, durations)
def test_a_deadline_lands_inside_working_time(calendar, start, duration):
    if duration:
        assert calendar.is_working(calendar.add(start, duration))


@settings(max_examples=300, deadline=None)
@given(calendars, starts, durations)
def test_elapsed_inverts_add(calendar, start, duration):
    assert calendar.elapsed(start, calendar.add(start, duration)) == duration


@settings(max_examples=200, deadline=None)
@given(calendars, starts, durations, durations)
def test_more_time_never_gives_an_earlier_deadline(calendar, start, a, b):
    assert calendar.add(start, a) <= calendar.add(start, a + b)


spans = st.integers(min_value=0, max_value=400 * 24 * 60).map(lambda m: dt.timedelta(minutes=m))
#: A calendar with a 24:00 window and an exception on a day of the week it has none.
late_shift = office_hours((T(18), T.max), weekdays=(0, 2, 4),
                          exceptions={dt.date(2025, 10, 7): ((T(10), T(11)),),
                                      dt.date(2025, 11, 5): ()})


@settings(max_examples=300, deadline=None)
@given(st.one_of(calendars, st.just(late_shift)), starts, spans)
def test_elapsed_over_months_equals_walking_every_window(calendar, start, span):
    """Whole days are counted by weeks and exceptions; the total is what walking every
    working window from start to end gives, holidays and make-up days included."""
    assert calendar.elapsed(start, start + span) == calendar._walk(start, start + span)


def test_elapsed_over_national_day_by_weeks():
    calendar = china_2025(NINE_TO_SIX)
    # 2025-09-22 09:00 → 2025-10-20 09:00: 4 weeks = 20 weekdays, less 6 weekday holidays
    # (10-01..10-03, 10-06..10-08), plus the make-up Sunday 09-28 and Saturday 10-11.
    assert calendar.elapsed(at("2025-09-22 09:00"), at("2025-10-20 09:00")) == \
        dt.timedelta(hours=9 * (20 - 6 + 2))
