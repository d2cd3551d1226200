"""Background jobs of the service desk (huey): email intake."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from itsm.core.audit import audit_context
from itsm.core.choices import AuditSource

if TYPE_CHECKING:
    from .mailintake.fetcher import PollStats
from .mailintake import fetcher

logger = logging.getLogger(__name__)

#: One poll of the intake mailbox at a time across all consumers (huey's storage).
#: Created at import so that ``run_huey --flush-locks`` knows and clears it after a crash.
MAILBOX_LOCK_NAME = "servicedesk-poll-mailbox"
MAILBOX_LOCK = lock_task(MAILBOX_LOCK_NAME)


def _poll_schedule():
    """Every ITSM_IMAP_POLL_SECONDS, in whole minutes (huey's periodic granularity)."""
    minutes = max(1, round(int(getattr(settings, "IMAP_POLL_SECONDS", 60)) / 60))
    return crontab(minute="*" if minutes == 1 else f"*/{minutes}")


def poll_once() -> PollStats:
    """One locked poll; raises huey's ``TaskLockedException`` while another one runs."""

    with MAILBOX_LOCK, audit_context(source=AuditSource.EMAIL):
        return fetcher.poll_mailbox()


@db_periodic_task(_poll_schedule())
def poll_mailbox() -> None:
    """Fetch new mail from the intake mailbox (does nothing while ITSM_IMAP_URL is empty)."""
    if not settings.IMAP_URL:
        return
    stats = poll_once()
    if stats.fetched or stats.errors:
        logger.info("mail intake: %s", stats)
