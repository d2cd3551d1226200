"""``itsm worker``: run the huey consumer (background jobs and periodic tasks)."""

from django.core.management import call_command
from django.core.management.base import BaseCommand

from itsm.core.warmup import warm_up


class Command(BaseCommand):
    help = "Run the background job consumer (huey)."

    def add_arguments(self, parser):
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--no-periodic", action="store_true",
                            help="Do not run periodic tasks (run them on exactly one worker).")

    def handle(self, *args, **options):
        # Jobs write records too (mail intake, alerts): load what they would load lazily
        # before the first job instead of during it (core.warmup).
        warm_up()
        # --flush-locks: a consumer killed mid-task must not leave a task lock behind
        # (mail polling and the SLA sweep would otherwise never run again).
        argv = ["--workers", str(options["workers"]), "--worker-type", "thread",
                "--flush-locks"]
        if options["no_periodic"]:
            argv.append("--no-periodic")
        call_command("run_huey", *argv)
