"""Export columns for service requests."""

from django.utils.translation import gettext_lazy as _
from import_export import fields

from itsm.core.exports import RecordResource

from .models import ServiceRequest


class ServiceRequestResource(RecordResource):
    channel = fields.Field(attribute="get_channel_display", column_name=_("channel"))

    class Meta:
        model = ServiceRequest
        fields = (*RecordResource.base_fields_order, "category", "channel", "resolution",
                  "resolved_at", "closed_at")
        export_order = fields
