from django.urls import path

from itsm.core.views import record_urls

from .views import PROBLEM_VIEWS, KnownErrorListView

app_name = "problems"

urlpatterns = [
    path("problems/known-errors/", KnownErrorListView.as_view(), name="known-errors"),
    *record_urls("problems", PROBLEM_VIEWS),
]
