from django.urls import path

from . import views, views_workspace
from .directory_urls import urlpatterns as directory_urlpatterns
from .object_views import object_urls
from .report_urls import urlpatterns as report_urlpatterns
from .views_notifications import NOTIFICATION_TEMPLATE_VIEWS

urlpatterns = [
    path("", views_workspace.HomeView.as_view(), name="home"),
    path("inbox/", views_workspace.InboxView.as_view(), name="inbox"),
    path("notifications/", views_workspace.NotificationListView.as_view(),
         name="notifications"),
    path("notifications/read/", views_workspace.NotificationReadView.as_view(),
         name="notifications-read"),
    path("views/save/", views_workspace.SavedViewSaveView.as_view(), name="saved-view-save"),
    path("views/<int:pk>/delete/", views_workspace.SavedViewDeleteView.as_view(),
         name="saved-view-delete"),
    path("notifications/<int:pk>/read/", views_workspace.NotificationReadView.as_view(),
         name="notification-read"),
    path("attachments/<int:pk>/download/", views.AttachmentDownloadView.as_view(),
         name="attachment-download"),
    path("search/", views.GlobalSearchView.as_view(), name="search"),
    path("settings/language/", views.LanguageView.as_view(), name="set-language"),
    *object_urls("settings/notification-templates", "notificationtemplate",
                 NOTIFICATION_TEMPLATE_VIEWS),
    *directory_urlpatterns,
    *report_urlpatterns,
]
