"""Report subscriptions and the archive: who may keep subscriptions, their validation,
and the hourly job that sends the due ones.

- ``save_subscription`` / ``delete_subscription``: the one write path of the pages and
  the API (``core.objects``: validated, audited). The parameters are checked by the
  report's own form (``parameter_errors``), without its period field: the schedule
  fills it in.
- ``send_due(now)``: every active subscription whose ``next_run`` has come is
  *claimed* by moving its ``next_run`` on with a compare-and-set UPDATE (one worker
  wins, on SQLite and PostgreSQL alike), then its report of the period that just ended
  is built as its owner, archived (``ArchivedReport``, unique per subscription and
  period: a second worker that got this far sends nothing) and mailed, one mail per
  recipient in their language, the file attached.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .. import access, audit, objects
from ..choices import STAFF_ROLES, AuditAction, Role
from ..models import ArchivedReport, Organization, ReportSubscription
from .periods import last_complete_period, next_send_time, period_value, zone
from .registry import Report, reports_for
from .registry import report as registered
from .rendering import ReportFile, build_context, produce

logger = logging.getLogger(__name__)
User = get_user_model()

#: Roles that may change every subscription of their provider (others: their own).
SUBSCRIPTION_ADMIN_ROLES = (Role.ADMINISTRATOR,)


# --- Who may do what ---------------------------------------------------------------------

def may_read_subscriptions(user) -> bool:
    """The provider's staff see its subscriptions and archive (of reports they may see)."""
    return access.is_provider_staff(user)


def may_subscribe(user) -> bool:
    return access.is_staff_writer(user) and bool(reports_for(user))


def may_change(user, subscription: ReportSubscription) -> bool:
    """Its owner and the provider's administrators, if they may see the report."""
    if not (access.is_staff_writer(user)
            and subscription.provider_id == access.provider_id_of(user)):
        return False
    if subscription.owner_id != user.pk and not access.has_role(user,
                                                                *SUBSCRIPTION_ADMIN_ROLES):
        return False
    return any(r.key == subscription.report for r in reports_for(user))


def visible_keys(user) -> list[str]:
    return [r.key for r in reports_for(user)]


def subscriptions_for(user) -> QuerySet:
    """The provider's subscriptions of reports ``user`` may see."""
    return ReportSubscription.objects.visible_to(user).filter(report__in=visible_keys(user))


def archive_for(user) -> QuerySet:
    """The provider's archived reports of reports ``user`` may see."""
    return ArchivedReport.objects.visible_to(user).filter(report__in=visible_keys(user))


# --- Parameters --------------------------------------------------------------------------

def bind(report: Report, data: Any, user, *, prefix: str | None = None,
         scheduled: bool = False):
    """The report's form bound to ``data``; ``scheduled``: without the period field
    (a subscription's parameters leave it to the schedule)."""
    form = report.form(data, user=user)
    if prefix:
        form.prefix = prefix
    if scheduled:
        form.fields.pop(report.period_field, None)
    return form


def form_errors(form) -> dict[str, list[str]]:
    """The form's errors (a form that raises Http404 for an object the user may not
    see: an error of that parameter, as if it did not exist)."""
    try:
        if form.is_valid():
            return {}
    except Http404:
        return {"__all__": [_("Choose among the objects you may see.")]}
    return {name: [str(m) for m in messages] for name, messages in form.errors.items()}


def parameter_errors(report: Report, raw: Any, user) -> tuple[dict[str, Any], dict]:
    """The subscription parameters ``raw`` as stored (the values the form accepted, by
    name, empty ones left out) and the errors per parameter (empty: valid)."""
    if not isinstance(raw, dict):
        return {}, {"__all__": [_("Parameters are an object of names and values.")]}
    form = bind(report, {}, user, scheduled=True)
    unknown = sorted(set(raw) - set(form.fields))
    if unknown:
        return {}, {name: [_("This report has no such parameter.")] for name in unknown}
    data = {name: value if isinstance(value, list) else str(value)
            for name, value in raw.items() if value not in (None, "", [])}
    form = bind(report, data, user, scheduled=True)
    errors = form_errors(form)
    return ({} if errors else {k: v for k, v in data.items() if k in form.fields}), errors


def _flat(errors: dict[str, list[str]]) -> list[str]:
    return [message if name == "__all__" else f"{name}: {message}"
            for name, messages in errors.items() for message in messages]


# --- Subscriptions -------------------------------------------------------------------------

def recipient_candidates(provider_id: int | None) -> QuerySet:
    """Who may receive a provider's reports: its active staff."""
    return User.objects.filter(is_active=True, profile__organization_id=provider_id,
                               groups__name__in=sorted(STAFF_ROLES)).distinct()


def save_subscription(instance: ReportSubscription | None, *, actor,
                      data: dict[str, Any]) -> ReportSubscription:
    """Create (the actor owns it) or change a subscription of the actor's provider; the
    report must be one the actor may see, in a frequency and format it has, with
    parameters its form accepts, to at least one person or role of the provider."""
    if instance is None and not may_subscribe(actor):
        raise PermissionDenied(_("Only service staff may subscribe to reports."))
    if instance is not None and not may_change(actor, instance):
        raise PermissionDenied(_("Only its owner and administrators may change this "
                                 "subscription."))
    data = dict(data)
    provider = instance.provider if instance else access.organization_of(actor)
    key = data.get("report", instance.report if instance else "")
    if instance is not None and key != instance.report:
        raise ValidationError({"report": _("The report of a subscription cannot change; "
                                           "subscribe anew instead.")})
    found = next((r for r in reports_for(actor) if r.key == key), None)
    if found is None:
        raise ValidationError({"report": _("Choose a report you may see.")})
    errors: dict[str, list[str]] = {}
    frequency = data.get("frequency", instance.frequency if instance else "")
    if frequency not in found.periods:
        errors["frequency"] = [_("This report is sent monthly or quarterly only as its "
                                 "periods allow.")]
    if data.get("format", instance.format if instance else "pdf") not in found.formats:
        errors["format"] = [_("This report has no such format.")]
    if "parameters" in data:
        data["parameters"], problems = parameter_errors(found, data["parameters"], actor)
        if problems:
            errors["parameters"] = _flat(problems)
    roles = data.get("roles", instance.roles if instance else [])
    if not isinstance(roles, list) or not set(roles) <= set(STAFF_ROLES):
        errors["roles"] = [_("Choose roles of the provider's staff.")]
    people = data.get("people")
    if people is not None:
        people = list(people)
        allowed = set(recipient_candidates(provider.pk).filter(
            pk__in=[p.pk for p in people]).values_list("pk", flat=True))
        if any(p.pk not in allowed for p in people):
            errors["people"] = [_("Recipients must be active staff of your organization.")]
    elif instance is not None:
        people = list(instance.people.all())
    if not errors and not people and not roles:
        errors["people"] = [_("Choose at least one person or role to send it to.")]
    if errors:
        raise ValidationError(errors)
    data.update(report=key, provider=provider, roles=sorted(set(roles)))
    if instance is None:
        data["owner"] = actor
    if instance is None or frequency != instance.frequency:
        data["next_run"] = next_send_time(frequency, timezone.now(), zone(provider.time_zone))
    return objects.save_object(instance or ReportSubscription, actor=actor, data=data,
                               organization_id=provider.pk)


def delete_subscription(instance: ReportSubscription, *, actor) -> None:
    """Delete a subscription; the reports it sent stay in the archive."""
    if not may_change(actor, instance):
        raise PermissionDenied(_("Only its owner and administrators may change this "
                                 "subscription."))
    objects.delete_object(instance, actor=actor, organization_id=instance.provider_id)


def recipients_of(subscription: ReportSubscription) -> list:
    """The chosen people and the provider's active staff holding the chosen roles, each
    once, with an email address."""
    people = recipient_candidates(subscription.provider_id).filter(
        Q(pk__in=subscription.people.values("pk"))
        | Q(groups__name__in=subscription.roles or ["-"])).select_related("profile")
    return sorted((p for p in people.distinct() if p.email), key=lambda p: p.pk)


# --- Sending -------------------------------------------------------------------------------

def send_due(now: dt.datetime | None = None) -> int:
    """Send every due subscription once (see the module's docstring); how many were
    sent."""
    now = now or timezone.now()
    due = ReportSubscription.objects.filter(is_active=True, next_run__lte=now).select_related(
        "provider", "owner").order_by("next_run", "pk")
    sent = 0
    for subscription in due:
        tz = zone(subscription.provider.time_zone)
        following = next_send_time(subscription.frequency, now, tz)
        claimed = ReportSubscription.objects.filter(
            pk=subscription.pk, next_run=subscription.next_run).update(next_run=following)
        if not claimed:
            continue  # another worker has it
        start, _end = last_complete_period(subscription.frequency, now, tz)
        try:
            if send_subscription(subscription, period_value(subscription.frequency, start),
                                 now=now) is not None:
                sent += 1
        except Exception:  # one broken report must not stop the others
            logger.exception("report subscription %s failed", subscription.pk)
    return sent


def language_of(person) -> str:
    profile = getattr(person, "profile", None)
    return str(getattr(profile, "language", "") or settings.LANGUAGE_CODE)


def send_subscription(subscription: ReportSubscription, period: str, *,
                      now: dt.datetime | None = None) -> ArchivedReport | None:
    """Build, archive and mail the subscription's report of ``period``; None when it
    cannot be built (its owner may no longer see it, a parameter no longer fits) or was
    sent already."""
    try:
        report = registered(subscription.report)
    except KeyError:
        logger.warning("report subscription %s: unknown report %s", subscription.pk,
                       subscription.report)
        return None
    owner = subscription.owner
    if not (owner.is_active and report.visible(owner)):
        logger.warning("report subscription %s: its owner may not see the report",
                       subscription.pk)
        return None
    parameters = {**subscription.parameters, report.period_field: period}
    with translation.override(language_of(owner)):
        form = bind(report, parameters, owner)
        errors = form_errors(form)
        if errors:
            logger.warning("report subscription %s: parameters refused: %s",
                           subscription.pk, errors)
            return None
        context = build_context(report, form.cleaned_data, owner,
                                provider=subscription.provider)
        produced = produce(report, context, subscription.format)
    people = recipients_of(subscription)
    archived = archive(produced, report=report, provider=subscription.provider,
                       parameters=parameters, subscription=subscription, produced_by=owner,
                       recipients=[p.email for p in people])
    if archived is None:
        return None
    _mail(produced, subscription, people)
    ReportSubscription.objects.filter(pk=subscription.pk).update(
        last_sent=now or timezone.now())
    return archived


def archive(produced: ReportFile, *, report: Report, provider: Organization,
            parameters: dict[str, Any], subscription: ReportSubscription | None = None,
            produced_by=None, recipients: list[str] | None = None) -> ArchivedReport | None:
    """Keep a produced report in the archive (audited); None when the subscription's
    report of this period is there already."""
    archived = ArchivedReport(
        provider=provider, report=report.key, title=produced.title[:200],
        parameters=parameters, period_label=produced.period_label,
        format=produced.file_name.rpartition(".")[2], file_name=produced.file_name,
        size=len(produced.content), sha256=hashlib.sha256(produced.content).hexdigest(),
        subscription=subscription, produced_by=produced_by, recipients=recipients or [])
    try:
        with transaction.atomic():
            archived.file.save(produced.file_name, ContentFile(produced.content), save=False)
            archived.save()
            audit.log(action=AuditAction.CREATE, instance=archived, actor=produced_by,
                      changes={"report": [None, report.key],
                               "period_label": [None, produced.period_label],
                               "sha256": [None, archived.sha256],
                               "recipients": [None, archived.recipients]},
                      organization_id=provider.pk)
    except IntegrityError:
        archived.file.delete(save=False)
        return None
    return archived


def _mail(produced: ReportFile, subscription: ReportSubscription, people: list) -> int:
    """One mail per recipient, in their language, with the file attached (one SMTP
    connection for all)."""
    archive_url = settings.SITE_URL.rstrip("/") + reverse("report-archive")
    messages = []
    for person in people:
        with translation.override(language_of(person)):
            values = {"report": produced.title, "period": produced.period_label,
                      "provider": subscription.provider.name, "url": archive_url}
            message = EmailMessage(
                subject=_("%(report)s %(period)s") % values,
                body=_("Attached: %(report)s of %(period)s (%(provider)s), sent by a report "
                       "subscription. Every sent report is kept in the report archive: "
                       "%(url)s") % values,
                from_email=settings.DEFAULT_FROM_EMAIL, to=[person.email],
                headers={"Auto-Submitted": "auto-generated",
                         "X-Auto-Response-Suppress": "All"})
        message.encoding = "utf-8"
        message.attach(produced.file_name, produced.content, produced.content_type)
        messages.append(message)
    if not messages:
        return 0
    return get_connection().send_messages(messages) or 0
