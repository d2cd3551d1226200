"""Stored XSS: a corpus of payloads in every user-editable text field, rendered by a real
browser (Playwright driving Debian's chromium) for agents, customers and administrators.

Every payload, executed, calls ``window.__xss(<id>)`` (the id names the payload and the
field); the test installs that function before any page script, fails on any dialog,
provokes the handlers a payload could carry (hover, focus, open ``<details>``, chart
tooltips) and asserts that nothing was called, that no page was navigated away, and that
every stored value was seen on some page as text (so the test cannot pass by rendering
nothing). It writes a summary to ``$ITSM_VAR_DIR/xss-summary.json``.
"""

# covers: issue 6 (injection: stored XSS corpus rendered by a browser, zero executions)

from __future__ import annotations

import datetime as dt
import json
import os
import time
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from itsm.core.tests.xss_payloads import MARKER_RE, PAYLOADS
from itsm.servicedesk.tests.test_browser import (  # noqa: F401 (browser: a fixture)
    CHROMIUM,
    Page,
    browser,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium (/usr/bin/chromium) "
                       "is not installed; apt-get install chromium to run browser tests"),
]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

#: Ids at or above this are reflected (query string) probes, not stored values.
REFLECTED = 99000

INIT_SCRIPT = """
window.__xssCalls = [];
window.__xss = function (id) {
  window.__xssCalls.push(String(id));
  try { window.__xssReport(String(id)); } catch (e) { /* binding not ready */ }
};
"""

#: Fire the handlers a stored payload could carry, had it become markup: hover and focus
#: every element, open every <details>.
PROVOKE = """() => {
  const all = Array.from(document.querySelectorAll('body *'));
  const kinds = ['mouseover', 'mouseenter', 'mousemove', 'pointerover', 'focusin'];
  for (const el of all) {
    for (const kind of kinds) { el.dispatchEvent(new Event(kind, {bubbles: true})); }
  }
  for (const el of document.querySelectorAll(
      'input, textarea, select, button, a, [tabindex], [contenteditable]')) {
    try { el.focus(); } catch (e) { /* ignore */ }
  }
  for (const d of document.querySelectorAll('details')) { d.open = true; }
  return all.length;
}"""

#: What a reader sees: the text, the title, and the values of the form fields.
VISIBLE_TEXT = """() => {
  const parts = [document.title, document.body.innerText];
  for (const el of document.querySelectorAll('input, textarea')) { parts.push(el.value); }
  for (const el of document.querySelectorAll('option')) { parts.push(el.textContent); }
  return parts.join('\\n');
}"""

#: Show the ECharts tooltip of every node and edge of the CMDB graph; return their text.
GRAPH_TOOLTIPS = """async () => {
  const element = document.getElementById('cmdb-graph');
  const chart = echarts.getInstanceByDom(element);
  const series = chart.getOption().series[0];
  const texts = [];
  const show = async (params) => {
    chart.dispatchAction(Object.assign({type: 'showTip', seriesIndex: 0}, params));
    await new Promise((resolve) => setTimeout(resolve, 30));
    texts.push(element.innerText);
  };
  for (let i = 0; i < series.data.length; i++) { await show({dataIndex: i}); }
  for (let i = 0; i < series.links.length; i++) { await show({dataIndex: i, dataType: 'edge'}); }
  return texts.join('\\n');
}"""


# --- The corpus spread over the fields --------------------------------------------------


@dataclass
class Corpus:
    """Hands out payloads field by field: id = field number × 100 + payload number.

    A global round-robin spreads every payload over several fields, and each field takes
    as many payloads as fit in its length."""

    fields: dict[str, int] = field(default_factory=dict)
    stored: dict[int, str] = field(default_factory=dict)  # id → field
    cursor: int = 0

    def take(self, name: str, limit: int = 200, *, count: int = 3, sep: str = " ",
             avoid: str = "") -> str:
        number = self.fields.setdefault(name, len(self.fields) + 1)
        values: list[str] = []
        tried = 0
        while len(values) < count and tried < len(PAYLOADS):
            index = self.cursor % len(PAYLOADS)
            self.cursor += 1
            tried += 1
            ident = number * 100 + index
            payload = PAYLOADS[index]
            if ident in self.stored or any(ch in payload.template for ch in avoid):
                continue
            value = payload.render(ident)
            if len(sep.join([*values, value])) > limit:
                continue
            values.append(value)
            self.stored[ident] = name
        assert values, name
        return sep.join(values)

    def text(self, name: str, count: int = 8) -> str:
        """A multi-line text field with ``count`` payloads, one per line."""
        return self.take(name, 100_000, count=count, sep="\n")

    def keep_if_stored(self, value: str, stored: str) -> None:
        """Forget the payloads of ``value`` that did not survive into ``stored`` (e.g. a
        file name cut at a quote by the multipart parser): they were never stored."""
        kept = {int(m) for m in MARKER_RE.findall(stored)}
        for ident in {int(m) for m in MARKER_RE.findall(value)} - kept:
            del self.stored[ident]

    def ids_of(self, name: str) -> set[int]:
        return {ident for ident, f in self.stored.items() if f == name}


# --- Seeding through the services, the API and the mail intake ------------------------


def _calendar_and_service(world, c: Corpus):
    from itsm.catalog import admin_services
    from itsm.catalog.models import Service

    orgs = world.orgs
    calendar = admin_services.create_calendar(
        actor=None, data={"name": c.take("calendar.name", 100), "organization": orgs["P"],
                          "always_on": True})
    service = admin_services.create_provider_object(Service, actor=None, data={
        "provider": orgs["P"], "code": "xss", "name": c.take("service.name"),
        "description": c.text("service.description"), "calendar": calendar,
        "owner_team": world.teams["desk"], "customers": [orgs["A"], orgs["B"]]})
    admin_services.create_policy(actor=None, data={
        "provider": orgs["P"], "name": c.take("slapolicy.name"), "service": service},
        targets=[{"priority": p, "response_minutes": 120, "resolution_minutes": 1440}
                 for p in (1, 2, 3, 4)])
    return service


def _directory(world, c: Corpus) -> None:
    from itsm.core import directory, notifications

    orgs, users = world.orgs, world.users
    directory.update_object(orgs["A"], actor=None,
                            changes={"name": c.take("organization.name")})
    directory.update_object(world.teams["desk"], actor=None,
                            changes={"name": c.take("team.name")})
    for username in ("requester_a", "agent", "engineer"):
        directory.update_person(users[username], actor=None, data={
            "first_name": c.take("person.first_name", 150),
            "last_name": c.take("person.last_name", 150)})
    notifications.create_channel(actor=None, data={
        "organization": orgs["P"], "name": c.take("channel.name", 100), "kind": "webhook",
        "target": "https://hooks.example.invalid/itsm", "is_active": False})


def _upload(world, c: Corpus, username: str, record, name: str, *,
            internal: bool = False) -> None:
    """Attach a file named ``name`` through the REST API (multipart, as a browser would)."""
    route = f"api:{record._meta.model_name}-attachments"
    response = world.client(username).post(
        reverse(route, args=[record.pk]),
        {"file": SimpleUploadedFile(name, b"log line\n", content_type="text/plain"),
         "internal": internal}, format="multipart")
    assert response.status_code == 201, response.content
    c.keep_if_stored(name, response.json()["original_name"])


def _tickets(world, c: Corpus, service) -> dict:
    from itsm.core import services
    from itsm.servicedesk import satisfaction
    from itsm.servicedesk.major import declare_major_incident
    from itsm.servicedesk.models import Incident, ServiceRequest

    orgs, users = world.orgs, world.users
    agent, requester = users["agent"], users["requester_a"]
    made: dict = {"requests": [], "incidents": []}
    for model, key, prefix in ((ServiceRequest, "requests", "request"),
                               (Incident, "incidents", "incident")):
        for i in range(3):
            record = services.create_record(model, actor=agent, data={
                "organization": orgs["A"], "requester": requester,
                "title": c.take(f"{prefix}.title", count=2),
                "description": c.text(f"{prefix}.description"), "service": service,
                "category": c.take("ticket.category", 100),
                "affected_system": c.take("ticket.affected_system", 200, count=2)})
            services.add_comment(record, actor=requester, body=c.text("comment.public", 4))
            services.add_comment(record, actor=agent, body=c.text("comment.internal", 4),
                                 internal=True)
            _upload(world, c, "requester_a", record,
                    c.take("attachment.name", 120, avoid="/\\") + ".txt")
            _upload(world, c, "agent", record,
                    c.take("attachment.internal_name", 120, avoid="/\\") + ".log",
                    internal=True)
            if model is Incident:
                record = services.update_record(record, actor=agent, changes={
                    "cause": c.text("incident.cause", 4)})
            if i < 2:
                record = services.transition_record(record, "start", actor=agent,
                                                    values={"assignee": agent})
                record = services.transition_record(record, "resolve", actor=agent, values={
                    "resolution": c.text(f"{prefix}.resolution", 4)})
            if i == 0:
                record = services.transition_record(record, "close", actor=requester)
                satisfaction.rate_ticket(record, actor=requester, score=2,
                                         comment=c.text("rating.comment", 4))
            made[key].append(record)
    from itsm.servicedesk import services as desk_services

    desk_services.link_records(made["requests"][1], made["requests"][2], actor=agent)
    desk_services.link_records(made["incidents"][0], made["requests"][0], actor=agent)
    incident = made["incidents"][2]
    major = declare_major_incident(incident, actor=agent,
                                   reason=c.text("major.description", 4))
    major = services.update_record(major, actor=agent, changes={
        "impact_scope": c.text("major.impact_scope", 4)})
    major = services.transition_record(major, "respond", actor=agent)
    major = services.transition_record(major, "recover", actor=agent, values={
        "event_report": c.text("major.event_report", 4)})
    major = services.transition_record(major, "close", actor=users["lead"], values={
        "analysis_report": c.text("major.analysis_report", 4)})
    made["major"] = major
    return made


def _mail(world, c: Corpus) -> list:
    """Unknown senders write in: display name, subject, body and attachment name."""
    from itsm.servicedesk.mailintake.intake import process_message

    records = []
    for i in range(3):
        message = EmailMessage()
        # a header cannot hold U+2028 (Python's email takes it for a line break)
        sender = c.take("mail.from_name", 150, count=1, avoid="\u2028")
        message["From"] = Address(sender, addr_spec=f"xss.sender{i}@example.cn")
        message["To"] = "servicedesk@example.cn"
        subject = message["Subject"] = c.take("mail.subject", 180, count=2, avoid="\u2028")
        message["Message-ID"] = f"<xss-corpus-{i}@example.cn>"
        message.set_content(c.text("mail.body", 4))
        name = c.take("mail.attachment_name", 120, count=1, avoid="/\\\u2028") + ".png"
        message.add_attachment(b"screenshot", maintype="application",
                               subtype="octet-stream", filename=name)
        with override_settings(MAIL_INTAKE_ORGANIZATION=world.orgs["A"].code):
            result = process_message(message.as_bytes(), mailbox="INBOX")
        record = result.record
        assert record is not None, result
        # what the intake could not parse as sent was never stored
        c.keep_if_stored(sender, record.requester.get_full_name())
        c.keep_if_stored(subject, record.title)
        c.keep_if_stored(name, record.attachments.get().original_name)
        records.append(record)
    return records


def _problem(world, c: Corpus, incidents: list):
    from itsm.core import services
    from itsm.problems import services as problem_services
    from itsm.problems.models import Problem

    agent = world.users["agent"]
    problem = services.create_record(Problem, actor=agent, data={
        "organization": world.orgs["A"], "requester": world.users["requester_a"],
        "title": c.take("problem.title", count=2), "description": c.text("problem.description"),
        "category": c.take("problem.category", 100),
        "affected_system": c.take("problem.affected_system")})
    problem_services.link_incident(problem, incidents[1], actor=agent)
    for name, values in (("analyse", {"root_cause": c.text("problem.root_cause", 4)}),
                         ("known_error", {"workaround": c.text("problem.workaround", 4)}),
                         ("start_fix", {"fix_description": c.text("problem.fix", 4)}),
                         ("resolve", {}),
                         ("close", {"accepted_risk": c.text("problem.accepted_risk", 4)})):
        problem = services.transition_record(problem, name, actor=agent, values=values)
    return problem


def _changes(world, c: Corpus) -> dict:
    from itsm.changes import approvals
    from itsm.changes import services as change_services
    from itsm.changes.models import Change
    from itsm.changes.tests.conftest import build_change_world
    from itsm.cmdb import services as cmdb_services
    from itsm.core import services

    cw = build_change_world(world)
    users = {**world.users, **cw.users}
    manager, engineer = users["chgmgr"], users["engineer"]
    board = change_services.save_board(cw.board, actor=manager, data={
        "name": c.take("board.name"), "description": c.text("board.description", 4)})
    template = change_services.save_template(None, actor=manager, data={
        "name": c.take("template.name"), "description": c.text("template.description", 4),
        "implementation_plan": c.text("template.implementation_plan", 4),
        "backout_plan": c.text("template.backout_plan", 4),
        "test_plan": c.text("template.test_plan", 4)})
    start, end = cw.window(days=2)
    change_services.save_freeze(None, actor=manager, data={
        "name": c.take("freeze.name"), "reason": c.text("freeze.reason", 4),
        "start": start - dt.timedelta(days=1), "end": start - dt.timedelta(hours=20)})

    def change(i: int):
        record = services.create_record(Change, actor=engineer, data={
            "organization": world.orgs["P"], "requester": engineer,
            "title": c.take("change.title", count=2),
            "description": c.text("change.description", 4),
            **{f: c.text(f"change.{f}", 3) for f in (
                "reason", "scope", "expected_impact", "implementation_plan", "backout_plan",
                "test_plan")},
            "planned_start": start + dt.timedelta(hours=3 * i),
            "planned_end": end + dt.timedelta(hours=3 * i)})
        cmdb_services.link_record_ci(record, cw.items["核心数据库"], actor=None)
        record = services.transition_record(record, "submit", actor=engineer)
        return services.transition_record(record, "assess", actor=manager, values={
            "likelihood": 3, "impact": 3,
            **{f: c.text(f"change.{f}", 3) for f in (
                "impact_business", "impact_technology", "impact_security", "impact_cost")}})

    done, waiting = change(0), change(1)
    for voter in ("cab1", "cab2"):
        approvals.cast_vote(approvals.current_approval(done), voter=users[voter],
                            decision="approve", comment=c.text("vote.comment", 3))
    approvals.cast_vote(approvals.current_approval(waiting), voter=users["cab3"],
                        decision="reject", comment=c.text("vote.comment", 3))
    done = Change.objects.get(pk=done.pk)
    task = change_services.create_task(done, actor=manager, data={
        "title": c.take("task.title"), "assignee": engineer})
    change_services.update_task(task, actor=engineer, changes={
        "status": "done", "notes": c.text("task.notes", 3)})
    done = services.transition_record(done, "schedule", actor=manager)
    done = services.transition_record(done, "start", actor=engineer)
    done = services.transition_record(done, "complete", actor=engineer)
    done = services.transition_record(done, "verify", actor=engineer, values={
        **{f: c.text(f"change.{f}", 3) for f in (
            "verification_function", "verification_performance", "verification_security")},
        "outcome": "success"})
    done = services.transition_record(done, "close", actor=manager, values={
        "review_findings": c.text("change.review_findings", 4)})
    meeting = change_services.save_meeting(None, actor=manager, data={
        "board": board, "title": c.take("meeting.title"),
        "scheduled_at": start - dt.timedelta(days=1),
        "location": c.take("meeting.location"), "minutes": c.text("meeting.minutes", 6)})
    item = meeting.items.filter(change=waiting).first() or change_services.add_agenda_item(
        meeting, waiting, actor=manager)
    change_services.record_decision(item, actor=manager, decision="deferred",
                                    notes=c.text("meeting.decision_notes", 3))
    return {"done": done, "waiting": waiting, "meeting": meeting, "board": board,
            "template": template,
            "day": timezone.localtime(start).date(), "users": users}


def _cmdb(world, c: Corpus, record) -> list:
    from itsm.cmdb import services
    from itsm.cmdb.models import CIType

    keys = [c.take("citype.attribute_name", 100) for _ in range(3)]
    ci_type = CIType.objects.create(code="xss", name=c.take("citype.name", 100),
                                    attributes=keys)
    items = []
    for i in range(3):
        items.append(services.create_item(actor=None, data={
            "organization": world.orgs["A" if i else "P"], "ci_type": ci_type,
            "name": c.take("ci.name"), "description": c.text("ci.description", 4),
            "attributes": {key: c.take("ci.attribute_value") for key in keys}}))
    services.add_relation(items[1], items[0], kind="depends_on", actor=None)
    services.add_relation(items[2], items[0], kind="runs_on", actor=None)
    services.link_record_ci(record, items[0], actor=None)
    return items


def _security(world, c: Corpus, major):
    from itsm.security import services

    plan = services.save_plan(None, actor=None, data={
        "provider": world.orgs["P"], "customer": world.orgs["A"],
        "title": c.take("plan.title"), "status": "approved",
        **{f: c.text(f"plan.{f}", 3) for f in (
            "scope", "roles", "resources", "steps", "preparation", "monitoring_warning",
            "response", "review")},
        "contacts": [{"name": c.take("plan.contact_name"), "role": c.take("plan.contact_role"),
                      "phone": "+86 138 0000 0000"}],
        "response_levels": [{"level": "I", "criteria": c.take("plan.level_criteria"),
                             "actions": c.take("plan.level_actions")}]})
    drill = services.save_drill(None, actor=None, data={
        "plan": plan, "date": timezone.localdate(), "scenario": c.text("drill.scenario", 4),
        "findings": c.text("drill.findings", 4), "evaluation": "adequate",
        "evaluation_notes": c.text("drill.evaluation_notes", 4),
        "follow_ups": [{"action": c.take("drill.follow_up_action"),
                        "owner": c.take("drill.follow_up_owner"), "due": "", "done": False}]})
    services.record_plan_use(major, plan, actor=None, note=c.text("plan_use.note", 3))
    return plan, drill


def seed(world) -> tuple[Corpus, dict]:
    from django.contrib.auth.models import Permission

    c = Corpus()
    world.users["admin"].user_permissions.add(*Permission.objects.filter(
        content_type__app_label__in=["core", "catalog", "changes", "security", "servicedesk"]))
    _directory(world, c)
    service = _calendar_and_service(world, c)
    tickets = _tickets(world, c, service)
    mailed = _mail(world, c)
    problem = _problem(world, c, tickets["incidents"])
    changes = _changes(world, c)
    items = _cmdb(world, c, tickets["requests"][1])
    plan, drill = _security(world, c, tickets["major"])
    return c, {**tickets, "mailed": mailed, "problem": problem, "changes": changes, "items": items,
               "plan": plan, "drill": drill}


# --- The browser side -------------------------------------------------------------------


@dataclass
class Visit:
    role: str
    path: str
    seen: set[int]
    seconds: float


@dataclass
class Reader:
    """One logged-in browser context with ``window.__xss`` installed."""

    page: Page
    role: str
    calls: list = field(default_factory=list)
    dialogs: list = field(default_factory=list)
    navigations: list = field(default_factory=list)
    visits: list = field(default_factory=list)

    @classmethod
    def open(cls, chromium, base_url: str, role: str, username: str | None) -> Reader:
        page = Page(chromium, base_url)
        reader = cls(page=page, role=role)
        page.context.expose_binding(
            "__xssReport", lambda source, ident: reader.calls.append((source["frame"].url,
                                                                       ident)))
        page.context.add_init_script(INIT_SCRIPT)
        page.page.on("dialog", lambda d: (reader.dialogs.append((d.type, d.message)),
                                          d.dismiss()))
        if username:
            page.login(username)
        return reader

    def read(self, path: str, *, graph: bool = False, expect_values: bool = True,
             status: int = 200) -> set[int]:
        started = time.monotonic()
        response = self.page.goto(path)
        page = self.page.page
        assert response is not None and response.status == status, (self.role, path,
                                                                   response and response.status)
        url = page.url
        page.evaluate(PROVOKE)
        for y in range(100, 900, 300):  # a real pointer over the page too
            for x in range(150, 1280, 400):
                page.mouse.move(x, y)
        text = page.evaluate(VISIBLE_TEXT)
        if graph:
            page.wait_for_selector("#cmdb-graph[data-rendered=true]")
            text += page.evaluate(GRAPH_TOOLTIPS)
        page.wait_for_timeout(50)
        calls = page.evaluate("window.__xssCalls")
        assert calls == [], (self.role, path, calls)
        if page.url != url:
            self.navigations.append((path, page.url))
        seen = {int(m) for m in MARKER_RE.findall(text)}
        if expect_values:
            assert seen, f"{self.role} {path}: no stored value visible on the page"
        self.visits.append(Visit(self.role, path, seen, time.monotonic() - started))
        return seen


def test_harness_detects_an_execution(browser):  # noqa: F811
    """The detector itself (no server): each payload injected raw into a page, with the
    same provocations as the real test, calls ``__xss`` with its id; so the corpus is live
    and a hole would be caught."""
    page = browser.new_context().new_page()
    page.add_init_script(INIT_SCRIPT)
    page.goto("data:text/html,<title>harness</title>")
    page.set_default_timeout(5000)
    fired = set()
    for index, payload in enumerate(PAYLOADS):
        page.evaluate("window.__xssCalls = []")
        page.set_content(f"<main>{payload.render(index)}</main>")
        page.evaluate(PROVOKE)
        page.mouse.move(640, 450)
        page.wait_for_timeout(30)
        calls = page.evaluate("window.__xssCalls || []")
        assert set(calls) <= {str(index)}, (payload, calls)
        if calls:
            fired.add(index)
    page.context.close()
    print(f"xss harness: {len(fired)} of {len(PAYLOADS)} payloads execute when injected raw")
    must_fire = {"<script>__xss(@@)</script>", "<img src=x onerror=__xss(@@)>",
                 "<svg onload=__xss(@@)>", "<details open ontoggle=__xss(@@)>详情</details>",
                 "<input autofocus onfocus=__xss(@@)>", '" onmouseover="__xss(@@)" x="'}
    # an attribute breakout only fires inside an attribute: check it there
    page = browser.new_context().new_page()
    page.add_init_script(INIT_SCRIPT)
    page.goto("data:text/html,<title>harness</title>")
    breakout = next(i for i, p in enumerate(PAYLOADS) if p.template in must_fire
                    and p.template.startswith('"'))
    page.set_content(f'<input value="{PAYLOADS[breakout].render(breakout)}">')
    page.evaluate(PROVOKE)
    assert page.evaluate("window.__xssCalls") == [str(breakout)]
    page.context.close()
    assert {i for i, p in enumerate(PAYLOADS) if p.template in must_fire} - {breakout} <= fired
    assert len(fired) >= len(PAYLOADS) // 3, len(fired)


def agent_paths(data: dict) -> list[tuple[str, dict]]:
    requests, incidents = data["requests"], data["incidents"]
    ch, items = data["changes"], data["items"]
    day = ch["day"]
    paths = [
        "/requests/", "/requests/?q=xss", "/incidents/",
        "/major-incidents/", "/problems/", "/problems/known-errors/", "/changes/",
        f"/changes/calendar/?date={day.isoformat()}",
        f"/changes/calendar/?view=week&date={day.isoformat()}",
        "/cmdb/items/", "/cmdb/items/?q=xss",
        *[r.get_absolute_url() for r in (*requests, *incidents, data["major"], data["problem"])],
        f"/requests/{requests[2].pk}/edit/", f"/incidents/{incidents[2].pk}/edit/",
        f"/problems/{data['problem'].pk}/edit/",
        *[f"/cmdb/items/{item.pk}/" for item in items],
        f"/cmdb/items/{items[0].pk}/edit/",
    ]
    paths += [record.get_absolute_url() for record in data["mailed"]]
    return [(p, {}) for p in paths] + [(f"/cmdb/items/{items[0].pk}/graph/", {"graph": True})]


def manager_paths(data: dict) -> list[str]:
    ch = data["changes"]
    return [
        "/changes/", ch["done"].get_absolute_url(), ch["waiting"].get_absolute_url(),
        f"/changes/{ch['waiting'].pk}/edit/", "/changes/meetings/",
        ch["meeting"].get_absolute_url(), f"/changes/meetings/{ch['meeting'].pk}/edit/",
        "/changes/boards/", f"/changes/boards/{ch['board'].pk}/", "/changes/templates/",
        f"/changes/templates/{ch['template'].pk}/edit/",
        "/changes/freezes/", f"/changes/calendar/?date={ch['day'].isoformat()}",
    ]


def security_paths(data: dict) -> list[str]:
    plan, drill = data["plan"], data["drill"]
    return ["/security/plans/", plan.get_absolute_url(), f"/security/plans/{plan.pk}/edit/",
            "/security/drills/", drill.get_absolute_url(), f"/security/drills/{drill.pk}/edit/"]


def customer_paths(data: dict) -> list[str]:
    return ["/requests/", "/incidents/", "/requests/?q=xss",
            *[r.get_absolute_url() for r in (*data["requests"], *data["incidents"])]]


ADMIN_PATHS = [
    "/admin/core/organization/", "/admin/core/team/", "/admin/core/notificationchannel/",
    "/admin/catalog/service/", "/admin/catalog/slapolicy/", "/admin/core/businesscalendar/",
    "/admin/changes/change/", "/admin/changes/cabmeeting/", "/admin/changes/changeboard/",
    "/admin/changes/changetemplate/", "/admin/changes/freezewindow/",
    "/admin/security/emergencyplan/", "/admin/security/drill/", "/admin/security/planuse/",
    "/admin/core/auditentry/",
]

def anonymous_paths(data: dict) -> list[tuple[str, bool]]:
    """The signed rating link of the closure email (no login), and the login page."""
    from itsm.servicedesk import satisfaction

    rating = urlsplit(satisfaction.make_rating_url(data["requests"][0])).path
    login = "/accounts/login/?next=" + quote(f'"><script>__xss({REFLECTED + 9})</script>')
    return [(rating, True), (login, False)]


#: Reflected through the query string into the page (search box, calendar error), with
#: the status the page answers.
REFLECTED_PATHS = [
    ("/requests/?q=" + quote(f'"><img src=x onerror=__xss({REFLECTED + 1})>'), 200),
    ("/changes/calendar/?date=" + quote(f"<script>__xss({REFLECTED + 2})</script>"), 400),
    ("/cmdb/items/?q=" + quote(f"'><svg onload=__xss({REFLECTED + 3})>"), 200),
]


def test_stored_xss_corpus_renders_as_text(transactional_db, live_server, browser,  # noqa: F811
                                           settings, world):
    # Escaping alone must hold: without the Content-Security-Policy safety net, which
    # would block an inline handler even if a template stopped escaping (tested below).
    settings.CONTENT_SECURITY_POLICY = ""
    started = time.monotonic()
    corpus, data = seed(world)
    seeded = time.monotonic()
    # exports are downloads, never documents: the raw values go into a file
    for path in ("/requests/export/?file_format=csv", "/incidents/export/?file_format=xlsx"):
        response = world.client("agent").get(path)
        assert response.status_code == 200, path
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "html" not in response["Content-Type"]
    assert MARKER_RE.search(world.client("agent").get(
        "/requests/export/?file_format=csv").content.decode("utf-8-sig"))

    readers = []
    agent = Reader.open(browser, live_server.url, "agent", "agent")
    for path, options in agent_paths(data):
        agent.read(path, **options)
    readers.append(agent)
    manager = Reader.open(browser, live_server.url, "change manager", "chgmgr")
    for path in manager_paths(data):
        manager.read(path)
    for path, status in REFLECTED_PATHS:
        assert REFLECTED + 1 + REFLECTED_PATHS.index((path, status)) in manager.read(
            path, expect_values=False, status=status), path
    readers.append(manager)
    customer = Reader.open(browser, live_server.url, "customer", "requester_a")
    for path in customer_paths(data):
        customer.read(path)
    readers.append(customer)
    anonymous = Reader.open(browser, live_server.url, "anonymous", None)
    for path, stored_values in anonymous_paths(data):
        seen = anonymous.read(path, expect_values=stored_values)
        assert stored_values or REFLECTED + 9 in seen, path
    readers.append(anonymous)
    admin = Reader.open(browser, live_server.url, "admin", "admin")
    service = data["requests"][0].service
    for path in [*security_paths(data), *ADMIN_PATHS,
                 f"/admin/catalog/service/{service.pk}/change/"]:
        admin.read(path)
    readers.append(admin)

    visits = [v for r in readers for v in r.visits]
    calls = [call for r in readers for call in r.calls]
    dialogs = [d for r in readers for d in r.dialogs]
    navigations = [n for r in readers for n in r.navigations]
    seen = set().union(*(v.seen for v in visits))
    seen_by_customers = set().union(*(v.seen for v in visits if v.role == "customer"))
    stored = set(corpus.stored)
    summary = {
        "payloads": len(PAYLOADS),
        "fields": len(corpus.fields),
        "stored_values": len(stored),
        "pages_rendered": len(visits),
        "executions": len(calls),
        "dialogs": len(dialogs),
        "payloads_per_field": {f: len(corpus.ids_of(f)) for f in corpus.fields},
        "payloads_per_field_min": min(len(corpus.ids_of(f)) for f in corpus.fields),
        "fields_per_payload_min": min(
            len({corpus.stored[i] for i in stored if i % 100 == n}) for n in range(len(PAYLOADS))),
        "not_seen": sorted(stored - seen),
        "slowest_pages": sorted(((round(v.seconds, 2), v.role, v.path) for v in visits),
                                reverse=True)[:10],
        "seconds_seeding": round(seeded - started, 1),
        "seconds_total": round(time.monotonic() - started, 1),
    }
    Path(settings.VAR_DIR).mkdir(parents=True, exist_ok=True)
    (Path(settings.VAR_DIR) / "xss-summary.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=2))
    print(f"xss: {len(PAYLOADS)} payloads × {len(corpus.fields)} fields = {len(stored)} stored "
          f"values, {len(visits)} pages rendered, {len(calls)} executions")
    for reader in readers:
        reader.page.close()

    assert calls == []
    assert dialogs == []
    assert navigations == []
    assert len(PAYLOADS) >= 60
    assert summary["fields_per_payload_min"] >= 3
    # every stored value reached a page as text: nothing passed by not being rendered
    assert stored - seen == set(), {i: corpus.stored[i] for i in sorted(stored - seen)}
    # and the internal notes never reached a customer
    internal = corpus.ids_of("comment.internal") | corpus.ids_of("attachment.internal_name")
    assert seen_by_customers and not (seen_by_customers & internal)


CSP_PROBE = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


def test_content_security_policy_blocks_injected_markup_and_nothing_of_ours(
        transactional_db, live_server, browser, world):  # noqa: F811
    """Every page is served with the policy; our own pages (forms, htmx, charts, the CMDB
    graph, the API docs, the admin) raise no violation, and markup injected into a page
    (as a stored XSS would be) cannot run its inline handler or an ``hx-on`` attribute."""
    record = world.request("requester_a", title="CSP 检查")
    type(world.admin).objects.filter(pk=world.admin.pk).update(is_superuser=True)  # all admin
    page = Page(browser, live_server.url)
    page.context.add_init_script(CSP_PROBE + INIT_SCRIPT)
    page.login("admin")
    paths = ["/", "/requests/", f"/requests/{record.pk}/", "/requests/new/", "/incidents/",
             "/changes/calendar/", "/cmdb/items/", "/settings/notification-templates/",
             "/accounts/security/", "/api/docs/", "/admin/", "/admin/changes/change/",
             "/admin/catalog/service/"]
    for path in paths:
        response = page.goto(path)
        assert response is not None and response.status == 200, (path, response.status)
        assert "script-src 'self'" in response.headers["content-security-policy"], path
        page.page.wait_for_load_state("networkidle")
        assert page.page.evaluate("window.__cspViolations") == [], path
    # the API docs really rendered (their start-up script is a static file, not inline)
    page.goto("/api/docs/")
    page.page.wait_for_selector(".swagger-ui .info", timeout=15000)

    page.goto(f"/requests/{record.pk}/")
    page.page.evaluate("""() => {
      const box = document.createElement("div");
      box.innerHTML = '<img src="data:," onerror="__xss(1)">'
        + '<button id="hx" hx-on:click="__xss(2)">x</button>';
      document.body.appendChild(box);
      if (window.htmx) { htmx.process(box); }
    }""")
    page.page.click("#hx")
    page.page.wait_for_timeout(200)
    assert page.page.evaluate("window.__xssCalls") == []
    assert any("script-src" in v for v in page.page.evaluate("window.__cspViolations"))
    page.close()
