"""Incidents (事件/故障) as agents and customers meet them, in the API and the web UI.

Incidents share the ticket workflow with service requests but have their own numbers
(INC-YYYY-NNNNNN, a sequence apart from REQ), their own fields (impact, urgency,
cause analysis) and their own pages under /incidents/. Access rules are in the
access matrix (core/tests/test_access.py); this module covers what a user does.
"""

# covers: INC-1 (incident recording), INC-3 (incident lifecycle, waiting states, reopen),
# GEN-API (incident endpoints), GEN-EXPORT (XLSX/CSV with Chinese text),
# GEN-SCALE (constant query count)

from __future__ import annotations

import html
import io
import re

import openpyxl
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from itsm.catalog.models import Service
from itsm.core import services
from itsm.core.models import AuditEntry, BusinessCalendar
from itsm.core.tests.scenario import create_ticket, csv_rows
from itsm.servicedesk.models import Incident, ServiceRequest

LIST = reverse("api:incident-list")
NUMBER = re.compile(r"^INC-(\d{4})-(\d{6})$")


def detail(pk: int) -> str:
    return reverse("api:incident-detail", args=[pk])


def transition(client, incident, name: str, **body):
    return client.post(reverse("api:incident-transition", args=[incident.pk]),
                       {"transition": name, **body}, format="json")


def incident(world, requester: str = "requester_a", **data) -> Incident:
    return create_ticket(world, Incident, requester, **data)


def browser(world, username: str) -> Client:
    client = Client()
    client.force_login(world.users[username])
    return client


def page(response) -> str:
    return html.unescape(response.content.decode())


def ui_numbers(response) -> list[str]:
    return re.findall(r'<a href="/incidents/\d+/">(INC-\d{4}-\d{6})</a>',
                      response.content.decode())


def zh(text: str) -> str:
    with translation.override("zh-hans"):
        return gettext(text)


def service_of(world, provider: str, name: str) -> Service:
    calendar, _ = BusinessCalendar.objects.get_or_create(name=f"7x24 test {provider}",
                                                         defaults={"always_on": True})
    return Service.objects.create(provider=world.orgs[provider], code=name.lower(), name=name,
                                  calendar=calendar)


# --- CRUD through the API ---------------------------------------------------------------


def test_agent_creates_reads_updates_and_admin_deletes_an_incident(world):
    client = world.client("agent")
    email = service_of(world, "P", "Email")
    response = client.post(LIST, {
        "organization": world.orgs["A"].pk, "requester": world.requester_a.pk,
        "title": "邮件服务器无法发信", "description": "全员无法发送外部邮件",
        "service": email.pk, "impact": 2, "urgency": 3, "channel": "phone",
        "affected_system": "MAIL-01", "assignee_team": world.teams["desk"].pk,
    }, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert NUMBER.match(data["number"]), data["number"]
    assert (data["status"], data["version"]) == ("new", 1)
    assert (data["impact"], data["urgency"], data["service"]) == (2, 3, email.pk)
    assert data["is_major"] is False
    assert data["requester_name"] == "requester_a"
    pk = data["id"]

    got = client.get(detail(pk))
    assert got.status_code == 200
    assert got.json()["title"] == "邮件服务器无法发信"
    assert got.json()["affected_system"] == "MAIL-01"

    patched = client.patch(detail(pk), {"cause": "SMTP 证书过期", "urgency": 2, "version": 1},
                           format="json")
    assert patched.status_code == 200, patched.json()
    assert patched.json()["version"] == 2
    saved = Incident.objects.get(pk=pk)
    assert (saved.cause, saved.urgency) == ("SMTP 证书过期", 2)
    assert AuditEntry.objects.filter(object_type="servicedesk.incident", object_id=str(pk),
                                     action="update").exists()
    assert saved.timeline.filter(kind="updated").exists()
    assert not ServiceRequest.objects.exists()  # an incident is not a request

    assert world.client("agent").delete(detail(pk)).status_code == 403
    assert world.client("admin").delete(detail(pk)).status_code == 204
    assert not Incident.objects.filter(pk=pk).exists()


def test_staff_only_fields_of_an_incident_are_read_only(world):
    record = incident(world)
    response = world.client("agent").patch(detail(record.pk), {
        "is_major": True, "alert_fingerprint": "forged", "resolution": "forged"},
        format="json")
    assert response.status_code in (200, 400)
    record.refresh_from_db()
    assert (record.is_major, record.alert_fingerprint, record.resolution) == (False, "", "")


def test_incident_numbers_have_their_own_sequence(world):
    year = timezone.localdate().year
    request = world.request("requester_a")
    client = world.client("requester_a")
    first = client.post(LIST, {"title": "电脑蓝屏"}, format="json")
    second = client.post(LIST, {"title": "网络中断"}, format="json")
    another_request = world.request("requester_a")
    assert first.status_code == second.status_code == 201
    assert first.json()["number"] == f"INC-{year}-000001"
    assert second.json()["number"] == f"INC-{year}-000002"
    assert (request.number, another_request.number) == (f"REQ-{year}-000001",
                                                        f"REQ-{year}-000002")
    # the API of each type lists its own records only
    numbers = {r["number"] for r in client.get(LIST).json()["results"]}
    assert numbers == {first.json()["number"], second.json()["number"]}
    requests = client.get(reverse("api:servicerequest-list")).json()["results"]
    assert {r["number"] for r in requests} == {request.number, another_request.number}


# --- Validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(("case", "field"), [
    ("impact_out_of_range", "impact"),
    ("impact_as_text", "impact"),
    ("urgency_zero", "urgency"),
    ("urgency_as_text", "urgency"),
    ("service_of_another_provider", "service"),
    ("missing_title", "title"),
])
def test_invalid_incident_fields_are_400_with_a_field_message(world, case, field):
    other = service_of(world, "Q", "Q-Hosting")
    base = {"organization": world.orgs["A"].pk, "requester": world.requester_a.pk,
            "title": "服务器宕机"}
    data = {
        "impact_out_of_range": {**base, "impact": 9},
        "impact_as_text": {**base, "impact": "whole company"},
        "urgency_zero": {**base, "urgency": 0},
        "urgency_as_text": {**base, "urgency": "high"},
        "service_of_another_provider": {**base, "service": other.pk},
        "missing_title": {k: v for k, v in base.items() if k != "title"},
    }[case]
    response = world.client("agent").post(LIST, data, format="json")
    assert response.status_code == 400, (response.status_code, response.content[:300])
    errors = response.json()
    assert field in errors, errors
    assert all(isinstance(m, str) and m for m in errors[field])
    assert Incident.objects.count() == 0


def test_invalid_change_of_an_incident_is_400_and_changes_nothing(world):
    record = incident(world)
    other = service_of(world, "Q", "Q-Hosting")
    client = world.client("agent")
    for changes in ({"impact": 7}, {"urgency": "soon"}, {"service": other.pk}):
        response = client.patch(detail(record.pk), changes, format="json")
        assert response.status_code == 400, (changes, response.status_code)
        assert next(iter(changes)) in response.json()
    saved = Incident.objects.get(pk=record.pk)
    assert (saved.version, saved.impact, saved.urgency, saved.service_id) == (
        1, record.impact, record.urgency, None)


def test_ui_form_offers_and_accepts_only_services_of_the_own_provider(world):
    own = service_of(world, "P", "ERP 系统")
    other = service_of(world, "Q", "Q-Hosting-Secret")
    client = browser(world, "agent")
    form = page(client.get("/incidents/new/"))
    assert f'<option value="{own.pk}">ERP 系统</option>' in form
    assert "Q-Hosting-Secret" not in form
    response = client.post("/incidents/new/", {
        "organization": world.orgs["A"].pk, "requester": world.requester_a.pk,
        "title": "别家的服务", "channel": "phone", "impact": "3", "urgency": "3",
        "priority": "3", "service": other.pk,
    })
    assert response.status_code == 400
    assert 'name="service"' in page(response)
    assert Incident.objects.count() == 0


# --- Lifecycle -------------------------------------------------------------------------------


def test_full_lifecycle_with_both_waiting_states_and_reopen(world):
    record = incident(world, title="邮件服务器宕机")
    agent, customer = world.client("agent"), world.client("requester_a")
    transitions_url = reverse("api:incident-available-transitions", args=[record.pk])

    def available(client) -> set[str]:
        return {t["name"] for t in client.get(transitions_url).json()}

    steps = [
        (agent, "assign", {"values": {"assignee_team": world.teams["desk"].pk}}, "assigned"),
        (agent, "start", {"values": {"assignee": world.engineer.pk}}, "in_progress"),
        (agent, "ask_customer", {"comment": "请提供报错截图"}, "waiting_customer"),
        (customer, "customer_replied", {}, "in_progress"),
        (agent, "wait_third_party", {"comment": "已联系运营商"}, "waiting_third_party"),
        (agent, "third_party_replied", {}, "in_progress"),
        (agent, "resolve", {"values": {"resolution": "重启了邮件服务"}}, "resolved"),
        (customer, "reopen", {"comment": "问题又出现了"}, "in_progress"),
        (agent, "resolve", {"values": {"resolution": "更换了故障硬盘"}}, "resolved"),
        (customer, "close", {}, "closed"),
    ]
    for client, name, body, status in steps:
        if status == "waiting_customer":  # a reason is required to wait for the customer
            response = transition(client, record, name)
            assert response.status_code == 400 and "comment" in response.json()
        if name == "third_party_replied":  # only the staff hears from third parties
            assert available(customer) == set()
            assert transition(customer, record, name).status_code == 403
        if name == "customer_replied":
            assert available(customer) == {"customer_replied"}
        response = transition(client, record, name, **body)
        assert response.status_code == 200, (name, response.content)
        assert response.json()["status"] == status, name

    record.refresh_from_db()
    assert record.status == "closed"
    assert record.resolution == "更换了故障硬盘"
    assert record.resolved_at is not None and record.closed_at is not None
    assert record.assignee == world.engineer
    assert record.timeline.filter(kind="transitioned").count() == len(steps)
    bodies = set(record.comments.values_list("body", flat=True))
    assert {"请提供报错截图", "已联系运营商", "问题又出现了"} <= bodies
    assert available(agent) == available(customer) == set()
    response = transition(customer, record, "reopen", comment="再开一次")
    assert response.status_code == 409
    assert record.number in response.json()["detail"]


def test_waiting_states_through_the_web_ui(world):
    record = incident(world)
    services.transition_record(record, "start", actor=world.agent,
                               values={"assignee": world.agent})
    agent, customer = browser(world, "agent"), browser(world, "requester_a")
    url = f"/incidents/{record.pk}/transition/"

    response = agent.post(url + "ask_customer/", {})
    assert response.status_code == 400
    record.refresh_from_db()
    assert record.status == "in_progress"

    response = agent.post(url + "ask_customer/", {"t-ask_customer-comment": "请确认故障时间"})
    assert response.status_code == 302
    assert response["Location"] == f"/incidents/{record.pk}/"
    text = page(customer.get(response["Location"]))
    assert 'data-status="waiting_customer"' in text
    assert "请确认故障时间" in text
    assert 'id="transition-customer_replied"' in text
    assert customer.post(url + "customer_replied/", {}).status_code == 302

    response = agent.post(url + "wait_third_party/",
                          {"t-wait_third_party-comment": "等待厂商备件"}, follow=True)
    assert 'data-status="waiting_third_party"' in page(response)
    text = page(customer.get(f"/incidents/{record.pk}/"))
    assert 'id="transition-third_party_replied"' not in text
    assert customer.post(url + "third_party_replied/", {}).status_code == 403
    record.refresh_from_db()
    assert record.status == "waiting_third_party"
    assert agent.post(url + "third_party_replied/", {}).status_code == 302
    record.refresh_from_db()
    assert record.status == "in_progress"


# --- Web UI -------------------------------------------------------------------------------------


def test_agent_creates_views_and_edits_an_incident_in_the_ui(world):
    client = browser(world, "agent")
    form = page(client.get("/incidents/new/"))
    for field in ("organization", "requester", "impact", "urgency", "cause", "affected_system"):
        assert f'name="{field}"' in form, field
    response = client.post("/incidents/new/", {
        "organization": world.orgs["A"].pk, "requester": world.requester_a.pk,
        "title": "核心交换机端口故障", "description": "二楼整层断网", "channel": "phone",
        "impact": "2", "urgency": "1", "priority": "2", "affected_system": "SW-CORE-01",
    })
    assert response.status_code == 302, page(response)[:2000]
    record = Incident.objects.get(title="核心交换机端口故障")
    assert response["Location"] == f"/incidents/{record.pk}/"
    assert NUMBER.match(record.number)
    assert (record.impact, record.urgency, record.priority) == (2, 1, 2)
    assert record.created_by == world.agent and record.requester == world.requester_a
    assert not ServiceRequest.objects.exists()

    text = page(client.get(response["Location"]))
    assert record.number in text and "二楼整层断网" in text and "SW-CORE-01" in text
    assert 'data-status="new"' in text

    assert ui_numbers(client.get("/incidents/")) == [record.number]
    assert record.number not in page(client.get("/requests/"))

    edit = page(client.get(f"/incidents/{record.pk}/edit/"))
    assert f'name="version" value="{record.version}"' in edit
    response = client.post(f"/incidents/{record.pk}/edit/", {
        "version": record.version, "requester": world.requester_a.pk,
        "title": record.title, "description": record.description, "channel": "phone",
        "impact": "2", "urgency": "2", "priority": "2", "affected_system": "SW-CORE-01",
        "cause": "光模块老化",
    })
    assert response.status_code == 302
    record.refresh_from_db()
    assert (record.cause, record.urgency, record.version) == ("光模块老化", 2, 2)
    assert "光模块老化" in page(client.get(f"/incidents/{record.pk}/"))


def test_ui_rejects_an_impact_outside_the_choices(world):
    response = browser(world, "agent").post("/incidents/new/", {
        "organization": world.orgs["A"].pk, "requester": world.requester_a.pk,
        "title": "影响范围错误", "channel": "phone", "impact": "9", "urgency": "3",
        "priority": "3",
    })
    assert response.status_code == 400
    assert "影响范围错误" in page(response)  # the entered data is kept
    assert Incident.objects.count() == 0


def test_customer_reports_an_incident_in_the_portal_with_customer_fields_only(world):
    own = service_of(world, "P", "OA 办公系统")
    own.customers.add(world.orgs["A"])  # the portal offers the services A subscribes to
    service_of(world, "P", "B 专用系统").customers.add(world.orgs["B"])
    client = browser(world, "requester_a")
    text = page(client.get("/incidents/new/"))
    assert 'class="portal"' in text
    for field in ("title", "description", "service", "category", "affected_system", "urgency"):
        assert f'name="{field}"' in text, field
    for field in ("organization", "requester", "priority", "assignee", "assignee_team",
                  "owner", "impact", "channel", "cause"):
        assert f'name="{field}"' not in text, field
    assert "OA 办公系统" in text and "B 专用系统" not in text
    response = client.post("/incidents/new/", {
        "title": "OA 无法登录", "description": "提示密码错误", "service": own.pk,
        "urgency": "2", "affected_system": "OA",
        # fields the portal does not offer are ignored
        "priority": "1", "impact": "1", "assignee": world.agent.pk, "cause": "伪造",
        "organization": world.orgs["B"].pk, "requester": world.requester_a2.pk,
    })
    assert response.status_code == 302
    record = Incident.objects.get(title="OA 无法登录")
    assert (record.organization, record.requester) == (world.orgs["A"], world.requester_a)
    assert (record.service, record.urgency, record.affected_system) == (own, 2, "OA")
    assert record.priority == 3 and record.impact == 4 and record.assignee is None
    assert record.cause == "" and record.channel == "portal"
    assert ui_numbers(client.get("/incidents/")) == [record.number]
    assert ui_numbers(browser(world, "requester_a2").get("/incidents/")) == []


# --- Export -----------------------------------------------------------------------------------


@pytest.mark.parametrize("route", ["api:incident-export", "servicedesk:incident-export"])
def test_export_xlsx_and_csv_keep_chinese_text(world, route):
    record = incident(world, title="数据库连接超时", description="财务系统无法登录",
                      affected_system="财务数据库")
    record = services.update_record(record, actor=world.agent, changes={"cause": "连接池耗尽"})
    request = world.request("requester_a", title="数据库连接超时")
    client = world.client("agent")
    url = reverse(route)

    response = client.get(url, {"file_format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())  # Excel reads the UTF-8 right
    header, *rows = csv_rows(response.content)
    assert [row[0] for row in rows] == [record.number]  # incidents only, not the request
    assert request.number not in response.content.decode("utf-8-sig")
    row = dict(zip(header, rows[0], strict=True))
    assert row[zh("title")] == "数据库连接超时"
    assert row[zh("cause analysis")] == "连接池耗尽"
    assert row[zh("affected system / CI")] == "财务数据库"
    assert row[zh("organization")] == "华东制造"

    response = client.get(url, {"file_format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Content-Disposition"].startswith('attachment; filename="incident-')
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header, *rows = [[cell if cell is not None else "" for cell in r]
                     for r in sheet.iter_rows(values_only=True)]
    assert [r[0] for r in rows] == [record.number]
    row = dict(zip(header, rows[0], strict=True))
    assert row[zh("title")] == "数据库连接超时"
    assert row[zh("cause analysis")] == "连接池耗尽"


# --- Scale ------------------------------------------------------------------------------------


def _many_incidents(world, count: int) -> None:
    service = service_of(world, "P", "Network")
    for i in range(count):
        record = incident(world, title=f"故障 {i:03d}", service=service)
        Incident.objects.filter(pk=record.pk).update(
            assignee=world.engineer, owner=world.lead, assignee_team=world.teams["desk"])


def test_api_list_query_count_does_not_grow_with_page_size(world):
    _many_incidents(world, 50)
    client = world.client("agent")

    def count(page_size: int) -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(LIST, {"page_size": page_size})
        assert response.status_code == 200
        assert len(response.json()["results"]) == page_size
        return len(ctx.captured_queries)

    count(5)  # warm-up: session bookkeeping and caches of the first request
    small, large = count(5), count(50)
    assert large == small, (small, large)


def test_ui_list_query_count_does_not_grow_with_the_records_shown(world):
    _many_incidents(world, 30)
    client = browser(world, "agent")

    def count(**filters) -> tuple[int, int]:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/incidents/", filters)
        assert response.status_code == 200
        return len(ui_numbers(response)), len(ctx.captured_queries)

    count()  # warm-up
    shown_few, few = count(q="故障 001")
    shown_page, full = count(q="故障")
    assert (shown_few, shown_page) == (1, 25)
    assert full == few, (few, full)
    _shown, unsearched = count()
    assert unsearched <= few  # a search may add its lookup of the matches' ids
