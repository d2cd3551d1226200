"""A person's own account: what happens after a password change or a password reset,
and the mails about the account (in the person's language, sent by a background job)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from . import audit, directory
from .choices import AuditAction
from .jobs import queue_after_commit
from .models import display_name
from .tasks import send_account_email as job
from .text import single_line

#: How a password was changed (recorded in the audit log).
CHANGED = "change"
RESET = "reset"
#: The links an administrator sends a person: to set a first password, or a new one.
INVITATION = "invitation"
RESET_LINK = "reset_link"


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


def password_link(user) -> str:
    """A one-time link at which ``user`` sets a password (Django's password reset token:
    it stops working once used, after a login, or after ``PASSWORD_RESET_TIMEOUT``)."""
    return site_link(reverse("password_reset_confirm", kwargs={
        "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user)}))


@transaction.atomic
def send_password_link(person, *, actor, kind: str = INVITATION) -> None:
    """An administrator sends ``person`` a link to set their password: an invitation
    (``INVITATION``, for a new account) or a reset link (``RESET_LINK``). The same
    people may do it as may change the person (``directory.require_people_manager``);
    the person must be active and have an email address. Audited (who sent which link
    to which address); the mail goes out when the transaction commits."""
    directory.require_people_manager(actor, person)
    if not person.is_active:
        raise ValidationError(_("%(person)s is inactive: activate the account first.")
                              % {"person": display_name(person)})
    if not (person.email or "").strip():
        raise ValidationError({"email": [_("%(person)s has no email address.")
                                         % {"person": display_name(person)}]})
    template = "invitation" if kind == INVITATION else "password_link"
    send_account_email(person, template, {
        "link": password_link(person), "sender": display_name(actor) if actor else "",
        "days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)})
    profile = getattr(person, "profile", None)
    audit.log(action=AuditAction.UPDATE, instance=person, actor=actor,
              changes={"password_link": [None, kind], "sent_to": [None, person.email]},
              organization_id=getattr(profile, "organization_id", None))
