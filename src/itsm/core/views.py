"""Generic web UI views for record types; an app's views set a few attributes.

Every view starts from ``Model.objects.visible_to(user)``, so an object outside
the user's scope is a 404 for the list, detail, edit, transitions, comments,
attachments and exports alike.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import NoReverseMatch, path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View, defaults
from django.views.generic import TemplateView
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request

from . import (
    access,
    bulk,
    directory,
    exports,
    global_search,
    pickers,
    saved_views,
    services,
)
from . import rules as perms
from .api.filters import StrictOrderingFilter
from .exceptions import (
    DATABASE_UNAVAILABLE,
    RetentionError,
    UploadTooLarge,
    WorkflowError,
    service_unavailable,
)
from .forms import (
    AttachmentForm,
    CommentForm,
    LanguageForm,
    RecordForm,
    SearchForm,
    TransitionForm,
    attachments_field,
)
from .models import Attachment, Record
from .pagination import RecordCursorPagination
from .registry import form_panels_for, record_actions_for, record_panels_for, record_type_of
from .retention import check_deletable
from .uploads import attachment_response, check_request_size


class SignedInMixin(LoginRequiredMixin):
    """Signed in (else the login page), and no write for a read-only role.

    Every unsafe request (POST …) of a read-only role (the auditor) is a 403 here,
    before the view reads the posted form or acts — the answer the API gives
    (``core.api.views.ReadOnlyForAuditors``), whatever the form holds. As there, the
    object the URL names (``pk``) is looked up in the reader's scope first: out of
    scope stays a 404, never a 403 that would confirm it exists. The base of every web
    view that writes (``core.tests.test_request_limits`` posts to all of them as the
    auditor).
    """

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if (request.method not in SAFE_METHODS and request.user.is_authenticated
                and access.is_read_only(request.user)):
            self.require_visible_object()
            raise PermissionDenied(_("Your role is read-only."))
        return super().dispatch(request, *args, **kwargs)

    def require_visible_object(self) -> None:
        """404 unless the object named by the URL is in the view's (scoped) queryset."""
        get_queryset = getattr(self, "get_queryset", None)
        if ("pk" in self.kwargs and get_queryset is not None
                and not get_queryset().filter(pk=self.kwargs["pk"]).exists()):
            raise Http404


def next_page(request: HttpRequest, default: str = "/") -> str:
    """Where a form sends the person back: its ``next`` (posted, or in the query) when
    that is a page of this site, else ``default``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()},
                                                  request.is_secure()):
        return target
    return default


def filtered_page(request: HttpRequest, view: Any, filterset) -> tuple[list, Any, Any]:
    """One cursor page of ``filterset``'s results, sorted as ``view`` allows (its
    ``ordering_fields``): the rows, the paginator (for its links) and, for bad
    parameters, the error detail (the page answers 400 with it; no rows then)."""
    drf_request = Request(request)
    paginator = RecordCursorPagination()
    try:
        if filterset.is_bound and not filterset.is_valid():
            raise DRFValidationError({k: list(v) for k, v in filterset.errors.items()})
        queryset = StrictOrderingFilter().filter_queryset(drf_request, filterset.qs, view)
        return paginator.paginate_queryset(queryset, drf_request, view=view), paginator, None
    except DRFValidationError as exc:
        return [], paginator, exc.detail


def add_errors(form, error: ValidationError) -> None:
    """Put a service-layer ValidationError onto a form, field by field."""
    if hasattr(error, "error_dict"):
        for field, messages_ in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages_)
    else:
        form.add_error(None, error.messages)


class RecordViewMixin(SignedInMixin):
    """Set ``model`` and (for lists) ``filterset_class``.

    URL names follow one convention, from the model's ``url_prefix``: ``<prefix>-list``,
    ``-create``, ``-export``, ``-detail``, ``-edit``, ``-delete``, ``-transition``,
    ``-comment``, ``-attach``.
    """

    model: type[Record]
    form_class: type[RecordForm] = RecordForm

    @property
    def url_prefix(self) -> str:
        return self.model.url_prefix

    def get_queryset(self):
        return self.model.objects.visible_to(self.request.user).select_related(
            "organization", "requester", "assignee", "assignee_team", "owner"
        )

    def may_create(self) -> bool:
        user = self.request.user
        return perms.can_add_record(user) and (
            self.model.customers_may_create or access.is_staff_writer(user))

    def get_record(self) -> Record:
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            model_name=self.model._meta.verbose_name,
            model_name_plural=self.model._meta.verbose_name_plural,
            url_prefix=self.url_prefix,
            list_url=reverse(f"{self.url_prefix}-list"),
            create_url=reverse(f"{self.url_prefix}-create"),
            export_url=reverse(f"{self.url_prefix}-export"),
            can_create=self.may_create(),
            is_staff=access.is_provider_staff(self.request.user),
        )
        return context


#: Parameters of a list's address that choose no records.
NOT_FILTERS = frozenset({"cursor", "ordering", "page_size", "file_format"})


class RecordListView(RecordViewMixin, TemplateView):
    """Filter, sort and page (cursor) through the records the user may see."""

    template_name = "core/record_list.html"
    filterset_class = None
    ordering_fields = ("created_at", "updated_at", "priority", "number", "status", "due_at")
    #: The cursor paginator takes its ordering from here (else it re-sorts by its default).
    filter_backends = (StrictOrderingFilter,)

    def filtered_queryset(self, drf_request: Request, filterset):
        """Filtered and sorted; raises DRF's ValidationError on bad parameters (400)."""
        if filterset.is_bound and not filterset.is_valid():
            raise DRFValidationError(filterset.errors)
        return StrictOrderingFilter().filter_queryset(drf_request, filterset.qs, self)

    def list_params(self):
        """The list's parameters: a staff member whose address chooses no records (only
        paging, sorting or nothing) gets the open work (``open=true``), as the queue
        tabs do; ``open=`` asks for every record."""
        params = self.request.GET
        if (access.is_provider_staff(self.request.user)
                and not set(params) - NOT_FILTERS):
            params = params.copy()
            params["open"] = "true"
        return params

    def get_filterset(self):
        return self.filterset_class(self.list_params() or None, queryset=self.get_queryset(),
                                    request=self.request)

    def list_actions(self) -> dict[str, Any]:
        """Context a record type adds to its list page (e.g. an import link)."""
        return {}

    def bulk_actions(self) -> dict[str, Any] | None:
        """What the list's bulk bar offers the reader (staff who may write): assign to
        one of the eligible people (picked by name over the API, not listed here), the
        transitions that need no value, a comment."""
        user = self.request.user
        if not access.is_staff_writer(user):
            return None
        try:
            url = reverse(f"{self.url_prefix}-bulk")
        except NoReverseMatch:
            return None
        transitions = [(f"transition:{t.name}", t.label)
                       for t in self.model.workflow.transitions
                       if not t.required and t.name != "assign"]
        return {"url": url, "transitions": transitions, "max": bulk.MAX_RECORDS}

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        filterset = self.get_filterset()
        page, paginator, error = filtered_page(request, self, filterset)
        context = self.get_context_data(
            filterset=filterset, records=page, error=error,
            next_link=paginator.get_next_link() if page else None,
            previous_link=paginator.get_previous_link() if page else None,
            ordering=request.GET.get("ordering", ""),
            # Record types with work queues (tickets) offer them as tabs.
            queues=getattr(filterset.filters.get("queue"), "extra", {}).get("choices"),
            organization_choices=access.organization_choices(request.user),
            query_string=request.GET.urlencode(),
            bulk=self.bulk_actions(),
            columns=getattr(record_type_of(self.model), "columns", ()),
            saved_views=saved_views.views_of(request.user, self.model._meta.model_name),
            record_type_key=self.model._meta.model_name,
            **self.list_actions(),
        )
        return self.render_to_response(context, status=400 if error else 200)


@dataclass(frozen=True)
class Panel:
    """A part of a record's detail page a record type adds: ``template`` is included in
    the ``slot`` ("main": below the description, "side": in the right column) with
    ``context`` added to the page's."""

    template: str
    context: dict[str, Any] = field(default_factory=dict)
    slot: str = "main"


class RecordDetailView(RecordViewMixin, TemplateView):
    """A record with its timeline, comments, attachments and available actions.

    A record type's mixin adds its own parts of the page by overriding ``panels``
    (calling ``super()``: mixins combine), never by testing which view it is in.
    """

    template_name = "core/record_detail.html"
    detail_fields: tuple[str, ...] = ()

    def panels(self, record: Record, page: dict[str, Any]) -> list[Panel]:
        """The panels of ``record``'s page; ``page`` holds what the view was given (e.g.
        a form with errors to show again). The base gives those other apps register
        (``core.registry.register_record_panel``)."""
        return record_panels_for(record, self.request.user)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        record = kwargs.get("record") or self.get_record()
        user = self.request.user
        staff = access.is_provider_staff(user)
        events = record.timeline.select_related("actor")
        comments = record.comments.select_related("author")
        attachments = record.attachments.select_related("uploaded_by")
        if not staff:
            events, comments = events.filter(internal=False), comments.filter(internal=False)
            attachments = attachments.filter(internal=False)
        comments_by_id = {c.pk: c for c in comments}
        forms = kwargs.get("transition_forms", {})
        context.update(
            record=record,
            events=[(e, comments_by_id.get(e.data.get("comment_id"))) for e in events],
            attachments=attachments,
            extra_fields=[(record._meta.get_field(f).verbose_name,
                           getattr(record, f"get_{f}_display", lambda f=f: getattr(record, f))())
                          for f in self.detail_fields
                          if staff or f not in record.internal_fields],
            transition_forms=[
                forms.get(t.name) or TransitionForm(record=record, transition=t, user=user)
                for t in record.workflow.available(record, user)
            ],
            comment_form=kwargs.get("comment_form") or CommentForm(),
            attachment_form=kwargs.get("attachment_form") or AttachmentForm(),
            can_edit=perms.can_change_record(user, record),
            can_delete=perms.can_delete_record(user, record),
            can_comment=perms.can_comment_record(user, record),
            can_write_internal=perms.can_write_internal(user, record),
            record_actions=record_actions_for(record, user),
        )
        slots: dict[str, list[str]] = {"main": [], "side": []}
        for panel in self.panels(record, kwargs):
            context.update(panel.context)
            slots[panel.slot].append(panel.template)
        context.update(main_panels=slots["main"], side_panels=slots["side"])
        return context


class RecordFormView(RecordViewMixin, TemplateView):
    """Create (no pk) or edit (pk) a record through the service layer."""

    template_name = "core/record_form.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if kwargs.get("record") is None:  # what other apps add to a new record's form
            context.update(form_panels=form_panels_for(self.model, self.request.user),
                           form_model=self.model._meta.label_lower)
        return context

    def get_form(self, record: Record | None):
        post = self.request.method == "POST"
        data, files = (self.request.POST, self.request.FILES) if post else (None, None)
        initial = {}
        if record is None and access.is_staff_writer(self.request.user):
            initial["requester"] = None
        form = self.form_class(data, files, instance=record, user=self.request.user,
                               initial=initial)
        if record is None:  # a new record comes with its files (GEN-8)
            form.fields["attachments"] = attachments_field()
        return form

    def get_record_or_none(self) -> Record | None:
        if "pk" not in self.kwargs:
            if not self.may_create():
                raise PermissionDenied(_("You may not create records."))
            return None
        record = self.get_record()
        if not perms.can_change_record(self.request.user, record):
            raise PermissionDenied(_("You may not edit this record."))
        return record

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        record = self.get_record_or_none()
        return self.render_to_response(self.get_context_data(form=self.get_form(record),
                                                             record=record))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        record = self.get_record_or_none()
        try:
            check_request_size(request)
        except UploadTooLarge as exc:
            form = self.get_form(record)
            form.add_error(None, exc.message)
            return self.render_to_response(self.get_context_data(form=form, record=record),
                                           status=413)
        form = self.get_form(record)
        status = 400
        if form.is_valid():
            try:
                with transaction.atomic():  # a new record and its files, or neither
                    saved = self.save(form, record)
                    for upload in self.request.FILES.getlist("attachments") if (
                            record is None) else ():
                        services.add_attachment(saved, actor=self.request.user,
                                                upload=upload)
            except ValidationError as exc:
                add_errors(form, exc)
            except UploadTooLarge as exc:  # one of the files: nothing was kept
                form.add_error("attachments", exc.message)
                status = 413
            except WorkflowError as exc:  # e.g. a version conflict: 409
                form.add_error(None, exc.message)
                status = exc.status_code
            else:
                messages.success(request, _("%(number)s saved.") % {"number": saved.number})
                return redirect(saved.get_absolute_url())
        return self.render_to_response(self.get_context_data(form=form, record=record),
                                       status=status)

    #: The service that changes a record: ``(record, *, actor, changes, expected_version)``
    #: (a register with its own rules names its own).
    update_with = staticmethod(services.update_record)

    def save(self, form, record: Record | None) -> Record:
        data = form.service_data()
        if record is None:
            if "organization" not in data:
                data["organization"] = access.organization_of(self.request.user)
            return services.create_record(self.model, actor=self.request.user, data=data)
        version = self.request.POST.get("version")
        return self.update_with(
            record, actor=self.request.user, changes=data,
            expected_version=int(version) if version and version.isdigit() else None,
        )


class RecordActionView(RecordDetailView):
    """POST-only actions on a record; errors re-render the detail page with the message."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        record = self.get_record()
        try:
            extra = self.act(record)
        except WorkflowError as exc:
            messages.error(request, exc.message)
            status, extra = exc.status_code, {}
        except PermissionDenied as exc:
            messages.error(request, str(exc))
            status, extra = 403, {}
        except UploadTooLarge as exc:
            messages.error(request, exc.message)
            status, extra = 413, {}
        else:
            if extra is None:
                return HttpResponseRedirect(record.get_absolute_url())
            status = 400
        record = self.get_record()
        return self.render_to_response(self.get_context_data(record=record, **extra),
                                       status=status)

    def act(self, record: Record) -> dict | None:
        """Do the action; return None on success or context with bound forms on error."""
        raise NotImplementedError


class RecordTransitionView(RecordActionView):
    def act(self, record: Record) -> dict | None:
        transition = record.workflow.get(self.kwargs["name"])
        if transition is None:
            raise Http404
        form = TransitionForm(self.request.POST, record=record, transition=transition,
                              user=self.request.user)
        if form.is_valid():
            try:
                services.transition_record(
                    record, transition.name, actor=self.request.user, values=form.values(),
                    comment=form.cleaned_data["comment"],
                )
                messages.success(self.request, _("%(number)s: %(action)s done.")
                                 % {"number": record.number, "action": transition.label})
                return None
            except ValidationError as exc:
                add_errors(form, exc)
        messages.error(self.request, _("“%(action)s” needs more information.")
                       % {"action": transition.label})
        return {"transition_forms": {transition.name: form}}


class RecordCommentView(RecordActionView):
    def act(self, record: Record) -> dict | None:
        form = CommentForm(self.request.POST)
        if form.is_valid():
            try:
                services.add_comment(record, actor=self.request.user,
                                     body=form.cleaned_data["body"],
                                     internal=form.cleaned_data["internal"])
                return None
            except ValidationError as exc:
                add_errors(form, exc)
        return {"comment_form": form}


class RecordAttachmentView(RecordActionView):
    def act(self, record: Record) -> dict | None:
        check_request_size(self.request)
        form = AttachmentForm(self.request.POST, self.request.FILES)
        if form.is_valid():
            services.add_attachment(record, actor=self.request.user,
                                    upload=form.cleaned_data["file"],
                                    internal=form.cleaned_data["internal"])
            return None
        return {"attachment_form": form}


class RecordDeleteView(RecordViewMixin, TemplateView):
    """Confirm (GET) and delete (POST) a record: administrators only, and never inside
    the record type's retention period (GEN-7; the page says until when, 409).

    Customers never delete (404, like any route they have no business with); other
    provider staff get a 403. Deleting goes through ``services.delete_record`` (audited).
    """

    template_name = "core/record_confirm_delete.html"

    def get_deletable(self) -> Record:
        record = self.get_record()
        user = self.request.user
        if not access.is_provider_staff(user):
            raise Http404
        if not perms.can_delete_record(user, record):
            raise PermissionDenied(_("Only administrators may delete records."))
        return record

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        record = context["record"]
        if "error" not in context:
            try:
                check_deletable(record)
            except RetentionError as exc:
                context["error"] = exc.message
        return context

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.render_to_response(self.get_context_data(record=self.get_deletable()))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        record = self.get_deletable()
        number = record.number
        try:
            services.delete_record(record, actor=request.user)
        except WorkflowError as exc:  # RetentionError: inside the retention period, 409
            record = self.get_record()
            return self.render_to_response(
                self.get_context_data(record=record, error=exc.message),
                status=exc.status_code)
        messages.success(request, _("%(number)s deleted.") % {"number": number})
        return redirect(f"{self.url_prefix}-list")


def delete_view_for(view: type[RecordViewMixin]) -> type[RecordDeleteView]:
    """The delete view of the record type another of its generic views serves."""
    name = f"{view.model.__name__}DeleteView"
    return type(name, (RecordDeleteView,), {"model": view.model})


class RecordExportView(RecordListView):
    """The filtered list as XLSX or CSV."""

    export_resource = None

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            queryset = self.filtered_queryset(Request(request), self.get_filterset())
            return exports.export_response(self.export_resource, queryset,
                                           request.GET.get("file_format", "xlsx"),
                                           actor=request.user)
        except DRFValidationError as exc:
            return HttpResponse(str(exc.detail), status=400, content_type="text/plain")


class RecordBulkView(RecordViewMixin, TemplateView):
    """POST ``…/bulk/`` from a list: assign, move along the workflow or comment on the
    records ticked (``ids``), each through the service layer as alone
    (``core.bulk``); the page lists what became of each one. Provider staff who may
    write only (customers 404, the auditor 403)."""

    template_name = "core/record_bulk.html"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not access.is_provider_staff(user):
            raise Http404
        if not access.is_staff_writer(user):
            raise PermissionDenied(_("Your role is read-only."))
        try:
            ids = [int(v) for v in request.POST.getlist("ids")]
            operation = self.operation(request.POST)
            results = bulk.apply_each(self.get_queryset(), ids, operation)
        except (ValueError, ValidationError) as exc:
            messages_ = (exc.messages if isinstance(exc, ValidationError)
                         else [_("Choose records from the list.")])
            return self.render_to_response(self.get_context_data(errors=messages_),
                                           status=400)
        done = sum(1 for r in results if r.ok)
        return self.render_to_response(self.get_context_data(
            results=results, done=done, failed=len(results) - done))

    def operation(self, data):
        """The function applied to each record, from the form (a field error else)."""
        user = self.request.user
        action = data.get("operation", "")
        comment = (data.get("comment") or "").strip()
        if action == "assign":
            chosen = data.get("assignee") or ""
            assignee = (pickers.assignees(user).filter(pk=int(chosen)).first()
                        if chosen.isdigit() else None)
            if assignee is None:
                raise ValidationError({"assignee": _("Choose whom to assign them to.")})
            assign = self.model.workflow.get("assign")

            def run(record: Record) -> None:
                if assign is not None and record.status in assign.sources:
                    services.transition_record(record, "assign", actor=user,
                                               values={"assignee": assignee})
                else:
                    services.update_record(record, actor=user,
                                           changes={"assignee": assignee})
            return run
        if action == "comment":
            if not comment:
                raise ValidationError({"comment": _("Write the comment.")})
            internal = data.get("internal") == "on"
            return lambda record: services.add_comment(record, actor=user, body=comment,
                                                       internal=internal)
        name = action.removeprefix("transition:")
        if action.startswith("transition:") and self.model.workflow.get(name) is not None:
            return lambda record: services.transition_record(record, name, actor=user,
                                                             comment=comment)
        raise ValidationError({"operation": _("Choose what to do.")})


#: The generic views of a record type, by the name ``record_urls`` routes them under.
RECORD_VIEWS: dict[str, type] = {
    "list": RecordListView, "detail": RecordDetailView, "form": RecordFormView,
    "transition": RecordTransitionView, "comment": RecordCommentView,
    "attach": RecordAttachmentView, "export": RecordExportView, "bulk": RecordBulkView,
}


def views_for(mixin: type, extra: dict[str, type] | None = None) -> dict[str, type]:
    """The generic record views (and ``extra`` ones) bound to one record type: its
    mixin sets ``model``, ``form_class``, ``filterset_class`` …"""
    generic = {**RECORD_VIEWS, **(extra or {})}
    return {name: type(f"{mixin.__name__.removesuffix('Mixin')}{cls.__name__}", (mixin, cls),
                       {})
            for name, cls in generic.items()}


def record_urls(segment: str, views: dict[str, type]) -> list:
    """The conventional URLs of one record type under ``segment/``, named after the
    last part of its model's ``url_prefix`` (``<name>-list``, ``-create``, …).

    ``views["delete"]`` is optional: the generic delete view is bound to the type of
    ``views["detail"]`` otherwise.
    """
    name = views["list"].model.url_prefix.rpartition(":")[2]
    delete = views.get("delete") or delete_view_for(views["detail"])
    return [
        path(f"{segment}/", views["list"].as_view(), name=f"{name}-list"),
        path(f"{segment}/new/", views["form"].as_view(), name=f"{name}-create"),
        path(f"{segment}/export/", views["export"].as_view(), name=f"{name}-export"),
        *([path(f"{segment}/bulk/", views["bulk"].as_view(), name=f"{name}-bulk")]
          if "bulk" in views else []),
        path(f"{segment}/<int:pk>/", views["detail"].as_view(), name=f"{name}-detail"),
        path(f"{segment}/<int:pk>/edit/", views["form"].as_view(), name=f"{name}-edit"),
        path(f"{segment}/<int:pk>/delete/", delete.as_view(), name=f"{name}-delete"),
        path(f"{segment}/<int:pk>/transition/<slug:name>/", views["transition"].as_view(),
             name=f"{name}-transition"),
        path(f"{segment}/<int:pk>/comment/", views["comment"].as_view(), name=f"{name}-comment"),
        path(f"{segment}/<int:pk>/attach/", views["attach"].as_view(), name=f"{name}-attach"),
    ]


class AttachmentDownloadView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        attachment = Attachment.objects.filter(pk=pk).first()
        if attachment is None or not exports.attachment_visible(attachment, request.user):
            raise Http404
        return attachment_response(attachment, request.user)


class LanguageView(View):
    """Switch the UI language: saved on the profile, and in a cookie for the login page."""

    def post(self, request: HttpRequest) -> HttpResponse:
        form = LanguageForm(request.POST)
        response = HttpResponseRedirect(next_page(request))
        if form.is_valid():
            language = form.cleaned_data["language"]
            if request.user.is_authenticated:
                directory.set_language(request.user, language)
            response.set_cookie("django_language", language, max_age=365 * 86400,
                                samesite="Lax", httponly=True)
        return response


class GlobalSearchView(LoginRequiredMixin, TemplateView):
    """``/search/?q=``: the latest matches of every record type the reader may search,
    with the count of each and a link to its list (``core.global_search``). No query
    shows the form alone; one that is too long is a field error (400)."""

    template_name = "core/search.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = SearchForm(request.GET)
        query = form.cleaned_data["q"] if form.is_valid() else ""
        sections = global_search.search_records(request.user, query)
        context = self.get_context_data(form=form, query=query,
                                        sections=[s for s in sections if s.count])
        return self.render_to_response(context, status=200 if form.is_valid() else 400)


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: the database being down or restarting is a 503 the client may
    retry (whether it failed in a view or in a middleware such as the session's);
    anything else is the plain 500 page. Django has already logged the traceback."""
    if isinstance(sys.exc_info()[1], DATABASE_UNAVAILABLE):
        return service_unavailable(request)
    return defaults.server_error(request)
