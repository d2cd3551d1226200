"""Service desk benchmark: bulk load, ticket creation, agent queues, SLA sweep.

    .venv/bin/python bench/servicedesk.py [--tickets 100000]
        [--database-url postgres://postgres@127.0.0.1:5432/itsm_bench]

Creates a fresh database (PostgreSQL by default; the database named in the URL is
dropped and created by this script and dropped again at the end unless ``--keep``;
a temporary SQLite file when PostgreSQL is unreachable or the URL is ``sqlite``),
migrates it, builds a world (20 customer organizations under one provider, 200
agents in 10 teams, a service catalogue with SLA policies) through the service
layer, bulk-loads tickets with their SLA clocks, then measures:

- ticket creation through the full API path (in-process DRF ``APIClient`` with token
  authentication: serializer, service layer, numbering, SLA clocks, audit, signals),
- the agent's list page (UI) and the API list, page 1 and a deep page, with the
  number of SQL queries per request,
- the SLA sweep over all running clocks and ``recompute_clocks`` for one ticket.

It prints figures and writes them as JSON to ``bench/results/``; it asserts nothing
about timings. Use ``--tickets 10000`` for a quick run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from itertools import accumulate
from pathlib import Path

import httpbench  # bench/ is on sys.path when run as a script
from httpbench import percentile
from vocabulary import (  # bench/ is on sys.path when run as a script
    CATEGORIES,
    CITIES,
    DETAILS,
    FINAL,
    INDUSTRIES,
    PRIORITY_WEIGHTS,
    REQUESTS,
    RESOLUTIONS,
    SEARCH_WORDS,
    STATUS_WEIGHTS,
    SYMPTOMS,
    SYSTEMS,
    TEAM_NAMES,
    person_name,
    random_created_at,
)

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/itsm_bench"
LOOPBACK = {"127.0.0.1", "localhost", "::1", ""}
SEED = 20260101



def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=100_000,
                        help="tickets to bulk-load (default 100000)")
    parser.add_argument("--database-url", default=DEFAULT_PG_URL,
                        help=f"loopback PostgreSQL URL or 'sqlite' (default {DEFAULT_PG_URL})")
    parser.add_argument("--creates", type=int, default=500,
                        help="tickets created one at a time through the API (default 500)")
    parser.add_argument("--imports", type=int, default=1000,
                        help="tickets imported in one bulk import request (default 1000)")
    parser.add_argument("--requests", type=int, default=50,
                        help="timed requests per list measurement (default 50)")
    parser.add_argument("--depth", type=int, default=20,
                        help="'next' links followed to reach the deep page (default 20)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the database (and temporary directory) afterwards")
    parser.add_argument("--reuse", action="store_true",
                        help="measure a PostgreSQL database kept by --keep instead of loading "
                             "a new one (implies --keep)")
    parser.add_argument("--json", metavar="PATH", help="where to write the figures "
                        "(default bench/results/itsm-<database>-<tickets>.json)")
    return parser.parse_args(argv)


# --- Database set-up (before Django is imported) -----------------------------------------


def prepare_database(url: str, tmp: Path, reuse: bool = False) -> tuple[str, str, callable]:
    """Return (database URL, engine label, cleanup); a fresh database either way, unless
    ``reuse`` and the PostgreSQL database exists."""
    def sqlite_file(reason: str | None):
        path = tmp / "bench.sqlite3"
        if reason:
            print(f"!!! {reason}: falling back to a temporary SQLite file {path}")
        return f"sqlite:///{path}", "sqlite", lambda: None

    if url in {"sqlite", "sqlite:", "sqlite://"}:
        return sqlite_file(None)
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme.startswith("sqlite"):
        path = Path(parsed.path)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return url, "sqlite", lambda: None
    if parsed.scheme not in {"postgres", "postgresql", "pgsql"}:
        sys.exit(f"Unsupported database URL {url!r}: use postgres://… or sqlite")
    if parsed.hostname not in LOOPBACK:
        sys.exit(f"Refusing to benchmark against {parsed.hostname}: loopback databases only.")
    name = parsed.path.lstrip("/") or "itsm_bench"
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        sys.exit(f"Unsupported database name {name!r}")
    try:
        import psycopg
    except ImportError:
        return sqlite_file("psycopg is not installed")
    admin_url = urllib.parse.urlunparse(parsed._replace(path="/postgres"))
    try:
        conn = psycopg.connect(admin_url, connect_timeout=3, autocommit=True)
    except Exception as exc:  # any failure means "not reachable"
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return sqlite_file(f"PostgreSQL is not reachable at {admin_url} ({first_line})")
    with conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not (reuse and exists):
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin_url, connect_timeout=3, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return urllib.parse.urlunparse(parsed._replace(path=f"/{name}")), "postgresql", drop


def configure_django(database_url: str, var_dir: Path) -> None:
    os.environ["ITSM_DATABASE_URL"] = database_url
    os.environ["ITSM_VAR_DIR"] = str(var_dir)
    os.environ["ITSM_ALLOWED_HOSTS"] = "testserver,localhost,127.0.0.1"
    os.environ.setdefault("ITSM_LOG_LEVEL", "WARNING")
    for name in ("ITSM_REDIS_URL", "ITSM_IMAP_URL", "ITSM_EMAIL_URL", "ITSM_PRODUCTION"):
        os.environ.pop(name, None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "itsm.settings"
    import django

    django.setup()


# --- Small helpers -------------------------------------------------------------------------


class Clock:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start


STARTED = time.perf_counter()


def step(message: str) -> None:
    print(f"[{time.perf_counter() - STARTED:6.1f} s] {message}", flush=True)


def build_world(rng: random.Random) -> dict:
    """Provider, 20 customers, 200 agents in 10 teams, requesters, catalogue, policies."""
    from django.db import transaction
    from rest_framework.authtoken.models import Token

    from itsm.catalog.choices import DEFAULT_TARGETS
    from itsm.catalog.models import Service, SLAPolicy, SLATarget
    from itsm.core import directory
    from itsm.core.audit import audit_context
    from itsm.core.choices import AuditSource, OrganizationKind, Role
    from itsm.core.models import BusinessCalendar, Department, Organization, Team

    with audit_context(source=AuditSource.CLI), transaction.atomic():
        provider = directory.create_object(Organization, actor=None, data={
            "code": "nebula", "name": "星云信息技术服务有限公司",
            "kind": OrganizationKind.PROVIDER})
        provider_depts = [directory.create_object(Department, actor=None, data={
            "organization": provider, "name": n}) for n in ("服务台", "运维部", "现场服务部")]
        customers = []
        for i in range(20):
            city, (industry, suffix) = CITIES[i % 10], INDUSTRIES[(i * 3 + i // 10) % 10]
            org = directory.create_object(Organization, actor=None, data={
                "code": f"cust{i + 1:02d}", "name": f"{city}{industry}{suffix}",
                "kind": OrganizationKind.CUSTOMER, "provider": provider})
            customers.append(org)
        seq = 0

        def person(org, dept, roles, title):
            nonlocal seq
            seq += 1
            family, given = person_name(rng)
            return directory.create_person(actor=None, data={
                "username": f"u{seq:05d}", "first_name": given, "last_name": family,
                "email": f"u{seq:05d}@{org.code}.example.cn", "roles": roles,
                "profile": {"organization": org, "department": dept, "job_title": title,
                            "phone": f"139{seq:08d}"},
            })

        agents = [person(provider, provider_depts[i % 3],
                         [Role.TEAM_LEAD, Role.AGENT] if i % 20 == 0 else [Role.AGENT],
                         "服务台坐席" if i % 20 else "组长") for i in range(200)]
        teams = []
        for t, name in enumerate(TEAM_NAMES):
            members = agents[t * 20:(t + 1) * 20]
            teams.append(directory.create_object(Team, actor=None, data={
                "organization": provider, "name": name, "description": f"{name}（基准测试）",
                "lead": members[0], "members": members}))
        requesters: dict[int, list] = {}
        for org in customers:
            depts = [directory.create_object(Department, actor=None, data={
                "organization": org, "name": n}) for n in ("信息中心", "财务部", "生产部")]
            requesters[org.pk] = [person(org, depts[0], [Role.CUSTOMER_ADMIN, Role.REQUESTER],
                                         "信息中心主任")]
            requesters[org.pk] += [person(org, depts[1 + j % 2], [Role.REQUESTER], "职员")
                                   for j in range(19)]

        standard = BusinessCalendar.objects.get(name="中国标准工作日 09:00–18:00")
        always = BusinessCalendar.objects.get(name="7×24")
        services = []
        for code, name, team, calendar in [
            ("desktop", "桌面运维服务", 1, standard), ("app", "应用系统支持", 2, standard),
            ("db", "数据库运维", 3, always), ("network", "网络与安全服务", 5, always),
            ("mes", "MES 生产系统运维", 7, always), ("onsite", "现场服务", 8, standard),
        ]:
            service = Service.objects.create(provider=provider, code=code, name=name,
                                             owner_team=teams[team], calendar=calendar)
            service.customers.set(customers)
            services.append(service)
        standard_policy = SLAPolicy.objects.create(provider=provider, name="标准服务级别")
        critical_policy = SLAPolicy.objects.create(
            provider=provider, name="MES 7×24 服务级别", service=services[4])
        for policy in (standard_policy, critical_policy):
            for priority, (response, resolution) in DEFAULT_TARGETS.items():
                if policy is critical_policy:
                    response, resolution = response // 2, resolution // 2
                SLATarget.objects.create(policy=policy, priority=priority,
                                         response_minutes=response,
                                         resolution_minutes=resolution)
    agent = agents[1]
    agent.set_password(AGENT_PASSWORD)
    agent.save(update_fields=["password"])
    return {
        "provider": provider, "customers": customers, "agents": agents, "teams": teams,
        "requesters": requesters, "services": services,
        "policies": {"standard": standard_policy, "critical": critical_policy},
        "agent": agent, "token": Token.objects.create(user=agent).key,
    }


def load_world() -> dict:
    """The world of a database loaded by an earlier run (``--reuse``)."""
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from itsm.catalog.models import Service, SLAPolicy
    from itsm.core.models import Organization, Team

    user = get_user_model()
    provider = Organization.objects.get(code="nebula")
    customers = list(Organization.objects.filter(provider=provider).order_by("code"))
    # The home-page bench adds its own people (bench_*): not among the loaded agents.
    agents = list(user.objects.filter(profile__organization=provider)
                  .exclude(username__startswith="bench_").order_by("username"))
    services = list(Service.objects.filter(provider=provider).order_by("pk"))
    agent = agents[1]
    agent.set_password(AGENT_PASSWORD)
    agent.save(update_fields=["password"])
    return {
        "provider": provider, "customers": customers, "agents": agents,
        "teams": list(Team.objects.filter(organization=provider).order_by("pk")),
        "requesters": {org.pk: list(user.objects.filter(profile__organization=org)
                                    .order_by("username")) for org in customers},
        "services": services,
        "policies": {"standard": SLAPolicy.objects.get(provider=provider, service=None),
                     "critical": SLAPolicy.objects.get(provider=provider, service=services[4])},
        "agent": agent, "token": Token.objects.get_or_create(user=agent)[0].key,
    }


# --- Bulk load ---------------------------------------------------------------------------------

def bulk_load(world: dict, n: int, rng: random.Random) -> dict:
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction
    from django.utils import timezone
    from sequences.models import Sequence

    from itsm.catalog.choices import DEFAULT_PRIORITY_MATRIX
    from itsm.core import search
    from itsm.servicedesk.models import Incident, SatisfactionRating, ServiceRequest, SLAClock

    now = timezone.now()
    tz = timezone.get_current_timezone()
    services = world["services"]
    policies = world["policies"]
    teams = world["teams"]
    team_members = {t.pk: list(t.members.values_list("pk", flat=True)) for t in teams}
    calendars = {s.pk: s.calendar for s in services}
    hours = {s.pk: s.calendar.business_hours() for s in services}
    targets = {key: {t.priority: (t.response_minutes, t.resolution_minutes)
                     for t in p.targets.all()} for key, p in policies.items()}
    pairs: dict[int, list[tuple[int, int]]] = {}
    for (impact, urgency), priority in DEFAULT_PRIORITY_MATRIX.items():
        pairs.setdefault(int(priority), []).append((impact, urgency))
    statuses, status_w = zip(*STATUS_WEIGHTS.items(), strict=True)
    priorities, priority_w = zip(*PRIORITY_WEIGHTS.items(), strict=True)
    status_w, priority_w = list(accumulate(status_w)), list(accumulate(priority_w))
    customers = world["customers"]
    org_weights = list(accumulate(1 / (i + 1) ** 0.7 for i in range(len(customers))))  # skewed
    channels_req = (["portal", "email", "phone", "im", "api"],
                    list(accumulate([50, 25, 18, 5, 2])))
    channels_inc = (["portal", "email", "phone", "im", "monitoring"],
                    list(accumulate([25, 15, 30, 5, 25])))

    t0 = time.perf_counter()
    rows: list[dict] = []
    for i in range(n):
        if i and i % 100_000 == 0:
            step(f"  {i:,} tickets generated")
        incident = rng.random() < 0.4
        status = rng.choices(statuses, cum_weights=status_w)[0]
        is_open = status not in FINAL
        created = random_created_at(rng, now, is_open, tz)
        org = rng.choices(customers, cum_weights=org_weights)[0]
        requester = rng.choice(world["requesters"][org.pk])
        priority = rng.choices(priorities, cum_weights=priority_w)[0]
        if incident and rng.random() < 0.3:
            priority = max(1, priority - 1)
        impact, urgency = rng.choice(pairs[priority])
        service = rng.choice(services)
        system, symptom = rng.choice(SYSTEMS), rng.choice(SYMPTOMS)
        title = f"{system}{symptom}" if incident or rng.random() < 0.3 else \
            f"{rng.choice(REQUESTS)}（{system}）"
        description = (f"{requester.last_name}{requester.first_name}反映：{system}{symptom}，"
                       f"{rng.choice(DETAILS)}。请尽快处理。")
        channel_set = channels_inc if incident else channels_req
        channel = rng.choices(channel_set[0], cum_weights=channel_set[1])[0]
        team = rng.choice(teams) if status != "new" else (
            teams[0] if rng.random() < 0.5 else None)
        assignee = rng.choice(team_members[team.pk]) if team and status not in {
            "new", "assigned", "cancelled"} else None
        row = {
            "incident": incident, "organization_id": org.pk, "title": title,
            "description": description, "status": status, "priority": priority,
            "requester_id": requester.pk, "assignee_id": assignee,
            "assignee_team_id": team.pk if team else None, "created_by_id": requester.pk,
            "created_at": created, "service_id": service.pk,
            "category": rng.choice(CATEGORIES), "channel": channel, "impact": impact,
            "urgency": urgency, "affected_system": system,
            "policy": "critical" if service is services[4] else "standard",
        }
        first_response = created + dt.timedelta(minutes=rng.uniform(3, 240))
        resolved = first_response + dt.timedelta(hours=rng.expovariate(1 / 20))
        if status in {"closed", "resolved"}:
            row["resolved_at"] = min(resolved, now)
            row["resolution"] = rng.choice(RESOLUTIONS)
        if status == "closed":
            row["closed_at"] = min(resolved + dt.timedelta(days=rng.uniform(0, 7)), now)
        if status == "cancelled":
            row["closed_at"] = min(created + dt.timedelta(hours=rng.uniform(0.1, 48)), now)
        if status not in {"new", "assigned", "cancelled"}:
            row["first_response_at"] = min(first_response, now)
        row["updated_at"] = max(row.get("closed_at") or row.get("resolved_at")
                                or row.get("first_response_at") or created, created)
        if status != "cancelled":  # clocks as the service path leaves them
            row["clocks"] = sla_clocks(row, now, hours[service.pk], targets[row["policy"]],
                                       rng)
        if is_open:
            row["due_at"] = row["clocks"]["resolution"]["due_at"]
        if status == "closed" and rng.random() < 0.3:  # three in ten rate their ticket
            row["rating"] = rng.choices((1, 2, 3, 4, 5), (3, 5, 12, 35, 45))[0]
        rows.append(row)
    rows.sort(key=lambda r: r["created_at"])
    counters: dict[str, int] = {}
    for row in rows:
        prefix = "INC" if row["incident"] else "REQ"
        year = row["created_at"].astimezone(tz).year
        key = f"{prefix}-{year}"
        counters[key] = counters.get(key, 0) + 1
        row["number"] = f"{key}-{counters[key]:06d}"
    generate_seconds = time.perf_counter() - t0

    fields = {f.name for f in ServiceRequest._meta.concrete_fields}
    policy_ids = {k: p.pk for k, p in policies.items()}
    if connection.vendor == "postgresql":  # bulk loading: build the GIN indexes afterwards
        with connection.cursor() as cursor:
            for model in (ServiceRequest, Incident):
                cursor.execute(f'DROP INDEX IF EXISTS "{model._meta.db_table}_search"')
    batch = 5000
    ticket_seconds = search_seconds = 0.0
    counts = {ServiceRequest: 0, Incident: 0}
    t1 = time.perf_counter()
    for model in (ServiceRequest, Incident):
        model_rows = [r for r in rows if r["incident"] == (model is Incident)]
        counts[model] = len(model_rows)
        for start in range(0, len(model_rows), batch):
            chunk = model_rows[start:start + batch]
            objs = []
            with Clock() as c:
                for row in chunk:
                    values = {k: v for k, v in row.items() if k in fields or k.endswith("_id")}
                    values.pop("policy", None)
                    values["sla_policy_id"] = policy_ids[row["policy"]]
                    obj = model(**values)
                    obj.search_text = obj.make_search_text()  # what save() would store
                    objs.append(obj)
            search_seconds += c.seconds
            with Clock() as c, transaction.atomic():
                model.objects.bulk_create(objs, batch_size=batch)
            ticket_seconds += c.seconds
            if objs[0].pk is None:  # backends that do not return ids
                ids = dict(model.objects.filter(number__in=[o.number for o in objs])
                           .values_list("number", "pk"))
                for obj in objs:
                    obj.pk = ids[obj.number]
            for row, obj in zip(chunk, objs, strict=True):
                row["pk"], row["model"] = obj.pk, model
        del model_rows
    types = {m: ContentType.objects.get_for_model(m) for m in counts}
    clock_objs = []
    for row in rows:
        if "clocks" not in row:
            continue
        for kind, values in row["clocks"].items():
            clock_objs.append(SLAClock(
                record_type=types[row["model"]], record_id=row["pk"],
                organization_id=row["organization_id"], kind=kind,
                policy_id=policy_ids[row["policy"]], calendar=calendars[row["service_id"]],
                started_at=row["created_at"], updated_at=now, **values))
    with Clock() as c:
        for start in range(0, len(clock_objs), batch):
            with transaction.atomic():
                SLAClock.objects.bulk_create(clock_objs[start:start + batch], batch_size=batch)
    clock_seconds = c.seconds
    ratings = [SatisfactionRating(
        record_type=types[row["model"]], record_id=row["pk"],
        organization_id=row["organization_id"], score=row["rating"],
        rated_by_id=row["requester_id"], agent_id=row["assignee_id"],
        created_at=row["closed_at"]) for row in rows if "rating" in row]
    for start in range(0, len(ratings), batch):
        with transaction.atomic():
            SatisfactionRating.objects.bulk_create(ratings[start:start + batch])
    for key, last in counters.items():
        Sequence.objects.update_or_create(name=key, defaults={"last": last})
    with Clock() as c:
        search.ensure_indexes()
    index_seconds = c.seconds
    with Clock() as c, connection.cursor() as cursor:
        # Statistics and (PostgreSQL) the visibility map, as autovacuum leaves a loaded
        # table: index-only scans read it. (SQLite: the nightly refresh_query_statistics.)
        cursor.execute("VACUUM (ANALYZE)" if connection.vendor == "postgresql" else "ANALYZE")
    analyze_seconds = c.seconds
    insert_seconds = time.perf_counter() - t1
    open_rows = [r for r in rows if r["status"] not in FINAL]
    return {
        "tickets": n,
        "requests": counts[ServiceRequest], "incidents": counts[Incident],
        "open_tickets": len(open_rows),
        "open_requests": sum(1 for r in open_rows if not r["incident"]),
        "sla_clocks": len(clock_objs), "ratings": len(ratings),
        "counters": counters,
        "generate_seconds": round(generate_seconds, 2),
        "search_text_seconds": round(search_seconds, 2),
        "ticket_insert_seconds": round(ticket_seconds, 2),
        "ticket_rows_per_second": round(n / ticket_seconds),
        "clock_insert_seconds": round(clock_seconds, 2),
        "clock_rows_per_second": round(len(clock_objs) / clock_seconds) if clock_objs else None,
        "search_index_seconds": round(index_seconds, 2),
        "analyze_seconds": round(analyze_seconds, 2),
        "total_seconds": round(generate_seconds + insert_seconds, 2),
        "rows_per_second_overall": round((n + len(clock_objs))
                                         / (generate_seconds + insert_seconds)),
        "loaded_at": now.isoformat(),
    }


def sla_clocks(row: dict, now: dt.datetime, hours, targets: dict, rng) -> dict:
    """Plausible response and resolution clocks of a ticket, as the sweep left them. A
    stopped clock only gets its due time (warning and escalation moments are for running
    clocks: computing them for a million closed tickets would take minutes)."""
    response_min, resolution_min = targets[row["priority"]]
    created, status = row["created_at"], row["status"]
    clocks = {}

    def moments(minutes, running):
        target = dt.timedelta(minutes=minutes)
        due = hours.add(created, target)
        if not running:
            return due, None, None
        return due, hours.add(created, target * 0.75), hours.add(created, target * 1.5)

    def stamps(due, warn, escalate, until):
        return {"warned_at": warn if warn and warn <= until else None,
                "breached_at": due if due <= until else None,
                "escalated_at": escalate if escalate and escalate <= until else None}

    responded = row.get("first_response_at")
    due, warn, escalate = moments(response_min, not responded)
    clock = {"target_minutes": response_min, "due_at": due, "warn_at": warn,
             "escalate_at": escalate, "paused_since": None, "paused_seconds": 0,
             "explanation": {"target_minutes": response_min, "bulk_loaded": True}}
    if responded:
        clock.update(stopped_at=responded, met=responded <= due,
                     **stamps(due, warn, escalate, responded))
    else:
        clock.update(stopped_at=None, met=False if due <= now else None,
                     **stamps(due, warn, escalate, now))
    clocks["response"] = clock

    done = status in {"resolved", "closed"}
    due, warn, escalate = moments(resolution_min, not done)
    clock = {"target_minutes": resolution_min, "paused_seconds": 0, "stopped_at": None,
             "paused_since": None, "met": None,
             "explanation": {"target_minutes": resolution_min, "bulk_loaded": True}}
    if status in {"waiting_customer", "waiting_third_party"}:
        since = min(responded + dt.timedelta(hours=rng.uniform(0.5, 24)), now)
        clock.update(due_at=None, warn_at=None, escalate_at=None, paused_since=since,
                     **stamps(due, warn, escalate, since))
        clock["breached_at"] = None
    elif done:
        finished = row["resolved_at"]
        clock.update(due_at=due, warn_at=None, escalate_at=None, stopped_at=finished,
                     met=finished <= due, **stamps(due, warn, escalate, finished))
    else:
        clock.update(due_at=due, warn_at=warn, escalate_at=escalate,
                     met=False if due <= now else None, **stamps(due, warn, escalate, now))
    clocks["resolution"] = clock
    return clocks


# --- Measurements over HTTP (bench/httpbench.py: the same way as django-helpdesk) -------------

#: The agent's password (the bench logs in through the login page like a person).
AGENT_PASSWORD = secrets.token_urlsafe(16) + "-测试"
NEXT_LINK = re.compile(r'href="([^"]+)" id="next-page"')
REDIS_BENCH_URL = "redis://127.0.0.1:6379/9"


def web_environment(database_url: str, var_dir: Path, engine: str) -> dict:
    """The settings of the web and worker processes under test: DEBUG off, the bench
    database, on PostgreSQL the Redis cache and job queue of a production set-up, on SQLite
    the embedded default (database cache, SQLite job queue)."""
    env = {"ITSM_DATABASE_URL": database_url, "ITSM_VAR_DIR": str(var_dir),
           "ITSM_ALLOWED_HOSTS": "127.0.0.1,localhost", "ITSM_LOG_LEVEL": "WARNING",
           "ITSM_DEBUG": "0", "ITSM_SECRET_KEY": "bench-" + "x" * 50,
           "PYTHONPATH": str(BENCH_DIR.parent / "src")}
    for name in ("ITSM_REDIS_URL", "ITSM_IMAP_URL", "ITSM_EMAIL_URL", "ITSM_PRODUCTION"):
        env[name] = ""
    if engine == "postgresql" and redis_available():
        env["ITSM_REDIS_URL"] = REDIS_BENCH_URL
    return env


def redis_available() -> bool:
    try:
        import redis

        client = redis.Redis.from_url(REDIS_BENCH_URL, socket_connect_timeout=2)
        client.flushdb()
        return True
    except Exception:
        print("!!! Redis is not reachable: the web process runs without it")
        return False


def start_worker(env: dict) -> subprocess.Popen:
    """A huey consumer (``itsm worker``), as deploy/ runs it, for the jobs creation queues."""
    return subprocess.Popen([sys.executable, "-m", "itsm", "worker", "--workers", "2"],
                            env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def login(base: str, username: str, password: str) -> dict[str, str]:
    """Log in through the login page; the session cookies."""
    page = httpbench.request("GET", f"{base}/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text()).group(1)
    jar = page.cookies()
    answer = httpbench.request(
        "POST", f"{base}/accounts/login/",
        headers={"Cookie": httpbench.cookie_header(jar),
                 "Content-Type": "application/x-www-form-urlencoded"},
        body=urllib.parse.urlencode({"username": username, "password": password,
                                     "csrfmiddlewaretoken": token}))
    if answer.status != 302 or "sessionid" not in answer.cookies():
        raise SystemExit(f"Login as {username} failed: {answer.status} {answer.head()}")
    return {**jar, **answer.cookies()}


def ticket_payload(world: dict, rng: random.Random) -> dict:
    org = rng.choice(world["customers"])
    system, symptom = rng.choice(SYSTEMS), rng.choice(SYMPTOMS)
    body = {"organization": org.pk, "title": f"{system}{symptom}",
            "description": f"电话报障：{system}{symptom}，{rng.choice(DETAILS)}。",
            "requester": rng.choice(world["requesters"][org.pk]).pk,
            "service": rng.choice(world["services"]).pk, "channel": "phone",
            "impact": rng.randint(2, 4), "urgency": rng.randint(2, 4),
            "category": rng.choice(CATEGORIES)}
    if rng.random() < 0.6:
        body["assignee_team"] = rng.choice(world["teams"]).pk
    return body


def next_path(response: httpbench.Response, ui: bool) -> str | None:
    if ui:
        match = NEXT_LINK.search(response.text())
        link = match.group(1).replace("&amp;", "&") if match else None
    else:
        link = response.json().get("next")
    if not link:
        return None
    parts = urllib.parse.urlsplit(link)
    return urllib.parse.urlunsplit(("", "", parts.path, parts.query, ""))


def rows_of(response, ui: bool) -> int:
    if ui:
        return response.text().count("<tr>") - 1
    return len(response.json()["results"])


#: (label, path, is a UI page) of the lists measured.
LIST_CASES = [
    ("UI  queue: my teams, open, by SLA due", "/requests/?queue=my_teams&ordering=due_at", True),
    ("API queue: my teams, open, by SLA due",
     "/api/service-requests/?queue=my_teams&ordering=due_at", False),
    ("UI  open requests, newest first", "/requests/?open=true", True),
    ("API open requests, newest first", "/api/service-requests/?open=true", False),
]


def search_cases() -> list[tuple[str, str, bool]]:
    return [(f"API search {word}", "/api/service-requests/?" + urllib.parse.urlencode(
        {"q": word}), False) for word in SEARCH_WORDS] + [
        ("UI  search 宕机", "/requests/?" + urllib.parse.urlencode({"q": "宕机"}), True),
        # A word in no ticket: PostgreSQL once walked the whole list for it (64 s at 1M).
        ("UI  search, a word found nowhere", "/requests/?q=xyzzy", True)] + [
        (f"API global search {word}", "/api/search/?" + urllib.parse.urlencode({"q": word}),
         False) for word in GLOBAL_SEARCH_WORDS] + [
        ("UI  global search 宕机", "/search/?" + urllib.parse.urlencode({"q": "宕机"}), True)]


#: What people type into the global search: a word, one character, an English prefix, a
#: phrase.
GLOBAL_SEARCH_WORDS = ("宕机", "卡", "print", "财务系统")


def measure_homes(base: str, world: dict, args: argparse.Namespace) -> dict:
    """Each role's home page (工作台) as that person: an agent, a team lead, a change
    manager on the CAB, a quality manager (the management cards) and a customer
    administrator; p50/p95 of ``args.requests`` requests each."""
    from django.contrib.auth import get_user_model

    from itsm.core import directory
    from itsm.core.choices import Role

    def staff(username: str, roles: list[str]):
        user = get_user_model().objects.filter(username=username).first()
        return user or directory.create_person(actor=None, data={
            "username": username, "first_name": "", "last_name": username,
            "email": f"{username}@nebula.example.cn", "roles": roles,
            "profile": {"organization": world["provider"]}})

    people = {"agent": world["agent"], "team lead": world["agents"][0],
              "change manager and CAB": staff("bench_change",
                                              [Role.CHANGE_MANAGER, Role.CAB_MEMBER]),
              "quality and management": staff("bench_quality", [Role.QUALITY_MANAGER]),
              "customer": next(iter(world["requesters"].values()))[0]}
    homes = {}
    for role, person in people.items():
        person.set_password(AGENT_PASSWORD)
        person.save(update_fields=["password"])
        step(f"  home page ({role})")
        headers = {"Cookie": httpbench.cookie_header(login(base, person.username,
                                                            AGENT_PASSWORD))}
        figures = httpbench.timed("GET", base + "/", headers=headers, n=args.requests)
        homes[role] = {**figures, "path": "/", "user": person.username}
    return homes


def measure_http(world: dict, env: dict, args: argparse.Namespace, rng: random.Random) -> dict:
    """Creation, lists and search against a gunicorn (one sync worker) of ours; a huey
    consumer runs the jobs; the memory of both afterwards."""
    server = httpbench.start_gunicorn(sys.executable, "itsm.wsgi:application", env=env,
                                      ready_path="/accounts/login/")
    worker = start_worker(env)
    try:
        base = server.url
        token = {"Authorization": f"Token {world['token']}"}
        step(f"  creating {args.creates} tickets through the API, one at a time")
        created: list[dict] = []

        def keep(response) -> None:
            created.append(response.json())

        since = dt.datetime.now(dt.UTC)
        result: dict = {"server": "gunicorn, 1 sync worker; huey consumer, 2 threads",
                        "redis": bool(env.get("ITSM_REDIS_URL"))}
        result["create_api"] = httpbench.timed(
            "POST", f"{base}/api/service-requests/", headers=token, n=args.creates,
            body=lambda _i: ticket_payload(world, rng), expect=201, check=keep)
        result["create_api"]["example"] = created[-1]["number"]
        result["example_id"] = created[-1]["id"]
        step(f"  importing {args.imports} tickets in one request (bulk import)")
        rows = [ticket_payload(world, rng) for _ in range(args.imports)]
        answer = httpbench.request("POST", f"{base}/api/service-requests/import/",
                                   headers=token, body={"rows": rows}, timeout=600)
        if answer.status != 201:
            raise SystemExit(f"Bulk import answered {answer.status}: {answer.head()}")
        result["bulk_import"] = {"rows": args.imports, "seconds": round(answer.ms / 1000, 2),
                                 "rows_per_second": round(args.imports * 1000 / answer.ms, 1),
                                 "created": answer.json()["created"]}
        step("  waiting for the job consumer to send what creation queued")
        result["jobs_drained_seconds"] = wait_for_jobs(since)
        session = {"Cookie": httpbench.cookie_header(
            login(base, world["agent"].username, AGENT_PASSWORD))}
        lists = {}
        for label, path, ui in LIST_CASES + search_cases():
            step(f"  {label}")
            headers = session if ui else token
            deep, reached = path, 0
            if "search" not in label:
                for _ in range(args.depth):
                    following = next_path(httpbench.request("GET", base + deep,
                                                            headers=headers), ui)
                    if following is None:
                        break
                    deep, reached = following, reached + 1
            entry = {"path": path}
            for page, target in (("page1", path), ("deep", deep)):
                if page == "deep" and (reached == 0 or "search" in label):
                    continue
                figures = httpbench.timed("GET", base + target, headers=headers,
                                          n=args.requests)
                figures["rows"] = rows_of(httpbench.request("GET", base + target,
                                                            headers=headers), ui)
                figures["page"] = 1 if page == "page1" else reached + 1
                figures["path"] = target
                entry[page] = figures
            lists[label] = entry
        result["lists"] = lists
        result["homes"] = measure_homes(base, world, args)
        result["rss"] = {"web": httpbench.rss_mb(server.worker_pids()[0]),
                         "worker": httpbench.rss_mb(worker.pid)}
        return result
    finally:
        server.stop()
        worker.terminate()
        try:
            worker.wait(15)
        except subprocess.TimeoutExpired:
            worker.kill()


def wait_for_jobs(since: dt.datetime, timeout: float = 600) -> float:
    """Seconds until no notification queued since ``since`` is pending: the lists are
    measured with an idle consumer (django-helpdesk sends its mail inside the request,
    leaving no work behind)."""
    from django.db import connections

    from itsm.core.choices import NotificationStatus
    from itsm.core.models import Notification

    started = time.perf_counter()
    while Notification.objects.filter(status=NotificationStatus.PENDING,
                                      created_at__gte=since).exists():
        if time.perf_counter() - started > timeout:
            print(f"!!! notifications still pending after {timeout:g} s")
            break
        time.sleep(1)
    connections.close_all()
    return round(time.perf_counter() - started, 1)


def count_queries(world: dict, lists: dict) -> None:
    """SQL queries per request of each measured page (in-process, the same URLs), and the
    plan of the page query; added to ``lists``."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    ui = Client()
    ui.force_login(world["agent"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {world['token']}")
    for entry in lists.values():
        for page in ("page1", "deep"):
            if page not in entry:
                continue
            path = entry[page]["path"]
            client = api if path.startswith("/api/") else ui
            client.get(path)  # warm-up
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            sql = [q["sql"] for q in ctx.captured_queries]
            entry[page]["queries"] = len(sql)
            entry[page]["plan"] = query_plan(sql)
        if entry["path"].startswith("/api/") and "page1" in entry:
            separator = "&" if "?" in entry["path"] else "?"
            with CaptureQueriesContext(connection) as ctx:
                response = api.get(f"{entry['path']}{separator}page_size=200")
            entry["page_size_200"] = {"queries": len(ctx.captured_queries),
                                      "rows": len(response.json()["results"])}


def query_plan(sql: list[str]) -> dict | None:
    """EXPLAIN of the page query (PostgreSQL: ANALYZE, BUFFERS), outside the timings."""
    from django.db import connection

    page = [q for q in sql if q.lstrip().startswith("SELECT")
            and '"servicedesk_servicerequest"."id"' in q and "LIMIT" in q]
    if not page:
        return None
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {page[0]}")
            lines = [r[0] for r in cursor.fetchall()]
            execution = next((float(line.split(":")[1].split()[0]) for line in lines
                              if line.startswith("Execution Time")), None)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {page[0]}")
            lines = [r[-1] for r in cursor.fetchall()]
            execution = None
    return {"sql": page[0], "plan": lines, "execution_ms": execution}


def measure_sla(world: dict, created_id: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from itsm.servicedesk import sla
    from itsm.servicedesk.models import ServiceRequest, SLAClock

    running = SLAClock.objects.filter(stopped_at__isnull=True).count()
    sweep_now = timezone.now() + dt.timedelta(hours=1)
    with CaptureQueriesContext(connection) as ctx, Clock() as first:
        done = sla.sweep(now=sweep_now)
    first_queries = len(ctx.captured_queries)
    with CaptureQueriesContext(connection) as ctx, Clock() as idle:
        again = sla.sweep(now=sweep_now)
    idle_queries = len(ctx.captured_queries)

    results = {"running_clocks": running, "sweep_now": sweep_now.isoformat(),
               "sweep_seconds": round(first.seconds, 3), "sweep_handled": done,
               "sweep_queries": first_queries,
               "sweep_idle_seconds": round(idle.seconds, 3), "sweep_idle_handled": again,
               "sweep_idle_queries": idle_queries}
    tickets = {
        "api_created": ServiceRequest.objects.get(pk=created_id),
        "bulk_loaded_open": ServiceRequest.objects.exclude(status__in=["closed", "cancelled"])
        .order_by("created_at").first(),
    }
    for label, ticket in tickets.items():
        sla.recompute_clocks(ticket)  # warm-up (calendar cache)
        times = []
        for _ in range(20):
            with Clock() as c:
                sla.recompute_clocks(ticket)
            times.append(c.seconds * 1000)
        with CaptureQueriesContext(connection) as ctx:
            sla.recompute_clocks(ticket)
        results[f"recompute_{label}"] = {"ticket": ticket.number,
                                         "p50_ms": round(percentile(times, 50), 2),
                                         "p95_ms": round(percentile(times, 95), 2),
                                         "queries": len(ctx.captured_queries)}
    return results


# --- Report ---------------------------------------------------------------------------------


def print_load(result: dict, load: dict) -> None:
    print(f"World set-up (service layer)     {result['world_seconds']:8.1f} s   "
          f"{result['world']}")
    print(f"Bulk load: generate              {load['generate_seconds']:8.1f} s   "
          f"(search text {load['search_text_seconds']:.1f} s)")
    print(f"Bulk load: tickets               {load['ticket_insert_seconds']:8.1f} s   "
          f"{load['ticket_rows_per_second']:>9,} rows/s   "
          f"({load['requests']:,} requests, {load['incidents']:,} incidents, "
          f"{load['open_tickets']:,} open)")
    print(f"Bulk load: SLA clocks            {load['clock_insert_seconds']:8.1f} s   "
          f"{load['clock_rows_per_second'] or 0:>9,} rows/s   ({load['sla_clocks']:,} clocks, "
          f"{load['ratings']:,} ratings)")


def print_report(result: dict) -> None:
    load, sweep = result["bulk_load"], result["sla"]
    line = "-" * 100
    print()
    print(line)
    print(f"ITSM — {result['database']} ({result['database_version']}), "
          f"{load['tickets']:,} tickets, {result['environment']['cpus']} CPUs, "
          f"Python {result['environment']['python']}; {result['server']}"
          f"{', Redis' if result.get('redis') else ''}")
    print(line)
    if load.get("reused"):
        print(f"Reused database: {load['tickets']:,} tickets, {load['sla_clocks']:,} clocks")
    else:
        print_load(result, load)
    print(line)
    create = result["create_api"]
    print(f"POST /api/service-requests/ ×{create['n']}: {create['per_second']} tickets/s, "
          f"p50 {create['p50_ms']} ms, p95 {create['p95_ms']} ms")
    if result.get("bulk_import"):
        bulk = result["bulk_import"]
        print(f"Bulk import ×{bulk['rows']}: {bulk['rows_per_second']} rows/s")
    print(line)
    print(f"{'GET (HTTP, one gunicorn worker)':<58}{'page':>5}{'rows':>6}{'p50 ms':>9}"
          f"{'p95 ms':>9}{'SQL':>5}")
    for label, entry in result["lists"].items():
        for page in ("page1", "deep"):
            if page in entry:
                p = entry[page]
                print(f"{label[:57]:<58}{p['page']:>5}{p['rows']:>6}{p['p50_ms']:>9.1f}"
                      f"{p['p95_ms']:>9.1f}{p.get('queries', ''):>5}")
    for role, home in (result.get("homes") or {}).items():
        print(f"{'UI  home page (' + role + ')':<58}{1:>5}{'':>6}{home['p50_ms']:>9.1f}"
              f"{home['p95_ms']:>9.1f}")
    print(line)
    print(f"SLA sweep over {sweep['running_clocks']:,} running clocks (now + 1 h): "
          f"{sweep['sweep_seconds']:.2f} s, handled {sweep['sweep_handled']}, "
          f"{sweep['sweep_queries']} queries")
    report = result.get("report")
    if report:
        print(f"Service-level report {report['organization']} {report['month']} "
              f"({report['tickets_opened_in_month']:,} tickets opened): "
              f"{report['seconds']:.2f} s, {report['queries']} queries")
    rss = result["rss"]
    print(f"Memory after the run: web worker {rss['web']['now_mb']} MB "
          f"(peak {rss['web']['peak_mb']}), job consumer {rss['worker']['now_mb']} MB "
          f"(peak {rss['worker']['peak_mb']})")
    print(line)
    print(f"Total run time {result['total_seconds']:.0f} s; JSON: {result.get('json')}")


def reused_load() -> dict:
    """What a reused database holds (the loading figures are in the earlier run's JSON)."""
    from itsm.servicedesk.models import Incident, ServiceRequest, SLAClock

    return {"reused": True,
            "tickets": ServiceRequest.objects.count() + Incident.objects.count(),
            "sla_clocks": SLAClock.objects.count()}


def measure_report(world: dict) -> dict:
    """The SLM-5 monthly service-level report of the biggest customer for the last full
    month, built in-process (seconds, queries)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from itsm.quality.reports import service_level_report
    from itsm.servicedesk.models import Incident, ServiceRequest

    org = world["customers"][0]  # the biggest (the weights favour the first)
    first = timezone.localdate().replace(day=1)
    year, month = (first.year, first.month - 1) if first.month > 1 else (first.year - 1, 12)
    start = timezone.make_aware(dt.datetime(year, month, 1))
    end = timezone.make_aware(dt.datetime(year + month // 12, month % 12 + 1, 1))
    tickets = sum(m.objects.filter(organization=org, created_at__gte=start,
                                   created_at__lt=end).count()
                  for m in (ServiceRequest, Incident))
    times = []
    for _ in range(3):
        with CaptureQueriesContext(connection) as ctx, Clock() as c:
            service_level_report(org, year, month, user=world["agent"])
        times.append(c.seconds)
    result = {"organization": org.name, "month": f"{year}-{month:02d}",
              "tickets_opened_in_month": tickets, "seconds": round(max(times), 3),
              "seconds_min": round(min(times), 3), "queries": len(ctx.captured_queries)}
    return result


# --- Run -----------------------------------------------------------------------------------


def run(tickets: int, database_url: str = DEFAULT_PG_URL, creates: int = 500,
        requests: int = 50, depth: int = 20, keep: bool = False, reuse: bool = False,
        imports: int = 1000) -> dict:
    """Load ``tickets`` into a fresh database and measure; the figures (see ``main``)."""
    keep = keep or reuse
    args = argparse.Namespace(tickets=tickets, database_url=database_url, creates=creates,
                              requests=requests, depth=depth, keep=keep, imports=imports)
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="itsm-bench-"))
    database_url, engine, drop = prepare_database(args.database_url, tmp, reuse)
    shown = urllib.parse.urlparse(database_url)
    step(f"ITSM on {engine} {shown._replace(netloc=shown.hostname or '').geturl()}, "
         f"{tickets:,} tickets")
    configure_django(database_url, tmp / "var")
    from django.core.management import call_command
    from django.db import connection, connections

    rng = random.Random(SEED)
    result: dict = {"system": "ITSM", "database": engine, "tickets": args.tickets}
    try:
        step("Migrating")
        with Clock() as c:
            call_command("migrate", interactive=False, verbosity=0)
            call_command("createcachetable", verbosity=0)
        result["migrate_seconds"] = round(c.seconds, 1)
        with connection.cursor() as cursor:
            cursor.execute("SELECT version()" if engine == "postgresql"
                           else "SELECT sqlite_version()")
            version = cursor.fetchone()[0]
        result["database_version"] = (version.split(" on ")[0] if engine == "postgresql"
                                      else f"SQLite {version}")
        from itsm.core.models import Organization

        if reuse and Organization.objects.filter(code="nebula").exists():
            step("Reusing the database of an earlier run")
            world = load_world()
            result["world"] = "reused"
            result["bulk_load"] = reused_load()
        else:
            step("Building the world through the service layer")
            with Clock() as c:
                world = build_world(rng)
            result["world_seconds"] = round(c.seconds, 1)
            result["world"] = (f"{len(world['customers'])} customers, "
                               f"{len(world['agents'])} agents, {len(world['teams'])} teams, "
                               f"{sum(len(v) for v in world['requesters'].values())} "
                               f"requesters, {len(world['services'])} services")
            step(f"Bulk-loading {args.tickets:,} tickets")
            result["bulk_load"] = bulk_load(world, args.tickets, rng)
        connections.close_all()
        step("Measuring over HTTP (gunicorn, one sync worker)")
        env = web_environment(database_url, tmp / "var", engine)
        result.update(measure_http(world, env, args, rng))
        step("Counting queries per request (in-process)")
        count_queries(world, result["lists"])
        step("Measuring the SLA sweep and recompute_clocks")
        result["sla"] = measure_sla(world, result["example_id"])
        step("Measuring the monthly service-level report")
        result["report"] = measure_report(world)
    finally:
        connections.close_all()
        if not args.keep:
            drop()
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"Kept: {database_url} and {tmp}")
    result["total_seconds"] = round(time.perf_counter() - started, 1)
    result["environment"] = {"python": platform.python_version(),
                             "cpus": os.cpu_count(), "platform": platform.platform()}
    return result


def main(argv=None) -> int:
    args = parse_args(argv)
    result = run(args.tickets, args.database_url, args.creates, args.requests, args.depth,
                 args.keep, args.reuse, args.imports)
    RESULTS_DIR.mkdir(exist_ok=True)
    path = Path(args.json) if args.json else \
        RESULTS_DIR / f"itsm-{result['database']}-{args.tickets}.json"
    path = path.resolve()
    result["json"] = str(path.relative_to(BENCH_DIR.parent)
                         if path.is_relative_to(BENCH_DIR.parent) else path)
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str))
    print_report(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
