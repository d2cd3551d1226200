from django.urls import path

from . import views

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("attachments/<int:pk>/download/", views.AttachmentDownloadView.as_view(),
         name="attachment-download"),
    path("settings/language/", views.LanguageView.as_view(), name="set-language"),
]
