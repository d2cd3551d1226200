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

from itsm.catalog.models import Service
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


def _links(change_ids: set[int]) -> tuple[dict[int, set[int]], dict[int, set[int]]]:
    """CI ids and service ids of each change, in two queries."""
    cis: dict[int, set[int]] = {pk: set() for pk in change_ids}
    services: dict[int, set[int]] = {pk: set() for pk in change_ids}
    for record_id, ci_id in RecordCI.objects.filter(
            record_type=ContentType.objects.get_for_model(Change),
            record_id__in=change_ids).values_list("record_id", "ci_id"):
        cis[record_id].add(ci_id)
    for change_id, service_id in Change.services.through.objects.filter(
            change_id__in=change_ids).values_list("change_id", "service_id"):
        services[change_id].add(service_id)
    return cis, services


def conflicts_among(changes: list[Change]) -> dict[int, list[Conflict]]:
    """For each change, the other planned changes whose windows overlap its own on a
    shared CI or service; a fixed number of queries per provider, however many changes."""
    result: dict[int, list[Conflict]] = {c.pk: [] for c in changes}
    by_provider: dict[int, list[Change]] = {}
    for change in changes:
        if change.pk and change.planned_start and change.planned_end:
            by_provider.setdefault(change.provider_id, []).append(change)
    for provider_id, group in by_provider.items():
        others = list(provider_changes(provider_id).filter(
            status__in=PLANNED_STATUSES,
            planned_start__lt=max(c.planned_end for c in group),
            planned_end__gt=min(c.planned_start for c in group)))
        cis, services = _links({c.pk for c in group} | {o.pk for o in others})
        ci_names = dict(ConfigurationItem.objects.filter(
            pk__in=set().union(*cis.values())).values_list("pk", "name"))
        service_names = dict(Service.objects.filter(
            pk__in=set().union(*services.values())).values_list("pk", "name"))
        for change in group:
            for other in others:
                if other.pk == change.pk or not (other.planned_start < change.planned_end
                                                 and other.planned_end > change.planned_start):
                    continue
                shared_cis = cis[change.pk] & cis[other.pk]
                shared_services = services[change.pk] & services[other.pk]
                if shared_cis or shared_services:
                    result[change.pk].append(Conflict(
                        change=other, items=sorted(ci_names[i] for i in shared_cis),
                        services=sorted(service_names[i] for i in shared_services)))
            result[change.pk].sort(key=lambda c: (c.change.planned_start, c.change.pk))
    return result


def conflicts_for(change: Change) -> list[Conflict]:
    """Other planned changes whose windows overlap ``change``'s on a shared CI or service."""
    return conflicts_among([change])[change.pk] if change.pk else []


@dataclass
class CalendarEntry:
    change: Change
    conflicts: list[Conflict]


def calendar(changes: QuerySet[Change], freezes: QuerySet[FreezeWindow],
             start: dt.datetime, end: dt.datetime) -> tuple[list[CalendarEntry],
                                                           list[FreezeWindow]]:
    """Changes (those given, e.g. visible to the reader) planned in [start, end) with their
    conflicts, and the freeze windows in that range."""
    planned = list(changes.filter(planned_start__lt=end, planned_end__gt=start)
                   .exclude(status=ChangeStatus.CANCELLED)
                   .select_related("organization").order_by("planned_start", "pk"))
    conflicts = conflicts_among(planned)
    entries = [CalendarEntry(change=c, conflicts=conflicts[c.pk]) for c in planned]
    windows = list(freezes.filter(start__lt=end, end__gt=start).order_by("start"))
    return entries, windows
