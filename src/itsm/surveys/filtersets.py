"""Filters of feedback items (UI list and API) and of survey answers (API)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from itsm.core.filtersets import RecordFilterSet, ScopedFilterSet

from .choices import FeedbackClass, FeedbackSource, SurveyChannel
from .models import Campaign, FeedbackItem, SurveyResponse


class FeedbackItemFilterSet(RecordFilterSet):
    classification = django_filters.ChoiceFilter(choices=FeedbackClass.choices,
                                                 label=_("classification"))
    source = django_filters.ChoiceFilter(choices=FeedbackSource.choices, label=_("source"))
    source_number = django_filters.CharFilter(lookup_expr="iexact", label=_("rated ticket"))
    score = django_filters.NumberFilter(label=_("score"))

    unfiltered_fields = (*RecordFilterSet.unfiltered_fields, "analysis", "handling",
                         "handled_at", "confirmed_at", "survey_response", "rating_id")

    class Meta(RecordFilterSet.Meta):
        model = FeedbackItem
        fields = [*RecordFilterSet.Meta.fields, "classification", "source", "source_number",
                  "score"]


class SurveyResponseFilterSet(ScopedFilterSet):
    campaign = django_filters.ModelChoiceFilter(queryset=Campaign.objects.all(),
                                                label=_("survey campaign"))
    channel = django_filters.ChoiceFilter(choices=SurveyChannel.choices, label=_("channel"))

    class Meta:
        model = SurveyResponse
        fields = ["campaign", "channel", "organization"]
