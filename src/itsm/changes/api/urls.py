from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("changes", views.ChangeViewSet)
router.register("change-tasks", views.ChangeTaskViewSet)
router.register("change-boards", views.ChangeBoardViewSet)
router.register("change-templates", views.ChangeTemplateViewSet)
router.register("change-freezes", views.FreezeWindowViewSet)
router.register("cab-meetings", views.CabMeetingViewSet)
urlpatterns = router.urls
