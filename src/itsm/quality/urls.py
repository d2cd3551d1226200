from django.urls import path

from itsm.core.object_views import object_urls

from . import views

app_name = "quality"

urlpatterns = [
    path("reports/service-level/", views.ServiceLevelReportView.as_view(),
         name="service-level"),
    path("reports/service-level/export.xlsx", views.ServiceLevelExportView.as_view(),
         name="service-level-export"),
    path("quality/", views.DashboardView.as_view(), name="dashboard"),
    path("quality/dashboard/<int:pk>/", views.DashboardView.as_view(), name="dashboard-target"),
    path("quality/indicators/", views.IndicatorListView.as_view(), name="indicators"),
    path("quality/indicators/<slug:key>/", views.IndicatorDetailView.as_view(),
         name="indicator"),
    *object_urls("quality/targets", "target", views.TARGET_VIEWS),
]
