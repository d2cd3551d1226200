"""Monitoring alerts → incidents (INC-6).

Prometheus Alertmanager, Zabbix and any system that can POST JSON send alerts to
``/api/alerts/<source>/`` (see ``api/views.py`` for the payloads). The view turns each
payload into :class:`Alert` objects with ``*_alerts`` below and hands them to
:func:`ingest_alerts`, the only function here that writes:

- every alert is stored as an :class:`~itsm.servicedesk.models.AlertEvent`;
- a *firing* alert whose fingerprint has no open incident creates one through
  ``core.services.create_record`` (channel "monitoring", priority from the severity,
  the service account as creator);
- a firing alert for an open incident with that fingerprint adds an internal note
  "still firing" at most once per hour (a new incident counts as the first note);
- a *resolved* alert adds an internal note with the recovery time and, when the
  incident was raised by monitoring and is still new/assigned/in progress, resolves
  it ("start" with the service account as assignee when nobody is assigned, then
  "resolve" with "Recovered: …"). Incidents waiting for the customer or a third party
  are left to the agents, with the note.

The caller is the *service account* of the sending system: a provider person holding
a role that may work on records (e.g. agent), authenticated with its API token.
Alerts of one provider are processed one request at a time (the provider's
organization row is locked), so two concurrent deliveries of the same alert cannot
open two incidents.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _

from itsm.core import access, audit, services
from itsm.core.choices import AuditSource, OrganizationKind, Priority, Role
from itsm.core.limits import DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH, fit_text
from itsm.core.models import Organization

from .choices import AlertSource, AlertStatus, Channel, TicketStatus
from .models import AlertEvent, Incident

User = get_user_model()

#: The most alerts one request may carry (Alertmanager groups are far smaller).
MAX_ALERTS_PER_REQUEST = 500
#: A firing alert for an open incident adds a "still firing" note at most this often.
STILL_FIRING_INTERVAL = dt.timedelta(hours=1)
#: Statuses in which an incident still "owns" its fingerprint: a firing alert for a
#: resolved, closed or cancelled incident opens a new one.
OPEN_STATUSES = (TicketStatus.NEW, TicketStatus.ASSIGNED, TicketStatus.IN_PROGRESS,
                 TicketStatus.WAITING_CUSTOMER, TicketStatus.WAITING_THIRD_PARTY)
#: Statuses from which a recovery resolves a monitoring incident by itself.
AUTO_RESOLVE_STATUSES = (TicketStatus.NEW, TicketStatus.ASSIGNED, TicketStatus.IN_PROGRESS)

#: Severity words of Prometheus rules and Zabbix triggers → priority (INC-2 levels).
SEVERITY_PRIORITIES: dict[str, int] = {
    "critical": Priority.URGENT,
    "disaster": Priority.URGENT,  # Zabbix's highest severity
    "warning": Priority.IMPORTANT,
    "high": Priority.IMPORTANT,
    "average": Priority.GENERAL,
    "info": Priority.GENERAL,
    "information": Priority.GENERAL,  # Zabbix
}


class Action:
    """What :func:`ingest_alerts` did with one alert (kept in ``AlertEvent.payload``)."""

    CREATED = "created"
    STILL_FIRING = "still_firing"
    DEDUPLICATED = "deduplicated"
    RESOLVED = "resolved"
    ANNOTATED = "annotated"
    IGNORED = "ignored"


#: Actions that count as "the incident was told about this alert recently".
NOTED_ACTIONS = (Action.CREATED, Action.STILL_FIRING)


@dataclass(frozen=True)
class Alert:
    """One alert, whatever system sent it."""

    source: str
    fingerprint: str  # unique per source; stored with a "<source>:" prefix
    status: str  # AlertStatus
    title: str
    description: str = ""
    severity: str = ""
    organization_code: str = ""
    affected_system: str = ""
    at: dt.datetime | None = None  # start (firing) or end (resolved) as the sender saw it
    payload: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.source}:{self.fingerprint}"[:200]

    @property
    def short_title(self) -> str:
        """The title as long as a record's title may be (for titles and notes)."""
        return self.title.strip()[:TITLE_MAX_LENGTH] or self.fingerprint[:TITLE_MAX_LENGTH]


@dataclass(frozen=True)
class Outcome:
    fingerprint: str
    status: str
    action: str
    incident: Incident | None


def severity_priority(severity: str) -> int:
    """critical/disaster → 1, warning/high → 2, average/info → 3, anything else → 4."""
    return SEVERITY_PRIORITIES.get((severity or "").strip().lower(), Priority.NOT_IMPORTANT)


# --- Payloads → alerts ----------------------------------------------------------------


def _labels_text(labels: dict[str, str]) -> str:
    return "\n".join(f"{k}={v}" for k, v in sorted(labels.items()))


def has_nul_character(value: Any) -> bool:
    """Whether a JSON value holds U+0000 in a key or string anywhere: the payload is
    stored as JSON, which PostgreSQL cannot hold with that character."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul_character(k) or has_nul_character(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_nul_character(item) for item in value)
    return False


def _raw_items(raw: Any, count: int) -> list[dict[str, Any]]:
    """The alerts as received (for ``AlertEvent.payload``), one per validated alert."""
    items = raw if isinstance(raw, list) else []
    return [items[i] if i < len(items) and isinstance(items[i], dict) else {}
            for i in range(count)]


def _join(*parts: str) -> str:
    return "\n\n".join(p.strip() for p in parts if p and p.strip())


def prometheus_fingerprint(labels: dict[str, str]) -> str:
    """Alertmanager sends a fingerprint; older versions do not: hash the label set."""
    canonical = "\x1f".join(f"{k}={v}" for k, v in sorted(labels.items()))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def prometheus_alerts(data: dict[str, Any], raw: dict[str, Any]) -> list[Alert]:
    """Alerts of a validated Alertmanager webhook (version 4) payload."""
    alerts = []
    raw_items = _raw_items(raw.get("alerts"), len(data["alerts"]))
    for item, raw_item in zip(data["alerts"], raw_items, strict=True):
        labels, annotations = item["labels"], item["annotations"]
        name = labels.get("alertname", "")
        summary = annotations.get("summary") or annotations.get("title") or ""
        if name and summary and name not in summary:
            title = f"{name}: {summary}"
        else:
            title = summary or name or _("Prometheus alert")
        details = annotations.get("description") or annotations.get("message") or ""
        other = {k: v for k, v in annotations.items()
                 if k not in ("summary", "title", "description", "message")}
        description = _join(
            details,
            _("Labels:") + "\n" + _labels_text(labels),
            (_("Annotations:") + "\n" + _labels_text(other)) if other else "",
            (_("Source: %(url)s") % {"url": item["generatorURL"]})
            if item.get("generatorURL") else "",
        )
        firing = item["status"] == AlertStatus.FIRING
        alerts.append(Alert(
            source=AlertSource.PROMETHEUS,
            fingerprint=item.get("fingerprint") or prometheus_fingerprint(labels),
            status=item["status"],
            title=title,
            description=description,
            severity=labels.get("severity", ""),
            organization_code=labels.get("organization") or labels.get("customer") or "",
            affected_system=labels.get("instance") or labels.get("job") or "",
            at=item.get("startsAt") if firing else item.get("endsAt"),
            payload=raw_item,
        ))
    return alerts


ZABBIX_STATUSES = {"PROBLEM": AlertStatus.FIRING, "RESOLVED": AlertStatus.RESOLVED,
                   "OK": AlertStatus.RESOLVED}


def zabbix_alerts(data: dict[str, Any], raw: dict[str, Any]) -> list[Alert]:
    """The alert of a validated Zabbix webhook payload (fingerprint: trigger id + host)."""
    description = _join(
        data.get("message", ""),
        _("Host: %(host)s") % {"host": data["host"]} + "\n"
        + _("Severity: %(severity)s") % {"severity": data.get("severity") or "—"} + "\n"
        + _("Zabbix event: %(event)s, trigger: %(trigger)s")
        % {"event": data.get("event_id") or "—", "trigger": data["trigger_id"]},
    )
    return [Alert(
        source=AlertSource.ZABBIX,
        fingerprint=f"{data['trigger_id']}@{data['host']}",
        status=ZABBIX_STATUSES[data["status"]],
        title=data["name"],
        description=description,
        severity=data.get("severity", ""),
        organization_code=data.get("organization", ""),
        affected_system=data["host"],
        at=data.get("timestamp"),
        payload=raw,
    )]


def generic_alerts(data: dict[str, Any], raw: dict[str, Any]) -> list[Alert]:
    """Alerts of a validated generic JSON payload (one alert, or ``{"alerts": […]}``)."""
    items = data.get("alerts", [data])
    raw_items = _raw_items(raw.get("alerts") if "alerts" in data else [raw], len(items))
    return [Alert(
        source=AlertSource.GENERIC,
        fingerprint=item["fingerprint"],
        status=item["status"],
        title=item.get("title") or item["fingerprint"],
        description=item.get("description", ""),
        severity=item.get("severity", ""),
        organization_code=item.get("organization", ""),
        affected_system=item.get("host", ""),
        at=item.get("timestamp"),
        payload=raw_item,
    ) for item, raw_item in zip(items, raw_items, strict=True)]


# --- Alerts → incidents -----------------------------------------------------------------


def _require_service_account(actor) -> Organization:
    if not access.is_staff_writer(actor):
        raise PermissionDenied(
            _("Only a service account of the service provider may send alerts."))
    provider_id = access.provider_id_of(actor)
    # Serializes alert processing per provider (FOR NO KEY UPDATE does not block the
    # inserts of other transactions that merely reference the organization).
    return Organization.objects.select_for_update(no_key=True).get(pk=provider_id)


def _organization(code: str, provider: Organization) -> Organization:
    """The customer named by the alert's label, if the provider serves it; else the provider."""
    code = (code or "").strip()
    if code:
        customer = Organization.objects.filter(
            code__iexact=code, provider=provider, kind=OrganizationKind.CUSTOMER,
            is_active=True).first()
        if customer is not None:
            return customer
    return provider


def _requester(organization: Organization, actor):
    """The service account for the provider's own incidents; for a customer's incident
    its first customer administrator (a record's requester must belong to its
    organization). None when the customer has no administrator."""
    if organization.kind == OrganizationKind.PROVIDER:
        return actor
    return (User.objects.filter(profile__organization=organization, is_active=True,
                                groups__name=Role.CUSTOMER_ADMIN)
            .order_by("pk").first())


def _when(value: dt.datetime | None) -> str:
    return date_format(timezone.localtime(value or timezone.now()), "Y-m-d H:i:s T")


def _open_incident(alert: Alert, scope: Iterable[int]) -> Incident | None:
    return (Incident.objects.filter(alert_fingerprint=alert.key, organization_id__in=scope,
                                    status__in=OPEN_STATUSES)
            .order_by("-created_at", "-id").first())


def _create_incident(alert: Alert, provider: Organization, actor) -> Incident:
    organization = _organization(alert.organization_code, provider)
    requester = _requester(organization, actor)
    description = alert.description
    if requester is None:
        description = _join(
            _("Customer %(customer)s has no customer administrator to act as requester; "
              "the incident is recorded for the service provider.")
            % {"customer": organization.name}, description)
        organization, requester = provider, actor
    description = fit_text(description, DESCRIPTION_MAX_LENGTH, _(
        "[The alert text was cut to %(limit)d characters; the whole alert is kept with "
        "the alert events of this incident.]") % {"limit": DESCRIPTION_MAX_LENGTH})[0]
    data = {
        "organization": organization,
        "requester": requester,
        "title": alert.short_title,
        "description": description,
        "priority": severity_priority(alert.severity),
        "channel": Channel.MONITORING,
        "affected_system": alert.affected_system[:200],
        "alert_fingerprint": alert.key,
    }
    return services.create_record(Incident, actor=actor, data=data)


def _recently_noted(incident: Incident, now: dt.datetime) -> bool:
    return AlertEvent.objects.filter(
        incident=incident, received_at__gte=now - STILL_FIRING_INTERVAL,
        payload__action__in=NOTED_ACTIONS).exists()


def _can_assign_to(actor, incident: Incident) -> bool:
    """The service account may be the assignee: staff of the incident's provider."""
    return access.is_staff_writer(actor) and access.provider_id_of(actor) == incident.provider_id


def _recover(alert: Alert, incident: Incident, actor) -> str:
    when = _when(alert.at)
    services.add_comment(incident, actor=actor, internal=True, body=_(
        "Monitoring reports recovery at %(time)s: %(title)s") % {
            "time": when, "title": alert.short_title})
    if incident.channel != Channel.MONITORING or incident.status not in AUTO_RESOLVE_STATUSES:
        return Action.ANNOTATED
    if incident.status != TicketStatus.IN_PROGRESS:
        if incident.assignee_id is None and not _can_assign_to(actor, incident):
            return Action.ANNOTATED
        values = {} if incident.assignee_id else {"assignee": actor}
        incident = services.transition_record(incident, "start", actor=actor, values=values)
    services.transition_record(incident, "resolve", actor=actor, values={
        "resolution": _("Recovered: %(time)s (reported by monitoring: %(title)s)")
        % {"time": when, "title": alert.short_title}})
    return Action.RESOLVED


def _process(alert: Alert, provider: Organization, actor, scope: frozenset[int],
             now: dt.datetime) -> Outcome:
    incident = _open_incident(alert, scope)
    if alert.status == AlertStatus.FIRING:
        if incident is None:
            incident, action = _create_incident(alert, provider, actor), Action.CREATED
        elif _recently_noted(incident, now):
            action = Action.DEDUPLICATED
        else:
            services.add_comment(incident, actor=actor, internal=True, body=_(
                "Alert still firing (since %(time)s): %(title)s")
                % {"time": _when(alert.at), "title": alert.short_title})
            action = Action.STILL_FIRING
    elif incident is None:
        action = Action.IGNORED
    else:
        action = _recover(alert, incident, actor)
    AlertEvent.objects.create(
        source=alert.source, fingerprint=alert.key, status=alert.status,
        name=alert.title[:300], payload={"alert": alert.payload, "action": action},
        received_at=now, incident=incident)
    return Outcome(fingerprint=alert.key, status=alert.status, action=action, incident=incident)


def ingest_alerts(alerts: list[Alert], *, actor) -> list[Outcome]:
    """Store the alerts and create, annotate or resolve incidents; all or nothing."""
    with transaction.atomic(), audit.audit_context(source=AuditSource.API):
        provider = _require_service_account(actor)
        scope = access.scope_organization_ids(actor)
        now = timezone.now()
        return [_process(alert, provider, actor, scope, now) for alert in alerts]
