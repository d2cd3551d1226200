from django.urls import path

from itsm.core.views import record_urls

from . import views

app_name = "surveys"

urlpatterns = [
    path("surveys/answer/<str:token>/", views.AnswerView.as_view(), name="answer"),
    path("surveys/campaigns/", views.CampaignListView.as_view(), name="campaign-list"),
    path("surveys/campaigns/<int:pk>/answer/", views.PortalAnswerView.as_view(),
         name="campaign-answer"),
    path("surveys/campaigns/<int:pk>/results/", views.ResultsView.as_view(),
         name="campaign-results"),
    path("surveys/campaigns/<int:pk>/results/export/", views.ResultsExportView.as_view(),
         name="campaign-export"),
    *record_urls("feedback", views.FEEDBACK_VIEWS),
]
