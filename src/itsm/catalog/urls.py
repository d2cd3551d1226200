"""Web pages of the catalogue: the holiday banner's one-click seeding."""

from django.urls import path

from . import views

app_name = "catalog"

urlpatterns = [
    path("calendars/holidays/seed/", views.SeedHolidaysView.as_view(), name="seed-holidays"),
]
