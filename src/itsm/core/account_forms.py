"""Forms of one's own account: two-factor codes and the password reset request."""

from __future__ import annotations

from django import forms
from django.contrib.auth import forms as auth_forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from . import accounts


class CodeForm(forms.Form):
    """A six-digit code of the authenticator app, or a one-time backup code."""

    code = forms.CharField(
        label=_("Code"), max_length=32, strip=True,
        help_text=_("The six-digit code your authenticator app shows, or one of your "
                    "backup codes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text",
                                      "autofocus": True, "class": "form-control"}))


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's reset form whose mail goes out through a background job, in the
    person's language, with a link to ``ITSM_SITE_URL`` (never to the Host header)."""

    def send_mail(self, subject_template_name, email_template_name, context, from_email,
                  to_email, html_email_template_name=None) -> None:
        link = accounts.site_link(reverse("password_reset_confirm", kwargs={
            "uidb64": context["uid"], "token": context["token"]}))
        accounts.send_account_email(context["user"], "password_reset", {"link": link},
                                    to=to_email)
