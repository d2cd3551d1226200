"""The change calendar (CHG-3/4): conflicts between changes and freeze windows.

Two changes conflict when their planned windows overlap and they touch the same
configuration item or the same service. Conflicts are shown (detail page, calendar,
API), not enforced: the change manager decides. A freeze window refuses scheduling
of every change but an emergency change, which passes with a warning.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet

from itsm.catalog.services import provider_id_for
from itsm.cmdb.models import ConfigurationItem, RecordCI
from itsm.core.models import Organization

from .choices import ChangeStatus
from .models import Change, FreezeWindow

#: Statuses in which a change's planned window is (or is about to be) committed.
PLANNED_STATUSES = frozenset({ChangeStatus.ASSESSMENT, ChangeStatus.APPROVAL,
                              ChangeStatus.APPROVED, ChangeStatus.SCHEDULED,
                              ChangeStatus.IMPLEMENTING})


@dataclass
class Conflict:
    change: Change
    items: list[str] = field(default_factory=list)
    services: list[str] = field(default_factory=list)


def provider_changes(provider_id: int) -> QuerySet[Change]:
    orgs = Organization.objects.filter(Q(pk=provider_id) | Q(provider_id=provider_id))
    return Change.objects.filter(organization__in=orgs)


def _ci_ids(change: Change) -> set[int]:
    return set(RecordCI.objects.filter(record_type=ContentType.objects.get_for_model(Change),
                                       record_id=change.pk).values_list("ci_id", flat=True))


def conflicts_for(change: Change) -> list[Conflict]:
    """Other planned changes whose windows overlap ``change``'s on a shared CI or service."""
    if not (change.pk and change.planned_start and change.planned_end):
        return []
    others = (provider_changes(provider_id_for(change.organization))
              .exclude(pk=change.pk).filter(status__in=PLANNED_STATUSES,
                                            planned_start__lt=change.planned_end,
                                            planned_end__gt=change.planned_start))
    ci_ids = _ci_ids(change)
    service_ids = set(change.services.values_list("pk", flat=True))
    found: dict[int, Conflict] = {}
    if ci_ids:
        ct = ContentType.objects.get_for_model(Change)
        shared = (RecordCI.objects.filter(record_type=ct, ci_id__in=ci_ids,
                                          record_id__in=others.values("pk"))
                  .values_list("record_id", "ci_id"))
        names = dict(ConfigurationItem.objects.filter(pk__in=ci_ids)
                     .values_list("pk", "name"))
        for record_id, ci_id in shared:
            found.setdefault(record_id, Conflict(change=None)).items.append(names[ci_id])
    if service_ids:
        through = Change.services.through
        for change_id, name in (through.objects.filter(service_id__in=service_ids,
                                                       change_id__in=others.values("pk"))
                                .values_list("change_id", "service__name")):
            found.setdefault(change_id, Conflict(change=None)).services.append(name)
    changes = others.in_bulk(list(found))
    result = []
    for change_id, conflict in found.items():
        conflict.change = changes[change_id]
        conflict.items.sort()
        conflict.services.sort()
        result.append(conflict)
    return sorted(result, key=lambda c: (c.change.planned_start, c.change.pk))


def freezes_for(change: Change, start: dt.datetime | None = None,
                end: dt.datetime | None = None) -> list[FreezeWindow]:
    """Freeze windows of the change's provider overlapping its planned window (or the
    one given) that cover every service or one of the change's services."""
    start, end = start or change.planned_start, end or change.planned_end
    if not (start and end):
        return []
    windows = FreezeWindow.objects.filter(provider_id=provider_id_for(change.organization),
                                          start__lt=end, end__gt=start)
    service_ids = set(change.services.values_list("pk", flat=True)) if change.pk else set()
    return [w for w in windows.prefetch_related("services")
            if not w.services.all() or {s.pk for s in w.services.all()} & service_ids]


@dataclass
class CalendarEntry:
    change: Change
    conflicts: list[Conflict]


def calendar(changes: QuerySet[Change], freezes: QuerySet[FreezeWindow],
             start: dt.datetime, end: dt.datetime) -> tuple[list[CalendarEntry],
                                                           list[FreezeWindow]]:
    """Changes (those given, e.g. visible to the reader) planned in [start, end) with their
    conflicts, and the freeze windows in that range."""
    entries = [CalendarEntry(change=c, conflicts=conflicts_for(c))
               for c in changes.filter(planned_start__lt=end, planned_end__gt=start)
               .exclude(status=ChangeStatus.CANCELLED)
               .select_related("organization").order_by("planned_start", "pk")]
    windows = list(freezes.filter(start__lt=end, end__gt=start).order_by("start"))
    return entries, windows
