"""The jobs of notifications (huey): sending one, and queueing again those whose job
was lost. Registered with the worker through ``core.tasks``."""

from __future__ import annotations

import datetime as dt

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task
from huey.exceptions import RetryTask

from ..audit import audit_context
from ..choices import AuditSource
from .delivery import deliver, lost_notification_ids


# Delivery failures are retried by raising ``RetryTask(delay=…)`` with the delay computed
# from the attempt count in the database (30 s × 2^(attempts − 1): 30, 60, 120, 240,
# 480 s; ``notifications.delivery.retry_delay``), so the schedule survives a lost job and
# ``RetryTask`` does not use up huey's own retries. Those (``retries=5``,
# ``retry_delay=30``, ``retry_backoff=2``) cover unexpected errors such as a database
# outage. A rate-limited notification is deferred the same way, until the oldest
# attempt of its channel leaves the one-minute window; that is not an attempt.
@db_task(retries=5, retry_delay=30, retry_backoff=2)
def send_notification(notification_id: int) -> str:
    """Send one notification (exactly once: a sent or failed one is skipped)."""

    with audit_context(source=AuditSource.JOB):
        outcome = deliver(notification_id)
    if outcome.retry_in is not None:
        raise RetryTask(delay=outcome.retry_in)
    return outcome.state


@db_periodic_task(crontab(minute="*/5"))
def retry_pending_notifications() -> int:
    """Every 5 minutes: queue again pending notifications whose job was lost."""

    with audit_context(source=AuditSource.JOB):
        return retry_pending()


def retry_pending(now: dt.datetime | None = None) -> int:
    """Queue a job again for every lost notification; returns how many."""
    ids = lost_notification_ids(now)
    for pk in ids:
        send_notification(pk)
    return len(ids)
