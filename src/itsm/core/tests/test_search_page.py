"""Global search: ``/search/?q=`` and ``GET /api/search/`` look through every record
type the reader's menu shows (``core.global_search``), in the reader's scope only.

What people notice: a two-character Chinese word finds the request; the example
register's notes are searched although nothing outside core names them; a customer of
another organization or another provider's agent finds nothing of ours; too long a
query is a clear error, no match a friendly message; the cost of a search does not
grow with its matches.
"""

# covers: GEN-SEARCH (global search over every record type), GEN-ACCESS

from __future__ import annotations

import dataclasses
import html
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from itsm.conftest import SENTINEL_B
from itsm.core import global_search, registry, search, services
from itsm.core.search import MAX_QUERY
from itsm.servicedesk.models import MajorIncident, ServiceRequest

from .example_register.models import Note

PAGE = "/search/"
API = "/api/search/"


def page_text(world, username: str, q: str | None, status: int = 200) -> str:
    response = world.client(username).get(PAGE, {} if q is None else {"q": q})
    assert response.status_code == status, response.content[:500]
    return html.unescape(response.content.decode())


def api_results(world, username: str, q: str) -> dict[str, dict]:
    response = world.client(username).get(API, {"q": q})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["query"] == q
    return {section["type"]: section for section in body["results"]}


def numbers(section: dict) -> set[str]:
    return {item["number"] for item in section["items"]}


def create_note(world, requester: str, title: str) -> Note:
    user = world.users[requester]
    return services.create_record(Note, actor=user, data={
        "organization": user.profile.organization, "requester": user, "title": title,
        "description": "", "category": "inbox"})


def test_a_two_character_word_finds_the_request_on_the_page_and_in_the_api(world):
    down = world.request("requester_a", title="服务器宕机", description="机房服务器无响应")
    jam = world.request("requester_a", title="三楼打印机卡纸")

    text = page_text(world, "agent", "宕机")
    section = text.split('id="results-servicerequest"')[1].split("</section>")[0]
    assert f'<a href="{down.get_absolute_url()}">{down.number}</a>' in section
    assert "服务器宕机" in section and world.orgs["A"].name in section
    assert f'data-status="{down.status}"' in section  # the list's status badge
    assert jam.number not in text
    assert 'value="宕机"' in text  # the query stays in the box

    sections = api_results(world, "agent", "宕机")
    requests = sections["servicerequest"]
    assert requests["count"] == 1 and requests["more"] is False
    assert requests["items"] == [{
        "id": down.pk, "number": down.number, "title": "服务器宕机", "status": down.status,
        "status_label": requests["items"][0]["status_label"], "url": down.get_absolute_url()}]
    assert requests["items"][0]["status_label"]
    assert sections["incident"]["count"] == 0 and sections["incident"]["items"] == []


def test_all_results_links_to_the_list_filtered_by_the_same_words(world):
    created = [world.request("requester_a", title=f"邮箱宕机 {i}") for i in range(12)]
    section = api_results(world, "agent", "宕机")["servicerequest"]
    assert section["count"] == 12
    newest_first = [r.number for r in reversed(created)][:10]
    assert [item["number"] for item in section["items"]] == newest_first
    link = urlsplit(section["list_url"])
    assert link.path == "/requests/" and parse_qs(link.query)["q"] == ["宕机"]

    text = page_text(world, "agent", "宕机")
    assert f'href="{html.unescape(section["list_url"])}"' in text
    assert all(number in text for number in newest_first)
    assert created[0].number not in text and created[1].number not in text
    listed = html.unescape(world.client("agent").get(section["list_url"]).content.decode())
    assert all(r.number in listed for r in created)  # the list has all twelve


def test_counting_stops_at_the_limit_and_says_more(world, monkeypatch):
    """A word in a million records costs no more than a rare one: the count stops at
    COUNT_LIMIT and the section says "more than" instead of a number it did not count."""
    monkeypatch.setattr(global_search, "COUNT_LIMIT", 11)
    for i in range(12):
        world.request("requester_a", title=f"邮箱宕机 {i}")
    section = api_results(world, "agent", "宕机")["servicerequest"]
    assert (section["count"], section["more"]) == (11, True)
    assert len(section["items"]) == 10
    assert api_results(world, "agent", "宕机")["incident"]["more"] is False
    text = page_text(world, "agent", "宕机")
    head = text.split('id="results-servicerequest"')[1].split("</h2>")[0]
    assert ">11+</span>" in head
    assert "超过 11 条结果" in text  # "More than 11 results"


@pytest.mark.parametrize("few", [3, 1000])
def test_many_and_few_matches_list_alike(world, monkeypatch, few):
    """More matches than ``search.FEW`` are listed and paged by the list's own order (on
    PostgreSQL the few are fetched by id first): the same records either way, and a
    word found nowhere is an empty list."""
    monkeypatch.setattr(search, "FEW", few)
    monkeypatch.setattr(global_search, "COUNT_LIMIT", few)
    created = [world.request("requester_a", title=f"服务器宕机 {i}") for i in range(5)]
    world.request("requester_a", title="打印机卡纸")
    listed = world.client("agent").get("/requests/", {"q": "宕机", "ordering": "-created_at",
                                                      "page_size": 2})
    assert listed.status_code == 200
    newest = [r.number for r in reversed(created)]
    text = listed.content.decode()
    assert [n for n in newest if n in text] == newest[:2]
    section = api_results(world, "agent", "宕机")["servicerequest"]
    assert [item["number"] for item in section["items"]] == newest
    assert (section["count"], section["more"]) == ((3, True) if few == 3 else (5, False))
    nowhere = api_results(world, "agent", "xyzzy")["servicerequest"]
    assert (nowhere["count"], nowhere["items"]) == (0, [])


def test_the_example_register_is_searched_without_an_edit_outside_core(world):
    note = create_note(world, "requester_a", "会议室投影仪宕机")
    sections = api_results(world, "agent", "投影仪")
    assert numbers(sections["note"]) == {note.number}
    assert urlsplit(sections["note"]["list_url"]).path == "/notes/"
    text = page_text(world, "requester_a", "投影仪")
    assert 'id="results-note"' in text and note.number in text


def test_a_record_type_can_opt_out(world, monkeypatch):
    note = create_note(world, "requester_a", "会议室投影仪宕机")
    record_type = registry.record_type_of(Note)
    monkeypatch.setitem(registry._RECORD_TYPES, record_type.key,
                        dataclasses.replace(record_type, searchable=False))
    assert "note" not in api_results(world, "agent", "投影仪")
    assert note.number not in page_text(world, "agent", "投影仪")
    listed = world.client("agent").get("/api/notes/", {"q": "投影仪"}).json()["results"]
    assert [row["number"] for row in listed] == [note.number]  # its own list still finds it


def test_nobody_finds_records_outside_their_scope(world):
    mine = world.request("requester_a", title="财务系统宕机")
    colleague = world.request("requester_a2", title="考勤机宕机")
    theirs = world.request("requester_b", title=f"ERP 宕机 {SENTINEL_B}")
    other_provider = world.request("requester_c", title="邮件服务器宕机")
    seen = {
        "agent": {mine, colleague, theirs},
        "custadmin_a": {mine, colleague},
        "requester_a": {mine},
        "requester_b": {theirs},
        "agent_q": {other_provider},
    }
    everything = {mine, colleague, theirs, other_provider}
    for username, visible in seen.items():
        found = numbers(api_results(world, username, "宕机")["servicerequest"])
        assert found == {r.number for r in visible}, username
        text = page_text(world, username, "宕机")
        for record in everything - visible:
            assert record.number not in text and record.title not in text, (username, record)
        for record in visible:
            assert record.number in text, (username, record)
    text = page_text(world, "requester_a", SENTINEL_B)  # the query itself is echoed
    assert theirs.number not in text and theirs.title not in text
    assert api_results(world, "agent_q", SENTINEL_B)["servicerequest"]["items"] == []


def test_a_customer_searches_only_the_types_their_menu_shows(world):
    """Customers may read the major incidents of their organization through the API,
    but their menu has no such list: the global search leaves that type out, and the
    types only staff see (problems, changes) as well."""
    major = services.create_record(MajorIncident, actor=world.agent, data={
        "organization": world.orgs["A"], "requester": world.requester_a,
        "title": "全厂网络宕机", "description": ""})
    assert MajorIncident.objects.visible_to(world.requester_a).filter(pk=major.pk).exists()

    customer = api_results(world, "requester_a", "宕机")
    assert set(customer) == {"servicerequest", "incident", "note", "complaint", "feedbackitem"}
    text = page_text(world, "requester_a", "宕机")
    assert major.number not in text and 'id="results-majorincident"' not in text

    staff = api_results(world, "agent", "宕机")
    assert {"servicerequest", "incident", "majorincident", "problem", "change",
            "note"} <= set(staff)
    assert numbers(staff["majorincident"]) == {major.number}
    assert 'id="results-majorincident"' in page_text(world, "agent", "宕机")


def test_anonymous_is_sent_to_log_in_and_refused_by_the_api(world):
    response = world.client(None).get(PAGE, {"q": "宕机"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert world.client(None).get(API, {"q": "宕机"}).status_code in (401, 403)


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "   "}, {"q": "宕" * (MAX_QUERY + 1)}],
                         ids=["missing", "empty", "blank", "too long"])
def test_the_api_refuses_a_missing_empty_or_too_long_query(world, params):
    response = world.client("agent").get(API, params)
    assert response.status_code == 400
    messages = response.json()["q"]
    assert isinstance(messages, list) and messages and all(messages)


def test_the_longest_query_is_accepted(world):
    assert world.client("agent").get(API, {"q": "宕" * MAX_QUERY}).status_code == 200


def test_the_page_without_a_query_too_long_or_without_matches(world):
    world.request("requester_a", title="服务器宕机")
    for q in (None, "", "  "):
        text = page_text(world, "agent", q)
        assert 'id="search-form"' in text and 'role="search"' in text
        assert 'id="results-' not in text and 'id="search-empty"' not in text

    text = page_text(world, "agent", "宕" * (MAX_QUERY + 1), status=400)
    assert "is-invalid" in text and str(MAX_QUERY) in text.split('id="search-q-error"')[1]
    assert 'id="results-' not in text

    text = page_text(world, "agent", "蓝屏")
    assert 'id="search-empty"' in text and "蓝屏" in text.split('id="search-empty"')[1]
    assert 'id="results-' not in text


def test_the_query_and_the_titles_are_shown_as_text(world):
    payload = '"><img src=x onerror=alert(1)>'
    world.request("requester_a", title=f"宕机 {payload}")
    for q in (f"宕机 {payload}", f"蓝屏 {payload}"):  # found, and nothing found
        body = world.client("agent").get(PAGE, {"q": q}).content.decode()
        assert payload not in body and "&lt;img src=x onerror=alert(1)&gt;" in body


def test_the_query_count_does_not_grow_with_the_matches(world):
    """Per record type the matches' ids and a slice on PostgreSQL; on SQLite a slice,
    and a count only for a type whose slice is full."""
    client = world.client("agent")

    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, {"q": "宕机"}).status_code == 200
        return len(captured)

    def add(count: int) -> None:
        for i in range(count):
            world.request("requester_a", title=f"服务器宕机 {i}")
            create_note(world, "requester_a", f"投影仪宕机 {i}")

    for url in (PAGE, API):
        queries(url)  # warm the caches
    add(2)
    few = {url: queries(url) for url in (PAGE, API)}
    add(10)
    twelve = {url: queries(url) for url in (PAGE, API)}
    add(12)
    many = {url: queries(url) for url in (PAGE, API)}
    assert many == twelve
    counts = 2 if connection.vendor == "sqlite" else 0  # two full types, counted
    assert all(twelve[url] == few[url] + counts for url in (PAGE, API))
    assert ServiceRequest.objects.count() == 24


def test_the_navigation_bar_has_a_search_box_for_people_signed_in(world):
    for username in ("agent", "requester_a"):
        text = world.client(username).get("/requests/").content.decode()
        collapsible = text.split('id="nav-collapse"')[1]
        box = collapsible.split('id="nav-search"')[0].rsplit("<form", 1)[1]
        assert 'role="search"' in box and 'action="/search/"' in box
        assert '<label class="visually-hidden" for="nav-search-q">' in collapsible
        assert 'id="nav-search-q"' in collapsible and 'name="q"' in collapsible
    login = world.client(None).get("/accounts/login/").content.decode()
    assert 'id="nav-search"' not in login


def test_comments_are_searched_as_their_reader_may_see_them(world):
    """A word of a public reply finds the request for its customer; a word only in an
    internal note finds it for staff, never for the customer; another organization's
    customer finds neither."""
    ticket = world.request("requester_a", title="邮箱无法收信")
    services.add_comment(ticket, actor=world.agent, body="请重启 Outlook 客户端后重试")
    services.add_comment(ticket, actor=world.agent, body="疑似交换机端口故障", internal=True)

    def found(username: str, q: str) -> set[str]:
        return numbers(api_results(world, username, q).get("servicerequest", {"items": []}))

    assert found("requester_a", "outlook") == {ticket.number}
    assert found("requester_a", "重启") == {ticket.number}
    assert found("requester_a", "交换机") == set()
    assert found("agent", "交换机") == {ticket.number}
    assert found("requester_b", "outlook") == set()
    # the list's q finds it the same way
    listed = world.client("requester_a").get("/api/service-requests/", {"q": "重启"}).json()
    assert [row["number"] for row in listed["results"]] == [ticket.number]
