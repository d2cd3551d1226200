"""Cached catalogue and calendar data (``services.cached``) follows every change to the
rows behind it, whichever path made it (service layer, Django admin, fixtures);
``admin_services.touch_calendar`` covers the bulk writes that send no signal."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from itsm.core.cache import bump
from itsm.core.models import BusinessCalendar, CalendarException, CalendarWindow

from .models import PriorityRule, Service, SLAPolicy, SLATarget
from .services import CALENDARS, CATALOGUE


def _receiver(family: str):
    def changed(sender, **kwargs) -> None:
        bump(family)
    return changed


_calendars_changed = _receiver(CALENDARS)
_catalogue_changed = _receiver(CATALOGUE)
for _family, _changed, _models in (
        (CALENDARS, _calendars_changed, (BusinessCalendar, CalendarException, CalendarWindow)),
        (CATALOGUE, _catalogue_changed, (PriorityRule, Service, SLAPolicy, SLATarget))):
    for _model in _models:
        post_save.connect(_changed, sender=_model, dispatch_uid=f"{_family}-{_model}")
        post_delete.connect(_changed, sender=_model, dispatch_uid=f"{_family}-{_model}-")
