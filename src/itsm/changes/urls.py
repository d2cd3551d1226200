from itsm.servicedesk.urls import record_urls

from .views import CHANGE_VIEWS

app_name = "changes"

urlpatterns = [
    *record_urls("changes", "change", CHANGE_VIEWS),
]
