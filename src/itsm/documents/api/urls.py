from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("documents", views.DocumentViewSet)
router.register("document-versions", views.VersionViewSet)
router.register("document-categories", views.CategoryViewSet)
router.register("document-templates", views.TemplateViewSet)
router.register("document-clearances", views.ClearanceViewSet)
router.register("document-loans", views.LoanViewSet)
router.register("document-access-log", views.AccessViewSet)
router.register("document-disposals", views.DisposalViewSet)
urlpatterns = router.urls
