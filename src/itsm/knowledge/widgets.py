"""The knowledge base's home card and inbox entries, each in a fixed number of queries.

"Articles waiting for my review" lists the articles whose named reviewer is the reader:
submitted ones, and published ones with changes to publish. Deputies (team leads,
quality managers, administrators) may review any article, but only the named reviewer
has it in their inbox — a task has one person.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.core.registry import InboxItem
from itsm.core.workspace import count_and_first

from .choices import ArticleStatus, FlagStatus
from .models import Article, ArticleFlag, Deflection

#: Days before its review date an article is in its owner's inbox (the first reminder).
DUE_SOON_DAYS = 14


def _mine(user, prefix: str = "") -> Q:
    """Articles the person answers for: owned by them, or written by them without an
    owner."""
    return (Q(**{f"{prefix}owner_id": user.pk})
            | Q(**{f"{prefix}owner__isnull": True, f"{prefix}requester_id": user.pk}))


def waiting_for_review(user) -> Q:
    return Q(reviewer_id=user.pk) & (
        Q(status=ArticleStatus.IN_REVIEW)
        | (Q(status=ArticleStatus.PUBLISHED, current_revision__isnull=False)
           & ~Q(current_revision=F("published_revision"))))


def knowledge_card(user) -> dict[str, Any]:
    """Published articles due for review, articles waiting for the reader's review and
    the requests customers did not need this month: three counts."""
    articles = Article.objects.visible_to(user)
    today = timezone.localdate()
    month = timezone.make_aware(dt.datetime.combine(today.replace(day=1), dt.time.min))
    return {
        "stale": articles.stale(today).count(),
        "reviews": articles.filter(waiting_for_review(user)).count(),
        "deflections": Deflection.objects.visible_to(user).filter(created_at__gte=month)
        .count(),
        "stale_url": reverse("knowledge:stale"),
        "reviews_url": f"{reverse('knowledge:article-list')}?status=in_review",
        "deflections_url": reverse("knowledge:deflections"),
    }


def reviews_for_me(user, limit: int) -> tuple[int, list[InboxItem]]:
    count, rows = count_and_first(Article.objects.visible_to(user).filter(
        waiting_for_review(user)).order_by("updated_at", "pk"), limit)
    return count, [InboxItem(kind=_("Article to review"), title=a.title,
                             url=a.get_absolute_url(), number=a.number, since=a.updated_at)
                   for a in rows]


def due_for_review(user, limit: int) -> tuple[int, list[InboxItem]]:
    soon = timezone.localdate() + dt.timedelta(days=DUE_SOON_DAYS)
    count, rows = count_and_first(Article.objects.visible_to(user).filter(
        _mine(user), status=ArticleStatus.PUBLISHED, review_due__lte=soon)
        .order_by("review_due", "pk"), limit)
    return count, [InboxItem(kind=_("Article due for review"), title=a.title,
                             url=a.get_absolute_url(), number=a.number, since=a.published_at,
                             due=_end_of(a.review_due)) for a in rows]


def flags_on_my_articles(user, limit: int) -> tuple[int, list[InboxItem]]:
    count, rows = count_and_first(ArticleFlag.objects.filter(
        _mine(user, "article__"), status=FlagStatus.OPEN,
        article__in=Article.objects.visible_to(user).values("pk"))
        .select_related("article").order_by("created_at", "pk"), limit)
    return count, [InboxItem(kind=_("Error reported in an article"), title=f.text[:100],
                             url=f"{f.article.get_absolute_url()}#flag-{f.pk}",
                             number=f.article.number, since=f.created_at) for f in rows]


def _end_of(day: dt.date | None) -> dt.datetime | None:
    if day is None:
        return None
    return timezone.make_aware(dt.datetime.combine(day, dt.time(23, 59)))
