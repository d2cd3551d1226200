"""The core app's signal receivers (imported by ``CoreConfig.ready``).

- The record signals (``core.signals``): each is received by its sequence of
  ``core.reactions`` only, which runs the apps' reactions in the declared order.
- Retention (GEN-7): ``pre_delete`` of every record type refuses deleting a record
  inside its retention period (``core.retention``), whatever the path of the deletion.
- Cached who-is-who (``access.DIRECTORY``: people, their groups and profiles,
  organizations, teams; not a login), notification templates and channels
  (``notifications.rendering.NOTIFICATIONS``) and calendars with their windows and
  exceptions (``CALENDARS``) are renewed by any change to their rows
  (``cache.bump_on_change``).
- ``post_migrate``: the core app seeds its reference data; every app's records get their
  search indexes.
- Cached reference data is checked for changes once per request and once per job.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.signals import request_started
from django.db.models.signals import post_migrate, pre_delete
from huey.contrib.djhuey import HUEY
from huey.signals import SIGNAL_EXECUTING

from . import reactions
from .access import DIRECTORY
from .cache import begin_scope, bump_on_change
from .models import (
    BusinessCalendar,
    CalendarException,
    CalendarWindow,
    NotificationChannel,
    NotificationTemplate,
    Organization,
    Profile,
    Record,
    Team,
)
from .models.calendars import CALENDARS
from .notifications.rendering import NOTIFICATIONS
from .retention import check_deletable
from .search import ensure_indexes_after_migrate
from .seed import seed_after_migrate

# --- The record signals: in the order of core.reactions -------------------------------------

for sequence in reactions.SEQUENCES.values():
    sequence.connect()


# --- Retention ------------------------------------------------------------------------------


def refuse_deleting_retained_records(sender: type[Record], instance: Record,
                                     **kwargs: Any) -> None:
    check_deletable(instance)


for model in apps.get_models():
    if issubclass(model, Record):
        pre_delete.connect(refuse_deleting_retained_records, sender=model,
                           dispatch_uid=f"itsm.core.retention.{model._meta.label_lower}")


# --- Cached reference data ------------------------------------------------------------------

User = get_user_model()
bump_on_change(DIRECTORY, User, Group, Profile, Organization, Team,
               through=(User.groups.through, Team.members.through),
               unless_only=frozenset({"last_login"}))
bump_on_change(NOTIFICATIONS, NotificationTemplate, NotificationChannel)
bump_on_change(CALENDARS, BusinessCalendar, CalendarException, CalendarWindow)

request_started.connect(begin_scope, dispatch_uid="itsm-cache-scope")
HUEY.signal(SIGNAL_EXECUTING)(begin_scope)


# --- Migrations -----------------------------------------------------------------------------

post_migrate.connect(seed_after_migrate, sender=apps.get_app_config("core"))
post_migrate.connect(ensure_indexes_after_migrate)  # every app with records
