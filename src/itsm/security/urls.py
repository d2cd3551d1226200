"""Web UI of emergency plans and drills (SEC-3)."""

from django.urls import path

from . import views

app_name = "security"

urlpatterns = [
    path("security/plans/", views.PlanListView.as_view(), name="plan-list"),
    path("security/plans/new/", views.PlanFormView.as_view(), name="plan-create"),
    path("security/plans/<int:pk>/", views.PlanDetailView.as_view(), name="plan-detail"),
    path("security/plans/<int:pk>/edit/", views.PlanFormView.as_view(), name="plan-edit"),
    path("security/plans/<int:pk>/uses/", views.PlanUseAddView.as_view(), name="plan-use-add"),
    path("security/drills/", views.DrillListView.as_view(), name="drill-list"),
    path("security/drills/new/", views.DrillFormView.as_view(), name="drill-create"),
    path("security/drills/<int:pk>/", views.DrillDetailView.as_view(), name="drill-detail"),
    path("security/drills/<int:pk>/edit/", views.DrillFormView.as_view(), name="drill-edit"),
]
