"""The reports' API: ``/api/reports/`` (the reports you may see), ``/api/reports/<key>/``
(the report as JSON, or ``?format=pdf|xlsx`` as a file; the parameters as query
parameters, bad ones a 400 with field messages), ``/api/report-subscriptions/`` and
``/api/report-archive/`` (the provider's staff only: anyone else gets 404)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import access
from ..choices import STAFF_ROLES
from ..models import ArchivedReport, ReportSubscription, display_name
from ..pagination import NamePagination, RecordCursorPagination
from ..reports import services
from ..reports.registry import Report, reports_for
from ..reports.rendering import build_context, produce
from ..reports.responses import (
    archived_file_response,
    download_response,
    provider_of,
    visible_report,
)
from .serializers import ObjectSerializer, ScopedModelSerializer
from .views import ReadOnlyForAuditors


class FormatParameterNegotiation(DefaultContentNegotiation):
    """JSON whatever ``?format=`` says: the views read it themselves (pdf, xlsx)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ReportFileMixin:
    """``?format=pdf|xlsx`` of a report's API view: the file (the same checks and
    parameters as the JSON; an app's own report API uses it too)."""

    content_negotiation_class = FormatParameterNegotiation

    def report_response(self, request, key: str):
        """The report ``key`` for the query parameters: a file for ``format`` pdf or
        xlsx, else its JSON (``Report.data``)."""
        report = visible_report(request.user, key)
        fmt = request.query_params.get("format") or "json"
        form = services.bind(report, request.query_params, request.user)
        if not form.is_valid():  # may raise Http404 for what the user may not see
            raise DjangoValidationError(form.errors.as_data())
        allowed = (*report.formats, *(("json",) if report.data else ()))
        if fmt not in allowed:
            raise DjangoValidationError({"format": _("Choose one of: %(formats)s.")
                                        % {"formats": ", ".join(allowed)}})
        context = build_context(report, form.cleaned_data, request.user,
                                provider=provider_of(request.user))
        if fmt == "json":
            return Response(report.data(context))
        query = {k: v for k, v in request.query_params.items() if k != "format"}
        return download_response(produce(report, context, fmt), request.user, report, query)


def describe(report: Report, user) -> dict:
    form = services.bind(report, {}, user)
    return {"key": report.key, "title": str(report.title),
            "description": str(report.description), "formats": list(report.formats),
            "json": report.data is not None, "periods": list(report.periods),
            "period_parameter": report.period_field,
            "parameters": [{"name": name, "label": str(field.label or name),
                            "required": field.required} for name, field in form.fields.items()]}


class ReportListView(APIView):
    """The reports you may see, with their parameters and formats."""

    @extend_schema(operation_id="reports_list", responses=OpenApiTypes.OBJECT)
    def get(self, request):
        return Response([describe(r, request.user) for r in reports_for(request.user)])


class ReportView(ReportFileMixin, APIView):
    """One report for the query parameters (see ``/api/reports/`` for each report's
    parameters): JSON, or ``?format=pdf|xlsx`` for the file. A report you may not see is
    403 for the provider's staff, 404 for anyone else."""

    @extend_schema(operation_id="reports_retrieve", parameters=[OpenApiParameter(
        "format", OpenApiTypes.STR, enum=["json", "pdf", "xlsx"],
        description="json (default, where the report has it), pdf or xlsx.")],
        responses={(200, "application/json"): OpenApiTypes.OBJECT,
                   (200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request, key: str):
        return self.report_response(request, key)


class ProviderStaffOr404(permissions.BasePermission):
    """Subscriptions and the archive are internal to a provider: 404 for anyone else."""

    def has_permission(self, request, view) -> bool:
        if request.user and request.user.is_authenticated and not \
                services.may_read_subscriptions(request.user):
            raise NotFound
        return bool(request.user and request.user.is_authenticated)


class ReportSubscriptionSerializer(ObjectSerializer):
    save_with = staticmethod(services.save_subscription)
    report_title = serializers.SerializerMethodField()
    owner_name = serializers.SerializerMethodField()
    parameters = serializers.JSONField(required=False, help_text=(
        "The report's parameters by name (see /api/reports/), without its period."))
    roles = serializers.ListField(child=serializers.ChoiceField(choices=sorted(STAFF_ROLES)),
                                  required=False)

    class Meta:
        model = ReportSubscription
        fields = ["id", "report", "report_title", "parameters", "frequency", "format",
                  "people", "roles", "owner", "owner_name", "is_active", "next_run",
                  "last_sent", "created_at"]
        read_only_fields = ["owner", "next_run", "last_sent", "created_at"]

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None:
            fields["people"].child_relation.queryset = services.recipient_candidates(
                access.provider_id_of(request.user))
        return fields

    def get_report_title(self, obj: ReportSubscription) -> str:
        return next((str(r.title) for r in reports_for(self.context["request"].user)
                     if r.key == obj.report), obj.report)

    def get_owner_name(self, obj: ReportSubscription) -> str:
        return display_name(obj.owner)

    def validate(self, attrs: dict) -> dict:
        """Parameter errors per parameter (``{"parameters": {"month": [...]}}``)."""
        user = self.context["request"].user
        key = attrs.get("report", self.instance.report if self.instance else "")
        found = next((r for r in reports_for(user) if r.key == key), None)
        if found is None:
            raise serializers.ValidationError({"report": _("Choose a report you may see.")})
        if "parameters" in attrs:
            _values, errors = services.parameter_errors(found, attrs["parameters"], user)
            if errors:
                raise serializers.ValidationError({"parameters": errors})
        return attrs


class ReportSubscriptionViewSet(viewsets.ModelViewSet):
    """Your provider's report subscriptions (of reports you may see); their owners and
    administrators change them, other staff read them."""

    queryset = ReportSubscription.objects.all()
    serializer_class = ReportSubscriptionSerializer
    permission_classes = [ProviderStaffOr404, ReadOnlyForAuditors]
    pagination_class = NamePagination
    filterset_fields = ["report", "frequency", "format", "is_active"]

    def get_queryset(self):
        return services.subscriptions_for(self.request.user).select_related(
            "owner").prefetch_related("people")

    def perform_destroy(self, instance: ReportSubscription) -> None:
        services.delete_subscription(instance, actor=self.request.user)


class ArchivedReportSerializer(ScopedModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ArchivedReport
        fields = ["id", "report", "title", "parameters", "period_label", "format",
                  "file_name", "size", "sha256", "subscription", "produced_by",
                  "recipients", "created_at", "download_url"]
        read_only_fields = fields

    def get_download_url(self, obj: ArchivedReport) -> str:
        return reverse("api:archivedreport-download", args=[obj.pk])


class ArchivedReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                            viewsets.GenericViewSet):
    """Every report a subscription sent, newest first; ``…/{id}/download/`` the file as
    it was sent. Archived reports are kept: there is no delete."""

    queryset = ArchivedReport.objects.all()
    serializer_class = ArchivedReportSerializer
    permission_classes = [ProviderStaffOr404]
    pagination_class = RecordCursorPagination
    filterset_fields = ["report", "format", "period_label", "subscription"]

    def get_queryset(self):
        return services.archive_for(self.request.user)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], filterset_fields=None)
    def download(self, request, pk=None):
        """The archived file (PDF or XLSX), the read audited."""
        return archived_file_response(self.get_object(), request.user)
