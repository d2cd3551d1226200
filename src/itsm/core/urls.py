from django.urls import path

from . import views

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("attachments/<int:pk>/download/", views.AttachmentDownloadView.as_view(),
         name="attachment-download"),
    path("search/", views.GlobalSearchView.as_view(), name="search"),
    path("settings/language/", views.LanguageView.as_view(), name="set-language"),
    path("settings/notification-templates/", views.NotificationTemplateListView.as_view(),
         name="notificationtemplate-list"),
    path("settings/notification-templates/new/", views.NotificationTemplateFormView.as_view(),
         name="notificationtemplate-create"),
    path("settings/notification-templates/<int:pk>/edit/",
         views.NotificationTemplateFormView.as_view(), name="notificationtemplate-edit"),
    path("settings/notification-templates/<int:pk>/delete/",
         views.NotificationTemplateDeleteView.as_view(), name="notificationtemplate-delete"),
]
