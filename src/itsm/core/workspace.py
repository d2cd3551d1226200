"""The workspace every person lands on: the home page's cards that read every record
type (my open work by urgency, recently updated, waiting on me) and the inbox.

Apps add their own cards and kinds of inbox work in their ``registrations`` module
(``core.registry.register_widget`` / ``register_inbox_source``); what is here works on
any registered record type, so a new type shows up in them without an edit.
Each function runs a fixed number of queries whatever the number of record types:
the types' parts are gathered in one ``UNION ALL`` (``first_records``, ``count_all``)
where the database takes ordered, sliced parts (PostgreSQL); SQLite runs them one by
one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connections
from django.db.models import Aggregate, Count, F, IntegerField, Q, QuerySet, Value, Window
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from . import access
from . import rules as perms
from .models import Notification, Record
from .registry import InboxItem, inbox_sources_for, record_types

#: How many records a card lists, and the inbox per kind of work.
CARD_ROWS = 8
INBOX_ROWS = 50


def open_records(model: type[Record], user) -> QuerySet:
    """The records of ``model`` that ``user`` may see and that are not finished."""
    return model.objects.visible_to(user).exclude(status__in=model.workflow.final)


def staff_record_models(user) -> list[type[Record]]:
    """The record models whose pages ``user`` may use and whose records they may work on
    (a type with handler roles, such as complaints, is no one else's work)."""
    return [rt.model for rt in record_types()
            if rt.visible(user) and perms.handles_record_type(user, rt.model)]


def latest(rows: list[Record], key, limit: int = CARD_ROWS, reverse: bool = False
           ) -> list[Record]:
    """The first ``limit`` of records gathered from several types, ordered by ``key``."""
    return sorted(rows, key=key, reverse=reverse)[:limit]


#: The order of work by urgency: the soonest due first (no due time last, on SQLite
#: as on PostgreSQL), then the higher priority (1 is urgent), then the oldest.
BY_DUE = (F("due_at").asc(nulls_last=True), "priority", "pk")


def soonest_due(rows: list[Record], limit: int = CARD_ROWS) -> list[Record]:
    """The first ``limit`` records gathered from several types in :data:`BY_DUE` order."""
    return latest(rows, key=lambda r: (r.due_at is None, r.due_at or 0, r.priority, r.pk),
                  limit=limit)


#: What a card or the inbox shows of a record (``records.html``, ``InboxItem``).
CARD_FIELDS = ("number", "title", "status", "priority", "due_at", "updated_at", "created_at",
               "organization_id")


def union_rows(querysets: Sequence[QuerySet]) -> list[tuple]:
    """The rows of several ``values_list`` querysets of one shape, each ordered and sliced
    as it likes: one ``UNION ALL`` query where the database takes ordered, sliced parts
    (PostgreSQL), one query per part elsewhere (SQLite). In no particular order."""
    querysets = list(querysets)
    shaped = any(q.query.is_sliced or q.query.order_by for q in querysets)
    if len(querysets) > 1 and (not shaped or connections[querysets[0].db].features
                               .supports_slicing_ordering_in_compound):
        return list(querysets[0].union(*querysets[1:], all=True))
    return [row for queryset in querysets for row in queryset]


#: A count of all the rows a query matches, riding on each row it returns.
TOTAL = Window(Count("pk"))


def count_and_first(queryset: QuerySet, limit: int) -> tuple[int, list]:
    """How many objects an ordered queryset holds and its first ``limit``: one query (the
    count rides on every row as a window aggregate)."""
    rows = list(queryset.annotate(_total=TOTAL)[:limit])
    return (rows[0]._total if rows else 0), rows


def _part(queryset: QuerySet, index: int) -> QuerySet:
    return queryset.annotate(_part=Value(index, output_field=IntegerField()))


def first_records(querysets: Sequence[QuerySet], limit: int, *,
                  counts: Mapping[str, Aggregate] | None = None,
                  fields: Sequence[str] = CARD_FIELDS) -> tuple[dict[str, int], list[Record]]:
    """The first ``limit`` records of each ordered queryset, of whatever types, with just
    ``fields`` loaded, and the ``counts`` (aggregates by name) over all the records they
    hold, summed: one query (``union_rows``; the counts ride on the rows as window
    aggregates). Sort the records as the card reads them."""
    counts = dict(counts or {})
    columns = [f"_count_{name}" for name in counts]
    parts = []
    for index, queryset in enumerate(querysets):
        part = _part(queryset, index).annotate(**{
            column: Window(aggregate) for column, aggregate in zip(columns, counts.values(),
                                                                   strict=True)})
        parts.append(part.values_list("_part", *columns, "pk", *fields)[:limit])
    totals_of_part: dict[int, Sequence[int]] = {}
    records = []
    for index, *values in union_rows(parts):
        totals_of_part[index] = values[:len(columns)]
        records.append(_record(querysets[index], ["pk", *fields], values[len(columns):]))
    totals = {name: sum(part[i] or 0 for part in totals_of_part.values())
              for i, name in enumerate(counts)}
    return totals, records


#: ``first_records``' count of all the records.
ALL = {"all": Count("pk")}


def _record(queryset: QuerySet, fields: Sequence[str], values: Sequence) -> Record:
    """A record with just ``fields`` loaded (the rest deferred) from their ``values``."""
    meta = queryset.model._meta
    loaded = {(meta.pk if name == "pk" else meta.get_field(name)).attname: value
              for name, value in zip(fields, values, strict=True)}
    names = [f.attname for f in meta.concrete_fields if f.attname in loaded]
    return queryset.model.from_db(queryset.db, names, [loaded[name] for name in names])


def count_all(querysets: Sequence[QuerySet], **counts: Count) -> dict[str, int]:
    """The ``counts`` (aggregates by name) summed over several querysets: one query."""
    names = list(counts)
    totals = dict.fromkeys(names, 0)
    parts = [_part(queryset.order_by(), index).values("_part").annotate(**counts)
             .values_list(*names) for index, queryset in enumerate(querysets)]
    for row in union_rows(parts):
        for name, value in zip(names, row, strict=True):
            totals[name] += value or 0
    return totals


@dataclass(frozen=True)
class Bucket:
    key: str
    label: Any
    count: int
    color: str


URGENCY = (
    ("breached", _("Overdue"), "danger"),
    ("hour", _("Due within an hour"), "warning"),
    ("today", _("Due today"), "info"),
    ("later", _("Due later"), "success"),
    ("none", _("No deadline"), "secondary"),
)


def _urgency_counts(now: dt.datetime) -> dict[str, Any]:
    # Of the assignee (every row has one), not the id: the index of a person's unfinished
    # tickets answers them without reading the tickets.
    end_of_day = timezone.localtime(now).replace(hour=23, minute=59, second=59)
    hour = now + dt.timedelta(hours=1)
    return {
        "breached": Count("assignee", filter=Q(due_at__lt=now)),
        "hour": Count("assignee", filter=Q(due_at__gte=now, due_at__lt=hour)),
        "today": Count("assignee", filter=Q(due_at__gte=hour, due_at__lte=end_of_day)),
        "later": Count("assignee", filter=Q(due_at__gt=end_of_day) & Q(due_at__gte=hour)),
        "none": Count("assignee", filter=Q(due_at__isnull=True)),
    }


def my_work(user) -> dict[str, Any]:
    """The person's open records by urgency of their due time, and the most urgent ones
    (one query)."""
    now = timezone.now()
    mine = [open_records(model, user).filter(assignee_id=user.pk)
            for model in staff_record_models(user)]
    totals, rows = first_records([qs.order_by(*BY_DUE) for qs in mine], CARD_ROWS,
                                 counts=_urgency_counts(now))
    return {
        "buckets": [Bucket(key, label, totals[key], color) for key, label, color in URGENCY],
        "total": sum(totals.values()),
        "records": soonest_due(rows),
        "now": now,
    }


def recently_updated(user) -> dict[str, Any]:
    """Records assigned to the person, latest change first (one query, on the assignee's
    index: a whole team's records would be sorted at every visit)."""
    _counts, rows = first_records(
        [model.objects.visible_to(user).filter(assignee_id=user.pk)
         .order_by("-updated_at", "-pk") for model in staff_record_models(user)], CARD_ROWS)
    return {"records": latest(rows, key=lambda r: (r.updated_at, r.pk), reverse=True)}


@dataclass(frozen=True)
class InboxSection:
    key: str
    label: Any
    count: int
    items: list[InboxItem]


def inbox(user, limit: int) -> list[InboxSection]:
    """What waits for ``user``, per kind of work, the first ``limit`` of each."""
    sections = []
    for source in inbox_sources_for(user):
        count, items = source.items(user, limit)
        sections.append(InboxSection(source.key, source.label, count, items))
    return sections


def waiting_on_me(user) -> dict[str, Any]:
    """The inbox in short: each kind of work with its count and first three."""
    sections = [s for s in inbox(user, 3) if s.count]
    return {"sections": sections, "total": sum(s.count for s in sections)}


def assigned_to_me(user, limit: int) -> tuple[int, list[InboxItem]]:
    """Inbox work of every record type: open records assigned to the person, the soonest
    due first (one query)."""
    counts, rows = first_records(
        [open_records(model, user).filter(assignee_id=user.pk)
         .exclude(status__in=model.waiting_statuses).order_by(*BY_DUE)
         for model in staff_record_models(user)], limit, counts=ALL)
    items = [InboxItem(kind=capfirst(record._meta.verbose_name), title=record.title,
                       url=record.get_absolute_url(), number=record.number,
                       since=record.updated_at, due=record.due_at)
             for record in soonest_due(rows, limit)]
    return counts["all"], items


def my_requests(user) -> dict[str, Any]:
    """The records the person raised that are still open, latest change first (one
    query)."""
    counts, rows = first_records(
        [open_records(rt.model, user).filter(requester_id=user.pk)
         .order_by("-updated_at", "-pk")
         for rt in record_types() if model_visible_as_requester(rt, user)],
        CARD_ROWS, counts=ALL)
    return {"records": latest(rows, key=lambda r: (r.updated_at, r.pk), reverse=True),
            "count": counts["all"]}


def model_visible_as_requester(record_type, user) -> bool:
    """Whether ``user`` may see their own records of this type."""
    return record_type.visible(user) and (record_type.model.customers_may_view
                                          or access.is_provider_staff(user))


# --- In-app notifications (the bell) ---------------------------------------------


def own_notifications(user) -> QuerySet[Notification]:
    """The person's in-app notifications, newest first."""
    return Notification.objects.filter(user_id=user.pk).order_by("-created_at", "-pk")


def unread_count(user) -> int:
    return own_notifications(user).filter(read_at__isnull=True).count()


def notification_url(notification: Notification) -> str | None:
    """The page of the record a notification is about, if it has one."""
    if notification.record_type_id is None or notification.record_id is None:
        return None
    model = ContentType.objects.get_for_id(notification.record_type_id).model_class()
    prefix = getattr(model, "url_prefix", None)
    if not prefix:
        return None
    try:
        return reverse(f"{prefix}-detail", args=[notification.record_id])
    except NoReverseMatch:
        return None
