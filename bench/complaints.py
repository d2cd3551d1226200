"""Complaint benchmark: one year of complaints, the monthly report and the assessment.

    .venv/bin/python bench/complaints.py [--complaints 10000]
        [--database-url postgres://postgres@127.0.0.1:5432/itsm_bench_complaints]

Creates a fresh PostgreSQL database (dropped and created by this script, dropped again
at the end unless ``--keep``; a temporary SQLite file when PostgreSQL is unreachable or
the URL is ``sqlite``), migrates it, builds one provider with 20 customer organizations,
10 complaint handlers in 2 teams and a requester per customer, bulk-loads a year of
complaints (levels, causes, services, statuses) with their clocks, then measures
building the monthly complaint report (``complaints.reports.monthly_report``) for each
month, the XLSX workbook, and the handling assessment tables (per handler and per team).

It prints p50/p95 and the number of SQL queries; it asserts nothing (target: under 1 s).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from servicedesk import configure_django, prepare_database  # bench/ is on sys.path

DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/itsm_bench_complaints"
SEED = 20261207


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--complaints", type=int, default=10_000)
    parser.add_argument("--database-url", default=DEFAULT_PG_URL)
    parser.add_argument("--rounds", type=int, default=5, help="runs per month (default 5)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    return parser.parse_args(argv)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def build_world():
    from itsm.catalog.models import Service
    from itsm.core import directory
    from itsm.core.choices import OrganizationKind, Role
    from itsm.core.models import BusinessCalendar, Organization, Team

    provider = directory.create_object(Organization, actor=None, data={
        "code": "bench-p", "name": "基准服务商", "kind": OrganizationKind.PROVIDER})
    customers = [directory.create_object(Organization, actor=None, data={
        "code": f"bench-c{i}", "name": f"客户{i:02d}", "kind": OrganizationKind.CUSTOMER,
        "provider": provider}) for i in range(20)]

    def person(username, org, roles):
        return directory.create_person(actor=None, data={
            "username": username, "first_name": username, "last_name": "",
            "email": f"{username}@example.cn", "password": "x" * 16, "roles": roles,
            "profile": {"organization": org}})

    handlers = [person(f"handler{i}", provider, [Role.COMPLAINT_HANDLER]) for i in range(10)]
    teams = [directory.create_object(Team, actor=None, data={
        "organization": provider, "name": f"投诉处理{i}组", "members": handlers[i::2]})
        for i in range(2)]
    requesters = [person(f"req{i}", org, [Role.REQUESTER]) for i, org in enumerate(customers)]
    calendar = BusinessCalendar.objects.order_by("pk").first()
    services = [Service.objects.create(provider=provider, code=f"svc{i}", name=f"服务{i}",
                                       calendar=calendar) for i in range(8)]
    return provider, customers, handlers, teams, requesters, services, calendar


def load(count: int, world) -> None:
    """Bulk-load ``count`` complaints of the last year with their clocks."""
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from itsm.complaints.models import CauseCategory, Complaint
    from itsm.servicedesk.models import SLAClock

    _provider, customers, handlers, teams, requesters, services, calendar = world
    rng = random.Random(SEED)
    causes = list(CauseCategory.objects.filter(parent__isnull=False))
    now = timezone.now()
    rows = []
    for n in range(count):
        created = now - dt.timedelta(minutes=rng.randint(0, 365 * 24 * 60))
        i = rng.randrange(len(customers))
        level = rng.choices(["ordinary", "urgent", "major"], [80, 17, 3])[0]
        closed = created + dt.timedelta(hours=rng.randint(2, 120))
        done = closed < now and rng.random() < 0.9
        handler = rng.choice(handlers)
        rows.append(Complaint(
            number=f"CPL-{created.year}-{n + 1:06d}", organization=customers[i],
            title=f"投诉 {n}：{rng.choice(['响应太慢', '问题反复', '态度不好', '系统故障'])}",
            description="客户投诉", status="closed" if done else "resolving",
            requester=requesters[i], assignee=handler, assignee_team=teams[handlers.index(
                handler) % 2], created_at=created, updated_at=closed if done else created,
            received_at=created, level=level, channel=rng.choice(["portal", "email", "phone"]),
            service=rng.choice(services), cause_category=rng.choice(causes),
            evaluated_at=created + dt.timedelta(hours=1),
            responded_at=created + dt.timedelta(hours=rng.randint(1, 40)),
            closed_at=closed if done else None,
            satisfaction_score=rng.randint(1, 5) if done else None,
            rejection_count=1 if rng.random() < 0.1 else 0))
    Complaint.objects.bulk_create(rows, batch_size=2000)
    complaint_type = ContentType.objects.get_for_model(Complaint)
    clocks = []
    for c in Complaint.objects.only("pk", "created_at", "responded_at", "closed_at", "level",
                                    "organization_id"):
        due = c.created_at + dt.timedelta(hours=24)
        clocks.append(SLAClock(record_type=complaint_type, record_id=c.pk,
                               organization_id=c.organization_id, kind="response",
                               calendar=calendar, target_minutes=1440, started_at=c.created_at,
                               due_at=due, stopped_at=c.responded_at,
                               met=c.responded_at <= due))
        if c.level == "urgent":
            clocks.append(SLAClock(record_type=complaint_type, record_id=c.pk,
                                   organization_id=c.organization_id, kind="resolution",
                                   calendar=calendar, target_minutes=1440,
                                   started_at=c.created_at, due_at=due,
                                   stopped_at=c.closed_at,
                                   met=None if c.closed_at is None else c.closed_at <= due))
    SLAClock.objects.bulk_create(clocks, batch_size=2000)


def timed(func, rounds: int) -> tuple[list[float], int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, queries = [], 0
    for _ in range(rounds):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            func()
            times.append(time.perf_counter() - start)
        queries = len(captured)
    return times, queries


def main(argv=None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        url, engine, cleanup = prepare_database(args.database_url, Path(tmp))
        try:
            configure_django(url, Path(tmp))
            from django.core.management import call_command
            from django.utils import timezone

            from itsm.complaints import assessment, reports
            from itsm.complaints.periods import Period
            from itsm.complaints.reports import provider_complaints

            call_command("migrate", interactive=False, verbosity=0)
            call_command("createcachetable", verbosity=0)
            world = build_world()
            start = time.perf_counter()
            load(args.complaints, world)
            print(f"engine {engine}; loaded {args.complaints} complaints in "
                  f"{time.perf_counter() - start:.1f} s")
            provider = world[0]
            today = timezone.localdate()
            months = Period.month(today.year, today.month).previous(12)
            report_times, workbook_times, assess_times = [], [], []
            scope = provider_complaints(provider)
            queries = {}
            for period in months:
                t, queries["report"] = timed(lambda p=period: reports.monthly_report(
                    provider, p), args.rounds)
                report_times += t
                report = reports.monthly_report(provider, period)
                t, _q = timed(lambda r=report: reports.report_workbook(r), args.rounds)
                workbook_times += t
                t, queries["assessment"] = timed(lambda p=period, scope=scope: (
                    assessment.assessment_table(p, scope, "assignee"),
                    assessment.assessment_table(p, scope, "assignee_team")), args.rounds)
                assess_times += t
            for name, values in (("monthly report", report_times),
                                 ("report workbook (XLSX)", workbook_times),
                                 ("assessment (handlers + teams)", assess_times)):
                print(f"{name:32s} p50 {1000 * statistics.median(values):7.1f} ms   "
                      f"p95 {1000 * percentile(values, 0.95):7.1f} ms   "
                      f"({len(values)} runs)")
            print(f"queries: report {queries['report']}, assessment {queries['assessment']}")
        finally:
            if not args.keep:
                from django.db import connections

                connections.close_all()
                cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
