from django.urls import path

from . import views
from .object_views import object_urls
from .views_notifications import NOTIFICATION_TEMPLATE_VIEWS

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("attachments/<int:pk>/download/", views.AttachmentDownloadView.as_view(),
         name="attachment-download"),
    path("search/", views.GlobalSearchView.as_view(), name="search"),
    path("settings/language/", views.LanguageView.as_view(), name="set-language"),
    *object_urls("settings/notification-templates", "notificationtemplate",
                 NOTIFICATION_TEMPLATE_VIEWS),
]
