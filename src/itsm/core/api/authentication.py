"""API authentication (a module of its own: DRF imports it while its views load)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication, loading the person's profile and organization with the
    token in one query (what ``access`` reads when who-is-who is not cached yet, and what
    the person's language and name come from)."""

    def authenticate_credentials(self, key: str):
        model = self.get_model()
        try:
            token = model.objects.select_related(
                "user", "user__profile", "user__profile__organization").get(key=key)
        except model.DoesNotExist:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return (token.user, token)
