"""Export columns for tickets."""

from django.utils.translation import gettext_lazy as _
from import_export import fields

from itsm.core.exports import RecordResource

from .models import Incident, MajorIncident, ServiceRequest

TICKET_COLUMNS = (*RecordResource.base_fields_order, "service", "category", "channel",
                  "impact", "urgency", "affected_system", "resolution", "first_response_at",
                  "resolved_at", "closed_at")


class TicketResource(RecordResource):
    service = fields.Field(attribute="service__name", column_name=_("service"))
    channel = fields.Field(attribute="get_channel_display", column_name=_("channel"))
    impact = fields.Field(attribute="get_impact_display", column_name=_("impact"))
    urgency = fields.Field(attribute="get_urgency_display", column_name=_("urgency"))


class ServiceRequestResource(TicketResource):
    class Meta:
        model = ServiceRequest
        fields = TICKET_COLUMNS
        export_order = fields


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
