"""Background jobs of the core (huey)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .audit import audit_context
from .choices import AuditSource


@db_periodic_task(crontab(minute="17", hour="3"))
def clear_expired_sessions() -> None:
    """Remove expired sessions every night so the session table stays small."""
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    with audit_context(source=AuditSource.JOB):
        Session.objects.filter(expire_date__lt=timezone.now()).delete()
