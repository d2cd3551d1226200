"""Navigation for the two faces of the UI: staff workspace and customer portal."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from itsm.catalog.admin_services import calendars_missing_holidays
from itsm.core import access, notices
from itsm.core import rules as perms
from itsm.core.cache import cached
from itsm.core.calendar_seed import published_years
from itsm.core.choices import Language, Role
from itsm.core.models.calendars import CALENDARS
from itsm.core.registry import menus_for
from itsm.core.workspace import unread_count


def navigation(request: HttpRequest) -> dict:
    """The menus of the person (``core.registry``: only what their roles may use)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"languages": Language.choices}
    staff = access.is_provider_staff(user)
    return {
        "nav_menus": menus_for(user),
        "portal": not staff,
        "languages": Language.choices,
        "user_roles": sorted(str(access_label(r)) for r in access.roles_of(user)),
        "organization": access.organization_of(user),
        "calendar_warning": calendar_warning(request) if staff else None,
        "unread_notifications": unread_count(user),
    }


def calendar_warning(request: HttpRequest) -> dict | None:
    """Calendar administrators (``can_manage_master_data``) are warned on every page while
    a working-day calendar they rely on lacks the holidays of this year (or, from
    November, of next year), until they close the warning for themselves (its key names
    the years: a new year warns again). Years the ``holidays`` package has published can
    be added with one click. One query per provider and day, cached until a calendar
    changes (``CALENDARS`` version)."""
    if not hasattr(request, "_itsm_calendar_warning"):
        user = request.user
        warning = None
        if perms.can_manage_master_data(user):
            missing = cached(CALENDARS, f"missing-holidays:{access.provider_id_of(user)}:"
                                        f"{timezone.localdate().isoformat()}",
                             lambda: calendars_missing_holidays(user))
            years = sorted({row["year"] for row in missing})
            key = "holidays:" + ",".join(str(year) for year in years)
            if missing and not notices.is_dismissed(user, key):
                published = set(published_years())
                warning = {
                    "calendars": missing,
                    "years": years,
                    "key": key,
                    "seed_years": [year for year in years if year in published],
                    "url": _fix_url(user, missing),
                }
        request._itsm_calendar_warning = warning
    return request._itsm_calendar_warning


def _fix_url(user, missing: list[dict]) -> str | None:
    """Where an administrator fixes it by hand: the calendar's admin page (or the list)."""
    if not user.is_staff:
        return None
    if len(missing) == 1:
        return reverse("admin:core_businesscalendar_change", args=[missing[0]["id"]])
    return reverse("admin:core_businesscalendar_changelist")


def access_label(role: str) -> str:
    return dict(Role.choices).get(role, role)
