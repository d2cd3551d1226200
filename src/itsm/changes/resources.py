"""Export columns for changes."""

from django.utils.translation import gettext_lazy as _
from import_export import fields

from itsm.core.exports import RecordResource

from .models import Change


class ChangeResource(RecordResource):
    board = fields.Field(attribute="board__name", column_name=_("change board"))

    class Meta:
        model = Change
        fields = (*RecordResource.base_fields_order, "change_type", "board", "reason",
                  "scope", "planned_start", "planned_end", "likelihood", "impact",
                  "risk_level", "scale", "approved_at", "actual_start", "actual_end",
                  "outcome", "review_findings", "closed_at")
        export_order = fields
