"""Shared test fixtures: two providers, their customers, one person per role.

``world`` builds:
- provider P (with customers A and B) and provider Q (with customer C);
- P staff: admin, agent, engineer, lead, auditor; Q staff: agent_q;
- customer people: requester_a, requester_a2, custadmin_a (A), requester_b,
  custadmin_b (B), requester_c (C);
- team P "一线服务台" (agent, lead) and team Q "Q desk".
Objects of B carry the sentinel string ``SENTINEL_B`` so leaks are easy to spot.

The world is built once per worker process and committed (``committed_world``); a test
gets a copy of its objects and changes the rows inside its own rolled-back transaction.
"""

from __future__ import annotations

import copy
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from pytest_django.plugin import blocking_manager_key
from rest_framework.test import APIClient

from itsm.core import directory, services
from itsm.core.choices import OrganizationKind, Role
from itsm.core.models import AuditChainHead, AuditEntry, Organization, Team

User = get_user_model()
PASSWORD = "correct-horse-battery-staple"
SENTINEL_B = "SENTINEL_B_7f3a"

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def race(work, calls: list[tuple] | int, *, timeout: float = 120) -> list:
    """Run ``work(*args)`` for each args tuple (or ``calls`` times without arguments) in
    threads released at the same moment, each with its own database connection; return
    the results in order and re-raise the first error. For concurrency tests."""
    import threading

    calls = [()] * calls if isinstance(calls, int) else calls
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)
    errors: list[BaseException] = []

    def run(i: int, args: tuple) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = work(*args)
        except BaseException as exc:  # re-raised below, in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, args)) for i, args in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    if errors:
        raise errors[0]
    return results


@contextmanager
def job_queue_down():
    """Inside: jobs are queued for real (not run at once) into a Redis that is not there
    — the job queue is down."""
    import socket

    from huey.contrib.djhuey import HUEY
    from huey.storage import RedisStorage

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    storage, immediate = HUEY.storage, HUEY._immediate
    HUEY._immediate = False
    HUEY.storage = RedisStorage(HUEY.name, url=f"redis://127.0.0.1:{closed}/0")
    try:
        yield
    finally:
        HUEY.storage, HUEY._immediate = storage, immediate


@dataclass
class World:
    orgs: dict[str, Organization] = field(default_factory=dict)
    users: dict[str, Any] = field(default_factory=dict)
    teams: dict[str, Team] = field(default_factory=dict)

    def __getattr__(self, name: str):
        users = self.__dict__.get("users", {})
        if name in users:
            return users[name]
        raise AttributeError(name)

    def client(self, username: str | None) -> APIClient:
        """An API client logged in (session) as ``username``; None for anonymous."""
        client = APIClient()
        if username is not None:
            client.force_login(self.users[username])
        return client

    def request(self, requester: str, **data: Any):
        """A service request raised by ``requester`` through the service layer."""
        from itsm.servicedesk.models import ServiceRequest

        user = self.users[requester]
        payload = {"organization": user.profile.organization, "title": "打印机卡纸",
                   "description": "三楼打印机卡纸", "requester": user, **data}
        return services.create_record(ServiceRequest, actor=user, data=payload)


PEOPLE = [
    # username, org, roles
    ("admin", "P", [Role.ADMINISTRATOR]),
    ("agent", "P", [Role.AGENT]),
    ("engineer", "P", [Role.AGENT]),
    ("lead", "P", [Role.TEAM_LEAD, Role.AGENT]),
    ("auditor", "P", [Role.AUDITOR]),
    ("agent_q", "Q", [Role.AGENT]),
    ("requester_a", "A", [Role.REQUESTER]),
    ("requester_a2", "A", [Role.REQUESTER]),
    ("custadmin_a", "A", [Role.CUSTOMER_ADMIN, Role.REQUESTER]),
    ("requester_b", "B", [Role.REQUESTER]),
    ("custadmin_b", "B", [Role.CUSTOMER_ADMIN, Role.REQUESTER]),
    ("requester_c", "C", [Role.REQUESTER]),
]


#: Debian's chromium, which the browser tests drive through Playwright (never downloaded).
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def chromium():
    """A headless Debian chromium for a browser test (skipped without Playwright)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            yield browser
        finally:
            browser.close()

def build_world() -> World:
    world = World()
    for code, name, kind, provider in [
        ("P", "星云服务商", OrganizationKind.PROVIDER, None),
        ("Q", "Other Provider Ltd", OrganizationKind.PROVIDER, None),
        ("A", "华东制造", OrganizationKind.CUSTOMER, "P"),
        ("B", f"Customer B {SENTINEL_B}", OrganizationKind.CUSTOMER, "P"),
        ("C", "Customer C", OrganizationKind.CUSTOMER, "Q"),
    ]:
        world.orgs[code] = directory.create_object(Organization, actor=None, data={
            "code": code.lower(), "name": name, "kind": kind,
            "provider": world.orgs.get(provider) if provider else None})
    for username, org, roles in PEOPLE:
        world.users[username] = directory.create_person(actor=None, data={
            "username": username, "first_name": username, "last_name": "",
            "email": f"{username}@example.cn", "password": PASSWORD, "roles": roles,
            "is_staff": Role.ADMINISTRATOR in roles,
            "profile": {"organization": world.orgs[org]}})
    world.teams["desk"] = directory.create_object(Team, actor=None, data={
        "organization": world.orgs["P"], "name": "一线服务台",
        "members": [world.users["agent"], world.users["lead"]], "lead": world.users["lead"]})
    world.teams["q_desk"] = directory.create_object(Team, actor=None, data={
        "organization": world.orgs["Q"], "name": "Q desk", "members": [world.users["agent_q"]]})
    return world


#: The world of this worker process, committed in its test database (``committed_world``).
_WORLD: World | None = None


def committed_world() -> World:
    """The world, built once per worker process and committed, so a test reads it
    instead of building it (~150 ms each). Tests run in a transaction rolled back at
    their end, so none sees another's changes; a transactional test's flush deletes it,
    and it is built again after that test (``pytest_runtest_teardown``). Inside a
    transaction that is not the test's own (a module's data) it is built there."""
    global _WORLD
    if _WORLD is None:
        world = build_world()
        if connection.in_atomic_block:
            return world
        _WORLD = world
    return _WORLD


def _rebuild_world(config: pytest.Config, *, last: bool) -> None:
    """After a transactional test flushed the database: the world again, committed
    (not after the worker's last test: its test database is gone by then)."""
    global _WORLD
    _WORLD = None
    if not last:
        with config.stash[blocking_manager_key].unblock():
            committed_world()


@pytest.fixture(scope="session", autouse=True)
def _world_once(request) -> None:
    """Build the committed world at the start of a worker's session, before any test
    opens its transaction, when one of its tests uses the database."""
    if any(_uses_database(item) for item in request.session.items):
        request.getfixturevalue("django_db_setup")
        with request.getfixturevalue("django_db_blocker").unblock():
            committed_world()


def world_copy() -> World:
    """A copy of the committed world: what a test changes in these objects stays in it."""
    return copy.deepcopy(committed_world())


@pytest.fixture
def world(db) -> World:
    return world_copy()


@pytest.fixture
def empty_database(db) -> None:
    """For what happens on a database nothing was loaded into (a first run): the
    committed world is deleted inside the test's transaction, so it is back after."""
    Team.objects.all().delete()
    User.objects.all().delete()
    Organization.objects.filter(provider__isnull=False).delete()
    Organization.objects.all().delete()
    AuditEntry.objects.all().delete()
    AuditChainHead.objects.all().delete()


@pytest.fixture
def sentinel() -> str:
    return SENTINEL_B


@pytest.fixture(autouse=True)
def _empty_cache():
    """Rate-limit counters (and anything else cached) start empty in every test."""
    from django.core.cache import cache

    from itsm.core.cache import forget_local

    cache.clear()
    forget_local()


@pytest.fixture(scope="session", autouse=True)
def _end_stray_database_sessions(django_db_setup, django_db_blocker):
    """Threads of concurrency and live-server tests may leave a PostgreSQL session
    behind; end them so the test database can be dropped at the end of the run."""
    yield
    with django_db_blocker.unblock():
        if is_postgres():
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()")


#: Fixtures that give a test the database.
_DB_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences",
                "django_db_serialized_rollback"}


def _uses_database(item: pytest.Item) -> bool:
    return bool(_DB_FIXTURES & set(getattr(item, "fixturenames", ()))
                or item.get_closest_marker("django_db"))


_TRANSACTIONAL_FIXTURES = {"transactional_db", "live_server", "django_db_reset_sequences",
                           "django_db_serialized_rollback"}


def _is_transactional(item: pytest.Item) -> bool:
    """Whether the test ran outside a rolled-back transaction (its end flushes the
    database)."""
    marker = item.get_closest_marker("django_db")
    return bool(_TRANSACTIONAL_FIXTURES & set(getattr(item, "fixturenames", ()))
                or (marker is not None and (marker.kwargs.get("transaction")
                                             or (marker.args and marker.args[0]))))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None):
    """``itsm verify-audit`` after every test that used the database (GEN-3).

    Runs before the test's fixtures are torn down, i.e. on what the test left in the
    database (its transaction is still open): every test of the suite ends with an intact
    audit chain, except those marked ``audit_tampered`` that break it on purpose. The
    failure is raised after the fixtures are torn down so the database is cleaned up."""
    broken = None
    if _uses_database(item) and not item.get_closest_marker("audit_tampered"):
        from itsm.core.audit import verify_chain

        try:
            result = verify_chain()
            if not result.ok:
                broken = f"{result.reason} (entry {getattr(result.broken_entry, 'pk', '-')})"
        except RuntimeError as exc:  # database access not allowed: nothing to verify
            if "Database access not allowed" not in str(exc):
                raise
    yield
    if _is_transactional(item):
        _rebuild_world(item.config, last=nextitem is None)
    if broken:
        pytest.fail(f"itsm verify-audit fails after {item.nodeid}: {broken}", pytrace=False)
