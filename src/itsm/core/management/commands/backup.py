"""``itsm backup``: database dump, attachments and manifest in one .tar.gz archive."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from itsm.core.backup import BackupError, create_backup


class Command(BaseCommand):
    help = ("Write a consistent backup (database, attachments, manifest) to one .tar.gz; "
            "default var/backups/itsm-<UTC time>.tar.gz.")

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", help="the archive to write")

    def handle(self, *args, **options):
        try:
            result = create_backup(Path(options["output"]) if options["output"] else None)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        manifest = result.manifest
        self.stdout.write(self.style.SUCCESS(
            f"Backup written to {result.path}: {manifest['database']['vendor']} database, "
            f"{result.rows} rows in {len(manifest['tables'])} tables, "
            f"{manifest['audit']['entries']} audit entries, "
            f"{len(manifest['media'])} files. sha256 {result.sha256}"))
