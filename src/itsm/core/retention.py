"""Retention periods (GEN-7): a record inside its period cannot be deleted.

The check runs on Django's ``pre_delete`` signal of every record type, so it holds for
the service layer, the API, the UI, the admin, queryset ``delete()`` and cascades
alike; raising aborts the whole deletion (it happens inside its transaction).
"""

from __future__ import annotations

from django.db.models.signals import pre_delete
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _

from .exceptions import RetentionError
from .models import Record


def check_deletable(record: Record) -> None:
    until = record.retained_until
    if until is not None and timezone.localdate() < until:
        raise RetentionError(
            _("%(number)s must be kept until %(date)s (retention period: %(years)d years) "
              "and cannot be deleted.")
            % {"number": record.number, "date": until.isoformat(),
               "years": record.retention_years})


@receiver(pre_delete)
def refuse_deleting_retained_records(sender, instance, **kwargs) -> None:
    if isinstance(instance, Record):
        check_deletable(instance)
