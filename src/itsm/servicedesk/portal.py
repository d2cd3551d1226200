"""The self-service portal's catalogue (SLM-1): the services a person's organization uses
as tiles, their request types, and the form of one request type with its own fields and
attachments; and, on a request's page, its type's fields, approvals and tasks."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from itsm.catalog.choices import FieldKind
from itsm.catalog.models import RequestType, RequestTypeField, Service
from itsm.core import access, services
from itsm.core import rules as perms
from itsm.core import views as base
from itsm.core.exceptions import UploadTooLarge
from itsm.core.forms import attachments_field
from itsm.core.limits import DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH
from itsm.core.models import display_name
from itsm.core.registry import form_panels_for
from itsm.core.uploads import check_request_size

from . import fulfilment
from .choices import Channel, TaskStatus
from .models import FulfilmentTask, RequestApproval, ServiceRequest

User = get_user_model()
#: The longest search of the catalogue (characters).
MAX_QUERY = 100


def may_raise(user) -> bool:
    """Whether ``user`` may raise requests here (customers, and staff who write)."""
    return perms.can_add_record(user) and (access.is_customer(user)
                                            or access.is_staff_writer(user))


def catalogue_of(user, query: str = "") -> list[Service]:
    """The active services ``user``'s organization uses, each with ``types``: its active
    request types ``user`` may ask for (matching ``query`` in a name or description)."""
    types = RequestType.objects.visible_to(user).filter(is_active=True).order_by(
        "order", "name")
    services_ = Service.objects.visible_to(user).filter(is_active=True)
    if not access.is_provider_staff(user):
        services_ = services_.filter(customers=access.organization_of(user))
    query = query.strip()[:MAX_QUERY]
    if query:
        types = types.filter(Q(name__icontains=query) | Q(description__icontains=query)
                             | Q(service__name__icontains=query))
    services_ = services_.prefetch_related(Prefetch("request_types", queryset=types,
                                                    to_attr="types")).order_by("name")
    return [s for s in services_ if s.types or (not query and s.description)]


class CatalogueView(base.SignedInMixin, TemplateView):
    """The catalogue: one tile per service, its request types inside."""

    template_name = "servicedesk/portal_catalogue.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        query = self.request.GET.get("q", "")[:MAX_QUERY]
        context.update(services=catalogue_of(self.request.user, query), query=query,
                       may_raise=may_raise(self.request.user))
        return context


# --- The form of one request type -----------------------------------------------------


def field_name(field: RequestTypeField) -> str:
    return f"cf_{field.key}"


def form_field(field: RequestTypeField, user) -> forms.Field:
    """The form field that asks for one of the type's fields."""
    common = {"label": field.label, "required": field.required, "help_text": field.help_text}
    kind = field.kind
    if kind == FieldKind.TEXT:
        return forms.CharField(max_length=fulfilment.MAX_TEXT, **common)
    if kind == FieldKind.TEXTAREA:
        return forms.CharField(max_length=fulfilment.MAX_TEXTAREA,
                               widget=forms.Textarea(attrs={"rows": 3}), **common)
    if kind == FieldKind.NUMBER:
        return forms.DecimalField(max_digits=15, decimal_places=3, **common)
    if kind == FieldKind.CHOICE:
        return forms.ChoiceField(choices=[("", "---------"), *((c, c) for c in field.choices)],
                                 **common)
    if kind == FieldKind.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if kind == FieldKind.PERSON:
        org = access.organization_of(user)
        people = User.objects.filter(is_active=True, profile__organization=org).order_by(
            "last_name", "first_name", "username") if org else User.objects.none()
        choice = forms.ModelChoiceField(queryset=people, **common)
        choice.label_from_instance = display_name
        return choice
    if kind == FieldKind.CI:
        from itsm.cmdb.models import ConfigurationItem

        return forms.ModelChoiceField(
            queryset=ConfigurationItem.objects.visible_to(user).order_by("name"), **common)
    return forms.FileField(**common)


class RequestTypeForm(forms.Form):
    """Title, description, the type's own fields and attachments."""

    title = forms.CharField(label=gettext_lazy("Title"), max_length=TITLE_MAX_LENGTH)
    description = forms.CharField(label=gettext_lazy("Description"), required=False,
                                  max_length=DESCRIPTION_MAX_LENGTH,
                                  widget=forms.Textarea(attrs={"rows": 4}))
    attachments = attachments_field()

    def __init__(self, *args: Any, request_type: RequestType, user, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request_type = request_type
        self.type_fields = list(request_type.fields.all())
        attachments = self.fields.pop("attachments")
        for field in self.type_fields:
            self.fields[field_name(field)] = form_field(field, user)
        self.fields["attachments"] = attachments

    def custom_values(self) -> dict[str, Any]:
        """The values of the type's own fields (attachments apart), as the service takes
        them."""
        values: dict[str, Any] = {}
        for field in self.type_fields:
            value = self.cleaned_data.get(field_name(field))
            if field.kind == FieldKind.ATTACHMENT or value in (None, ""):
                continue
            values[field.key] = value.pk if hasattr(value, "pk") else value
        return values


class RequestTypeFormView(base.SignedInMixin, TemplateView):
    """Raise a request of one type: validated as a whole, created with its attachments
    in one transaction (a refused file keeps nothing, and the form keeps what was
    typed)."""

    template_name = "servicedesk/portal_request_form.html"

    def get_queryset(self):
        return RequestType.objects.visible_to(self.request.user).filter(
            is_active=True).select_related("service")

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            self.request_type = get_object_or_404(self.get_queryset(), pk=kwargs["pk"])
            if not may_raise(request.user):
                raise PermissionDenied(_("You may not raise requests."))
        return super().dispatch(request, *args, **kwargs)

    def get_form(self, data: Any = None, files: Any = None) -> RequestTypeForm:
        return RequestTypeForm(data, files, request_type=self.request_type,
                               user=self.request.user,
                               initial={"title": self.request_type.name})

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        steps = list(self.request_type.approval_steps.all())
        context.update(request_type=self.request_type, approval_steps=steps,
                       task_templates=list(self.request_type.task_templates.all()),
                       form=kwargs.get("form") or self.get_form(),
                       form_panels=form_panels_for(ServiceRequest, self.request.user),
                       form_model=ServiceRequest._meta.label_lower)
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            check_request_size(request)
        except UploadTooLarge as exc:
            form = self.get_form()
            form.add_error(None, exc.message)
            return self.render_to_response(self.get_context_data(form=form), status=413)
        form = self.get_form(request.POST, request.FILES)
        if form.is_valid():
            try:
                record = self.create(form)
            except (ValidationError, UploadTooLarge) as exc:
                self.add_errors(form, exc)
            else:
                messages.success(request, _("%(number)s raised. We will keep you informed.")
                                 % {"number": record.number})
                return redirect(record.get_absolute_url())
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def add_errors(self, form: RequestTypeForm, exc: Exception) -> None:
        if isinstance(exc, UploadTooLarge):
            form.add_error("attachments", exc.message)
            return
        custom = exc.message_dict.pop("custom_fields", []) if hasattr(exc, "error_dict") else []
        keys = {f.key: field_name(f) for f in form.type_fields}
        for message in custom:
            key, _sep, text = message.partition(": ")
            form.add_error(keys.get(key), text if key in keys else message)
        if hasattr(exc, "error_dict"):
            for name, errors in exc.message_dict.items():
                if name == "custom_fields":
                    continue
                form.add_error(name if name in form.fields else None, errors)
        elif not custom:
            form.add_error(None, exc.messages)

    @transaction.atomic
    def create(self, form: RequestTypeForm) -> ServiceRequest:
        user = self.request.user
        files = {f.key: [form.cleaned_data[field_name(f)]] for f in form.type_fields
                 if f.kind == FieldKind.ATTACHMENT and form.cleaned_data.get(field_name(f))}
        record = services.create_record(ServiceRequest, actor=user, data={
            "organization": access.organization_of(user), "title": form.cleaned_data["title"],
            "description": form.cleaned_data["description"], "channel": Channel.PORTAL,
            "request_type": self.request_type, "service": self.request_type.service,
            "custom_fields": form.custom_values()})
        stored: dict[str, list[dict[str, Any]]] = {}
        for key, uploads in files.items():
            for upload in uploads:
                attachment = services.add_attachment(record, actor=user, upload=upload)
                stored.setdefault(key, []).append({"id": attachment.pk,
                                                   "name": attachment.original_name})
        for upload in self.request.FILES.getlist("attachments"):
            services.add_attachment(record, actor=user, upload=upload)
        if stored:
            record.custom_fields = {**record.custom_fields, **stored}
            ServiceRequest.objects.filter(pk=record.pk).update(
                custom_fields=record.custom_fields)
        return record


# --- A request's page: its type, approvals and tasks ---------------------------------------


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", gettext_lazy("Approve")),
                                          ("reject", gettext_lazy("Reject"))])
    comment = forms.CharField(label=gettext_lazy("Comment"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 2}))


class TaskDoneForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=2000)


def request_type_panel(record: ServiceRequest, user) -> base.Panel | None:
    """The type's fields, the approvals (with the form for the person deciding now) and
    the fulfilment tasks (with "done" for their team)."""
    if not record.request_type_id:
        return None
    approvals = list(record.approvals.prefetch_related("approvers").select_related(
        "decided_by"))
    current = next((a for a in approvals if a.decision == "pending"), None)
    tasks = list(record.tasks.select_related("team", "done_by"))
    return base.Panel("servicedesk/_request_type.html", {
        "type_fields": fulfilment.field_rows(record),
        "approvals": approvals,
        "deciding": current if current is not None and fulfilment.may_decide(user, current)
        else None,
        "decision_form": DecisionForm(),
        "tasks": [(t, t.may_complete(user) and record.status != "pending_approval")
                  for t in tasks],
        "tasks_open": sum(t.status == TaskStatus.OPEN for t in tasks)})


def refused(request: HttpRequest, exc: ValidationError) -> dict[str, Any]:
    """An action refused for a reason the person can fix: the page again (400) with it."""
    for message in exc.messages:
        messages.error(request, message)
    return {}


class ApprovalDecisionView(base.RecordActionView):
    """POST an approver's decision on the request's current approval step."""

    def act(self, record) -> dict | None:
        approval = get_object_or_404(RequestApproval, pk=self.kwargs["approval_id"],
                                     request=record)
        form = DecisionForm(self.request.POST)
        if not form.is_valid():
            return refused(self.request, ValidationError(_("Choose approve or reject.")))
        try:
            fulfilment.decide(approval, actor=self.request.user,
                              approve=form.cleaned_data["decision"] == "approve",
                              comment=form.cleaned_data["comment"])
        except ValidationError as exc:
            return refused(self.request, exc)
        messages.success(self.request, _("Your decision on %(number)s was recorded.")
                         % {"number": record.number})
        return None


class TaskDoneView(base.RecordActionView):
    """POST: a fulfilment task of the request is done."""

    def act(self, record) -> dict | None:
        task = get_object_or_404(FulfilmentTask, pk=self.kwargs["task_id"], request=record)
        form = TaskDoneForm(self.request.POST)
        form.is_valid()
        try:
            fulfilment.complete_task(task, actor=self.request.user,
                                     note=form.cleaned_data.get("note", ""))
        except ValidationError as exc:
            return refused(self.request, exc)
        messages.success(self.request, _("“%(task)s” is done.") % {"task": task.title})
        return None


