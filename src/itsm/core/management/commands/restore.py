"""``itsm restore PATH``: load a backup into an empty database, then verify it."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from itsm.core.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = ("Restore a backup made by `itsm backup` into the configured database, which must "
            "be empty, and its files under MEDIA_ROOT; verify row counts, the audit chain and "
            "file checksums (exit 1 on any mismatch).")

    def add_arguments(self, parser):
        parser.add_argument("path", help="the .tar.gz archive written by `itsm backup`")

    def handle(self, *args, **options):
        try:
            report = restore_backup(Path(options["path"]))
        except BackupError as exc:
            raise CommandError(f"Restore refused: {exc}") from exc
        self.stdout.write(
            f"Restored {report.rows} rows in {report.tables_checked} tables, "
            f"{report.audit_entries} audit entries, {report.files_checked} files.")
        if not report.ok:
            for problem in report.problems:
                self.stderr.write(f"MISMATCH {problem}")
            raise CommandError(f"Verification FAILED: {len(report.problems)} problem(s).")
        self.stdout.write(self.style.SUCCESS(
            "Verification passed: row counts match the manifest, the audit chain is intact, "
            "every file's sha256 matches."))
