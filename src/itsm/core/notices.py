"""Notices shown on every page that a person may close for themselves.

A notice has a key naming what it is about and for when (``"holidays:2027"``: next
year's public holidays are missing from the calendars). Closing it stores the key on the
person's profile (``Profile.dismissed_notices``); the notice stays away for them while
its key is the same, and comes back when the situation changes (another year, another
key). Other people still see it.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from . import audit
from .choices import AuditAction
from .models import Profile

#: What a notice key looks like: a kind and a subject (years, codes).
NOTICE_KEY = re.compile(r"[a-z][a-z_]{0,31}:[0-9a-z,_-]{1,64}")
#: Keys kept per person (the oldest are forgotten: their notices are long gone).
MAX_DISMISSED = 50


def is_dismissed(user, key: str) -> bool:
    """Whether ``user`` closed the notice ``key`` (reads the profile already loaded)."""
    profile = getattr(user, "profile", None)
    return profile is not None and key in (profile.dismissed_notices or [])


@transaction.atomic
def dismiss_notice(user, key: str) -> None:
    """``user`` closes the notice ``key`` for themselves (audited on their profile)."""
    if not isinstance(key, str) or not NOTICE_KEY.fullmatch(key):
        raise ValidationError({"key": _("Unknown notice.")})
    profile = Profile.objects.select_for_update().filter(user=user).first()
    if profile is None:
        raise ValidationError({"key": _("Unknown notice.")})
    before = list(profile.dismissed_notices or [])
    if key in before:
        return
    profile.dismissed_notices = [*before, key][-MAX_DISMISSED:]
    profile.save(update_fields=["dismissed_notices"])
    audit.log(action=AuditAction.UPDATE, instance=profile, actor=user,
              changes={"dismissed_notices": [before, profile.dismissed_notices]})
    cached = getattr(user, "profile", None)
    if cached is not None:
        cached.dismissed_notices = profile.dismissed_notices
