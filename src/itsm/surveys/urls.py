from django.urls import path

from itsm.core.object_views import object_urls
from itsm.core.views import record_urls

from . import views

app_name = "surveys"

urlpatterns = [
    path("surveys/answer/<str:token>/", views.AnswerView.as_view(), name="answer"),
    path("surveys/campaigns/", views.CampaignListView.as_view(), name="campaign-list"),
    *object_urls("surveys/campaigns", "campaign", views.CAMPAIGN_VIEWS),
    path("surveys/campaigns/<int:pk>/launch/", views.CampaignLaunchView.as_view(),
         name="campaign-launch"),
    path("surveys/campaigns/<int:pk>/close/", views.CampaignCloseView.as_view(),
         name="campaign-close"),
    path("surveys/campaigns/<int:pk>/staff-answer/", views.StaffAnswerView.as_view(),
         name="campaign-staff-answer"),
    path("surveys/campaigns/<int:pk>/answer/", views.PortalAnswerView.as_view(),
         name="campaign-answer"),
    path("surveys/campaigns/<int:pk>/results/", views.ResultsView.as_view(),
         name="campaign-results"),
    path("surveys/campaigns/<int:pk>/results/export/", views.ResultsExportView.as_view(),
         name="campaign-export"),
    *object_urls("surveys/questionnaires", "questionnaire", views.QUESTIONNAIRE_VIEWS),
    *record_urls("feedback", views.FEEDBACK_VIEWS),
]
