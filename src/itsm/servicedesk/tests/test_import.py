"""Bulk import of tickets: JSON rows or CSV/XLSX files, all or nothing, through the full
service path (numbering, SLA clocks, audit, notifications after commit), within scope."""

# covers: GEN-9 (import of lists), GEN-ACCESS (scoping of imported rows), GEN-AUDIT,
# GEN-6 (notifications queued on commit), INC-2 (priority from impact × urgency)

from __future__ import annotations

import io

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook, load_workbook

from itsm.catalog.models import Service, SLAPolicy, SLATarget
from itsm.conftest import SENTINEL_B
from itsm.core.imports import MAX_IMPORT_ROWS, too_many_rows
from itsm.core.models import AuditEntry, BusinessCalendar, Notification
from itsm.core.tests.scenario import zip_bomb
from itsm.servicedesk import sla
from itsm.servicedesk.models import Incident, ServiceRequest

IMPORT = "api:servicerequest-import"


@pytest.fixture
def catalog(world):
    """A 7×24 SLA policy of provider P, a service of P for A and B and one of Q for C."""
    calendar = BusinessCalendar.objects.get_or_create(name="7×24",
                                                      defaults={"always_on": True})[0]
    policy = SLAPolicy.objects.create(provider=world.orgs["P"], name="SLA", calendar=calendar)
    for priority in (1, 2, 3, 4):
        SLATarget.objects.create(policy=policy, priority=priority, response_minutes=30,
                                 resolution_minutes=240)
    mailbox = Service.objects.create(provider=world.orgs["P"], code="mail", name="邮箱服务",
                                     calendar=calendar)
    mailbox.customers.set([world.orgs["A"], world.orgs["B"]])
    other = Service.objects.create(provider=world.orgs["Q"], code="erp",
                                   name=f"ERP {SENTINEL_B}", calendar=calendar)
    other.customers.set([world.orgs["C"]])
    return {"mail": mailbox, "other": other}


def row(world, **data) -> dict:
    return {"organization": world.orgs["A"].pk, "requester": world.requester_a.pk,
            "title": "打印机卡纸", "description": "三楼打印机卡纸", **data}


def post_rows(world, rows: list[dict], username: str = "agent", route: str = IMPORT):
    return world.client(username).post(reverse(route), {"rows": rows}, format="json")


def post_file(world, name: str, content: bytes, username: str = "agent",
              route: str = IMPORT):
    return world.client(username).post(reverse(route),
                                       {"file": SimpleUploadedFile(name, content)},
                                       format="multipart")


def xlsx(rows: list[list]) -> bytes:
    book = Workbook()
    for cells in rows:
        book.active.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def send_jobs(callbacks) -> list:
    """The notification send jobs among on-commit callbacks (core.jobs)."""
    return [c for c in callbacks if c.__qualname__ == "queue_after_commit(_enqueue)"]


# --- JSON --------------------------------------------------------------------------------


def test_json_import_creates_tickets_through_the_service_path(
        world, catalog, django_capture_on_commit_callbacks):
    rows = [row(world, title=f"打印机卡纸 {i}", service=catalog["mail"].pk, impact=2,
                urgency=2) for i in range(3)]
    with django_capture_on_commit_callbacks() as callbacks:
        response = post_rows(world, rows)
        assert mail.outbox == []  # nothing is sent before the import commits
    assert response.status_code == 201, response.json()
    body = response.json()
    tickets = list(ServiceRequest.objects.order_by("pk"))
    assert body["created"] == 3 and body["numbers"] == [t.number for t in tickets]
    first = int(tickets[0].number.rsplit("-", 1)[1])
    assert [t.number for t in tickets] == [f"REQ-{tickets[0].number.split('-')[1]}-{n:06d}"
                                           for n in range(first, first + 3)]
    for ticket in tickets:
        clocks = sla.clocks_of(ticket)
        assert set(clocks) == {"response", "resolution"}
        assert clocks["resolution"].due_at is not None and ticket.due_at is not None
        assert ticket.priority == 2  # impact × urgency (INC-2), as one by one
        assert AuditEntry.objects.filter(object_type="servicedesk.servicerequest",
                                         object_id=str(ticket.pk), action="create",
                                         actor_id=world.agent.pk).count() == 1
        assert ticket.timeline.filter(kind="created").count() == 1
    entry = AuditEntry.objects.get(object_type="servicedesk.servicerequest",
                                   object_id="import")
    assert entry.actor_id == world.agent.pk and entry.source == "api"
    assert entry.changes == {"rows": 3, "format": "json", "first": tickets[0].number,
                             "last": tickets[-1].number}
    # One notification (the requester hears of receipt) and one send job per ticket,
    # queued after the commit — and sent when the jobs run.
    notifications = Notification.objects.filter(event="record_created")
    assert notifications.count() == 3
    assert len(send_jobs(callbacks)) == 3
    for job in send_jobs(callbacks):
        job()
    assert len([m for m in mail.outbox if world.requester_a.email in m.to]) == 3


def test_incidents_import_with_their_own_fields(world):
    response = post_rows(world, [row(world, title="VPN 断线", cause="证书过期")],
                         route="api:incident-import")
    assert response.status_code == 201, response.json()
    incident = Incident.objects.get(number=response.json()["numbers"][0])
    assert (incident.title, incident.cause) == ("VPN 断线", "证书过期")
    assert ServiceRequest.objects.count() == 0


def test_a_bad_row_imports_nothing_and_names_row_and_field(
        world, django_capture_on_commit_callbacks):
    before = ServiceRequest.objects.count()
    audit_before = AuditEntry.objects.count()
    rows = [row(world), row(world, title=""), row(world, priority=9), row(world)]
    with django_capture_on_commit_callbacks() as callbacks:
        response = post_rows(world, rows)
    assert response.status_code == 400
    errors = response.json()["rows"]
    assert set(errors) == {"2", "3"}
    assert list(errors["2"]) == ["title"] and list(errors["3"]) == ["priority"]
    assert ServiceRequest.objects.count() == before
    assert AuditEntry.objects.count() == audit_before
    assert send_jobs(callbacks) == []


def test_a_row_the_service_layer_refuses_rolls_back_the_rows_before_it(
        world, django_capture_on_commit_callbacks):
    """A requester of B on a ticket of A passes the serializer (both are in the agent's
    scope) and is refused by the service layer: the rows already created are undone."""
    with django_capture_on_commit_callbacks() as callbacks:
        response = post_rows(world, [row(world), row(world, requester=world.requester_b.pk),
                                     row(world)])
    assert response.status_code == 400
    assert list(response.json()["rows"]) == ["2"]
    assert "requester" in response.json()["rows"]["2"]
    assert ServiceRequest.objects.count() == 0
    assert Notification.objects.count() == 0 and send_jobs(callbacks) == []
    assert not AuditEntry.objects.filter(object_type="servicedesk.servicerequest").exists()


def unknown_message(response, row_number: str, field: str) -> str:
    return response.json()["rows"][row_number][field][0]


def test_objects_of_another_provider_are_row_errors_like_unknown_ids(world, catalog):
    """agent_q (provider Q) names B's organization, person and P's service and team:
    each is the error an id that does not exist gets, and nothing of B is shown."""
    missing = 10**9
    rows = [
        {"organization": world.orgs["B"].pk, "requester": world.requester_c.pk, "title": "x"},
        {"organization": world.orgs["C"].pk, "requester": world.requester_b.pk, "title": "x",
         "service": catalog["mail"].pk, "assignee_team": world.teams["desk"].pk},
        {"organization": missing, "requester": missing, "title": "x", "service": missing,
         "assignee_team": missing},
    ]
    response = post_rows(world, rows, username="agent_q")
    assert response.status_code == 400
    text = response.content.decode()
    assert SENTINEL_B not in text and "华东制造" not in text and "一线服务台" not in text
    errors = response.json()["rows"]
    assert set(errors) == {"1", "2", "3"}
    for field, pk in [("organization", world.orgs["B"].pk),
                      ("requester", world.requester_b.pk),
                      ("service", catalog["mail"].pk),
                      ("assignee_team", world.teams["desk"].pk)]:
        hidden = unknown_message(response, "1" if field == "organization" else "2", field)
        assert hidden == unknown_message(response, "3", field).replace(str(missing), str(pk))
    assert ServiceRequest.objects.count() == 0


# --- Permissions and limits ------------------------------------------------------------------


@pytest.mark.parametrize("username", ["requester_a", "custadmin_a", "auditor"])
def test_customers_and_auditors_may_not_import(world, username):
    for route in (IMPORT, "api:incident-import"):
        response = post_rows(world, [row(world)], username=username, route=route)
        assert response.status_code == 403
        response = post_file(world, "t.csv", b"title\nx\n", username=username, route=route)
        assert response.status_code == 403
    assert ServiceRequest.objects.count() == Incident.objects.count() == 0


def test_more_rows_than_the_limit_are_refused(world):
    rows = [{"title": "x"}] * (MAX_IMPORT_ROWS + 1)
    response = post_rows(world, rows)
    assert response.status_code == 400
    with translation.override("zh-hans"):  # the agent's language
        assert response.json() == {"rows": [too_many_rows()]}
    csv = "title,organization\n" + "x,a\n" * (MAX_IMPORT_ROWS + 1)
    response = post_file(world, "t.csv", csv.encode())
    assert response.status_code == 400 and list(response.json()) == ["file"]
    assert ServiceRequest.objects.count() == 0


@pytest.mark.parametrize(("body", "field"), [
    ({"rows": []}, "rows"), ({"rows": "x"}, "rows"), ({}, "rows"), ([1, 2], "rows")])
def test_a_body_without_rows_is_a_400(world, body, field):
    response = world.client("agent").post(reverse(IMPORT), body, format="json")
    assert response.status_code == 400 and field in response.json()


def test_an_upload_over_the_size_limit_is_413(world, settings):
    settings.MAX_UPLOAD_BYTES = 100
    response = post_file(world, "t.csv", b"title\n" + b"x" * 200 + b"\n")
    assert response.status_code == 413
    assert ServiceRequest.objects.count() == 0


# --- Files -------------------------------------------------------------------------------------


def test_csv_utf8_with_bom_and_export_headings(world, catalog):
    """The headings our export writes (here in Chinese), codes, user names and labels."""
    content = ("\ufeff标题,组织,请求人,优先级,渠道,服务,服务团队\n"
               "邮箱无法登录,a,requester_a,紧急,电话,mail,一线服务台\n"
               "\n"  # a blank line is skipped (and keeps the row numbers of the file)
               "打印机卡纸,华东制造,requester_a@example.cn,一般,Email,邮箱服务,\n")
    response = post_file(world, "工单.csv", content.encode("utf-8"))
    assert response.status_code == 201, response.json()
    first, second = ServiceRequest.objects.order_by("pk")
    assert (first.title, first.priority, first.channel, first.service_id,
            first.assignee_team_id) == ("邮箱无法登录", 1, "phone", catalog["mail"].pk,
                                        world.teams["desk"].pk)
    assert (second.title, second.organization_id, second.requester_id, second.priority,
            second.channel) == ("打印机卡纸", world.orgs["A"].pk, world.requester_a.pk, 3,
                                "email")
    assert AuditEntry.objects.get(object_id="import").changes["format"] == "csv"


def test_csv_in_gb18030_as_chinese_excel_writes_it(world):
    content = "标题,描述,组织,请求人\n打印机卡纸,三楼东侧打印机卡纸，无法打印,a,requester_a\n"
    response = post_file(world, "工单.csv", content.encode("gb18030"))
    assert response.status_code == 201, response.json()
    ticket = ServiceRequest.objects.get()
    assert (ticket.title, ticket.description) == ("打印机卡纸", "三楼东侧打印机卡纸，无法打印")


def test_file_row_numbers_count_the_heading_row(world):
    content = "title,organization,requester,priority\nok,a,requester_a,\n,a,requester_a,\n" \
              "ok,a,nobody,urgent\n"
    response = post_file(world, "t.csv", content.encode())
    assert response.status_code == 400
    errors = response.json()["rows"]
    assert set(errors) == {"3", "4"}
    assert "title" in errors["3"] and list(errors["4"]) == ["requester"]
    assert ServiceRequest.objects.count() == 0


def test_names_outside_the_scope_are_unknown_names(world, catalog):
    """agent_q writes B's organization, B's person and P's service by code and name:
    refused exactly like names nobody has, with nothing of B in the answer."""
    theirs, unknown = ("b", "requester_b", "mail"), ("zz", "nobody", "nothing")
    content = "title,organization,requester,service\n" + "".join(
        f"x,{org},{person},{service}\n" for org, person, service in (theirs, unknown))
    response = post_file(world, "t.csv", content.encode(), username="agent_q")
    assert response.status_code == 400
    assert SENTINEL_B not in response.content.decode()
    errors = response.json()["rows"]
    assert set(errors["2"]) == {"organization", "requester", "service"}
    for field, mine, nobodys in zip(("organization", "requester", "service"), theirs, unknown,
                                    strict=True):
        assert errors["2"][field] == [m.replace(nobodys, mine) for m in errors["3"][field]]
        assert mine in errors["2"][field][0]


def test_unknown_columns_are_refused(world):
    response = post_file(world, "t.csv", b"titel,organization\nx,a\n")
    assert response.status_code == 400
    assert "titel" in response.json()["file"][0]


def test_an_unreadable_workbook_is_a_400(world):
    response = post_file(world, "t.xlsx", b"PK\x03\x04 not really a zip")
    assert response.status_code == 400 and "file" in response.json()


def test_xlsx_with_english_headings(world, catalog):
    content = xlsx([["Title", "Organization", "Requester", "Impact", "Urgency", "Service"],
                    ["VPN down", "a", "requester_a", "Whole organization",
                     "Critical: work has stopped", "mail"],
                    ["Printer", "a", "requester_a", 4, 4, None]])
    response = post_file(world, "tickets.xlsx", content)
    assert response.status_code == 201, response.json()
    vpn, printer = ServiceRequest.objects.order_by("pk")
    assert (vpn.impact, vpn.urgency, vpn.priority, vpn.service_id) == (1, 1, 1,
                                                                       catalog["mail"].pk)
    assert (printer.impact, printer.urgency, printer.service_id) == (4, 4, None)


def test_an_exported_list_imports_again(world, catalog):
    """The XLSX export of the list (read-only columns included) is a valid import."""
    world.client("agent").post(reverse("api:servicerequest-list"), row(
        world, title="=SUM(A1)", service=catalog["mail"].pk, category="邮件"), format="json")
    exported = world.client("agent").get(reverse("api:servicerequest-export"),
                                         {"file_format": "xlsx"})
    assert exported.status_code == 200
    sheet = load_workbook(io.BytesIO(exported.content)).active
    assert "'=SUM(A1)" in next(sheet.iter_rows(min_row=2, values_only=True))
    response = post_file(world, "export.xlsx", exported.content)
    assert response.status_code == 201, response.json()
    original, copy = ServiceRequest.objects.order_by("pk")
    for name in ("title", "organization_id", "requester_id", "service_id", "category",
                 "priority", "channel", "impact", "urgency"):
        assert getattr(copy, name) == getattr(original, name), name
    assert copy.title == "=SUM(A1)"  # the export's protective apostrophe is removed again


# --- Web UI ------------------------------------------------------------------------------------


@pytest.fixture
def english(world):
    for username in ("agent", "auditor", "requester_a"):
        world.users[username].profile.language = "en"
        world.users[username].profile.save()
    return world


def test_the_list_offers_the_import_to_staff_who_may_write(english):
    url = reverse("servicedesk:request-list")
    assert b'id="import-records"' in english.client("agent").get(url).content
    assert b'id="import-records"' not in english.client("auditor").get(url).content
    assert english.client("requester_a").get(
        reverse("servicedesk:request-import")).status_code == 403
    assert english.client("auditor").get(
        reverse("servicedesk:incident-import")).status_code == 403


def test_the_upload_page_imports_a_file_and_says_how_many(english):
    client = english.client("agent")
    page = client.get(reverse("servicedesk:incident-import"))
    assert page.status_code == 200 and b'id="import-form"' in page.content
    content = "title,organization,requester\n显示器黑屏,a,requester_a\n网络中断,a,requester_a\n"
    response = client.post(reverse("servicedesk:incident-import"),
                           {"file": SimpleUploadedFile("t.csv", content.encode())})
    assert response.status_code == 302
    assert response["Location"] == reverse("servicedesk:incident-list")
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["2 tickets imported."]
    assert Incident.objects.count() == 2


def test_the_upload_page_lists_errors_per_row_and_field(english):
    client = english.client("agent")
    content = "title,organization,requester\n,a,requester_a\nok,a,nobody\n"
    response = client.post(reverse("servicedesk:request-import"),
                           {"file": SimpleUploadedFile("t.csv", content.encode())})
    assert response.status_code == 400
    assert response.context["row_errors"][0][:2] == (2, "title")
    assert response.context["row_errors"][1][:2] == (3, "requester")
    html = response.content.decode()
    assert "Nothing was imported" in html and html.count('class="import-error"') == 2
    response = client.post(reverse("servicedesk:request-import"),
                           {"file": SimpleUploadedFile("t.csv", b"titel\nx\n")})
    assert response.status_code == 400 and "titel" in response.content.decode()
    assert ServiceRequest.objects.count() == 0


def test_nul_characters_in_a_file_are_row_errors(world):
    """PostgreSQL refuses NUL in text: such a cell is a row error, never a 500."""
    response = post_file(world, "t.csv",
                         b"title,organization,requester\nx\x00y,a\x00,requester_a\n")
    assert response.status_code == 400
    assert set(response.json()["rows"]["2"]) == {"title", "organization"}


UNREADABLE_CSV = b'title\n"' + b"x" * 200_000 + b'"\n'  # past the csv module's field limit


@pytest.mark.parametrize(("name", "content", "limit", "message"), [
    # may unpack to 4 × 10,000 bytes: 50,000 is refused before openpyxl reads it
    ("bomb.xlsx", zip_bomb(50_000), 10_000, "The workbook unpacks to an unreasonable size."),
    ("t.csv", UNREADABLE_CSV, 300_000, "The file is not readable CSV: %(error)s"),
])
def test_files_that_would_exhaust_the_server_are_400(world, settings, name, content, limit,
                                                     message):
    settings.MAX_UPLOAD_BYTES = limit
    response = post_file(world, name, content)
    assert response.status_code == 400
    with translation.override("zh-hans"):  # the agent's language
        expected = translation.gettext(message).split("%(error)s")[0]
    [text] = response.json()["file"]
    assert text.startswith(expected) and expected
    assert ServiceRequest.objects.count() == 0
