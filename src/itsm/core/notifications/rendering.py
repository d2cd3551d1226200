"""Notifications, rendering: the built-in subject and body, or the provider's active
:class:`NotificationTemplate` for (event, language) rendered in the ``core.templating``
sandbox; the record facts a notification carries (type, number, title, link)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.utils import translation

from .. import templating
from ..cache import cached
from ..models import NotificationTemplate
from ..text import single_line

#: The cache family of notification templates and channels (``core.receivers``).
NOTIFICATIONS = "notifications"


def record_info(record) -> dict[str, Any]:
    if record is None:
        return {}
    url = ""
    if hasattr(record, "get_absolute_url"):
        try:
            url = record.get_absolute_url()
        except Exception:  # a link is a nicety, never a reason to fail
            url = ""
    base = getattr(settings, "SITE_URL", "").rstrip("/")
    if url and base:
        url = base + url
    return {
        "type": record._meta.label_lower,
        "id": record.pk,
        "number": getattr(record, "number", None),
        "title": getattr(record, "title", ""),
        "url": url,
    }


def subject_line(subject: str) -> str:
    """One line (no CR/LF: header injection), at most the column's 255 characters."""
    return single_line(subject, 255)


def language_of(language: str | None) -> str:
    """A language of settings.LANGUAGES (the active one by default)."""
    try:
        return translation.get_supported_language_variant(
            language or translation.get_language() or settings.LANGUAGE_CODE)
    except LookupError:
        return settings.LANGUAGE_CODE


def customised(event: str, provider_id: int | None, language: str, *, record, actor,
                subject: str, body: str) -> tuple[str, str]:
    """The provider's active template for (event, language) rendered in the sandbox, or
    the built-in text (also when the template fails: logged, never raised)."""
    if provider_id is None:
        return subject, body
    template = cached(NOTIFICATIONS, f"templates:{provider_id}", lambda: {
        (t.event, t.language): t for t in NotificationTemplate.objects.filter(
            provider_id=provider_id, is_active=True).order_by("-pk")
    }).get((event, language))
    if template is None:
        return subject, body
    with translation.override(language):
        context = templating.record_context(
            event, record, actor=actor, default_subject=subject_line(subject),
            default_body=str(body), url=record_info(record).get("url", ""))
        return templating.render_notification(template, context, default_subject=subject,
                                              default_body=str(body))


def absolute(path: str) -> str:
    """``path`` as a link in a message: on the address users reach ITSM at."""
    return settings.SITE_URL.rstrip("/") + path


def by_language(people: Iterable, actor=None) -> dict[str, list]:
    """``people`` (minus ``actor``, without duplicates) grouped by their language."""
    groups: dict[str, list] = {}
    for person in {p.pk: p for p in people if p is not None}.values():
        if actor is not None and person.pk == actor.pk:
            continue
        language = getattr(getattr(person, "profile", None), "language", None)
        groups.setdefault(language or settings.LANGUAGE_CODE, []).append(person)
    return groups
