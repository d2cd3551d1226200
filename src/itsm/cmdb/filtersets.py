"""The configuration item FilterSet: one class serves the item list page and the API."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from itsm.core import access
from itsm.core.filtersets import IdFilter, ScopedFilterSet
from itsm.core.models import Organization
from itsm.core.scoping import restrict

from .choices import CIStatus, Environment
from .models import CIType, ConfigurationItem


class ConfigurationItemFilterSet(ScopedFilterSet):
    """Items by words of the name or description, type (id or code), status,
    environment, organization and service. Ids of objects outside the reader's scope
    match nothing (they are not an error that would confirm they exist)."""

    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    ci_type = django_filters.CharFilter(method="filter_type", label=_("Type"),
                                        help_text=_("An id or a code."))
    status = django_filters.ChoiceFilter(choices=CIStatus.choices, label=_("Status"),
                                         empty_label=_("All"))
    environment = django_filters.ChoiceFilter(choices=Environment.choices,
                                              label=_("Environment"), empty_label=_("All"))
    organization = IdFilter(field_name="organization_id", label=_("Organization"))
    service = IdFilter(field_name="service_id", label=_("Service"))

    #: The filters the list page offers as drop-downs (beside the search box).
    page_filters = ("ci_type", "status", "environment", "organization")

    class Meta:
        model = ConfigurationItem
        fields: list[str] = []

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        user = getattr(self.request, "user", None)
        if user is None:
            return
        # The page shows type and organization as drop-downs of what the reader may see.
        self.filters["ci_type"].extra["widget"] = forms.Select(choices=[
            ("", _("All")), *restrict(CIType.objects.all(), user).values_list("pk", "name")])
        if access.is_provider_staff(user):
            self.filters["organization"].extra["widget"] = forms.Select(choices=[
                ("", _("All")), *restrict(Organization.objects.all(), user)
                .order_by("name").values_list("pk", "name")])
        else:
            self.page_filters = tuple(n for n in self.page_filters if n != "organization")

    def filter_type(self, queryset, name: str, value: str):
        if value.isdigit():
            return queryset.filter(ci_type_id=int(value))
        return queryset.filter(ci_type__code=value)

    def filter_q(self, queryset, name: str, value: str):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(description__icontains=value))
