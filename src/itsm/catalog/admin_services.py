"""Write path for the catalogue and business calendars (SLM-1, SLM-2, SLM-6, INC-2).

Administrators of a provider maintain its services, SLA policies, priority matrix and
calendars; every change is atomic, validated and audited like the directory's
(``core.directory``). Every change to a calendar, its windows or its exceptions renews
what is cached of calendars (``CALENDARS``) and bumps ``BusinessCalendar.updated_at``.

Shared calendars (no organization) serve every provider: only superusers change them,
except that any provider administrator may seed China's official arrangement into one
(it only adds the published days that are missing, never changes a row).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from itertools import pairwise
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.core import access, audit, objects
from itsm.core import rules as perms
from itsm.core.cache import bump
from itsm.core.calendar_seed import china_arrangement, published_years
from itsm.core.choices import AuditAction, CalendarExceptionKind
from itsm.core.models import BusinessCalendar, CalendarException, CalendarWindow
from itsm.core.models.calendars import CALENDARS

from .models import SLAPolicy, SLATarget

M = TypeVar("M", bound=models.Model)

#: Models whose rows belong to a provider (the ``provider`` field).


# --- Permissions ------------------------------------------------------------------------


def require_admin(actor) -> None:
    """``None`` is the system (migrations, jobs, tests) and is always allowed."""
    if actor is not None and not perms.can_manage_master_data(actor):
        raise PermissionDenied(_("Only administrators may change the service catalogue."))


def _check_provider(actor, provider_id: int | None) -> None:
    if actor is None or actor.is_superuser:
        return
    if provider_id != access.provider_id_of(actor):
        raise ValidationError({"provider": _("Choose your own provider organization.")})


def can_write_calendar(user, calendar: BusinessCalendar) -> bool:
    """Administrators change their provider's calendars; superusers the shared ones."""
    if user is None:
        return True
    if not perms.can_manage_master_data(user):
        return False
    if calendar.organization_id is None:
        return user.is_superuser
    return calendar.organization_id == access.provider_id_of(user)


def can_seed_calendar(user, calendar: BusinessCalendar) -> bool:
    """Seeding only adds the official arrangement, so shared calendars are allowed too."""
    return can_write_calendar(user, calendar) or (
        calendar.organization_id is None and perms.can_manage_master_data(user))


def _require_calendar_writer(actor, calendar: BusinessCalendar) -> None:
    if not can_write_calendar(actor, calendar):
        raise PermissionDenied(_("You may not change this calendar."))


# --- Generic audited writes -------------------------------------------------------------


# --- Services and priority rules --------------------------------------------------------


@transaction.atomic
def create_provider_object(model: type[M], *, actor, data: dict[str, Any]) -> M:
    """A service or priority rule of the actor's provider."""
    require_admin(actor)
    if actor is not None and "provider" not in data:
        data["provider_id"] = access.provider_id_of(actor)
    _check_provider(actor, data.get("provider_id") or getattr(data.get("provider"), "pk", None))
    return objects.save_object(model, actor=actor, data=data)


@transaction.atomic
def update_provider_object(instance: M, *, actor, changes: dict[str, Any]) -> M:
    require_admin(actor)
    _check_provider(actor, instance.provider_id)
    changes.pop("provider", None)
    return objects.save_object(instance, actor=actor, data=changes)


@transaction.atomic
def delete_provider_object(instance: models.Model, *, actor) -> None:
    require_admin(actor)
    _check_provider(actor, instance.provider_id)
    objects.delete_object(instance, actor=actor)


# --- SLA policies with their targets ----------------------------------------------------


def _target_rows(policy: SLAPolicy) -> list[list[int]]:
    return [[t.priority, t.response_minutes, t.resolution_minutes]
            for t in policy.targets.order_by("priority")]


def validate_targets(targets: Iterable[dict[str, Any]]) -> None:
    """Each priority at most once, minutes above zero, response within resolution."""
    seen: set[int] = set()
    for target in targets:
        priority = target["priority"]
        if priority in seen:
            raise ValidationError({"targets": _("Priority %(priority)s is given twice.")
                                   % {"priority": priority}})
        seen.add(priority)
        if target["response_minutes"] <= 0 or target["resolution_minutes"] <= 0:
            raise ValidationError({"targets": _("Targets must be longer than zero minutes.")})
        if target["response_minutes"] > target["resolution_minutes"]:
            raise ValidationError({"targets": _(
                "The response target must not exceed the resolution target.")})


def _set_targets(policy: SLAPolicy, targets: list[dict[str, Any]]) -> None:
    validate_targets(targets)
    wanted = {t["priority"]: t for t in targets}
    policy.targets.exclude(priority__in=list(wanted)).delete()
    for priority, target in wanted.items():
        SLATarget.objects.update_or_create(
            policy=policy, priority=priority,
            defaults={"response_minutes": target["response_minutes"],
                      "resolution_minutes": target["resolution_minutes"]})


@transaction.atomic
def create_policy(*, actor, data: dict[str, Any],
                  targets: list[dict[str, Any]] | None = None) -> SLAPolicy:
    policy = create_provider_object(SLAPolicy, actor=actor, data=data)
    if targets:
        _set_targets(policy, targets)
        audit.log(action=AuditAction.UPDATE, instance=policy, actor=actor,
                  changes={"targets": [[], _target_rows(policy)]},
                  organization_id=policy.provider_id)
    return policy


@transaction.atomic
def update_policy(policy: SLAPolicy, *, actor, changes: dict[str, Any],
                  targets: list[dict[str, Any]] | None = None) -> SLAPolicy:
    """Change a policy; ``targets`` (when given) replace all of its targets."""
    require_admin(actor)
    _check_provider(actor, policy.provider_id)
    extra = {}
    if targets is not None:
        before = _target_rows(policy)
        _set_targets(policy, targets)
        after = _target_rows(policy)
        if before != after:
            extra["targets"] = [before, after]
    changes.pop("provider", None)
    return objects.save_object(policy, actor=actor, data=changes, extra_changes=extra)


# --- Business calendars -----------------------------------------------------------------


def touch_calendar(calendar: BusinessCalendar) -> None:
    """After bulk writes to a calendar's windows or exceptions (they send no signal): what
    every process caches of calendars is renewed (``CALENDARS``: business hours,
    exceptions, the missing-holidays warning) and ``updated_at`` moves on, strictly later
    than before even when the clock stands still (tests freeze it) or goes backwards.
    """
    bump(CALENDARS)
    stamp = max(timezone.now(), calendar.updated_at + dt.timedelta(microseconds=1))
    BusinessCalendar.objects.filter(pk=calendar.pk).update(updated_at=stamp)
    calendar.updated_at = stamp


def _window_rows(calendar: BusinessCalendar) -> list[list[Any]]:
    return [[w.weekday, w.start.isoformat("minutes"), w.end.isoformat("minutes")]
            for w in calendar.windows.order_by("weekday", "start")]


def validate_windows(windows: Iterable[dict[str, Any]]) -> None:
    """Each window ends after it starts; windows of one weekday do not overlap."""
    by_day: dict[int, list[tuple[dt.time, dt.time]]] = {}
    for window in windows:
        if window["start"] >= window["end"]:
            raise ValidationError({"windows": _("A working window must end after it starts.")})
        by_day.setdefault(window["weekday"], []).append((window["start"], window["end"]))
    for spans in by_day.values():
        spans.sort()
        for (_s1, end1), (start2, _e2) in pairwise(spans):
            if start2 < end1:
                raise ValidationError({"windows": _("Working windows of one weekday overlap.")})


def _set_windows(calendar: BusinessCalendar, windows: list[dict[str, Any]]) -> None:
    validate_windows(windows)
    calendar.windows.all().delete()
    CalendarWindow.objects.bulk_create(
        CalendarWindow(calendar=calendar, weekday=w["weekday"], start=w["start"], end=w["end"])
        for w in windows)


@transaction.atomic
def create_calendar(*, actor, data: dict[str, Any],
                    windows: list[dict[str, Any]] | None = None) -> BusinessCalendar:
    """A calendar of the actor's provider, with its weekly working windows."""
    require_admin(actor)
    if actor is not None and not actor.is_superuser:
        data["organization_id"] = access.provider_id_of(actor)
        data.pop("organization", None)
    calendar = objects.save_object(BusinessCalendar, actor=actor, data=data)
    if windows:
        _set_windows(calendar, windows)
        audit.log(action=AuditAction.UPDATE, instance=calendar, actor=actor,
                  changes={"windows": [[], _window_rows(calendar)]})
    touch_calendar(calendar)
    return calendar


@transaction.atomic
def update_calendar(calendar: BusinessCalendar, *, actor, changes: dict[str, Any],
                    windows: list[dict[str, Any]] | None = None) -> BusinessCalendar:
    """Change a calendar; ``windows`` (when given) replace all of its windows."""
    _require_calendar_writer(actor, calendar)
    if actor is not None and not actor.is_superuser:
        changes.pop("organization", None)
    extra = {}
    if windows is not None:
        before = _window_rows(calendar)
        _set_windows(calendar, windows)
        after = _window_rows(calendar)
        if before != after:
            extra["windows"] = [before, after]
    changes.pop("updated_at", None)
    calendar = objects.save_object(calendar, actor=actor, data=changes,
                                  extra_changes=extra)
    touch_calendar(calendar)
    return calendar


@transaction.atomic
def delete_calendar(calendar: BusinessCalendar, *, actor) -> None:
    _require_calendar_writer(actor, calendar)
    objects.delete_object(calendar, actor=actor)


def validate_exception(exception: CalendarException) -> None:
    if exception.kind == CalendarExceptionKind.HOLIDAY and (exception.start or exception.end):
        raise ValidationError({"start": _("A public holiday has no working hours.")})
    exception.full_clean(exclude=["calendar"], validate_unique=False,
                        validate_constraints=False)
    clash = CalendarException.objects.filter(calendar_id=exception.calendar_id,
                                             date=exception.date).exclude(pk=exception.pk)
    existing = clash.first()
    if existing is not None:
        raise ValidationError({"date": _("%(date)s already has an exception: %(existing)s.")
                               % {"date": exception.date, "existing": existing}})


@transaction.atomic
def add_exception(calendar: BusinessCalendar, *, actor,
                  data: dict[str, Any]) -> CalendarException:
    """A public holiday, make-up working day (调休) or half day of the calendar."""
    _require_calendar_writer(actor, calendar)
    exception = objects.save_object(CalendarException, actor=actor,
                                    data={"calendar": calendar, **data},
                                    clean=validate_exception,
                                    organization_id=calendar.organization_id)
    touch_calendar(calendar)
    return exception


@transaction.atomic
def update_exception(exception: CalendarException, *, actor,
                     changes: dict[str, Any]) -> CalendarException:
    calendar = exception.calendar
    _require_calendar_writer(actor, calendar)
    objects.save_object(exception, actor=actor, data=changes, clean=validate_exception,
                        organization_id=calendar.organization_id)
    touch_calendar(calendar)
    return exception


@transaction.atomic
def delete_exception(exception: CalendarException, *, actor) -> None:
    calendar = exception.calendar
    _require_calendar_writer(actor, calendar)
    objects.delete_object(exception, actor=actor, organization_id=calendar.organization_id)
    touch_calendar(calendar)


def unpublished_years(years: Iterable[int]) -> list[int]:
    """The years whose official arrangement the ``holidays`` package does not know."""
    known = set(published_years())
    return sorted({year for year in years if year not in known})


@transaction.atomic
def seed_china(calendar: BusinessCalendar, *, actor, years: list[int]) -> dict[str, Any]:
    """Add China's official holidays and make-up working days of ``years``.

    Dates that already have an exception keep it (a manual entry wins). Refused with
    the years not published yet and for a 7×24 calendar.
    """
    if not can_seed_calendar(actor, calendar):
        raise PermissionDenied(_("You may not change this calendar."))
    if calendar.always_on:
        raise ValidationError({"years": _("A 7×24 calendar has no holidays.")})
    unknown = unpublished_years(years)
    if unknown:
        raise ValidationError({"years": _(
            "China's official arrangement for %(years)s is not published in the holidays "
            "package yet; update it or enter the days by hand."
        ) % {"years": ", ".join(str(y) for y in unknown)}})
    taken = set(calendar.exceptions.filter(date__year__in=years).values_list("date", flat=True))
    rows = [CalendarException(calendar=calendar, date=day, kind=kind, name=name)
            for day, kind, name in china_arrangement(years) if day not in taken]
    CalendarException.objects.bulk_create(rows)
    result = {"years": sorted(set(years)), "added": len(rows), "kept": len(taken)}
    audit.log(action=AuditAction.UPDATE, instance=calendar, actor=actor,
              changes={"seeded": [None, result]}, organization_id=calendar.organization_id)
    touch_calendar(calendar)
    return result


@transaction.atomic
def seed_official_year(*, actor, year: int) -> list[dict[str, Any]]:
    """China's official arrangement of ``year`` added to every working-day calendar the
    actor relies on (their provider's and the shared ones) that has no day of that year
    yet — the one-click fix of the holiday banner. Each calendar goes through
    ``seed_china`` (audited per calendar). Calendar administrators only; refused for a
    year the ``holidays`` package has not published. ``[{calendar, years, added, kept}]``.
    """
    if actor is not None and not perms.can_manage_master_data(actor):
        raise PermissionDenied(_("You may not change this calendar."))
    if unpublished_years([year]):
        raise ValidationError({"year": _(
            "China's official arrangement for %(years)s is not published in the holidays "
            "package yet; update it or enter the days by hand."
        ) % {"years": year}})
    lacking = (BusinessCalendar.objects.visible_to(actor) if actor is not None
               else BusinessCalendar.objects.all()).filter(always_on=False).exclude(
        Exists(CalendarException.objects.filter(calendar_id=OuterRef("pk"), date__year=year)))
    return [{"calendar": calendar.name, **seed_china(calendar, actor=actor, years=[year])}
            for calendar in lacking.order_by("name") if can_seed_calendar(actor, calendar)]


def years_with_exceptions(calendar_ids: Iterable[int], years: Iterable[int]
                          ) -> dict[int, set[int]]:
    """``{calendar id: years among ``years`` with at least one exception}`` in one query."""
    rows = (CalendarException.objects
            .filter(calendar_id__in=list(calendar_ids), date__year__in=list(years))
            .values_list("calendar_id", "date__year").distinct().order_by())
    found: dict[int, set[int]] = {}
    for calendar_id, year in rows:
        found.setdefault(calendar_id, set()).add(year)
    return found


#: From this month on, next year's holidays count as missing (China publishes its
#: arrangement around November); the current year counts all year.
WARN_NEXT_YEAR_FROM_MONTH = 11


def calendars_missing_holidays(user, today: dt.date | None = None) -> list[dict[str, Any]]:
    """Working-day calendars the user relies on (their provider's and the shared ones)
    that have no exception in a year that needs one: ``[{id, name, year}]``, one query."""
    today = today or timezone.localdate()
    month = getattr(settings, "ITSM_CALENDAR_WARNING_MONTH", WARN_NEXT_YEAR_FROM_MONTH)
    years = [today.year] + ([today.year + 1] if today.month >= month else [])
    lacking = {str(year): ~Exists(CalendarException.objects.filter(
        calendar_id=OuterRef("pk"), date__year=year)) for year in years}
    condition = Q()
    for name in lacking:
        condition |= Q(**{f"lacks_{name}": True})
    rows = (BusinessCalendar.objects.visible_to(user).filter(always_on=False)
            .annotate(**{f"lacks_{name}": expr for name, expr in lacking.items()})
            .filter(condition).order_by("name"))
    return [{"id": row.pk, "name": row.name,
             "year": next(int(y) for y in lacking if getattr(row, f"lacks_{y}"))}
            for row in rows]
