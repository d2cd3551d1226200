from django.urls import path
from rest_framework.routers import SimpleRouter

from . import reports, views, workspace

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
router.register("me/notifications", workspace.MyNotificationViewSet,
                basename="my-notification")
router.register("saved-views", workspace.SavedViewViewSet)
router.register("report-subscriptions", reports.ReportSubscriptionViewSet)
router.register("report-archive", reports.ArchivedReportViewSet)

urlpatterns = [
    path("me/", views.MeView.as_view(), name="me"),
    path("me/notification-preferences/", views.NotificationPreferencesView.as_view(),
         name="me-notification-preferences"),
    path("me/inbox/", workspace.MyInboxView.as_view(), name="me-inbox"),
    path("people/pick/", workspace.PeoplePickerView.as_view(), name="people-pick"),
    path("roles/", views.RoleListView.as_view(), name="roles"),
    path("search/", views.GlobalSearchView.as_view(), name="search"),
    path("reports/", reports.ReportListView.as_view(), name="report-list"),
    path("reports/<report:key>/", reports.ReportView.as_view(), name="report-detail"),
    *router.urls,
]
