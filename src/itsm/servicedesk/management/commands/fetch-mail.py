"""``itsm fetch-mail``: poll the intake mailbox once and print what happened."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from huey.exceptions import TaskLockedException
from imap_tools.errors import ImapToolsError

from itsm.servicedesk.tasks import poll_once


class Command(BaseCommand):
    help = "Fetch new mail from the intake mailbox once (ITSM_IMAP_URL) and file tickets."

    def handle(self, *args, **options):
        if not settings.IMAP_URL:
            raise CommandError(_("Email intake is off: ITSM_IMAP_URL is not set."))
        try:
            stats = poll_once()
        except TaskLockedException as exc:
            raise CommandError(
                _("Another worker is polling the intake mailbox; try again later.")) from exc
        except (OSError, ImapToolsError) as exc:
            raise CommandError(_("The intake mailbox is not reachable: %(error)s")
                               % {"error": exc}) from exc
        self.stdout.write(_(
            "Fetched %(fetched)d message(s): %(created)d ticket(s) created, %(commented)d "
            "comment(s) added, %(quarantined)d quarantined, %(ignored)d ignored, "
            "%(duplicates)d already processed, %(errors)d error(s).") % vars(stats))
        if stats.errors:
            raise CommandError(_("Some messages could not be handled; see the log."))
