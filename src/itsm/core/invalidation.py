"""Who is who (``access.DIRECTORY``) is cached across requests: any change to people,
their groups and profiles, organizations or teams renews it (a login does not). So do
notification templates and channels (``notifications.NOTIFICATIONS``) and calendars with
their windows and exceptions (``CALENDARS``)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from .access import DIRECTORY
from .cache import bump_on_change
from .models import (
    BusinessCalendar,
    CalendarException,
    CalendarWindow,
    NotificationChannel,
    NotificationTemplate,
    Organization,
    Profile,
    Team,
)
from .models.calendars import CALENDARS
from .notifications import NOTIFICATIONS

User = get_user_model()
bump_on_change(DIRECTORY, User, Group, Profile, Organization, Team,
               through=(User.groups.through, Team.members.through),
               unless_only=frozenset({"last_login"}))
bump_on_change(NOTIFICATIONS, NotificationTemplate, NotificationChannel)
bump_on_change(CALENDARS, BusinessCalendar, CalendarException, CalendarWindow)
