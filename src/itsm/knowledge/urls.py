from django.urls import path

from itsm.core.object_views import object_urls
from itsm.core.views import record_urls

from . import views

app_name = "knowledge"

A = views.ARTICLE_VIEWS

urlpatterns = [
    path("knowledge/", views.BrowseView.as_view(), name="browse"),
    path("knowledge/suggest/", views.SuggestView.as_view(), name="suggest"),
    path("knowledge/stale/", views.StaleListView.as_view(), name="stale"),
    path("knowledge/deflections/", views.DeflectionReportView.as_view(), name="deflections"),
    *object_urls("knowledge/categories", "category", views.CATEGORY_VIEWS),
    *record_urls("knowledge/articles", A),
    path("knowledge/articles/<int:pk>/read/", views.ArticleReadView.as_view(),
         name="article-read"),
    path("knowledge/articles/<int:pk>/files/<int:attachment_id>/",
         views.ArticleFileView.as_view(), name="article-file"),
    path("knowledge/articles/<int:pk>/diff/", views.DiffView.as_view(), name="article-diff"),
    path("knowledge/articles/<int:pk>/feedback/", views.FeedbackView.as_view(),
         name="article-feedback"),
    path("knowledge/articles/<int:pk>/flag/", views.FlagView.as_view(), name="article-flag"),
    path("knowledge/articles/<int:pk>/deflect/", views.DeflectView.as_view(),
         name="article-deflect"),
    path("knowledge/articles/<int:pk>/restore/", A["restore"].as_view(),
         name="article-restore"),
    path("knowledge/articles/<int:pk>/reviewed/", A["reviewed"].as_view(),
         name="article-reviewed"),
    path("knowledge/articles/<int:pk>/use/", A["use"].as_view(), name="article-use"),
    path("knowledge/articles/<int:pk>/flags/<int:flag_id>/resolve/",
         A["flag-resolve"].as_view(), name="article-flag-resolve"),
]
