"""Impact analysis (CHG-2, INC-1): what depends on a configuration item.

From one CI, follow "depends on", "runs on" and "part of" relations backwards, as far
as they go, with one recursive SQL query (PostgreSQL and SQLite both support
``WITH RECURSIVE``; ``UNION`` visits each item once, so cycles end). Then find the
catalogue services those items provide, the customer organizations of those services
and of the items, and the open incidents, problems and changes that touch any of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db import connection

from itsm.catalog.models import Service
from itsm.core.models import Organization

from .choices import IMPACTING_KINDS
from .models import ConfigurationItem, RecordCI


@dataclass
class Impact:
    ci: ConfigurationItem
    #: Every item affected when ``ci`` fails, ``ci`` included.
    item_ids: set[int] = field(default_factory=set)
    services: list = field(default_factory=list)
    #: Customer organizations of the affected services and items.
    organizations: list = field(default_factory=list)
    #: Open records (incidents, problems, changes …) touching an affected item.
    open_records: list = field(default_factory=list)


def dependent_item_ids(ci_id: int) -> set[int]:
    """Ids of ``ci_id`` and every item that depends on it, directly or not."""
    kinds = [str(k) for k in IMPACTING_KINDS]
    placeholders = ", ".join(["%s"] * len(kinds))
    sql = f"""
        WITH RECURSIVE impacted(id) AS (
            SELECT CAST(%s AS BIGINT)
            UNION
            SELECT r.source_id FROM cmdb_cirelation r
            JOIN impacted i ON r.target_id = i.id
            WHERE r.kind IN ({placeholders})
        )
        SELECT id FROM impacted
    """  # noqa: S608 - only placeholders are interpolated
    with connection.cursor() as cursor:
        cursor.execute(sql, [ci_id, *kinds])
        return {row[0] for row in cursor.fetchall()}


def analyse(ci: ConfigurationItem) -> Impact:
    """The full impact of ``ci`` (unscoped: callers filter what the reader may see)."""

    impact = Impact(ci=ci, item_ids=dependent_item_ids(ci.pk))
    service_ids = set(ConfigurationItem.objects.filter(
        pk__in=impact.item_ids, service__isnull=False).values_list("service_id", flat=True))
    impact.services = list(Service.objects.filter(pk__in=service_ids).order_by("name"))
    org_ids = set(Service.customers.through.objects.filter(service_id__in=service_ids)
                  .values_list("organization_id", flat=True))
    org_ids |= set(ConfigurationItem.objects.filter(pk__in=impact.item_ids)
                   .values_list("organization_id", flat=True))
    impact.organizations = list(Organization.objects.filter(
        pk__in=org_ids, kind="customer").order_by("name"))
    impact.open_records = open_records_touching(impact.item_ids)
    return impact


def open_records_touching(item_ids: set[int]) -> list:
    """Open records linked to any of the items, one query per record type."""
    records = []
    links = RecordCI.objects.filter(ci_id__in=item_ids).values_list("record_type_id",
                                                                     "record_id")
    by_type: dict[int, set[int]] = {}
    for type_id, record_id in links:
        by_type.setdefault(type_id, set()).add(record_id)
    for type_id, ids in by_type.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        if model is None:
            continue
        final = getattr(getattr(model, "workflow", None), "final", ())
        records += list(model.objects.filter(pk__in=ids).exclude(status__in=final))
    return records
