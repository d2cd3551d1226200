"""Notifications, delivery: :func:`deliver`, run by the huey job
``notifications.jobs.send_notification``, claims a pending notification, sends it outside any
transaction and records the outcome, with the per-channel rate limit, retries and
leases described in the package docstring; :func:`retry_pending` re-queues the
notifications whose job was lost."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ..choices import NotificationStatus
from ..models import Notification, NotificationAttempt, NotificationChannel
from .senders import send

#: Retries after the first attempt (huey's ``retries``), and the first retry delay.
RETRIES = 5
MAX_ATTEMPTS = 1 + RETRIES
RETRY_BASE_DELAY = 30
#: The rolling window of the per-channel rate limit, in seconds.
RATE_WINDOW = 60
#: An attempt "in progress" for longer than this was interrupted (worker crash).
LEASE_SECONDS = 120
#: A pending notification without any activity for this long lost its job.
LOST_AFTER = dt.timedelta(minutes=10)
#: How much of a response body the attempt log keeps.
RESPONSE_LIMIT = 2000


@dataclass
class Outcome:
    """What :func:`deliver` did; ``retry_in`` (seconds) asks the job to run again later."""

    state: str  # sent | failed | retry | deferred | skipped
    retry_in: float | None = None


def retry_delay(attempts: int) -> int:
    """Seconds before the next try after ``attempts`` failed ones: 30 × 2^(attempts−1)."""
    return RETRY_BASE_DELAY * 2 ** max(attempts - 1, 0)


def _fail(notification_id: int, error: str) -> Outcome:
    Notification.objects.filter(pk=notification_id, status=NotificationStatus.PENDING).update(
        status=NotificationStatus.FAILED, last_error=error)
    return Outcome("failed")


def _claim(notification_id: int, now: dt.datetime) -> tuple[Outcome | None, Notification | None,
                                                          NotificationAttempt | None]:
    """Phase 1 in one short transaction: lock, check, rate-limit, write the attempt."""
    with transaction.atomic():
        notification = (Notification.objects.select_for_update(skip_locked=True)
                        .filter(pk=notification_id).first())
        if notification is None:  # gone, or another worker holds it right now
            return Outcome("skipped"), None, None
        if notification.status != NotificationStatus.PENDING:
            return Outcome("skipped"), None, None  # exactly once: already sent or failed
        running = (notification.attempt_log.filter(ok=False, error="")
                   .order_by("-attempted_at").first())
        if running is not None:
            if running.attempted_at > now - dt.timedelta(seconds=LEASE_SECONDS):
                return Outcome("skipped"), None, None  # another worker is sending it
            running.error = _("The delivery was interrupted (the worker stopped).")
            running.save(update_fields=["error"])
        if notification.attempts >= MAX_ATTEMPTS:
            return _fail(notification.pk, notification.last_error
                         or _("Too many attempts.")), None, None
        channel = None
        if notification.channel_id is not None:
            # Locking the channel row serializes the count-then-insert below across
            # workers, so the limit holds exactly however many processes send.
            channel = (NotificationChannel.objects.select_for_update()
                       .filter(pk=notification.channel_id).first())
        if channel is None and (notification.payload or {}).get("channel_id"):
            return _fail(notification.pk, _("The channel was deleted.")), None, None
        if channel is not None:
            if not channel.is_active:
                return _fail(notification.pk, _("The channel is disabled.")), None, None
            limit = channel.rate_limit_per_minute or 20
            window = NotificationAttempt.objects.filter(
                notification__channel_id=channel.pk,
                attempted_at__gt=now - dt.timedelta(seconds=RATE_WINDOW))
            used = window.count()
            if used >= limit:
                oldest = window.order_by("attempted_at").values_list(
                    "attempted_at", flat=True).first()
                wait = (oldest + dt.timedelta(seconds=RATE_WINDOW) - now).total_seconds()
                return Outcome("deferred", retry_in=max(wait, 0) + 1), None, None
            notification.channel = channel
        attempt = NotificationAttempt.objects.create(notification=notification,
                                                     attempted_at=now)
        notification.attempts += 1
        Notification.objects.filter(pk=notification.pk).update(attempts=notification.attempts)
    return None, notification, attempt


def deliver(notification_id: int) -> Outcome:
    """Try to send one notification once; see the module docstring for the phases."""
    now = timezone.now()
    outcome, notification, attempt = _claim(notification_id, now)
    if outcome is not None:
        return outcome
    assert notification is not None and attempt is not None
    result = send(notification)
    error = "" if result.ok else (result.error or _("Unknown error."))
    with transaction.atomic():
        NotificationAttempt.objects.filter(pk=attempt.pk).update(
            ok=result.ok, status_code=result.status_code, error=error,
            response=(result.response or "")[:RESPONSE_LIMIT])
        if result.ok:
            Notification.objects.filter(pk=notification.pk).update(
                status=NotificationStatus.SENT, sent_at=timezone.now(), last_error="")
            return Outcome("sent")
        if notification.attempts >= MAX_ATTEMPTS:
            Notification.objects.filter(pk=notification.pk).update(
                status=NotificationStatus.FAILED, last_error=error)
            return Outcome("failed")
        Notification.objects.filter(pk=notification.pk).update(last_error=error)
    return Outcome("retry", retry_in=retry_delay(notification.attempts))


def lost_notification_ids(now: dt.datetime | None = None, limit: int = 1000) -> list[int]:
    """Pending notifications whose job was lost (worker crash, queue flushed).

    Pending, created more than 10 minutes ago, no attempt in the last 10 minutes
    (the longest retry delay is 8 minutes) and, for a channel, the channel is not
    saturated right now (its rate-limited jobs are alive, waiting for a slot).
    """
    now = now or timezone.now()
    cutoff = now - LOST_AFTER
    recent = NotificationAttempt.objects.filter(notification=OuterRef("pk"),
                                                attempted_at__gte=cutoff)
    busy = [
        row["pk"] for row in NotificationChannel.objects.annotate(
            used=Count("notifications__attempt_log", filter=Q(
                notifications__attempt_log__attempted_at__gt=now - dt.timedelta(
                    seconds=RATE_WINDOW)))).values("pk", "used", "rate_limit_per_minute")
        if row["used"] >= (row["rate_limit_per_minute"] or 20)
    ]
    return list(
        Notification.objects.filter(status=NotificationStatus.PENDING, created_at__lt=cutoff)
        .exclude(Exists(recent)).exclude(channel_id__in=busy)
        .order_by("created_at", "pk").values_list("pk", flat=True)[:limit])
