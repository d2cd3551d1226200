"""China's official working-day arrangement, from the ``holidays`` package.

Public holidays and their make-up working days (调休) are published by the State
Council each year; ``holidays`` carries them, and the tests cross-check every day
against ``chinesecalendar``. Used by the seed migration and ``itsm calendar-seed``.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable

import holidays

from .choices import CalendarExceptionKind

MAKE_UP_DAY_NAME = "调休上班"


def china_arrangement(years: Iterable[int]) -> list[tuple[dt.date, str, str]]:
    """``(date, kind, name)`` for every holiday and make-up working day of ``years``."""
    years = sorted(set(years))
    china = holidays.China(years=years, language="zh_CN")
    rows = {day: (CalendarExceptionKind.HOLIDAY.value, name) for day, name in china.items()}
    for day in getattr(china, "weekend_workdays", ()):
        if day.year in years:
            rows[day] = (CalendarExceptionKind.WORKDAY.value, MAKE_UP_DAY_NAME)
    return [(day, kind, name[:100]) for day, (kind, name) in sorted(rows.items())]


def published_years() -> list[int]:
    """Years for which ``holidays`` knows China's make-up days (i.e. the arrangement)."""
    return list(_published_years(dt.date.today().year))


@functools.lru_cache(maxsize=2)
def _published_years(this_year: int) -> tuple[int, ...]:
    # Computing the arrangement of several years takes a while; the package does not
    # change while the process runs (the holiday banner asks on every page).
    china = holidays.China(years=range(2020, this_year + 3))
    return tuple(sorted({day.year for day in getattr(china, "weekend_workdays", ())}))
