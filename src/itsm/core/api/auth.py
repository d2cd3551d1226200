"""Token login for API clients: throttled, and locked out by django-axes like the web."""

from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.throttling import ScopedRateThrottle


class ObtainTokenView(ObtainAuthToken):
    """Exchange username and password for an API token."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"
