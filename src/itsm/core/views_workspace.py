"""The workspace pages: the home page of each person (工作台), the inbox (我的待办), the
in-app notifications (消息通知, the bell) and the saved views of lists."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from . import saved_views, workspace
from .models import SavedView
from .registry import widgets_for
from .views import SignedInMixin, next_page
from .workspace import INBOX_ROWS, notification_url, own_notifications, unread_count

#: Notifications per page.
NOTIFICATIONS_PER_PAGE = 30


class HomeView(SignedInMixin, TemplateView):
    """``/``: the cards of the person's roles (``core.registry.register_widget``); a
    card whose context is None has nothing to say now and is left out."""

    template_name = "core/home.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        user = self.request.user
        cards = [(widget, context) for widget in widgets_for(user)
                 if (context := widget.context(user)) is not None]
        return super().get_context_data(cards=cards, **kwargs)


class InboxView(SignedInMixin, TemplateView):
    """``/inbox/``: everything waiting for the person, per kind of work."""

    template_name = "core/inbox.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        sections = workspace.inbox(self.request.user, INBOX_ROWS)
        return super().get_context_data(sections=sections, now=timezone.now(),
                                        total=sum(s.count for s in sections), **kwargs)


class NotificationListView(SignedInMixin, TemplateView):
    """``/notifications/``: the person's notifications, unread first marked."""

    template_name = "core/notifications.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        page = Paginator(own_notifications(self.request.user), NOTIFICATIONS_PER_PAGE
                         ).get_page(self.request.GET.get("page"))
        rows = [(n, notification_url(n)) for n in page.object_list]
        return super().get_context_data(page=page, rows=rows,
                                        unread=unread_count(self.request.user), **kwargs)


class NotificationReadView(LoginRequiredMixin, View):
    """POST ``/notifications/<pk>/read/``: mark one read and go to its record (or back
    to the list); ``/notifications/read/`` marks all of them read. Someone else's
    notification is a 404. One's own state, not data: read-only roles mark theirs too."""

    def post(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        mine = own_notifications(request.user).filter(read_at__isnull=True)
        if pk is None:
            mine.update(read_at=timezone.now())
            return redirect("notifications")
        notification = get_object_or_404(own_notifications(request.user), pk=pk)
        if notification.read_at is None:
            mine.filter(pk=pk).update(read_at=timezone.now())
        return redirect(next_page(request, notification_url(notification)
                                  or reverse("notifications")))


class SavedViewSaveView(LoginRequiredMixin, View):
    """POST ``/views/save/`` from a list: keep its filters and sort under a name (a
    field error comes back as a message on the list, nothing is lost: the list keeps
    its filters). One's own view of a list: read-only roles keep theirs too."""

    def post(self, request: HttpRequest) -> HttpResponse:
        back = next_page(request, "/")
        data = {"record_type": request.POST.get("record_type", ""),
                "name": (request.POST.get("name") or "").strip(),
                "query": request.POST.get("query", ""),
                "shared": request.POST.get("shared") == "on"}
        try:
            view = saved_views.save_view(None, actor=request.user, data=data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(back)
        messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
        return redirect(f"{back.split('?')[0]}?{view.query}")


class SavedViewDeleteView(LoginRequiredMixin, View):
    """POST ``/views/<pk>/delete/``: the owner deletes a view (someone else's is a 404
    or a 403 when shared with them)."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        view = get_object_or_404(SavedView.objects.visible_to(request.user), pk=pk)
        saved_views.delete_view(view, actor=request.user)
        messages.success(request, _("View “%(name)s” deleted.") % {"name": view.name})
        return redirect(next_page(request, "/"))
