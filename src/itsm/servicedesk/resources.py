"""Export columns for tickets."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from import_export import fields

from itsm.catalog.models import RequestTypeField
from itsm.core.exports import RecordResource

from .choices import ClockKind
from .fulfilment import display_value
from .models import Incident, MajorIncident, ServiceRequest, SLAClock, Ticket

#: The clock columns each ticket's export reads (``prepare_rows`` loads them).
CLOCK_COLUMNS = ("record_id", "kind", "due_at", "paused_since", "stopped_at", "met",
                 "breached_at")
TICKET_COLUMNS = (*RecordResource.base_fields_order, "service", "category", "channel",
                  "impact", "urgency", "affected_system", "resolution", "first_response_at",
                  "response_due", "response_sla", "resolved_at", "resolution_due",
                  "resolution_sla", "closed_at")


class ClockField(fields.Field):
    """The due time (``part="due"``) or state (``part="state"``) of one SLA clock of a
    ticket; empty for a ticket without that clock. Not imported."""

    def __init__(self, kind: str, part: str, column_name: Any) -> None:
        super().__init__(column_name=column_name, readonly=True)
        self.kind, self.part = kind, part

    def get_value(self, instance: Ticket) -> Any:
        clock = getattr(instance, "_export_clocks", {}).get(self.kind)
        if clock is None:
            return None
        if self.part == "due":
            return clock.due_at
        return clock.state(getattr(instance, "_export_now", None)).label


class TicketResource(RecordResource):
    service = fields.Field(attribute="service__name", column_name=_("service"))
    channel = fields.Field(attribute="get_channel_display", column_name=_("channel"))
    impact = fields.Field(attribute="get_impact_display", column_name=_("impact"))
    urgency = fields.Field(attribute="get_urgency_display", column_name=_("urgency"))
    response_due = ClockField(ClockKind.RESPONSE, "due", _("response due"))
    response_sla = ClockField(ClockKind.RESPONSE, "state", _("response SLA"))
    resolution_due = ClockField(ClockKind.RESOLUTION, "due", _("resolution due"))
    resolution_sla = ClockField(ClockKind.RESOLUTION, "state", _("resolution SLA"))

    def prepare_rows(self, records: list[Ticket]) -> None:
        """The SLA clocks of a chunk of tickets, in one query."""
        record_type = ContentType.objects.get_for_model(self._meta.model)
        clocks: dict[int, dict[str, SLAClock]] = {}
        for clock in SLAClock.objects.filter(
                record_type=record_type, record_id__in=[r.pk for r in records]
        ).only(*CLOCK_COLUMNS):
            clocks.setdefault(clock.record_id, {})[clock.kind] = clock
        now = timezone.now()
        for record in records:
            record._export_clocks = clocks.get(record.pk, {})
            record._export_now = now


class RequestTypeFieldsField(fields.Field):
    """The values of a request's type fields, one "label: value" per line (the labels of
    a chunk's types are loaded once by ``prepare_rows``). Not imported."""

    def get_value(self, instance: ServiceRequest) -> Any:
        labels = getattr(instance, "_export_labels", {}).get(instance.request_type_id, {})
        return "\n".join(f"{labels.get(key, key)}: {display_value(None, value)}"
                         for key, value in (instance.custom_fields or {}).items())


class ServiceRequestResource(TicketResource):
    request_type = fields.Field(attribute="request_type__name", column_name=_("request type"),
                                readonly=True)
    custom_fields = RequestTypeFieldsField(column_name=_("request type fields"), readonly=True)

    class Meta:
        model = ServiceRequest
        fields = (*TICKET_COLUMNS, "request_type", "custom_fields")
        export_order = fields

    def prepare_rows(self, records: list[ServiceRequest]) -> None:
        super().prepare_rows(records)
        labels: dict[int, dict[str, str]] = {}
        for type_id, key, label in RequestTypeField.objects.filter(
                request_type_id__in={r.request_type_id for r in records if r.request_type_id}
        ).values_list("request_type_id", "key", "label"):
            labels.setdefault(type_id, {})[key] = label
        for record in records:
            record._export_labels = labels


class IncidentResource(TicketResource):
    class Meta:
        model = Incident
        fields = (*TICKET_COLUMNS, "is_major", "cause")
        export_order = fields


class MajorIncidentResource(RecordResource):
    service = fields.Field(attribute="service__name", column_name=_("service"))

    class Meta:
        model = MajorIncident
        fields = (*RecordResource.base_fields_order, "service", "impact_scope", "notified_at",
                  "recovered_at", "closed_at")
        export_order = fields
