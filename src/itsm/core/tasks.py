"""Background jobs of the core (huey)."""

from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.mail import EmailMessage
from django.db import connection
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from . import purge
from .audit import audit_context
from .choices import AuditSource
from .notifications.jobs import (  # noqa: F401 - the notification jobs, registered here
    retry_pending_notifications,
    send_notification,
)
from .reminders import send_due as send_due_reminders
from .reports.services import send_due


@db_periodic_task(crontab(minute="17", hour="3"))
def clear_expired_sessions() -> None:
    """Remove expired sessions every night so the session table stays small."""
    with audit_context(source=AuditSource.JOB):
        Session.objects.filter(expire_date__lt=timezone.now()).delete()


@db_periodic_task(crontab(minute="43", hour="2"))
def purge_expired_records() -> dict[str, int] | None:
    """Every night: delete closed records past their retention period, audited
    (does nothing unless ITSM_PURGE_EXPIRED is on: the purge deletes data)."""
    if not getattr(settings, "ITSM_PURGE_EXPIRED", False):
        return None
    return purge.purge_expired()


@db_task(retries=5, retry_delay=30, retry_backoff=2)
def send_account_email(to: str, subject: str, body: str) -> None:
    """A mail about a person's own account (password reset link, "your password was
    changed"): to that person only, never to channels, and not subject to preferences."""
    EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [to]).send()


@db_periodic_task(crontab(minute="53", hour="3"))
def refresh_query_statistics() -> bool:
    """Every night on SQLite: ANALYZE, so that its planner knows how big the tables are
    and walks the index a list is sorted by instead of sorting a whole organization's
    tickets (PostgreSQL's autovacuum keeps its statistics by itself)."""
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return True


@db_periodic_task(crontab(minute="25"))
def send_report_subscriptions() -> int:
    """Hourly: the report subscriptions that are due (each claimed by one worker, each
    period sent once: ``core.reports.services.send_due``)."""
    with audit_context(source=AuditSource.JOB):
        return send_due()


@db_periodic_task(crontab(minute="40", hour="6"))
def send_reminders() -> int:
    """Every morning: remind people of what is due (review dates, returns, expiries:
    ``core.reminders``); each step once, whoever runs it."""
    with audit_context(source=AuditSource.JOB):
        return send_due_reminders()
