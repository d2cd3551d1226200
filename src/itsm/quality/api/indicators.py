"""``/api/indicators/``: the indicator registry as the API reads it — the indicators, one
indicator's value for a scope and period (split by a dimension), and the records behind
it. Provider staff only; the values are always of the reader's own provider."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework import permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from itsm.core import access

from .. import indicators
from ..forms import IndicatorQueryForm

#: The most records a drill-down lists.
RECORDS_LIMIT = 200


class ProviderStaff(permissions.BasePermission):
    message = gettext_lazy("Only the provider's staff may read quality indicators.")

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated
                    and access.is_provider_staff(request.user))


def _describe(indicator: indicators.Indicator) -> dict[str, Any]:
    return {"key": indicator.key, "name": str(indicator.name), "unit": indicator.unit,
            "direction": indicator.direction, "description": str(indicator.description),
            "dimensions": sorted(indicator.dimensions)}


def _value(value: indicators.Value) -> dict[str, Any]:
    return {"value": value.value, "numerator": value.numerator,
            "denominator": value.denominator}


QUERY = [
    OpenApiParameter("start", OpenApiTypes.DATE, description="First day (the previous month "
                     "by default)."),
    OpenApiParameter("end", OpenApiTypes.DATE, description="The day after the last."),
    *(OpenApiParameter(name, OpenApiTypes.INT, description=f"Only this {name} (id).")
      for name in ("customer", "service", "team", "person", "priority")),
]


class IndicatorListView(APIView):
    """Every indicator: key, name, unit, direction (up: more is better), dimensions."""

    permission_classes = [ProviderStaff]

    @extend_schema(operation_id="indicators_list", responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        return Response([_describe(i) for i in indicators.indicators()])


class IndicatorMixin:
    def query(self, request, key: str) -> IndicatorQueryForm:
        try:
            indicator = indicators.indicator(key)
        except KeyError:
            raise Http404 from None
        form = IndicatorQueryForm(request.query_params, user=request.user, indicator=indicator)
        if not form.is_valid():
            raise DjangoValidationError(form.errors.as_data())  # 400 with field messages
        return form


class IndicatorValueView(IndicatorMixin, APIView):
    """One indicator's value for the reader's provider over a period, narrowed to a
    customer, service, team, person or priority, and split ``by`` a dimension."""

    permission_classes = [ProviderStaff]

    @extend_schema(operation_id="indicators_value", parameters=[*QUERY, OpenApiParameter(
        "by", OpenApiTypes.STR, enum=list(indicators.DIMENSIONS),
        description="Split by this dimension.")], responses={200: OpenApiTypes.OBJECT})
    def get(self, request, key: str):
        form = self.query(request, key)
        scope, (start, end) = form.scope(), form.bounds()
        found = indicators.indicator(key)
        body = {**_describe(found), "start": form.cleaned_data["start"],
                "end": form.cleaned_data["end"],
                **_value(indicators.value(key, scope, start, end))}
        by = form.cleaned_data.get("by")
        if by:
            values = indicators.split(key, scope, start, end, by=by)
            names = indicators.labels(by, values)
            body["by"] = by
            body["split"] = sorted(
                ({"key": k, "label": names.get(k, "—"), **_value(v)} for k, v in values.items()),
                key=lambda row: (row["value"] is None, -(row["value"] or 0)
                                 if found.direction == indicators.UP else row["value"] or 0,
                                 str(row["label"])))
        return Response(body)


class IndicatorRecordsView(IndicatorMixin, APIView):
    """The records behind a value (the drill-down): number, title, type and page, the
    first :data:`RECORDS_LIMIT`, newest first, and how many there are."""

    permission_classes = [ProviderStaff]

    @extend_schema(operation_id="indicators_records", parameters=QUERY,
                   responses={200: OpenApiTypes.OBJECT})
    def get(self, request, key: str):
        form = self.query(request, key)
        start, end = form.bounds()
        rows, count = [], 0
        for queryset in indicators.records(key, form.scope(), start, end):
            queryset = queryset.distinct()
            count += queryset.count()
            rows += list(queryset.order_by("-pk")[:RECORDS_LIMIT])
        return Response({"count": count, "records": [
            {"type": r._meta.model_name, "id": r.pk, "number": getattr(r, "number", ""),
             "title": getattr(r, "title", str(r)),
             "url": r.get_absolute_url() if hasattr(r, "get_absolute_url") else None}
            for r in rows[:RECORDS_LIMIT]]})
