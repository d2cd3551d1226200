"""Real processes for the multi-process tests (marker ``faults``): ``test_faults.py``
(PostgreSQL and Redis stopped under load) and ``test_scaleout.py`` (2 web processes
behind nginx, 2 consumers).

The tests own their servers, because the suite and other people use the main ones
(never stopped here): a PostgreSQL cluster ``itsmfaults`` on port 5439 (created when
missing, stopped at the end and kept for the next run; its database ``itsm_faults`` is
recreated from a template) and a redis-server on a free port (killed at the end), an
SMTP sink in the test process counting mails by their ``X-ITSM-Notification`` header.
The fixtures are in ``conftest.py`` next to this module (session-scoped: shared by both
test files in one run).
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

PG_PORT = 5439
PG_CLUSTER = "itsmfaults"
PG_DATABASE = "itsm_faults"
SECRET_KEY = "faults-" + secrets.token_urlsafe(40)


def unavailable(reason: str) -> None:
    """Skip (fail under CI=1, where the fault tests must run)."""
    if os.environ.get("CI"):
        pytest.fail(f"fault tests cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def wait_for(predicate, timeout: float, what: str, interval: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def children(pid: int) -> set[int]:
    """PIDs of the direct children of ``pid`` (from /proc)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.add(int(entry.name))
    return found


def gone(pid: int) -> bool:
    """The process has exited (a zombie counts: nothing may reap it in a container)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


# --- The servers the tests own --------------------------------------------------------------


class PostgresCluster:
    """The private cluster ``itsmfaults`` on port 5439 (never the main cluster)."""

    def __init__(self) -> None:
        for tool in ("pg_createcluster", "pg_ctlcluster", "pg_lsclusters"):
            if shutil.which(tool) is None:
                unavailable(f"{tool} is not installed (Debian postgresql-common)")
        self.version = self._version()
        self.url = f"postgres://postgres@127.0.0.1:{PG_PORT}/{PG_DATABASE}"

    def _clusters(self) -> list[list[str]]:
        out = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True,
                             check=True).stdout
        return [line.split() for line in out.splitlines() if line.strip()]

    def _version(self) -> str:
        clusters = self._clusters()
        for row in clusters:
            if row[1] == PG_CLUSTER:
                return row[0]
        versions = sorted({row[0] for row in clusters}, key=float)
        if not versions:
            unavailable("no PostgreSQL cluster exists to take the server version from")
        return versions[-1]

    def _ctl(self, *args: str) -> None:
        result = subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", self.version,
                                 PG_CLUSTER, *args], capture_output=True, text=True,
                                timeout=90)
        if result.returncode != 0:
            raise RuntimeError(f"pg_ctlcluster {' '.join(args)}: {result.stderr.strip()}")

    def running(self) -> bool:
        return any(row[1] == PG_CLUSTER and row[3] == "online" for row in self._clusters())

    def ensure(self) -> None:
        if not any(row[1] == PG_CLUSTER for row in self._clusters()):
            result = subprocess.run(
                ["pg_createcluster", self.version, PG_CLUSTER, "--port", str(PG_PORT),
                 "--", "--auth=trust"], capture_output=True, text=True, timeout=120)
            if result.returncode != 0:
                unavailable(f"pg_createcluster failed: {result.stderr.strip()[-300:]}")
        if not self.running():
            try:
                self._ctl("start")
            except RuntimeError as exc:
                unavailable(f"cannot start cluster {PG_CLUSTER}: {exc}")
        try:
            self.connect("postgres").close()
        except Exception as exc:
            unavailable(f"cannot connect to {PG_CLUSTER} on port {PG_PORT} as postgres "
                        f"without a password (its pg_hba.conf must trust 127.0.0.1): {exc}")

    def stop_immediately(self) -> None:
        """Like a crash: no checkpoint, connections cut, recovery from WAL at start."""
        self._ctl("stop", "-m", "immediate")

    def start(self) -> None:
        self._ctl("start")

    def stop(self) -> None:
        if self.running():
            self._ctl("stop", "-m", "fast")

    def connect(self, database: str = PG_DATABASE):
        import psycopg

        return psycopg.connect(f"postgresql://postgres@127.0.0.1:{PG_PORT}/{database}",
                               autocommit=True, connect_timeout=5)

    def recreate_database(self, build, fingerprint: str) -> bool:
        """A fresh ``itsm_faults``: copied from ``itsm_faults_template`` when that was
        built from the same migrations and demo data (its comment holds their
        fingerprint), else ``build()`` fills a new one, which becomes the template.
        True when it was built."""
        template = f"{PG_DATABASE}_template"
        with self.connect("postgres") as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
            row = conn.execute(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                "WHERE datname = %s", (template,)).fetchone()
            if row is not None and row[0] == fingerprint:
                conn.execute(f"CREATE DATABASE {PG_DATABASE} TEMPLATE {template}")
                return False
            conn.execute(f"DROP DATABASE IF EXISTS {template} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {PG_DATABASE}")
        build()
        with self.connect("postgres") as conn:
            conn.execute(f"CREATE DATABASE {template} TEMPLATE {PG_DATABASE}")
            conn.execute(f"COMMENT ON DATABASE {template} IS '{fingerprint}'")
        return True

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self.connect() as conn:
            return conn.execute(sql, params).fetchall()


class RedisServer:
    """redis-server (on a free port) that keeps nothing: a restart starts empty."""

    def __init__(self, directory: Path) -> None:
        if shutil.which("redis-server") is None:
            unavailable("redis-server is not installed")
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.pidfile = self.dir / "redis.pid"
        # A free port, kept across restarts: never a leftover server's (or another run's).
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        if port_open(self.port):
            unavailable(f"port {self.port} is already in use")
        self.pidfile.unlink(missing_ok=True)
        subprocess.run(["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1",
                        "--port", str(self.port), "--save", "", "--appendonly", "no",
                        "--dir", str(self.dir), "--pidfile", str(self.pidfile),
                        "--logfile", str(self.dir / "redis.log")], check=True, timeout=30)
        wait_for(lambda: port_open(self.port) and self.pidfile.exists(), 15, "redis-server")

    def kill(self) -> None:
        """SIGKILL: no shutdown, and what was queued is gone."""
        if not self.pidfile.exists():
            return
        pid = int(self.pidfile.read_text().strip())
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        wait_for(lambda: gone(pid), 10, "redis-server to die")
        self.pidfile.unlink(missing_ok=True)


class SmtpSink:
    """An SMTP server in this process counting mails by notification id; ``delay`` slows
    each DATA down so that sending is still in progress when Redis is killed."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.delay = 0.0
        self.in_progress = 0
        self.lock = threading.Lock()
        self.received: list[dict[str, Any]] = []
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd: a line per command

    async def handle_DATA(self, server, session, envelope) -> str:
        # A client gone before "250 OK" cancels this coroutine: that mail is not counted
        # (the server never took it), as a real mail server would not deliver it.
        with self.lock:
            self.in_progress += 1
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
        finally:
            with self.lock:
                self.in_progress -= 1
        message = email.message_from_bytes(envelope.original_content or envelope.content,
                                           policy=email.policy.default)
        with self.lock:
            self.received.append({"notification": message.get("X-ITSM-Notification"),
                                  "message_id": message.get("Message-ID"),
                                  "to": list(envelope.rcpt_tos),
                                  "subject": str(message.get("Subject", "")),
                                  "message": message})
        return "250 OK"

    def count(self) -> int:
        with self.lock:
            return len(self.received)

    def by_notification(self) -> dict[str | None, int]:
        """How many mails arrived per ``X-ITSM-Notification`` id."""
        with self.lock:
            counts: dict[str | None, int] = {}
            for mail in self.received:
                counts[mail["notification"]] = counts.get(mail["notification"], 0) + 1
            return counts


@dataclass
class Site:
    """ITSM on the private servers: migrated, demo data, API tokens, processes."""

    env: dict[str, str]
    dir: Path
    web_url: str = ""
    tokens: dict[str, str] = field(default_factory=dict)
    services: dict[str, int] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def itsm(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "itsm", *args], env=self.env,
                              capture_output=True, text=True, timeout=timeout)

    def python(self, code: str) -> Any:
        """Run ``code`` in ``itsm shell``; it prints ``RESULT <json>`` as its last line."""
        result = self.itsm("shell", "-c", code, timeout=120)
        assert result.returncode == 0, result.stderr[-3000:]
        line = [x for x in result.stdout.splitlines() if x.startswith("RESULT ")][-1]
        return json.loads(line[len("RESULT "):])

    def spawn(self, name: str, *args: str) -> subprocess.Popen:
        log = open(self.dir / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen([sys.executable, "-m", "itsm", *args], env=self.env,
                                   stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        log.close()
        self.processes[name] = process
        return process

    def stop(self, name: str) -> None:
        """SIGTERM to the process group we started (gunicorn and its workers), then KILL."""
        process = self.processes.pop(name, None)
        if process is None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=30)
        time.sleep(0.5)
        with contextlib.suppress(ProcessLookupError):  # what of the group is still there
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def web_pids(self) -> dict[str, Any]:
        """The gunicorn master (child of ``itsm serve``) and its worker processes."""
        masters = children(self.processes["web"].pid)
        assert len(masters) == 1, masters
        master = masters.pop()
        return {"master": master, "workers": sorted(children(master))}

    def headers(self, user: str) -> dict[str, str]:
        # Behind a TLS proxy: the production settings redirect plain HTTP to HTTPS.
        return {"Authorization": f"Token {self.tokens[user]}", "X-Forwarded-Proto": "https",
                "Accept-Language": "en"}


def schema_fingerprint() -> str:
    """Changes whenever a migration or the demo data changes."""
    import hashlib

    import django

    root = Path(__file__).resolve().parents[2]
    digest = hashlib.sha256(django.get_version().encode())
    for path in sorted([*root.glob("*/migrations/*.py"),
                        root / "demo" / "management" / "commands" / "demo.py"]):
        digest.update(str(path.relative_to(root)).encode() + path.read_bytes())
    return digest.hexdigest()


SETUP = r"""
import json
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from itsm.catalog.models import Service
names = ["requester", "custadmin", "requester_b", "custadmin_b"]
tokens = {u.username: Token.objects.get_or_create(user=u)[0].key
          for u in get_user_model().objects.filter(username__in=names)}
services = dict(Service.objects.values_list("code", "pk"))
print("RESULT " + json.dumps({"tokens": tokens, "services": services}))
"""

# The periodic job retry_pending_notifications runs every 5 minutes and re-queues
# notifications without activity for LOST_AFTER (10 minutes). The test does not wait
# that long: right after Redis is back it runs the same function once, with the clock
# moved past LOST_AFTER, so that every notification still pending is queued again
# (those whose jobs survived too: a second job for a notification must not send twice).
RETRY_NOW = r"""
import datetime as dt, json
from django.utils import timezone
from itsm.core import notifications
from itsm.core.notifications import delivery
later = timezone.now() + delivery.LOST_AFTER + dt.timedelta(minutes=1)
print("RESULT " + json.dumps(notifications.retry_pending(now=later)))
"""


def login_page_ready(url: str) -> bool:
    """The login page answers 200 at ``url`` (as seen behind a TLS proxy)."""
    import requests

    try:
        return requests.get(f"{url}/accounts/login/", timeout=2,
                            headers={"X-Forwarded-Proto": "https"}).status_code == 200
    except requests.RequestException:
        return False


def summary_writer(filename: str, label: str):
    """``record(name, figures)``: prints a line and keeps all figures of the run in
    ``$ITSM_VAR_DIR/<filename>``."""
    from django.conf import settings

    path = Path(os.environ.get("ITSM_VAR_DIR") or settings.VAR_DIR) / filename
    data: dict[str, Any] = {}

    def record(name: str, figures: dict[str, Any]) -> None:
        data[name] = figures
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False))
        print(f"\n{label} {name}: " + ", ".join(f"{k}={v}" for k, v in figures.items()))

    return record
