"""URL map: web UI, customer portal, REST API (with schema and docs), admin.

Every installed app of the project brings its own ``urls`` (web pages, namespaced by its
own ``app_name``) and ``api.urls`` (routes in the ``api`` namespace), found here in the
order of ``INSTALLED_APPS``: a new app needs no edit of this file.
"""

from importlib.util import find_spec

from django.apps import apps
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from itsm.core.api.auth import ObtainTokenView
from itsm.core.views_account import admin_login


def app_url_modules(module: str) -> list[str]:
    """``<app>.<module>`` of every installed app of the project that has one."""
    names = [config.name for config in apps.get_app_configs()
             if config.name.startswith("itsm.")]
    return [f"{name}.{module}" for name in names if find_spec(f"{name}.{module.split('.')[0]}")
            and find_spec(f"{name}.{module}")]


api_patterns = [
    *(path("", include(module)) for module in app_url_modules("api.urls")),
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
    *(path("", include(module)) for module in app_url_modules("urls")),
]
