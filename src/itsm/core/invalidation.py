"""Who is who (``access.DIRECTORY``) is cached across requests; any change to people,
their groups and profiles, organizations or teams starts a new version, whichever path
made it (directory services, Django admin, fixtures). So do notification templates and
channels (``notifications.NOTIFICATIONS``)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models.signals import m2m_changed, post_delete, post_save

from .access import DIRECTORY
from .cache import bump
from .models import NotificationChannel, NotificationTemplate, Organization, Profile, Team
from .notifications import NOTIFICATIONS


def _directory_changed(sender, update_fields=None, **kwargs) -> None:
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # a login changes nobody's roles or scope
    bump(DIRECTORY)


def _members_changed(sender, action: str, **kwargs) -> None:
    if action in {"post_add", "post_remove", "post_clear"}:
        bump(DIRECTORY)


User = get_user_model()
for _model in (User, Group, Profile, Organization, Team):
    post_save.connect(_directory_changed, sender=_model, dispatch_uid=f"directory-{_model}")
    post_delete.connect(_directory_changed, sender=_model, dispatch_uid=f"directory-{_model}-")
for _through in (User.groups.through, Team.members.through):
    m2m_changed.connect(_members_changed, sender=_through, dispatch_uid=f"directory-{_through}")


def _notifications_changed(sender, **kwargs) -> None:
    bump(NOTIFICATIONS)


for _model in (NotificationTemplate, NotificationChannel):
    post_save.connect(_notifications_changed, sender=_model, dispatch_uid=f"notify-{_model}")
    post_delete.connect(_notifications_changed, sender=_model, dispatch_uid=f"notify-{_model}-")
