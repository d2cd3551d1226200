"""Web UI of emergency plans and drills (SEC-3)."""

from django.urls import path

from itsm.core.object_views import object_urls

from . import views

app_name = "security"

urlpatterns = [
    *object_urls("security/plans", "plan", views.PLAN_VIEWS),
    path("security/plans/<int:pk>/uses/", views.PlanUseAddView.as_view(), name="plan-use-add"),
    *object_urls("security/drills", "drill", views.DRILL_VIEWS),
]
