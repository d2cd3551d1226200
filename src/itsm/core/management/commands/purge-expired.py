"""``itsm purge-expired [--dry-run]``: delete closed records past their retention
period (GEN-7), each deletion audited; prints the count per record type."""

from django.core.management.base import BaseCommand
from django.utils.translation import ngettext

from itsm.core.choices import AuditSource
from itsm.core.purge import purge_expired


class Command(BaseCommand):
    help = "Delete closed records whose retention period is over (audited)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true",
                            help="Only count the records that would be deleted.")
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, dry_run=False, batch_size=500, **options):
        counts = purge_expired(dry_run=dry_run, batch_size=batch_size,
                               source=AuditSource.CLI)
        for label, count in sorted(counts.items()):
            self.stdout.write(f"{label}: {count}")
        total = sum(counts.values())
        if dry_run:
            message = ngettext("%(count)d expired record would be deleted.",
                               "%(count)d expired records would be deleted.", total)
        else:
            message = ngettext("%(count)d expired record deleted.",
                               "%(count)d expired records deleted.", total)
        self.stdout.write(self.style.SUCCESS(message % {"count": total}))
