"""Knowledge that may help: suggestions while a customer types a request and on an
agent's ticket page, found as a ticket list's ``q`` finds tickets (``core.search``:
jieba-segmented words, two-character words such as 卡纸, a Chinese run of several words as
a phrase).

First the articles holding every word (and phrase) come, the most helpful first. A
request's text seldom holds all its words in one article, so when none does, the articles
holding the most of the words come: each word (at most :data:`MAX_WORDS`, single Chinese
characters and filler left out) is looked up on its own, and the articles are ranked by
how many words they hold, then by how many readers found them helpful.

Every look-up takes at most :data:`CANDIDATES` (a single word: :data:`WORD_CANDIDATES`)
matches from the full-text index, in no particular order, and ranks just those: its cost
stays bounded whatever the number of articles (checking a phrase as written reads each
candidate's text). A word common to thousands of articles so ranks a sample of them
rather than all of them — for suggestions, where every candidate holds the words, the
right trade (``bench/knowledge.py``).
"""

from __future__ import annotations

from collections import Counter

from django.db.models import QuerySet

from itsm.core import search as core_search

from .choices import ArticleStatus
from .models import Article

#: The words of a text looked up at most (a ticket's description has many).
MAX_WORDS = 8
#: Matches ranked at most: of all the words together, and of each word alone.
CANDIDATES = 100
WORD_CANDIDATES = 100
#: Words that say nothing about the problem (asked in every request).
FILLER = frozenset({"怎么", "怎么办", "如何", "为什么", "什么", "无法", "不能", "问题", "请问",
                    "一下", "需要", "可以", "the", "a", "an", "to", "of", "is", "not",
                    "how", "can", "cannot", "my", "and", "or", "in", "on", "with"})
#: Suggestions shown by default.
LIMIT = 5
ORDER = ("-helpful_count", "-published_at", "-pk")


def readable_articles(user) -> QuerySet:
    """The published articles ``user`` may read, with what a suggestion shows."""
    return (Article.objects.visible_to(user).filter(status=ArticleStatus.PUBLISHED)
            .select_related("published_revision", "article_category"))


def words_of(text: str) -> list[str]:
    """The words a suggestion looks up, in order: no single Chinese characters or filler
    (unless nothing else is left), at most :data:`MAX_WORDS`."""
    terms = list(core_search.parse(text).terms)
    telling = [t for t in terms if t not in FILLER
               and not (len(t) == 1 and core_search.CJK_CHAR.match(t))]
    return (telling or terms)[:MAX_WORDS]


def suggest(user, text: str, limit: int = LIMIT) -> list[Article]:
    """At most ``limit`` published articles ``user`` may read that match ``text``: those
    holding every word first; else those holding the most of its words."""
    text = (text or "").strip()[:core_search.MAX_QUERY]
    words = words_of(text)
    if not words:
        return []
    articles = readable_articles(user)
    query = text if len(core_search.parse(text).terms) <= MAX_WORDS else " ".join(words)
    found = _candidates(articles, query)
    if found or len(words) < 2:  # every candidate holds every word: the most helpful
        return list(articles.filter(pk__in=found).order_by(*ORDER)[:limit])
    hits: Counter[int] = Counter()
    for word in words:
        hits.update(_candidates(articles, word, WORD_CANDIDATES))
    return _ranked(articles, hits, limit)


def _candidates(articles: QuerySet, query: str, most: int = CANDIDATES) -> list[int]:
    """Ids of at most ``most`` articles holding every word of ``query``."""
    condition = core_search.record_condition(Article, query, articles.db)
    return list(articles.filter(condition).order_by().values_list("pk", flat=True)[:most])


def _ranked(articles: QuerySet, hits: Counter[int], limit: int) -> list[Article]:
    """The first ``limit`` of the articles in ``hits``: those holding the most words,
    then the most helpful, the latest published (ranked on a few columns; only the
    chosen articles are read whole)."""
    if not hits:
        return []
    rows = articles.filter(pk__in=list(hits)).values_list("pk", "helpful_count",
                                                           "published_at")
    chosen = [pk for pk, *_rest in sorted(rows, key=lambda r: (
        -hits[r[0]], -r[1], -(r[2].timestamp() if r[2] else 0), -r[0]))[:limit]]
    by_pk = articles.in_bulk(chosen)
    return [by_pk[pk] for pk in chosen if pk in by_pk]
