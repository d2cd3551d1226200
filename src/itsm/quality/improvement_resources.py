"""Export columns of improvement plans, staff suggestions and quality reviews."""

from django.utils.translation import gettext_lazy
from import_export import fields

from itsm.core.exports import RecordResource

from .models import ImprovementPlan, ImprovementSuggestion, QualityReview


class ImprovementPlanResource(RecordResource):
    class Meta:
        model = ImprovementPlan
        fields = (*RecordResource.base_fields_order, "source_kind", "source_detail",
                  "root_cause", "indicator", "target_value", "window_days",
                  "evaluation_date", "baseline_value", "before_value", "after_value",
                  "effect_met", "effect_checked_at", "outcome", "closed_at")
        export_order = fields


class ImprovementSuggestionResource(RecordResource):
    service = fields.Field(attribute="service__name", column_name=gettext_lazy("service"))

    class Meta:
        model = ImprovementSuggestion
        fields = (*RecordResource.base_fields_order, "service", "decision_reason",
                  "decided_at")
        export_order = fields


class QualityReviewResource(RecordResource):
    class Meta:
        model = QualityReview
        fields = (*RecordResource.base_fields_order, "kind", "period_start", "period_end",
                  "conclusions", "concluded_at", "closed_at")
        export_order = fields
