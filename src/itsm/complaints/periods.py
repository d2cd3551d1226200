"""Months as report periods, in the provider's time zone."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

DEFAULT_TIME_ZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC-aware datetimes, with a label such as ``2026-11``."""

    start: dt.datetime
    end: dt.datetime
    label: str

    @classmethod
    def month(cls, year: int, month: int, time_zone: str = DEFAULT_TIME_ZONE) -> Period:
        tz = ZoneInfo(time_zone)
        start = dt.datetime(year, month, 1, tzinfo=tz)
        end = dt.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=tz)
        return cls(start, end, f"{year:04d}-{month:02d}")

    def previous(self, months: int) -> list[Period]:
        """The ``months`` months ending with this one, oldest first."""
        found, year, month = [], self.start.year, self.start.month
        tz = str(self.start.tzinfo)
        for _i in range(months):
            found.insert(0, Period.month(year, month, tz))
            year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        return found
