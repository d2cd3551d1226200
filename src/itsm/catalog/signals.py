"""Cached catalogue and calendar data (``services``) follows every change to the rows
behind it; ``admin_services.touch_calendar`` covers the bulk writes that send no signal."""

from __future__ import annotations

from itsm.core.cache import bump_on_change
from itsm.core.models import BusinessCalendar, CalendarException, CalendarWindow

from .models import PriorityRule, Service, SLAPolicy, SLATarget
from .services import CALENDARS, CATALOGUE

bump_on_change(CALENDARS, BusinessCalendar, CalendarException, CalendarWindow)
bump_on_change(CATALOGUE, PriorityRule, Service, SLAPolicy, SLATarget)
