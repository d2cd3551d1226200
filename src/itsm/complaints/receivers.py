"""The complaints' reactions to the core write path (``core.reactions`` orders them).

- ``record_created``: ``clocks`` — the new complaint's clocks; ``notifications`` — a
  complaint logged as major tells management at once.
- ``record_updated``: ``clocks`` — a change of level moves the targets (and a new major
  level tells management).
- ``record_transitioned``: ``clocks`` — every status change can start, pause or stop a
  clock; rejections and reopenings are counted (the handling assessment's accuracy);
  ``notifications`` — an evaluation as major tells management.
- ``post_migrate`` of this app: the default cause categories, if missing (also after a
  ``flush``).
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db import connections
from django.db.models import F
from django.db.models.signals import post_migrate

from itsm.core import signals
from itsm.core.reactions import reaction

from .choices import ComplaintLevel, seed_default_causes
from .clocks import recompute_clocks
from .models import CauseCategory, Complaint
from .services import notify_major

COUNTERS = {"reject": "rejection_count", "reopen": "reopen_count"}


@reaction(signals.record_created, "clocks", sender=Complaint)
def start_clocks(sender, record, actor=None, **kwargs) -> None:
    recompute_clocks(record)


@reaction(signals.record_created, "notifications", sender=Complaint)
def major_on_creation(sender, record, actor=None, **kwargs) -> None:
    if record.level == ComplaintLevel.MAJOR:
        notify_major(record, actor)


@reaction(signals.record_updated, "clocks", sender=Complaint)
def follow_level(sender, record, changes, actor=None, **kwargs) -> None:
    if "level" in changes:
        recompute_clocks(record)
        if record.level == ComplaintLevel.MAJOR:
            notify_major(record, actor)


@reaction(signals.record_transitioned, "clocks", sender=Complaint)
def follow_status(sender, record, actor=None, transition="", **kwargs) -> None:
    if transition in COUNTERS:
        field = COUNTERS[transition]
        Complaint.objects.filter(pk=record.pk).update(**{field: F(field) + 1})
    recompute_clocks(record)


@reaction(signals.record_transitioned, "notifications", sender=Complaint)
def major_on_evaluation(sender, record, actor=None, transition="", **kwargs) -> None:
    if transition == "evaluate" and record.level == ComplaintLevel.MAJOR:
        notify_major(record, actor)


def seed_after_migrate(sender, using: str = "default", **kwargs: Any) -> None:
    if "complaints_causecategory" not in set(connections[using].introspection.table_names()):
        return  # migrating to an earlier state
    seed_default_causes(CauseCategory)


post_migrate.connect(seed_after_migrate, sender=apps.get_app_config("complaints"))
