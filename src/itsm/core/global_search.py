"""Global search: one keyword over every record type a person may use.

The record types come from the registry (``core.registry``), so a new type is searched
without an edit here; a type registered with ``searchable=False`` is left out. A person
searches the types their menu shows (``RecordType.visible``) and, within each, only the
records ``visible_to`` them. Each type costs two queries: the matches' ids up to
:data:`COUNT_LIMIT` ("1,000+"; on SQLite a count, only when the slice is full), then a
slice of the newest: never a query per matching row, and a common word costs no more
than a rare one.

The words are found as a record list's ``q`` finds them (``search.matching``), so a
section's count is what its "all results" link lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.http import urlencode

from . import search
from .registry import RecordType, record_types

if TYPE_CHECKING:
    from django.utils.functional import Promise

    from .models import Record

#: Records shown per record type; the rest is behind the link to the type's list.
SECTION_SIZE = 10
#: Matches counted per record type; beyond it a section says "more than".
COUNT_LIMIT = search.FEW
#: The order of a section, kept by the link to the full list: newest first. The lists'
#: index on it lets PostgreSQL stop at the first matches of a common word (a million
#: tickets: 7 ms; by last change it sorted every match, 250 ms–1.3 s).
ORDERING = ("-created_at", "-id")


@dataclass(frozen=True)
class SearchSection:
    """The matches of one record type: the newest ``records``, the
    ``count`` of all of them (of :data:`COUNT_LIMIT` when ``more`` there are) and
    ``list_url``, the type's list of them in that order."""

    record_type: RecordType
    label: Promise | str
    count: int
    records: list[Record]
    list_url: str
    more: bool = False

    @property
    def key(self) -> str:
        return self.record_type.key


def searchable_types(user) -> list[RecordType]:
    """The record types ``user`` may search, in registration order."""
    return [rt for rt in record_types() if rt.searchable and rt.visible(user)]


def search_records(user, query: str, *, limit: int = SECTION_SIZE) -> list[SearchSection]:
    """One section per record type ``user`` may search (those without a match too),
    each with at most ``limit`` of the matching records ``user`` may see."""
    query = query.strip()
    return [_section(record_type, user, query, limit)
            for record_type in searchable_types(user)] if query else []


def _section(record_type: RecordType, user, query: str, limit: int) -> SearchSection:
    matching, count = search.matching(record_type.model.objects.visible_to(user), query,
                                      user=user)
    records = list(matching.select_related("organization").order_by(*ORDERING)[:limit])
    if count is None:  # not counted while looking them up (SQLite)
        count = (len(records) if len(records) < limit
                 else matching.order_by()[:COUNT_LIMIT + 1].count())
    list_url = "{}?{}".format(reverse(record_type.url_name("list")),
                              urlencode({"q": query, "ordering": ORDERING[0]}))
    return SearchSection(record_type=record_type, label=record_type.label_for(user),
                         count=min(count, COUNT_LIMIT), records=records, list_url=list_url,
                         more=count > COUNT_LIMIT)
