from django.urls import path

from itsm.core.object_views import object_urls
from itsm.core.views import record_urls

from .views import actions, calendar, meetings
from .views.master import BOARD_VIEWS, FREEZE_VIEWS, TEMPLATE_VIEWS
from .views.records import CHANGE_VIEWS

app_name = "changes"


urlpatterns = [
    path("changes/calendar/", calendar.CalendarView.as_view(), name="calendar"),
    # CAB meetings
    path("changes/meetings/", meetings.MeetingListView.as_view(), name="meeting-list"),
    path("changes/meetings/new/", meetings.MeetingCreateView.as_view(), name="meeting-create"),
    path("changes/meetings/<int:pk>/", meetings.MeetingDetailView.as_view(),
         name="meeting-detail"),
    path("changes/meetings/<int:pk>/edit/", meetings.MeetingEditView.as_view(),
         name="meeting-edit"),
    path("changes/meetings/<int:pk>/items/", meetings.AgendaItemAddView.as_view(),
         name="meeting-item-add"),
    path("changes/meetings/<int:pk>/items/<int:item_id>/decision/",
         meetings.DecisionView.as_view(), name="meeting-decision"),
    # Master data
    *object_urls("changes/boards", "board", BOARD_VIEWS),
    *object_urls("changes/templates", "template", TEMPLATE_VIEWS),
    *object_urls("changes/freezes", "freeze", FREEZE_VIEWS),
    # The change's panels
    path("changes/<int:pk>/approvals/<int:approval_id>/vote/", actions.VoteView.as_view(),
         name="change-vote"),
    path("changes/<int:pk>/approvals/<int:approval_id>/close/",
         actions.CloseVotingView.as_view(), name="change-close-voting"),
    path("changes/<int:pk>/items/", actions.LinkItemView.as_view(), name="change-item-link"),
    path("changes/<int:pk>/items/<int:ci_id>/delete/", actions.UnlinkItemView.as_view(),
         name="change-item-unlink"),
    path("changes/<int:pk>/tasks/", actions.TaskAddView.as_view(), name="change-task-add"),
    path("changes/<int:pk>/tasks/<int:task_id>/", actions.TaskUpdateView.as_view(),
         name="change-task-update"),
    path("changes/<int:pk>/plans/", actions.PlanUseView.as_view(), name="change-plan-use"),
    *record_urls("changes", CHANGE_VIEWS),
]
