"""Web UI for changes: the generic record views with the change's panels."""

from __future__ import annotations

from itsm.servicedesk.views import views_for

from . import filtersets, forms, models, resources


class ChangeMixin:
    model = models.Change
    url_prefix = "changes:change"
    form_class = forms.ChangeForm
    filterset_class = filtersets.ChangeFilterSet
    export_resource = resources.ChangeResource
    detail_fields = ("change_type", "template", "board", "reason", "scope",
                     "expected_impact", "implementation_plan", "backout_plan", "test_plan",
                     "planned_start", "planned_end", "likelihood", "impact", "risk_level",
                     "scale", "impact_business", "impact_technology", "impact_security",
                     "impact_cost", "approved_at", "actual_start", "actual_end",
                     "verification_function", "verification_performance",
                     "verification_security", "outcome", "review_findings", "closed_at")


CHANGE_VIEWS = views_for(ChangeMixin)
