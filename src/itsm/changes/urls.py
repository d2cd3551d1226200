from django.urls import path

from itsm.core.views import record_urls

from . import views
from .views import BOARD_VIEWS, CHANGE_VIEWS, FREEZE_VIEWS, TEMPLATE_VIEWS

app_name = "changes"


def master_urls(segment: str, kind: str, master: dict) -> list:
    return [
        path(f"changes/{segment}/", master["list"].as_view(), name=f"{kind}-list"),
        path(f"changes/{segment}/new/", master["form"].as_view(), name=f"{kind}-create"),
        path(f"changes/{segment}/<int:pk>/edit/", master["form"].as_view(),
             name=f"{kind}-edit"),
        path(f"changes/{segment}/<int:pk>/delete/", master["delete"].as_view(),
             name=f"{kind}-delete"),
    ]


urlpatterns = [
    path("changes/calendar/", views.CalendarView.as_view(), name="calendar"),
    # CAB meetings
    path("changes/meetings/", views.MeetingListView.as_view(), name="meeting-list"),
    path("changes/meetings/new/", views.MeetingCreateView.as_view(), name="meeting-create"),
    path("changes/meetings/<int:pk>/", views.MeetingDetailView.as_view(),
         name="meeting-detail"),
    path("changes/meetings/<int:pk>/edit/", views.MeetingEditView.as_view(),
         name="meeting-edit"),
    path("changes/meetings/<int:pk>/items/", views.AgendaItemAddView.as_view(),
         name="meeting-item-add"),
    path("changes/meetings/<int:pk>/items/<int:item_id>/decision/",
         views.DecisionView.as_view(), name="meeting-decision"),
    # Master data
    *master_urls("boards", "board", BOARD_VIEWS),
    path("changes/boards/<int:pk>/", BOARD_VIEWS["detail"].as_view(), name="board-detail"),
    *master_urls("templates", "template", TEMPLATE_VIEWS),
    *master_urls("freezes", "freeze", FREEZE_VIEWS),
    # The change's panels
    path("changes/<int:pk>/approvals/<int:approval_id>/vote/", views.VoteView.as_view(),
         name="change-vote"),
    path("changes/<int:pk>/approvals/<int:approval_id>/close/",
         views.CloseVotingView.as_view(), name="change-close-voting"),
    path("changes/<int:pk>/items/", views.LinkItemView.as_view(), name="change-item-link"),
    path("changes/<int:pk>/items/<int:ci_id>/delete/", views.UnlinkItemView.as_view(),
         name="change-item-unlink"),
    path("changes/<int:pk>/tasks/", views.TaskAddView.as_view(), name="change-task-add"),
    path("changes/<int:pk>/tasks/<int:task_id>/", views.TaskUpdateView.as_view(),
         name="change-task-update"),
    path("changes/<int:pk>/plans/", views.PlanUseView.as_view(), name="change-plan-use"),
    *record_urls("changes", "change", CHANGE_VIEWS),
]
