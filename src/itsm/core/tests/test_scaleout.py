"""Scale-out (issue 5): 2 web processes behind nginx, 2 huey consumers, one database.

The deployment of ``deploy/README.md`` on this machine: two separate ``itsm serve
--workers 1`` (gunicorn) processes on their own ports, nginx (Debian's, run here as a
non-daemon child with a generated configuration on a free port: the system nginx and
port 80 are never touched) balancing over both, and two ``itsm worker`` consumers on
the private Redis, periodic tasks on exactly one of them. PostgreSQL, Redis and the SMTP
sink are the fault tests' (``processes.py``, ``conftest.py``); marker ``faults``, so it
runs in that once-per-run step (``pytest -m faults``).

One test, four findings, with the figures in ``$ITSM_VAR_DIR/scaleout-summary.json``:
a. a session made through one web process is valid on the other;
b. notifications and SLA escalations happen once although both consumers (and a third
   process) run the SLA sweep at the same moment;
c. a consumer SIGKILLed while sending loses nothing: the notification is sent again,
   once, when its job is re-queued;
d. a web process SIGKILLed under load loses no ticket whose creation answered 2xx.
"""

# covers: GEN-6

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from itsm.demo.management.commands.demo import DEMO_PASSWORD

from .processes import RETRY_NOW, Site, free_port, login_page_ready, summary_writer, wait_for

pytestmark = pytest.mark.faults

#: Part d: client threads creating tickets, seconds of load, when a web process dies.
LOAD_THREADS = 4
LOAD_SECONDS = 12
KILL_AFTER = 4

NGINX_CONF = """\
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    upstream itsm {{
        server 127.0.0.1:{port_a} max_fails=1 fail_timeout=10s;
        server 127.0.0.1:{port_b} max_fails=1 fail_timeout=10s;
        keepalive 8;
    }}
    server {{
        listen 127.0.0.1:{port};
        server_name 127.0.0.1;
        client_max_body_size 25m;
        location / {{
            proxy_pass http://itsm;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            # TLS ends in front of this nginx in the test (deploy/ terminates it here).
            proxy_set_header X-Forwarded-Proto https;
            proxy_connect_timeout 2s;
            proxy_read_timeout 60s;
            # A refused connection goes to the other process (also for POST: nothing
            # was sent); a request cut off after it was sent is not replayed.
            proxy_next_upstream error timeout http_502 http_503;
            proxy_next_upstream_tries 2;
            add_header X-Upstream $upstream_addr always;
        }}
    }}
}}
"""

TICKETS = r"""
import json
from django.contrib.contenttypes.models import ContentType
from itsm.core.models import Notification, TimelineEvent
from itsm.servicedesk.models import ServiceRequest, SLAClock
numbers = json.loads('NUMBERS')
tickets = dict(ServiceRequest.objects.filter(number__in=numbers).values_list("pk", "number"))
ct = ContentType.objects.get_for_model(ServiceRequest)
"""

SLA_DUE = TICKETS + r"""
import datetime as dt
from django.utils import timezone
past = timezone.now() - dt.timedelta(minutes=1)
clocks = SLAClock.objects.filter(record_type=ct, record_id__in=tickets, stopped_at__isnull=True,
                                 paused_since__isnull=True)
print("RESULT " + json.dumps(clocks.update(warn_at=past, due_at=past, escalate_at=past)))
"""

# Both consumers get sweep jobs at once (and this process sweeps too, outside huey and
# its task lock): every stage of every clock must still happen exactly once.
SWEEP_EVERYWHERE = r"""
import json
from itsm.servicedesk import sla, sla_tasks
for _ in range(4):
    sla_tasks.sla_sweep()  # a job in Redis
print("RESULT " + json.dumps(sla.sweep()))
"""

SLA_RESULT = TICKETS + r"""
clocks = list(SLAClock.objects.filter(record_type=ct, record_id__in=tickets).values_list(
    "pk", "warned_at", "breached_at", "escalated_at"))
events = [[e.object_id, e.data.get("stage"), e.data.get("clock")] for e in
          TimelineEvent.objects.filter(content_type=ct, object_id__in=tickets, kind="sla")]
notes = list(Notification.objects.filter(
    record_type=ct, record_id__in=tickets, event__startswith="sla_").values_list(
    "pk", "event", "recipient", "dedupe_key", "status", "channel_id"))
print("RESULT " + json.dumps({
    "clocks": len(clocks), "stamped": sum(1 for c in clocks if all(c[1:])),
    "events": events, "notifications": notes}))
"""

BACKDATE_RUNNING = r"""
import datetime as dt, json
from django.utils import timezone
from itsm.core.notifications import delivery
from itsm.core.models import NotificationAttempt
running = NotificationAttempt.objects.filter(ok=False, error="", notification__status="pending")
ids = sorted(set(running.values_list("notification_id", flat=True)))
running.update(attempted_at=timezone.now()
               - dt.timedelta(seconds=delivery.LEASE_SECONDS + 5))
print("RESULT " + json.dumps(ids))
"""


class Nginx:
    """Debian's nginx as a child process of the test (``daemon off``), in a tmp prefix."""

    def __init__(self, directory: Path, port_a: int, port_b: int) -> None:
        binary = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists()
                                           else None)
        if binary is None:
            subprocess.run([str(Path(__file__).resolve().parents[4] / "scripts" /
                                 "ensure-system-packages.sh"), "nginx"], check=False,
                           timeout=600)
            binary = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(binary).exists():
            if os.environ.get("CI"):
                pytest.fail("nginx is not installed", pytrace=False)
            pytest.skip("nginx is not installed (scripts/ensure-system-packages.sh nginx)")
        self.binary = binary
        self.prefix = directory
        self.prefix.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.upstreams = {f"127.0.0.1:{port_a}", f"127.0.0.1:{port_b}"}
        self.conf = self.prefix / "nginx.conf"
        self.conf.write_text(NGINX_CONF.format(prefix=self.prefix, port=self.port,
                                               port_a=port_a, port_b=port_b))
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = [self.binary, "-c", str(self.conf), "-p", str(self.prefix),
                   "-g", "daemon off;"]
        check = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=30)
        assert check.returncode == 0, check.stderr
        log = open(self.prefix / "stderr.log", "ab")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        log.close()
        wait_for(lambda: login_page_ready(self.url), 30, "nginx")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGQUIT)  # graceful shutdown of nginx
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def start_web(site: Site, name: str, port: int) -> None:
    site.spawn(name, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1")
    wait_for(lambda: login_page_ready(f"http://127.0.0.1:{port}"), 60,
             f"{name} (log: {site.dir / (name + '.log')})")


@pytest.fixture(scope="module")
def cluster(itsm_site, faults_dir):
    """2 web processes, nginx over both, 2 consumers (periodic tasks on worker-1 only)."""
    site = itsm_site
    ports = {"web-a": free_port(), "web-b": free_port()}
    nginx = Nginx(faults_dir / "nginx", ports["web-a"], ports["web-b"])
    try:
        for name, port in ports.items():
            start_web(site, name, port)
        site.spawn("worker-1", "worker")
        site.spawn("worker-2", "worker", "--no-periodic")
        nginx.start()
        web_url, site.web_url = site.web_url, nginx.url
        yield {"site": site, "nginx": nginx, "ports": ports}
        site.web_url = web_url
    finally:
        nginx.stop()
        for name in ("worker-1", "worker-2", "web-a", "web-b"):
            site.stop(name)


def api_headers(site: Site, user: str) -> dict[str, str]:
    return {"Authorization": f"Token {site.tokens[user]}", "Accept-Language": "en"}


def create_ticket(site: Site, user: str, title: str, service: int | None = None):
    import requests

    body: dict[str, Any] = {"title": title, "description": "横向扩展测试"}
    if service is not None:
        body["service"] = service
    return requests.post(f"{site.web_url}/api/service-requests/", json=body, timeout=30,
                         headers=api_headers(site, user))


def raise_tickets(site: Site, count: int, label: str) -> list[str]:
    """``count`` tickets through nginx (4 at a time) that auto-assign and notify an agent."""
    numbers: list[str] = []
    lock = threading.Lock()
    service = site.services["desktop"]

    def work(i: int) -> None:
        response = create_ticket(site, ("requester", "custadmin")[i % 2], f"扩展 {label}-{i}",
                                 service)
        assert response.status_code == 201, response.text[:500]
        with lock:
            numbers.append(response.json()["number"])

    for start in range(0, count, 4):
        threads = [threading.Thread(target=work, args=(i,))
                   for i in range(start, min(start + 4, count))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert len(numbers) == count
    return numbers


def notifications_of(postgres, numbers: list[str]) -> list[tuple[int, str, str | None]]:
    """(id, status, channel) of the notifications about these service requests."""
    return postgres.query(
        "SELECT n.id, n.status, n.channel_id FROM core_notification n "
        "JOIN servicedesk_servicerequest r ON r.id = n.record_id "
        "JOIN django_content_type ct ON ct.id = n.record_type_id "
        "WHERE ct.app_label = 'servicedesk' AND ct.model = 'servicerequest' "
        "AND r.number = ANY(%s)", (numbers,))


def all_sent(postgres, numbers: list[str]) -> bool:
    """Every notification about these tickets is sent (none pending, none failed)."""
    return {status for _pk, status, _channel in notifications_of(postgres, numbers)} == {"sent"}


def sessions_across_processes(site: Site, nginx: Nginx) -> dict[str, Any]:
    import requests

    login = f"{nginx.url}/accounts/login/"
    page = requests.get(login, timeout=10)
    assert page.status_code == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    # The cookies are Secure (HTTPS behind the proxy); this client speaks plain HTTP
    # to nginx, so it sends them itself.
    jar = {"csrftoken": page.cookies["csrftoken"]}
    response = requests.post(login, data={"username": "requester", "password": DEMO_PASSWORD,
                                          "csrfmiddlewaretoken": token},
                             cookies=jar, allow_redirects=False, timeout=10,
                             headers={"Referer": f"https://127.0.0.1:{nginx.port}/accounts/login/"})
    assert response.status_code == 302, (response.status_code, response.text[:2000])
    assert "sessionid" in response.cookies, response.headers
    jar["sessionid"] = response.cookies["sessionid"]
    login_backend = response.headers["X-Upstream"]
    served = Counter()
    for _ in range(20):
        response = requests.get(f"{nginx.url}/requests/", cookies=jar, timeout=10,
                                allow_redirects=False)
        assert response.status_code == 200, (response.status_code, response.headers)
        served[response.headers["X-Upstream"]] += 1
    assert set(served) == nginx.upstreams, served  # both processes served the session
    # Logged out through one process: the other knows it at once.
    response = requests.post(f"{nginx.url}/accounts/logout/", cookies=jar, timeout=10,
                             data={"csrfmiddlewaretoken": token}, allow_redirects=False,
                             headers={"Referer": f"https://127.0.0.1:{nginx.port}/"})
    assert response.status_code in (200, 302), response.status_code
    after = Counter()
    for _ in range(4):
        response = requests.get(f"{nginx.url}/requests/", cookies=jar, timeout=10,
                                allow_redirects=False)
        assert response.status_code == 302 and "/accounts/login/" in response.headers["Location"]
        after[response.headers["X-Upstream"]] += 1
    assert set(after) == nginx.upstreams, after
    return {"login_served_by": login_backend, "requests": sum(served.values()),
            "served_by": dict(served), "logged_out_everywhere": True}


def once_only(site: Site, postgres, smtp) -> dict[str, Any]:
    numbers = raise_tickets(site, 8, "once")
    wait_for(lambda: all_sent(postgres, numbers), 60, "the new-ticket notifications", interval=0.5)
    due = site.python(SLA_DUE.replace("NUMBERS", json.dumps(numbers)))
    assert due >= len(numbers), due
    swept_here = site.python(SWEEP_EVERYWHERE)
    query = SLA_RESULT.replace("NUMBERS", json.dumps(numbers))
    wait_for(lambda: site.python(query)["stamped"] == due and all_sent(postgres, numbers), 60,
             "the SLA stages and their mails", interval=1)
    result = site.python(SLA_RESULT.replace("NUMBERS", json.dumps(numbers)))
    stages = Counter((ticket, stage, clock) for ticket, stage, clock in result["events"])
    twice = {key: n for key, n in stages.items() if n > 1}
    assert not twice, f"SLA stages recorded more than once: {twice}"
    assert len(stages) == 3 * due, (len(stages), due)  # warning, breach, escalation per clock
    notes = result["notifications"]
    keys = Counter(note[3] for note in notes)
    assert all(n == 1 for n in keys.values()), keys
    assert {note[4] for note in notes} == {"sent"}, notes
    events = Counter(note[1] for note in notes)
    assert events["sla_breach"] >= due, events  # the team lead hears of every breach
    # The mails: exactly one per notification, new-ticket and SLA ones alike.
    expected, received = assert_each_mail_sent_once(postgres, smtp, numbers)
    return {"tickets": len(numbers), "clocks": due, "sla_stage_events": len(stages),
            "sla_notifications": dict(events), "mails": sum(received[pk] for pk in expected),
            "notifications": len(expected), "duplicates": 0,
            "stages_by_third_process": sum(swept_here.values()),
            "stages_by_consumers": len(stages) - sum(swept_here.values())}


def consumer_killed(site: Site, postgres, smtp) -> dict[str, Any]:
    smtp.delay = 2.0  # a send takes 2 s: the kill lands in the middle of one
    before = smtp.count()
    numbers = raise_tickets(site, 12, "kill-consumer")
    try:
        wait_for(lambda: smtp.in_progress >= 3, 30, "mails in progress on both consumers",
                 interval=0.05)
        victim = site.processes["worker-2"]
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait(timeout=10)
        killed_at_sent = smtp.count() - before
        del site.processes["worker-2"]
    finally:
        smtp.delay = 0.2
    # worker-1 sends what is left of the queue; the jobs worker-2 had taken are gone
    # with it and their notifications stay pending behind an unfinished attempt.
    def settled() -> bool:
        pending = [pk for pk, status, _channel in notifications_of(postgres, numbers)
                   if status == "pending"]
        if not pending:
            return smtp.in_progress == 0
        running = postgres.query(
            "SELECT count(DISTINCT notification_id) FROM core_notificationattempt "
            "WHERE notification_id = ANY(%s) AND NOT ok AND error = ''", (pending,))
        return smtp.in_progress == 0 and len(pending) == running[0][0]

    wait_for(settled, 60, "the surviving consumer to drain the queue", interval=0.5)
    site.spawn("worker-2", "worker", "--no-periodic")  # systemd would restart it
    # An attempt without an outcome is another consumer's for LEASE_SECONDS (120 s);
    # the retry job runs every 5 minutes for notifications idle for 10. The test moves
    # the unfinished attempts back by the lease and runs the retry with the clock past
    # LOST_AFTER, instead of waiting.
    interrupted = site.python(BACKDATE_RUNNING)
    assert interrupted, "no send was in progress in the killed consumer: nothing was tested"
    requeued = site.python(RETRY_NOW)
    assert requeued >= len(interrupted), (requeued, interrupted)
    wait_for(lambda: all_sent(postgres, numbers), 60, "every notification to be sent", interval=0.5)
    expected, _received = assert_each_mail_sent_once(postgres, smtp, numbers)
    assert {str(pk) for pk in interrupted} <= expected, (interrupted, expected)
    # Each: the interrupted attempt is closed with an error, then one successful one.
    attempts = postgres.query(
        "SELECT notification_id, ok, error <> '' FROM core_notificationattempt "
        "WHERE notification_id = ANY(%s)", (interrupted,))
    for pk in interrupted:
        mine = sorted((ok, closed) for n, ok, closed in attempts if n == pk)
        assert mine == [(False, True), (True, False)], (pk, mine)
    assert site.processes["worker-1"].poll() is None
    return {"tickets": len(numbers), "notifications": len(expected),
            "mails_before_kill": killed_at_sent, "interrupted_sends": len(interrupted),
            "requeued": requeued, "lost": 0, "duplicates": 0,  # asserted above
            "consumer_restarted": True}


def web_killed(site: Site, postgres, nginx: Nginx, ports: dict[str, int]) -> dict[str, Any]:
    import requests

    outcomes: list[dict[str, Any]] = []
    lock = threading.Lock()
    until = time.monotonic() + LOAD_SECONDS

    def load(label: str, user: str) -> None:
        i = 0
        while time.monotonic() < until:
            i += 1
            title = f"扩展负载 {label}-{i}"
            try:
                response = create_ticket(site, user, title)
                status, upstream = response.status_code, response.headers.get("X-Upstream", "")
                number = response.json()["number"] if status == 201 else ""
            except (requests.RequestException, ValueError) as exc:
                status, upstream, number = None, repr(exc)[:200], ""
            with lock:
                outcomes.append({"title": title, "status": status, "number": number,
                                 "upstream": upstream, "at": time.monotonic()})

    users = list(site.tokens)
    threads = [threading.Thread(target=load, args=(str(i), users[i % len(users)]))
               for i in range(LOAD_THREADS)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(KILL_AFTER)
        victim = site.processes.pop("web-b")
        killed_at = time.monotonic()
        os.killpg(victim.pid, signal.SIGKILL)  # gunicorn master and worker, no goodbye
        victim.wait(timeout=10)
    finally:
        for thread in threads:
            thread.join(timeout=LOAD_SECONDS + 60)
    ok = [o for o in outcomes if o["status"] is not None and 200 <= o["status"] < 300]
    failed = [o for o in outcomes if o not in ok]
    found = dict(postgres.query(
        "SELECT number, title FROM servicedesk_servicerequest WHERE number = ANY(%s)",
        ([o["number"] for o in ok],)))
    lost = [o["number"] for o in ok if found.get(o["number"]) != o["title"]]
    assert not lost, f"tickets answered 2xx but missing: {lost[:10]}"
    assert not [o for o in failed if o["status"] not in (None, 502, 503, 504)], failed[:5]
    after = [o for o in ok if o["at"] > killed_at + 1]
    assert after, "nothing was created after the kill: nginx did not fail over"
    assert {o["upstream"] for o in after} == {f"127.0.0.1:{ports['web-a']}"}, {
        o["upstream"] for o in after}
    before = {o["upstream"] for o in ok if o["at"] < killed_at}
    assert len(before) == 2, before  # both processes took load before the kill
    saved_anyway = postgres.query(
        "SELECT count(*) FROM servicedesk_servicerequest WHERE title = ANY(%s)",
        ([o["title"] for o in failed],))[0][0]
    start_web(site, "web-b", ports["web-b"])  # systemd would restart it
    return {"attempts": len(outcomes), "2xx": len(ok),
            "5xx": sum(1 for o in failed if o["status"] is not None),
            "no_answer": sum(1 for o in failed if o["status"] is None),
            "failed_but_saved": saved_anyway, "lost": len(lost),
            "retried_on_other_upstream": sum(1 for o in outcomes if "," in o["upstream"])}



def assert_each_mail_sent_once(postgres, smtp, numbers) -> tuple[set[str], dict[str, int]]:
    """Every email notification of these tickets reached the sink exactly once; returns
    (their ids, mails received per id)."""
    rows = notifications_of(postgres, numbers)
    expected = {str(pk) for pk, _status, channel in rows if channel is None}
    received = smtp.by_notification()
    duplicates = {pk: received[pk] for pk in expected if received.get(pk, 0) > 1}
    missing = {pk for pk in expected if pk not in received}
    assert not duplicates, f"sent more than once: {duplicates}"
    assert not missing, f"never sent: {sorted(missing)}"
    return expected, received

def test_two_web_processes_and_two_consumers_behind_nginx(cluster, postgres, smtp):
    site, nginx = cluster["site"], cluster["nginx"]
    summary = summary_writer("scaleout-summary.json", "SCALEOUT")
    started = time.monotonic()
    figures = {"web_processes": 2, "consumers": "2 (periodic tasks on worker-1)",
               "upstreams": sorted(nginx.upstreams)}
    figures["sessions"] = sessions_across_processes(site, nginx)
    figures["once_only"] = once_only(site, postgres, smtp)
    figures["consumer_killed"] = consumer_killed(site, postgres, smtp)
    figures["web_killed"] = web_killed(site, postgres, nginx, cluster["ports"])
    figures["seconds"] = round(time.monotonic() - started, 1)
    summary("cluster", figures)
