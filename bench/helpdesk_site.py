"""The django-helpdesk side of the benchmark that runs *inside* bench/.venv-helpdesk.

bench/helpdesk.py generates a small project hosting django-helpdesk 2.6.1 into a temporary
directory and runs this script with that virtualenv's python (``PYTHONPATH`` = the
temporary directory, ``DJANGO_SETTINGS_MODULE=hdsite.settings``):

    python bench/helpdesk_site.py load --tickets 100000 --out load.json
        20 queues (one per customer organization of the ITSM benchmark), 200 staff users,
        400 requester e-mail addresses and N tickets with their follow-ups over one year,
        in the shapes of bench/vocabulary.py (seed 20260101, like bench/servicedesk.py),
        inserted with bulk_create in batches of 2,000; ANALYZE on PostgreSQL.
    python bench/helpdesk_site.py queries --spec spec.json --out queries.json
        SQL queries per request, in-process with django.test.Client.

Standard library, Django and django-helpdesk only; nothing of ITSM is imported.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import time
from pathlib import Path

# bench/helpdesk.py would shadow the helpdesk package: bench/ goes after site-packages
BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR]
sys.path.append(str(BENCH_DIR))

from vocabulary import (  # noqa: E402
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
    person_name,
    random_created_at,
)

SEED = 20260101
BATCH = 2000
#: Hours to the due date by helpdesk priority (1 critical … 5 very low): ITSM's default
#: resolution targets (4 h, 8 h, 24 h, 72 h), counted on the wall clock; 120 h for 5.
RESOLUTION_HOURS = {1: 4, 2: 8, 3: 24, 4: 72, 5: 120}
#: helpdesk's default statuses (helpdesk.settings.TICKET_STATUS_CHOICES)
OPEN, REOPENED, RESOLVED, CLOSED, DUPLICATE = 1, 2, 3, 4, 5


def setup_django() -> None:
    import django

    django.setup()


def database_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT version()")
            return cursor.fetchone()[0].split(" on ")[0]
        cursor.execute("SELECT sqlite_version()")
        return f"SQLite {cursor.fetchone()[0]}"


# --- load ------------------------------------------------------------------------------------


def build_world(rng: random.Random, password: str) -> dict:
    """20 queues, 200 staff users (with their helpdesk settings), 400 requesters."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User
    from django.db import transaction
    from helpdesk.models import Queue, UserSettings
    from rest_framework.authtoken.models import Token

    with transaction.atomic():
        queues = []
        for i in range(20):  # the customer organizations of bench/servicedesk.py
            city, (industry, suffix) = CITIES[i % 10], INDUSTRIES[(i * 3 + i // 10) % 10]
            code = f"cust{i + 1:02d}"
            queues.append(Queue.objects.create(  # save() creates the queue's permission
                title=f"{city}{industry}{suffix}", slug=code,
                email_address=f"servicedesk@{code}.example.cn"))
        hashed = make_password(password)
        seq = 0
        staff = []
        for _ in range(200):
            seq += 1
            family, given = person_name(rng)
            staff.append(User(username=f"u{seq:05d}", first_name=given, last_name=family,
                              email=f"u{seq:05d}@nebula.example.cn", is_staff=True,
                              password=hashed))
        User.objects.bulk_create(staff)
        staff = list(User.objects.filter(is_staff=True).order_by("id"))
        # what helpdesk's post_save signal would have created for each user
        UserSettings.objects.bulk_create([UserSettings(user=u) for u in staff])
        requesters: list[list[tuple[str, str, str]]] = []
        for queue in queues:
            people = []
            for _ in range(20):
                seq += 1
                family, given = person_name(rng)
                people.append((family, given, f"u{seq:05d}@{queue.slug}.example.cn"))
            requesters.append(people)
        agent = staff[1]  # the ITSM benchmark measures as agents[1] too
        token = Token.objects.create(user=agent).key
    return {"queues": queues, "staff": staff, "requesters": requesters, "agent": agent,
            "token": token}


def generate(world: dict, n: int, rng: random.Random) -> list[dict]:
    from django.utils import timezone

    now = timezone.now()
    tz = timezone.get_current_timezone()
    statuses, status_w = zip(*STATUS_WEIGHTS.items(), strict=True)
    priorities, priority_w = zip(*PRIORITY_WEIGHTS.items(), strict=True)
    queues, staff_ids = world["queues"], [u.pk for u in world["staff"]]
    org_weights = [1 / (i + 1) ** 0.7 for i in range(len(queues))]  # a few big customers
    rows = []
    for _ in range(n):
        incident = rng.random() < 0.4
        status = rng.choices(statuses, status_w)[0]
        is_open = status not in FINAL
        created = random_created_at(rng, now, is_open, tz)
        q = rng.choices(range(len(queues)), org_weights)[0]
        family, given, email = rng.choice(world["requesters"][q])
        priority = rng.choices(priorities, priority_w)[0]
        if incident and rng.random() < 0.3:
            priority = max(1, priority - 1)
        if priority == 4 and rng.random() < 0.25:  # helpdesk has a fifth, "very low"
            priority = 5
        system, symptom = rng.choice(SYSTEMS), rng.choice(SYMPTOMS)
        title = f"{system}{symptom}" if incident or rng.random() < 0.3 else \
            f"{rng.choice(REQUESTS)}（{system}）"
        description = (f"{family}{given}反映：{system}{symptom}，"
                       f"{rng.choice(DETAILS)}。请尽快处理。")
        # ITSM status → helpdesk status: closed → closed, cancelled → duplicate,
        # resolved → resolved, the open ones → open (a tenth of the worked-on: reopened)
        hd_status = {"closed": CLOSED, "cancelled": DUPLICATE, "resolved": RESOLVED}.get(
            status, OPEN)
        if hd_status == OPEN and status != "new" and rng.random() < 0.1:
            hd_status = REOPENED
        assignee = rng.choice(staff_ids) if status not in {"new", "cancelled"} else None
        first_response = created + dt.timedelta(minutes=rng.uniform(3, 240))
        resolved = min(first_response + dt.timedelta(hours=rng.expovariate(1 / 20)), now)
        row = {"queue_id": queues[q].pk, "title": title, "description": description,
               "submitter_email": email, "assigned_to_id": assignee, "status": hd_status,
               "on_hold": status in {"waiting_customer", "waiting_third_party"},
               "priority": priority, "created": created, "due_date": None,
               "resolution": None, "done_at": None}
        if hd_status in {RESOLVED, CLOSED}:
            row["resolution"] = rng.choice(RESOLUTIONS)
            row["done_at"] = resolved
            if hd_status == CLOSED:
                row["done_at"] = min(resolved + dt.timedelta(days=rng.uniform(0, 7)), now)
        elif hd_status == DUPLICATE:
            row["done_at"] = min(created + dt.timedelta(hours=rng.uniform(0.1, 48)), now)
        else:
            row["due_date"] = created + dt.timedelta(hours=RESOLUTION_HOURS[priority])
        row["modified"] = max(row["done_at"] or created, created)
        rows.append(row)
    rows.sort(key=lambda r: r["created"])
    return rows


def insert(rows: list[dict]) -> dict:
    from django.core.management.color import no_style
    from django.db import connection, transaction
    from django.utils.translation import gettext, override
    from helpdesk.models import FollowUp, Ticket

    # bulk_create would stamp created/modified with now(): keep the generated moments
    Ticket._meta.get_field("created").auto_now_add = False
    Ticket._meta.get_field("modified").auto_now = False
    with override("zh-hans"):  # the titles helpdesk itself writes, in the UI language
        titles = {"opened": gettext("Ticket Opened"), RESOLVED: gettext("Resolved"),
                  CLOSED: gettext("Closed"), DUPLICATE: gettext("Closed")}
    tickets, followups = [], []
    for ticket_id, row in enumerate(rows, start=1):
        fields = {k: v for k, v in row.items() if k != "done_at"}
        tickets.append(Ticket(id=ticket_id, **fields))
        followups.append(FollowUp(ticket_id=ticket_id, date=row["created"], public=True,
                                  title=titles["opened"], comment=row["description"]))
        if row["done_at"]:
            followups.append(FollowUp(
                ticket_id=ticket_id, date=row["done_at"], public=True,
                title=titles[row["status"]], new_status=row["status"],
                comment=row["resolution"] or "", user_id=row["assigned_to_id"]))
    seconds = {}
    for label, model, objects in (("tickets", Ticket, tickets),
                                  ("followups", FollowUp, followups)):
        start = time.perf_counter()
        for offset in range(0, len(objects), BATCH):
            with transaction.atomic():
                model.objects.bulk_create(objects[offset:offset + BATCH], batch_size=BATCH)
        seconds[label] = time.perf_counter() - start
    with connection.cursor() as cursor:  # explicit ids: move the sequences past them
        for sql in connection.ops.sequence_reset_sql(no_style(), [Ticket, FollowUp]):
            cursor.execute(sql)
    analyze = 0.0
    if connection.vendor == "postgresql":
        start = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        analyze = time.perf_counter() - start
    return {"ticket_rows": len(tickets), "followup_rows": len(followups),
            "ticket_seconds": seconds["tickets"], "followup_seconds": seconds["followups"],
            "analyze_seconds": analyze}


def load(tickets: int, password: str) -> dict:
    setup_django()
    import django

    rng = random.Random(SEED)
    started = time.perf_counter()
    world = build_world(rng, password)
    world_seconds = time.perf_counter() - started
    start = time.perf_counter()
    rows = generate(world, tickets, rng)
    generate_seconds = time.perf_counter() - start
    inserted = insert(rows)
    total = time.perf_counter() - start
    insert_seconds = inserted["ticket_seconds"] + inserted["followup_seconds"]
    rows_total = inserted["ticket_rows"] + inserted["followup_rows"]
    counts: dict[int, int] = {}
    for row in rows:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    return {
        "django": django.get_version(),
        "database_version": database_version(),
        "world_seconds": round(world_seconds, 2),
        "load": {
            "seconds": round(total, 2),
            "rows_per_second": round(rows_total / total),
            "generate_seconds": round(generate_seconds, 2),
            "insert_seconds": round(insert_seconds, 2),
            "insert_rows_per_second": round(rows_total / insert_seconds),
            "ticket_rows": inserted["ticket_rows"],
            "ticket_insert_seconds": round(inserted["ticket_seconds"], 2),
            "ticket_rows_per_second": round(inserted["ticket_rows"]
                                            / inserted["ticket_seconds"]),
            "followup_rows": inserted["followup_rows"],
            "followup_insert_seconds": round(inserted["followup_seconds"], 2),
            "analyze_seconds": round(inserted["analyze_seconds"], 2),
            "method": f"Django bulk_create, batches of {BATCH} rows, one transaction each",
        },
        "status_counts": {str(k): v for k, v in sorted(counts.items())},
        "open_tickets": counts.get(OPEN, 0) + counts.get(REOPENED, 0),
        "world": {"queues": [q.pk for q in world["queues"]],
                  "staff": [u.pk for u in world["staff"]],
                  "requesters": [p[2] for people in world["requesters"] for p in people]},
        "agent": {"username": world["agent"].username, "id": world["agent"].pk,
                  "token": world["token"]},
    }


# --- queries ---------------------------------------------------------------------------------


def count_queries(spec: dict) -> dict:
    """Each request of the spec in-process; SQL statements executed per request.

    spec: {"username", "token", "requests": [{"label", "method", "path", "auth":
    "session"|"token", "content_type", "bodies": [str, …] | null, "repeat": int,
    "expect": [int], "sql": bool}]}. GETs run ``repeat`` times (the first warms up).
    """
    setup_django()
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()  # allows the 'testserver' host, keeps mail in memory
    session = Client()
    session.force_login(User.objects.get(username=spec["username"]))
    token = Client(headers={"authorization": f"Token {spec['token']}"})
    results = {}
    for item in spec["requests"]:
        client = token if item["auth"] == "token" else session
        bodies = item.get("bodies") or [None] * item.get("repeat", 2)
        counts, statements = [], []
        for body in bodies:
            executed: list[str] = []

            def counter(execute, sql, params, many, context, executed=executed):
                executed.append(sql)
                return execute(sql, params, many, context)

            with connection.execute_wrapper(counter):
                if item["method"] == "GET":
                    response = client.get(item["path"])
                else:
                    response = client.post(item["path"], data=body,
                                           content_type=item["content_type"])
            if response.status_code not in item.get("expect", [200]):
                raise SystemExit(f"{item['method']} {item['path']} answered "
                                 f"{response.status_code}: {response.content[:300]!r}")
            counts.append(len(executed))
            statements = executed
        result = {"queries": counts[-1], "runs": len(counts), "first_run": counts[0]}
        if len(counts) > 2:  # the creates: each run creates another ticket
            result |= {"queries": statistics.median(counts), "min": min(counts),
                       "max": max(counts)}
        if item.get("sql"):
            result["sql"] = statements
        results[item["label"]] = result
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    loading = commands.add_parser("load")
    loading.add_argument("--tickets", type=int, required=True)
    loading.add_argument("--password", required=True)
    loading.add_argument("--out", required=True)
    counting = commands.add_parser("queries")
    counting.add_argument("--spec", required=True)
    counting.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    if args.command == "load":
        result = load(args.tickets, args.password)
    else:
        result = count_queries(json.loads(Path(args.spec).read_text()))
    Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
