"""``itsm serve``: gunicorn (production WSGI server), optionally with the job consumer."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the web UI and API with gunicorn; --with-worker also runs the huey consumer."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("ITSM_BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int,
                            default=int(os.environ.get("ITSM_WEB_WORKERS", "2")))
        parser.add_argument("--with-worker", action="store_true",
                            help="Also run the background job consumer in a child process.")

    def handle(self, *args, **options):
        children: list[subprocess.Popen] = []
        if options["with_worker"]:
            worker = [sys.executable, "-m", "itsm", "worker"]
            children.append(subprocess.Popen(worker))  # noqa: S603 - fixed arguments
        web = subprocess.Popen([  # noqa: S603 - our own interpreter and fixed arguments
            sys.executable, "-m", "gunicorn", "itsm.wsgi:application",
            "--bind", options["bind"], "--workers", str(options["workers"]),
            "--access-logfile", "-", "--timeout", "60", "--graceful-timeout", "20",
            "--forwarded-allow-ips", os.environ.get("ITSM_FORWARDED_ALLOW_IPS", "127.0.0.1"),
        ])
        children.append(web)
        self.stdout.write(f"ITSM is serving on http://{options['bind']}/ "
                          f"(database: {settings.DATABASES['default']['ENGINE'].split('.')[-1]})")

        def stop(signum, frame):
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            code = web.wait()
        finally:
            stop(None, None)
            for child in children:
                try:
                    child.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    child.kill()
        sys.exit(code)
