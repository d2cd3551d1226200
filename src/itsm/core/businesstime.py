"""Business-time arithmetic on a working calendar (SLM-6).

A ``BusinessHours`` is pure data: weekday working windows (a lunch break is simply
two windows), a time zone, dated exceptions (a public holiday has no windows, a
make-up working day 调休 has a normal day's windows, a half day has fewer) and a
7×24 flag. ``add`` finds the moment a given amount of working time has passed;
``elapsed`` measures working time between two moments. Both are exact to the
microsecond and never look further than ``HORIZON_DAYS`` ahead.

Conventions: a window is half-open at its start and closed at its end, so a
deadline may be exactly 18:00 but never 09:00 unless no time is added.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

Window = tuple[dt.time, dt.time]

#: How far ahead (in days) ``add`` searches for working time before giving up.
HORIZON_DAYS = 3 * 366


class NoWorkingTime(ValueError):
    """The calendar has no working time within the search horizon."""


def _end_of(day: dt.date, end: dt.time, tz: ZoneInfo | None) -> dt.datetime:
    # 24:00 is written as time.max; treat it as the start of the next day.
    if end == dt.time.max:
        return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    return dt.datetime.combine(day, end, tzinfo=tz)


@dataclass(frozen=True)
class BusinessHours:
    """A working calendar: ``weekly[weekday]`` windows (Monday = 0) plus exceptions."""

    time_zone: str = "Asia/Shanghai"
    weekly: Mapping[int, tuple[Window, ...]] = field(default_factory=dict)
    exceptions: Mapping[dt.date, tuple[Window, ...]] = field(default_factory=dict)
    always_on: bool = False

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def windows_on(self, day: dt.date) -> tuple[Window, ...]:
        """Working windows of one local date, exceptions first."""
        if self.always_on:
            return ((dt.time(0), dt.time.max),)
        if day in self.exceptions:
            return self.exceptions[day]
        return self.weekly.get(day.weekday(), ())

    def intervals(self, start: dt.datetime) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        """Working intervals (aware datetimes) that end after ``start``, in order."""
        tz = self.tz
        day = start.astimezone(tz).date() - dt.timedelta(days=1)
        for offset in range(HORIZON_DAYS + 2):
            current = day + dt.timedelta(days=offset)
            for begin, end in self.windows_on(current):
                window_start = dt.datetime.combine(current, begin, tzinfo=tz)
                window_end = _end_of(current, end, tz)
                if window_end > start and window_end > window_start:
                    yield max(window_start, start), window_end

    def add(self, start: dt.datetime, duration: dt.timedelta) -> dt.datetime:
        """The moment at which ``duration`` of working time after ``start`` has passed."""
        if duration < dt.timedelta(0):
            raise ValueError("duration must not be negative")
        if duration == dt.timedelta(0):
            return start
        remaining = duration
        for begin, end in self.intervals(start):
            available = end - begin
            if remaining <= available:
                return (begin + remaining).astimezone(start.tzinfo)
            remaining -= available
        raise NoWorkingTime(f"no working time within {HORIZON_DAYS} days after {start}")

    def elapsed(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """Working time between two moments (zero if ``end`` is not after ``start``).

        The whole days between the first and the last are counted by weeks and the
        exceptions among them, not day by day: a ticket overdue for a year costs what
        one overdue for a week costs (a list of 25 of them took ~100 ms)."""
        tz = self.tz
        first = start.astimezone(tz).date() + dt.timedelta(days=1)
        last = end.astimezone(tz).date()
        if (last - first).days < 7:
            return self._walk(start, end)
        return (self._walk(start, dt.datetime.combine(first, dt.time(0), tzinfo=tz))
                + self._whole_days(first, last)
                + self._walk(dt.datetime.combine(last, dt.time(0), tzinfo=tz), end))

    def _walk(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """Working time between two moments, window by window."""
        total = dt.timedelta(0)
        if end <= start:
            return total
        for begin, window_end in self.intervals(start):
            if begin >= end:
                break
            total += min(window_end, end) - begin
        return total

    @staticmethod
    def _length(windows: tuple[Window, ...]) -> dt.timedelta:
        """Working time of a day with these windows (wall clock, as ``intervals``)."""
        day = dt.date(2000, 1, 3)
        total = dt.timedelta(0)
        for begin, end in windows:
            length = _end_of(day, end, None) - dt.datetime.combine(day, begin)
            if length > dt.timedelta(0):
                total += length
        return total

    def _whole_days(self, first: dt.date, last: dt.date) -> dt.timedelta:
        """Working time of the local days ``first`` ≤ day < ``last``."""
        days = (last - first).days
        if self.always_on:
            return dt.timedelta(days=days)
        per_weekday = {weekday: self._length(self.weekly.get(weekday, ()))
                       for weekday in range(7)}
        weeks, rest = divmod(days, 7)
        total = weeks * sum(per_weekday.values(), dt.timedelta(0))
        for offset in range(rest):
            total += per_weekday[(first + dt.timedelta(days=weeks * 7 + offset)).weekday()]
        for day, windows in self.exceptions.items():
            if first <= day < last:
                total += self._length(windows) - per_weekday[day.weekday()]
        return total

    def is_working(self, moment: dt.datetime) -> bool:
        """Whether ``moment`` lies inside a working window (start exclusive, end inclusive)."""
        local = moment.astimezone(self.tz)
        for day in (local.date() - dt.timedelta(days=1), local.date()):
            for begin, end in self.windows_on(day):
                window_start = dt.datetime.combine(day, begin, tzinfo=self.tz)
                if window_start < moment <= _end_of(day, end, self.tz):
                    return True
        return False


def office_hours(
    *windows: Window,
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4),
    exceptions: Mapping[dt.date, tuple[Window, ...]] | None = None,
    time_zone: str = "Asia/Shanghai",
) -> BusinessHours:
    """Convenience: the same windows on each of ``weekdays``."""
    return BusinessHours(
        time_zone=time_zone,
        weekly={day: tuple(windows) for day in weekdays},
        exceptions=dict(exceptions or {}),
    )
