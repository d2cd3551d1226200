"""Notifications, preferences: each person's email/IM choice per event (both on unless
turned off), read by :func:`~itsm.core.notifications.compose.notify`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ..choices import NotificationEvent
from ..models import NotificationPreference


def email_enabled(user_ids: list[int], event: str) -> set[int]:
    """Of ``user_ids``, those whose email is on for ``event`` (on by default)."""
    off = set(NotificationPreference.objects.filter(
        user_id__in=user_ids, event=event, email=False).values_list("user_id", flat=True))
    return {pk for pk in user_ids if pk not in off}


def get_preferences(user) -> list[dict[str, Any]]:
    """Every event with the person's email/IM choice (both on unless turned off)."""
    saved = {p.event: p for p in NotificationPreference.objects.filter(user=user)}
    return [
        {"event": event.value, "label": str(event.label),
         "email": saved[event.value].email if event.value in saved else True,
         "im": saved[event.value].im if event.value in saved else True}
        for event in NotificationEvent
    ]


@transaction.atomic
def set_preferences(user, items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Save the person's choices for the events given; others stay as they are."""
    for item in items:
        if item["event"] not in NotificationEvent.values:
            raise ValidationError({"event": _("Unknown event.")})
        defaults = {k: bool(item[k]) for k in ("email", "im") if k in item}
        NotificationPreference.objects.update_or_create(user=user, event=item["event"],
                                                        defaults=defaults)
    return get_preferences(user)
