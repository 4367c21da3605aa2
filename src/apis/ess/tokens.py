"""``POST /api/token/`` with failed logins throttled (a module of its own: the DRF views it builds on load the
authentication classes of ``apis.ess.auth``)."""

from django.contrib.auth import get_user_model
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer
from rest_framework_simplejwt.views import TokenObtainPairView

from apis.core import throttle


class NormalizedTokenObtainPairSerializer(TokenObtainPairSerializer):
    """Looks the user name up as every other login surface does (stripped, NFKC); a success clears the
    identity's failures."""

    def validate(self, attrs: dict) -> dict:
        attrs[self.username_field] = throttle.normalize_username(attrs[self.username_field])
        tokens = super().validate(attrs)
        throttle.clear_failures(self.user)
        return tokens


class ThrottledTokenObtainPairView(TokenObtainPairView):
    """``POST /api/token/``: failed logins counted per identity and per client address (the counters of
    ``apis.core.throttle``, shared with every other login surface); while a counter is over its limit every
    attempt is refused with 429 and ``Retry-After``, in the specification's error shape."""

    serializer_class = NormalizedTokenObtainPairSerializer
    counts_failed_logins = True  # read by the OpenAPI description: this view can answer 429

    def post(self, request: Request, *args, **kwargs) -> Response:
        data = request.data
        username = data.get(get_user_model().USERNAME_FIELD, "") if hasattr(data, "get") else ""
        keys = throttle.credential_keys(request, username if isinstance(username, str) else str(username))
        wait = throttle.retry_after(keys)
        if wait is not None:
            raise exceptions.Throttled(wait, "too many failed logins")
        try:
            response = super().post(request, *args, **kwargs)
        except exceptions.AuthenticationFailed:
            throttle.record_failure(keys)
            raise
        return response
