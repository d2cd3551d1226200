"""Web UI for tickets: the generic record views with a few attributes per type."""

from __future__ import annotations

from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.generic import TemplateView

from itsm.core import access, imports, links
from itsm.core import rules as perms
from itsm.core import views as base
from itsm.core.choices import LinkKind
from itsm.core.exceptions import UploadTooLarge
from itsm.core.limits import COMMENT_MAX_LENGTH
from itsm.core.uploads import check_request_size

from . import filtersets, forms, models, portal, resources, satisfaction
from . import services as sd_services
from .api import serializers as api_serializers
from .forms import TicketImportForm
from .sla import clocks_of, resolution_clocks

TICKET_DETAIL_FIELDS = ("service", "category", "channel", "impact", "urgency",
                        "affected_system", "resolution", "first_response_at", "resolved_at",
                        "closed_at")


class RatingForm(django_forms.Form):
    """The 1–5 choice and a comment (FBK-1)."""

    score = django_forms.TypedChoiceField(
        label=gettext_lazy("How satisfied are you with the handling of this ticket?"),
        choices=[(5, gettext_lazy("5 – very satisfied")), (4, gettext_lazy("4 – satisfied")),
                 (3, gettext_lazy("3 – neutral")), (2, gettext_lazy("2 – dissatisfied")),
                 (1, gettext_lazy("1 – very dissatisfied"))],
        coerce=int, widget=django_forms.RadioSelect)
    comment = django_forms.CharField(label=gettext_lazy("Comment"), required=False,
                                     max_length=satisfaction.MAX_RATING_COMMENT,
                                     widget=django_forms.Textarea(attrs={"rows": 3}))


class RatingContextMixin:
    """On a ticket's detail page: its rating, or the form when the reader may rate."""

    def panels(self, record, page: dict[str, Any]) -> list[base.Panel]:
        rating = satisfaction.rating_of(record)
        can_rate = rating is None and satisfaction.can_rate_now(self.request.user, record)
        panels = super().panels(record, page)
        if rating is None and not can_rate:
            return panels
        return [*panels, base.Panel("servicedesk/_rating.html", {
            "rating": rating,
            "rating_form": (page.get("rating_form") or RatingForm()) if can_rate else None,
            "rating_url": reverse(f"{self.url_prefix}-rate", args=[record.pk])})]


class MergeForm(django_forms.Form):
    """Merge this ticket into another one (INC-3)."""

    into = django_forms.CharField(label=gettext_lazy("Merge into (number)"), max_length=32,
                                  widget=django_forms.TextInput(
                                      attrs={"placeholder": "REQ-2026-000001"}))
    comment = django_forms.CharField(label=gettext_lazy("Comment"), required=False,
                                     max_length=COMMENT_MAX_LENGTH,
                                     widget=django_forms.Textarea(attrs={"rows": 2}))


class LinkForm(django_forms.Form):
    """Link another record (of any type) to this one."""

    target = django_forms.CharField(label=gettext_lazy("Record number"), max_length=32)
    kind = django_forms.ChoiceField(label=gettext_lazy("Kind"), choices=LinkKind.choices,
                                    initial=LinkKind.RELATED)


class RelationsContextMixin:
    """On a ticket's detail page: the linked records the reader may see and, for
    service staff, the forms to link records and to merge the ticket into another."""

    def panels(self, record, page: dict[str, Any]) -> list[base.Panel]:
        user = self.request.user
        staff = access.is_staff_writer(user)
        cancel = record.workflow.get("cancel")
        may_merge = staff and cancel is not None and record.status in cancel.sources
        return [*super().panels(record, page), base.Panel("servicedesk/_relations.html", {
            "linked_records": links.linked_records(record, user),
            "can_link": staff,
            "link_form": (page.get("link_form") or LinkForm()) if staff else None,
            "merge_form": (page.get("merge_form") or MergeForm()) if may_merge else None,
            "merged_into": (record.merged_into if record.merged_into_id
                            and perms.can_view_record(user, record.merged_into) else None)})]


class MergeView(base.RecordActionView):
    """POST the merge form: cancel this ticket as a duplicate of another (staff)."""

    def act(self, record) -> dict | None:
        if not access.is_staff_writer(self.request.user):
            raise PermissionDenied(_("Only service staff may merge tickets."))
        form = MergeForm(self.request.POST)
        if form.is_valid():
            number = form.cleaned_data["into"].strip()
            target = links.find_visible_record(self.request.user, number=number)
            if target is None:
                form.add_error("into", _("No ticket “%(into)s” that you can see.")
                               % {"into": number})
            else:
                try:
                    target = sd_services.merge_tickets(
                        record, into=target, actor=self.request.user,
                        comment=form.cleaned_data["comment"])
                except ValidationError as exc:
                    base.add_errors(form, exc)
                else:
                    messages.success(self.request, _("%(a)s was merged into %(b)s.")
                                     % {"a": record.number, "b": target.number})
                    self.success_url = target.get_absolute_url()
                    return None
        for message in form.errors.get("into", []) + form.non_field_errors():
            messages.error(self.request, message)
        return {"merge_form": form}

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        target = getattr(self, "success_url", None)
        return redirect(target) if response.status_code == 302 and target else response


class LinkView(base.RecordActionView):
    """POST the link form: link a record of any type to this ticket (staff)."""

    def act(self, record) -> dict | None:
        if not access.is_staff_writer(self.request.user):
            raise PermissionDenied(_("Only service staff may link records."))
        form = LinkForm(self.request.POST)
        if form.is_valid():
            number = form.cleaned_data["target"].strip()
            other = links.find_visible_record(self.request.user, number=number)
            if other is None:
                form.add_error("target", _("No record “%(target)s” that you can see.")
                               % {"target": number})
            else:
                try:
                    links.link_records(record, other, kind=form.cleaned_data["kind"],
                                             actor=self.request.user)
                except ValidationError as exc:
                    base.add_errors(form, exc)
                else:
                    messages.success(self.request, _("%(a)s and %(b)s are linked.")
                                     % {"a": record.number, "b": other.number})
                    return None
        for message in form.errors.get("target", []) + form.non_field_errors():
            messages.error(self.request, message)
        return {"link_form": form}


class UnlinkView(base.RecordActionView):
    """POST: remove one link of this ticket (staff)."""

    def act(self, record) -> dict | None:
        if not access.is_staff_writer(self.request.user):
            raise PermissionDenied(_("Only service staff may remove links."))
        item = next((i for i in links.linked_records(record, self.request.user)
                     if i.link.pk == self.kwargs["link_id"]), None)
        if item is None:
            raise Http404
        links.unlink_records(item.link, actor=self.request.user)
        messages.success(self.request, _("The link to %(number)s was removed.")
                         % {"number": item.other.number})
        return None


class TicketContextMixin(RelationsContextMixin, RatingContextMixin):
    """A ticket's detail page also shows its SLA clocks, explained in words; the list
    offers service staff the import, and its due times count down working time (the
    resolution clocks of the page: one query)."""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        records = kwargs.get("records")
        if records:
            clocks = resolution_clocks(records)
            for record in records:
                record.sla_clock = clocks.get(record.pk)
        return super().get_context_data(**kwargs)

    def list_actions(self) -> dict[str, Any]:
        if not access.is_staff_writer(self.request.user):
            return super().list_actions()
        return {**super().list_actions(), "import_url": reverse(f"{self.url_prefix}-import")}

    def panels(self, record, page: dict[str, Any]) -> list[base.Panel]:
        clocks = clocks_of(record)
        sla_clocks = [clocks[k] for k in ("response", "resolution") if k in clocks]
        panels = super().panels(record, page)
        if not sla_clocks:
            return panels
        return [*panels, base.Panel("servicedesk/_sla.html", {"sla_clocks": sla_clocks},
                                    slot="side")]


class RecordRatingView(base.RecordActionView):
    """POST the portal's rating form (requester or customer administrator, closed ticket)."""

    def act(self, record) -> dict | None:
        form = RatingForm(self.request.POST)
        if form.is_valid():
            try:
                satisfaction.rate_ticket(record, actor=self.request.user,
                                         score=form.cleaned_data["score"],
                                         comment=form.cleaned_data["comment"])
            except ValidationError as exc:
                base.add_errors(form, exc)
                for message in exc.messages:
                    messages.error(self.request, message)
            else:
                messages.success(self.request, _("Thank you for your rating."))
                return None
        elif not satisfaction.may_rate(self.request.user, record):
            raise PermissionDenied(_("Only the requester of %(number)s may rate it.")
                                   % {"number": record.number})
        return {"rating_form": form}


class TicketImportView(base.RecordViewMixin, TemplateView):
    """Upload a CSV or XLSX file of tickets (service staff): every row is validated as by
    the API's create endpoint, and all rows are imported or none (GEN-9)."""

    template_name = "servicedesk/ticket_import.html"
    import_serializer: type
    export_resource = None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            imports.require_importer(request.user)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        serializer = self.import_serializer(context={"request": self.request})
        context.setdefault("form", TicketImportForm())
        context["columns"] = [(name, self.label_of(name), field.required)
                              for name, field in imports.writable_fields(serializer).items()
                              if name != "version"]
        return context

    def label_of(self, name: str) -> str:
        try:
            return str(self.model._meta.get_field(name).verbose_name)
        except FieldDoesNotExist:
            return "" if name == "non_field_errors" else name

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form, status, row_errors = TicketImportForm(request.POST, request.FILES), 400, []
        try:
            check_request_size(request)
            if form.is_valid():
                records = imports.import_file(self.import_serializer, form.cleaned_data["file"],
                                              request=request,
                                              resource_class=self.export_resource)
                messages.success(request, ngettext(
                    "%(count)d ticket imported.", "%(count)d tickets imported.", len(records))
                    % {"count": len(records)})
                return redirect(f"{self.url_prefix}-list")
        except imports.ImportFailed as exc:
            row_errors = [(number, self.label_of(field), messages_)
                          for number, fields in sorted(exc.errors.items())
                          for field, messages_ in fields.items()]
        except ValidationError as exc:
            base.add_errors(form, exc)
        except UploadTooLarge as exc:
            form.add_error("file", exc.message)
            status = 413
        return self.render_to_response(self.get_context_data(form=form, row_errors=row_errors),
                                       status=status)


class ServiceRequestMixin(TicketContextMixin):
    model = models.ServiceRequest
    form_class = forms.ServiceRequestForm
    filterset_class = filtersets.ServiceRequestFilterSet
    export_resource = resources.ServiceRequestResource
    import_serializer = api_serializers.ServiceRequestSerializer
    detail_fields = TICKET_DETAIL_FIELDS


class IncidentMixin(TicketContextMixin):
    model = models.Incident
    form_class = forms.IncidentForm
    filterset_class = filtersets.IncidentFilterSet
    export_resource = resources.IncidentResource
    import_serializer = api_serializers.IncidentSerializer
    detail_fields = (*TICKET_DETAIL_FIELDS, "is_major", "cause")


def views_for(mixin: type) -> dict[str, type]:
    """The generic record views bound to one ticket type, with the rating view."""
    return base.views_for(mixin, {"rate": RecordRatingView})


def relation_views_for(mixin: type) -> dict[str, type]:
    """Merge, link, unlink and import views bound to one ticket type."""
    generic = {"merge": MergeView, "link": LinkView, "unlink": UnlinkView,
               "import": TicketImportView}
    return {name: type(f"{mixin.__name__[:-5]}{cls.__name__}", (mixin, cls), {})
            for name, cls in generic.items()}


REQUEST_VIEWS = {**views_for(ServiceRequestMixin), **relation_views_for(ServiceRequestMixin),
                 "decide": type("RequestApprovalDecisionView",
                                (ServiceRequestMixin, portal.ApprovalDecisionView), {}),
                 "task_done": type("RequestTaskDoneView",
                                   (ServiceRequestMixin, portal.TaskDoneView), {})}
INCIDENT_VIEWS = {**views_for(IncidentMixin), **relation_views_for(IncidentMixin)}


class MajorIncidentMixin:
    model = models.MajorIncident
    form_class = forms.MajorIncidentForm
    filterset_class = filtersets.MajorIncidentFilterSet
    export_resource = resources.MajorIncidentResource
    detail_fields = ("service", "impact_scope", "event_report", "analysis_report",
                     "notified_at", "recovered_at", "closed_at")


MAJOR_VIEWS = views_for(MajorIncidentMixin)


class RatingLinkView(TemplateView):
    """The page behind the signed link of the closure email; no login needed, since
    the link names the ticket and its requester. A tampered or expired link is a 400."""

    template_name = "servicedesk/rate.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            self.ticket, self.requester = satisfaction.ticket_from_token(kwargs["token"])
        except satisfaction.RatingLinkError as exc:
            return self.render_to_response({"link_error": exc.message}, status=400)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        rating = satisfaction.rating_of(self.ticket)
        can_rate = rating is None and satisfaction.can_rate_now(self.requester, self.ticket)
        context.update(ticket=self.ticket, rating=rating,
                       form=(kwargs.get("form") or RatingForm()) if can_rate else None)
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = RatingForm(request.POST)
        if form.is_valid():
            try:
                satisfaction.rate_ticket(self.ticket, actor=self.requester,
                                         score=form.cleaned_data["score"],
                                         comment=form.cleaned_data["comment"])
            except (ValidationError, PermissionDenied) as exc:
                messages_ = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
                return self.render_to_response(
                    self.get_context_data(errors=messages_), status=400)
            return self.render_to_response(self.get_context_data(thanks=True))
        return self.render_to_response(self.get_context_data(form=form), status=400)
