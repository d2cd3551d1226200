"""The first request after a start (issue 16): ``make run`` on a fresh SQLite database,
then the first ticket created through the API, timed.

    .venv/bin/python bench/first_request.py [--creates 5] [--no-compare] [--json PATH]

In a temporary ``ITSM_VAR_DIR`` it does what ``make run`` does — ``migrate``,
``createcachetable``, ``demo --if-empty``, ``itsm serve --with-worker`` (gunicorn with
its two workers, and the job worker) — on a free loopback port. ``collectstatic`` is left
out: the API needs no static files, and ``STATIC_ROOT`` is the checkout's own.

Once every worker has started (the web workers' and the job worker's "warmed up" log
lines, then a short settle), the demo agent gets an API token from the command line (no
request reaches the server), and tickets are created one after another with
``POST /api/service-requests/``: the first is the first request the server ever serves.
It prints the latency of the first and of the next ones. With the comparison (default)
the same runs again on a copy of the same database with ``ITSM_WARM_UP=0``: what the
warm-up at start saves. Figures only, no assertion; the target is a first request under
300 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpbench  # bench/ is on sys.path when run as a script

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
ITSM = [sys.executable, "-m", "itsm"]
TARGET_MS = 300
#: Lines a started worker writes: gunicorn's, and core.warmup's when it has loaded.
BOOTED = re.compile(r"Booting worker with pid")
WARMED = re.compile(r"warmed up: (.*)")
#: After the workers report, let the machine settle before the first request.
SETTLE_SECONDS = 5.0


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--creates", type=int, default=6,
                        help="tickets created one after another (default 6: the first "
                             "and five more)")
    parser.add_argument("--no-compare", action="store_true",
                        help="skip the second run with ITSM_WARM_UP=0")
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="seconds to wait for the server to start (default 120)")
    parser.add_argument("--json", metavar="PATH",
                        help="where to write the figures (default "
                             "bench/results/first-request-<time>.json)")
    return parser.parse_args(argv)


def environment(var_dir: Path, warm_up: bool) -> dict[str, str]:
    """The environment of ``make run`` with its defaults: SQLite and huey's SQLite queue
    in ``var_dir``, no PostgreSQL or Redis even if this shell names them."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"ITSM_DATABASE_URL", "ITSM_REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update(ITSM_VAR_DIR=str(var_dir), ITSM_WARM_UP="1" if warm_up else "0",
               PYTHONUNBUFFERED="1")
    return env


def run(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run([*ITSM, *args], env=env, cwd=ROOT, capture_output=True,  # noqa: S603
                          text=True, check=False)
    if done.returncode:
        sys.exit(f"itsm {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return done.stdout


def prepare(var_dir: Path) -> float:
    """``make run``'s steps before serving; the seconds they took."""
    env = environment(var_dir, warm_up=False)
    started = time.perf_counter()
    run(["migrate", "--noinput", "-v0"], env)
    run(["createcachetable"], env)
    run(["demo", "--if-empty"], env)
    return time.perf_counter() - started


def ids(var_dir: Path) -> tuple[int, int]:
    """The demo customer organization and its requester, read from the database file."""
    with sqlite3.connect(var_dir / "itsm.sqlite3") as db:
        organization = db.execute(
            "SELECT id FROM core_organization WHERE code = 'hdmfg'").fetchone()[0]
        requester = db.execute(
            "SELECT id FROM auth_user WHERE username = 'requester'").fetchone()[0]
    return organization, requester


def token(var_dir: Path, env: dict[str, str]) -> str:
    """An API token of the demo agent, made on the command line (no request)."""
    output = run(["drf_create_token", "agent"], env)
    found = re.search(r"token (\w+) for user", output)
    if found is None:
        sys.exit(f"no token in: {output!r}")
    return found.group(1)


class Server:
    """``itsm serve --with-worker`` in the background, its output in a file."""

    def __init__(self, var_dir: Path, env: dict[str, str]) -> None:
        self.port = httpbench.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = var_dir / "serve.log"
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(  # noqa: S603 - our interpreter, fixed arguments
            [*ITSM, "serve", "--with-worker", "--bind", f"127.0.0.1:{self.port}"],
            env=env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_started(self, warm_up: bool, timeout: float) -> list[str]:
        """Until both web workers have booted and, with the warm-up, all three workers
        (two web, one job) have logged it; then a short settle. Their warm-up lines."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.output()
            warmed = WARMED.findall(text)
            booted = len(BOOTED.findall(text))
            if booted >= 2 and (not warm_up or len(warmed) >= 3):
                time.sleep(SETTLE_SECONDS)
                return warmed
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                sys.exit(f"the server did not start:\n{text[-3000:]}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.log.close()


def measure(var_dir: Path, warm_up: bool, creates: int, timeout: float) -> dict:
    """Serve ``var_dir`` and create ``creates`` tickets; the latency of each."""
    env = environment(var_dir, warm_up)
    key = token(var_dir, env)
    organization, requester = ids(var_dir)
    server = Server(var_dir, env)
    try:
        warmed = server.wait_started(warm_up, timeout)
        latencies = []
        for index in range(creates):
            response = httpbench.request(
                "POST", server.url + "/api/service-requests/",
                headers={"Authorization": f"Token {key}", "Accept-Language": "zh-hans"},
                body={"organization": organization, "requester": requester,
                      "title": f"财务系统打印机卡纸，无法打印报表（第 {index + 1} 次）",
                      "description": "三楼东侧打印机卡纸，月底报表无法打印。", "priority": 3})
            if response.status != 201:
                sys.exit(f"POST answered {response.status}: {response.head()}")
            latencies.append(round(response.ms, 1))
    finally:
        server.stop()
    return {"warm_up": warm_up, "first_ms": latencies[0], "next_ms": latencies[1:],
            "warmed_up": warmed}


def report(figures: dict) -> None:
    label = "with the warm-up at start" if figures["warm_up"] else "ITSM_WARM_UP=0"
    verdict = "met" if figures["first_ms"] < TARGET_MS else "NOT met"
    print(f"\n{label}:")
    for line in figures["warmed_up"]:
        print(f"  a worker warmed up: {line}")
    print(f"  first request  POST /api/service-requests/  {figures['first_ms']:8.1f} ms"
          + (f"   (target < {TARGET_MS} ms: {verdict})" if figures["warm_up"] else ""))
    print("  next requests  " + ", ".join(f"{ms:.1f}" for ms in figures["next_ms"]) + " ms")


def main(argv=None) -> None:
    options = parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="itsm-first-request-"))
    try:
        fresh = tmp / "fresh"
        fresh.mkdir()
        print(f"make run's preparation (migrate, createcachetable, demo) in {fresh} …")
        prepared = prepare(fresh)
        print(f"  took {prepared:.1f} s")
        pristine = tmp / "pristine"
        shutil.copytree(fresh, pristine)  # the same database for the comparison
        results = [measure(fresh, True, options.creates, options.timeout)]
        report(results[0])
        if not options.no_compare:
            results.append(measure(pristine, False, options.creates, options.timeout))
            report(results[1])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = Path(options.json or RESULTS_DIR / f"first-request-{stamp}.json")
    path.write_text(json.dumps({
        "benchmark": "first request after make run", "target_ms": TARGET_MS,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "preparation_seconds": round(prepared, 1), "runs": results,
    }, ensure_ascii=False, indent=2))
    print(f"\nfigures written to {path}")


if __name__ == "__main__":
    main()
