"""Who reads which article (KB-3): internal articles never reach customers; articles for
customers reach all customers of the provider or the chosen organizations only, once
published and until they expire; restricted articles reach the staff of the roles and
teams admitted (and the people who write and review them). The same rule answers the API
(list, detail, search), the pages, the browse page, suggestions and the global search;
another provider's staff get 404; customers cannot write, review or publish."""

# covers: KB-3, GEN-ACCESS

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from itsm.conftest import world_copy
from itsm.knowledge.models import Article

from .data import api, make_article, page, published

pytestmark = pytest.mark.django_db

#: Who reads what: identity → the keys of the articles below they may read.
READERS = {
    "requester_a": {"all", "a"},
    "custadmin_a": {"all", "a"},
    "requester_b": {"all", "b"},
    "requester_c": set(),
    "agent_q": set(),
    "agent": {"all", "a", "b", "internal", "draft", "team"},
    "lead": {"all", "a", "b", "internal", "draft", "team", "leads"},
    "admin": {"all", "a", "b", "internal", "draft"},
    "auditor": {"all", "a", "b", "internal", "draft"},
}


@pytest.fixture(scope="module")
def _module(django_db_setup, django_db_blocker):
    """The world and the articles, built once for the module inside a transaction rolled
    back at its end; each test runs in its own nested transaction."""
    with django_db_blocker.unblock(), transaction.atomic():
        world = world_copy()
        yield world, build_articles(world)
        transaction.set_rollback(True)


@pytest.fixture
def world(_module, db):
    return _module[0]


@pytest.fixture
def articles(_module, db) -> dict[str, Article]:
    return _module[1]


def build_articles(world) -> dict[str, Article]:
    """Articles about printers (all found by "卡纸"), of provider P."""
    orgs, desk = world.orgs, world.teams["desk"]
    return {
        "all": published(world, title="打印机卡纸（所有客户）", visibility="customers"),
        "a": published(world, title="打印机卡纸（华东）", visibility="customers",
                       customer_organizations=[orgs["A"]]),
        "b": published(world, title="打印机卡纸 SENTINEL_B", visibility="customers",
                       customer_organizations=[orgs["B"]]),
        "internal": published(world, title="打印机卡纸（内部）", visibility="internal"),
        "draft": make_article(world, title="打印机卡纸（草稿）", visibility="customers"),
        "team": published(world, title="打印机卡纸（服务台）", visibility="restricted",
                          restricted_teams=[desk]),
        "leads": published(world, title="打印机卡纸（组长）", visibility="restricted",
                           restricted_roles=["team_lead"], author="lead",
                           reviewer="engineer"),
    }


def keys(articles, ids) -> set[str]:
    by_id = {a.pk: k for k, a in articles.items()}
    return {by_id[i] for i in ids if i in by_id}


@pytest.mark.parametrize("identity", sorted(READERS))
def test_each_reader_gets_exactly_their_articles_everywhere(world, articles, identity):
    client = world.client(identity)
    expected = READERS[identity]
    listed = client.get(api("list"), {"open": ""}).json()["results"]
    assert keys(articles, [a["id"] for a in listed]) == expected
    found = client.get(api("list"), {"q": "卡纸", "open": ""}).json()["results"]
    assert keys(articles, [a["id"] for a in found]) == expected
    suggested = client.get(reverse("api:knowledge-suggestions"), {"q": "卡纸",
                                                                  "limit": 20}).json()
    assert keys(articles, [a["id"] for a in suggested]) == expected - {"draft"}
    for key, article in articles.items():
        status = client.get(api("detail", article.pk)).status_code
        assert status == (200 if key in expected else 404), (key, status)
        status = client.get(page("article-read", article.pk)).status_code
        assert status == (200 if key in expected else 404), (key, status)
    browse = client.get(page("browse"), {"q": "卡纸"}).content.decode()
    shown = {k for k, a in articles.items() if a.reader_url in browse}
    assert shown == expected - {"draft"}
    fragment = client.get(page("suggest"), {"title": "打印机卡纸"}).content.decode()
    suggested_keys = {k for k, a in articles.items() if a.reader_url in fragment}
    readable = expected - {"draft"}
    assert suggested_keys <= readable and len(suggested_keys) == min(5, len(readable))
    if identity not in ("requester_b", "agent", "lead", "admin", "auditor"):
        for text in (browse, fragment, str(listed), str(suggested)):
            assert "SENTINEL_B" not in text


def test_customers_read_only_the_published_content_and_no_internal_field(world, articles):
    body = world.client("requester_a").get(api("detail", articles["all"].pk)).json()
    assert body["title"] == "打印机卡纸（所有客户）" and body["symptom"]
    for internal in ("reviewer", "restricted_roles", "customer_organizations", "owner",
                     "requester", "visibility", "editor", "organization"):
        assert internal not in body


def test_an_expired_article_is_gone_for_customers(world, articles):
    article = articles["all"]
    Article.objects.filter(pk=article.pk).update(
        valid_to=timezone.localdate() - dt.timedelta(days=1))
    assert world.client("requester_a").get(api("detail", article.pk)).status_code == 404
    assert world.client("agent").get(api("detail", article.pk)).status_code == 200


def test_customers_cannot_write_review_or_publish(world, articles):
    client = world.client("custadmin_a")
    response = client.post(api("list"), {"title": "我来写", "body": "<p>x</p>"},
                           format="json")
    assert response.status_code == 403
    article = articles["all"]
    assert client.patch(api("detail", article.pk), {"title": "改"},
                        format="json").status_code == 403
    for name in ("mark_outdated", "publish_changes", "retire"):
        response = client.post(api("transition", article.pk), {"transition": name,
                                                                "comment": "x"}, format="json")
        assert response.status_code == 403, name
    assert client.post(api("restore", article.pk), {"revision": 1},
                       format="json").status_code == 403
    assert client.get(api("revisions", article.pk)).status_code == 404
    assert client.get(page("article-create")).status_code == 403
    assert client.get(page("article-detail", article.pk)).status_code == 404
    assert client.get(page("article-edit", article.pk)).status_code == 404
    assert client.get(page("stale")).status_code == 404
    assert client.get(page("deflections")).status_code == 404
    article.refresh_from_db()
    assert (article.title, article.status) == ("打印机卡纸（所有客户）", "published")


def test_the_auditor_reads_but_never_writes(world, articles):
    client = world.client("auditor")
    article = articles["internal"]
    assert client.get(api("detail", article.pk)).status_code == 200
    assert client.post(api("feedback", article.pk), {"helpful": True},
                       format="json").status_code == 403
    assert client.post(page("article-flag", article.pk), {"text": "错"}).status_code == 403
    assert client.patch(api("detail", article.pk), {"title": "x"},
                        format="json").status_code == 403


def test_the_global_search_finds_articles_for_staff_only_as_they_may_read(world, articles):
    found = world.client("agent").get(reverse("api:search"), {"q": "卡纸"}).json()
    section = next(s for s in found["results"] if s["type"] == "article")
    numbers = {r["number"] for r in section["items"]}
    assert articles["leads"].number not in numbers and articles["team"].number in numbers
    found = world.client("requester_a").get(reverse("api:search"), {"q": "卡纸"}).json()
    assert all(s["type"] != "article" for s in found["results"])


def test_choices_outside_the_provider_are_refused(world):
    client = world.client("agent")
    response = client.post(api("list"), {
        "title": "越权", "customer_organizations": [world.orgs["C"].pk],
        "restricted_teams": [world.teams["q_desk"].pk], "restricted_roles": ["root"]},
        format="json")
    assert response.status_code == 400
    assert {"customer_organizations", "restricted_teams", "restricted_roles"} <= set(
        response.json())
