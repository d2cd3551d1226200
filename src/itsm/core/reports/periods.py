"""Report periods: calendar months and quarters in a provider's time zone.

A subscription sends, on the first day of a period (at ``SEND_HOUR`` local time, after
the night's jobs such as the quality targets' evaluation), the report of the period
that just ended; the period goes into the report's form as "2026-10" or "2026-Q3".
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIME_ZONE = "Asia/Shanghai"
#: Months of each period kind (subscriptions send monthly and quarterly reports; quality
#: targets are evaluated per half-year and year too).
MONTHS = {"month": 1, "quarter": 3, "half_year": 6, "year": 12}
#: The local hour a subscription's report goes out on the period's first day.
SEND_HOUR = 7
QUARTER_PATTERN = re.compile(r"([0-9]{4})-Q([1-4])")


def zone(time_zone: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(time_zone or DEFAULT_TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIME_ZONE)


def add_months(moment: dt.datetime, months: int) -> dt.datetime:
    years, month = divmod(moment.month - 1 + months, 12)
    return moment.replace(year=moment.year + years, month=month + 1)


def running_period(kind: str, now: dt.datetime, tz: ZoneInfo
                   ) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of the period of ``kind`` that ``now`` is in (local midnights)."""
    local, size = now.astimezone(tz), MONTHS[kind]
    start = dt.datetime(local.year, (local.month - 1) // size * size + 1, 1, tzinfo=tz)
    return start, add_months(start, size)


def last_complete_period(kind: str, now: dt.datetime, tz: ZoneInfo
                         ) -> tuple[dt.datetime, dt.datetime]:
    start, _end = running_period(kind, now, tz)
    return add_months(start, -MONTHS[kind]), start


def next_send_time(kind: str, now: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """When a subscription of ``kind`` goes out next after ``now``: ``SEND_HOUR`` on the
    first day of the running period if still ahead, else of the next one."""
    start, end = running_period(kind, now, tz)
    today = start.replace(hour=SEND_HOUR)
    return today if today > now else end.replace(hour=SEND_HOUR)


def period_value(kind: str, start: dt.datetime) -> str:
    """The period as a report parameter and label: ``2026-10``, ``2026-Q4``."""
    if kind == "quarter":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return f"{start:%Y-%m}"


def parse_quarter(text: str) -> tuple[int, int] | None:
    """(year, quarter) of ``2026-Q3`` (None when it is not one)."""
    match = QUARTER_PATTERN.fullmatch(text.strip())
    return (int(match[1]), int(match[2])) if match else None


def quarter_bounds(year: int, quarter: int, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime(year, 3 * quarter - 2, 1, tzinfo=tz)
    return start, add_months(start, 3)
