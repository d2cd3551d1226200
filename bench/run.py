"""The benchmark suite (``make bench``): ITSM side by side with django-helpdesk 2.6.1.

    .venv/bin/python bench/run.py [--sizes 100000,1000000] [--databases postgresql,sqlite]
        [--no-helpdesk] [--creates 300] [--requests 50]

Runs, in one go, for every size and database (1,000,000 tickets on PostgreSQL only):
ITSM (bench/servicedesk.py) and, where the size is at most ``--helpdesk-max`` (100,000),
django-helpdesk 2.6.1 (bench/helpdesk.py: installed from PyPI into its own virtualenv)
under the same workloads, both measured over HTTP against one gunicorn sync worker
(bench/httpbench.py). Prints one table with the ratios and the targets of issue 5, and
writes everything as JSON to bench/results/suite-<time>.json. It asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import helpdesk
from vocabulary import SEARCH_WORDS

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
PG_ITSM = "postgres://postgres@127.0.0.1:5432/itsm_bench_{size}"
PG_HELPDESK = "postgres://postgres@127.0.0.1:5432/helpdesk_bench"

#: Figure → (target, unit, direction) of issue 5, checked on the figures of each run.
TARGETS = {
    "list_p95_ms": (100, "ms", "below"),
    "search_p95_ms": (300, "ms", "below"),
    "home_p95_ms": (150, "ms", "below"),
    "report_seconds": (3, "s", "below"),
    "sweep_seconds": (10, "s", "below"),
    "web_rss_mb": (150, "MB", "below"),
    "create_ratio": (3, "×", "above"),
    "list_ratio": (10, "×", "above"),
    "search_ratio": (10, "×", "above"),
}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,1000000",
                        help="ticket counts, comma-separated (default 100000,1000000)")
    parser.add_argument("--databases", default="postgresql,sqlite",
                        help="postgresql and/or sqlite (default both; 1M: PostgreSQL only)")
    parser.add_argument("--no-helpdesk", action="store_true", help="ITSM only")
    parser.add_argument("--helpdesk-from", metavar="SUITE_JSON",
                        help="take django-helpdesk's figures from an earlier suite's JSON "
                             "instead of measuring it again (they do not change with ours)")
    parser.add_argument("--helpdesk-max", type=int, default=100_000,
                        help="largest size django-helpdesk is run at (default 100000)")
    parser.add_argument("--creates", type=int, default=300,
                        help="tickets created one at a time through each API (default 300)")
    parser.add_argument("--requests", type=int, default=50,
                        help="timed requests per list/search measurement (default 50)")
    parser.add_argument("--reuse", action="store_true",
                        help="ITSM on PostgreSQL: measure the database an earlier --reuse run "
                             "kept (itsm_bench_100k, itsm_bench_1m …) instead of loading anew")
    parser.add_argument("--depth", type=int, default=20,
                        help="'next' links followed to reach the deep page (default 20)")
    return parser.parse_args(argv)


def worst(entries: list[dict], key: str = "p95_ms") -> float | None:
    values = [e[key] for e in entries if e and e.get(key) is not None]
    return max(values) if values else None


def summarize(ours: dict, theirs: dict | None) -> dict:
    """The figures the targets are about, and the ratios ours/theirs (speed-ups)."""
    lists = [e for label, entry in ours["lists"].items() if "search" not in label
             for e in (entry.get("page1"), entry.get("deep"))]
    searches = [entry["page1"] for label, entry in ours["lists"].items() if "search" in label]
    summary = {
        "create_per_second": ours["create_api"]["per_second"],
        "bulk_import_rows_per_second": (ours.get("bulk_import") or {}).get("rows_per_second"),
        "list_p50_ms": worst(lists, "p50_ms"), "list_p95_ms": worst(lists),
        "search_p50_ms": worst(searches, "p50_ms"), "search_p95_ms": worst(searches),
        "home_p50_ms": worst(list((ours.get("homes") or {}).values()), "p50_ms"),
        "home_p95_ms": worst(list((ours.get("homes") or {}).values())),
        "report_seconds": (ours.get("report") or {}).get("seconds"),
        "sweep_seconds": ours["sla"]["sweep_seconds"],
        "web_rss_mb": ours["rss"]["web"]["now_mb"],
        "web_peak_mb": ours["rss"]["web"]["peak_mb"],
        "worker_rss_mb": ours["rss"]["worker"]["now_mb"],
    }
    if theirs:
        summary["helpdesk"], summary["pairs"] = compare(ours, theirs)
        pairs = summary["pairs"]
        summary["create_ratio"] = pairs["create"]["ratio"]
        summary["list_ratio"] = min_ratio(pairs, ("queue page 1", "queue deep", "API page 1",
                                                  "API deep"))
        summary["search_ratio"] = min_ratio(pairs, [f"search {w}" for w in
                                                    SEARCH_WORDS])
    return summary


def compare(ours: dict, theirs: dict) -> tuple[dict, dict]:
    """Their figures, and each of our measurements next to its counterpart: (ours, theirs,
    speed-up). The agent queue is our list page against their list data endpoint alone
    (the request their page makes for its rows; their page shell is not counted), the
    API list against their REST list, our search (all tickets) against their search of
    all tickets; creation against the faster of their API and web form."""
    lists = ours["lists"]

    def ours_p50(label_start: str, page: str = "page1") -> float | None:
        entry = next((e for k, e in lists.items() if k.startswith(label_start)), {})
        return (entry.get(page) or {}).get("p50_ms")

    their_create = max((theirs.get(k) or {}).get("per_second") or 0
                       for k in ("create_api", "create_web")) or None
    pairs = {"create": {"ours": ours["create_api"]["per_second"], "theirs": their_create,
                        "unit": "tickets/s",
                        "ratio": ratio(ours["create_api"]["per_second"], their_create)}}
    for label, mine, key in (
            ("queue page 1", ours_p50("UI  queue"), "queue_page1"),
            ("queue deep", ours_p50("UI  queue", "deep") or ours_p50("UI  open", "deep"),
             "queue_deep"),
            ("API page 1", ours_p50("API queue"), "api_page1"),
            ("API deep", ours_p50("API open", "deep"), "api_deep")):
        other = (theirs.get(key) or {}).get("p50_ms")
        pairs[label] = {"ours": mine, "theirs": other, "unit": "ms p50",
                        "ratio": ratio(other, mine)}
    for word in SEARCH_WORDS:
        mine = ours_p50(f"API search {word}")
        other = ((theirs.get("search_all") or {}).get(word) or {}).get("p50_ms")
        pairs[f"search {word}"] = {"ours": mine, "theirs": other, "unit": "ms p50",
                                   "ratio": ratio(other, mine)}
    rss = theirs.get("rss") or {}
    their = {"create_per_second": their_create,
             "list_p50_ms": worst([theirs.get(k) for k in ("queue_page1", "queue_deep",
                                                           "api_page1", "api_deep")], "p50_ms"),
             "list_p95_ms": worst([theirs.get(k) for k in ("queue_page1", "queue_deep",
                                                           "api_page1", "api_deep")]),
             "search_p50_ms": worst(list((theirs.get("search_all") or {}).values()), "p50_ms"),
             "search_p95_ms": worst(list((theirs.get("search_all") or {}).values())),
             "web_rss_mb": rss.get("now_mb")}
    return their, pairs


def min_ratio(pairs: dict, labels) -> float | None:
    values = [pairs[k]["ratio"] for k in labels if k in pairs and pairs[k]["ratio"]]
    return min(values) if values else None


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 1) if a and b else None


def verdicts(summary: dict, tickets: int) -> dict[str, str]:
    """Target → "met"/"missed" for the targets that apply to this run."""
    applies = {"web_rss_mb", "sweep_seconds"}
    if tickets >= 1_000_000:
        applies |= {"list_p95_ms", "search_p95_ms", "report_seconds", "home_p95_ms"}
    if "helpdesk" in summary:
        applies |= {"create_ratio", "list_ratio", "search_ratio"}
    out = {}
    for key in sorted(applies):
        value = summary.get(key)
        target, _unit, direction = TARGETS[key]
        if value is None:
            out[key] = "not measured"
        else:
            met = value < target if direction == "below" else value >= target
            out[key] = "met" if met else "MISSED"
    return out


def print_table(runs: list[dict]) -> None:
    line = "=" * 110
    print()
    print(line)
    print("ITSM vs django-helpdesk 2.6.1 — HTTP against one gunicorn sync worker each; "
          "p50/p95 over the slowest page of each kind")
    print(line)
    head = (f"{'run':<26}{'create/s':>10}{'list p50/p95 ms':>18}{'search p50/p95 ms':>19}"
            f"{'report s':>10}{'sweep s':>9}{'web MB':>8}")
    print(head)
    for run in runs:
        s = run["summary"]
        label = f"ITSM {run['database']} {run['tickets']:,}"
        print(f"{label:<26}{s['create_per_second'] or 0:>10}"
              f"{s['list_p50_ms'] or 0:>9.0f}/{s['list_p95_ms'] or 0:<8.0f}"
              f"{s['search_p50_ms'] or 0:>10.0f}/{s['search_p95_ms'] or 0:<8.0f}"
              f"{s['report_seconds'] or 0:>10.2f}{s['sweep_seconds']:>9.2f}"
              f"{s['web_rss_mb']:>8.0f}")
        h = s.get("helpdesk")
        if h:
            label = f"helpdesk {run['database']} {run['tickets']:,}"
            print(f"{label:<26}{h['create_per_second'] or 0:>10}"
                  f"{h['list_p50_ms'] or 0:>9.0f}/{h['list_p95_ms'] or 0:<8.0f}"
                  f"{h['search_p50_ms'] or 0:>10.0f}/{h['search_p95_ms'] or 0:<8.0f}"
                  f"{'—':>10}{'—':>9}{h['web_rss_mb'] or 0:>8.0f}")
            for label, pair in s["pairs"].items():
                print(f"    {label:<22}ours {pair['ours'] or 0:>8} theirs "
                      f"{pair['theirs'] or 0:>8} {pair['unit']:<10} → {pair['ratio'] or 0}×")
    print(line)
    print("Home pages and global search, p50/p95 ms")
    for run in runs:
        ours = run.get("itsm") or {}
        cells = [f"home ({role}) {f['p50_ms']:.0f}/{f['p95_ms']:.0f}"
                 for role, f in (ours.get("homes") or {}).items()]
        cells += [f"{label.split('search ')[-1]} {e['page1']['p50_ms']:.0f}/"
                  f"{e['page1']['p95_ms']:.0f}"
                  for label, e in (ours.get("lists") or {}).items() if "global search" in label]
        print(f"  {run['database']} {run['tickets']:,}: " + "; ".join(cells))
    print(line)
    print("Quality (dashboard, drill-downs, monthly PDF), p50/p95 ms")
    for run in runs:
        pages = ((run.get("itsm") or {}).get("quality") or {}).get("pages") or {}
        cells = [f"{name} {f['p50_ms']:.0f}/{f['p95_ms']:.0f}" for name, f in pages.items()]
        if cells:
            print(f"  {run['database']} {run['tickets']:,}: " + "; ".join(cells))
    print(line)
    print("Knowledge base (suggestions, article search), p50/p95 ms")
    for run in runs:
        knowledge = (run.get("itsm") or {}).get("knowledge") or {}
        cells = [f"{name} {f['p50_ms']:.0f}/{f['p95_ms']:.0f}"
                 for name, f in (knowledge.get("http") or {}).items()
                 if isinstance(f, dict) and "p50_ms" in f]
        if cells:
            print(f"  {run['database']} {run['tickets']:,}, {knowledge['articles']:,} "
                  "articles: " + "; ".join(cells))
    print(line)
    for run in runs:
        marks = ", ".join(f"{k} {v}" for k, v in run["verdicts"].items())
        print(f"Targets, {run['database']} {run['tickets']:,}: {marks}")
    print(line)


def run_itsm(tickets: int, url: str, args: argparse.Namespace, reuse: bool) -> dict:
    """bench/servicedesk.py in a process of its own (Django is configured once per
    process, for one database); its JSON."""
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"itsm-run-{size_label(tickets)}-{os.getpid()}.json"
    command = [sys.executable, str(BENCH_DIR / "servicedesk.py"), "--tickets", str(tickets),
               "--database-url", url, "--creates", str(args.creates),
               "--requests", str(args.requests), "--depth", str(args.depth),
               "--json", str(path)]
    if reuse:
        command.append("--reuse")
    elif url != "sqlite":
        command.append("--keep")  # bench/quality.py measures it next, then drops it
    # Read back from the path given (the run may fall back to SQLite and name its own
    # file after the engine it used), never an older run's file.
    path.unlink(missing_ok=True)
    subprocess.run(command, check=True)  # noqa: S603 - our own script, argument list
    return json.loads(path.read_text())


def run_quality(tickets: int, url: str, args: argparse.Namespace, reuse: bool) -> dict:
    """bench/quality.py on the database bench/servicedesk.py just measured (dropped
    afterwards unless ``--reuse``); its JSON."""
    path = RESULTS_DIR / f"quality-run-{size_label(tickets)}-{os.getpid()}.json"
    command = [sys.executable, str(BENCH_DIR / "quality.py"), "--database-url", url,
               "--requests", str(min(args.requests, 30)), "--json", str(path)]
    if not reuse:
        command.append("--drop")
    path.unlink(missing_ok=True)
    subprocess.run(command, check=True)  # noqa: S603 - our own script, argument list
    return json.loads(path.read_text())


def run_knowledge(tickets: int, url: str, args: argparse.Namespace) -> dict:
    """bench/knowledge.py on the database bench/servicedesk.py just measured: a tenth as
    many articles as tickets (100,000 beside a million), kept with the database; its
    JSON."""
    path = RESULTS_DIR / f"knowledge-run-{size_label(tickets)}-{os.getpid()}.json"
    command = [sys.executable, str(BENCH_DIR / "knowledge.py"), "--database-url", url,
               "--articles", str(min(100_000, max(1000, tickets // 10))),
               "--requests", str(min(args.requests, 200)), "--json", str(path)]
    path.unlink(missing_ok=True)
    subprocess.run(command, check=True)  # noqa: S603 - our own script, argument list
    return json.loads(path.read_text())


def size_label(tickets: int) -> str:
    if tickets % 1_000_000 == 0:
        return f"{tickets // 1_000_000}m"
    return f"{tickets // 1000}k" if tickets % 1000 == 0 else str(tickets)


def main(argv=None) -> int:
    args = parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    databases = [d for d in args.databases.split(",") if d]
    started = time.perf_counter()
    earlier = {}
    if args.helpdesk_from:
        for run in json.loads(Path(args.helpdesk_from).read_text())["runs"]:
            if run.get("helpdesk"):
                earlier[(run["database"], run["tickets"])] = run["helpdesk"]
    runs = []
    for tickets in sizes:
        for database in databases:
            if database == "sqlite" and tickets > 100_000:
                continue  # 1M tickets: PostgreSQL only
            url = PG_ITSM.format(size=size_label(tickets)) if database == "postgresql" \
                else "sqlite"
            reuse = args.reuse and database != "sqlite"
            ours = run_itsm(tickets, url, args, reuse=reuse)
            if database == "postgresql":
                ours["knowledge"] = run_knowledge(tickets, url, args)
                ours["quality"] = run_quality(tickets, url, args, reuse)
            theirs = earlier.get((database, tickets))
            if theirs is None and not args.no_helpdesk and tickets <= args.helpdesk_max:
                theirs = helpdesk.run(tickets, PG_HELPDESK if database == "postgresql"
                                      else "sqlite", creates=args.creates,
                                      requests=args.requests, keep=False)
                helpdesk.print_report(theirs)
            summary = summarize(ours, theirs)
            runs.append({"database": database, "tickets": tickets, "summary": summary,
                         "verdicts": verdicts(summary, tickets), "itsm": ours,
                         "helpdesk": theirs})
    print_table(runs)
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = RESULTS_DIR / f"suite-{stamp}.json"
    path.write_text(json.dumps({"runs": runs, "seconds": round(time.perf_counter() - started)},
                               ensure_ascii=False, indent=2, default=str))
    print(f"Suite: {time.perf_counter() - started:.0f} s; JSON: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
