"""CMDB benchmark: impact analysis on a graph of 10,000 items and 30,000 relations.

    .venv/bin/python bench/cmdb.py [--items 10000] [--relations 30000] [--runs 20]
        [--database-url postgres://postgres@127.0.0.1:5432/itsm_bench_cmdb]

Creates a fresh database (PostgreSQL by default, dropped and created by this script and
dropped again at the end unless ``--keep``; a temporary SQLite file when PostgreSQL is
unreachable or the URL is ``sqlite``), migrates it and bulk-loads (``bulk_create``) a
layered CMDB: one provider with 20 customers, two catalogue services per customer;
service CIs depend on applications (of the customers), which depend on databases and
run on servers, which depend on network devices and storage. A few databases, servers
and the core network are shared by many customers' applications. Then it times
``cmdb.impact.analyse`` for the most used database (p50/p95 of ``--runs`` runs) and
prints the number of affected items, services and customer organizations.

It prints a table and writes JSON to ``bench/results/``; it asserts nothing.
"""

from __future__ import annotations

import argparse
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

DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/itsm_bench_cmdb"
SEED = 20260401
CUSTOMERS = 20


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--relations", type=int, default=30_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--database-url", default=DEFAULT_PG_URL)
    parser.add_argument("--keep", action="store_true")
    return parser.parse_args(argv)


def step(message: str) -> None:
    print(f"--- {message}", flush=True)


def load(n_items: int, n_relations: int, rng: random.Random) -> dict:
    """Bulk-load organizations, services, items and relations; answer the shape."""
    from django.db import transaction

    from itsm.catalog.models import Service
    from itsm.cmdb.models import CIRelation, CIType, ConfigurationItem
    from itsm.core.models import BusinessCalendar, Organization

    types = {t.code: t for t in CIType.objects.all()}
    with transaction.atomic():
        provider = Organization.objects.create(name="星云数据服务", code="provider",
                                               kind="provider")
        customers = Organization.objects.bulk_create([
            Organization(name=f"{CITIES[i % len(CITIES)]}{INDUSTRIES[i % len(INDUSTRIES)][0]}"
                         f"{i}{INDUSTRIES[i % len(INDUSTRIES)][1]}", code=f"cust{i}",
                         kind="customer", provider=provider) for i in range(CUSTOMERS)])
        calendar = BusinessCalendar.objects.create(name="工作日历", organization=provider)
        services = Service.objects.bulk_create([
            Service(provider=provider, code=f"svc-{c.code}-{k}", name=f"{c.name} {name}",
                    calendar=calendar)
            for c in customers for k, name in enumerate(["ERP 服务", "电商服务"])])
        Service.customers.through.objects.bulk_create([
            Service.customers.through(service_id=s.pk, organization_id=customers[i // 2].pk)
            for i, s in enumerate(services)])
        # Layer sizes (scaled to --items): services, apps, databases, servers, network, storage
        scale = n_items / 10_000
        sizes = {"service": len(services), "application": int(2000 * scale),
                 "database": int(800 * scale), "network": int(500 * scale),
                 "storage": int(660 * scale)}
        sizes["server"] = n_items - sum(sizes.values())
        items: list[ConfigurationItem] = []
        layer: dict[str, list[int]] = {}
        for code, size in sizes.items():
            start = len(items)
            for i in range(size):
                if code == "service":
                    org, service = customers[i // 2], services[i]
                elif code == "application" or (code == "database" and i >= 300):
                    org, service = customers[i % CUSTOMERS], None
                else:
                    org, service = provider, None
                items.append(ConfigurationItem(organization=org, ci_type=types[code],
                                               name=f"{code}-{i:05d}", service=service,
                                               attributes={}))
            layer[code] = list(range(start, start + size))
        ConfigurationItem.objects.bulk_create(items, batch_size=2000)
        ids = {code: [items[i].pk for i in idx] for code, idx in layer.items()}
        edges: set[tuple[int, int, str]] = set()

        def add(source: int, target: int, kind: str) -> None:
            if source != target:
                edges.add((source, target, kind))

        apps, dbs, servers = ids["application"], ids["database"], ids["server"]
        heavy_db = dbs[0]
        for i, app in enumerate(apps):  # every app belongs to a service of its customer
            customer = i % CUSTOMERS
            add(ids["service"][customer * 2 + (i // CUSTOMERS) % 2], app, "depends_on")
            add(app, rng.choice(dbs[:300]) if rng.random() < 0.5 else rng.choice(dbs),
                "depends_on")
            if i % 7 == 0:  # the shared order database
                add(app, heavy_db, "depends_on")
            add(app, rng.choice(servers), "runs_on")
            add(app, rng.choice(servers), "runs_on")
        for db in dbs:
            add(db, rng.choice(servers), "runs_on")
            add(db, rng.choice(servers), "runs_on")
        for server in servers:
            add(server, rng.choice(ids["network"][:20]), "depends_on")  # core switches
            add(server, rng.choice(ids["storage"]), "depends_on")
        for net in ids["network"][20:]:
            add(net, rng.choice(ids["network"][:20]), "connected_to")
        while len(edges) < n_relations:  # the rest: east-west links between servers
            add(rng.choice(servers), rng.choice(servers), "connected_to")
        CIRelation.objects.bulk_create(
            [CIRelation(source_id=s, target_id=t, kind=k) for s, t, k in edges],
            batch_size=5000)
    return {"heavy_db": heavy_db, "sizes": sizes, "relations": len(edges),
            "customers": len(customers), "services": len(services)}


def main(argv=None) -> int:
    args = parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="itsm-bench-cmdb-"))
    database_url, engine, drop = prepare_database(args.database_url, tmp)
    shown = urllib.parse.urlparse(database_url)
    step(f"Database: {engine} {shown._replace(netloc=shown.hostname or '').geturl()}")
    configure_django(database_url, tmp / "var")
    from django.core.management import call_command
    from django.db import connection, connections, reset_queries

    result: dict = {"database": engine, "items": args.items, "relations": args.relations}
    try:
        step("Migrating")
        call_command("migrate", interactive=False, verbosity=0)
        with connection.cursor() as cursor:
            cursor.execute("SELECT version()" if engine == "postgresql"
                           else "SELECT sqlite_version()")
            version = cursor.fetchone()[0]
        result["database_version"] = (version.split(" on ")[0] if engine == "postgresql"
                                      else f"SQLite {version}")
        step(f"Bulk-loading {args.items:,} items and {args.relations:,} relations")
        with Clock() as c:
            shape = load(args.items, args.relations, random.Random(SEED))
        result["load_seconds"] = round(c.seconds, 1)
        result["shape"] = shape["sizes"]
        if engine == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        from itsm.cmdb.impact import analyse
        from itsm.cmdb.models import ConfigurationItem

        ci = ConfigurationItem.objects.get(pk=shape["heavy_db"])
        step(f"Timing impact.analyse({ci.name}) {args.runs} times")
        timings = []
        impact = None
        for _run in range(args.runs + 1):
            reset_queries()
            with Clock() as c:
                impact = analyse(ci)
            timings.append(c.seconds)
        timings = timings[1:]  # the first run warms the caches
        result["impact"] = {
            "ci": ci.name, "runs": args.runs,
            "p50_ms": round(percentile(timings, 50) * 1000, 1),
            "p95_ms": round(percentile(timings, 95) * 1000, 1),
            "max_ms": round(max(timings) * 1000, 1),
            "affected_items": len(impact.item_ids),
            "services": len(impact.services),
            "customers": len(impact.organizations),
            "open_records": len(impact.open_records),
        }
    finally:
        connections.close_all()
        if not args.keep:
            drop()
            shutil.rmtree(tmp, ignore_errors=True)
    result["python"] = platform.python_version()
    result["machine"] = platform.machine()
    imp = result["impact"]
    rows = [("database", result["database_version"]),
            ("items / relations", f"{args.items:,} / {shape['relations']:,}"),
            ("bulk load", f"{result['load_seconds']} s"),
            ("impact CI", imp["ci"]),
            ("impact p50", f"{imp['p50_ms']} ms"), ("impact p95", f"{imp['p95_ms']} ms"),
            ("affected items", imp["affected_items"]), ("services", imp["services"]),
            ("customers", imp["customers"])]
    print()
    for label, value in rows:
        print(f"  {label:<20} {value}")
    RESULTS_DIR.mkdir(exist_ok=True)
    out = RESULTS_DIR / f"cmdb-{engine}-{args.items}.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"\nWritten to {out.relative_to(Path.cwd()) if out.is_relative_to(Path.cwd()) else out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
