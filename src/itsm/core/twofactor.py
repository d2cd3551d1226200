"""Two-factor authentication: TOTP (django-otp) with one-time backup codes.

- A person is *enrolled* when they have a confirmed TOTP device; backup codes are a
  static device issued with it. Logging in then takes two steps (password, then a code)
  and the session counts as verified (django-otp's ``OTPMiddleware``).
- Roles listed in ``ITSM_2FA_REQUIRED_ROLES`` must be enrolled and verified to reach
  anything: :class:`RequireTwoFactorMiddleware` sends them to set it up (or to enter
  their code) and answers 403 on the API. "administrator" there also covers superusers
  and anyone who may use Django's /admin/. Everyone else may enrol on the Security page.
- A wrong code counts as a failed login of that username (django-axes lockout), and
  codes tried per person are rate-limited (``ratelimits.TwoFactorThrottle``); devices
  also back off exponentially (django-otp) and a code is never accepted twice.
- Enrolling, disabling, new backup codes and an administrator's reset are audited.
"""

from __future__ import annotations

import time
from base64 import b32encode
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import access, audit
from . import rules as perms
from .choices import AuditAction, Role

User = get_user_model()

#: Session key of a login waiting for its code: person, backend, next URL, time.
PENDING_LOGIN = "itsm_2fa_pending"
BACKUP_DEVICE_NAME = "backup"
TOTP_DEVICE_NAME = "authenticator"


# --- Who must, who has ----------------------------------------------------------------


def is_required(user) -> bool:
    """Must this person use two-factor authentication (``ITSM_2FA_REQUIRED_ROLES``)?"""
    required = set(settings.ITSM_2FA_REQUIRED_ROLES)
    if not required or user is None or not user.is_authenticated or not user.is_active:
        return False
    if Role.ADMINISTRATOR in required and (user.is_staff or user.is_superuser):
        return True
    return bool(access.roles_of(user) & required)


def has_device(user) -> bool:
    """Is the person enrolled (a confirmed authenticator)?"""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def is_verified(user) -> bool:
    """Did this session pass the code step (or set up two-factor authentication)?"""
    check: Callable[[], bool] | None = getattr(user, "is_verified", None)
    return bool(check and check())


def backup_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def enrolled_at(user):
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device.created_at if device is not None else None


# --- Codes ---------------------------------------------------------------------------------


def _normalize(code: str) -> str:
    return "".join(str(code).split()).replace("-", "").lower()


def _device_model(code: str) -> type[Device]:
    """Six digits are tried on the authenticator, anything else as a backup code (so a
    backup code never counts as a wrong authenticator code, nor the other way round)."""
    return TOTPDevice if code.isdigit() and len(code) == 6 else StaticDevice


def _devices_for(user, code: str) -> list[Device]:
    return list(_device_model(code).objects.filter(user=user, confirmed=True)
                .select_for_update())


def wait_before_code(user, code: str) -> int:
    """Seconds the person must wait before a code is tried again (django-otp's
    exponential back-off after wrong codes); 0 when a code may be tried now."""
    wait = 0.0
    for device in _device_model(_normalize(code)).objects.filter(user=user, confirmed=True):
        allowed, data = device.verify_is_allowed()
        if not allowed and data and data.get("locked_until"):
            wait = max(wait, (data["locked_until"] - timezone.now()).total_seconds())
    return int(wait) + 1 if wait > 0 else 0


def verify_code(user, code: str) -> Device | None:
    """The device that accepts ``code`` (a TOTP code or a backup code, each usable once),
    or None. Devices are locked while they check, so a code cannot be used twice."""
    code = _normalize(code)
    if not code or len(code) > 16:
        return None
    with transaction.atomic():
        for device in _devices_for(user, code):
            if device.verify_token(code):
                return device
    return None


#: The answer to a code no device accepts.
WRONG_CODE = gettext_lazy("The code is wrong or has expired.")


def accept_code(user, code: str) -> Device:
    """The device that accepts ``code``, else ValidationError with what the person is
    told: ``code="wait"`` while django-otp backs off after wrong codes (the code is not
    even tried, so it is not called wrong), ``code="wrong"`` when no device accepts it
    (callers at login count that as a failed login: :func:`count_failure`)."""
    wait = wait_before_code(user, code)
    if wait:
        raise ValidationError(_("Too many wrong codes. Please wait %(seconds)s seconds and "
                                "try again.") % {"seconds": wait}, code="wait")
    device = verify_code(user, code)
    if device is None:
        raise ValidationError(WRONG_CODE, code="wrong")
    return device


def count_failure(request: HttpRequest, user) -> None:
    """A wrong code is a failed login of that username: django-axes counts it towards
    the same lockout as wrong passwords."""
    user_login_failed.send(sender=__name__, credentials={"username": user.get_username()},
                           request=request)


def is_locked_out(request: HttpRequest, user) -> bool:
    from axes.handlers.proxy import AxesProxyHandler

    return AxesProxyHandler.is_locked(request, {"username": user.get_username()})


# --- Setting up, turning off -------------------------------------------------------------


def setup_device(user) -> TOTPDevice:
    """The authenticator being set up (unconfirmed): the same secret until confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def secret_text(device: TOTPDevice) -> str:
    """The secret in base32, in groups of four, for typing into an app by hand."""
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The ``otpauth://`` address of the device as an inline SVG QR code (no image
    library, nothing fetched: the markup is drawn by ``qrcode`` from our own data)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage,
                        box_size=8)
    return image.to_string(encoding="unicode")


def _audit(user, *, actor, changes: dict[str, list[Any]]) -> None:
    profile = getattr(user, "profile", None)
    audit.log(action=AuditAction.UPDATE, instance=user, actor=actor, changes=changes,
              organization_id=getattr(profile, "organization_id", None))


def _issue_backup_codes(user) -> list[str]:
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=BACKUP_DEVICE_NAME, defaults={"confirmed": True})
    device.token_set.all().delete()
    codes: set[str] = set()
    while len(codes) < settings.ITSM_2FA_BACKUP_CODES:
        codes.add(StaticToken.random_token())
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return sorted(codes)


@transaction.atomic
def confirm_setup(user, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm the authenticator with a code it shows; returns the new backup codes
    (to be shown once), or None when the code is wrong."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user)
    if device.confirmed or not device.verify_token(_normalize(code)):
        return None
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _issue_backup_codes(user)
    _audit(user, actor=user, changes={"two_factor": ["off", "on"]})
    return codes


@transaction.atomic
def new_backup_codes(user) -> list[str]:
    """Replace the person's backup codes (the old ones stop working)."""
    if not has_device(user):
        raise ValidationError(_("Two-factor authentication is not turned on."))
    codes = _issue_backup_codes(user)
    _audit(user, actor=user, changes={"backup_codes": ["***", "***"]})
    return codes


def _remove_devices(user) -> bool:
    had = has_device(user)
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    return had


@transaction.atomic
def disable(user) -> None:
    """A person turns their own two-factor authentication off (not while required)."""
    if is_required(user):
        raise ValidationError(_("Two-factor authentication is required for your role; "
                                "it cannot be turned off."))
    if _remove_devices(user):
        _audit(user, actor=user, changes={"two_factor": ["on", "off"]})


@transaction.atomic
def reset(person, *, actor) -> None:
    """An administrator removes another person's authenticator and backup codes (a lost
    phone); the person sets it up again at their next login when it is required."""
    if not perms.can_manage_master_data(actor):
        raise PermissionDenied(_("Only administrators may reset two-factor authentication."))
    profile = getattr(person, "profile", None)
    if profile is None or profile.organization_id not in access.scope_organization_ids(actor):
        raise PermissionDenied(_("Only administrators may reset two-factor authentication."))
    if _remove_devices(person):
        _audit(person, actor=actor, changes={"two_factor": ["on", "reset"]})


# --- The login's second step -----------------------------------------------------------


def begin_login(request: HttpRequest, user, redirect_to: str) -> None:
    """The password was right: remember who is logging in (not logged in yet) under a
    new session key, until the code step finishes the login."""
    request.session.cycle_key()
    request.session[PENDING_LOGIN] = {"user_id": user.pk, "backend": user.backend,
                                      "next": redirect_to, "at": int(time.time())}


def pending_login(request: HttpRequest):
    """The person whose login waits for a code (for a few minutes), or None."""
    data = request.session.get(PENDING_LOGIN)
    if not isinstance(data, dict):
        return None
    if time.time() - data.get("at", 0) > settings.ITSM_2FA_LOGIN_MINUTES * 60:
        forget_login(request)
        return None
    return User.objects.filter(pk=data.get("user_id"), is_active=True).first()


def forget_login(request: HttpRequest) -> None:
    request.session.pop(PENDING_LOGIN, None)


def finish_login(request: HttpRequest, user, device: Device) -> str:
    """Log the person in, verified by ``device``; the session key rotates again.
    Returns where to go next."""
    data = request.session.pop(PENDING_LOGIN, None) or {}
    user.otp_device = device  # django-otp's user_logged_in receiver stores it in the session
    auth.login(request, user, backend=data.get("backend"))
    return data.get("next") or settings.LOGIN_REDIRECT_URL


def mark_verified(request: HttpRequest, device: Device) -> None:
    """A logged-in session passes the code step (or sets up two-factor authentication)."""
    otp_login(request, device)
    request.session.cycle_key()


# --- Enforcement ---------------------------------------------------------------------------


def _open_paths() -> tuple[str, ...]:
    """What an unverified person who must use two-factor authentication may still reach."""
    return (reverse("logout"), reverse("set-language"), reverse("two-factor-setup"),
            reverse("two-factor-verify"), reverse("api:token"))


class RequireTwoFactorMiddleware:
    """People who must use two-factor authentication reach nothing until their session
    is verified: web pages (and /admin/) redirect to set-up or to the code step, the API
    answers 403. Logging out, switching the language and static files stay open."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.ITSM_2FA_REQUIRED_ROLES and self.blocks(request):
            return self.refuse(request)
        return self.get_response(request)

    @staticmethod
    def blocks(request: HttpRequest) -> bool:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or is_verified(user):
            return False
        if request.path.startswith(settings.STATIC_URL) or request.path in _open_paths():
            return False
        return is_required(user)

    @staticmethod
    def refuse(request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": _(
                "Two-factor authentication is required for your account: set it up, or "
                "enter your code, in the web UI first.")}, status=403)
        target = "two-factor-verify" if has_device(request.user) else "two-factor-setup"
        return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
