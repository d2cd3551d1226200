"""``itsm verify-audit``: walk the hash chain and report the first tampered entry."""

from django.core.management.base import BaseCommand, CommandError

from itsm.core.audit import verify_chain


class Command(BaseCommand):
    help = "Verify the audit log's hash chain; exit 1 and name the first broken entry."

    def handle(self, *args, **options):
        result = verify_chain()
        if result.ok:
            self.stdout.write(self.style.SUCCESS(
                f"Audit chain intact: {result.checked} entries verified."))
            return
        entry = result.broken_entry
        if entry is None:
            raise CommandError(f"Audit chain broken after {result.checked} entries: "
                               f"{result.reason}.")
        raise CommandError(
            f"Audit chain broken at entry #{entry.pk} ({entry.occurred_at:%Y-%m-%d %H:%M:%S} "
            f"{entry.action} {entry.object_type}:{entry.object_id}): {result.reason}. "
            f"{result.checked} earlier entries verified."
        )
