"""URLs of the directory pages (``views_directory``): organizations, departments, teams
and people under /directory/, and the actions on a person."""

from django.urls import path

from .object_views import object_urls
from .views_directory import (
    DEPARTMENT_VIEWS,
    ORGANIZATION_VIEWS,
    PERSON_ACTIONS,
    PERSON_VIEWS,
    TEAM_VIEWS,
)

urlpatterns = [
    *object_urls("directory/organizations", "organization", ORGANIZATION_VIEWS),
    *object_urls("directory/departments", "department", DEPARTMENT_VIEWS),
    *object_urls("directory/teams", "team", TEAM_VIEWS),
    *object_urls("directory/people", "person", PERSON_VIEWS),
    *(path(f"directory/people/<int:pk>/{action}/", view.as_view(), name=f"person-{action}")
      for action, view in PERSON_ACTIONS.items()),
]
