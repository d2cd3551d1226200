"""Major incidents (INC-5): identify and report at once, respond, analyse, archive.

An incident becomes major by an agent's decision or by rule: priority 紧急 on a
service supported 7×24. Declaring one creates a ``MajorIncident`` record (its own
number, timeline and workflow) pre-filled with the event-report and analysis-report
templates, links the incident to it, and notifies management immediately.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from itsm.core import access, audit, services
from itsm.core.choices import AuditAction, Priority, TimelineKind
from itsm.core.notifications import notify

from .models import Incident, MajorIncident
from .notify import by_language, management_of

User = get_user_model()


def event_report_template(incident: Incident) -> str:
    """The event report skeleton (事件报告) the responders complete."""
    return "\n".join([
        _("1. Event: %(title)s (%(number)s)") % {"title": incident.title,
                                                "number": incident.number},
        _("2. Time detected: %(time)s") % {
            "time": timezone.localtime(incident.created_at).strftime("%Y-%m-%d %H:%M")},
        _("3. Affected services and systems: %(system)s") % {
            "system": incident.affected_system or "—"},
        _("4. Impact scope (customers, users, business):"),
        _("5. Response measures taken and by whom:"),
        _("6. Time service was restored:"),
    ])


def analysis_report_template() -> str:
    """The analysis report skeleton (分析报告) written after recovery."""
    return "\n".join([
        _("1. Timeline of the event:"),
        _("2. Root cause:"),
        _("3. Why it was not prevented or detected earlier:"),
        _("4. Improvement measures (owner, deadline):"),
        _("5. Related problem and change records:"),
    ])


def qualifies_as_major(incident: Incident) -> bool:
    """The rule: priority 紧急 on a service that is supported 7×24."""
    return (incident.priority == Priority.URGENT and incident.service_id is not None
            and incident.service.calendar.always_on)


@transaction.atomic
def declare_major_incident(incident: Incident, *, actor, reason: str = "") -> MajorIncident:
    """Make ``incident`` major: create the major-incident record and notify management."""
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if actor is not None and not access.is_staff_writer(actor):
        raise PermissionDenied(_("Only service staff may declare a major incident."))
    if incident.major_incident_id:
        raise ValidationError(_("%(number)s is already part of major incident %(major)s.")
                              % {"number": incident.number,
                                 "major": incident.major_incident.number})
    major = services.create_record(MajorIncident, actor=actor, data={
        "organization": incident.organization,
        "title": incident.title,
        "description": reason or incident.description,
        "priority": Priority.URGENT,
        "requester": incident.requester,
        "service": incident.service,
        "assignee_team": incident.assignee_team,
        "event_report": event_report_template(incident),
        "analysis_report": analysis_report_template(),
    })
    Incident.objects.filter(pk=incident.pk).update(is_major=True, major_incident=major,
                                                   version=incident.version + 1)
    audit.log(action=AuditAction.UPDATE, instance=incident, actor=actor,
              changes={"is_major": [False, True], "major_incident_id": [None, major.pk]})
    services.add_timeline_event(incident, TimelineKind.UPDATED, actor=actor,
                                fields=["is_major", "major_incident"])
    _notify_management(major, incident, actor)
    return major


def _notify_management(major: MajorIncident, incident: Incident, actor) -> None:
    """Each manager in their own language (the provider's template when it has one)."""
    MajorIncident.objects.filter(pk=major.pk).update(notified_at=timezone.now())
    # Channels (robots) hear of it even when no manager is configured.
    groups = by_language(management_of(incident)) or {settings.LANGUAGE_CODE: []}
    for language, people in groups.items():
        with translation.override(language):
            subject = _("[%(number)s] Major incident: %(title)s") % {"number": major.number,
                                                                   "title": major.title}
            body = _("A major incident was declared from %(incident)s (%(org)s). "
                     "Follow it at %(url)s.") % {"incident": incident.number,
                                                 "org": incident.organization.name,
                                                 "url": major.get_absolute_url()}
            notify("major_incident", record=major, recipients=people, subject=subject,
                   body=body, organization_id=major.organization_id, language=language,
                   actor=actor, dedupe_key=f"major:{major.pk}:{language}")
