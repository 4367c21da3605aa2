"""Authentication of the ESS API: JWT bearer tokens (simplejwt), staff-issued API keys, the web session."""

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from apis.ess.models import ApiKey

KEYWORD = "Api-Key"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """``Authorization: Api-Key <prefix>.<secret>``; a revoked or unknown key is refused with 401."""

    def authenticate(self, request: Request):
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0] != KEYWORD:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("the Api-Key header takes exactly one key")
        key = ApiKey.find(header[1])
        if key is None or not key.user.is_active:
            raise exceptions.AuthenticationFailed("unknown or revoked API key")
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
        return key.user, key

    def authenticate_header(self, request: Request) -> str:
        return KEYWORD


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """``ApiKeyAuthentication`` in the OpenAPI schema (drf-spectacular registers it on import)."""

    target_class = ApiKeyAuthentication
    name = "apiKey"

    def get_security_definition(self, auto_schema) -> dict:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": f"`{KEYWORD} <prefix>.<secret>`, a key staff issue in the admin",
        }
