"""Keyword search: jieba-segmented search text in a full-text index (PostgreSQL GIN with
the ``simple`` configuration, SQLite FTS5). Two-character words must be found."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from itsm.core import search, services
from itsm.servicedesk.models import Incident, ServiceRequest

LIST = "/api/service-requests/"

TITLES = {
    "down": ("财务系统宕机", "上午十点起财务系统无法登录"),
    "jam": ("三楼打印机卡纸", "打印机反复卡纸"),
    "vpn": ("VPN 连接超时", "出差期间 VPN 频繁掉线"),
    "server": ("服务器宕机", "机房服务器无响应"),
    "slow": ("OA 办公系统响应很慢", "打开流程页面需要一分钟"),
}


@pytest.fixture
def tickets(world):
    return {key: world.request("requester_a", title=title, description=text)
            for key, (title, text) in TITLES.items()}


def found(world, q: str, user: str = "agent") -> set[str]:
    response = world.client(user).get(LIST, {"q": q})
    assert response.status_code == 200, response.content
    return {row["title"] for row in response.json()["results"]}


def titles(*keys: str) -> set[str]:
    return {TITLES[k][0] for k in keys}


def test_segmentation_keeps_service_words_whole():
    assert search.words("服务器宕机，打印机卡纸") == [
        "服务", "服务器", "宕机", "打印", "打印机", "卡纸"]
    assert search.words("财务系统 VPN") == ["财务", "系统", "vpn"]
    assert search.words("，。！") == []
    assert search.search_text("REQ-2026-000001", None, "蓝屏") == "req 2026 000001 蓝屏 蓝 屏"


def test_two_and_four_character_chinese_words_and_english_are_found(world, tickets):
    assert found(world, "宕机") == titles("down", "server")
    assert found(world, "卡纸") == titles("jam")
    assert found(world, "财务系统") == titles("down")
    assert found(world, "服务器") == titles("server")
    assert found(world, "vpn") == found(world, "VPN") == titles("vpn")
    assert found(world, "掉线") == titles("vpn")  # in the description only


def test_a_single_character_a_latin_prefix_and_a_phrase_in_order(world, tickets):
    world.request("requester_a", title="信用卡无法支付", description="支付失败")
    world.request("requester_a", title="财务部的打印系统", description="Printer offline")
    assert found(world, "卡") == titles("jam") | {"信用卡无法支付"}
    assert found(world, "print") == {"财务部的打印系统"}  # Printer, by its start
    assert found(world, "PRINTER") == {"财务部的打印系统"}
    assert found(world, "rint") == set()  # a prefix, not any part
    # 财务 … 系统 apart is not the phrase 财务系统; both words as two words still are
    assert found(world, "财务系统") == titles("down")
    assert found(world, "财务 系统") == titles("down") | {"财务部的打印系统"}


def test_every_word_must_occur(world, tickets):
    assert found(world, "财务系统 宕机") == titles("down")
    assert found(world, "财务系统 卡纸") == set()
    assert found(world, "打印机 三楼") == titles("jam")


def test_number_and_punctuation_only_queries(world, tickets):
    number = tickets["jam"].number
    assert found(world, number.lower()) == titles("jam")
    assert found(world, "，，！") == set()  # no words: nothing, not everything
    assert found(world, '"宕机" * ^(:') == titles("down", "server")  # FTS syntax is inert
    assert found(world, "宕机 OR 卡纸") == set()  # "or" is a word like any other


def test_edits_are_searchable_at_once(world, tickets):
    ticket = tickets["slow"]
    assert found(world, "蓝屏") == set()
    services.update_record(ticket, actor=world.users["agent"],
                           changes={"description": "更新后：笔记本电脑蓝屏"})
    assert found(world, "蓝屏") == titles("slow")
    assert found(world, "一分钟") == set()


def test_search_stays_inside_the_readers_scope(world, tickets):
    world.request("requester_b", title="客户 B 的服务器宕机")
    assert found(world, "宕机", "requester_a") == titles("down", "server")
    assert "客户 B 的服务器宕机" in found(world, "宕机", "agent")
    assert found(world, "宕机", "agent_q") == set()
    assert found(world, "宕机", "requester_a2") == set()  # sees own requests only


def test_incidents_and_the_ui_list_search_too(world):
    agent = world.users["agent"]
    services.create_record(Incident, actor=agent, data={
        "organization": world.orgs["A"], "requester": world.users["requester_a"],
        "title": "核心交换机宕机", "description": "全楼断网"})
    api = world.client("agent").get("/api/incidents/", {"q": "断网"}).json()["results"]
    assert [row["title"] for row in api] == ["核心交换机宕机"]
    page = world.client("agent").get("/incidents/", {"q": "交换机"})
    assert "核心交换机宕机" in page.content.decode()


def test_search_is_one_indexed_query(world, tickets):
    client = world.client("agent")
    client.get(LIST, {"q": "宕机"})  # warm-up
    with CaptureQueriesContext(connection) as ctx:
        client.get(LIST, {"q": "宕机"})
    page = [q["sql"] for q in ctx.captured_queries if "servicedesk_servicerequest" in q["sql"]
            and "LIMIT" in q["sql"]]
    assert page, ctx.captured_queries
    if connection.vendor == "postgresql":
        assert "to_tsquery" in page[0]
        with connection.cursor() as cursor:
            cursor.execute("SET enable_seqscan = off")
            cursor.execute("EXPLAIN SELECT id FROM servicedesk_servicerequest WHERE "
                           "to_tsvector('simple'::regconfig, COALESCE(search_text, '')) "
                           "@@ plainto_tsquery('simple', '宕机')")
            plan = " ".join(r[0] for r in cursor.fetchall())
            cursor.execute("SET enable_seqscan = on")
        assert "servicedesk_servicerequest_search" in plan, plan
    else:
        assert "servicedesk_servicerequest_fts" in page[0]


def test_indexes_come_back_after_a_table_is_rebuilt(world, tickets):
    """SQLite rebuilds a table on many schema changes, dropping its triggers;
    ``ensure_indexes`` (run after every migrate) puts them back and refills the index."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite FTS5 triggers")
    with connection.cursor() as cursor:
        cursor.execute('DROP TRIGGER "servicedesk_servicerequest_fts_insert"')
    assert search.ensure_indexes(models=[ServiceRequest]) == ["servicedesk_servicerequest"]
    assert search.ensure_indexes(models=[ServiceRequest]) == []
    world.request("requester_a", title="显示器黑屏")
    assert found(world, "黑屏") == {"显示器黑屏"}
    assert found(world, "宕机") == titles("down", "server")


def test_refresh_recomputes_stale_search_text(world, tickets):
    ServiceRequest.objects.filter(pk=tickets["jam"].pk).update(search_text="")
    assert found(world, "卡纸") == set()
    assert search.refresh(ServiceRequest) == 1
    assert found(world, "卡纸") == titles("jam")


def test_nightly_statistics_let_sqlite_walk_the_sorted_index(world, tickets):
    from itsm.core.tasks import refresh_query_statistics

    done = refresh_query_statistics.call_local()
    assert done is (connection.vendor == "sqlite")
    if done:
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = %s",
                           ["servicedesk_servicerequest"])
            assert cursor.fetchone()[0] > 0
