"""A person's own account: what happens after a password change or a password reset,
and the mails about the account (in the person's language, sent by a background job)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from . import audit, directory
from .choices import AuditAction
from .jobs import queue_after_commit
from .tasks import send_account_email as job
from .text import single_line

#: How a password was changed (recorded in the audit log).
CHANGED = "change"
RESET = "reset"


def site_link(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def send_account_email(user, template: str, context: dict[str, Any], *,
                       to: str | None = None) -> None:
    """Queue ``account/email/<template>.txt`` (and its ``_subject``) for the person, in
    their language, when the current transaction commits."""
    address = (to or user.email or "").strip()
    if not address or "\n" in address or "\r" in address:
        return
    profile = getattr(user, "profile", None)
    language = getattr(profile, "language", None) or settings.LANGUAGE_CODE
    context = {"user": user, "site_url": settings.SITE_URL, **context}
    with translation.override(language):
        subject = single_line(
            render_to_string(f"account/email/{template}_subject.txt", context), 255)
        body = render_to_string(f"account/email/{template}.txt", context)

    queue_after_commit(job, address, subject, body)


@transaction.atomic
def password_changed(user, *, how: str) -> None:
    """After a person changed (``CHANGED``) or reset (``RESET``) their own password:
    their API tokens are revoked (their other browser sessions end by themselves, the
    password hash no longer matching), a reset also lifts the login lockout of the
    username, the change is audited, and the person is told by email."""
    directory.revoke_api_tokens(user)
    if how == RESET:
        from axes.utils import reset as reset_lockout

        reset_lockout(username=user.get_username())
    profile = getattr(user, "profile", None)
    audit.log(action=AuditAction.UPDATE, instance=user, actor=user,
              changes={"password": ["***", "***"], "via": [None, how]},
              organization_id=getattr(profile, "organization_id", None))
    send_account_email(user, "password_changed", {
        "when": timezone.localtime(),
        "ip_address": audit.current_context().ip_address or "",
        "reset_link": site_link(reverse("password_reset")),
    })
