"""Filter backends shared by every viewset."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _
from django_filters import rest_framework as drf_filters
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter

from ..filtersets import ScopedChoicesMixin


class DRFScopedFilterSet(ScopedChoicesMixin, drf_filters.FilterSet):
    """The FilterSet built from a viewset's ``filterset_fields`` (DRF's flavour)."""


class StrictOrderingFilter(OrderingFilter):
    """Ordering by allow-listed fields only: anything else is a 400, never ignored."""

    def get_ordering(self, request, queryset, view):
        params = request.query_params.get(self.ordering_param)
        if not params:
            return self.get_default_ordering(view)
        fields = [p.strip() for p in params.split(",") if p.strip()]
        if not fields:
            return self.get_default_ordering(view)
        valid = {name for name, _label
                 in self.get_valid_fields(queryset, view, {"request": request})}
        bad = [f for f in fields if f.lstrip("-") not in valid]
        if bad:
            raise ValidationError({
                self.ordering_param: [
                    _("Cannot sort by “%(field)s”. Choose one of: %(valid)s.")
                    % {"field": bad[0], "valid": ", ".join(sorted(valid))}
                ]
            })
        if not {"id", "-id", "pk", "-pk"} & set(fields):
            # A unique last key: with ties (priority, status) pages would otherwise
            # overlap or skip rows, as the database may order ties differently each time.
            fields.append("-pk")
        return fields


class ScopedFilterBackend(DjangoFilterBackend):
    """django-filter's backend for scoped FilterSets only: those built from a viewset's
    ``filterset_fields`` are ``ScopedFilterSet``s, and a declared ``filterset_class``
    that is not one is a configuration error (its choices could leak other
    organizations' objects), not a silent leak."""

    filterset_base = DRFScopedFilterSet

    def get_filterset_class(self, view, queryset=None):
        filterset_class = super().get_filterset_class(view, queryset)
        if filterset_class is not None and not issubclass(filterset_class,
                                                          ScopedChoicesMixin):
            raise ImproperlyConfigured(
                f"{filterset_class.__qualname__} of {type(view).__qualname__} must be "
                "built on itsm.core.filtersets.ScopedFilterSet")
        return filterset_class
