"""Readers and the pages (KB-1..3): votes (one per person, changeable), error reports that
become the owner's task, deflections counted for staff, safe rich text and files, the
home card and inbox, categories, and every page in both languages (bad input: 400)."""

# covers: KB-1, KB-2, KB-3

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from itsm.conftest import world_copy
from itsm.core import directory
from itsm.core import services as core_services
from itsm.core.models import AuditEntry, Notification
from itsm.knowledge import services
from itsm.knowledge.models import Article, ArticleFeedback, ArticleFlag, Deflection

from .data import api, make_article, page, published, submit

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def _module(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        world = world_copy()
        yield world, published(world, visibility="customers", owner=world.users["engineer"])
        transaction.set_rollback(True)


@pytest.fixture
def world(_module, db):
    return _module[0]


@pytest.fixture
def article(_module, db) -> Article:
    return Article.objects.get(pk=_module[1].pk)


def test_one_vote_per_person_that_they_may_change(world, article):
    client = world.client("requester_a")
    url = api("feedback", article.pk)
    assert client.post(url, {"helpful": True}, format="json").json()["helpful_count"] == 1
    assert client.post(url, {"helpful": True}, format="json").json()["helpful_count"] == 1
    body = client.post(url, {"helpful": False, "comment": "步骤不全"}, format="json").json()
    assert (body["helpful_count"], body["not_helpful_count"]) == (0, 1)
    response = world.client("requester_b").post(page("article-feedback", article.pk),
                                                 {"helpful": "1"})
    assert response.status_code == 302
    article.refresh_from_db()
    assert (article.helpful_count, article.not_helpful_count) == (1, 1)
    assert ArticleFeedback.objects.filter(article=article).count() == 2
    assert client.post(url, {"helpful": "maybe"}, format="json").status_code == 400
    assert client.post(page("article-feedback", article.pk),
                       {"helpful": "x"}).status_code == 400
    assert AuditEntry.objects.filter(object_type="knowledge.articlefeedback").count() == 3


def test_an_error_report_is_the_owners_task_until_resolved(
        world, article, django_capture_on_commit_callbacks):
    client = world.client("requester_a")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(page("article-flag", article.pk), {"text": "第二步顺序不对"})
    assert response.status_code == 302
    flag = ArticleFlag.objects.get(article=article)
    notice = Notification.objects.get(user=world.users["engineer"], event="comment_added")
    assert article.number in notice.subject
    owner = world.client("engineer")
    inbox = owner.get(reverse("api:me-inbox")).json()
    assert "第二步顺序不对" in str(inbox)
    assert "第二步顺序不对" in owner.get(page("article-detail", article.pk)).content.decode()
    # The reporter sees their own report; another customer none.
    assert [f["id"] for f in client.get(api("flags", article.pk)).json()] == [flag.pk]
    assert world.client("requester_b").get(api("flags", article.pk)).json() == []
    assert client.post(page("article-flag", article.pk), {"text": " "}).status_code == 400
    assert client.post(reverse("api:articleflag-resolve", args=[flag.pk]),
                       {}, format="json").status_code == 403
    response = owner.post(page("article-flag-resolve", article.pk, flag.pk),
                          {"resolution": "已更正顺序"})
    assert response.status_code == 302
    flag.refresh_from_db()
    assert flag.status == "resolved" and flag.resolved_by == world.users["engineer"]
    assert "第二步顺序不对" not in str(owner.get(reverse("api:me-inbox")).json())
    response = owner.post(reverse("api:articleflag-resolve", args=[flag.pk]), {},
                          format="json")
    assert response.status_code == 400  # resolved already


def test_a_deflection_is_counted_and_shown_to_staff(world, article):
    client = world.client("requester_a")
    url = f"{page('article-read', article.pk)}?from=suggest&q=打印机卡纸"
    html = client.get(url).content.decode()
    assert 'id="deflect"' in html
    assert 'id="deflect"' not in client.get(page("article-read", article.pk)).content.decode()
    response = client.post(page("article-deflect", article.pk), {"q": "打印机卡纸"})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    deflection = Deflection.objects.get(article=article)
    assert (deflection.user, deflection.organization, deflection.query) == (
        world.requester_a, world.orgs["A"], "打印机卡纸")
    article.refresh_from_db()
    assert article.helpful_count == 1
    staff = world.client("agent")
    assert 'id="deflections-total">1<' in staff.get(page("deflections")).content.decode()
    assert 'id="article-deflections">1<' in staff.get(
        page("article-detail", article.pk)).content.decode()
    assert staff.post(page("article-deflect", article.pk)).status_code == 403
    response = client.post(api("deflect", article.pk), {"query": "再来"}, format="json")
    assert response.status_code == 201 and Deflection.objects.count() == 2


def test_rich_text_is_sanitized_and_files_are_served_to_readers(world, article):
    upload = SimpleUploadedFile("jam.png", b"\x89PNG\r\n\x1a\n0000", content_type="image/png")
    attachment = core_services.add_attachment(article, actor=world.agent, upload=upload)
    src = page("article-file", article.pk, attachment.pk)
    services.update_article(article, actor=world.agent, changes={
        "body": f'<p onmouseover="x()">看图</p><img src="{src}" alt="卡纸位置">'
                '<img src="https://evil.example/x.png"><a href="javascript:alert(1)">点</a>'
                '<a href="https://help.example/">帮助</a><iframe src="/"></iframe>'})
    article.refresh_from_db()
    assert f'<img src="{src}" alt="卡纸位置">' in article.body
    for bad in ("onmouseover", "evil.example", "javascript:", "<iframe"):
        assert bad not in article.body
    assert 'rel="noopener noreferrer"' in article.body
    # The customer reads the published revision: the image comes with the next publish.
    core_services.transition_record(article, "publish_changes", actor=world.lead)
    client = world.client("requester_a")
    assert src in client.get(page("article-read", article.pk)).content.decode()
    response = client.get(src)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert world.client("requester_c").get(src).status_code == 404
    assert client.get(page("article-file", article.pk, attachment.pk + 999)).status_code == 404
    internal = make_article(world)
    assert client.get(page("article-file", internal.pk, attachment.pk)).status_code == 404


def test_the_home_card_and_the_inbox(world, article):
    waiting = submit(world, make_article(world, title="待审条目"), reviewer="engineer")
    html = world.client("lead").get(reverse("home")).content.decode()
    assert 'id="widget-knowledge"' in html
    inbox = world.client("engineer").get(reverse("api:me-inbox")).json()
    assert waiting.number in str(inbox)
    assert waiting.number not in str(world.client("lead").get(reverse("api:me-inbox")).json())
    assert 'id="widget-knowledge"' not in world.client("requester_a").get(
        reverse("home")).content.decode()


def test_categories_shared_and_own(world, article):
    admin, agent = world.client("admin"), world.client("agent")
    url = reverse("api:knowledgecategory-list")
    shared = agent.get(url).json()["results"]
    assert any(c["name"] == "办公设备" and c["provider"] is None for c in shared)
    assert agent.post(url, {"name": "自建"}, format="json").status_code == 403
    response = admin.post(url, {"name": "自建分类", "parent": shared[0]["id"]}, format="json")
    assert response.status_code == 201 and response.json()["provider"] == world.orgs["P"].pk
    own = response.json()["id"]
    assert admin.patch(reverse("api:knowledgecategory-detail", args=[shared[0]["id"]]),
                       {"name": "改共享"}, format="json").status_code == 403
    assert world.client("agent_q").get(reverse("api:knowledgecategory-detail",
                                               args=[own])).status_code == 404
    Article.objects.filter(pk=article.pk).update(article_category_id=own)
    assert admin.delete(reverse("api:knowledgecategory-detail",
                                args=[own])).status_code == 409
    # The pages: the list for staff, the form for those who manage them.
    assert "自建分类" in admin.get(page("category-list")).content.decode()
    assert agent.get(page("category-create")).status_code == 403
    response = admin.post(page("category-create"), {"name": "", "order": "1"})
    assert response.status_code == 400
    response = admin.post(page("category-create"), {"name": "网络打印", "order": "1"})
    assert response.status_code == 302
    assert world.client("requester_a").get(page("category-list")).status_code == 404
    html = world.client("requester_a").get(page("browse"), {"category": own}).content.decode()
    assert article.reader_url in html


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_page_renders_in_both_languages(world, article, language):
    for name in ("agent", "requester_a"):
        directory.set_language(world.users[name], language)
    staff, customer = world.client("agent"), world.client("requester_a")
    services.update_article(article, actor=world.agent, changes={"solution": "新步骤"})
    with translation.override(language):  # the label as the catalogue has it
        expected = gettext("Knowledge base")
    for client, url in [
        (staff, page("article-list")), (staff, page("article-list") + "?stale=true"),
        (staff, page("article-detail", article.pk)), (staff, page("article-create")),
        (staff, page("article-edit", article.pk)), (staff, page("article-diff", article.pk)),
        (staff, page("stale")), (staff, page("deflections")), (staff, page("category-list")),
        (staff, page("browse")), (staff, page("article-read", article.pk)),
        (customer, page("browse")), (customer, page("browse") + "?q=打印机&page=9"),
        (customer, page("article-read", article.pk)),
        (customer, reverse("servicedesk:request-create")),
    ]:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        html = response.content.decode()
        assert expected in html and f'<html lang="{language}">' in html, url
    export = staff.get(page("article-export"), {"file_format": "csv", "open": ""})
    assert export.status_code == 200 and article.number in export.content.decode("utf-8-sig")
    assert customer.get(page("browse"), {"category": "x"}).status_code == 400
    assert customer.get(page("browse"), {"q": "x" * 300}).status_code == 400
    assert staff.get(page("article-list"), {"article_type": "nope"}).status_code == 400
    assert staff.post(page("article-create"), {"title": ""}).status_code == 400
    assert staff.post(page("article-restore", article.pk), {"revision": "x"}).status_code \
        == 400
    html = customer.get(reverse("servicedesk:request-create")).content.decode()
    assert 'id="kb-suggest"' in html and "knowledge/suggest" in html
