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
import shutil
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

from vocabulary import (  # bench/ is on sys.path when run as a script
    CATEGORIES,
    CITIES,
    DETAILS,
    FINAL,
    INDUSTRIES,
    PRIORITY_WEIGHTS,
    REQUESTS,
    RESOLUTIONS,
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
    parser.add_argument("--requests", type=int, default=50,
                        help="timed requests per list measurement (default 50)")
    parser.add_argument("--depth", type=int, default=20,
                        help="'next' links followed to reach the deep page (default 20)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the database (and temporary directory) afterwards")
    return parser.parse_args(argv)


# --- Database set-up (before Django is imported) -----------------------------------------


def prepare_database(url: str, tmp: Path) -> tuple[str, str, callable]:
    """Return (database URL, engine label, cleanup); fresh database either way."""
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


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


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
    return {
        "provider": provider, "customers": customers, "agents": agents, "teams": teams,
        "requesters": requesters, "services": services,
        "policies": {"standard": standard_policy, "critical": critical_policy},
        "agent": agent, "token": Token.objects.create(user=agent).key,
    }


# --- Bulk load ---------------------------------------------------------------------------------

def bulk_load(world: dict, n: int, rng: random.Random) -> dict:
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction
    from django.utils import timezone
    from sequences.models import Sequence

    from itsm.catalog.choices import DEFAULT_PRIORITY_MATRIX
    from itsm.servicedesk.models import Incident, ServiceRequest, SLAClock

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
    customers = world["customers"]
    org_weights = [1 / (i + 1) ** 0.7 for i in range(len(customers))]  # a few big customers
    channels_req = (["portal", "email", "phone", "im", "api"], [50, 25, 18, 5, 2])
    channels_inc = (["portal", "email", "phone", "im", "monitoring"], [25, 15, 30, 5, 25])

    t0 = time.perf_counter()
    rows: list[dict] = []
    for _i in range(n):
        incident = rng.random() < 0.4
        status = rng.choices(statuses, status_w)[0]
        is_open = status not in FINAL
        created = random_created_at(rng, now, is_open, tz)
        org = rng.choices(customers, org_weights)[0]
        requester = rng.choice(world["requesters"][org.pk])
        priority = rng.choices(priorities, priority_w)[0]
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
        channel = rng.choices(*channel_set)[0]
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
        if is_open:
            row["clocks"] = sla_clocks(row, now, hours[service.pk], targets[row["policy"]],
                                       rng)
            row["due_at"] = row["clocks"]["resolution"]["due_at"]
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
    objects: dict[type, list] = {ServiceRequest: [], Incident: []}
    t1 = time.perf_counter()
    for row in rows:
        model = Incident if row["incident"] else ServiceRequest
        values = {k: v for k, v in row.items() if k in fields or k.endswith("_id")}
        values.pop("policy", None)
        values["sla_policy_id"] = policy_ids[row["policy"]]
        obj = model(**values)
        row["object"] = obj
        objects[model].append(obj)
    batch = 2000
    ticket_seconds = 0.0
    for model, objs in objects.items():
        for start in range(0, len(objs), batch):
            with Clock() as c, transaction.atomic():
                model.objects.bulk_create(objs[start:start + batch], batch_size=batch)
            ticket_seconds += c.seconds
    for model, objs in objects.items():  # backends that do not return ids
        if objs and objs[0].pk is None:
            ids = dict(model.objects.values_list("number", "pk"))
            for obj in objs:
                obj.pk = obj.id = ids[obj.number]
    types = {m: ContentType.objects.get_for_model(m) for m in objects}
    clock_objs = []
    for row in rows:
        if "clocks" not in row:
            continue
        obj = row["object"]
        for kind, values in row["clocks"].items():
            clock_objs.append(SLAClock(
                record_type=types[type(obj)], record_id=obj.pk,
                organization_id=row["organization_id"], kind=kind,
                policy_id=policy_ids[row["policy"]], calendar=calendars[row["service_id"]],
                started_at=row["created_at"], updated_at=now, **values))
    with Clock() as c:
        for start in range(0, len(clock_objs), batch):
            with transaction.atomic():
                SLAClock.objects.bulk_create(clock_objs[start:start + batch], batch_size=batch)
    clock_seconds = c.seconds
    for key, last in counters.items():
        Sequence.objects.update_or_create(name=key, defaults={"last": last})
    analyze_seconds = 0.0
    if connection.vendor == "postgresql":
        with Clock() as c, connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        analyze_seconds = c.seconds
    insert_seconds = time.perf_counter() - t1
    open_rows = [r for r in rows if r["status"] not in FINAL]
    return {
        "tickets": n,
        "requests": len(objects[ServiceRequest]), "incidents": len(objects[Incident]),
        "open_tickets": len(open_rows),
        "open_requests": sum(1 for r in open_rows if not r["incident"]),
        "sla_clocks": len(clock_objs),
        "counters": counters,
        "generate_seconds": round(generate_seconds, 2),
        "ticket_insert_seconds": round(ticket_seconds, 2),
        "ticket_rows_per_second": round(n / ticket_seconds),
        "clock_insert_seconds": round(clock_seconds, 2),
        "clock_rows_per_second": round(len(clock_objs) / clock_seconds) if clock_objs else None,
        "analyze_seconds": round(analyze_seconds, 2),
        "total_seconds": round(generate_seconds + insert_seconds, 2),
        "rows_per_second_overall": round((n + len(clock_objs))
                                         / (generate_seconds + insert_seconds)),
        "loaded_at": now.isoformat(),
    }


def sla_clocks(row: dict, now: dt.datetime, hours, targets: dict, rng) -> dict:
    """Plausible response and resolution clocks of an open ticket, as the sweep left them."""
    response_min, resolution_min = targets[row["priority"]]
    created, status = row["created_at"], row["status"]
    clocks = {}

    def moments(minutes):
        target = dt.timedelta(minutes=minutes)
        return (hours.add(created, target), hours.add(created, target * 0.75),
                hours.add(created, target * 1.5))

    def stamps(due, warn, escalate, until):
        return {"warned_at": warn if warn <= until else None,
                "breached_at": due if due <= until else None,
                "escalated_at": escalate if escalate <= until else None}

    due, warn, escalate = moments(response_min)
    responded = row.get("first_response_at")
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

    due, warn, escalate = moments(resolution_min)
    clock = {"target_minutes": resolution_min, "paused_seconds": 0, "stopped_at": None,
             "paused_since": None, "met": None,
             "explanation": {"target_minutes": resolution_min, "bulk_loaded": True}}
    if status in {"waiting_customer", "waiting_third_party"}:
        since = min(responded + dt.timedelta(hours=rng.uniform(0.5, 24)), now)
        clock.update(due_at=None, warn_at=None, escalate_at=None, paused_since=since,
                     **stamps(due, warn, escalate, since))
        clock["breached_at"] = None
    elif status == "resolved":
        done = row["resolved_at"]
        clock.update(due_at=due, warn_at=warn, escalate_at=escalate, stopped_at=done,
                     met=done <= due, **stamps(due, warn, escalate, done))
    else:
        clock.update(due_at=due, warn_at=warn, escalate_at=escalate,
                     met=False if due <= now else None, **stamps(due, warn, escalate, now))
    clocks["resolution"] = clock
    return clocks


# --- Measurements ------------------------------------------------------------------------------


def measure_creation(world: dict, count: int, rng: random.Random) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {world['token']}")
    customers, services, teams = world["customers"], world["services"], world["teams"]

    def payload():
        org = rng.choice(customers)
        system, symptom = rng.choice(SYSTEMS), rng.choice(SYMPTOMS)
        body = {"organization": org.pk, "title": f"{system}{symptom}",
                "description": f"电话报障：{system}{symptom}，{rng.choice(DETAILS)}。",
                "requester": rng.choice(world["requesters"][org.pk]).pk,
                "service": rng.choice(services).pk, "channel": "phone",
                "impact": rng.randint(2, 4), "urgency": rng.randint(2, 4),
                "category": rng.choice(CATEGORIES)}
        if rng.random() < 0.6:
            body["assignee_team"] = rng.choice(teams).pk
        return body

    def create():
        response = client.post("/api/service-requests/", payload(), format="json")
        if response.status_code != 201:
            raise SystemExit(f"POST /api/service-requests/ answered {response.status_code}: "
                             f"{response.content[:500]!r}")
        return response.json()

    for _ in range(5):  # warm-up: imports, caches, first connection
        create()
    with CaptureQueriesContext(connection) as ctx:
        created = create()
    queries = len(ctx.captured_queries)  # a property: read it before the next request
    create_sql = [q["sql"] for q in ctx.captured_queries]
    times, counts = [], []
    executed = [0]

    def counter(execute, sql, params, many, context):
        executed[0] += 1
        return execute(sql, params, many, context)

    with Clock() as total, connection.execute_wrapper(counter):
        for _ in range(count):
            before = executed[0]
            with Clock() as c:
                create()
            times.append(c.seconds * 1000)
            counts.append(executed[0] - before)
    return {
        "client": "in-process rest_framework.test.APIClient, token authentication",
        "count": count, "seconds": round(total.seconds, 2),
        "tickets_per_second": round(count / total.seconds, 1),
        "p50_ms": round(percentile(times, 50), 1), "p95_ms": round(percentile(times, 95), 1),
        "queries_per_create": round(percentile(counts, 50)),
        "queries_min": min(counts), "queries_max": max(counts),
        "queries_example": queries,
        "example_number": created["number"], "example_id": created["id"],
        "sql": create_sql,
    }


NEXT_LINK = re.compile(r'href="([^"]+)" id="next-page"')


def next_url(response, ui: bool) -> str | None:
    if ui:
        match = NEXT_LINK.search(response.content.decode())
        link = match.group(1).replace("&amp;", "&") if match else None
    else:
        link = response.json().get("next")
    if not link:
        return None
    parts = urllib.parse.urlsplit(link)
    return urllib.parse.urlunsplit(("", "", parts.path, parts.query, ""))


def measure_list(client, url: str, *, ui: bool, requests: int, depth: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def get(target):
        response = client.get(target)
        if response.status_code != 200:
            raise SystemExit(f"GET {target} answered {response.status_code}: "
                             f"{response.content[:500]!r}")
        return response

    result = {}
    deep, reached = url, 0
    for _ in range(depth):
        following = next_url(get(deep), ui)
        if following is None:
            break
        deep, reached = following, reached + 1
    for label, target in (("page1", url), ("deep", deep)):
        for _ in range(3):
            get(target)
        times = []
        for _ in range(requests):
            with Clock() as c:
                response = get(target)
            times.append(c.seconds * 1000)
        with CaptureQueriesContext(connection) as ctx:
            response = get(target)
        sql = [q["sql"] for q in ctx.captured_queries]
        rows = (response.content.decode().count('<tr>') - 1 if ui
                else len(response.json()["results"]))
        result[label] = {"p50_ms": round(percentile(times, 50), 1),
                         "p95_ms": round(percentile(times, 95), 1),
                         "queries": len(sql), "rows": rows, "sql": sql,
                         "plan": query_plan(sql)}
    result["deep"]["page"] = reached + 1
    if not ui:  # the query count must not grow with the page size
        separator = "&" if "?" in url else "?"
        with CaptureQueriesContext(connection) as ctx:
            response = get(f"{url}{separator}page_size=200")
        result["page_size_200"] = {"queries": len(ctx.captured_queries),
                                   "rows": len(response.json()["results"])}
    return result


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


def measure_lists(world: dict, requests: int, depth: int) -> dict:
    from django.test import Client
    from rest_framework.test import APIClient

    ui = Client()
    ui.force_login(world["agent"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {world['token']}")
    cases = [
        ("UI   /requests/?open=true", ui, "/requests/?open=true", True),
        ("API  /api/service-requests/?open=true", api, "/api/service-requests/?open=true",
         False),
        ("UI   /requests/?queue=breached", ui, "/requests/?queue=breached", True),
        ("API  /api/service-requests/?queue=breached", api,
         "/api/service-requests/?queue=breached", False),
        ("UI   /requests/?queue=breached&ordering=due_at (tab link)", ui,
         "/requests/?queue=breached&ordering=due_at", True),
    ]
    results = {}
    for label, client, url, is_ui in cases:
        step(f"  {label}")
        results[label] = {"url": url, **measure_list(client, url, ui=is_ui,
                                                     requests=requests, depth=depth)}
    return results


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


def print_report(result: dict) -> None:
    load, create, sweep = result["bulk_load"], result["create"], result["sla"]
    line = "-" * 96
    print()
    print(line)
    print(f"ITSM service desk benchmark — {result['database']} ({result['database_version']}), "
          f"{load['tickets']:,} tickets, {result['environment']['cpus']} CPUs, "
          f"Python {result['environment']['python']}")
    print(line)
    print(f"World set-up (service layer)     {result['world_seconds']:8.1f} s   "
          f"{result['world']}")
    print(f"Bulk load: generate              {load['generate_seconds']:8.1f} s")
    print(f"Bulk load: tickets               {load['ticket_insert_seconds']:8.1f} s   "
          f"{load['ticket_rows_per_second']:>9,} rows/s   "
          f"({load['requests']:,} requests, {load['incidents']:,} incidents, "
          f"{load['open_tickets']:,} open)")
    if load["sla_clocks"]:
        print(f"Bulk load: SLA clocks            {load['clock_insert_seconds']:8.1f} s   "
              f"{load['clock_rows_per_second']:>9,} rows/s   ({load['sla_clocks']:,} clocks)")
    print(f"Bulk load: overall               {load['total_seconds']:8.1f} s   "
          f"{load['rows_per_second_overall']:>9,} rows/s   (generation, inserts, sequences"
          f"{', ANALYZE' if load['analyze_seconds'] else ''})")
    print(line)
    print(f"Create via API ({create['client']})")
    print(f"  POST /api/service-requests/ ×{create['count']}: {create['tickets_per_second']} "
          f"tickets/s, p50 {create['p50_ms']} ms, p95 {create['p95_ms']} ms, "
          f"SQL queries per ticket: median {create['queries_per_create']} "
          f"(min {create['queries_min']}, max {create['queries_max']})")
    print(line)
    print(f"{'List (in-process django.test.Client / APIClient)':<62}{'page':>5}{'rows':>6}"
          f"{'p50 ms':>9}{'p95 ms':>9}{'SQL':>5}")
    for label, data in result["lists"].items():
        for page in ("page1", "deep"):
            p = data[page]
            number = 1 if page == "page1" else p["page"]
            print(f"{label[:61]:<62}{number:>5}{p['rows']:>6}{p['p50_ms']:>9.1f}"
                  f"{p['p95_ms']:>9.1f}{p['queries']:>5}")
    for label, data in result["lists"].items():
        if "page_size_200" in data:
            p = data["page_size_200"]
            print(f"{(label + ' &page_size=200')[:61]:<62}{1:>5}{p['rows']:>6}{'':>18}"
                  f"{p['queries']:>5}")
    plans = [(label, page, data[page]["plan"]) for label, data in result["lists"].items()
             for page in ("page1", "deep") if data[page].get("plan")]
    if plans and plans[0][2]["execution_ms"] is not None:
        print(line)
        print("Page query plans (EXPLAIN ANALYZE; full plans in the JSON)")
        for label, page, plan in plans:
            lines = [ln.strip(" ->") for ln in plan["plan"]]
            top = next((ln for ln in lines if "Scan" in ln and "servicerequest" in ln),
                       next((ln for ln in lines if "Sort" in ln), lines[0]))
            print(f"  {label[:40]:<41}{page:<6}{plan['execution_ms']:>8.1f} ms  {top[:70]}")
    print(line)
    print(f"SLA sweep over {sweep['running_clocks']:,} running clocks (now + 1 h): "
          f"{sweep['sweep_seconds']:.2f} s, handled {sweep['sweep_handled']}, "
          f"{sweep['sweep_queries']} queries")
    print(f"SLA sweep again (nothing due):   {sweep['sweep_idle_seconds']:.3f} s, "
          f"{sweep['sweep_idle_queries']} queries")
    for label in ("api_created", "bulk_loaded_open"):
        r = sweep[f"recompute_{label}"]
        print(f"recompute_clocks ({label}, {r['ticket']}): p50 {r['p50_ms']} ms, "
              f"p95 {r['p95_ms']} ms, {r['queries']} queries")
    print(line)
    print(f"Total run time {result['total_seconds']:.0f} s; JSON: {result['json']}")


def main(argv=None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="itsm-bench-"))
    database_url, engine, drop = prepare_database(args.database_url, tmp)
    shown = urllib.parse.urlparse(database_url)
    step(f"Database: {engine} {shown._replace(netloc=shown.hostname or '').geturl()}")
    configure_django(database_url, tmp / "var")
    from django.core.management import call_command
    from django.db import connection, connections

    rng = random.Random(SEED)
    result: dict = {"database": engine, "tickets": args.tickets}
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
        step("Building the world through the service layer")
        with Clock() as c:
            world = build_world(rng)
        result["world_seconds"] = round(c.seconds, 1)
        result["world"] = (f"{len(world['customers'])} customers, {len(world['agents'])} "
                           f"agents, {len(world['teams'])} teams, "
                           f"{sum(len(v) for v in world['requesters'].values())} requesters, "
                           f"{len(world['services'])} services")
        step(f"Bulk-loading {args.tickets:,} tickets")
        result["bulk_load"] = bulk_load(world, args.tickets, rng)
        step(f"Creating {args.creates} tickets through the API, one at a time")
        result["create"] = measure_creation(world, args.creates, rng)
        step("Measuring lists")
        result["lists"] = measure_lists(world, args.requests, args.depth)
        step("Measuring the SLA sweep and recompute_clocks")
        result["sla"] = measure_sla(world, result["create"]["example_id"])
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
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"servicedesk-{engine}-{args.tickets}.json"
    result["json"] = str(path.relative_to(BENCH_DIR.parent))
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str))
    print_report(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
