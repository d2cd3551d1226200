"""Problems (PRB-1): CRUD, workflow, incident links, known-error search, permissions."""

# covers: PRB-1

from __future__ import annotations

import pytest
from django.urls import reverse

from itsm.core import services
from itsm.core.models import AuditEntry
from itsm.problems import services as prb_services
from itsm.problems.models import Problem
from itsm.servicedesk.models import Incident


def problem(world, org: str = "A", requester: str = "requester_a", actor: str = "agent",
            **data) -> Problem:
    return services.create_record(Problem, actor=world.users[actor], data={
        "organization": world.orgs[org], "requester": world.users[requester],
        "title": "邮件服务器反复宕机", "description": "每周一早上邮件服务不可用", **data})


def incident(world, title: str = "邮箱无法登录") -> Incident:
    return services.create_record(Incident, actor=world.requester_a, data={
        "organization": world.orgs["A"], "requester": world.requester_a, "title": title})


def transition(client, pk: int, name: str, values: dict | None = None, comment: str = ""):
    return client.post(reverse("api:problem-transition", args=[pk]),
                       {"transition": name, "values": values or {}, "comment": comment},
                       format="json")


# --- API CRUD ---------------------------------------------------------------------------


def test_agent_creates_reads_updates_and_lists_problems_via_api(world):
    client = world.client("agent")
    response = client.post(reverse("api:problem-list"), {
        "organization": world.orgs["A"].pk, "requester": world.requester_a.pk,
        "title": "数据库连接池耗尽", "description": "高峰期连接超时", "category": "数据库",
        "affected_system": "MES-DB-01"}, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["number"].startswith("PRB-") and len(data["number"]) == len("PRB-2026-000001")
    assert data["status"] == "new" and data["known_error"] is False
    pk = data["id"]
    response = client.patch(reverse("api:problem-detail", args=[pk]),
                            {"root_cause": "连接未释放"}, format="json")
    assert response.status_code == 200 and response.json()["root_cause"] == "连接未释放"
    listed = client.get(reverse("api:problem-list")).json()["results"]
    assert [r["id"] for r in listed] == [pk]
    assert AuditEntry.objects.filter(object_type="problems.problem", object_id=str(pk),
                                     action="update").exists()


def test_known_error_flag_cannot_be_set_directly(world):
    prb = problem(world)
    response = world.client("agent").patch(reverse("api:problem-detail", args=[prb.pk]),
                                           {"known_error": True}, format="json")
    prb.refresh_from_db()
    assert response.status_code in (200, 400) and prb.known_error is False


# --- UI CRUD ---------------------------------------------------------------------------


def test_agent_creates_edits_and_sees_a_problem_in_the_ui(world):
    client = world.client("agent")
    assert client.get(reverse("problems:problem-create")).status_code == 200
    response = client.post(reverse("problems:problem-create"), {
        "organization": world.orgs["A"].pk, "requester": world.requester_a.pk,
        "title": "打印服务间歇中断", "description": "多次报障", "priority": 3})
    assert response.status_code == 302, response.content.decode()[:2000]
    prb = Problem.objects.get(title="打印服务间歇中断")
    response = client.post(reverse("problems:problem-edit", args=[prb.pk]), {
        "organization": world.orgs["A"].pk, "requester": world.requester_a.pk,
        "title": "打印服务间歇中断", "description": "多次报障", "priority": 3,
        "root_cause": "驱动内存泄漏"})
    assert response.status_code == 302
    prb.refresh_from_db()
    assert prb.root_cause == "驱动内存泄漏"
    inc = incident(world)
    prb_services.link_incident(prb, inc, actor=world.agent)
    page = client.get(reverse("problems:problem-detail", args=[prb.pk])).content.decode()
    assert prb.number in page and "驱动内存泄漏" in page
    assert 'id="problem-incidents"' in page and inc.number in page
    listing = client.get(reverse("problems:problem-list")).content.decode()
    assert prb.number in listing


def test_ui_transition_without_workaround_is_refused(world):
    prb = services.transition_record(problem(world), "analyse", actor=world.agent)
    client = world.client("agent")
    client.post(reverse("problems:problem-transition", args=[prb.pk, "known_error"]), {})
    prb.refresh_from_db()
    assert prb.status == "analysing"


# --- Workflow --------------------------------------------------------------------------


def test_full_lifecycle_via_api(world):
    client = world.client("agent")
    pk = problem(world).pk
    assert transition(client, pk, "analyse").status_code == 200
    response = transition(client, pk, "known_error", {"workaround": "重启邮件服务"})
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "known_error" and response.json()["known_error"]
    assert transition(client, pk, "start_fix",
                      {"fix_description": "升级到 2.4.1"}).status_code == 200
    response = transition(client, pk, "resolve")
    assert response.status_code == 200 and response.json()["resolved_at"]
    response = transition(client, pk, "close", {"root_cause": "内存泄漏"})
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "closed" and response.json()["closed_at"]


def test_illegal_transition_is_409(world):
    response = transition(world.client("agent"), problem(world).pk, "resolve")
    assert response.status_code == 409


def test_known_error_without_workaround_is_400(world):
    client = world.client("agent")
    pk = problem(world).pk
    transition(client, pk, "analyse")
    response = transition(client, pk, "known_error")
    assert response.status_code == 400 and "workaround" in response.json()


def _resolved(world, **values) -> Problem:
    prb = problem(world)
    for name in ("analyse", "start_fix", "resolve"):
        prb = services.transition_record(prb, name, actor=world.agent)
    if values:
        prb = services.update_record(prb, actor=world.agent, changes=values)
    return prb


def test_closing_without_root_cause_is_400(world):
    pk = _resolved(world, fix_description="补丁").pk
    response = transition(world.client("agent"), pk, "close")
    assert response.status_code == 400 and "root_cause" in response.json()


def test_closing_without_fix_or_accepted_risk_is_400_naming_both(world):
    pk = _resolved(world).pk
    response = transition(world.client("agent"), pk, "close", {"root_cause": "配置错误"})
    assert response.status_code == 400
    assert {"fix_description", "accepted_risk"} <= set(response.json())
    assert Problem.objects.get(pk=pk).status == "resolved"


def test_closing_with_an_accepted_risk(world):
    pk = _resolved(world).pk
    response = transition(world.client("agent"), pk, "close",
                          {"root_cause": "老旧硬件", "accepted_risk": "设备明年更换，接受风险"})
    assert response.status_code == 200 and response.json()["status"] == "closed"


def test_cancel_needs_a_reason(world):
    client = world.client("agent")
    pk = problem(world).pk
    assert transition(client, pk, "cancel").status_code == 400
    response = transition(client, pk, "cancel", comment="重复问题")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"


# --- Incident links --------------------------------------------------------------------


def test_one_problem_links_many_incidents(world):
    prb = problem(world)
    first, second = incident(world, "邮箱无法登录"), incident(world, "邮件发送失败")
    client = world.client("agent")
    url = reverse("api:problem-incidents", args=[prb.pk])
    assert client.post(url, {"incident": first.number}, format="json").status_code == 201
    assert client.post(url, {"incident": str(second.pk)}, format="json").status_code == 201
    assert {i["number"] for i in client.get(url).json()} == {first.number, second.number}
    assert set(prb_services.incidents_of(prb)) == {first, second}
    # an incident has one causing problem
    other = problem(world, title="另一个问题")
    response = world.client("agent").post(reverse("api:problem-incidents", args=[other.pk]),
                                          {"incident": first.number}, format="json")
    assert response.status_code == 400 and "incident" in response.json()
    # unknown incident
    assert client.post(url, {"incident": "INC-1999-000001"},
                       format="json").status_code == 400


def test_customer_cannot_see_problem_of_their_incident(world):
    prb = problem(world)
    inc = incident(world)
    prb_services.link_incident(prb, inc, actor=world.agent)
    client = world.client("requester_a")
    assert client.get(reverse("api:problem-detail", args=[prb.pk])).status_code == 404
    assert client.get(reverse("api:problem-incidents", args=[prb.pk])).status_code == 404
    assert client.get(reverse("api:problem-list")).json()["results"] == []
    links = client.get(reverse("api:incident-links", args=[inc.pk])).json()
    assert links == []
    admin_client = world.client("custadmin_a")
    assert admin_client.get(reverse("api:problem-detail", args=[prb.pk])).status_code == 404


def test_customer_cannot_link_incidents(world):
    prb = problem(world)
    inc = incident(world)
    response = world.client("requester_a").post(
        reverse("api:problem-incidents", args=[prb.pk]), {"incident": inc.number},
        format="json")
    assert response.status_code == 404
    assert list(prb_services.incidents_of(prb)) == []


# --- Known errors ----------------------------------------------------------------------


def _known_error(world, title: str, workaround: str) -> Problem:
    prb = problem(world, title=title)
    prb = services.transition_record(prb, "analyse", actor=world.agent)
    return services.transition_record(prb, "known_error", actor=world.agent,
                                      values={"workaround": workaround})


def test_known_error_search_in_chinese(world):
    vpn = _known_error(world, "VPN 客户端频繁断线", "改用 TCP 模式连接")
    _known_error(world, "打印机驱动崩溃", "回退驱动版本")
    problem(world, title="VPN 证书过期")  # not a known error
    client = world.client("agent")
    response = client.get(reverse("api:problem-list"), {"known_error": "true", "q": "断线"})
    assert response.status_code == 200
    assert [r["number"] for r in response.json()["results"]] == [vpn.number]
    response = client.get(reverse("api:problem-list"), {"known_error": "true", "q": "VPN"})
    assert [r["number"] for r in response.json()["results"]] == [vpn.number]
    page = client.get(reverse("problems:known-errors"), {"q": "断线"}).content.decode()
    assert vpn.number in page and "打印机驱动崩溃" not in page
    page = client.get(reverse("problems:known-errors")).content.decode()
    assert "VPN 证书过期" not in page and "打印机驱动崩溃" in page


# --- Permissions -----------------------------------------------------------------------


def test_customers_may_not_create_problems(world):
    for username in ("requester_a", "custadmin_a"):
        response = world.client(username).post(reverse("api:problem-list"), {
            "organization": world.orgs["A"].pk, "title": "x"}, format="json")
        assert response.status_code in (403, 404), username
    assert not Problem.objects.exists()


def test_customer_ui_is_refused(world):
    prb = problem(world)
    client = world.client("requester_a")
    assert client.get(reverse("problems:problem-detail", args=[prb.pk])).status_code == 404
    page = client.get(reverse("problems:known-errors"))
    assert prb.number not in page.content.decode()


def test_agent_of_another_provider_gets_404(world):
    prb = problem(world)
    client = world.client("agent_q")
    assert client.get(reverse("api:problem-detail", args=[prb.pk])).status_code == 404
    assert transition(client, prb.pk, "analyse").status_code == 404
    assert client.get(reverse("api:problem-list")).json()["results"] == []
    assert client.get(reverse("problems:problem-detail", args=[prb.pk])).status_code == 404


def test_auditor_reads_but_may_not_write(world):
    prb = problem(world)
    client = world.client("auditor")
    assert client.get(reverse("api:problem-detail", args=[prb.pk])).status_code == 200
    assert client.get(reverse("api:problem-incidents", args=[prb.pk])).status_code == 200
    assert client.patch(reverse("api:problem-detail", args=[prb.pk]), {"title": "x"},
                        format="json").status_code == 403
    assert transition(client, prb.pk, "analyse").status_code == 403
    inc = incident(world)
    assert client.post(reverse("api:problem-incidents", args=[prb.pk]),
                       {"incident": inc.number}, format="json").status_code == 403
    assert client.post(reverse("api:problem-list"), {"organization": world.orgs["A"].pk,
                                                     "title": "x"},
                       format="json").status_code == 403
    prb.refresh_from_db()
    assert prb.status == "new" and prb.title != "x"


@pytest.mark.parametrize("username", ["requester_a", "agent_q"])
def test_link_incident_service_refuses_outsiders(world, username):
    from django.core.exceptions import PermissionDenied, ValidationError

    prb, inc = problem(world), incident(world)
    with pytest.raises((PermissionDenied, ValidationError)):
        prb_services.link_incident(prb, inc, actor=world.users[username])
