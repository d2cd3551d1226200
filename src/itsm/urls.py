"""URL map: web UI, customer portal, REST API (with schema and docs), admin."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from itsm.core.api.auth import ObtainTokenView
from itsm.core.views_account import admin_login

api_patterns = [
    path("", include("itsm.core.api.urls")),
    path("", include("itsm.servicedesk.api.urls")),
    path("", include("itsm.catalog.api.urls")),
    path("", include("itsm.cmdb.api.urls")),
    path("", include("itsm.security.api.urls")),
    path("", include("itsm.problems.api.urls")),
    path("", include("itsm.changes.api.urls")),
    path("", include("itsm.quality.api.urls")),
    path("token/", ObtainTokenView.as_view(), name="token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
]

#: A database that is down answers 503 with Retry-After instead of a 500 (core.views).
handler500 = "itsm.core.views.server_error"

urlpatterns = [
    path("accounts/", include("itsm.core.account_urls")),
    path("api/", include((api_patterns, "api"))),
    # The admin site's own login form would skip the code step and the rate limits.
    path("admin/login/", admin_login, name="admin-login"),
    path("admin/", admin.site.urls),
    path("", include("itsm.core.urls")),
    path("", include("itsm.servicedesk.urls")),
    path("", include("itsm.cmdb.urls")),
    path("", include("itsm.security.urls")),
    path("", include("itsm.problems.urls")),
    path("", include("itsm.changes.urls")),
    path("", include("itsm.quality.urls")),
]
