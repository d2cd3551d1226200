"""Request-wide behaviour: the user's language, idle sessions, audit context, the
API's body limit."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation

from . import access, audit, limits, safejson
from .choices import AuditSource
from .exceptions import UploadTooLarge
from .uploads import check_request_size

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


def content_length(request: HttpRequest) -> int:
    """The announced body size (0 when absent or not a number, as Django reads it)."""
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


def too_large_response(message: str) -> JsonResponse:
    """413 in the API's error shape (``core.api.exceptions``)."""
    return JsonResponse({"detail": message, "code": "too_large"}, status=413,
                        json_dumps_params={"ensure_ascii": False})


def is_json(request: HttpRequest) -> bool:
    content_type = request.content_type or ""
    return content_type == "application/json" or content_type.endswith("+json")


class ApiRequestLimitsMiddleware:
    """The API's limits on request bodies, checked before any view runs, whatever the
    route (an unknown id included):

    - a Content-Length over the limit is a 413 ``{"detail": …, "code": "too_large"}``
      naming the limit, before the body is read: multipart uploads (attachments,
      import files) may be as large as ``MAX_UPLOAD_BYTES`` and a little envelope
      (``core.uploads``), any other body ``core.limits.api_max_body_bytes()``;
    - a JSON body nested deeper than ``core.limits.MAX_JSON_DEPTH`` is a 400
      ``{"detail": …}`` (``core.safejson``).

    Without it, a body over Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` ended in Django's
    HTML "Bad Request (400)" page (``RequestDataTooBig``, raised where DRF reads the
    body), one under it was read and decoded whatever its size, and JSON nested about
    a thousand levels deep was a 500 (``RecursionError``). The API's JSON parser
    (``core.api.parsers``) checks the same again for what reaches it by other ways.
    The web UI keeps Django's own behaviour. Runs after ``UserLanguageMiddleware``:
    the message is in the reader's language.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/") and content_length(request):
            refused = self.refusal(request)
            if refused is not None:
                return refused
        return self.get_response(request)

    def refusal(self, request: HttpRequest) -> HttpResponse | None:
        if request.content_type == "multipart/form-data":
            try:
                check_request_size(request)
            except UploadTooLarge as exc:
                return too_large_response(exc.message)
            return None
        if content_length(request) > limits.api_max_body_bytes():
            return too_large_response(limits.body_too_large_message())
        if is_json(request):
            try:
                text = request.body.decode(request.encoding or settings.DEFAULT_CHARSET)
            except RequestDataTooBig:  # API_MAX_BODY_BYTES set above Django's own limit
                return too_large_response(limits.body_too_large_message(
                    settings.DATA_UPLOAD_MAX_MEMORY_SIZE))
            except (LookupError, UnicodeError, OSError):
                return None  # the parser (or the view) answers with its own message
            if safejson.too_deep(text):
                return JsonResponse({"detail": safejson.too_deep_message()}, status=400,
                                    json_dumps_params={"ensure_ascii": False})
        return None
