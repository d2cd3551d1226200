from django.urls import path

from . import views

app_name = "quality"

urlpatterns = [
    path("reports/service-level/", views.ServiceLevelReportView.as_view(),
         name="service-level"),
    path("reports/service-level/export.xlsx", views.ServiceLevelExportView.as_view(),
         name="service-level-export"),
]
