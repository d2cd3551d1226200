"""Forms of improvement plans and their measures, staff suggestions and quality reviews
(validated again and saved by ``improvement``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from itsm.catalog.models import Service
from itsm.complaints.models import CauseCategory
from itsm.core import access
from itsm.core.forms import RecordForm, ScopedModelForm
from itsm.core.models import Organization, Team
from itsm.problems.models import Problem

from .forms import indicator_label
from .indicators import indicators
from .models import (
    ImprovementMeasure,
    ImprovementPlan,
    ImprovementSuggestion,
    QualityReview,
    TargetEvaluation,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def provider_staff(user):
    """The active people of the user's provider (measure owners, review participants)."""
    return get_user_model().objects.filter(
        is_active=True, profile__organization_id=access.provider_id_of(user)).order_by(
        "username")


class ImprovementPlanForm(RecordForm):
    """A plan's problem, source, indicator and target; the baseline and the effect check
    are the system's."""

    customer_fields = ()
    indicator = forms.ChoiceField(label=_("Indicator"), required=False)

    class Meta:
        model = ImprovementPlan
        fields = ["title", "description", "root_cause", "source_kind", "source_cause",
                  "source_problem", "source_evaluation", "source_suggestion",
                  "source_review", "source_detail", "indicator", "scope_team",
                  "scope_customer", "scope_service", "target_value", "window_days",
                  "evaluation_date", "priority", "owner", "assignee_team", "assignee",
                  "due_at"]
        widgets = {"evaluation_date": DATE, "description": forms.Textarea(attrs={"rows": 3}),
                   "root_cause": forms.Textarea(attrs={"rows": 3})}
        labels = {"scope_team": _("Indicator of the team"),
                  "scope_customer": _("Indicator of the customer"),
                  "scope_service": _("Indicator of the service")}

    def __init__(self, *args: Any, user, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        provider_id = access.provider_id_of(user)
        self.fields["indicator"].choices = [("", _("No indicator"))] + [
            (i.key, indicator_label(i)) for i in indicators()]
        querysets = {
            "source_cause": CauseCategory.objects.filter(parent__isnull=False),
            "source_problem": Problem.objects.order_by("-created_at"),
            "source_evaluation": TargetEvaluation.objects.select_related("target").order_by(
                "-period_start"),
            "source_suggestion": ImprovementSuggestion.objects.order_by("-created_at"),
            "source_review": QualityReview.objects.order_by("-created_at"),
            "scope_team": Team.objects.filter(organization_id=provider_id),
            "scope_customer": Organization.objects.filter(provider_id=provider_id),
            "scope_service": Service.objects.filter(provider_id=provider_id),
        }
        for name, queryset in querysets.items():
            if name in self.fields:
                self.fields[name].queryset = queryset
        for name, label in (("scope_team", _("All teams")),
                            ("scope_customer", _("All customers")),
                            ("scope_service", _("All services"))):
            self.fields[name].empty_label = label
        self.fields["target_value"].help_text = _(
            "The value the indicator must reach: above the baseline when more is better, "
            "below it when less is better.")
        self.fields["evaluation_date"].help_text = _(
            "After this day the system compares the indicator over the same number of days "
            "before the start and up to this day.")


class ImprovementMeasureForm(ScopedModelForm):
    """A measure of a plan: what, who, by when."""

    class Meta:
        model = ImprovementMeasure
        fields = ["title", "owner", "due_date", "note"]
        widgets = {"due_date": DATE, "note": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, user, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["owner"].queryset = provider_staff(user)


class CompleteMeasureForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class ImprovementSuggestionForm(RecordForm):
    """What a staff member suggests: a title, a description, the service concerned."""

    customer_fields = ()

    class Meta:
        model = ImprovementSuggestion
        fields = ["title", "description", "service"]

    def __init__(self, *args: Any, user, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["service"].queryset = Service.objects.filter(
            provider_id=access.provider_id_of(user))


class QualityReviewForm(RecordForm):
    customer_fields = ()

    class Meta:
        model = QualityReview
        fields = ["title", "kind", "period_start", "period_end", "participants",
                  "description", "conclusions", "owner"]
        widgets = {"period_start": DATE, "period_end": DATE}

    def __init__(self, *args: Any, user, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["participants"].queryset = provider_staff(user)
        for name in ("period_start", "period_end"):
            self.fields[name].required = True
