"""Background jobs of the core (huey)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task
from huey.exceptions import RetryTask

from .audit import audit_context
from .choices import AuditSource


@db_periodic_task(crontab(minute="17", hour="3"))
def clear_expired_sessions() -> None:
    """Remove expired sessions every night so the session table stays small."""
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    with audit_context(source=AuditSource.JOB):
        Session.objects.filter(expire_date__lt=timezone.now()).delete()


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
    from . import notifications

    with audit_context(source=AuditSource.JOB):
        outcome = notifications.deliver(notification_id)
    if outcome.retry_in is not None:
        raise RetryTask(delay=outcome.retry_in)
    return outcome.state


@db_periodic_task(crontab(minute="*/5"))
def retry_pending_notifications() -> int:
    """Every 5 minutes: queue again pending notifications whose job was lost."""
    from . import notifications

    with audit_context(source=AuditSource.JOB):
        return notifications.retry_pending()


@db_periodic_task(crontab(minute="43", hour="2"))
def purge_expired_records() -> dict[str, int] | None:
    """Every night: delete closed records past their retention period, audited
    (does nothing unless ITSM_PURGE_EXPIRED is on: the purge deletes data)."""
    from django.conf import settings

    from . import retention

    if not getattr(settings, "ITSM_PURGE_EXPIRED", False):
        return None
    return retention.purge_expired()


@db_task(retries=5, retry_delay=30, retry_backoff=2)
def send_account_email(to: str, subject: str, body: str) -> None:
    """A mail about a person's own account (password reset link, "your password was
    changed"): to that person only, never to channels, and not subject to preferences."""
    from django.conf import settings
    from django.core.mail import EmailMessage

    EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [to]).send()


@db_periodic_task(crontab(minute="53", hour="3"))
def refresh_query_statistics() -> bool:
    """Every night on SQLite: ANALYZE, so that its planner knows how big the tables are
    and walks the index a list is sorted by instead of sorting a whole organization's
    tickets (PostgreSQL's autovacuum keeps its statistics by itself)."""
    from django.db import connection

    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return True
