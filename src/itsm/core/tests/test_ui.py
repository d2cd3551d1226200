"""The web UI as its users meet it: login, lists, detail, forms, actions, portal, language.

Django's test client drives the real URL map, middleware and templates. Texts are
compared in the language the page is in: a helper evaluates the same gettext call
under zh-Hans, so the tests hold whether or not the Chinese catalogue is compiled
yet, and assert Chinese text where a translation exists.
"""

from __future__ import annotations

import html
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from itsm.conftest import PASSWORD
from itsm.core import services
from itsm.servicedesk.models import ServiceRequest

pytestmark = pytest.mark.django_db

LIST = "/requests/"
User = get_user_model()


def page(response) -> str:
    return html.unescape(response.content.decode())


def zh(text: str, **params) -> str:
    """``text`` as a zh-Hans page shows it (English if not translated yet)."""
    with translation.override("zh-hans"):
        result = gettext(text)
    return result % params if params else result


def translated(text: str) -> bool:
    with translation.override("zh-hans"):
        return gettext(text) != text


def client_for(world, username: str) -> Client:
    client = Client()
    client.force_login(world.users[username])
    return client


def numbers_in(response) -> list[str]:
    return re.findall(r'<a href="/requests/\d+/">(REQ-\d{4}-\d{6})</a>', response.content.decode())


def detail_url(record) -> str:
    return f"/requests/{record.pk}/"


def transition_url(record, name: str) -> str:
    return f"/requests/{record.pk}/transition/{name}/"


# --- Login and logout ------------------------------------------------------------------


def test_login_page_renders_in_chinese_by_default(world):
    response = Client().get("/accounts/login/")
    assert response.status_code == 200
    text = page(response)
    assert '<html lang="zh-hans">' in text
    assert response["Content-Language"] == "zh-hans"
    assert 'name="username"' in text and 'type="password"' in text
    assert "csrfmiddlewaretoken" in text
    if translated("Log in"):
        assert zh("Log in") in text
        assert ">Log in<" not in text


def test_login_page_ignores_browser_language(world):
    response = Client(headers={"accept-language": "en-US,en;q=0.9"}).get("/accounts/login/")
    assert '<html lang="zh-hans">' in page(response)


def test_login_with_right_password_opens_the_workspace(world):
    client = Client()
    response = client.post("/accounts/login/", {"username": "agent", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    response = client.get("/")
    assert response.status_code == 200  # the home page (工作台), no detour
    assert response.context["user"].username == "agent"
    assert 'id="widget-my-work"' in response.content.decode()


def test_login_honours_a_local_next_and_refuses_a_foreign_one(world):
    client = Client()
    response = client.post("/accounts/login/?next=/requests/new/",
                           {"username": "agent", "password": PASSWORD, "next": "/requests/new/"})
    assert response["Location"] == "/requests/new/"
    client = Client()
    response = client.post("/accounts/login/", {"username": "agent", "password": PASSWORD,
                                                "next": "https://evil.example.com/"})
    assert response.status_code == 302
    assert "evil" not in response["Location"]


def test_login_with_wrong_password_shows_a_form_error(world):
    client = Client()
    response = client.post("/accounts/login/", {"username": "agent", "password": "wrong-password"})
    assert response.status_code == 200
    text = page(response)
    assert "alert-danger" in text
    with translation.override("zh-hans"):
        expected = AuthenticationForm.error_messages["invalid_login"] % {
            "username": User._meta.get_field("username").verbose_name}
    assert str(expected) in text
    assert 'value="agent"' in text  # the username is kept
    assert "_auth_user_id" not in client.session
    assert client.get(LIST)["Location"].startswith("/accounts/login/")


def test_logout_requires_post_and_ends_the_session(world):
    client = Client()
    client.post("/accounts/login/", {"username": "agent", "password": PASSWORD})
    assert client.get(LIST).status_code == 200
    assert client.get("/accounts/logout/").status_code == 405
    assert client.get(LIST).status_code == 200  # still logged in
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    response = client.get(LIST)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/requests/")


def test_anonymous_user_is_sent_to_login(world):
    record = world.request("requester_a")
    for url in (LIST, detail_url(record), "/requests/new/"):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


# --- Agent list --------------------------------------------------------------------------


@pytest.fixture
def mixed(world):
    """Four requests in different states and priorities, two assigned to the agent."""
    printer = world.request("requester_a", title="打印机卡纸", description="三楼")
    vpn = world.request("requester_a2", title="VPN 无法连接", description="remote")
    vpn = services.update_record(vpn, actor=world.agent, changes={"priority": 1})
    mail = world.request("requester_b", title="Mailbox full", description="quota")
    done = world.request("requester_a", title="Password reset", description="locked")
    services.transition_record(vpn, "start", actor=world.agent, values={"assignee": world.agent})
    services.transition_record(done, "start", actor=world.agent,
                               values={"assignee": world.agent})
    services.transition_record(done, "resolve", actor=world.agent, values={"resolution": "ok"})
    done = services.transition_record(done, "close", actor=world.agent)
    return {"printer": printer, "vpn": vpn, "mail": mail, "done": done}


def test_agent_list_opens_on_open_work_of_the_customers_served(world, mixed):
    """The queue defaults to open work; the "All" tab (``open=``) adds finished ones, and
    paging or sorting keeps the default."""
    agent = client_for(world, "agent")
    response = agent.get(LIST)
    assert response.status_code == 200
    text = page(response)
    assert 'class="workspace"' in text
    open_work = sorted(r.number for key, r in mixed.items() if key != "done")
    assert sorted(numbers_in(response)) == open_work
    assert 'id="f-open" checked' in text
    assert 'class="nav-link active" href="?" id="queue-open"' in text
    assert sorted(numbers_in(agent.get(LIST, {"ordering": "-created_at"}))) == open_work
    everything = agent.get(LIST, {"open": ""})
    assert sorted(numbers_in(everything)) == sorted(r.number for r in mixed.values())
    assert 'class="nav-link active" href="?open=" id="queue-all"' in page(everything)
    assert "打印机卡纸" in text
    assert "/requests/export/?" in text  # staff can export
    assert 'name="organization"' in text


def test_agent_list_is_scoped_to_the_provider(world, mixed):
    response = client_for(world, "agent_q").get(LIST)
    assert response.status_code == 200
    assert numbers_in(response) == []


@pytest.mark.parametrize(("query", "expected"), [
    ({"q": "打印机"}, ["printer"]),
    ({"q": "vpn"}, ["vpn"]),
    ({"q": "quota"}, ["mail"]),
    ({"status": "in_progress"}, ["vpn"]),
    ({"status": "closed"}, ["done"]),
    ({"priority": "1"}, ["vpn"]),
    ({"open": "true"}, ["printer", "vpn", "mail"]),
    ({"mine": "true"}, ["vpn", "done"]),
    ({"mine": "true", "open": "true"}, ["vpn"]),
])
def test_agent_list_filters(world, mixed, query, expected):
    response = client_for(world, "agent").get(LIST, query)
    assert response.status_code == 200
    assert sorted(numbers_in(response)) == sorted(mixed[k].number for k in expected)


def test_list_organization_filter_is_a_styled_select_that_keeps_the_choice(world, mixed):
    org_b = world.orgs["B"]
    response = client_for(world, "agent").get(LIST, {"organization": org_b.pk})
    assert numbers_in(response) == [mixed["mail"].number]
    text = page(response)
    select = text.split('name="organization"')[0].rsplit("<select", 1)[1]
    assert "form-select" in select
    assert f'<option value="{org_b.pk}" selected>' in text
    assert f'<option value="{world.orgs["C"].pk}"' not in text  # another provider's customer


def test_list_search_by_number(world, mixed):
    response = client_for(world, "agent").get(LIST, {"q": mixed["mail"].number.lower()})
    assert numbers_in(response) == [mixed["mail"].number]


def test_list_filter_keeps_the_entered_values(world, mixed):
    response = client_for(world, "agent").get(LIST, {"q": "打印机", "status": "new",
                                                     "open": "true"})
    text = page(response)
    assert 'name="q" value="打印机"' in text
    assert '<option value="new" selected>' in text
    assert 'id="f-open" checked' in text


def test_list_sort_links_sort_and_toggle(world):
    created = [world.request("requester_a", title=f"排序 {i}") for i in range(3)]
    client = client_for(world, "agent")
    response = client.get(LIST)
    text = page(response)
    assert numbers_in(response) == [r.number for r in reversed(created)]  # newest first
    assert 'href="?ordering=number"' in text
    response = client.get(LIST, {"ordering": "number"})
    assert response.status_code == 200
    assert numbers_in(response) == [r.number for r in created]
    assert 'href="?ordering=-number"' in page(response)  # the link toggles the direction
    response = client.get(LIST, {"ordering": "-number"})
    assert numbers_in(response) == [r.number for r in reversed(created)]


def test_sort_links_keep_filters(world, mixed):
    response = client_for(world, "agent").get(LIST, {"status": "new", "cursor": "x"})
    # a sort link keeps the filter and starts again at the first page
    assert 'href="?status=new&ordering=number"' in page(response)


def test_list_cursor_pagination(world):
    for i in range(30):
        world.request("requester_a", title=f"分页 {i:02d}")
    client = client_for(world, "agent")
    first = client.get(LIST)
    assert first.status_code == 200
    first_numbers = numbers_in(first)
    assert len(first_numbers) == 25
    text = page(first)
    assert 'id="next-page"' in text and 'id="prev-page"' not in text
    next_link = re.search(r'href="([^"]+)" id="next-page"', text).group(1)
    second = client.get(next_link)
    assert second.status_code == 200
    second_numbers = numbers_in(second)
    assert len(second_numbers) == 5
    assert not set(first_numbers) & set(second_numbers)
    text = page(second)
    assert 'id="prev-page"' in text and 'id="next-page"' not in text
    previous_link = re.search(r'href="([^"]+)" id="prev-page"', text).group(1)
    assert numbers_in(client.get(previous_link)) == first_numbers


def test_list_pagination_follows_the_chosen_sort(world):
    for i in range(30):
        world.request("requester_a", title=f"分页 {i:02d}")
    client = client_for(world, "agent")
    first = client.get(LIST, {"ordering": "number"})
    assert numbers_in(first)[0].endswith("-000001")
    next_link = re.search(r'href="([^"]+)" id="next-page"', page(first)).group(1)
    assert "ordering=number" in next_link
    assert numbers_in(client.get(next_link))[-1].endswith("-000030")


@pytest.mark.parametrize("query", [
    {"ordering": "junk"},
    {"ordering": "organization__name"},
    {"ordering": "-password"},
    {"priority": "9"},
    {"status": "nonsense"},
])
def test_list_junk_parameters_show_an_error_with_400(world, mixed, query):
    response = client_for(world, "agent").get(LIST, query)
    assert response.status_code == 400
    text = page(response)
    assert 'id="list-error"' in text
    assert "<html" in text  # the full page, with navigation to go on from


def test_list_junk_ordering_names_the_valid_fields(world):
    response = client_for(world, "agent").get(LIST, {"ordering": "junk"})
    text = page(response)
    assert "junk" in text
    assert "created_at" in text


@pytest.mark.parametrize("cursor", ["garbage", "x", "cD0yMDI2"])
def test_list_junk_cursor_is_an_error_not_a_500(world, mixed, cursor):
    response = client_for(world, "agent").get(LIST, {"cursor": cursor})
    assert response.status_code == 400
    assert 'id="list-error"' in page(response)


# --- Detail ------------------------------------------------------------------------------


def test_detail_shows_record_timeline_comments_attachments_and_actions(world):
    record = world.request("requester_a", title="打印机卡纸", description="三楼东侧打印机")
    services.add_comment(record, actor=world.agent, body="我们马上派人处理")
    services.add_attachment(record, actor=world.requester_a,
                            upload=SimpleUploadedFile("照片.jpg", b"\xff\xd8jpeg"))
    response = client_for(world, "agent").get(detail_url(record))
    assert response.status_code == 200
    text = page(response)
    assert record.number in text and "打印机卡纸" in text and "三楼东侧打印机" in text
    assert 'data-status="new"' in text
    timeline = text.split('id="timeline"')[1].split("</ul>")[0]
    assert timeline.count("<li") == 3
    assert 'data-kind="created"' in timeline and 'data-kind="commented"' in timeline
    assert 'data-kind="attached"' in timeline
    assert zh("created %(number)s", number=record.number) in timeline
    assert "我们马上派人处理" in timeline
    attachments = text.split('id="attachments"')[1].split("</ul>")[0]
    assert "照片.jpg" in attachments
    # the actions an agent may take on a new request, and none it may not
    for name in ("assign", "start", "cancel"):
        assert f'id="transition-{name}"' in text
    for name in ("resolve", "close", "reopen"):
        assert f'id="transition-{name}"' not in text
    assert 'id="edit-record"' in text
    assert 'id="comment-form"' in text


def test_detail_of_another_providers_record_is_not_found(world):
    record = world.request("requester_c")
    response = client_for(world, "agent").get(detail_url(record))
    assert response.status_code == 404
    assert record.number not in page(response)
    assert client_for(world, "agent").get(f"/requests/{record.pk}/edit/").status_code == 404
    response = client_for(world, "agent").post(transition_url(record, "cancel"),
                                               {"t-cancel-comment": "x"})
    assert response.status_code == 404
    record.refresh_from_db()
    assert record.status == "new"


def test_detail_for_read_only_auditor_offers_no_actions(world):
    record = world.request("requester_a")
    response = client_for(world, "auditor").get(detail_url(record))
    assert response.status_code == 200
    text = page(response)
    assert 'id="transition-' not in text
    assert 'id="edit-record"' not in text
    assert 'id="comment-form"' not in text


# --- Create and edit ---------------------------------------------------------------------


def test_agent_creates_a_request(world):
    client = client_for(world, "agent")
    response = client.get("/requests/new/")
    assert response.status_code == 200
    assert 'name="organization"' in page(response)
    response = client.post("/requests/new/", {
        "organization": world.orgs["A"].pk, "requester": world.requester_a.pk,
        "title": "会议室投影仪不亮", "description": "3 楼大会议室", "channel": "phone",
        "priority": "2", "category": "",
    })
    assert response.status_code == 302
    record = ServiceRequest.objects.get(title="会议室投影仪不亮")
    assert response["Location"] == detail_url(record)
    assert record.organization == world.orgs["A"] and record.requester == world.requester_a
    assert record.created_by == world.agent and record.priority == 2
    response = client.get(response["Location"])
    assert zh("%(number)s saved.", number=record.number) in page(response)


def test_create_without_title_shows_errors_and_keeps_the_entered_data(world):
    client = client_for(world, "agent")
    response = client.post("/requests/new/", {
        "organization": world.orgs["A"].pk, "requester": world.requester_a.pk,
        "title": "", "description": "已经填写的描述", "channel": "phone", "priority": "2",
    })
    assert response.status_code == 400
    text = page(response)
    assert "已经填写的描述" in text
    assert 'id="error_1_id_title"' in text or "is-invalid" in text
    assert zh("This field is required.") in text
    assert f'<option value="{world.requester_a.pk}" selected>' in text
    assert ServiceRequest.objects.count() == 0


def test_create_for_a_requester_of_another_organization_is_refused(world):
    response = client_for(world, "agent").post("/requests/new/", {
        "organization": world.orgs["A"].pk, "requester": world.requester_b.pk,
        "title": "错误的申请人", "channel": "phone", "priority": "3",
    })
    assert response.status_code == 400
    assert zh("The requester must belong to the record's organization.") in page(response)
    assert ServiceRequest.objects.count() == 0


def test_agent_edits_a_request(world):
    record = world.request("requester_a")
    client = client_for(world, "agent")
    response = client.get(f"/requests/{record.pk}/edit/")
    assert response.status_code == 200
    text = page(response)
    assert f'name="version" value="{record.version}"' in text
    assert 'name="organization"' not in text  # the organization is fixed once created
    response = client.post(f"/requests/{record.pk}/edit/", {
        "version": record.version, "requester": world.requester_a.pk,
        "title": "打印机卡纸（已确认）", "description": record.description,
        "channel": "portal", "priority": "1",
    })
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.title == "打印机卡纸（已确认）" and record.priority == 1 and record.version == 2


def test_edit_with_a_stale_version_shows_the_conflict(world):
    record = world.request("requester_a")
    stale_version = record.version
    services.update_record(record, actor=world.lead, changes={"title": "别人改过了"})
    response = client_for(world, "agent").post(f"/requests/{record.pk}/edit/", {
        "version": stale_version, "requester": world.requester_a.pk, "title": "我的修改",
        "description": "", "channel": "portal", "priority": "3",
    })
    assert response.status_code == 409
    text = page(response)
    expected = zh("%(number)s was changed by someone else since you opened it. "
                  "Reload it and apply your change again.", number=record.number)
    assert expected in text
    assert "我的修改" in text  # the user's change is still in the form to re-apply
    record.refresh_from_db()
    assert record.title == "别人改过了"


# --- Transitions -------------------------------------------------------------------------


def test_transitions_move_the_status(world):
    record = world.request("requester_a")
    client = client_for(world, "agent")
    response = client.post(transition_url(record, "assign"),
                           {"t-assign-assignee_team": world.teams["desk"].pk,
                            "t-assign-comment": "转一线"})
    assert response.status_code == 302
    assert response["Location"] == detail_url(record)
    record.refresh_from_db()
    assert record.status == "assigned" and record.assignee_team == world.teams["desk"]
    response = client.get(detail_url(record))
    text = page(response)
    assert 'data-status="assigned"' in text
    assert 'data-kind="transitioned"' in text
    assert "转一线" in text
    response = client.post(transition_url(record, "start"),
                           {"t-start-assignee": world.engineer.pk}, follow=True)
    record.refresh_from_db()
    assert record.status == "in_progress" and record.assignee == world.engineer
    assert 'data-status="in_progress"' in page(response)


def test_illegal_transition_is_refused_with_a_message_and_409(world):
    record = world.request("requester_a")
    response = client_for(world, "agent").post(transition_url(record, "close"), {})
    assert response.status_code == 409
    text = page(response)
    with translation.override("zh-hans"):
        expected = gettext("“%(action)s” is not possible while %(number)s is “%(status)s”.") % {
            "action": record.workflow.get("close").label, "number": record.number,
            "status": record.status_label}
    assert expected in text
    assert "alert-danger" in text
    record.refresh_from_db()
    assert record.status == "new" and record.version == 1
    assert record.timeline.count() == 1


def test_unknown_transition_is_not_found(world):
    record = world.request("requester_a")
    response = client_for(world, "agent").post(transition_url(record, "explode"), {})
    assert response.status_code == 404


def test_transition_requires_post(world):
    record = world.request("requester_a")
    response = client_for(world, "agent").get(transition_url(record, "start"))
    assert response.status_code == 405


def test_transition_missing_a_required_field_rerenders_with_the_error(world):
    record = world.request("requester_a")
    response = client_for(world, "agent").post(transition_url(record, "start"),
                                               {"t-start-comment": "开始"})
    assert response.status_code == 400
    text = page(response)
    section = text.split('id="transition-start"')[1].split("</details>")[0]
    assert section.lstrip().startswith("open") or " open" in text.split(
        'id="transition-start"')[0][-40:]
    assert zh("This field is required.") in section
    assert "开始" in section  # the comment typed is kept
    record.refresh_from_db()
    assert record.status == "new"


def test_transition_missing_required_comment(world):
    record = world.request("requester_a")
    response = client_for(world, "agent").post(transition_url(record, "cancel"), {})
    assert response.status_code == 400
    section = page(response).split('id="transition-cancel"')[1].split("</details>")[0]
    assert zh("This field is required.") in section
    record.refresh_from_db()
    assert record.status == "new"


def test_requester_cannot_perform_a_staff_transition(world):
    record = world.request("requester_a")
    response = client_for(world, "requester_a").post(transition_url(record, "assign"), {})
    assert response.status_code == 403
    assert "alert-danger" in page(response)
    record.refresh_from_db()
    assert record.status == "new"


# --- Comments and attachments -------------------------------------------------------------


def test_public_reply_and_internal_note(world):
    record = world.request("requester_a")
    agent = client_for(world, "agent")
    assert agent.post(f"/requests/{record.pk}/comment/",
                      {"body": "公开回复：请重启打印机"}).status_code == 302
    assert agent.post(f"/requests/{record.pk}/comment/",
                      {"body": "内部备注：疑似硬件故障", "internal": "on"}).status_code == 302
    agent_page = page(agent.get(detail_url(record)))
    assert "公开回复：请重启打印机" in agent_page and "内部备注：疑似硬件故障" in agent_page
    assert 'class="internal"' in agent_page

    customer = client_for(world, "requester_a")
    customer_page = page(customer.get(detail_url(record)))
    assert "公开回复：请重启打印机" in customer_page
    assert "内部备注：疑似硬件故障" not in customer_page
    assert 'class="internal"' not in customer_page
    assert 'name="internal"' not in customer_page  # no internal option for the customer


def test_customer_cannot_write_an_internal_note(world):
    record = world.request("requester_a")
    customer = client_for(world, "requester_a")
    response = customer.post(f"/requests/{record.pk}/comment/",
                             {"body": "我想写内部备注", "internal": "on"})
    assert response.status_code == 403
    assert not record.comments.filter(internal=True).exists()


def test_empty_comment_shows_an_error(world):
    record = world.request("requester_a")
    response = client_for(world, "agent").post(f"/requests/{record.pk}/comment/", {"body": ""})
    assert response.status_code == 400
    assert zh("This field is required.") in page(response).split('id="comment-form"')[1]
    assert record.comments.count() == 0


def test_internal_attachment_is_hidden_from_the_customer(world):
    record = world.request("requester_a")
    agent = client_for(world, "agent")
    response = agent.post(f"/requests/{record.pk}/attach/",
                          {"file": SimpleUploadedFile("日志.txt", b"log"), "internal": "on"})
    assert response.status_code == 302
    response = agent.post(f"/requests/{record.pk}/attach/",
                          {"file": SimpleUploadedFile("说明.txt", b"readme")})
    assert response.status_code == 302
    assert "日志.txt" in page(agent.get(detail_url(record)))
    customer_page = page(client_for(world, "requester_a").get(detail_url(record)))
    assert "说明.txt" in customer_page
    assert "日志.txt" not in customer_page


# --- Customer portal ----------------------------------------------------------------------


def test_portal_is_simpler_and_shows_own_requests_only(world):
    own = world.request("requester_a", title="我的申请")
    colleague = world.request("requester_a2", title="同事的申请")
    other = world.request("requester_b", title="别的公司的申请")
    response = client_for(world, "requester_a").get(LIST)
    assert response.status_code == 200
    text = page(response)
    assert 'class="portal"' in text
    assert "/requests/export/" not in text
    assert 'name="organization"' not in text
    assert 'name="mine"' not in text
    assert "/api/docs/" not in text
    assert numbers_in(response) == [own.number]
    assert colleague.number not in text and other.number not in text
    if translated("My requests"):
        assert zh("My requests") in text


def test_customer_admin_sees_the_organizations_requests(world):
    own = world.request("requester_a")
    colleague = world.request("requester_a2")
    world.request("requester_b")
    response = client_for(world, "custadmin_a").get(LIST)
    assert sorted(numbers_in(response)) == sorted([own.number, colleague.number])


def test_customer_cannot_open_a_colleagues_request(world):
    colleague = world.request("requester_a2")
    assert client_for(world, "requester_a").get(detail_url(colleague)).status_code == 404


def test_customer_export_by_url_contains_own_requests_only(world):
    own = world.request("requester_a")
    colleague = world.request("requester_a2")
    other = world.request("requester_b")
    response = client_for(world, "requester_a").get("/requests/export/?file_format=csv")
    assert response.status_code == 200
    content = response.content.decode("utf-8-sig")
    assert own.number in content
    assert colleague.number not in content and other.number not in content


def test_portal_create_without_choosing_an_organization(world):
    client = client_for(world, "requester_a")
    response = client.get("/requests/new/")
    assert response.status_code == 200
    text = page(response)
    assert 'class="portal"' in text
    for field in ("organization", "requester", "priority", "assignee", "assignee_team"):
        assert f'name="{field}"' not in text
    assert 'name="title"' in text and 'name="description"' in text
    response = client.post("/requests/new/", {"title": "显示器闪烁", "description": "工位 A-12",
                                              "priority": "1", "assignee": world.agent.pk})
    assert response.status_code == 302
    record = ServiceRequest.objects.get(title="显示器闪烁")
    assert record.organization == world.orgs["A"]
    assert record.requester == world.requester_a
    assert record.priority == 3 and record.assignee is None  # staff fields ignored
    assert record.number in page(client.get(LIST))


def test_portal_create_with_missing_title_is_400(world):
    response = client_for(world, "requester_a").post("/requests/new/", {"description": "描述"})
    assert response.status_code == 400
    assert "描述" in page(response)


def test_auditor_cannot_create(world):
    response = client_for(world, "auditor").get("/requests/new/")
    assert response.status_code == 403
    assert 'id="new-record"' not in page(client_for(world, "auditor").get(LIST))


# --- Language -------------------------------------------------------------------------------


def test_language_switch_is_stored_on_the_profile(world):
    client = client_for(world, "agent")
    assert '<html lang="zh-hans">' in page(client.get(LIST))
    response = client.post("/settings/language/", {"language": "en", "next": "/requests/?q=x"})
    assert response.status_code == 302
    assert response["Location"] == "/requests/?q=x"
    world.agent.profile.refresh_from_db()
    assert world.agent.profile.language == "en"
    response = client.get(LIST)
    text = page(response)
    assert '<html lang="en">' in text
    assert '<h1 class="h3">Service requests</h1>' in text
    assert response["Content-Language"] == "en"
    # the choice follows the person, not the browser
    other_browser = client_for(world, "agent")
    assert '<html lang="en">' in page(other_browser.get(LIST))
    client.post("/settings/language/", {"language": "zh-hans", "next": "/requests/"})
    assert '<html lang="zh-hans">' in page(client.get(LIST))


def test_language_switch_before_login_uses_a_cookie(world):
    client = Client()
    response = client.post("/settings/language/", {"language": "en",
                                                   "next": "/accounts/login/"})
    assert response["Location"] == "/accounts/login/"
    assert '<html lang="en">' in page(client.get("/accounts/login/"))


def test_language_switch_ignores_an_unknown_language(world):
    client = client_for(world, "agent")
    response = client.post("/settings/language/", {"language": "xx", "next": "/requests/"})
    assert response.status_code == 302
    world.agent.profile.refresh_from_db()
    assert world.agent.profile.language == "zh-hans"


@pytest.mark.parametrize("target", [
    "https://evil.example.com/",
    "//evil.example.com/",
    "http://evil.example.com/requests/",
    "/\\evil.example.com",
    "javascript:alert(1)",
    " https://evil.example.com/",
])
def test_language_switch_refuses_foreign_redirects(world, target):
    client = client_for(world, "agent")
    response = client.post("/settings/language/", {"language": "en", "next": target})
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_language_switch_requires_post(world):
    assert client_for(world, "agent").get("/settings/language/?language=en").status_code == 405


def test_list_cursor_with_a_position_of_the_wrong_type_is_an_error(world, mixed):
    import base64

    cursor = base64.b64encode(b"o=0&p=not-a-number").decode()
    response = client_for(world, "agent").get(LIST, {"ordering": "priority", "cursor": cursor})
    assert response.status_code == 400
    assert 'id="list-error"' in page(response)


def test_language_switch_after_a_failed_action_returns_to_the_record(world):
    record = world.request("requester_a")
    client = client_for(world, "agent")
    response = client.post(transition_url(record, "close"), {})
    assert response.status_code == 409
    next_url = re.search(r'name="next" value="([^"]*)"', page(response)).group(1)
    assert next_url == detail_url(record)
    response = client.post("/settings/language/", {"language": "en", "next": next_url},
                           follow=True)
    assert response.status_code == 200
    assert '<html lang="en">' in page(response)


@pytest.mark.parametrize("ordering", ["number", "-number", "status", "priority", "-priority",
                                      "-created_at", "created_at"])
def test_paging_through_a_sorted_list_shows_every_record_once(world, ordering):
    created = [world.request("requester_a", title=f"分页 {i:02d}") for i in range(30)]
    for record in created[::3]:
        services.update_record(record, actor=world.agent, changes={"priority": 2})
    client = client_for(world, "agent")
    seen: list[str] = []
    response = client.get(LIST, {"ordering": ordering})
    for _ in range(5):
        assert response.status_code == 200
        seen += numbers_in(response)
        found = re.search(r'href="([^"]+)" id="next-page"', page(response))
        if not found:
            break
        response = client.get(found.group(1))
    assert len(seen) == len(set(seen)) == 30


def test_requester_edits_only_while_the_request_is_new(world):
    record = world.request("requester_a")
    client = client_for(world, "requester_a")
    response = client.get(detail_url(record))
    text = page(response)
    assert 'id="edit-record"' in text
    assert 'id="transition-cancel"' in text  # the requester may withdraw it
    assert 'id="transition-assign"' not in text and 'id="transition-start"' not in text
    response = client.get(f"/requests/{record.pk}/edit/")
    text = page(response)
    assert 'name="title"' in text and 'name="category"' not in text
    response = client.post(f"/requests/{record.pk}/edit/", {
        "version": record.version, "title": "打印机卡纸（补充）", "description": "还有异响"})
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.title == "打印机卡纸（补充）"
    services.transition_record(record, "assign", actor=world.agent,
                               values={"assignee_team": world.teams["desk"]})
    assert 'id="edit-record"' not in page(client.get(detail_url(record)))
    response = client.post(f"/requests/{record.pk}/edit/", {
        "version": record.version + 1, "title": "再改一次", "description": ""})
    assert response.status_code == 403
    record.refresh_from_db()
    assert record.title == "打印机卡纸（补充）"


def test_staff_navigation_reaches_every_process(world):
    """The workspace menu leads to each process; the portal shows customers only theirs."""
    from django.test import Client

    client = Client()
    client.force_login(world.agent)
    page = client.get("/requests/").content.decode()
    for url in ("/requests/", "/incidents/", "/major-incidents/", "/problems/",
                "/security/plans/", "/cmdb/items/"):
        assert f'href="{url}"' in page, url
        assert client.get(url).status_code == 200, url
    client.force_login(world.requester_a)
    page = client.get("/requests/").content.decode()
    assert 'href="/problems/"' not in page and 'href="/security/plans/"' not in page
