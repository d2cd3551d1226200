"""Web pages of service quality: the monthly service-level report and its XLSX."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from itsm.core import access, audit
from itsm.core.choices import AuditAction

from . import reports, resources
from .forms import ServiceLevelReportForm

#: Breach rows shown on the page; the XLSX and the API have all of them.
PAGE_BREACH_ROWS = 500


class ReportAccessMixin(LoginRequiredMixin):
    """Provider staff and customer administrators; other people get a 403."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not reports.may_see_reports(request.user):
            raise PermissionDenied(_("Only service staff and customer administrators may "
                                     "see service-level reports."))
        return super().dispatch(request, *args, **kwargs)


class ServiceLevelReportView(ReportAccessMixin, TemplateView):
    """``?organization=&month=YYYY-MM&service=``: the report as tables (SLM-5)."""

    template_name = "quality/service_level.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = ServiceLevelReportForm(request.GET, user=request.user)
        if not form.is_valid():
            # A first visit of provider staff has nothing chosen yet: not an error.
            status = 400 if request.GET else 200
            return self.render_to_response(self.get_context_data(
                form=form, report=None, show_errors=bool(request.GET)), status=status)
        report = reports.service_level_report(**form.report_arguments(), user=request.user)
        return self.respond(form, report)

    def respond(self, form: ServiceLevelReportForm, report: reports.ServiceLevelReport
                ) -> HttpResponse:
        query = urlencode(form.query())
        return self.render_to_response(self.get_context_data(
            form=form, report=report, values=form.query(), show_errors=True,
            export_url=f"{reverse('quality:service-level-export')}?{query}",
            breaches=report.breaches[:PAGE_BREACH_ROWS],
            breaches_cut=max(0, len(report.breaches) - PAGE_BREACH_ROWS)))


class ServiceLevelExportView(ServiceLevelReportView):
    """The same report as an XLSX workbook; the download is audited."""

    def respond(self, form: ServiceLevelReportForm, report: reports.ServiceLevelReport
                ) -> HttpResponse:
        user = self.request.user
        audit.log_event(
            action=AuditAction.READ, object_type="quality.servicelevelreport",
            object_id=str(report.organization.pk),
            object_repr=f"xlsx {report.organization.name} {report.period.label}"[:255],
            actor=user, changes={"query": form.query(), "breaches": len(report.breaches)},
            organization_id=getattr(access.organization_of(user), "pk", None))
        response = HttpResponse(resources.report_workbook(report),
                                content_type=resources.CONTENT_TYPE)
        response["Content-Disposition"] = (
            f'attachment; filename="{resources.report_filename(report)}"')
        response["X-Content-Type-Options"] = "nosniff"
        return response
