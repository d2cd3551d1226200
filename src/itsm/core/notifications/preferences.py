"""Notifications, preferences: each person's email / IM / in-app choice per event (all
on unless turned off), read by :func:`~itsm.core.notifications.compose.notify`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ..choices import NotificationEvent
from ..models import NotificationPreference

#: The ways a person can be told, each a boolean of :class:`NotificationPreference`.
CHANNELS = ("email", "im", "in_app")


def enabled(user_ids: list[int], event: str) -> dict[str, set[int]]:
    """Of ``user_ids``, those who want ``event`` by email and those who want it in the
    app (on by default), in one query."""
    wanted = {"email": set(user_ids), "in_app": set(user_ids)}
    for pk, email, in_app in NotificationPreference.objects.filter(
            user_id__in=user_ids, event=event).values_list("user_id", "email", "in_app"):
        if not email:
            wanted["email"].discard(pk)
        if not in_app:
            wanted["in_app"].discard(pk)
    return wanted


def get_preferences(user) -> list[dict[str, Any]]:
    """Every event with the person's email / IM / in-app choice (on unless turned off)."""
    saved = {p.event: p for p in NotificationPreference.objects.filter(user=user)}
    return [
        {"event": event.value, "label": str(event.label),
         **{name: getattr(saved[event.value], name) if event.value in saved else True
            for name in CHANNELS}}
        for event in NotificationEvent
    ]


@transaction.atomic
def set_preferences(user, items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Save the person's choices for the events given; others stay as they are."""
    for item in items:
        if item["event"] not in NotificationEvent.values:
            raise ValidationError({"event": _("Unknown event.")})
        defaults = {k: bool(item[k]) for k in CHANNELS if k in item}
        NotificationPreference.objects.update_or_create(user=user, event=item["event"],
                                                        defaults=defaults)
    return get_preferences(user)
