"""CMDB REST API: CRUD, permissions, relations, impact, graph, import, ticket links."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import Workbook

from itsm.cmdb.models import CIRelation, ConfigurationItem, RecordCI
from itsm.core.tests.scenario import zip_bomb

from .conftest import ci_type

ITEMS = reverse("api:configurationitem-list")
IMPORT = reverse("api:configurationitem-import")


def detail(pk: int, name: str = "detail") -> str:
    return reverse(f"api:configurationitem-{name}", args=[pk])


def test_crud_with_chinese_names_and_field_messages(cmdb):
    world = cmdb.world
    client = world.client("agent")
    payload = {"organization": world.orgs["A"].pk, "ci_type": ci_type("database").pk,
               "name": "生产库-华东", "environment": "production",
               "attributes": {"version": "MySQL 8"}}
    response = client.post(ITEMS, payload, format="json")
    assert response.status_code == 201, response.json()
    pk = response.json()["id"]
    assert response.json()["ci_type_code"] == "database"
    response = client.patch(detail(pk), {"attributes": {"端口": "3306"}}, format="json")
    assert response.status_code == 400
    assert "端口" in response.json()["attributes"][0]
    response = client.post(ITEMS, payload, format="json")
    assert response.status_code == 400  # same name in the same organization
    response = client.post(ITEMS, {**payload, "name": "", "status": "broken"}, format="json")
    assert response.status_code == 400
    assert {"name", "status"} <= set(response.json())
    response = client.patch(detail(pk), {"status": "retired"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "retired"
    assert client.delete(detail(pk)).status_code == 204


def test_list_filters_and_search(cmdb):
    client = cmdb.world.client("agent")
    names = {r["name"] for r in client.get(ITEMS, {"ci_type": "application"}).json()["results"]}
    assert names == {"华东订单系统", cmdb.items["app_b"].name}
    rows = client.get(ITEMS, {"q": "订单"}).json()["results"]
    assert {r["name"] for r in rows} == {"华东订单系统", "订单数据库"}
    rows = client.get(ITEMS, {"organization": cmdb.world.orgs["A"].pk}).json()["results"]
    assert [r["name"] for r in rows] == ["华东订单系统"]
    rows = client.get(ITEMS, {"service": cmdb.services["b"].pk}).json()["results"]
    assert [r["id"] for r in rows] == [cmdb.items["app_b"].pk]


def test_customer_reads_own_organization_only(cmdb, sentinel):
    client = cmdb.world.client("custadmin_a")
    response = client.get(ITEMS)
    assert [r["name"] for r in response.json()["results"]] == ["华东订单系统"]
    assert sentinel not in response.content.decode()
    app_a = cmdb.items["app_a"].pk
    assert client.get(detail(app_a)).status_code == 200
    assert client.patch(detail(app_a), {"name": "x"}, format="json").status_code == 403
    assert client.get(detail(cmdb.items["db"].pk)).status_code == 404
    response = client.post(ITEMS, {"organization": cmdb.world.orgs["A"].pk,
                                   "ci_type": ci_type("server").pk, "name": "x"},
                           format="json")
    assert response.status_code == 403


def test_other_provider_gets_404_and_auditor_403(cmdb):
    world = cmdb.world
    app_a = cmdb.items["app_a"].pk
    q = world.client("agent_q")
    assert q.get(detail(app_a)).status_code == 404
    assert q.patch(detail(app_a), {"name": "x"}, format="json").status_code == 404
    assert q.get(detail(app_a, "impact")).status_code == 404
    auditor = world.client("auditor")
    assert auditor.get(detail(app_a)).status_code == 200
    assert auditor.patch(detail(app_a), {"name": "x"}, format="json").status_code == 403
    assert auditor.delete(detail(app_a)).status_code == 403
    response = auditor.post(ITEMS, {"organization": world.orgs["A"].pk,
                                    "ci_type": ci_type("server").pk, "name": "x"},
                            format="json")
    assert response.status_code == 403
    assert ConfigurationItem.objects.filter(name="x").count() == 0


def test_relations_api(cmdb):
    client = cmdb.world.client("agent")
    url = reverse("api:cirelation-list")
    it = cmdb.items
    response = client.post(url, {"source": it["db"].pk, "target": it["db"].pk,
                                 "kind": "depends_on"}, format="json")
    assert response.status_code == 400 and "target" in response.json()
    response = client.post(url, {"source": it["app_a"].pk, "target": it["db"].pk,
                                 "kind": "depends_on"}, format="json")
    assert response.status_code == 400 and "target" in response.json()
    response = client.post(url, {"source": it["app_a"].pk, "target": it["c"].pk,
                                 "kind": "depends_on"}, format="json")
    assert response.status_code == 400 and "target" in response.json()
    response = client.post(url, {"source": it["app_a"].pk, "target": it["srv"].pk,
                                 "kind": "runs_on"}, format="json")
    assert response.status_code == 201
    pk = response.json()["id"]
    rows = client.get(url, {"item": it["app_a"].pk}).json()["results"]
    assert {r["target"] for r in rows} == {it["db"].pk, it["srv"].pk}
    assert cmdb.world.client("custadmin_a").delete(
        reverse("api:cirelation-detail", args=[pk])).status_code == 404  # srv is P's
    assert client.delete(reverse("api:cirelation-detail", args=[pk])).status_code == 204
    assert not CIRelation.objects.filter(pk=pk).exists()


@pytest.mark.parametrize("value", ["-5.725977282472272e+290", "1.5", str(2**70), "0", "x"])
def test_id_filters_refuse_what_is_not_an_id(cmdb, value):
    """Found by fuzzing: a huge or fractional id in a filter overflowed the database
    integer (a 500); it is a 400 naming the filter."""
    client = cmdb.world.client("agent")
    relations = reverse("api:cirelation-list")
    for url, name in [(relations, "source"), (relations, "target"), (relations, "item"),
                      (ITEMS, "organization"), (ITEMS, "service")]:
        response = client.get(url, {name: value})
        assert response.status_code == 400 and name in response.json(), (url, name)


def test_impact_for_staff_and_customer(cmdb, sentinel):
    world = cmdb.world
    it = cmdb.items
    incident = _incident(world, "requester_a")
    world.client("agent").post(reverse("api:incident-cis", args=[incident.pk]),
                               {"ci": it["app_a"].pk}, format="json")
    data = world.client("agent").get(detail(it["db"].pk, "impact")).json()
    assert {i["id"] for i in data["items"]} == {it["db"].pk, it["srv"].pk, it["app_a"].pk,
                                                it["app_b"].pk}
    assert {s["code"] for s in data["services"]} == {"svc-a", "svc-b"}
    assert {o["code"] for o in data["organizations"]} == {"a", "b"}
    [record] = data["open_records"]
    assert record["number"] == incident.number and record["url"].endswith(
        f"/incidents/{incident.pk}/")
    # The customer sees the impact of its own application only, nothing of B or P.
    client = world.client("custadmin_a")
    data = client.get(detail(it["app_a"].pk, "impact")).json()
    assert [i["id"] for i in data["items"]] == [it["app_a"].pk]
    assert [s["code"] for s in data["services"]] == ["svc-a"]
    assert data["organizations"] == []
    assert [r["number"] for r in data["open_records"]] == [incident.number]
    assert client.get(detail(it["db"].pk, "impact")).status_code == 404


def test_graph_neighbourhood(cmdb, sentinel):
    it = cmdb.items
    data = cmdb.world.client("agent").get(detail(it["app_a"].pk, "graph")).json()
    assert {n["id"] for n in data["nodes"]} == {it["app_a"].pk, it["db"].pk, it["srv"].pk,
                                                it["app_b"].pk}
    assert {(e["source"], e["target"], e["kind"]) for e in data["edges"]} == {
        (it["app_a"].pk, it["db"].pk, "depends_on"), (it["app_b"].pk, it["db"].pk,
                                                      "depends_on"),
        (it["db"].pk, it["srv"].pk, "runs_on"), (it["srv"].pk, it["db"].pk, "depends_on")}
    data = cmdb.world.client("agent").get(detail(it["app_a"].pk, "graph"),
                                          {"depth": 1}).json()
    assert {n["id"] for n in data["nodes"]} == {it["app_a"].pk, it["db"].pk}
    data = cmdb.world.client("custadmin_a").get(detail(it["app_a"].pk, "graph")).json()
    assert [n["id"] for n in data["nodes"]] == [it["app_a"].pk] and data["edges"] == []
    assert sentinel not in str(data)


CSV_HEADER = "name,type,organization,status,environment,owner,service,description,version\n"


def _upload(name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile
    return SimpleUploadedFile(name, content)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_import_csv(cmdb, encoding):
    text = (CSV_HEADER + "华东备份库,database,a,In service,production,agent,,每日备份,11g\n"
            "华东前置机,服务器,a,maintenance,test,,,,\n")
    text = text.replace("服务器", "server")
    response = cmdb.world.client("agent").post(
        IMPORT, {"file": _upload("items.csv", text.encode(encoding))}, format="multipart")
    assert response.status_code == 201, response.json()
    assert response.json() == {"items": 2, "relations": 0}
    item = ConfigurationItem.objects.get(name="华东备份库")
    assert item.attributes == {"version": "11g"} and item.owner == cmdb.world.agent
    assert ConfigurationItem.objects.get(name="华东前置机").status == "maintenance"


def test_import_bad_row_imports_nothing(cmdb):
    text = (CSV_HEADER + "好的一行,database,a,,,,,,\n"
            "坏的一行,机器人,zz,,,,,,\n")
    response = cmdb.world.client("agent").post(
        IMPORT, {"file": _upload("items.csv", text.encode())}, format="multipart")
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["row"] == 3 and {"type", "organization"} <= set(error["messages"])
    assert not ConfigurationItem.objects.filter(name="好的一行").exists()


def test_import_xlsx_with_relations_sheet(cmdb):
    book = Workbook()
    sheet = book.active
    sheet.title = "items"
    sheet.append(["name", "type", "organization", "service", "ip"])
    sheet.append(["报表服务器", "服务器", "p", "", "10.1.1.1"])
    sheet.append(["报表系统", "application", "a", "svc-a", ""])
    relations = book.create_sheet("relations")
    relations.append(["source", "target", "kind"])
    relations.append(["报表系统", "报表服务器", "runs on"])
    relations.append(["报表系统", "订单数据库", "depends_on"])
    buffer = io.BytesIO()
    book.save(buffer)
    ci_type("server").__class__.objects.filter(code="server").update(name="服务器")
    response = cmdb.world.client("agent").post(
        IMPORT, {"file": _upload("cmdb.xlsx", buffer.getvalue())}, format="multipart")
    assert response.status_code == 201, response.json()
    assert response.json() == {"items": 2, "relations": 2}
    app = ConfigurationItem.objects.get(name="报表系统")
    assert app.service == cmdb.services["a"]
    assert set(app.outgoing.values_list("target__name", "kind")) == {
        ("报表服务器", "runs_on"), ("订单数据库", "depends_on")}


def test_import_relations_endpoint_and_permissions(cmdb):
    url = reverse("api:cirelation-import")
    text = "source,target,kind\ndb-srv-01,华东订单系统,part_of\n不存在,订单数据库,depends_on\n"
    client = cmdb.world.client("agent")
    response = client.post(url, {"file": _upload("r.csv", text.encode())}, format="multipart")
    assert response.status_code == 400
    assert [e["row"] for e in response.json()["errors"]] == [3]
    assert not CIRelation.objects.filter(kind="part_of").exists()
    ok = "source,target,kind\ndb-srv-01,华东订单系统,part_of\n"
    response = client.post(url, {"file": _upload("r.csv", ok.encode())}, format="multipart")
    assert response.status_code == 201 and response.json()["relations"] == 1
    for who in ("auditor", "requester_a"):
        response = cmdb.world.client(who).post(
            IMPORT, {"file": _upload("i.csv", (CSV_HEADER + "x,server,a,,,,,,\n").encode())},
            format="multipart")
        assert response.status_code == 403


def _incident(world, requester: str):
    from itsm.core import services
    from itsm.servicedesk.models import Incident

    user = world.users[requester]
    return services.create_record(Incident, actor=user, data={
        "organization": user.profile.organization, "title": "订单系统宕机",
        "description": "无法下单", "requester": user})


@pytest.mark.parametrize("route", ["incident", "servicerequest"])
def test_ticket_ci_links(cmdb, route):
    world = cmdb.world
    ticket = _incident(world, "requester_a") if route == "incident" else world.request(
        "requester_a")
    url = reverse(f"api:{route}-cis", args=[ticket.pk])
    agent = world.client("agent")
    response = agent.post(url, {"ci": cmdb.items["db"].pk}, format="json")
    assert response.status_code == 201
    assert [r["id"] for r in response.json()] == [cmdb.items["db"].pk]
    assert agent.post(url, {"ci": cmdb.items["db"].pk}, format="json").status_code == 400
    assert agent.post(url, {"ci": cmdb.items["c"].pk}, format="json").status_code == 400
    assert world.client("requester_a").post(url, {"ci": cmdb.items["app_a"].pk},
                                            format="json").status_code == 403
    assert world.client("requester_a").get(url).json() == []  # db is P's
    assert world.client("agent_q").get(url).status_code == 404
    data = agent.get(detail(cmdb.items["srv"].pk, "impact")).json()
    assert ticket.number in {r["number"] for r in data["open_records"]}
    response = agent.delete(f"{url}?ci={cmdb.items['db'].pk}")
    assert response.status_code == 200 and response.json() == []
    assert not RecordCI.objects.exists()


def test_ci_types_read_for_all_write_for_admins(cmdb):
    url = reverse("api:citype-list")
    assert cmdb.world.client("requester_a").get(url).status_code == 200
    payload = {"code": "printer", "name": "打印机", "attributes": ["型号"]}
    assert cmdb.world.client("agent").post(url, payload, format="json").status_code == 403
    response = cmdb.world.client("admin").post(url, payload, format="json")
    assert response.status_code == 201 and response.json()["attributes"] == ["型号"]


def test_import_refuses_a_zip_bomb(cmdb, settings):
    """The CMDB import reads files as the ticket import does (core.imports): an XLSX that
    would unpack to more than 4 × the upload limit is a 400, nothing is read."""
    settings.MAX_UPLOAD_BYTES = 10_000
    before = ConfigurationItem.objects.count()
    response = cmdb.world.client("agent").post(
        IMPORT, {"file": _upload("items.xlsx", zip_bomb(50_000))}, format="multipart")
    assert response.status_code == 400
    assert response.json() == {"file": ["工作簿解压后的大小不合理。"]}, response.json()
    assert ConfigurationItem.objects.count() == before
