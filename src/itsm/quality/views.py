"""Web pages of service quality: the monthly service-level report and its XLSX, and the
indicators (values, splits, the records behind them)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from itsm.core import access, audit
from itsm.core.choices import AuditAction
from itsm.core.object_views import ObjectViewMixin, object_views

from . import dashboard, indicators, reports, resources
from . import services as target_services
from .choices import PeriodKind
from .forms import DashboardForm, IndicatorQueryForm, QualityTargetForm, ServiceLevelReportForm
from .models import QualityTarget, TargetEvaluation

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
            pdf_url=f"{reverse('report-download', args=['service-level'])}?{query}&format=pdf",
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


# --- Indicators (QA-1): every indicator's value, one split by a dimension, its records ---


class IndicatorAccessMixin(LoginRequiredMixin):
    """The provider's staff; anyone else gets a 404 (the pages are internal)."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not access.is_provider_staff(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class IndicatorListView(IndicatorAccessMixin, TemplateView):
    """Every indicator for a period (the previous month by default) beside the period of
    the same length before it."""

    template_name = "quality/indicators.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = IndicatorQueryForm(request.GET, user=request.user)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form, rows=[]),
                                           status=400)
        scope, (start, end) = form.scope(), form.bounds()
        before = form.previous_bounds()
        rows = []
        for found in indicators.indicators():
            now = indicators.value(found.key, scope, start, end)
            then = indicators.value(found.key, scope, *before)
            rows.append({"indicator": found, "now": now, "then": then,
                         "trend": _trend(found, now.value, then.value),
                         "url": f"{reverse('quality:indicator', args=[found.key])}?"
                                f"{form.query(by=None)}"})
        return self.render_to_response(self.get_context_data(form=form, rows=rows))


def _trend(found: indicators.Indicator, now: float | None, then: float | None) -> str:
    """``better``, ``worse`` or ``same`` (empty when either value is missing)."""
    if now is None or then is None:
        return ""
    if now == then:
        return "same"
    return "better" if (now > then) == (found.direction == indicators.UP) else "worse"


class IndicatorDetailView(IndicatorAccessMixin, TemplateView):
    """One indicator: its value, split by a dimension (each row narrows to it), and the
    newest records behind the value."""

    template_name = "quality/indicator.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            found = indicators.indicator(kwargs["key"])
        except KeyError:
            raise Http404 from None
        form = IndicatorQueryForm(request.GET, user=request.user, indicator=found)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(
                form=form, indicator=found), status=400)
        scope, (start, end) = form.scope(), form.bounds()
        by = form.cleaned_data.get("by") or ""
        split = []
        if by:
            values = indicators.split(found.key, scope, start, end, by=by)
            names = indicators.labels(by, values)
            split = sorted(({"label": names.get(k, "—"), "value": v,
                             "url": f"?{form.query(by=None, **{by: k})}"}
                            for k, v in values.items()),
                           key=lambda row: str(row["label"]))
        behind, count = [], 0
        for queryset in indicators.records(found.key, scope, start, end):
            queryset = queryset.distinct()
            count += queryset.count()
            behind += list(queryset.order_by("-pk")[:PAGE_RECORDS])
        return self.render_to_response(self.get_context_data(
            form=form, indicator=found, value=indicators.value(found.key, scope, start, end),
            by=by, split=split, records=behind[:PAGE_RECORDS], count=count,
            dimensions=[(k, v) for k, v in indicators.DIMENSIONS.items()
                        if k in found.dimensions],
            split_urls={k: f"?{form.query(by=k)}" for k in found.dimensions}))


#: Records listed under an indicator's value.
PAGE_RECORDS = 50


# --- Quality targets (core.object_views) ----------------------------------------------------


class TargetMixin(ObjectViewMixin):
    """Provider staff read the targets (everybody else: 404); quality managers and
    administrators change them (others: 403)."""

    model = QualityTarget
    form_class = QualityTargetForm
    url_prefix = "quality:target"
    list_template = "quality/target_list.html"
    title = gettext_lazy("Quality targets")
    new_title = gettext_lazy("New quality target")
    write_denied = gettext_lazy("Only quality managers and administrators may change "
                                "quality targets.")
    select_related = ("team", "customer", "service")
    prefetch_related = ("owners",)
    save_with = staticmethod(target_services.save_target)

    def may_read(self) -> bool:
        return target_services.may_read_targets(self.request.user)

    def may_write(self) -> bool:
        return target_services.may_write_targets(self.request.user)

    def delete_object(self, instance: QualityTarget) -> None:
        target_services.delete_target(instance, actor=self.request.user)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if "objects" in context:  # the list (also after a refused delete)
            context["rows"] = target_rows(list(context["objects"]))
        return context


def target_rows(targets: list[QualityTarget]) -> list[tuple]:
    """(target, its latest evaluation of its own scope or None, the latest evaluations of
    the teams held to it): one query."""
    latest: dict[tuple[int, str], TargetEvaluation] = {}
    for evaluation in TargetEvaluation.objects.filter(target__in=targets).select_related(
            "team").order_by("target_id", "scope_key", "-period_start"):
        latest.setdefault((evaluation.target_id, evaluation.scope_key), evaluation)
    return [(target, latest.get((target.pk, "")),
             sorted((e for (pk, key), e in latest.items() if pk == target.pk and key),
                    key=lambda e: e.team.name if e.team else ""))
            for target in targets]


TARGET_VIEWS = object_views(TargetMixin, only=("list", "form", "delete"))


# --- The quality dashboard (QA-2), from the stored evaluations --------------------------


class DashboardView(IndicatorAccessMixin, TemplateView):
    """Targets against actuals with traffic lights and trends (``?period=&team=``);
    ``target`` in the URL: one target's scopes (its teams) period by period, each value
    linking to the indicator's records of that period."""

    template_name = "quality/dashboard.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = DashboardForm(request.GET, user=request.user)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        period, team = form.cleaned_data["period"], form.cleaned_data["team"]
        target = kwargs.get("pk")
        if target is not None:
            found = QualityTarget.objects.visible_to(request.user).filter(pk=target).first()
            if found is None:
                raise Http404
            period = found.period_kind
        board = dashboard.build(request.user, period, team_id=team, target_id=target)
        tz = dashboard.zone_of(access.organization_of(request.user))
        context = {"form": form, "board": board, "period": period, "team": team,
                   "teams": form.teams, "periods": PeriodKind.choices,
                   "query": {"team": team} if team else {}}
        if target is None:
            context["rows"] = [(row, dashboard.sparkline(board, row.own), f"spark-{row.target.pk}")
                               for row in board.rows]
            return self.render_to_response(self.get_context_data(**context))
        row = board.rows[0] if board.rows else None
        self.template_name = "quality/dashboard_target.html"
        context.update(target=found, row=row, chart=dashboard.trend_chart(
            board, [row.own, *row.teams] if row else [], found),
            grid=[(scope, [(start, scope.points.get(start), dashboard.records_url(
                scope.points[start], tz) if start in scope.points else "")
                for start in board.periods]) for scope in ([row.own, *row.teams] if row
                                                            else [])])
        return self.render_to_response(self.get_context_data(**context))
