"""One's own account in the web UI: login (with the two-factor step), the Security page
(two-factor authentication, password change), password reset by email, closing a
notice for oneself, and an administrator's reset of another person's two-factor
authentication."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache

from . import access, accounts, notices, ratelimits, twofactor
from . import rules as perms
from .account_forms import CodeForm, PasswordResetForm
from .views import next_page

User = get_user_model()

def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


def _accepted(form: CodeForm, person):
    """The device accepting the form's code, else None with the reason on the field."""
    try:
        return twofactor.accept_code(person, form.cleaned_data["code"])
    except ValidationError as exc:
        form.add_error("code", exc)
        return None


# --- Login ---------------------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    """Username and password; people with an authenticator continue to the code step."""

    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        refused = ratelimits.check(request, ratelimits.LoginAddressThrottle(),
                                   ratelimits.LoginUsernameThrottle())
        return refused or super().post(request, *args, **kwargs)

    def form_valid(self, form) -> HttpResponse:
        user = form.get_user()
        if twofactor.has_device(user):
            twofactor.begin_login(self.request, user, self.get_success_url())
            return redirect("two-factor-verify")
        return super().form_valid(form)


def admin_login(request: HttpRequest) -> HttpResponse:
    """/admin/login/ sends people to the one login form (code step and rate limits)."""
    return redirect_to_login(request.GET.get("next") or reverse("admin:index"))


class TwoFactorVerifyView(View):
    """The code step: of a login waiting for it, or of a logged-in session that must be
    verified before it may go on."""

    template_name = "account/two_factor_verify.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.pending = twofactor.pending_login(request)
        user = request.user
        if self.pending is not None:
            self.person = self.pending
        elif (user.is_authenticated and not twofactor.is_verified(user)
              and twofactor.has_device(user)):
            self.person = user
        else:
            return redirect(next_page(request, reverse("login")) if user.is_authenticated
                            else reverse("login"))
        return never_cache(super().dispatch)(request, *args, **kwargs)

    def render_form(self, form: CodeForm) -> HttpResponse:
        return render(self.request, self.template_name,
                      {"form": form, "next": next_page(self.request, "")})

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render_form(CodeForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        refused = ratelimits.check(request, ratelimits.TwoFactorThrottle(self.person.pk))
        if refused:
            return refused
        if twofactor.is_locked_out(request, self.person):
            self.give_up()
            return ratelimits.lockout_response(request)
        form = CodeForm(request.POST)
        if form.is_valid():
            device = _accepted(form, self.person)
            if device is not None:
                return self.succeed(device)
            if form.has_error("code", "wrong"):
                twofactor.count_failure(request, self.person)
                if getattr(request, "axes_locked_out", False):
                    self.give_up()  # AxesMiddleware answers with the lockout page
        return self.render_form(form)

    def succeed(self, device) -> HttpResponse:
        if self.pending is not None:
            target = twofactor.finish_login(self.request, self.person, device)
        else:
            twofactor.mark_verified(self.request, device)
            target = next_page(self.request)
        if not url_has_allowed_host_and_scheme(target, {self.request.get_host()},
                                               self.request.is_secure()):
            target = "/"
        return redirect(target)

    def give_up(self) -> None:
        if self.pending is not None:
            twofactor.forget_login(self.request)
        else:
            auth_logout(self.request)


# --- Security page -------------------------------------------------------------------------


class SecurityView(LoginRequiredMixin, View):
    """Two-factor authentication and password of the person themselves."""

    template_name = "account/security.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render_page(request)

    @classmethod
    def render_page(cls, request: HttpRequest, **forms: CodeForm) -> HttpResponse:
        user = request.user
        context = {
            "enabled": twofactor.has_device(user),
            "required": twofactor.is_required(user),
            "enrolled_at": twofactor.enrolled_at(user),
            "backup_codes_left": twofactor.backup_codes_left(user),
            "disable_form": forms.get("disable_form") or CodeForm(prefix="disable"),
            "codes_form": forms.get("codes_form") or CodeForm(prefix="codes"),
        }
        return render(request, cls.template_name, context)


class TwoFactorSetupView(LoginRequiredMixin, View):
    """Set up an authenticator app: QR code and secret, confirmed with a code; then the
    backup codes, shown once."""

    template_name = "account/two_factor_setup.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and twofactor.has_device(request.user):
            if not twofactor.is_verified(request.user):
                return redirect(f"{reverse('two-factor-verify')}?{request.GET.urlencode()}")
            messages.info(request, _("Two-factor authentication is already turned on."))
            return redirect("account-security")
        return never_cache(super().dispatch)(request, *args, **kwargs)

    def render_form(self, form: CodeForm) -> HttpResponse:
        device = twofactor.setup_device(self.request.user)
        return _no_store(render(self.request, self.template_name, {
            "form": form, "qr_svg": twofactor.qr_svg(device),
            "secret": twofactor.secret_text(device), "next": next_page(self.request, ""),
            "required": twofactor.is_required(self.request.user)}))

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render_form(CodeForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        refused = ratelimits.check(request, ratelimits.TwoFactorThrottle(request.user.pk))
        if refused:
            return refused
        form = CodeForm(request.POST)
        if form.is_valid():
            device = twofactor.setup_device(request.user)
            codes = twofactor.confirm_setup(request.user, device, form.cleaned_data["code"])
            if codes is not None:
                device.refresh_from_db()
                twofactor.mark_verified(request, device)
                return show_backup_codes(request, codes, next_page(request,
                                                                    reverse("home")))
            form.add_error("code", twofactor.WRONG_CODE)
        return self.render_form(form)


def show_backup_codes(request: HttpRequest, codes: list[str], next_url: str) -> HttpResponse:
    return _no_store(render(request, "account/backup_codes.html",
                            {"codes": codes, "next": next_url}))


class TwoFactorDisableView(LoginRequiredMixin, View):
    """Turn two-factor authentication off: needs a current code, refused while required."""

    def post(self, request: HttpRequest) -> HttpResponse:
        if twofactor.is_required(request.user):
            messages.error(request, _("Two-factor authentication is required for your "
                                      "role; it cannot be turned off."))
            return redirect("account-security")
        refused = ratelimits.check(request, ratelimits.TwoFactorThrottle(request.user.pk))
        if refused:
            return refused
        form = CodeForm(request.POST, prefix="disable")
        if form.is_valid() and _accepted(form, request.user) is not None:
            try:
                twofactor.disable(request.user)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, _("Two-factor authentication is turned off."))
            return redirect("account-security")
        return SecurityView.render_page(request, disable_form=form)


class BackupCodesView(LoginRequiredMixin, View):
    """New backup codes (the old ones stop working); needs a current code."""

    def post(self, request: HttpRequest) -> HttpResponse:
        refused = ratelimits.check(request, ratelimits.TwoFactorThrottle(request.user.pk))
        if refused:
            return refused
        form = CodeForm(request.POST, prefix="codes")
        if (form.is_valid() and twofactor.has_device(request.user)
                and _accepted(form, request.user) is not None):
            codes = twofactor.new_backup_codes(request.user)
            return show_backup_codes(request, codes, reverse("account-security"))
        return SecurityView.render_page(request, codes_form=form)


# --- Passwords -----------------------------------------------------------------------------


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change one's password: this session stays (with a new key), every other session
    ends, API tokens are revoked, the change is audited and the person told by email."""

    template_name = "account/password_change.html"
    success_url = reverse_lazy("account-security")

    @transaction.atomic
    def form_valid(self, form) -> HttpResponse:
        response = super().form_valid(form)
        accounts.password_changed(form.user, how=accounts.CHANGED)
        messages.success(self.request, _("Your password was changed."))
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Ask for a reset link by email: the same answer whether the address is known or
    not; inactive people get nothing. Rate-limited per client address and per address."""

    template_name = "account/password_reset_form.html"
    form_class = PasswordResetForm
    success_url = reverse_lazy("password_reset_done")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        refused = ratelimits.check(request, ratelimits.PasswordResetAddressThrottle(),
                                   ratelimits.PasswordResetEmailThrottle())
        return refused or super().post(request, *args, **kwargs)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "account/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Set a new password from the emailed link: sessions end, API tokens are revoked,
    the login lockout of the username is lifted, audited, and the person told."""

    template_name = "account/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")

    @transaction.atomic
    def form_valid(self, form) -> HttpResponse:
        response = super().form_valid(form)
        accounts.password_changed(form.user, how=accounts.RESET)
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "account/password_reset_complete.html"


# --- Notices ------------------------------------------------------------------------------


class NoticeDismissView(LoginRequiredMixin, View):
    """POST ``key`` (and ``next``): the person closes a notice for themselves
    (``core.notices``); back to the page they were on. An unknown key is a 400."""

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            notices.dismiss_notice(request.user, request.POST.get("key", ""))
        except ValidationError as exc:
            return HttpResponseBadRequest(" ".join(exc.messages),
                                          content_type="text/plain; charset=utf-8")
        return redirect(next_page(request))


# --- An administrator resets another person's two-factor authentication --------------------


class PersonTwoFactorView(LoginRequiredMixin, View):
    """A person's two-factor status, and its reset by an administrator (a lost phone)."""

    template_name = "account/person_two_factor.html"

    def get_person(self, request: HttpRequest, pk: int):
        person = User.objects.filter(
            pk=pk, profile__organization__in=access.scope_organization_ids(request.user)
        ).select_related("profile__organization").first()
        if person is None:
            raise Http404
        if not perms.can_manage_master_data(request.user):
            raise PermissionDenied(_("Only administrators may reset two-factor "
                                     "authentication."))
        return person

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        person = self.get_person(request, pk)
        return render(request, self.template_name, {
            "person": person, "enabled": twofactor.has_device(person),
            "required": twofactor.is_required(person),
            "backup_codes_left": twofactor.backup_codes_left(person)})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        person = self.get_person(request, pk)
        twofactor.reset(person, actor=request.user)
        messages.success(request, _("Two-factor authentication of %(person)s was reset; "
                                    "they set it up again at their next login.")
                         % {"person": person})
        return redirect("person-two-factor", pk=person.pk)
