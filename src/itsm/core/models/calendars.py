"""Business calendars: working windows per weekday and dated exceptions (SLM-6)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from itsm.core.cache import cached

from .. import access
from ..businesstime import BusinessHours
from ..choices import CalendarExceptionKind, Weekday
from ..limits import DESCRIPTION_MAX_LENGTH
from .records import Organization, ScopedQuerySet

#: The cache family of everything derived from calendars (business hours, exceptions,
#: the default calendar): every change to a calendar, its windows or its exceptions
#: renews it (``core.invalidation``; ``catalog.admin_services.touch_calendar`` for the
#: bulk writes that send no signal).
CALENDARS = "calendars"


class CalendarQuerySet(ScopedQuerySet):
    def visible_to(self, user):
        # Calendars of the user's provider, plus the shared ones (no organization).

        provider = access.provider_id_of(user)
        if provider is None:
            return self.none()
        return self.filter(models.Q(organization_id=provider) | models.Q(organization=None))


class BusinessCalendar(models.Model):
    """A working calendar (工作日历): windows per weekday, holidays, make-up days, or 7×24."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True, max_length=DESCRIPTION_MAX_LENGTH)
    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="calendars",
        help_text=_("The provider that maintains it; empty for a shared calendar."),
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    always_on = models.BooleanField(_("7×24"), default=False)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    objects = CalendarQuerySet.as_manager()

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def business_hours(self) -> BusinessHours:
        """The calendar as pure data for business-time arithmetic (cached until a calendar
        changes)."""

        return cached(CALENDARS, f"business-hours:{self.pk}", self._build)

    def _build(self) -> BusinessHours:
        weekly: dict[int, list[tuple[dt.time, dt.time]]] = {}
        for window in self.windows.all():
            weekly.setdefault(window.weekday, []).append((window.start, window.end))
        standard_day = next((weekly[d] for d in range(7) if d in weekly), [])
        exceptions = {}
        for exc in self.exceptions.all():
            if exc.kind == CalendarExceptionKind.HOLIDAY:
                exceptions[exc.date] = ()
            elif exc.start and exc.end:
                exceptions[exc.date] = ((exc.start, exc.end),)
            else:
                exceptions[exc.date] = tuple(sorted(standard_day))
        return BusinessHours(
            time_zone=self.time_zone, always_on=self.always_on,
            weekly={day: tuple(sorted(w)) for day, w in weekly.items()},
            exceptions=exceptions,
        )

    def missing_years(self, today: dt.date | None = None) -> list[int]:
        """Years (this and next) without any dated exception: holidays not entered yet."""
        if self.always_on:
            return []
        today = today or timezone.localdate()
        entered = set(self.exceptions.filter(date__year__in=[today.year, today.year + 1])
                      .values_list("date__year", flat=True).distinct())
        return [year for year in (today.year, today.year + 1) if year not in entered]


class CalendarWindow(models.Model):
    """Working hours on one weekday; a lunch break is two windows."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE,
                                 related_name="windows")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start = models.TimeField(_("from"))
    end = models.TimeField(_("until"))

    class Meta:
        verbose_name = _("working window")
        verbose_name_plural = _("working windows")
        ordering = ["weekday", "start"]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"

    def clean(self) -> None:
        if self.start >= self.end:
            raise ValidationError({"end": _("The window must end after it starts.")})


class CalendarException(models.Model):
    """A dated exception: public holiday, make-up working day (调休) or half day."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE,
                                 related_name="exceptions")
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=16, choices=CalendarExceptionKind.choices)
    name = models.CharField(_("name"), max_length=100, blank=True)
    start = models.TimeField(_("from"), null=True, blank=True,
                             help_text=_("Half days and make-up days: working hours of the "
                                         "day; empty means a normal working day."))
    end = models.TimeField(_("until"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar exception")
        verbose_name_plural = _("calendar exceptions")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="unique_calendar_date"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}".strip()

    def clean(self) -> None:
        if self.kind == CalendarExceptionKind.HALF_DAY and not (self.start and self.end):
            raise ValidationError({"start": _("A half day needs its working hours.")})
        if (self.start is None) != (self.end is None):
            raise ValidationError({"end": _("Give both the start and the end, or neither.")})
        if self.start and self.end and self.start >= self.end:
            raise ValidationError({"end": _("The working hours must end after they start.")})
