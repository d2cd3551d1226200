"""Report pages (``core.reports``): the catalogue, a report with its parameters and
downloads, the subscriptions (generic object pages) and the archive.

A report the reader may not see is a 403 for the provider's staff and a 404 for anyone
else; subscriptions and the archive are the provider's staff's only (others: 404), and
another provider's are 404 like anything out of scope.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView, View

from . import access
from .models import ReportSubscription
from .object_views import ObjectFormView, ObjectViewMixin, object_views
from .reports import services
from .reports.forms import PARAMETER_PREFIX, SubscriptionForm
from .reports.registry import Report, reports_for
from .reports.registry import report as registered
from .reports.rendering import build_context, produce
from .reports.responses import (
    archived_file_response,
    download_response,
    provider_of,
    query_of,
    visible_report,
)
from .views import add_errors

#: Archived reports listed on the page (newest first).
ARCHIVE_PAGE_ROWS = 200


class CatalogueView(LoginRequiredMixin, TemplateView):
    """``/reports/``: the reports the reader may see."""

    template_name = "core/reports/catalogue.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        user = self.request.user
        found = reports_for(user)
        if not found and not access.is_provider_staff(user):
            raise Http404
        rows = [(r, reverse(r.page_url_name) if r.page_url_name
                 else reverse("report", args=[r.key])) for r in found]
        return super().get_context_data(
            rows=rows, staff=access.is_provider_staff(user),
            can_subscribe=services.may_subscribe(user), **kwargs)


class ReportPageView(LoginRequiredMixin, TemplateView):
    """``/reports/<key>/?…``: the parameters, the report, its downloads. A first visit
    without parameters shows the report with the form's defaults, or the form alone when
    it needs a choice; bad parameters are field errors (400)."""

    template_name = "core/reports/page.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        report = visible_report(request.user, kwargs["key"])
        form = services.bind(report, request.GET, request.user)
        if not form.is_valid():  # Http404 for what the reader may not see
            return self.render_to_response(self.get_context_data(
                report_type=report, form=form, show_errors=bool(request.GET)),
                status=400 if request.GET else 200)
        return self.render_report(report, form)

    def render_report(self, report: Report, form) -> HttpResponse:
        context = build_context(report, form.cleaned_data, self.request.user,
                                provider=provider_of(self.request.user))
        query = query_of(form)
        download = reverse("report-download", args=[report.key])
        subscribe = reverse("report-subscription-create") + "?" + urlencode(
            {"report": report.key, **{f"{PARAMETER_PREFIX}-{k}": v for k, v in query.items()
                                      if k != report.period_field}}, doseq=True)
        return self.render_to_response(self.get_context_data(
            **context, form=form, body_template=report.template,
            downloads=[(fmt.upper(), download + "?" + urlencode({**query, "format": fmt},
                                                               doseq=True))
                       for fmt in report.formats],
            subscribe_url=subscribe if services.may_subscribe(self.request.user) else None))


class ReportDownloadView(ReportPageView):
    """``/reports/<key>/download/?format=pdf|xlsx&…``: the report as a file (any report,
    those with a page of their own app too)."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        report = visible_report(request.user, kwargs["key"])
        fmt = request.GET.get("format", "pdf")
        form = services.bind(report, request.GET, request.user)
        errors = {} if form.is_valid() else dict(form.errors)  # Http404: as on the page
        if fmt not in report.formats:
            errors["format"] = [_("Choose one of: %(formats)s.")
                                % {"formats": ", ".join(report.formats)}]
        if errors:
            return self.render_to_response(self.get_context_data(
                report_type=report, form=form, show_errors=True, extra_errors=errors.get(
                    "format", [])), status=400)
        context = build_context(report, form.cleaned_data, request.user,
                                provider=provider_of(request.user))
        return download_response(produce(report, context, fmt), request.user, report,
                                 query_of(form))


# --- Subscriptions (core.object_views) ---------------------------------------------------


class SubscriptionMixin(ObjectViewMixin):
    """The provider's staff read the subscriptions of reports they may see (others: 404);
    staff who may write subscribe; owners and administrators change theirs (others:
    403)."""

    model = ReportSubscription
    url_prefix = "report-subscription"
    list_template = "core/reports/subscription_list.html"
    form_template = "core/reports/subscription_form.html"
    nav_template = "core/reports/_nav.html"
    title = gettext_lazy("Report subscriptions")
    new_title = gettext_lazy("New report subscription")
    write_denied = gettext_lazy("Only its owner and administrators may change this "
                                "subscription.")

    def may_read(self) -> bool:
        return services.may_read_subscriptions(self.request.user)

    def may_write(self) -> bool:
        return services.may_subscribe(self.request.user)

    def get_queryset(self):
        return services.subscriptions_for(self.request.user).select_related(
            "owner").prefetch_related("people")

    def delete_object(self, instance: ReportSubscription) -> None:
        services.delete_subscription(instance, actor=self.request.user)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if "objects" in context:
            user = self.request.user
            context["rows"] = [(s, registered_title(s.report), services.may_change(user, s))
                               for s in context["objects"]]
        return context


def registered_title(key: str) -> str:
    try:
        return str(registered(key).title)
    except KeyError:
        return key


class SubscriptionFormView(SubscriptionMixin, ObjectFormView):
    """Create (``?report=<key>``; without it, a choice of reports) or edit: the schedule,
    the recipients and the report's own parameters (without its period)."""

    def get_instance(self) -> ReportSubscription | None:
        instance = self.get_object() if "pk" in self.kwargs else None
        self.require_writer()
        if instance is not None and not services.may_change(self.request.user, instance):
            raise PermissionDenied(self.write_denied)
        return instance

    def chosen_report(self, instance: ReportSubscription | None) -> Report | None:
        key = instance.report if instance else (self.request.GET.get("report") or
                                                self.request.POST.get("report"))
        if not key:
            return None
        return visible_report(self.request.user, key)

    def forms(self, instance, report: Report, data=None):
        """The subscription's form and the report's parameters (the stored ones, or
        those a report page linked with, until posted) with their errors."""
        user = self.request.user
        values = data
        if values is None:
            values = ({f"{PARAMETER_PREFIX}-{k}": v for k, v in instance.parameters.items()}
                      if instance else self.request.GET)
        parameters = services.bind(report, values, user, prefix=PARAMETER_PREFIX,
                                   scheduled=True)
        errors = services.form_errors(parameters)  # also fills choices that depend on others
        form = SubscriptionForm(data, instance=instance, user=user, report=report)
        return form, parameters, errors

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        instance = self.get_instance()
        report = self.chosen_report(instance)
        if report is None:
            return self.render_to_response(self.get_context_data(
                instance=None, choices=reports_for(request.user)))
        form, parameters, _errors = self.forms(instance, report)
        return self.render_to_response(self.get_context_data(
            form=form, parameters=parameters, report_type=report, instance=instance))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        instance = self.get_instance()
        report = self.chosen_report(instance)
        if report is None:
            raise Http404
        form, parameters, errors = self.forms(instance, report, request.POST)
        if form.is_valid() and not errors:
            data = {**self.form_data(form), "report": report.key,
                    "parameters": {name: parameters[name].data for name in parameters.fields}}
            try:
                saved = services.save_subscription(instance, actor=request.user, data=data)
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _("“%(name)s” saved.") % {
                    "name": registered_title(saved.report)})
                return redirect(self.url("list"))
        return self.render_to_response(self.get_context_data(
            form=form, parameters=parameters, report_type=report, instance=instance,
            show_errors=True), status=400)


SUBSCRIPTION_VIEWS = object_views(SubscriptionMixin, only=("list", "delete"),
                                  extra={"form": SubscriptionFormView})


# --- The archive ---------------------------------------------------------------------------


class ArchiveAccessMixin(LoginRequiredMixin):
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not services.may_read_subscriptions(
                request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class ArchiveListView(ArchiveAccessMixin, TemplateView):
    """``/reports/archive/?report=``: the sent reports, newest first."""

    template_name = "core/reports/archive_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        rows = services.archive_for(self.request.user).select_related(
            "subscription", "produced_by")
        chosen = self.request.GET.get("report") or ""
        if chosen:
            rows = rows.filter(report=chosen)
        return super().get_context_data(
            rows=list(rows[:ARCHIVE_PAGE_ROWS]), chosen=chosen, kind="archive",
            choices=[(r.key, r.title) for r in reports_for(self.request.user)], **kwargs)


class ArchiveDownloadView(ArchiveAccessMixin, View):
    """The archived file as it was sent; the read audited."""

    def get(self, request: HttpRequest, pk: int) -> FileResponse:
        archived = get_object_or_404(services.archive_for(request.user), pk=pk)
        return archived_file_response(archived, request.user)
