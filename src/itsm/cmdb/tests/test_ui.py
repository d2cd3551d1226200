"""The CMDB web UI: list, detail with impact analysis, graph, forms, and who may do what."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from itsm.cmdb import services
from itsm.cmdb.models import CIRelation, CIType, ConfigurationItem
from itsm.conftest import PASSWORD, SENTINEL_B

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def ci_type(code: str) -> CIType:
    # The seeded types, also after a transactional test flushed the migration data.
    attributes = {"server": ["ip_address", "os", "cpu", "memory_gb", "location"],
                  "database": ["engine", "version", "host"]}
    return CIType.objects.update_or_create(
        code=code, defaults={"name": code.title(), "attributes": attributes.get(code, [])})[0]


def build_cmdb(world) -> SimpleNamespace:
    """app A and app B (with the sentinel) depend on the provider's database, which runs
    on a server; a request of requester_a touches the database and app A."""
    from itsm.catalog import admin_services
    from itsm.catalog.models import Service

    orgs = world.orgs
    calendar = admin_services.create_calendar(
        actor=None, data={"name": "calendar P", "organization": orgs["P"]}, windows=[])
    svc = {key: admin_services.create_provider_object(Service, actor=None, data={
        "provider": orgs["P"], "code": f"svc-{key}", "name": name, "calendar": calendar,
        "customers": [orgs[key.upper()]]}) for key, name in (("a", "邮件服务 A"),
                                                             ("b", f"ERP {SENTINEL_B}"))}

    def item(org: str, name: str, type_code: str, **data):
        return services.create_item(actor=None, data={
            "organization": orgs[org], "name": name, "ci_type": ci_type(type_code), **data})

    ns = SimpleNamespace(services=svc)
    ns.server = item("P", "数据库服务器01", "server", attributes={"ip_address": "10.0.0.5"})
    ns.db = item("P", "核心数据库", "database", description="Oracle 19c 主库")
    ns.app_a = item("A", "华东邮件系统", "application", service=svc["a"])
    ns.app_b = item("B", f"B 应用 {SENTINEL_B}", "application", service=svc["b"])
    ns.other = item("C", "Customer C router", "network")
    services.add_relation(ns.db, ns.server, kind="runs_on", actor=None)
    services.add_relation(ns.app_a, ns.db, kind="depends_on", actor=None)
    services.add_relation(ns.app_b, ns.db, kind="depends_on", actor=None)
    services.add_relation(ns.other, ns.server, kind="connected_to", actor=None)  # hidden
    ns.request = world.request("requester_a", title="邮件发送失败")
    services.link_record_ci(ns.request, ns.db, actor=None)
    services.link_record_ci(ns.request, ns.app_a, actor=None)
    return ns


@pytest.fixture
def cmdb(world):
    return build_cmdb(world)


def url(name: str, *args) -> str:
    return reverse(f"cmdb:{name}", args=args)


def text(response) -> str:
    return response.content.decode()


def graph_data(response) -> dict:
    match = re.search(r'<script id="cmdb-graph-data" type="application/json">(.*?)</script>',
                      text(response), re.S)
    assert match, "no graph data in the page"
    return json.loads(match.group(1))


# --- Reading -------------------------------------------------------------------------------


def test_staff_list_filters_sorts_and_pages(world, cmdb):
    client = world.client("agent")
    page = text(client.get(url("item-list")))
    for item in (cmdb.server, cmdb.db, cmdb.app_a, cmdb.app_b):
        assert item.name in page
    assert cmdb.other.name not in page  # customer of another provider
    assert 'id="f-organization"' in page

    only_db = text(client.get(url("item-list"), {"ci_type": ci_type("database").pk}))
    assert cmdb.db.name in only_db and cmdb.app_a.name not in only_db
    by_org = text(client.get(url("item-list"), {"organization": world.orgs["A"].pk}))
    assert cmdb.app_a.name in by_org and cmdb.db.name not in by_org
    searched = text(client.get(url("item-list"), {"q": "Oracle"}))  # in the description
    assert cmdb.db.name in searched and cmdb.server.name not in searched
    assert cmdb.app_a.name not in text(client.get(url("item-list"), {"status": "retired"}))
    assert cmdb.app_a.name not in text(client.get(url("item-list"),
                                                  {"environment": "test"}))

    response = client.get(url("item-list"), {"ordering": "description"})
    assert response.status_code == 400
    assert 'id="list-error"' in text(response) and "description" in text(response)
    assert client.get(url("item-list"), {"status": "nonsense"}).status_code == 400
    assert client.get(url("item-list"), {"cursor": "garbage"}).status_code == 400

    first = client.get(url("item-list"), {"ordering": "-name", "page_size": 2})
    names = re.findall(r'<tr data-item="(\d+)">', text(first))
    assert len(names) == 2
    next_link = re.search(r'href="([^"]+)" id="next-page"', text(first)).group(1)
    second = client.get(next_link.replace("&amp;", "&"))
    more = re.findall(r'<tr data-item="(\d+)">', text(second))
    assert more and not set(more) & set(names)
    everything = {str(i.pk) for i in (cmdb.server, cmdb.db, cmdb.app_a, cmdb.app_b)}
    assert set(names) | set(more) == everything


def test_staff_detail_shows_relations_records_and_impact(world, cmdb):
    response = world.client("agent").get(url("item-detail", cmdb.db.pk))
    assert response.status_code == 200
    page = text(response)
    relations = page.split('id="relations"')[1].split('id="impact"')[0]
    assert url("item-detail", cmdb.server.pk) in relations        # outgoing: runs on
    assert url("item-detail", cmdb.app_a.pk) in relations         # incoming: depends on
    assert url("item-detail", cmdb.app_b.pk) in relations
    assert cmdb.other.name not in page                            # another provider's item
    records = page.split('id="records"')[1]
    assert cmdb.request.number in records
    impact = page.split('id="impact"')[1].split('id="item-fields"')[0]
    assert cmdb.app_a.name in impact and cmdb.app_b.name in impact
    assert "邮件服务 A" in impact and f"ERP {SENTINEL_B}" in impact
    orgs = impact.split('id="impact-organizations"')[1].split("</ul>")[0]
    assert world.orgs["A"].name in orgs and world.orgs["B"].name in orgs
    assert cmdb.request.number in impact.split('id="impact-records"')[1]
    assert 'id="edit-item"' in page and 'id="relation-form"' in page
    # attributes on the server's page
    assert "10.0.0.5" in text(world.client("agent").get(url("item-detail", cmdb.server.pk)))
    # the other provider's agent does not know these items
    assert world.client("agent_q").get(url("item-detail", cmdb.db.pk)).status_code == 404


def test_graph_is_the_neighbourhood_within_scope(world, cmdb):
    response = world.client("agent").get(url("item-graph", cmdb.server.pk))
    assert response.status_code == 200
    assert "vendor/echarts/echarts.min.js" in text(response)
    data = graph_data(response)
    ids = {n["id"] for n in data["nodes"]}
    assert ids == {str(i.pk) for i in (cmdb.server, cmdb.db, cmdb.app_a, cmdb.app_b)}
    assert str(cmdb.other.pk) not in ids  # related, but outside the agent's scope
    assert len(data["links"]) == 3
    assert {n["url"] for n in data["nodes"]} >= {url("item-detail", cmdb.db.pk)}
    assert [n["name"] for n in data["nodes"] if n["center"]] == [cmdb.server.name]
    assert {c["name"] for c in data["categories"]} == {"Server", "Database", "Application"} \
        or len(data["categories"]) == 3
    labels = {link["label"] for link in data["links"]}
    assert len(labels) == 2  # runs on, depends on
    # the other provider's agent sees its own item and the server not at all
    assert world.client("agent_q").get(url("item-graph", cmdb.server.pk)).status_code == 404
    graph_c = graph_data(world.client("agent_q").get(url("item-graph", cmdb.other.pk)))
    assert [n["id"] for n in graph_c["nodes"]] == [str(cmdb.other.pk)]
    assert graph_c["links"] == []


def test_customer_admin_sees_only_own_organization(world, cmdb):
    client = world.client("custadmin_a")
    page = text(client.get(url("item-list")))
    assert cmdb.app_a.name in page
    for hidden in (cmdb.db, cmdb.server, cmdb.app_b, cmdb.other):
        assert hidden.name not in page
    assert SENTINEL_B not in page
    assert 'id="f-organization"' not in page
    assert 'id="new-item"' not in page
    # filtering by another organization does not widen the scope
    assert SENTINEL_B not in text(client.get(url("item-list"),
                                             {"organization": world.orgs["B"].pk}))
    for hidden in (cmdb.db, cmdb.server, cmdb.app_b, cmdb.other):
        assert client.get(url("item-detail", hidden.pk)).status_code == 404
        assert client.get(url("item-graph", hidden.pk)).status_code == 404
    detail = client.get(url("item-detail", cmdb.app_a.pk))
    assert detail.status_code == 200
    body = text(detail)
    assert cmdb.db.name not in body  # the provider's database it depends on is not shown
    assert cmdb.request.number in body  # a customer admin sees the organization's records
    assert 'id="impact-organizations"' not in body  # organizations: staff only
    assert 'id="edit-item"' not in body and 'id="relation-form"' not in body
    assert [n["id"] for n in graph_data(client.get(url("item-graph", cmdb.app_a.pk)))
            ["nodes"]] == [str(cmdb.app_a.pk)]
    assert "cmdb/items/" in text(client.get(reverse("servicedesk:request-list")))  # nav


def test_requester_reads_own_organization_items_only_and_own_records(world, cmdb):
    client = world.client("requester_a2")
    assert cmdb.app_a.name in text(client.get(url("item-list")))
    body = text(client.get(url("item-detail", cmdb.app_a.pk)))
    assert cmdb.request.number not in body  # requester_a's request, not theirs
    assert client.get(url("item-detail", cmdb.app_b.pk)).status_code == 404
    assert "cmdb/items/" not in text(client.get(reverse("servicedesk:request-list")))
    assert client.get(url("item-create")).status_code == 403
    assert client.post(url("item-edit", cmdb.app_a.pk), {"name": "x"}).status_code == 403
    assert ConfigurationItem.objects.get(pk=cmdb.app_a.pk).name == cmdb.app_a.name


# --- Writing -------------------------------------------------------------------------------


def test_create_and_edit_with_validation_errors(world, cmdb):
    client = world.client("agent")
    assert client.get(url("item-create")).status_code == 200
    base = {"organization": world.orgs["A"].pk, "ci_type": ci_type("server").pk,
            "status": "active", "environment": "production",
            "description": "机房 3 楼 A02 机柜"}
    # missing name: 400, entered data kept
    response = client.post(url("item-create"), base)
    assert response.status_code == 400
    assert "机房 3 楼 A02 机柜" in text(response)
    assert 'id="error_1_id_name"' in text(response) or "is-invalid" in text(response)
    # an attribute the type does not have: the service's field error
    response = client.post(url("item-create"), {**base, "name": "应用服务器02",
                                                "attributes": '{"colour": "red"}'})
    assert response.status_code == 400
    assert "colour" in text(response) and "应用服务器02" in text(response)
    # malformed JSON: the form's error
    response = client.post(url("item-create"), {**base, "name": "应用服务器02",
                                                "attributes": "{nope"})
    assert response.status_code == 400
    # a duplicate name within the organization
    response = client.post(url("item-create"), {**base, "name": cmdb.app_a.name})
    assert response.status_code == 400
    assert not ConfigurationItem.objects.filter(name="应用服务器02").exists()
    # valid
    response = client.post(url("item-create"), {**base, "name": "应用服务器02",
                                                "attributes": '{"ip_address": "10.1.1.2"}'})
    assert response.status_code == 302
    item = ConfigurationItem.objects.get(name="应用服务器02")
    assert response["Location"] == url("item-detail", item.pk)
    assert item.organization == world.orgs["A"] and item.attributes == {"ip_address": "10.1.1.2"}
    # edit: the form shows the current values; a bad value is a 400 and nothing changes
    assert "10.1.1.2" in text(client.get(url("item-edit", item.pk)))
    edit = {k: v for k, v in base.items() if k != "organization"}
    response = client.post(url("item-edit", item.pk), {**edit, "name": ""})
    assert response.status_code == 400
    response = client.post(url("item-edit", item.pk), {**edit, "name": "应用服务器02",
                                                       "status": "maintenance"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == "maintenance"


def test_add_and_remove_relations(world, cmdb):
    client = world.client("agent")
    add = url("relation-add", cmdb.app_a.pk)
    response = client.post(add, {"kind": "runs_on", "target": cmdb.server.pk})
    assert response.status_code == 302
    relation = CIRelation.objects.get(source=cmdb.app_a, target=cmdb.server, kind="runs_on")
    # the same again: the service's error on the form, 400, choices kept
    response = client.post(add, {"kind": "runs_on", "target": cmdb.server.pk})
    assert response.status_code == 400
    assert 'id="relation-form"' in text(response)
    assert CIRelation.objects.filter(source=cmdb.app_a, target=cmdb.server).count() == 1
    # a target outside the scope is not a choice
    response = client.post(add, {"kind": "depends_on", "target": cmdb.other.pk})
    assert response.status_code == 400
    assert not CIRelation.objects.filter(source=cmdb.app_a, target=cmdb.other).exists()
    # removing a relation that does not touch this item: 404
    unrelated = CIRelation.objects.get(source=cmdb.db, target=cmdb.server)
    response = client.post(url("relation-remove", cmdb.app_a.pk, unrelated.pk))
    assert response.status_code == 404
    response = client.post(url("relation-remove", cmdb.app_a.pk, relation.pk))
    assert response.status_code == 302
    assert not CIRelation.objects.filter(pk=relation.pk).exists()


def test_delete_is_refused_while_open_records_touch_the_item(world, cmdb):
    client = world.client("agent")
    response = client.post(url("item-delete", cmdb.db.pk))
    assert response.status_code == 400
    assert cmdb.request.number in text(response)
    assert ConfigurationItem.objects.filter(pk=cmdb.db.pk).exists()
    response = client.post(url("item-delete", cmdb.server.pk))
    assert response.status_code == 302
    assert not ConfigurationItem.objects.filter(pk=cmdb.server.pk).exists()


def snapshot() -> tuple:
    return (list(ConfigurationItem.objects.order_by("pk").values_list(
                "pk", "name", "status", "organization_id", "updated_at")),
            list(CIRelation.objects.order_by("pk").values_list("pk", "source_id",
                                                               "target_id", "kind")))


def test_auditor_reads_but_cannot_write(world, cmdb):
    client = world.client("auditor")
    assert client.get(url("item-detail", cmdb.db.pk)).status_code == 200
    assert client.get(url("item-graph", cmdb.db.pk)).status_code == 200
    page = text(client.get(url("item-detail", cmdb.db.pk)))
    assert 'id="edit-item"' not in page and 'id="relation-form"' not in page
    before = snapshot()
    relation = CIRelation.objects.get(source=cmdb.db, target=cmdb.server)
    attempts = [
        client.get(url("item-create")),
        client.post(url("item-create"), {"organization": world.orgs["A"].pk,
                                          "name": "x", "ci_type": ci_type("server").pk,
                                          "status": "active", "environment": "production"}),
        client.get(url("item-edit", cmdb.db.pk)),
        client.post(url("item-edit", cmdb.db.pk), {"name": "hacked"}),
        client.post(url("item-delete", cmdb.db.pk)),
        client.post(url("relation-add", cmdb.db.pk), {"kind": "depends_on",
                                                      "target": cmdb.app_a.pk}),
        client.post(url("relation-remove", cmdb.db.pk, relation.pk)),
    ]
    assert [r.status_code for r in attempts] == [403] * len(attempts)
    assert snapshot() == before


# --- In the browser --------------------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOT = Path("/tmp/itsm-cmdb-graph.png")


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed")
def test_graph_renders_in_the_browser(transactional_db, live_server, world):
    sync_api = pytest.importorskip("playwright.sync_api")
    cmdb = build_cmdb(world)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            context = browser.new_context(locale="en-US", viewport={"width": 1280,
                                                                    "height": 900})
            page = context.new_page()
            page.set_default_timeout(15000)
            requested: list[str] = []
            errors: list[str] = []
            page.on("request", lambda r: requested.append(r.url))
            page.on("console", lambda m: m.type == "error" and errors.append(m.text))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(live_server.url + "/accounts/login/")
            page.fill("#id_username", "agent")
            page.fill("#id_password", PASSWORD)
            with page.expect_navigation():
                page.click("button[type=submit]")
            page.goto(live_server.url + url("item-graph", cmdb.db.pk))
            page.wait_for_selector("#cmdb-graph[data-rendered=true] canvas")
            page.wait_for_timeout(1500)  # let the force layout settle for the picture
            size = page.evaluate("""() => {
                const c = document.querySelector('#cmdb-graph canvas');
                return [c.width, c.height, c.getBoundingClientRect().width,
                        c.getBoundingClientRect().height];
            }""")
            assert all(v > 0 for v in size), size
            # something was drawn: the canvas is not blank
            assert page.evaluate("""() => {
                const c = document.querySelector('#cmdb-graph canvas');
                const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                for (let i = 3; i < d.length; i += 4) { if (d[i] !== 0) return true; }
                return false;
            }""")
            page.screenshot(path=str(SCREENSHOT), full_page=True)
            origin = urlsplit(live_server.url)[:2]
            foreign = [u for u in requested if not u.startswith(("data:", "about:", "blob:"))
                       and urlsplit(u)[:2] != origin]
            assert foreign == []
            assert any(u.endswith("vendor/echarts/echarts.min.js") for u in requested)
            assert errors == []
            context.close()
        finally:
            browser.close()
