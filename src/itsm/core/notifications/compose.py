"""Notifications, the write side: :func:`notify` writes one logged
:class:`~itsm.core.models.Notification` row per recipient and wanted channel, inside the
transaction of the change that causes it, and queues one send job per row on commit
(:func:`send_after_commit`)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone

from .. import audit
from ..cache import cached
from ..choices import NotificationEvent, NotificationStatus
from ..jobs import queue_after_commit
from ..models import Notification, NotificationChannel, Organization
from .jobs import send_notification
from .preferences import enabled
from .rendering import NOTIFICATIONS, customised, language_of, record_info, subject_line


def _provider_id(organization_id: int | None) -> int | None:
    """The provider serving an organization (itself when it is a provider)."""
    if organization_id is None:
        return None
    org = Organization.objects.filter(pk=organization_id).only("pk", "kind", "provider_id").first()
    return None if org is None else org.serving_provider_id


def _row_dedupe_key(dedupe_key: str | None, suffix: str) -> str | None:
    if not dedupe_key:
        return None
    key = f"{dedupe_key}:{suffix}"
    if len(key) > 200:
        key = "sha256:" + hashlib.sha256(key.encode()).hexdigest()
    return key


def notify(
    event: str,
    *,
    record=None,
    recipients: Iterable[Any] = (),
    subject: str,
    body: str,
    organization_id: int | None = None,
    dedupe_key: str | None = None,
    context: dict | None = None,
    language: str | None = None,
    actor: Any = None,
) -> list[Notification]:
    """Queue ``event`` for ``recipients`` (by email) and the provider's channels.

    Call inside the transaction of the change: the rows commit or roll back with it,
    and the send jobs are queued on commit (one per notification).

    - One notification per active recipient with an email address whose preference
      for ``event`` has email on (the default); a person listed twice gets one.
    - Each of these people also finds it in the app (the bell, ``user`` set on the row)
      unless their preference turns that off; one without an email address (or with
      email off) gets a row for the bell alone, written as sent.
    - One per active channel of the provider organization that serves the record's
      organization (or ``organization_id``) and wants ``event``.
    - ``subject`` and ``body`` are the built-in text, rendered by the caller in
      ``language`` (default: the active one). When the provider has an active
      :class:`NotificationTemplate` for (event, language), its rendering replaces them
      (``core.templating``; the built-in text is its ``default_subject`` /
      ``default_body``, ``actor`` its ``actor``). Robots get the same text, Markdown for
      DingTalk/WeCom; CR/LF are removed from the subject.
    - With ``dedupe_key`` each row gets ``f"{dedupe_key}:user:<id>"`` or
      ``f"{dedupe_key}:channel:<id>"``, unique in the database, so the same event
      notifies each recipient at most once even when two workers race.

    Returns the notifications created by this call (a deduplicated one is not
    returned again).
    """
    if event not in NotificationEvent.values:
        raise ValueError(f"unknown notification event {event!r}")
    if organization_id is None and record is not None:
        organization_id = getattr(record, "organization_id", None)
    if record is not None and organization_id == getattr(record, "organization_id", None) \
            and hasattr(record, "provider_id"):
        provider_id = record.provider_id  # its organization is usually loaded already
    else:
        provider_id = _provider_id(organization_id)
    subject, body = customised(event, provider_id, language_of(language), record=record,
                                actor=actor, subject=subject, body=body)
    clean_subject = subject_line(subject)
    payload: dict[str, Any] = {"record": record_info(record),
                               "context": audit.to_json_value(context or {})}
    common = {
        "event": event, "subject": clean_subject, "body": str(body),
        "record_type": ContentType.objects.get_for_model(record) if record is not None else None,
        "record_id": record.pk if record is not None else None,
        "organization_id": organization_id,
    }
    people: dict[int, Any] = {}
    for user in recipients:
        if user is None or user.pk in people or not user.is_active:
            continue
        people[user.pk] = user
    wanted = enabled(list(people), event)
    rows: list[tuple[str | None, dict[str, Any]]] = []
    for pk, user in people.items():
        email = (user.email or "").strip()
        in_app = pk in wanted["in_app"]
        if pk in wanted["email"] and email and "\n" not in email and "\r" not in email:
            # one row: the email, shown in the person's bell too unless they turned it off
            rows.append((_row_dedupe_key(dedupe_key, f"user:{pk}"), {
                **common, "recipient": email[:500], "user": user if in_app else None,
                "payload": {**payload, "user_id": pk}}))
        elif in_app:  # no email for them: the bell alone, delivered as it is written
            rows.append((_row_dedupe_key(dedupe_key, f"app:{pk}"), {
                **common, "recipient": user.get_username()[:500], "user": user,
                "status": NotificationStatus.SENT, "sent_at": timezone.now(),
                "payload": {**payload, "user_id": pk, "kind": "in_app"}}))
    if provider_id is not None:
        for channel in cached(NOTIFICATIONS, f"channels:{provider_id}", lambda: list(
                NotificationChannel.objects.filter(organization_id=provider_id,
                                                   is_active=True).order_by("pk"))):
            if not channel.wants(event):
                continue
            rows.append((_row_dedupe_key(dedupe_key, f"channel:{channel.pk}"), {
                **common, "channel": channel, "recipient": channel.name[:500],
                "payload": {**payload, "channel_id": channel.pk, "kind": channel.kind}}))

    created: list[Notification] = []
    with transaction.atomic(savepoint=False):  # a transaction when there is none
        for key, fields in rows:
            if key is None:
                notification = Notification.objects.create(**fields)
            else:
                # The INSERT in a savepoint: the unique column decides a race between
                # workers (or a repeated call), the loser skips the recipient.
                try:
                    with transaction.atomic():
                        notification = Notification.objects.create(dedupe_key=key, **fields)
                except IntegrityError:
                    continue
            created.append(notification)
            if notification.status == NotificationStatus.PENDING:  # not a bell-only one
                send_after_commit(notification.pk)
    return created


def send_after_commit(notification_id: int) -> None:
    """Queue the send job of a notification written in the current transaction once it
    commits (nothing when it rolls back; a queue that is down leaves it pending)."""
    queue_after_commit(_enqueue, notification_id)


def _enqueue(notification_id: int) -> None:
    send_notification(notification_id)
