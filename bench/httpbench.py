"""Shared HTTP measuring code of the benchmarks: both systems are measured the same way.

A system under test runs in its own gunicorn (one sync worker by default) started by
:func:`start_gunicorn`; :func:`timed` sends sequential requests to it over loopback with
``http.client`` (a new connection per request: a sync worker closes it anyway) and reports
the wall time per request, which on loopback stands for the server time; :func:`rss_mb`
reads the worker's memory from ``/proc``. Standard library only, no Django import: the
module is used from our virtualenv to drive servers that run in other virtualenvs.

    server = start_gunicorn(".venv/bin/python", "itsm.wsgi:application", env={...})
    try:
        figures = timed("GET", server.url + "/requests/?open=true",
                        headers={"Cookie": "sessionid=..."}, n=50)
        memory = rss_mb(server.worker_pids()[0])
    finally:
        server.stop()
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path

#: A request body: bytes, text (sent as UTF-8) or a dict (sent as JSON).
Body = bytes | str | Mapping | None


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (0–100) of ``values`` with linear interpolation; NaN if empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


# --- One request ---------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: Message
    body: bytes
    ms: float  #: wall time from connecting to the last byte of the body

    def json(self):
        return json.loads(self.body)

    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def cookies(self) -> dict[str, str]:
        """The cookies this response sets (name → value), attributes left out."""
        jar = {}
        for header in self.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            jar[name.strip()] = rest.split(";", 1)[0].strip()
        return jar

    def head(self, size: int = 500) -> str:
        return repr(self.body[:size])


def cookie_header(cookies: Mapping[str, str]) -> str:
    """A ``Cookie`` request header value from name → value."""
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def _encode(body: Body, headers: dict[str, str]) -> bytes | None:
    if body is None:
        return None
    if isinstance(body, Mapping):
        headers.setdefault("Content-Type", "application/json")
        return json.dumps(body, ensure_ascii=False).encode()
    if isinstance(body, str):
        return body.encode()
    return body


def request(method: str, url: str, *, headers: Mapping[str, str] | None = None,
            body: Body = None, timeout: float = 120.0) -> Response:
    """Send one request on a new connection; redirects are not followed.

    ``body`` may be bytes, text or a dict (JSON, with ``Content-Type: application/json``
    unless given). Raises ``TimeoutError`` when the server does not answer within
    ``timeout`` seconds.
    """
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "http":
        raise ValueError(f"only http:// URLs are measured, not {url!r}")
    path = urllib.parse.urlunsplit(("", "", parts.path or "/", parts.query, ""))
    sent_headers = dict(headers or {})
    data = _encode(body, sent_headers)
    start = time.perf_counter()
    conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    try:
        conn.request(method, path, body=data, headers=sent_headers)
        answer = conn.getresponse()
        content = answer.read()
    except TimeoutError as exc:
        raise TimeoutError(f"{method} {url} did not answer within {timeout:g} s") from exc
    finally:
        conn.close()
    return Response(answer.status, answer.headers, content,
                    (time.perf_counter() - start) * 1000)


# --- Timed series ----------------------------------------------------------------------------


def timed(method: str, url: str, *, headers: Mapping[str, str] | None = None,
          body: Body | Callable[[int], Body] = None, n: int = 50, warmup: int = 3,
          expect: int | Collection[int] = 200, timeout: float = 120.0,
          check: Callable[[Response], None] | None = None,
          budget: float | None = None, min_n: int = 3) -> dict:
    """Send ``warmup`` untimed then ``n`` timed sequential requests; return the figures.

    ``body`` is sent with every request, or, if callable, called with the request's
    index (0 … warmup + n − 1, warm-ups first) for a different body each time — e.g. to
    create many tickets. Any status outside ``expect`` raises ``SystemExit`` with the
    status and the head of the body; ``check`` may inspect each response too. A request
    that takes longer than ``timeout`` raises ``TimeoutError``. With ``budget`` (seconds),
    the series stops early once the timed requests have taken that long and at least
    ``min_n`` are done (then ``n`` < the requested n and ``n_requested`` says so).

    Returns ``{"p50_ms", "p95_ms", "mean_ms", "min_ms", "max_ms", "n", "status",
    "seconds", "per_second"}``: ``seconds`` is the wall time of the n timed requests
    and ``per_second`` = n / seconds (tickets/s when each request creates a ticket).
    """
    allowed = {expect} if isinstance(expect, int) else set(expect)

    def one(index: int) -> Response:
        payload = body(index) if callable(body) else body
        response = request(method, url, headers=headers, body=payload, timeout=timeout)
        if response.status not in allowed:
            raise SystemExit(f"{method} {url} answered {response.status} "
                             f"(expected {sorted(allowed)}): {response.head()}")
        if check is not None:
            check(response)
        return response

    for index in range(warmup):
        one(index)
    times: list[float] = []
    statuses: set[int] = set()
    started = time.perf_counter()
    for index in range(warmup, warmup + n):
        response = one(index)
        times.append(response.ms)
        statuses.add(response.status)
        if (budget is not None and len(times) >= min_n
                and time.perf_counter() - started >= budget):
            break
    seconds = time.perf_counter() - started
    done = len(times)
    figures = {
        "p50_ms": round(percentile(times, 50), 1), "p95_ms": round(percentile(times, 95), 1),
        "mean_ms": round(sum(times) / done, 1) if done else None,
        "min_ms": round(min(times), 1) if done else None,
        "max_ms": round(max(times), 1) if done else None,
        "n": done, "status": sorted(statuses)[0] if len(statuses) == 1 else sorted(statuses),
        "seconds": round(seconds, 2),
        "per_second": round(done / seconds, 1) if seconds > 0 and done else None,
    }
    if done < n:
        figures["n_requested"] = n
    return figures


# --- Memory ---------------------------------------------------------------------------------


def rss_mb(pid: int) -> dict:
    """Peak (VmHWM) and current (VmRSS) resident memory of a process, in MB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in {"VmHWM", "VmRSS"}:
            values[key] = int(rest.split()[0]) / 1024  # kB → MB
    return {"peak_mb": round(values["VmHWM"], 1), "now_mb": round(values["VmRSS"], 1)}


# --- gunicorn ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def child_pids(pid: int) -> list[int]:
    """Direct children of a process: /proc/<pid>/task/*/children, else a /proc scan."""
    found: list[int] = []
    tasks = Path(f"/proc/{pid}/task")
    try:
        for task in tasks.iterdir():
            text = (task / "children").read_text().split()
            found += [int(p) for p in text]
        if found:
            return sorted(set(found))
    except OSError:
        pass
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid …: comm may contain spaces and parentheses
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


@dataclass
class Server:
    """A running gunicorn: ``url`` without a trailing slash, ``master_pid``."""

    url: str
    master_pid: int
    process: subprocess.Popen
    log_path: Path
    _log: object = field(repr=False, default=None)

    def worker_pids(self) -> list[int]:
        return child_pids(self.master_pid)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM to the master (gunicorn stops its workers), SIGKILL if it lingers."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self._log is not None:
            self._log.close()
            self._log = None
        self.log_path.unlink(missing_ok=True)


def start_gunicorn(python: str, wsgi: str, env: Mapping[str, str] | None = None,
                   cwd: str | None = None, workers: int = 1,
                   ready_path: str = "/", timeout: float = 60.0) -> Server:
    """Start ``<python> -m gunicorn <wsgi>`` with sync workers on a free loopback port.

    ``env`` is laid over a copy of this process's environment. Waits until the server
    answers an HTTP request for ``ready_path`` (any status counts); raises
    ``RuntimeError`` with the tail of gunicorn's output if it has not within ``timeout``
    seconds or exits. Requests taking over 120 s get the worker killed (``--timeout``).
    """
    port = free_port()
    environment = {**os.environ, **(env or {})}
    log = tempfile.NamedTemporaryFile(prefix="gunicorn-", suffix=".log", delete=False)  # noqa: SIM115
    command = [python, "-m", "gunicorn", wsgi, "-w", str(workers), "-k", "sync",
               "-b", f"127.0.0.1:{port}", "--timeout", "120"]
    process = subprocess.Popen(command, env=environment, cwd=cwd,  # noqa: S603
                               stdout=log, stderr=subprocess.STDOUT)
    server = Server(f"http://127.0.0.1:{port}", process.pid, process, Path(log.name), log)
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            tail = server.log_tail()
            server.stop()
            raise RuntimeError(f"gunicorn {wsgi} exited with {process.returncode}:\n{tail}")
        try:
            request("GET", server.url + ready_path, timeout=5)
            if server.worker_pids():
                return server
        except OSError:
            pass
        if time.monotonic() > deadline:
            tail = server.log_tail()
            server.stop()
            raise RuntimeError(f"gunicorn {wsgi} did not answer within {timeout:g} s:\n{tail}")
        time.sleep(0.2)
