from django.urls import path

from .views import ServiceLevelReportView

urlpatterns = [
    path("reports/service-level/", ServiceLevelReportView.as_view(),
         name="service-level-report"),
]
