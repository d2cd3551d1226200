"""Rate limits of the login, two-factor, password reset and token endpoints (HTTP 429).

DRF's throttling machinery serves the web forms as well as the API: each limit is a
``SimpleRateThrottle`` whose counter lives in the shared cache (database or Redis, so it
holds across web processes) under a key naming the scope and what is counted — the
client address (REMOTE_ADDR only; a client-supplied X-Forwarded-For is never trusted),
a username, an email address or a person. Rates come from
``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (``ITSM_RATE_*``).

The login lockout (django-axes, per username with a cool-off) is a different defence:
it counts failures only. Its 429 answer is :func:`lockout_response`.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from .middleware import client_ip


def _digest(value: str) -> str:
    """A cache-key-safe stand-in for a username or an address (case-insensitive)."""
    return hashlib.sha256(value.strip().casefold().encode()).hexdigest()[:40]


def posted(request, name: str) -> str:
    """A field of the POSTed form, or of a DRF request's parsed body."""
    data = getattr(request, "data", None)
    if data is None:
        data = request.POST
    value = data.get(name) if hasattr(data, "get") else None
    return value if isinstance(value, str) else ""


class ItsmThrottle(SimpleRateThrottle):
    """A throttle whose rate is read when it is used (tests and settings can change it)."""

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_ident(self, request) -> str:
        return client_ip(request) or "unknown"

    def key(self, ident: str) -> str:
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AddressThrottle(ItsmThrottle):
    """Counted per client address."""

    def get_cache_key(self, request, view) -> str:
        return self.key(self.get_ident(request))


class PostedValueThrottle(ItsmThrottle):
    """Counted per value of one posted field (a username, an email address), whatever the
    address; a request without the field is not counted here."""

    field = ""

    def get_cache_key(self, request, view) -> str | None:
        value = posted(request, self.field)
        return self.key(_digest(value)) if value else None


class LoginAddressThrottle(AddressThrottle):
    """Login attempts (web form and token endpoint) per client address."""

    scope = "login"


class LoginUsernameThrottle(PostedValueThrottle):
    """Login attempts per username."""

    scope = "login_username"
    field = "username"


class PasswordResetAddressThrottle(AddressThrottle):
    """Password reset requests per client address."""

    scope = "password_reset"


class PasswordResetEmailThrottle(PostedValueThrottle):
    """Password reset requests per email address asked for (existing or not)."""

    scope = "password_reset_email"
    field = "email"


class TwoFactorThrottle(ItsmThrottle):
    """Two-factor codes tried per person (login step, setup, disabling)."""

    scope = "otp"

    def __init__(self, user_id: int) -> None:
        super().__init__()
        self.user_id = user_id

    def get_cache_key(self, request, view) -> str:
        return self.key(str(self.user_id))


def wait_seconds(request: HttpRequest, throttles: Iterable[SimpleRateThrottle]) -> int | None:
    """Count this request against every throttle; the longest wait if one refuses it."""
    waits = [throttle.wait() or 1 for throttle in throttles
             if not throttle.allow_request(request, None)]
    return math.ceil(max(waits)) if waits else None


def throttled_response(request: HttpRequest, wait: int) -> HttpResponse:
    """HTTP 429 with Retry-After: a page for the web, ``{"detail": …}`` for the API."""
    message = _("Too many attempts. Please wait %(seconds)s seconds and try again.") % {
        "seconds": wait}
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=429)
    else:
        response = render(request, "account/throttled.html", {"message": message}, status=429)
    response["Retry-After"] = str(wait)
    return response


def check(request: HttpRequest, *throttles: SimpleRateThrottle) -> HttpResponse | None:
    """The 429 answer when one of ``throttles`` refuses ``request``, else None."""
    wait = wait_seconds(request, throttles)
    return None if wait is None else throttled_response(request, wait)


def lockout_response(request: HttpRequest, original_response=None, credentials=None
                     ) -> HttpResponse:
    """django-axes' answer to a locked-out username: 429 with Retry-After (the cool-off)."""
    retry_after = str(math.ceil(float(settings.AXES_COOLOFF_TIME) * 3600))
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": _(
            "Too many failed login attempts. The account is locked for a while; try again "
            "later or ask an administrator.")}, status=429)
    else:
        response = render(request, settings.AXES_LOCKOUT_TEMPLATE, status=429)
    response["Retry-After"] = retry_after
    return response
