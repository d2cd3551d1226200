"""Quality benchmark (issue 18): the quality dashboard, one indicator's drill-down and the
monthly PDF report over a loaded ticket database.

    .venv/bin/python bench/quality.py
        [--database-url postgres://postgres@127.0.0.1:5432/itsm_bench_1m] [--requests 30]

Takes a database loaded and kept by ``bench/servicedesk.py --keep`` (e.g. ``--tickets
1000000 --database-url …/itsm_bench_1m --keep``), applies any new migrations, adds the
provider's quality targets (eight monthly indicators at provider level, each split to
the teams, and two quarterly ones) and evaluates the last twelve months as the nightly
job does (timed: the evaluation job's seconds per period), then measures over HTTP
against one gunicorn sync worker, as a quality manager:

- the quality dashboard (``/quality/``, read from the stored evaluations) and one
  target's drill-down to its teams (``/quality/dashboard/<pk>/``);
- one indicator's drill-down (``/quality/indicators/sla-resolution/?by=team`` for the
  last month: the value, its split by team and the newest records behind it);
- the monthly service-level report and the quarterly quality report as PDF
  (``/reports/<key>/download/?…&format=pdf``).

It prints p50/p95 per measurement and the targets (dashboard p95 < 300 ms, PDF < 5 s);
it asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import httpbench
from servicedesk import (
    AGENT_PASSWORD,
    RESULTS_DIR,
    configure_django,
    load_world,
    login,
    prepare_database,
    step,
    web_environment,
)

DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/itsm_bench_1m"
#: (indicator, target, warning, critical) of the monthly provider-wide targets.
MONTHLY = (("sla-response", 95, 90, 80), ("sla-resolution", 90, 85, 75),
           ("handling-time", 24, 36, 48), ("first-contact-resolution", 60, 50, 40),
           ("reopen-rate", 3, 5, 8), ("ticket-satisfaction", 4.5, 4.2, 4.0),
           ("complaint-rate", 2, 4, 6), ("backlog-age", 72, 120, 168))
QUARTERLY = (("sla-resolution", 90, 85, 75), ("change-success", 95, 90, 85))
TARGETS = {"dashboard_p95_ms": 300, "pdf_p95_s": 5}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_PG_URL)
    parser.add_argument("--requests", type=int, default=30,
                        help="timed requests per page (default 30)")
    parser.add_argument("--pdf-requests", type=int, default=5,
                        help="timed PDF downloads (default 5)")
    parser.add_argument("--json", metavar="PATH", help="where to write the figures "
                        "(default bench/results/quality-<database>-<tickets>.json)")
    parser.add_argument("--drop", action="store_true",
                        help="drop the database afterwards (bench/run.py without --reuse)")
    return parser.parse_args(argv)


def quality_manager(world: dict):
    from django.contrib.auth import get_user_model

    from itsm.core import directory
    from itsm.core.choices import Role

    user = get_user_model().objects.filter(username="bench_quality").first()
    user = user or directory.create_person(actor=None, data={
        "username": "bench_quality", "first_name": "", "last_name": "bench_quality",
        "email": "bench_quality@nebula.example.cn", "roles": [Role.QUALITY_MANAGER],
        "profile": {"organization": world["provider"]}})
    user.set_password(AGENT_PASSWORD)
    user.save(update_fields=["password"])
    return user


def prepare_targets(world: dict, manager) -> dict:
    """The targets (once) and twelve months of evaluations (the missing ones), timed."""
    from django.utils import timezone

    from itsm.core.reports import periods
    from itsm.quality import services, targets
    from itsm.quality.models import QualityTarget

    if not QualityTarget.objects.filter(provider=world["provider"]).exists():
        for kind, rows in (("month", MONTHLY), ("quarter", QUARTERLY)):
            for key, target, warning, critical in rows:
                services.save_target(None, actor=manager, data={
                    "indicator": key, "period_kind": kind, "target": Decimal(str(target)),
                    "warning": Decimal(str(warning)), "critical": Decimal(str(critical)),
                    "owners": [manager]})
    tz = targets.zone_of(world["provider"])
    start, _end = periods.running_period("month", timezone.now(), tz)
    seconds, written = [], 0
    for months_back in range(11, -1, -1):
        moment = periods.add_months(start, -months_back) + dt.timedelta(hours=6, minutes=10)
        began = time.perf_counter()
        written += len(targets.evaluate(moment, provider=world["provider"]))
        seconds.append(time.perf_counter() - began)
    return {"evaluations_written": written,
            "evaluation_job_seconds_per_month": round(max(seconds), 1)}


def measure(base: str, manager, world: dict, args: argparse.Namespace) -> dict:
    from django.utils import timezone

    from itsm.core.reports import periods
    from itsm.quality import targets
    from itsm.quality.models import QualityTarget

    headers = {"Cookie": httpbench.cookie_header(login(base, manager.username,
                                                       AGENT_PASSWORD))}
    target = QualityTarget.objects.get(provider=world["provider"], indicator="sla-resolution",
                                       period_kind="month", team=None)
    tz = targets.zone_of(world["provider"])
    start, end = periods.last_complete_period("month", timezone.now(), tz)
    month = f"{start:%Y-%m}"
    customer = world["customers"][0]
    pages = {
        "dashboard": "/quality/",
        "dashboard, quarters": "/quality/?period=quarter",
        "target drill-down to teams": f"/quality/dashboard/{target.pk}/",
        "indicator drill-down (by team, records)":
            f"/quality/indicators/sla-resolution/?start={start:%Y-%m-%d}"
            f"&end={end:%Y-%m-%d}&by=team",
    }
    figures = {}
    for name, path in pages.items():
        step(f"  {name}")
        n = args.requests if "indicator" not in name else max(5, args.requests // 3)
        figures[name] = {**httpbench.timed("GET", base + path, headers=headers, n=n),
                         "path": path}
    pdf = (f"/reports/service-level/download/?organization={customer.pk}&month={month}"
           f"&format=pdf")
    step("  monthly service-level report, PDF")
    figures["monthly report PDF"] = {**httpbench.timed(
        "GET", base + pdf, headers=headers, n=args.pdf_requests, check=is_pdf), "path": pdf}
    quarter = (f"/reports/quarterly-quality/download/?quarter={start.year}-Q"
               f"{(start.month - 1) // 3 + 1}&format=pdf")
    step("  quarterly quality report, PDF")
    figures["quarterly report PDF"] = {**httpbench.timed(
        "GET", base + quarter, headers=headers, n=args.pdf_requests, check=is_pdf),
        "path": quarter}
    return figures


def is_pdf(response: httpbench.Response) -> None:
    if not response.body.startswith(b"%PDF") or \
            response.headers.get("Content-Type") != "application/pdf":
        raise SystemExit(f"not a PDF: {response.headers.get('Content-Type')} "
                         f"{response.head(120)}")


def main(argv=None) -> int:
    args = parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="itsm-bench-quality-"))
    database_url, engine, drop = prepare_database(args.database_url, tmp, reuse=True)
    configure_django(database_url, tmp / "var")
    from django.core.management import call_command
    from django.db import connections

    from itsm.servicedesk.models import Incident, ServiceRequest

    step("Migrating")
    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)
    world = load_world()
    tickets = ServiceRequest.objects.count() + Incident.objects.count()
    step(f"{tickets:,} tickets; targets and twelve months of evaluations")
    manager = quality_manager(world)
    result = {"database": engine, "tickets": tickets, **prepare_targets(world, manager)}
    connections.close_all()
    step("Measuring over HTTP (gunicorn, one sync worker)")
    server = httpbench.start_gunicorn(sys.executable, "itsm.wsgi:application",
                                      env=web_environment(database_url, tmp / "var", engine),
                                      ready_path="/accounts/login/")
    try:
        result["pages"] = measure(server.url, manager, world, args)
    finally:
        server.stop()
        connections.close_all()
        if args.drop:
            drop()
    RESULTS_DIR.mkdir(exist_ok=True)
    path = Path(args.json) if args.json else RESULTS_DIR / f"quality-{engine}-{tickets}.json"
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str))
    print(f"\nQuality at {tickets:,} tickets on {engine} "
          f"(evaluation job: {result['evaluation_job_seconds_per_month']} s per month)")
    print(f"{'Measurement':45} {'p50':>9} {'p95':>9}  status")
    for name, figure in result["pages"].items():
        print(f"{name:45} {figure['p50_ms']:7.0f}ms {figure['p95_ms']:7.0f}ms  "
              f"{figure.get('status', '')}")
    dashboard = result["pages"]["dashboard"]["p95_ms"]
    pdf = result["pages"]["monthly report PDF"]["p95_ms"] / 1000
    print(f"Targets: dashboard p95 {dashboard:.0f} ms (< {TARGETS['dashboard_p95_ms']}): "
          f"{'met' if dashboard < TARGETS['dashboard_p95_ms'] else 'NOT met'}; "
          f"PDF p95 {pdf:.1f} s (< {TARGETS['pdf_p95_s']}): "
          f"{'met' if pdf < TARGETS['pdf_p95_s'] else 'NOT met'}")
    print(f"Written: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
