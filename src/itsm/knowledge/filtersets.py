"""Filters of the article list (UI list and API)."""

from __future__ import annotations

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from itsm.catalog.models import Service
from itsm.core.filtersets import RecordFilterSet
from itsm.core.scoping import User

from .choices import ArticleType, Visibility
from .models import Article, KnowledgeCategory


class ArticleFilterSet(RecordFilterSet):
    article_type = django_filters.MultipleChoiceFilter(choices=ArticleType.choices,
                                                       label=_("article type"))
    article_category = django_filters.ModelChoiceFilter(
        queryset=KnowledgeCategory.objects.all(), label=_("category"))
    visibility = django_filters.MultipleChoiceFilter(choices=Visibility.choices,
                                                     label=_("visibility"))
    service = django_filters.ModelChoiceFilter(field_name="services",
                                               queryset=Service.objects.all(),
                                               label=_("service"))
    reviewer = django_filters.ModelChoiceFilter(queryset=User.objects.all(),
                                                label=_("reviewer"))
    stale = django_filters.BooleanFilter(method="filter_stale", label=_("due for review"))
    valid_to_before = django_filters.DateFilter(field_name="valid_to", lookup_expr="lt",
                                                label=_("valid until before"))

    unfiltered_fields = (*RecordFilterSet.unfiltered_fields, "keywords", "symptom", "cause",
                         "solution", "body", "body_text", "editor", "review_interval_days",
                         "review_due", "valid_to", "restricted_roles", "current_revision",
                         "published_revision", "published_at", "helpful_count",
                         "not_helpful_count")

    class Meta(RecordFilterSet.Meta):
        model = Article
        fields = [*RecordFilterSet.Meta.fields, "article_type", "article_category",
                  "visibility", "reviewer"]

    def filter_stale(self, queryset, name, value):
        """Published articles whose review date has come (``true``), or the others."""
        if value is None:
            return queryset
        stale = queryset.stale(timezone.localdate())
        return stale if value else queryset.exclude(pk__in=stale.values("pk"))
