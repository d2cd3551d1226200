from django.urls import path

from itsm.core.object_views import object_urls
from itsm.core.views import record_urls

from . import report_views
from .views import CAUSE_VIEWS, COMPLAINT_VIEWS, IMPROVEMENT_VIEWS, POLICY_VIEWS

app_name = "complaints"
urlpatterns = [
    path("complaints/report/", report_views.MonthlyReportView.as_view(), name="report"),
    path("complaints/assessment/", report_views.AssessmentView.as_view(), name="assessment"),
    *object_urls("complaints/causes", "cause", CAUSE_VIEWS),
    *object_urls("complaints/policies", "policy", POLICY_VIEWS),
    path("complaints/<int:pk>/take/", COMPLAINT_VIEWS["take"].as_view(), name="complaint-take"),
    *record_urls("complaints", COMPLAINT_VIEWS),
    *record_urls("improvement-actions", IMPROVEMENT_VIEWS),
]
