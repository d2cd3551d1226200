"""Request-wide behaviour: the user's language, idle sessions, audit context."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from . import access, audit
from .choices import AuditSource

LANGUAGE_COOKIE = settings.LANGUAGE_COOKIE_NAME
SUPPORTED = {code for code, _name in settings.LANGUAGES}


def client_ip(request: HttpRequest) -> str | None:
    # Behind a reverse proxy, configure it to set REMOTE_ADDR (e.g. gunicorn
    # --forwarded-allow-ips); a client-supplied X-Forwarded-For is never trusted.
    return request.META.get("REMOTE_ADDR") or None


class UserLanguageMiddleware:
    """zh-Hans unless the person chose otherwise (profile, else cookie).

    The browser's Accept-Language is deliberately ignored for the web UI, so the
    default is the same for everybody; API clients may send it to choose.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            language = access.language_of(user)
        if language is None:
            language = request.COOKIES.get(LANGUAGE_COOKIE)
        if language is None and request.path.startswith("/api/"):
            language = translation.get_language_from_request(request)
        if language not in SUPPORTED:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response


class SessionIdleTimeoutMiddleware:
    """Log a browser session out after ``SESSION_IDLE_SECONDS`` without a request."""

    KEY = "itsm_last_seen"
    WRITE_EVERY = 60

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = int(time.time())
            last = request.session.get(self.KEY)
            if last is not None and now - last > settings.SESSION_IDLE_SECONDS:
                logout(request)
                if request.path.startswith("/api/"):
                    return self.get_response(request)
                return redirect_to_login(request.get_full_path())
            if last is None or now - last > self.WRITE_EVERY:
                request.session[self.KEY] = now
        return self.get_response(request)


class AuditContextMiddleware:
    """Attribute every change made during a request to its source (web/API) and IP."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        source = AuditSource.API if request.path.startswith("/api/") else AuditSource.WEB
        token = audit.set_context(audit.AuditContext(source=source, ip_address=client_ip(request)))
        try:
            return self.get_response(request)
        finally:
            audit.reset_context(token)


class ContentSecurityPolicyMiddleware:
    """Send ``settings.CONTENT_SECURITY_POLICY`` on every response that has none.

    The policy allows scripts from our own static files only: no inline script, no
    ``eval`` (htmx's ``hx-on`` is off), no plugin, no framing. A stored-XSS payload that
    slipped past escaping still could not run. Responses that set their own policy
    (attachment downloads: ``sandbox``) keep it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", "")
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response
