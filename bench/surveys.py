"""Survey benchmark: a year of satisfaction surveys, then their results.

    .venv/bin/python bench/surveys.py [--responses 50000] [--campaigns 4] [--runs 20]
        [--database-url postgres://postgres@127.0.0.1:5432/itsm_bench_surveys]

Creates a fresh database (PostgreSQL by default, dropped and created by this script and
dropped again at the end unless ``--keep``; a temporary SQLite file when PostgreSQL is
unreachable or the URL is ``sqlite``), migrates it and bulk-loads one provider with 10
customer organizations of 5 departments each, 15,000 customer people, and a year of
quarterly campaigns of the shipped questionnaire asking everyone, with ``--responses``
answers in all (five rated questions each, some "not applicable"). Then it times
``surveys.results.campaign_results`` (response rate, per dimension, question,
organization and department, the trend and the period's SLA and rating figures) for the
latest campaign and ``campaign_trend`` alone, p50/p95 of ``--runs`` runs.

It prints a table and writes JSON to ``bench/results/``; it asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import random
import shutil
import sys
import tempfile
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from servicedesk import (
    CITIES,
    INDUSTRIES,
    RESULTS_DIR,
    Clock,
    configure_django,
    percentile,
    prepare_database,
)

DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/itsm_bench_surveys"
SEED = 20261207
CUSTOMERS = 10
DEPARTMENTS = 5
PEOPLE = 15_000
BATCH = 5_000


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--responses", type=int, default=50_000)
    parser.add_argument("--campaigns", type=int, default=4)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--database-url", default=DEFAULT_PG_URL)
    parser.add_argument("--keep", action="store_true")
    return parser.parse_args(argv)


def step(message: str) -> None:
    print(f"--- {message}", flush=True)


def load(n_responses: int, n_campaigns: int, rng: random.Random) -> dict:
    """Bulk-load organizations, people, campaigns, recipients, answers; the shape."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from itsm.core.models import Department, Organization, Profile
    from itsm.surveys import defaults, services
    from itsm.surveys.models import Answer, Campaign, Recipient, SurveyResponse

    User = get_user_model()
    questionnaire = defaults.default_questionnaire()
    rated = [q for q in services.questions_of(questionnaire) if q.kind == "likert"]
    with transaction.atomic():
        provider = Organization.objects.create(name="星云数据服务", code="provider",
                                               kind="provider")
        customers = Organization.objects.bulk_create([
            Organization(name=f"{CITIES[i % len(CITIES)]}{INDUSTRIES[i % len(INDUSTRIES)][0]}"
                         f"{i}{INDUSTRIES[i % len(INDUSTRIES)][1]}", code=f"cust{i}",
                         kind="customer", provider=provider) for i in range(CUSTOMERS)])
        departments = Department.objects.bulk_create([
            Department(organization=org, name=f"部门{d}") for org in customers
            for d in range(DEPARTMENTS)])
        unusable = make_password(None)
        users = User.objects.bulk_create([User(username=f"user{i}", password=unusable)
                                          for i in range(PEOPLE)], batch_size=BATCH)
        profiles = []
        for i, user in enumerate(users):
            department = departments[i % len(departments)]
            profiles.append(Profile(user=user, organization_id=department.organization_id,
                                    department=department))
        Profile.objects.bulk_create(profiles, batch_size=BATCH)
    year = timezone.localdate().year
    per_campaign = n_responses // n_campaigns
    campaign_ids = []
    for c in range(n_campaigns):
        start = dt.date(year, 1 + 3 * (c % 4), 1)
        end = (dt.date(year + (start.month + 3 > 12), (start.month + 2) % 12 + 1, 1)
               - dt.timedelta(days=1))
        with transaction.atomic():
            campaign = Campaign.objects.create(
                provider=provider, name=f"{year}年第{c + 1}季度满意度调查",
                questionnaire=questionnaire, period_start=start, period_end=end,
                closes_at=timezone.now() + dt.timedelta(days=30), channels=["email"],
                status="open", launched_at=timezone.now())
            campaign_ids.append(campaign.pk)
            recipients = Recipient.objects.bulk_create([
                Recipient(campaign=campaign, person=user, organization_id=p.organization_id,
                          department_id=p.department_id,
                          token_hash=f"{c:04d}{i:060d}")
                for i, (user, p) in enumerate(zip(users, profiles, strict=True))],
                batch_size=BATCH)
            answering = rng.sample(recipients, min(per_campaign, len(recipients)))
            responses = SurveyResponse.objects.bulk_create([
                SurveyResponse(campaign=campaign, questionnaire=questionnaire, recipient=r,
                               respondent_id=r.person_id, organization_id=r.organization_id,
                               department_id=r.department_id, channel="email")
                for r in answering], batch_size=BATCH)
            answers = []
            for response in responses:
                bias = rng.choice((0, 0, 1, -1))
                for question in rated:
                    if rng.random() < 0.05:
                        answers.append(Answer(
                            response=response, question=question, campaign=campaign,
                            organization_id=response.organization_id,
                            department_id=response.department_id,
                            dimension=question.dimension, not_applicable=True))
                        continue
                    answers.append(Answer(
                        response=response, question=question, campaign=campaign,
                        organization_id=response.organization_id,
                        department_id=response.department_id, dimension=question.dimension,
                        score=max(1, min(5, rng.choice((3, 4, 4, 5, 5)) + bias))))
                if len(answers) >= BATCH:
                    Answer.objects.bulk_create(answers)
                    answers = []
            Answer.objects.bulk_create(answers)
    return {"campaigns": campaign_ids, "people": PEOPLE,
            "responses": SurveyResponse.objects.count(), "answers": Answer.objects.count(),
            "recipients": Recipient.objects.count()}


def timed(function, runs: int) -> dict:
    timings = []
    for _run in range(runs + 1):
        with Clock() as c:
            function()
        timings.append(c.seconds)
    timings = timings[1:]  # the first run warms the caches
    return {"runs": runs, "p50_ms": round(percentile(timings, 50) * 1000, 1),
            "p95_ms": round(percentile(timings, 95) * 1000, 1),
            "max_ms": round(max(timings) * 1000, 1)}


def main(argv=None) -> int:
    args = parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="itsm-bench-surveys-"))
    database_url, engine, drop = prepare_database(args.database_url, tmp)
    shown = urllib.parse.urlparse(database_url)
    step(f"Database: {engine} {shown._replace(netloc=shown.hostname or '').geturl()}")
    configure_django(database_url, tmp / "var")
    from django.core.management import call_command
    from django.db import connection, connections

    result: dict = {"database": engine, "responses": args.responses,
                    "campaigns": args.campaigns}
    try:
        step("Migrating")
        call_command("migrate", interactive=False, verbosity=0)
        call_command("createcachetable", verbosity=0)
        with connection.cursor() as cursor:
            cursor.execute("SELECT version()" if engine == "postgresql"
                           else "SELECT sqlite_version()")
            version = cursor.fetchone()[0]
        result["database_version"] = (version.split(" on ")[0] if engine == "postgresql"
                                      else f"SQLite {version}")
        step(f"Bulk-loading {args.responses:,} answers over {args.campaigns} campaigns")
        with Clock() as c:
            shape = load(args.responses, args.campaigns, random.Random(SEED))
        result["load_seconds"] = round(c.seconds, 1)
        result["shape"] = shape
        if engine == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        from itsm.surveys.models import Campaign
        from itsm.surveys.results import campaign_results, campaign_trend

        campaign = Campaign.objects.select_related("questionnaire").get(
            pk=shape["campaigns"][-1])
        step(f"Timing the results of “{campaign.name}” {args.runs} times")
        result["results"] = timed(lambda: campaign_results(campaign), args.runs)
        result["trend"] = timed(lambda: campaign_trend(campaign), args.runs)
        sample = campaign_results(campaign)
        result["response_rate"] = sample.response_rate
        result["overall"] = sample.overall
    finally:
        connections.close_all()
        if not args.keep:
            drop()
            shutil.rmtree(tmp, ignore_errors=True)
    result["python"] = platform.python_version()
    result["machine"] = platform.machine()
    rows = [("database", result["database_version"]),
            ("responses / answers", f"{shape['responses']:,} / {shape['answers']:,}"),
            ("recipients", f"{shape['recipients']:,}"),
            ("bulk load", f"{result['load_seconds']} s"),
            ("results p50", f"{result['results']['p50_ms']} ms"),
            ("results p95", f"{result['results']['p95_ms']} ms"),
            ("trend p50", f"{result['trend']['p50_ms']} ms"),
            ("trend p95", f"{result['trend']['p95_ms']} ms"),
            ("response rate", f"{result['response_rate']} %"),
            ("overall average", result["overall"])]
    print()
    for label, value in rows:
        print(f"  {label:<22} {value}")
    RESULTS_DIR.mkdir(exist_ok=True)
    out = RESULTS_DIR / f"surveys-{engine}-{args.responses}.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"\nWritten to {out.relative_to(Path.cwd()) if out.is_relative_to(Path.cwd()) else out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
