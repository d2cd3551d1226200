"""Articles the knowledge tests share (not a test module)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from itsm.core import services as core_services
from itsm.knowledge import services
from itsm.knowledge.models import Article

FAULT = {
    "title": "打印机卡纸处理", "article_type": "fault",
    "description": "三楼共享打印机卡纸时的处理步骤。",
    "keywords": "卡纸 打印机 夹纸",
    "symptom": "打印机面板提示卡纸，打印任务停止。",
    "cause": "纸张受潮或纸盒放纸过多。",
    "solution": "打开前盖，顺着进纸方向取出卡住的纸，重新放纸后继续打印。",
    "body": "<h2>处理步骤</h2><ol><li>关闭电源</li><li>打开前盖取出纸张</li></ol>",
}


def make_article(world, author: str = "agent", **data: Any) -> Article:
    """A draft written by ``author`` through the service (revision 1)."""
    return services.create_article(actor=world.users[author], data={**FAULT, **data})


def submit(world, article: Article, reviewer: str = "lead") -> Article:
    return core_services.transition_record(article, "submit", actor=article.requester,
                                           values={"reviewer": world.users[reviewer]})


def publish(world, article: Article, reviewer: str = "lead") -> Article:
    """Submitted by its author and approved by ``reviewer``."""
    article = submit(world, article, reviewer)
    return core_services.transition_record(article, "approve", actor=world.users[reviewer])


def published(world, reviewer: str = "lead", **data: Any) -> Article:
    return publish(world, make_article(world, **data), reviewer)


def api(name: str, *args: Any) -> str:
    return reverse(f"api:article-{name}", args=args)


def page(name: str, *args: Any) -> str:
    return reverse(f"knowledge:{name}", args=args)
