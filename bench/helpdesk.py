"""django-helpdesk 2.6.1 under the same workloads as ITSM, measured over HTTP the same way.

    .venv/bin/python bench/helpdesk.py [--tickets 100000]
        [--database-url postgres://postgres@127.0.0.1:5432/helpdesk_bench | sqlite]
        [--json PATH] [--creates 300] [--requests 50] [--keep]

1. Creates bench/.venv-helpdesk once (``python3 -m venv``) and installs
   bench/helpdesk-requirements.txt into it from PyPI (django-helpdesk==2.6.1, the
   Django it resolves to, gunicorn, psycopg); reused while that file is unchanged.
2. Writes a minimal project hosting helpdesk (settings, urls, wsgi) into a temporary
   directory: DEBUG off, zh-hans, Asia/Shanghai, locmem e-mail, its REST API on, the
   database connection settings of ITSM's settings.py. Creates a fresh database (the
   PostgreSQL database named in the URL is dropped and created, loopback only; a temporary
   SQLite file for ``sqlite``) and migrates it.
3. Loads the world and tickets of bench/servicedesk.py's shape with bench/helpdesk_site.py
   run by the helpdesk virtualenv's python (bulk_create; ANALYZE on PostgreSQL).
4. Starts it in gunicorn (one sync worker, bench/httpbench.py) and measures creation through
   the REST API and the staff web form, the agent's ticket list data (page 1 and a deep
   page), the REST API list, keyword search, SQL queries per request (in-process) and the
   worker's memory.

Prints a table and writes JSON (default bench/results/helpdesk-<database>-<tickets>.json);
asserts nothing about timings. ``run()`` does the same for an orchestrator.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
import urllib.parse
from pathlib import Path

from httpbench import (  # bench/ is on sys.path when run as a script
    Response,
    cookie_header,
    request,
    rss_mb,
    start_gunicorn,
    timed,
)
from vocabulary import DETAILS, SEARCH_WORDS, SYMPTOMS, SYSTEMS

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
VENV = BENCH_DIR / ".venv-helpdesk"
REQUIREMENTS = BENCH_DIR / "helpdesk-requirements.txt"
SITE_SCRIPT = BENCH_DIR / "helpdesk_site.py"
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/helpdesk_bench"
SYSTEM = "django-helpdesk 2.6.1"
PAGE_LENGTH = 25  #: helpdesk's default tickets_per_page, the length its list asks for
DEEP_PAGE = 100
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
#: The columns helpdesk 2.6.1's ticket_list.html declares to DataTables (time_spent
#: and kbitem shown with the default settings); DataTables sends them with every request.
DATATABLE_COLUMNS = ("id", "ticket", "priority", "queue", "status", "created", "due_date",
                     "assigned_to", "submitter", "last_followup", "time_spent", "kbitem")

STARTED = time.perf_counter()


def step(message: str) -> None:
    print(f"[{time.perf_counter() - STARTED:6.1f} s] {message}", flush=True)


# --- The helpdesk virtualenv and project ------------------------------------------------------


def ensure_venv() -> Path:
    """bench/.venv-helpdesk with helpdesk-requirements.txt installed; its python."""
    python = VENV / "bin" / "python"
    marker = VENV / ".bench-requirements.sha256"
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    probe = [str(python), "-c", "import django, gunicorn, helpdesk, psycopg, rest_framework"]
    if (python.exists() and marker.exists() and marker.read_text() == wanted
            and subprocess.run(probe, capture_output=True).returncode == 0):  # noqa: S603
        return python
    if not python.exists():
        step(f"Creating {VENV.relative_to(BENCH_DIR.parent)}")
        base = shutil.which("python3") or sys.executable
        subprocess.run([base, "-m", "venv", str(VENV)], check=True)  # noqa: S603
    step(f"Installing {REQUIREMENTS.name} from PyPI")
    subprocess.run([str(python), "-m", "pip", "install", "-q",  # noqa: S603
                    "--disable-pip-version-check", "-r", str(REQUIREMENTS)], check=True)
    subprocess.run(probe, check=True)  # noqa: S603
    marker.write_text(wanted)
    return python


def database_settings(url: str, engine: str) -> dict:
    """Django DATABASES['default'] for the URL, with ITSM's connection settings."""
    parsed = urllib.parse.urlparse(url)
    if engine == "sqlite":
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": parsed.path,
                "OPTIONS": {"init_command": "PRAGMA journal_mode=WAL; "
                                            "PRAGMA synchronous=NORMAL;",
                            "transaction_mode": "IMMEDIATE", "timeout": 20}}
    return {"ENGINE": "django.db.backends.postgresql", "NAME": parsed.path.lstrip("/"),
            "USER": urllib.parse.unquote(parsed.username or ""),
            "PASSWORD": urllib.parse.unquote(parsed.password or ""),
            "HOST": parsed.hostname or "", "PORT": str(parsed.port or ""),
            "CONN_MAX_AGE": 60, "CONN_HEALTH_CHECKS": True}


SETTINGS = '''"""Generated by bench/helpdesk.py: a minimal project hosting django-helpdesk 2.6.1."""

SECRET_KEY = {secret!r}
DEBUG = False
ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",  # helpdesk builds e-mail links with the current site
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",  # token authentication for its REST API
    "helpdesk",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "hdsite.urls"
WSGI_APPLICATION = "hdsite.wsgi.application"
TEMPLATES = [{{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [],
    "APP_DIRS": True,
    "OPTIONS": {{"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]}},
}}]
DATABASES = {{"default": {database!r}}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
SITE_ID = 1
STATIC_URL = "/static/"
STATIC_ROOT = {static!r}
MEDIA_URL = "/media/"
MEDIA_ROOT = {media!r}
LOGIN_URL = "helpdesk:login"
LOGIN_REDIRECT_URL = "helpdesk:home"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DEFAULT_FROM_EMAIL = "helpdesk@example.cn"
SERVER_EMAIL = "helpdesk@example.cn"
# The REST API: HELPDESK_API_ENABLED is 2.6.1's switch (on by default);
# HELPDESK_ACTIVATE_API_ENDPOINT is the older releases' name, read by nothing in 2.6.1.
HELPDESK_API_ENABLED = True
HELPDESK_ACTIVATE_API_ENDPOINT = True
# Teams need pinax-teams, which is not installed (helpdesk's documented opt-out)
HELPDESK_TEAMS_MODE_ENABLED = False
REST_FRAMEWORK = {{"DEFAULT_AUTHENTICATION_CLASSES": [
    "rest_framework.authentication.SessionAuthentication",  # the list's data endpoint
    "rest_framework.authentication.BasicAuthentication",
    "rest_framework.authentication.TokenAuthentication",
]}}
'''

URLS = '''from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("helpdesk.urls", namespace="helpdesk")),
]
'''

WSGI = '''import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hdsite.settings")
application = get_wsgi_application()
'''


def write_project(tmp: Path, database: dict) -> dict:
    """The hdsite package in tmp; returns the environment to run it with."""
    package = tmp / "hdsite"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "settings.py").write_text(SETTINGS.format(
        secret=secrets.token_urlsafe(40), database=database,
        static=str(tmp / "static"), media=str(tmp / "media")))
    (package / "urls.py").write_text(URLS)
    (package / "wsgi.py").write_text(WSGI)
    env = {"PYTHONPATH": str(tmp), "DJANGO_SETTINGS_MODULE": "hdsite.settings",
           "PYTHONDONTWRITEBYTECODE": "1"}
    return env


def run_site(python: Path, env: dict, cwd: Path, *args: str) -> None:
    """Run the helpdesk virtualenv's python in the project directory (not in bench/,
    where this file would shadow the helpdesk package)."""
    subprocess.run([str(python), *args], env={**os.environ, **env},  # noqa: S603
                   cwd=str(cwd), check=True)


# --- Measuring -------------------------------------------------------------------------------


class Session:
    """Cookies of one logged-in browser session against the helpdesk server."""

    def __init__(self, base: str):
        self.base = base
        self.cookies: dict[str, str] = {}

    def headers(self, extra: dict | None = None) -> dict:
        return {"Cookie": cookie_header(self.cookies), **(extra or {})}

    def get(self, path: str, expect: int = 200) -> Response:
        response = request("GET", self.base + path, headers=self.headers())
        self.cookies |= response.cookies()
        if response.status != expect:
            raise SystemExit(f"GET {path} answered {response.status}: {response.head()}")
        return response

    def post_form(self, path: str, data: dict, expect: int = 302) -> Response:
        response = request("POST", self.base + path, headers=self.headers(FORM),
                           body=urllib.parse.urlencode(data))
        self.cookies |= response.cookies()
        if response.status != expect:
            raise SystemExit(f"POST {path} answered {response.status}: {response.head()}")
        return response


CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
DATA_URL = re.compile(r'"url":\s*"(/datatables_ticket_list/[^"]+)"')


def csrf_token(response: Response) -> str:
    match = CSRF_FIELD.search(response.text())
    if not match:
        raise SystemExit(f"no CSRF token in the form: {response.head()}")
    return match.group(1)


def login(base: str, username: str, password: str) -> Session:
    session = Session(base)
    token = csrf_token(session.get("/login/"))
    session.post_form("/login/", {"csrfmiddlewaretoken": token, "username": username,
                                  "password": password, "next": "/tickets/"})
    if "sessionid" not in session.cookies:
        raise SystemExit("logging in to helpdesk set no session cookie")
    return session


def datatables_path(data_url: str, *, start: int, search: str = "", draw: int = 1) -> str:
    """The GET its ticket list's DataTables (serverSide) sends for one page."""
    params: list[tuple[str, str]] = [("draw", str(draw))]
    for i, name in enumerate(DATATABLE_COLUMNS):
        params += [(f"columns[{i}][data]", name), (f"columns[{i}][name]", ""),
                   (f"columns[{i}][searchable]", "true"),
                   (f"columns[{i}][orderable]", "false" if i == 0 else "true"),
                   (f"columns[{i}][search][value]", ""),
                   (f"columns[{i}][search][regex]", "false")]
    params += [("start", str(start)), ("length", str(PAGE_LENGTH)),
               ("search[value]", search), ("search[regex]", "false"),
               ("_", str(int(time.time() * 1000)))]
    return f"{data_url}?{urllib.parse.urlencode(params)}"


def measure_get(label: str, url: str, headers: dict, requests: int, budget: float,
                timeout: float, check=None) -> tuple[dict, Response]:
    """One probe GET (also the first warm-up; returned), then timed() ``requests`` GETs,
    stopped after ``budget`` seconds (at least 3 done). Slow pages (a probe over a
    second) get no further warm-up."""
    step(f"  {label}")
    probe = request("GET", url, headers=headers, timeout=timeout)
    if probe.status != 200:
        raise SystemExit(f"GET {url} answered {probe.status}: {probe.head()}")
    warmup = 2 if probe.ms < 1000 else 0
    figures = timed("GET", url, headers=headers, n=requests, warmup=warmup,
                    timeout=timeout, check=check, budget=budget)
    return figures, probe


def wait_until_answering(server, timeout: float = 200.0) -> None:
    """After a client timeout the sync worker is still busy (or being replaced)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            request("GET", server.url + "/login/", timeout=timeout)
            return
        except OSError:
            time.sleep(1)
    raise SystemExit(f"helpdesk did not answer again within {timeout:g} s")


def measure(python: Path, env: dict, tmp: Path, loaded: dict, password: str,
            creates: int, requests: int, budget: float, api_timeout: float) -> dict:
    result: dict = {}
    notes: list[str] = []
    rng = random.Random(20260102)
    queues, staff = loaded["world"]["queues"], loaded["world"]["staff"]
    requesters = loaded["world"]["requesters"]
    agent = loaded["agent"]
    token_headers = {"Authorization": f"Token {agent['token']}"}

    def ticket_fields() -> dict:
        system, symptom = rng.choice(SYSTEMS), rng.choice(SYMPTOMS)
        return {"queue": rng.choice(queues), "title": f"{system}{symptom}",
                "description": f"电话报障：{system}{symptom}，{rng.choice(DETAILS)}。",
                "submitter_email": rng.choice(requesters), "priority": rng.randint(2, 4),
                "assigned_to": rng.choice(staff) if rng.random() < 0.6 else None}

    def api_body(_index: int) -> dict:
        fields = ticket_fields()
        if fields["assigned_to"] is None:
            del fields["assigned_to"]
        return fields

    step("Starting gunicorn (1 sync worker)")
    server = start_gunicorn(str(python), "hdsite.wsgi:application", env=env, cwd=str(tmp),
                            ready_path="/login/")
    try:
        base = server.url
        worker = server.worker_pids()[0]
        result["server"] = {"command": "python -m gunicorn hdsite.wsgi:application -w 1 "
                                       "-k sync --timeout 120", "worker_pid": worker}
        session = login(base, agent["username"], password)

        # --- creation -----------------------------------------------------------------
        step(f"  create_api: POST /api/tickets/ ×{creates}")

        def created_api(response: Response) -> None:
            if not response.json().get("id"):
                raise SystemExit(f"POST /api/tickets/ returned no id: {response.head()}")

        figures = timed("POST", base + "/api/tickets/", headers=token_headers, body=api_body,
                        n=creates, warmup=3, expect=201, check=created_api)
        result["create_api"] = {**figures, "tickets_per_second": figures["per_second"]}
        notes.append("create_api: POST /api/tickets/ (helpdesk TicketViewSet, "
                     "TokenAuthentication as a staff user, JSON with queue, title, "
                     "description, submitter_email, priority and 60 % assigned_to) → 201; "
                     "it validates through TicketForm, saves the ticket and a follow-up and "
                     "mails the submitter (and the assignee) through the locmem backend.")

        step(f"  create_web: POST /tickets/submit/ ×{creates}")
        form = session.get("/tickets/submit/")
        csrf = csrf_token(form)
        form_get, _ = measure_get("  GET /tickets/submit/ (the empty form)",
                                  base + "/tickets/submit/", session.headers(), requests,
                                  budget, 120)

        def web_body(_index: int) -> str:
            fields = ticket_fields()
            return urllib.parse.urlencode({
                "csrfmiddlewaretoken": csrf, "queue": fields["queue"],
                "title": fields["title"], "body": fields["description"],
                "priority": fields["priority"], "due_date": "",
                "submitter_email": fields["submitter_email"],
                "assigned_to": fields["assigned_to"] or ""})

        def created_web(response: Response) -> None:
            if not re.search(r"/tickets/\d+/$", response.headers.get("Location", "")):
                raise SystemExit(f"the form did not redirect to a ticket: "
                                 f"{response.headers.get('Location')!r} {response.head()}")

        figures = timed("POST", base + "/tickets/submit/", headers=session.headers(FORM),
                        body=web_body, n=creates, warmup=3, expect=302, check=created_web)
        result["create_web"] = {**figures, "tickets_per_second": figures["per_second"],
                                "form_get": form_get}
        notes.append("create_web: POST /tickets/submit/ (its staff 'new ticket' form, "
                     "session cookie, form-encoded queue/title/body/priority/"
                     "submitter_email/assigned_to) → 302 to the new ticket; the CSRF token "
                     "comes from one GET of the form before the series and is reused for "
                     "every POST (Django accepts it for the session). The redirect is not "
                     "followed. create_web.form_get times GET /tickets/submit/ (the form "
                     "page) on its own.")
        result["bulk_import"] = None
        notes.append("bulk_import: null — django-helpdesk 2.6.1 has no bulk import of "
                     "tickets (no CSV/spreadsheet import view or management command; only "
                     "get_email, which polls mailboxes).")

        # --- the agent's ticket list ------------------------------------------------------
        page = session.get("/tickets/")
        match = DATA_URL.search(page.text())
        if not match:
            raise SystemExit("no DataTables ajax URL in /tickets/")
        data_url = match.group(1)
        result["queue_html"], _ = measure_get("queue_html: GET /tickets/", base + "/tickets/",
                                              session.headers(), requests, budget, 120)
        path1 = datatables_path(data_url, start=0)
        figures, probe = measure_get("queue_page1", base + path1, session.headers(),
                                     requests, budget, 120)
        body = probe.json()
        open_total = body["recordsTotal"]
        result["queue_page1"] = {**figures, "rows": len(body["data"]),
                                 "records_total": open_total, "page": 1}
        deep = max(1, min(DEEP_PAGE, math.ceil(open_total / PAGE_LENGTH)))
        path_deep = datatables_path(data_url, start=(deep - 1) * PAGE_LENGTH)
        figures, probe = measure_get(f"queue_deep (page {deep})", base + path_deep,
                                     session.headers(), requests, budget, 120)
        result["queue_deep"] = {**figures, "rows": len(probe.json()["data"]), "page": deep,
                                "start": (deep - 1) * PAGE_LENGTH}
        notes.append(f"queue_page1/queue_deep: GET {data_url}?… — the DataTables "
                     "(serverSide) data endpoint that /tickets/ (the agent's ticket list) "
                     "calls, with the query that page encodes by default (status open or "
                     "reopened, sorted by created ascending), the DataTables parameters "
                     f"(draw, {len(DATATABLE_COLUMNS)} columns, start, "
                     f"length={PAGE_LENGTH}, search) and the session cookie; page 1 "
                     f"(start=0) and page {deep} (start={(deep - 1) * PAGE_LENGTH}). "
                     "queue_html times GET /tickets/ (the page shell without tickets).")

        # --- search -------------------------------------------------------------------------
        result["search"], result["search_all"] = {}, {}
        for word in SEARCH_WORDS:
            path = datatables_path(data_url, start=0, search=word)
            figures, probe = measure_get(f"search {word} (open tickets)", base + path,
                                         session.headers(), requests, budget, 120)
            found = probe.json()
            result["search"][word] = {**figures, "hits": found["recordsFiltered"],
                                      "rows": len(found["data"])}
            listing = session.get("/tickets/?" + urllib.parse.urlencode(
                {"q": word, "search_type": "header"}))
            match = DATA_URL.search(listing.text())
            if not match:
                raise SystemExit(f"no DataTables ajax URL in /tickets/?q={word}")
            path = datatables_path(match.group(1), start=0)
            figures, probe = measure_get(f"search_all {word} (all statuses)", base + path,
                                         session.headers(), requests, budget, 120)
            found = probe.json()
            result["search_all"][word] = {**figures, "hits": found["recordsFiltered"],
                                          "rows": len(found["data"]),
                                          "data_url": match.group(1)}
        notes.append("search: the same data endpoint as queue_page1 with DataTables' "
                     "search[value]=<word> (what typing into the list's search box sends; "
                     "within the default open/reopened list), page 1; hits = its "
                     "recordsFiltered. The filter is icontains over id, title, description, "
                     "priority, resolution, submitter_email, assignee e-mail, custom field "
                     "values, created and due_date (helpdesk.query.get_search_filter_args).")
        notes.append("search_all: the navigation bar's search box, "
                     "GET /tickets/?q=<word>&search_type=header (a keyword, not a ticket "
                     "number, so it lists), whose DataTables data URL (encoding "
                     "search_string=<word>, no status filter, i.e. all tickets) is then "
                     "requested for page 1; hits = recordsFiltered.")

        rss_before_api = rss_mb(worker)

        # --- REST API list ------------------------------------------------------------------
        api_list = "/api/tickets/?status=1,2"
        for label, path in (("api_page1", api_list), ("api_deep", None)):
            if path is None:
                count = (result["api_page1"] or {}).get("count")
                if not count:
                    result[label] = {"timeout": True, "timeout_s": api_timeout,
                                     "skipped": "api_page1 did not answer in time"}
                    continue
                deep_api = max(1, min(DEEP_PAGE, math.ceil(count / PAGE_LENGTH)))
                path = f"{api_list}&page={deep_api}"
            try:
                figures, probe = measure_get(f"{label}: GET {path}", base + path,
                                             token_headers, requests, budget, api_timeout)
                listing = probe.json()
                result[label] = {**figures, "path": path, "count": listing.get("count"),
                                 "rows": len(listing.get("results", []))}
            except TimeoutError:
                step(f"  {label}: no answer within {api_timeout:g} s; waiting for the worker")
                result[label] = {"timeout": True, "timeout_s": api_timeout, "path": path}
                wait_until_answering(server)
        notes.append("api_page1/api_deep: GET /api/tickets/?status=1,2 (open and reopened, "
                     "its documented status filter) and &page=<deep>, TokenAuthentication; "
                     f"it paginates by {PAGE_LENGTH} (ConservativePagination) but its "
                     "get_queryset() first iterates every matching ticket and calls "
                     "set_custom_field_values() on each (one query per ticket), so the "
                     "time grows with the number of open tickets, not the page size. "
                     f"Client timeout {api_timeout:g} s (reported as timeout).")

        workers = server.worker_pids()
        rss = rss_mb(workers[0]) if workers else None
        result["rss"] = {**(rss or {}), "worker_pid": workers[0] if workers else None,
                         "before_api_lists": rss_before_api}
        if workers != [worker]:
            result["rss"]["note"] = ("the worker was replaced (gunicorn timeout) during the "
                                     "API list; before_api_lists is the measured worker")
        notes.append("rss: VmHWM (peak) and VmRSS (now) of the gunicorn worker after all "
                     "of the above; before_api_lists: the same just before the REST API "
                     "list requests.")
    finally:
        server.stop()

    # --- SQL queries per request, in-process ----------------------------------------------
    step("Counting SQL queries per request (in-process django.test.Client)")
    requests_spec = [
        {"label": "create_api", "method": "POST", "path": "/api/tickets/", "auth": "token",
         "content_type": "application/json", "expect": [201],
         "bodies": [json.dumps(api_body(i), ensure_ascii=False) for i in range(5)]},
        {"label": "create_web", "method": "POST", "path": "/tickets/submit/",
         "auth": "session", "content_type": FORM["Content-Type"], "expect": [302],
         "bodies": [web_body(i) for i in range(5)]},
        {"label": "queue_html", "method": "GET", "path": "/tickets/", "auth": "session"},
        {"label": "queue_page1", "method": "GET", "path": path1, "auth": "session",
         "sql": True},
        {"label": "queue_deep", "method": "GET", "path": path_deep, "auth": "session"},
    ]
    requests_spec += [{"label": f"search {word}", "method": "GET", "auth": "session",
                       "path": datatables_path(data_url, start=0, search=word)}
                      for word in SEARCH_WORDS]
    requests_spec += [{"label": f"search_all {word}", "method": "GET", "auth": "session",
                       "path": datatables_path(result["search_all"][word]["data_url"],
                                               start=0)}
                      for word in SEARCH_WORDS]
    if not result["api_page1"].get("timeout"):
        requests_spec.append({"label": "api_page1", "method": "GET", "path": api_list,
                              "auth": "token", "repeat": 1})
    spec_path, out_path = tmp / "queries-spec.json", tmp / "queries.json"
    spec_path.write_text(json.dumps({"username": agent["username"], "token": agent["token"],
                                     "requests": requests_spec}, ensure_ascii=False))
    run_site(python, env, tmp, str(SITE_SCRIPT), "queries", "--spec", str(spec_path),
             "--out", str(out_path))
    result["queries"] = json.loads(out_path.read_text())
    notes.append("queries: SQL statements per request, in-process with django.test.Client "
                 "in the helpdesk virtualenv (connection.execute_wrapper): creates are the "
                 "median of 5 (min, max), GETs the second of two runs (first_run: the first); "
                 "api_page1 one run.")
    result["notes"] = notes
    return result


# --- run / report ------------------------------------------------------------------------------


def run(tickets: int, database_url: str, creates: int = 300, requests: int = 50,
        keep: bool = False, *, budget: float = 45.0, api_timeout: float = 60.0) -> dict:
    """Set up, load and measure django-helpdesk; the result as a JSON-ready dict.

    ``budget``: seconds one list measurement may take before its request count is
    reduced; ``api_timeout``: client timeout of one REST API list request.
    """
    from servicedesk import prepare_database  # the same fresh-database rules as ITSM's

    started = time.perf_counter()
    python = ensure_venv()
    tmp = Path(tempfile.mkdtemp(prefix="helpdesk-bench-"))
    database_url, engine, drop = prepare_database(database_url, tmp)
    shown = urllib.parse.urlparse(database_url)
    step(f"Database: {engine} {shown._replace(netloc=shown.hostname or '').geturl()}")
    password = secrets.token_urlsafe(16)
    try:
        env = write_project(tmp, database_settings(database_url, engine))
        step("Migrating")
        clock = time.perf_counter()
        run_site(python, env, tmp, "-m", "django", "migrate", "--noinput", "-v", "0")
        migrate_seconds = time.perf_counter() - clock
        step(f"Loading 20 queues, 200 staff, 400 requesters and {tickets:,} tickets")
        load_path = tmp / "load.json"
        run_site(python, env, tmp, str(SITE_SCRIPT), "load", "--tickets", str(tickets),
                 "--password", password, "--out", str(load_path))
        loaded = json.loads(load_path.read_text())
        load = loaded["load"]
        step(f"  {load['ticket_rows']:,} tickets + {load['followup_rows']:,} follow-ups in "
             f"{load['seconds']} s ({load['rows_per_second']:,} rows/s)")
        result = {"system": SYSTEM, "django": loaded["django"], "database": engine,
                  "database_version": loaded["database_version"], "tickets": tickets,
                  "open_tickets": loaded["open_tickets"],
                  "status_counts": loaded["status_counts"],
                  "migrate_seconds": round(migrate_seconds, 1),
                  "world_seconds": loaded["world_seconds"], "load": load}
        step("Measuring over HTTP")
        measured = measure(python, env, tmp, loaded, password, creates, requests, budget,
                           api_timeout)
        notes = measured.pop("notes")
        result |= measured
        result["notes"] = [
            f"Data: {tickets:,} tickets over one year in 20 queues (one per customer "
            "organization of the ITSM benchmark), 200 staff users, 400 requester e-mails, "
            "bench/vocabulary.py shapes and seed; statuses open/reopened/resolved/closed/"
            "duplicate for ITSM's open/resolved/closed/cancelled shares, priorities 1–5, "
            "assignees on non-new tickets, due dates on open ones, one 'ticket opened' "
            "follow-up per ticket plus one closing follow-up per resolved/closed/duplicate "
            "ticket.",
            "Server: gunicorn, one sync worker, DEBUG off; database connection settings as "
            "ITSM's (PostgreSQL CONN_MAX_AGE 60 with health checks; SQLite WAL, "
            "synchronous NORMAL, IMMEDIATE transactions). Times are wall times of "
            "sequential requests over loopback, a new connection each (bench/httpbench.py).",
            f"Each GET measurement: one probe request, 2 warm-ups (none if the probe took "
            f"over 1 s), then up to {requests} timed requests, stopped after {budget:g} s of "
            "timed requests once 3 are done: n is how many were timed, n_requested how many "
            "were asked for.",
            *notes]
    finally:
        if keep:
            print(f"Kept: {database_url} and {tmp}")
        else:
            drop()
            shutil.rmtree(tmp, ignore_errors=True)
    result["total_seconds"] = round(time.perf_counter() - started, 1)
    return result


def pad(text: str, width: int = 44) -> str:
    """Left-justify for a terminal: CJK characters take two columns."""
    columns = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(0, width - columns)


def fmt(figures: dict | None, extra: str = "") -> str:
    if not figures:
        return f"{'—':>9}{'—':>9}{'':>6}  {extra}"
    if figures.get("timeout"):
        return f"{'timeout':>9}{'':>9}{'':>6}  > {figures['timeout_s']:g} s {extra}"
    return (f"{figures['p50_ms']:>9.1f}{figures['p95_ms']:>9.1f}{figures['n']:>6}  "
            f"{extra}")


def print_report(result: dict) -> None:
    line = "-" * 100
    q = result["queries"]
    load = result["load"]
    print()
    print(line)
    print(f"{result['system']} (Django {result['django']}) — {result['database']} "
          f"({result['database_version']}), {result['tickets']:,} tickets, "
          f"{result['open_tickets']:,} open/reopened")
    print(line)
    print(f"Load: {load['ticket_rows']:,} tickets + {load['followup_rows']:,} follow-ups in "
          f"{load['seconds']} s = {load['rows_per_second']:,} rows/s overall "
          f"(inserts {load['insert_rows_per_second']:,} rows/s, tickets "
          f"{load['ticket_rows_per_second']:,} rows/s; {load['method']})")
    print(line)
    print(f"{'Measurement':<44}{'p50 ms':>9}{'p95 ms':>9}{'n':>6}  other")

    def queries(label: str) -> str:
        return f"{q[label]['queries']} SQL" if label in q else ""

    for label in ("create_api", "create_web"):
        r = result[label]
        print(pad(label) + fmt(r, f"{r['tickets_per_second']} tickets/s, {queries(label)}"))
    print(pad("  GET /tickets/submit/ (form)") + fmt(result["create_web"]["form_get"]))
    print(pad("bulk_import") + fmt(result["bulk_import"], "none in helpdesk 2.6.1"))
    print(pad("queue_html (GET /tickets/)") + fmt(result["queue_html"], queries("queue_html")))
    for label in ("queue_page1", "queue_deep"):
        r = result[label]
        print(pad(f"{label} (page {r['page']})")
              + fmt(r, f"{r['rows']} rows, {queries(label)}"))
    for label in ("api_page1", "api_deep"):
        r = result[label]
        extra = "" if r.get("timeout") else f"{r['rows']} rows of {r['count']:,}"
        extra += f", {queries(label)}" if label in q else ""
        print(pad(label) + fmt(r, extra))
    for kind in ("search", "search_all"):
        for word, r in result[kind].items():
            print(pad(f"{kind} {word}")
                  + fmt(r, f"{r['hits']:,} hits, {queries(kind + ' ' + word)}"))
    rss = result["rss"]
    print(line)
    print(f"gunicorn worker memory: peak {rss.get('peak_mb')} MB, now {rss.get('now_mb')} MB "
          f"(before the API lists: peak {rss['before_api_lists']['peak_mb']} MB)")
    print(f"Total run time {result['total_seconds']:.0f} s; JSON: {result.get('json')}")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=100_000,
                        help="tickets to bulk-load (default 100000)")
    parser.add_argument("--database-url", default=DEFAULT_PG_URL,
                        help=f"loopback PostgreSQL URL or 'sqlite' (default {DEFAULT_PG_URL})")
    parser.add_argument("--json", help="where to write the JSON (default "
                                       "bench/results/helpdesk-<database>-<tickets>.json)")
    parser.add_argument("--creates", type=int, default=300,
                        help="tickets created one at a time per creation path (default 300)")
    parser.add_argument("--requests", type=int, default=50,
                        help="timed requests per list measurement (default 50)")
    parser.add_argument("--budget", type=float, default=45.0,
                        help="seconds one list measurement may take before it is given "
                             "fewer requests (default 45)")
    parser.add_argument("--api-timeout", type=float, default=60.0,
                        help="client timeout of one REST API list request (default 60)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the database and the temporary project afterwards")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    result = run(args.tickets, args.database_url, args.creates, args.requests, args.keep,
                 budget=args.budget, api_timeout=args.api_timeout)
    path = Path(args.json) if args.json else (
        RESULTS_DIR / f"helpdesk-{result['database']}-{args.tickets}.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    result["json"] = str(path)
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str))
    print_report(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
