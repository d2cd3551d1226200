"""Session fixtures of the multi-process tests (marker ``faults``; see ``processes.py``).

Here rather than in a test module so that ``test_faults.py`` and ``test_scaleout.py``
share one PostgreSQL cluster, one Redis and one migrated database in a run. Nothing is
started unless a test asks for these fixtures.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from .processes import (
    SECRET_KEY,
    SETUP,
    PostgresCluster,
    RedisServer,
    Site,
    SmtpSink,
    free_port,
    login_page_ready,
    schema_fingerprint,
    summary_writer,
    wait_for,
)


@pytest.fixture(scope="session")
def faults_dir(request) -> Path:
    """Logs, Redis and the processes' var dir; removed unless a test failed."""
    path = Path(tempfile.mkdtemp(prefix="itsm-faults-"))
    yield path
    if request.session.testsfailed or os.environ.get("ITSM_FAULTS_KEEP"):
        print(f"\nfault test logs kept in {path}")
    else:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres():
    cluster = PostgresCluster()
    cluster.ensure()
    try:
        yield cluster
    finally:
        cluster.stop()  # kept for the next run


@pytest.fixture(scope="session")
def redis(faults_dir):
    server = RedisServer(faults_dir / "redis")
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture(scope="session")
def smtp():
    sink = SmtpSink()
    sink.controller.start()
    try:
        yield sink
    finally:
        sink.controller.stop()


@pytest.fixture(scope="session")
def itsm_site(postgres, redis, smtp, faults_dir):
    """The database (migrated, demo data, tokens) and environment; no process yet."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("ITSM_") and k != "DJANGO_SETTINGS_MODULE"}
    env.update({
        "DJANGO_SETTINGS_MODULE": "itsm.settings",
        "ITSM_PRODUCTION": "1", "ITSM_SECRET_KEY": SECRET_KEY,
        "ITSM_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "ITSM_DATABASE_URL": postgres.url, "ITSM_REDIS_URL": redis.url,
        "ITSM_VAR_DIR": str(faults_dir / "var"), "ITSM_EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
        "ITSM_LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1",
    })
    it = Site(env=env, dir=faults_dir)

    def build() -> None:
        for args in (("migrate", "--noinput", "-v0"), ("demo",)):
            result = it.itsm(*args)
            assert result.returncode == 0, (args, result.stderr[-3000:])

    started = time.monotonic()
    built = postgres.recreate_database(build, schema_fingerprint())
    print(f"\nfaults setup: database {'built' if built else 'copied from the template'} "
          f"in {time.monotonic() - started:.1f} s")
    data = it.python(SETUP)
    it.tokens = data["tokens"]
    it.services = data["services"]
    try:
        yield it
    finally:
        for name in list(it.processes):
            it.stop(name)


@pytest.fixture(scope="session")
def site(itsm_site, faults_dir):
    """``itsm serve`` (gunicorn, 2 workers) on a free port: ``site.web_url``."""
    port = free_port()
    itsm_site.web_url = f"http://127.0.0.1:{port}"
    itsm_site.spawn("web", "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2")
    try:
        wait_for(lambda: login_page_ready(itsm_site.web_url), 60,
                 f"the web server (log: {faults_dir / 'web.log'})")
        yield itsm_site
    finally:
        itsm_site.stop("web")


@pytest.fixture(scope="session")
def summary():
    """The fault tests' figures, written to $ITSM_VAR_DIR/faults-summary.json after each."""
    return summary_writer("faults-summary.json", "FAULTS")
