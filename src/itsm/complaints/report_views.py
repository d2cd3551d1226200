"""The monthly complaint report (page, XLSX, "open an improvement action" per cause) and
the handling assessment page: quality managers, management, complaint handlers and
administrators of a provider; everyone else gets a 403."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from itsm.core import access, audit
from itsm.core.choices import AuditAction
from itsm.core.exceptions import WorkflowError

from . import assessment, reports, services
from .models import CauseCategory
from .periods import Period

MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class ManagersOnly(LoginRequiredMixin):
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not services.may_manage(request.user):
            raise PermissionDenied(_("Only quality managers, management and complaint "
                                     "handlers may see complaint reports."))
        return super().dispatch(request, *args, **kwargs)

    def period(self) -> tuple[Period | None, str]:
        """The month asked for (default: last month) or an error message."""
        value = (self.request.GET.get("month") or self.request.POST.get("month") or "").strip()
        provider = access.organization_of(self.request.user)
        if not value:
            today = timezone.localdate()
            year, month = (today.year, today.month - 1) if today.month > 1 else (
                today.year - 1, 12)
            return Period.month(year, month, provider.time_zone), ""
        match = MONTH.match(value)
        if not match or not 1 <= int(match[2]) <= 12 or not 2000 <= int(match[1]) <= 2100:
            return None, _("Enter a month as YYYY-MM.")
        return Period.month(int(match[1]), int(match[2]), provider.time_zone), ""


class MonthlyReportView(ManagersOnly, TemplateView):
    """``?month=YYYY-MM`` (``&format=xlsx``: the workbook, audited); POST ``cause`` and
    ``month``: an improvement action for that month's complaints of that cause."""

    template_name = "complaints/report.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        period, error = self.period()
        if period is None:
            return self.render_to_response(self.get_context_data(error=error), status=400)
        provider = access.organization_of(request.user)
        report = reports.monthly_report(provider, period)
        if request.GET.get("format") == "xlsx":
            audit.log_event(action=AuditAction.READ, object_type="complaints.monthlyreport",
                            object_id=str(provider.pk),
                            object_repr=f"xlsx {provider.name} {period.label}"[:255],
                            actor=request.user, changes={"month": period.label},
                            organization_id=provider.pk)
            response = HttpResponse(reports.report_workbook(report),
                                    content_type=reports.CONTENT_TYPE)
            response["Content-Disposition"] = (
                f'attachment; filename="{reports.report_filename(report)}"')
            return response
        causes = {c.name: c.pk for c in CauseCategory.objects.visible_to(request.user)
                  .filter(parent__isnull=False)}
        return self.render_to_response(self.get_context_data(
            report=report, month=period.label, cause_ids=causes))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        period, error = self.period()
        cause = CauseCategory.objects.visible_to(request.user).filter(
            pk=request.POST.get("cause") if str(request.POST.get("cause", "")).isdigit()
            else None).first()
        if period is None or cause is None:
            messages.error(request, error or _("Choose a cause."))
            return redirect("complaints:report")
        complaints = list(reports.provider_complaints(access.organization_of(request.user))
                          .filter(cause_category=cause, created_at__gte=period.start,
                                  created_at__lt=period.end))
        try:
            action = services.open_improvement_action(complaints, actor=request.user, data={
                "title": _("Improve: %(cause)s (%(month)s)") % {"cause": str(cause),
                                                               "month": period.label}})
        except (ValidationError, WorkflowError) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
            return redirect(f"{request.path}?month={period.label}")
        return redirect(action.get_absolute_url())


class AssessmentView(ManagersOnly, TemplateView):
    """``?month=YYYY-MM``: timeliness, accuracy and satisfaction per handler and team."""

    template_name = "complaints/assessment.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        period, error = self.period()
        if period is None:
            return self.render_to_response(self.get_context_data(error=error), status=400)
        scope = reports.provider_complaints(access.organization_of(request.user))
        return self.render_to_response(self.get_context_data(
            month=period.label,
            handlers=assessment.assessment_table(period, scope, "assignee"),
            teams=assessment.assessment_table(period, scope, "assignee_team")))
