"""Web UI for changes, the master data: change boards, standard change templates and
freeze windows (list, form, delete; ``BOARD_VIEWS``, ``TEMPLATE_VIEWS``, ``FREEZE_VIEWS``);
change managers and administrators write, other staff read."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy

from itsm.core.object_views import ObjectDetailView, ObjectViewMixin, object_views

from .. import forms, models, services
from .staff import StaffOnlyMixin


class MasterMixin(StaffOnlyMixin, ObjectViewMixin):
    """The pages of one kind of master data (``core.object_views``): provider staff
    read them, change managers and administrators write."""

    nav_template = "changes/_nav.html"

    def may_write(self) -> bool:
        return services.is_manager(self.request.user)

    def require_writer(self) -> None:
        services.require_manager(self.request.user)

    def delete_object(self, instance) -> None:
        services.delete_master(instance, actor=self.request.user)


class BoardMixin(MasterMixin):
    model = models.ChangeBoard
    form_class = forms.BoardForm
    url_prefix = "changes:board"
    list_template = "changes/board_list.html"
    detail_template = "changes/board_detail.html"
    context_object_name = "board"
    title = gettext_lazy("Change boards")
    new_title = gettext_lazy("New change board")
    select_related = ("chair",)
    prefetch_related = ("members",)

    save_with = staticmethod(services.save_board)


class TemplateMixin(MasterMixin):
    model = models.ChangeTemplate
    form_class = forms.TemplateForm
    url_prefix = "changes:template"
    list_template = "changes/template_list.html"
    title = gettext_lazy("Standard change templates")
    new_title = gettext_lazy("New standard change template")

    save_with = staticmethod(services.save_template)


class FreezeMixin(MasterMixin):
    model = models.FreezeWindow
    form_class = forms.FreezeForm
    url_prefix = "changes:freeze"
    list_template = "changes/freeze_list.html"
    title = gettext_lazy("Change freeze windows")
    new_title = gettext_lazy("New change freeze window")
    prefetch_related = ("services",)

    save_with = staticmethod(services.save_freeze)


class BoardDetailView(BoardMixin, ObjectDetailView):
    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        board, user = context["board"], self.request.user
        context.update(
            members=board.members.order_by("username"),
            emergency_approvers=board.emergency_approvers.order_by("username"),
            waiting=services.agenda_candidates(board).filter(
                pk__in=models.Change.objects.visible_to(user).values("pk")),
            meetings=models.CabMeeting.objects.visible_to(user).filter(board=board)[:20],
        )
        return context


MASTER_VIEWS = ("list", "form", "delete")
BOARD_VIEWS = object_views(BoardMixin, only=MASTER_VIEWS, extra={"detail": BoardDetailView})
TEMPLATE_VIEWS = object_views(TemplateMixin, only=MASTER_VIEWS)
FREEZE_VIEWS = object_views(FreezeMixin, only=MASTER_VIEWS)
