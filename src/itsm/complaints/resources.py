"""Export columns of complaints and improvement actions (no internal analysis: the
complainant's side exports its complaints too)."""

from django.utils.translation import gettext_lazy
from import_export import fields

from itsm.core.exports import RecordResource

from .models import Complaint, ImprovementAction


class ComplaintResource(RecordResource):
    service = fields.Field(attribute="service__name", column_name=gettext_lazy("service"))

    class Meta:
        model = Complaint
        fields = (*RecordResource.base_fields_order, "level", "channel", "received_at",
                  "service", "system", "remedy_sought", "resolution", "compensation",
                  "satisfaction_score", "responded_at", "closed_at")
        export_order = fields


class ImprovementActionResource(RecordResource):
    class Meta:
        model = ImprovementAction
        fields = (*RecordResource.base_fields_order, "measure", "verification", "verified_at")
        export_order = fields
