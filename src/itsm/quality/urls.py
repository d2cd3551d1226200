from django.urls import path

from itsm.core.object_views import object_urls
from itsm.core.views import record_urls

from . import views
from .improvement_views import PLAN_VIEWS, REVIEW_VIEWS, SUGGESTION_VIEWS

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
    # Improvement plans, their measures and effect check; suggestions; reviews (QA-2, 3)
    path("quality/plans/<int:pk>/measures/", PLAN_VIEWS["measure-add"].as_view(),
         name="plan-measure-add"),
    path("quality/plans/<int:pk>/measures/<int:measure_id>/",
         PLAN_VIEWS["measure-edit"].as_view(), name="plan-measure-edit"),
    path("quality/plans/<int:pk>/measures/<int:measure_id>/complete/",
         PLAN_VIEWS["measure-complete"].as_view(), name="plan-measure-complete"),
    path("quality/plans/<int:pk>/measures/<int:measure_id>/delete/",
         PLAN_VIEWS["measure-delete"].as_view(), name="plan-measure-delete"),
    path("quality/plans/<int:pk>/check-effect/", PLAN_VIEWS["check-effect"].as_view(),
         name="plan-check-effect"),
    *record_urls("quality/plans", PLAN_VIEWS),
    *record_urls("quality/suggestions", SUGGESTION_VIEWS),
    *record_urls("quality/reviews", REVIEW_VIEWS),
]
