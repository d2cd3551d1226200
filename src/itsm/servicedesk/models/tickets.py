"""Tickets (service requests and incidents) and major incidents, on the record base."""

from __future__ import annotations

from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from itsm.catalog.choices import Impact, Urgency
from itsm.core import access
from itsm.core.limits import DESCRIPTION_MAX_LENGTH, LONG_TEXT_MAX_LENGTH
from itsm.core.models import Record, RecordQuerySet, ScopedQuerySet
from itsm.core.safejson import BoundedJSONDecoder

from ..choices import (
    MAJOR_INCIDENT_WORKFLOW,
    NOT_IN_QUEUE,
    SERVICE_REQUEST_WORKFLOW,
    TICKET_WORKFLOW,
    Channel,
    RequestStatus,
    TicketStatus,
)


class Ticket(Record):
    """What agents work on all day: a request or an incident under SLA clocks."""

    workflow = TICKET_WORKFLOW
    search_fields = (*Record.search_fields, "affected_system", "resolution")
    waiting_statuses = (TicketStatus.WAITING_CUSTOMER, TicketStatus.WAITING_THIRD_PARTY,
                        TicketStatus.RESOLVED)

    service = models.ForeignKey("catalog.Service", verbose_name=_("service"),
                                on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+")
    category = models.CharField(_("category"), max_length=100, blank=True)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices,
                               default=Channel.PORTAL)
    impact = models.PositiveSmallIntegerField(_("impact"), choices=Impact.choices,
                                              default=Impact.INDIVIDUAL)
    urgency = models.PositiveSmallIntegerField(_("urgency"), choices=Urgency.choices,
                                               default=Urgency.MEDIUM)
    affected_system = models.CharField(_("affected system / CI"), max_length=200, blank=True)
    resolution = models.TextField(_("resolution"), blank=True, max_length=DESCRIPTION_MAX_LENGTH)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True,
                                             editable=False)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)
    sla_policy = models.ForeignKey("catalog.SLAPolicy", verbose_name=_("SLA policy"),
                                   on_delete=models.SET_NULL, null=True, blank=True,
                                   editable=False, related_name="+")
    merged_into = models.ForeignKey("self", verbose_name=_("merged into"),
                                    on_delete=models.PROTECT, null=True, blank=True,
                                    editable=False, related_name="merged")
    # Lets reports join clocks to their ticket in SQL (quality.reports); no column.
    sla_clocks = GenericRelation("servicedesk.SLAClock", content_type_field="record_type",
                                 object_id_field="record_id")

    class Meta(Record.Meta):
        abstract = True



def ticket_indexes(prefix: str) -> list[models.Index]:
    """Indexes that serve the agent queue and the list filters of a ticket table."""
    return [
        models.Index(fields=["organization", "status", "-created_at"], name=f"{prefix}_org_status"),
        models.Index(fields=["assignee_team", "status"], name=f"{prefix}_team_status"),
        models.Index(fields=["assignee", "status"], name=f"{prefix}_assignee_status"),
        models.Index(fields=["requester", "-created_at"], name=f"{prefix}_requester"),
        models.Index(fields=["-created_at", "-id"], name=f"{prefix}_created"),
        # The queues "breaching soon" and "breached" sort open tickets by SLA due time.
        models.Index(fields=["due_at", "-id"], name=f"{prefix}_open_due",
                     condition=~models.Q(status__in=NOT_IN_QUEUE)),
        # Automatic assignment: each member's open tickets, and their latest of a team.
        models.Index(fields=["assignee"], name=f"{prefix}_open_assignee",
                     condition=~models.Q(status__in=NOT_IN_QUEUE)),
        models.Index(fields=["assignee_team", "assignee", "-created_at"],
                     name=f"{prefix}_team_assignee"),
        # A team lead's home page: open tickets per member of a team, and unassigned.
        models.Index(fields=["assignee_team", "assignee", "organization"],
                     name=f"{prefix}_open_team", condition=~models.Q(status__in=NOT_IN_QUEUE)),
        # A person's home page: their unfinished tickets by due time ("my open work"),
        # and all of theirs by latest change ("recently updated").
        models.Index(fields=["assignee", "due_at", "organization"],
                     name=f"{prefix}_mine_unfinished",
                     condition=~models.Q(status__in=sorted(TICKET_WORKFLOW.final))),
        models.Index(fields=["assignee", "-updated_at", "-id"], name=f"{prefix}_mine_updated"),
    ]


class ServiceRequestQuerySet(RecordQuerySet):
    def visible_to(self, user) -> ServiceRequestQuerySet:
        """A customer's person also sees the requests they are asked to approve."""
        if (user is None or not user.is_authenticated or access.is_provider_staff(user)
                or access.sees_all_records_of_organization(user)):
            return super().visible_to(user)
        asked = self.model._meta.get_field("approvals").related_model.objects.filter(
            approvers=user).values("request_id")
        return ScopedQuerySet.visible_to(self, user).filter(
            Q(requester_id=user.pk) | Q(pk__in=asked))


class ServiceRequest(Ticket):
    """A service request (服务请求), possibly of a catalogue request type whose own fields
    it carries in ``custom_fields`` (key → value)."""

    number_prefix = "REQ"
    url_prefix = "servicedesk:request"
    workflow = SERVICE_REQUEST_WORKFLOW
    waiting_statuses = (*Ticket.waiting_statuses, RequestStatus.PENDING_APPROVAL)

    request_type = models.ForeignKey("catalog.RequestType", verbose_name=_("request type"),
                                     on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    custom_fields = models.JSONField(_("request type fields"), default=dict, blank=True,
                                     decoder=BoundedJSONDecoder)

    objects = ServiceRequestQuerySet.as_manager()

    def shared_with(self, user) -> bool:
        return self.approvals.filter(approvers=user).exists()

    class Meta(Ticket.Meta):
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        indexes = ticket_indexes("req")


class Incident(Ticket):
    """An incident or fault (事件/故障), possibly raised by monitoring."""

    number_prefix = "INC"
    url_prefix = "servicedesk:incident"

    is_major = models.BooleanField(_("major incident"), default=False, editable=False)
    major_incident = models.ForeignKey("MajorIncident", verbose_name=_("major incident"),
                                       on_delete=models.SET_NULL, null=True, blank=True,
                                       editable=False, related_name="incidents")
    alert_fingerprint = models.CharField(_("alert fingerprint"), max_length=200, blank=True,
                                         db_index=True, editable=False)
    cause = models.TextField(_("cause analysis"), blank=True, max_length=LONG_TEXT_MAX_LENGTH)

    class Meta(Ticket.Meta):
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        indexes = ticket_indexes("inc")


class MajorIncident(Record):
    """A major incident (重大事件): committee-led response, event and analysis reports."""

    number_prefix = "MI"
    url_prefix = "servicedesk:major"
    workflow = MAJOR_INCIDENT_WORKFLOW
    customers_may_create = False

    service = models.ForeignKey("catalog.Service", verbose_name=_("service"),
                                on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+")
    impact_scope = models.TextField(_("impact scope"), blank=True, max_length=LONG_TEXT_MAX_LENGTH)
    event_report = models.TextField(_("event report"), blank=True, max_length=LONG_TEXT_MAX_LENGTH)
    analysis_report = models.TextField(_("analysis report"), blank=True,
                                       max_length=LONG_TEXT_MAX_LENGTH)
    notified_at = models.DateTimeField(_("management notified"), null=True, blank=True,
                                       editable=False)
    recovered_at = models.DateTimeField(_("recovered"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)

    class Meta(Record.Meta):
        verbose_name = _("major incident")
        verbose_name_plural = _("major incidents")

