from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("knowledge/articles", views.ArticleViewSet)
router.register("knowledge/flags", views.ArticleFlagViewSet)
router.register("knowledge/categories", views.KnowledgeCategoryViewSet)
urlpatterns = [
    path("knowledge/suggestions/", views.SuggestionView.as_view(), name="knowledge-suggestions"),
    *router.urls,
]
