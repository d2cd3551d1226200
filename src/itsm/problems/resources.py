"""Export columns for problems."""

from django.utils.translation import gettext_lazy as _
from import_export import fields

from itsm.core.exports import RecordResource

from .models import Problem


class ProblemResource(RecordResource):
    service = fields.Field(attribute="service__name", column_name=_("service"))

    class Meta:
        model = Problem
        fields = (*RecordResource.base_fields_order, "service", "category", "affected_system",
                  "known_error", "root_cause", "workaround", "fix_description",
                  "accepted_risk", "resolved_at", "closed_at")
        export_order = fields
