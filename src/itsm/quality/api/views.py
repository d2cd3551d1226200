"""``GET /api/reports/service-level/``: the monthly service-level report (SLM-5)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework import permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from itsm.core.api.reports import ReportFileMixin

from .. import reports
from ..forms import ServiceLevelReportForm
from .serializers import ServiceLevelReportSerializer


class MaySeeReports(permissions.BasePermission):
    message = gettext_lazy("Only service staff and customer administrators may see "
                           "service-level reports.")

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated
                    and reports.may_see_reports(request.user))


class ServiceLevelReportView(ReportFileMixin, APIView):
    """The service-level report of one organization for one month (its local time).

    SLO attainment per service, priority and clock; every breached clock with the reasons
    the records give; availability per service; satisfaction; ticket counts. Provider
    staff (auditors included) may ask for their provider's organizations, a customer
    administrator for their own; others get 403, and an organization outside your
    scope is a 404. ``?format=pdf`` or ``xlsx``: the report as a file.
    """

    permission_classes = [MaySeeReports]

    @extend_schema(
        parameters=[
            OpenApiParameter("organization", OpenApiTypes.INT, description=(
                "Organization id; required for provider staff, a customer administrator's "
                "own organization by default.")),
            OpenApiParameter("month", OpenApiTypes.STR, pattern=r"^\d{4}-\d{2}$",
                             description="YYYY-MM; the previous month by default."),
            OpenApiParameter("service", OpenApiTypes.INT, description=(
                "Service id: only this service (one that serves the organization).")),
            OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "pdf", "xlsx"],
                             description="json (default), pdf or xlsx."),
        ],
        responses=ServiceLevelReportSerializer,
    )
    def get(self, request):
        if request.query_params.get("format") in ("pdf", "xlsx"):
            return self.report_response(request, "service-level")
        form = ServiceLevelReportForm(request.query_params, user=request.user)
        if not form.is_valid():
            raise DjangoValidationError(form.errors.as_data())  # 400 with field messages
        report = reports.service_level_report(**form.report_arguments(), user=request.user)
        return Response(ServiceLevelReportSerializer(report).data)
