"""Token login for API clients: rate-limited, locked out by django-axes like the web, and
asking people with an authenticator for a current code (``otp_token``)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny

from .. import twofactor
from ..ratelimits import LoginAddressThrottle, LoginUsernameThrottle
from .parsers import JSONParser


class TokenRequestSerializer(AuthTokenSerializer):
    otp_token = serializers.CharField(
        label=_("Two-factor code"), required=False, allow_blank=True, write_only=True,
        max_length=32,
        help_text=_("Required when the account uses two-factor authentication: the code "
                    "of the authenticator app, or a backup code."))

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        user = attrs["user"]
        if not twofactor.has_device(user):
            if twofactor.is_required(user):
                raise PermissionDenied(_("Two-factor authentication is required for this "
                                         "account: set up two-factor authentication in "
                                         "the web UI first."))
            return attrs
        code = attrs.get("otp_token") or ""
        if not code.strip():
            raise serializers.ValidationError({"otp_token": [_(
                "This account uses two-factor authentication: send the code of the "
                "authenticator app (or a backup code) as otp_token.")]})
        try:
            twofactor.accept_code(user, code)
        except DjangoValidationError as exc:
            if exc.code == "wrong":
                request = self.context["request"]
                twofactor.count_failure(getattr(request, "_request", request), user)
            raise serializers.ValidationError({"otp_token": exc.messages}) from exc
        return attrs


class ObtainTokenView(ObtainAuthToken):
    """Exchange username and password (and a two-factor code, if the account has an
    authenticator) for an API token."""

    serializer_class = TokenRequestSerializer
    # DRF's view names its own parsers; JSON goes through ours (bounded size and depth).
    parser_classes = [JSONParser, FormParser, MultiPartParser]
    throttle_classes = [LoginAddressThrottle, LoginUsernameThrottle]
    # Open to anyone (it is how a client logs in); saying so puts "no credentials" in
    # the OpenAPI description instead of a token the endpoint never asks for.
    permission_classes = [AllowAny]
