"""Reminders: anything with a due or review date declares it once; one daily job
reminds the right people before the date, on it, and once when it has passed.

An app registers a reminder in its ``registrations`` module::

    register_reminder(
        "article-review", _("Knowledge article due for review"),
        queryset=lambda: Article.objects.filter(status="published"),
        date_field="review_due",                      # a DateField or DateTimeField
        recipients=lambda article: [article.owner],
        days_before=(7, 1),                           # and on the date, and overdue
    )

``send_due(today)`` (the job ``core.tasks.send_reminders``, every morning) notifies, for
each registered reminder and each object of its queryset whose date is at most
``max(days_before)`` days ahead:

- ``N`` days before (the nearest declared step at or above the days left: a job that
  did not run on the day still reminds once, at the next step),
- on the date,
- once when it has passed ("overdue"), for objects still in the queryset,

each step at most once per object, date and recipient (``notify``'s ``dedupe_key``):
a second run, or two workers, send nothing twice, and a moved date reminds again.
Every person gets the text in their own language; the provider's robot channels that
want the ``reminder`` event get it too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model, QuerySet
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from .choices import NotificationEvent
from .notifications import absolute, by_language, notify

#: The default steps: a week before, the day before (and always: on the day, overdue).
DEFAULT_DAYS_BEFORE = (7, 1)


@dataclass(frozen=True)
class Reminder:
    """A kind of dated thing that reminds people (see the module's docstring)."""

    key: str
    label: Promise | str
    queryset: Callable[[], QuerySet]
    date_field: str
    recipients: Callable[[Any], Iterable[Any]]
    days_before: tuple[int, ...] = DEFAULT_DAYS_BEFORE
    #: The object as the message names it (default ``str(obj)``).
    describe: Callable[[Any], str] = str
    #: The page the message links to (default ``obj.get_absolute_url()``).
    url: Callable[[Any], str] | None = None
    #: The organization whose provider's channels hear of it (default the object's
    #: ``organization_id`` or ``provider_id``).
    organization_id: Callable[[Any], int | None] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def date_of(self, obj: Model) -> dt.date | None:
        value = getattr(obj, self.date_field)
        if isinstance(value, dt.datetime):
            return timezone.localtime(value).date()
        return value


_REMINDERS: dict[str, Reminder] = {}


def register_reminder(key: str, label: Promise | str, *, queryset: Callable[[], QuerySet],
                      date_field: str, recipients: Callable[[Any], Iterable[Any]],
                      days_before: Iterable[int] = DEFAULT_DAYS_BEFORE,
                      describe: Callable[[Any], str] = str,
                      url: Callable[[Any], str] | None = None,
                      organization_id: Callable[[Any], int | None] | None = None
                      ) -> Reminder:
    """Declare a reminder (see the module's docstring). ``days_before`` are positive
    numbers of days; the date itself and "overdue" are always reminded."""
    steps = tuple(sorted({int(d) for d in days_before if int(d) > 0}, reverse=True))
    reminder = Reminder(key=key, label=label, queryset=queryset, date_field=date_field,
                        recipients=recipients, days_before=steps, describe=describe, url=url,
                        organization_id=organization_id)
    _REMINDERS[key] = reminder
    return reminder


def reminders() -> list[Reminder]:
    """Every registered reminder, in registration order."""
    return list(_REMINDERS.values())


def step_for(days_left: int, days_before: tuple[int, ...]) -> int | None:
    """The step due when ``days_left`` days remain: 0 on the date, -1 once it passed,
    else the smallest declared step at or above ``days_left``, or None when it is
    further away than every step."""
    if days_left < 0:
        return -1
    if days_left == 0:
        return 0
    steps = [d for d in days_before if d >= days_left]
    return min(steps) if steps else None


def _organization_of(reminder: Reminder, obj: Model) -> int | None:
    if reminder.organization_id is not None:
        return reminder.organization_id(obj)
    return getattr(obj, "organization_id", None) or getattr(obj, "provider_id", None)


def _message(reminder: Reminder, obj: Model, when: dt.date, days_left: int) -> tuple[str, str]:
    values = {"what": str(reminder.label), "name": reminder.describe(obj),
              "date": when.isoformat(), "days": days_left, "overdue": -days_left}
    if days_left < 0:
        subject = _("[Reminder] %(what)s overdue: %(name)s") % values
        lead = _("%(name)s was due on %(date)s, %(overdue)s day(s) ago.") % values
    elif days_left == 0:
        subject = _("[Reminder] %(what)s today: %(name)s") % values
        lead = _("%(name)s is due today (%(date)s).") % values
    else:
        subject = _("[Reminder] %(what)s in %(days)s day(s): %(name)s") % values
        lead = _("%(name)s is due on %(date)s, in %(days)s day(s).") % values
    url = reminder.url(obj) if reminder.url is not None else obj.get_absolute_url()
    return subject, f"{lead}\n\n{absolute(url)}"


def due_objects(reminder: Reminder, today: dt.date) -> list[tuple[Model, dt.date, int]]:
    """(object, date, step) of the objects ``reminder`` should remind of on ``today``."""
    horizon = today + dt.timedelta(days=max(reminder.days_before, default=0))
    field_ = reminder.queryset().model._meta.get_field(reminder.date_field)
    limit: Any = horizon
    if field_.get_internal_type() == "DateTimeField":
        limit = timezone.make_aware(dt.datetime.combine(horizon + dt.timedelta(days=1),
                                                        dt.time.min))
        lookup = f"{reminder.date_field}__lt"
    else:
        lookup = f"{reminder.date_field}__lte"
    due = []
    for obj in reminder.queryset().filter(**{lookup: limit}).order_by("pk").iterator(2000):
        when = reminder.date_of(obj)
        if when is None:
            continue
        step = step_for((when - today).days, reminder.days_before)
        if step is not None:
            due.append((obj, when, step))
    return due


def send_due(today: dt.date | None = None) -> int:
    """Remind of everything due on ``today`` (default: the local date); returns how many
    notifications were written (a repeated run writes none)."""
    today = today or timezone.localdate()
    sent = 0
    for reminder in reminders():
        for obj, when, step in due_objects(reminder, today):
            sent += remind(reminder, obj, when, step, today)
    return sent


def remind(reminder: Reminder, obj: Model, when: dt.date, step: int, today: dt.date) -> int:
    """Notify the recipients of one object's reminder step, each in their language."""
    people = [p for p in reminder.recipients(obj) if p is not None]
    organization_id = _organization_of(reminder, obj)
    dedupe = f"reminder:{reminder.key}:{obj._meta.label_lower}:{obj.pk}:{when:%Y%m%d}:{step}"
    count = 0
    for language, recipients in by_language(people).items():
        with translation.override(language):
            subject, body = _message(reminder, obj, when, (when - today).days)
            count += len(notify(NotificationEvent.REMINDER, recipients=recipients,
                                subject=subject, body=body, organization_id=organization_id,
                                language=language, dedupe_key=f"{dedupe}:{language}",
                                context={"reminder": reminder.key, "object_id": obj.pk,
                                         "due": when.isoformat(), "step": step}))
    return count
