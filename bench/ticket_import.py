"""Ticket creation through the full service path: one at a time vs. bulk import.

    .venv/bin/python bench/ticket_import.py [--rows 1000]
        [--database-url postgres://postgres@127.0.0.1:5432/itsm_bench_import]

Creates a fresh database (as bench/servicedesk.py does: PostgreSQL by default, dropped
and created by this script and dropped again at the end unless ``--keep``; a temporary
SQLite file when PostgreSQL is unreachable or the URL is ``sqlite``), builds the same
world as bench/servicedesk.py (20 customers, 200 agents in 10 teams, six services with
SLA policies), then creates ``--rows`` service requests three ways, all in-process with a
DRF ``APIClient`` and token authentication, with the same kind of rows:

- one at a time: ``POST /api/service-requests/`` per ticket;
- ``POST /api/service-requests/import/`` with a JSON body of all rows;
- the same endpoint with an XLSX upload of all rows (codes, names and labels).

Every path does the same work per ticket (serializer, numbering, SLA clocks, automatic
assignment, audit, notification rows; their send jobs queued on commit into huey's
SQLite queue). It prints tickets/s and SQL queries per ticket and writes JSON to
``bench/results/``; it asserts nothing about timings.
"""

from __future__ import annotations

import argparse
import io
import json
import platform
import random
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from servicedesk import (
    RESULTS_DIR,
    Clock,
    build_world,
    configure_django,
    prepare_database,
    step,
    ticket_payload,
)

DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/itsm_bench_import"
SEED = 20260501


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1000,
                        help="tickets per way of creating them (default 1000, at most 5000)")
    parser.add_argument("--database-url", default=DEFAULT_PG_URL)
    parser.add_argument("--keep", action="store_true")
    return parser.parse_args(argv)


def api_client(world: dict):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {world['token']}")
    return client


def headings(names: list[str]) -> list[str]:
    """The Chinese column headings of our export (the field's label where it has none)."""
    from django.utils import translation

    from itsm.servicedesk.models import ServiceRequest
    from itsm.servicedesk.resources import ServiceRequestResource

    resource = ServiceRequestResource()
    with translation.override("zh-hans"):
        return [resource.get_export_headers(selected_fields=[name])[0]
                if name in resource.fields
                else str(ServiceRequest._meta.get_field(name).verbose_name) for name in names]


def xlsx_of(world: dict, rows: list[dict]) -> bytes:
    """The rows as a person would type them: codes, user names, names and labels."""
    from django.utils import translation
    from openpyxl import Workbook

    from itsm.catalog.choices import Impact, Urgency
    from itsm.core.models import Organization, Team
    from itsm.servicedesk.choices import Channel

    orgs = dict(Organization.objects.values_list("pk", "code"))
    teams = dict(Team.objects.values_list("pk", "name"))
    people = {p.pk: p.username for people in world["requesters"].values() for p in people}
    services = {s.pk: s.code for s in world["services"]}
    book = Workbook()
    sheet = book.active
    sheet.append(headings(["organization", "title", "description", "requester", "service",
                           "category", "channel", "impact", "urgency", "assignee_team"]))
    with translation.override("zh-hans"):
        for row in rows:
            sheet.append([orgs[row["organization"]], row["title"], row["description"],
                          people[row["requester"]], services[row["service"]], row["category"],
                          str(Channel(row["channel"]).label), str(Impact(row["impact"]).label),
                          str(Urgency(row["urgency"]).label),
                          teams.get(row.get("assignee_team"), "")])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def measure(label: str, run, n: int) -> dict:
    """Run ``run()`` once, creating ``n`` tickets; time, rate and SQL queries."""
    from django.db import connection

    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    step(f"  {label}: {n} tickets")
    with connection.execute_wrapper(count), Clock() as clock:
        run()
    return {"tickets": n, "seconds": round(clock.seconds, 2),
            "per_second": round(n / clock.seconds, 1),
            "queries_per_ticket": round(queries / n, 1)}


def measure_creation(world: dict, n: int, rng: random.Random) -> dict:
    """Tickets/s one at a time through the API, and rows/s of the bulk import (JSON and
    XLSX), ``n`` tickets each."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = api_client(world)
    one_by_one = [ticket_payload(world, rng) for _ in range(n)]
    bulk_json = [ticket_payload(world, rng) for _ in range(n)]
    workbook = xlsx_of(world, [ticket_payload(world, rng) for _ in range(n)])

    def one_at_a_time() -> None:
        for body in one_by_one:
            response = client.post("/api/service-requests/", body, format="json")
            assert response.status_code == 201, response.content[:500]

    def post_import(body: dict, fmt: str) -> None:
        response = client.post("/api/service-requests/import/", body, format=fmt)
        assert response.status_code == 201, response.content[:2000]
        assert response.json()["created"] == n

    return {
        "one_at_a_time": measure("POST /api/service-requests/ one at a time",
                                 one_at_a_time, n),
        "import_json": measure("POST /api/service-requests/import/ (JSON)",
                               lambda: post_import({"rows": bulk_json}, "json"), n),
        "import_xlsx": measure("POST /api/service-requests/import/ (XLSX)", lambda: post_import(
            {"file": SimpleUploadedFile("tickets.xlsx", workbook)}, "multipart"), n),
    }


def main(argv=None) -> int:
    args = parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="itsm-bench-import-"))
    database_url, engine, drop = prepare_database(args.database_url, tmp)
    configure_django(database_url, tmp / "var")
    from django.core.management import call_command
    from django.db import connections

    rng = random.Random(SEED)
    result: dict = {"database": engine, "rows": args.rows}
    try:
        step(f"Migrating ({engine})")
        call_command("migrate", interactive=False, verbosity=0)
        call_command("createcachetable", verbosity=0)
        step("Building the world through the service layer")
        world = build_world(rng)
        step("Creating tickets")
        result.update(measure_creation(world, args.rows, rng))
    finally:
        connections.close_all()
        if not args.keep:
            drop()
            shutil.rmtree(tmp, ignore_errors=True)
    result["environment"] = {"python": platform.python_version(),
                             "platform": platform.platform()}
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"ticket-import-{engine}-{args.rows}.json"
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2))
    print(f"\nTicket creation through the full service path, {engine}, {args.rows} tickets")
    for key in ("one_at_a_time", "import_json", "import_xlsx"):
        figures = result[key]
        print(f"  {key:<14} {figures['per_second']:>8.1f} tickets/s  "
              f"{figures['seconds']:>7.2f} s  {figures['queries_per_ticket']:>6.1f} SQL/ticket")
    print(f"JSON: {path.relative_to(Path(__file__).resolve().parent.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
