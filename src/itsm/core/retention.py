"""Retention periods (GEN-7): a record inside its period cannot be deleted.

The check runs on Django's ``pre_delete`` signal of every record type (its receiver is
in ``core.receivers``), so it holds for the service layer, the API, the UI, the admin,
queryset ``delete()`` and cascades alike; raising aborts the whole deletion (it happens
inside its transaction).

After the period, ``purge_expired`` (the nightly job of ``ITSM_PURGE_EXPIRED``, or
``itsm purge-expired``) deletes the records in a final status, each one audited.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging

from django.apps import apps
from django.utils import timezone
from django.utils.translation import gettext as _

from .exceptions import RetentionError
from .models import Record

logger = logging.getLogger(__name__)


def check_deletable(record: Record) -> None:
    until = record.retained_until
    if until is not None and timezone.localdate() < until:
        raise RetentionError(
            _("%(number)s must be kept until %(date)s (retention period: %(years)d years) "
              "and cannot be deleted.")
            % {"number": record.number, "date": until.isoformat(),
               "years": record.retention_years})


def retention_years_of(model: type[Record]) -> int:
    """The retention period of a record type (a class attribute or, for changes, a
    property reading the settings)."""
    return int(model().retention_years or 0)


def record_types_with_retention() -> list[type[Record]]:
    return [m for m in apps.get_models()
            if issubclass(m, Record) and not m._meta.proxy and retention_years_of(m) > 0]


def latest_expired_creation_date(today: dt.date, years: int) -> dt.date:
    """The last creation date whose ``retained_until`` (see ``Record.retained_until``)
    is on or before ``today``."""
    year = today.year - years
    if today.month == 2 and today.day == 28 and calendar.isleap(year):
        return dt.date(year, 2, 29)  # kept until 28 February of a common year
    try:
        return today.replace(year=year)
    except ValueError:  # today is 29 February, the year ``years`` ago is common
        return dt.date(year, 2, 28)


def expired_queryset(model: type[Record], today: dt.date):
    """Records in a final status created on or before the last expired creation date
    (in the local time zone, as ``retained_until`` counts), filtered in SQL."""
    last_day = latest_expired_creation_date(today, retention_years_of(model))
    before = timezone.make_aware(dt.datetime.combine(last_day + dt.timedelta(days=1),
                                                     dt.time.min))
    return model.objects.filter(created_at__lt=before,
                                status__in=sorted(model.workflow.final)).order_by("pk")
