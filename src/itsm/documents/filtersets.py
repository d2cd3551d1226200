"""Filters of the document lists (UI and API alike) and of the access log and loans."""

from __future__ import annotations

import django_filters
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from itsm.core.filtersets import DateTimeFilter, IdFilter, RecordFilterSet, ScopedFilterSet
from itsm.core.models import Department
from itsm.servicedesk.models import ServiceRequest

from .choices import AccessAction, Confidentiality, DocumentKind, Importance, LoanStatus
from .models import ControlledDocument, DocumentAccess, DocumentCategory, DocumentLoan

User = get_user_model()


class DocumentFilterSet(RecordFilterSet):
    document_category = django_filters.ModelChoiceFilter(
        queryset=DocumentCategory.objects.all(), method="filter_category",
        label=_("category"))
    kind = django_filters.ChoiceFilter(field_name="document_category__kind",
                                       choices=DocumentKind.choices, label=_("kind"))
    importance = django_filters.MultipleChoiceFilter(choices=Importance.choices,
                                                     label=_("importance"))
    confidentiality = django_filters.MultipleChoiceFilter(choices=Confidentiality.choices,
                                                          label=_("confidentiality"))
    department = django_filters.ModelChoiceFilter(queryset=Department.objects.all(),
                                                  label=_("department"))
    reviewer = django_filters.ModelChoiceFilter(queryset=User.objects.all(),
                                                label=_("reviewer"))
    source_request = django_filters.ModelChoiceFilter(queryset=ServiceRequest.objects.all(),
                                                      label=_("service request"))
    checked_out = django_filters.BooleanFilter(field_name="checked_out_by",
                                               lookup_expr="isnull", exclude=True,
                                               label=_("checked out"))
    confirmed = django_filters.BooleanFilter(field_name="confirmed_at", lookup_expr="isnull",
                                             exclude=True, label=_("confirmed"))

    unfiltered_fields = (*RecordFilterSet.unfiltered_fields, "effective_date", "supersedes",
                         "current_version", "checked_out_by", "checked_out_at",
                         "published_at", "archived_at", "confirmed_by", "confirmed_at")

    class Meta(RecordFilterSet.Meta):
        model = ControlledDocument
        fields = [*RecordFilterSet.Meta.fields, "document_category", "kind", "importance",
                  "confidentiality", "department", "reviewer", "source_request"]

    def filter_category(self, queryset, name, value):
        """A category with its sub-categories."""
        if value is None:
            return queryset
        return queryset.filter(document_category__in=[value.pk, *value.children.values_list(
            "pk", flat=True)])


class AccessFilterSet(ScopedFilterSet):
    """The access log by document, person, action and time."""

    document = IdFilter(field_name="document_id", label=_("document"))
    number = django_filters.CharFilter(field_name="document__number", lookup_expr="iexact",
                                       max_length=32, label=_("document number"))
    user = IdFilter(field_name="user_id", label=_("person"))
    action = django_filters.MultipleChoiceFilter(choices=AccessAction.choices,
                                                 label=_("action"))
    after = DateTimeFilter(field_name="occurred_at", lookup_expr="gte", label=_("from"))
    before = DateTimeFilter(field_name="occurred_at", lookup_expr="lt", label=_("until"))

    class Meta:
        model = DocumentAccess
        fields = ["document", "user", "action"]


class LoanFilterSet(ScopedFilterSet):
    document = IdFilter(field_name="document_id", label=_("document"))
    borrower = IdFilter(field_name="borrower_id", label=_("borrower"))
    status = django_filters.MultipleChoiceFilter(choices=LoanStatus.choices,
                                                 label=_("status"))
    due_before = django_filters.DateFilter(field_name="due_date", lookup_expr="lt",
                                           label=_("due before"))

    class Meta:
        model = DocumentLoan
        fields = ["document", "borrower", "status"]
