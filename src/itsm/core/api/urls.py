from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("organizations", views.OrganizationViewSet)
router.register("departments", views.DepartmentViewSet)
router.register("teams", views.TeamViewSet)
router.register("people", views.PersonViewSet, basename="person")
router.register("attachments", views.AttachmentViewSet)
router.register("audit-log", views.AuditEntryViewSet)
router.register("notification-channels", views.NotificationChannelViewSet)
router.register("notifications", views.NotificationViewSet)
router.register("notification-templates", views.NotificationTemplateViewSet)

urlpatterns = [
    path("me/", views.MeView.as_view(), name="me"),
    path("me/notification-preferences/", views.NotificationPreferencesView.as_view(),
         name="me-notification-preferences"),
    path("roles/", views.RoleListView.as_view(), name="roles"),
    path("search/", views.GlobalSearchView.as_view(), name="search"),
    *router.urls,
]
