"""Web UI for changes, the master data: change boards, standard change templates and
freeze windows (list, form, delete; ``BOARD_VIEWS``, ``TEMPLATE_VIEWS``, ``FREEZE_VIEWS``);
change managers and administrators write, other staff read."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from itsm.core.objects import InUseError
from itsm.core.views import add_errors

from .. import forms, models, services
from .staff import StaffOnlyMixin


class MasterMixin(StaffOnlyMixin):
    """List and forms of one kind of master data; change managers and administrators
    write, other staff read."""

    model: type
    form_class: type
    kind: str  # URL name prefix: board, template, freeze
    list_template: str
    title: Any
    new_title: Any

    def get_queryset(self) -> QuerySet:
        return self.model.objects.visible_to(self.request.user)

    def get_object(self):
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def save(self, instance, data: dict[str, Any]):
        raise NotImplementedError

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(kind=self.kind, title=self.title, new_title=self.new_title,
                       list_url=reverse(f"changes:{self.kind}-list"),
                       create_url=reverse(f"changes:{self.kind}-create"))
        return context


class MasterListView(MasterMixin, TemplateView):
    def get_template_names(self) -> list[str]:
        return [self.list_template]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["objects"] = self.get_queryset()
        return context


class MasterFormView(MasterMixin, TemplateView):
    template_name = "changes/master_form.html"

    def get_instance(self):
        instance = self.get_object() if "pk" in self.kwargs else None
        services.require_manager(self.request.user)
        return instance

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        instance = self.get_instance()
        form = self.form_class(instance=instance, user=request.user)
        return self.render_to_response(self.get_context_data(form=form, instance=instance))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        instance = self.get_instance()
        form = self.form_class(request.POST, instance=instance, user=request.user)
        if form.is_valid():
            data = {name: form.cleaned_data[name] for name in form.Meta.fields}
            try:
                saved = self.save(instance, data)
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _("“%(name)s” saved.") % {"name": saved})
                return redirect(self.success_url(saved))
        return self.render_to_response(self.get_context_data(form=form, instance=instance),
                                       status=400)

    def success_url(self, saved) -> str:
        return reverse(f"changes:{self.kind}-list")


class MasterDeleteView(MasterListView):
    """POST: delete one object; one in use is refused (400, the list says why)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        instance = self.get_object()
        services.require_manager(request.user)
        name = str(instance)
        try:
            services.delete_master(instance, actor=request.user)
        except InUseError as exc:
            messages.error(request, exc.message)
            return self.render_to_response(self.get_context_data(), status=exc.status_code)
        messages.success(request, _("“%(name)s” deleted.") % {"name": name})
        return redirect(f"changes:{self.kind}-list")


class BoardMixin(MasterMixin):
    model = models.ChangeBoard
    form_class = forms.BoardForm
    kind = "board"
    list_template = "changes/board_list.html"
    title = gettext_lazy("Change boards")
    new_title = gettext_lazy("New change board")

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().select_related("chair").prefetch_related("members")

    def save(self, instance, data: dict[str, Any]):
        return services.save_board(instance, actor=self.request.user, data=data)


class TemplateMixin(MasterMixin):
    model = models.ChangeTemplate
    form_class = forms.TemplateForm
    kind = "template"
    list_template = "changes/template_list.html"
    title = gettext_lazy("Standard change templates")
    new_title = gettext_lazy("New standard change template")

    def save(self, instance, data: dict[str, Any]):
        return services.save_template(instance, actor=self.request.user, data=data)


class FreezeMixin(MasterMixin):
    model = models.FreezeWindow
    form_class = forms.FreezeForm
    kind = "freeze"
    list_template = "changes/freeze_list.html"
    title = gettext_lazy("Change freeze windows")
    new_title = gettext_lazy("New change freeze window")

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().prefetch_related("services")

    def save(self, instance, data: dict[str, Any]):
        return services.save_freeze(instance, actor=self.request.user, data=data)


class BoardDetailView(BoardMixin, TemplateView):
    template_name = "changes/board_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        board = self.get_object()
        user = self.request.user
        context.update(
            board=board,
            members=board.members.order_by("username"),
            emergency_approvers=board.emergency_approvers.order_by("username"),
            waiting=services.agenda_candidates(board).filter(
                pk__in=models.Change.objects.visible_to(user).values("pk")),
            meetings=models.CabMeeting.objects.visible_to(user).filter(board=board)[:20],
        )
        return context


def master_views(mixin: type) -> dict[str, type]:
    return {name: type(f"{mixin.__name__[:-5]}{cls.__name__[6:]}", (mixin, cls), {})
            for name, cls in (("list", MasterListView), ("form", MasterFormView),
                              ("delete", MasterDeleteView))}


BOARD_VIEWS = {**master_views(BoardMixin), "detail": BoardDetailView}
TEMPLATE_VIEWS = master_views(TemplateMixin)
FREEZE_VIEWS = master_views(FreezeMixin)
