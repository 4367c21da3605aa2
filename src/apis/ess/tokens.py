"""``POST /api/token/`` with failed logins throttled (a module of its own: the DRF views it builds on load the
authentication classes of ``apis.ess.auth``)."""

from django.contrib.auth import get_user_model
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework_simplejwt.views import TokenObtainPairView

from apis.core import throttle


class ThrottledTokenObtainPairView(TokenObtainPairView):
    """``POST /api/token/``: failed logins counted per user name and per client address (the counters of
    ``apis.core.throttle``, shared with the session login); while a counter is over its limit every attempt
    is refused with 429 and ``Retry-After``, in the specification's error shape."""

    def post(self, request: Request, *args, **kwargs) -> Response:
        data = request.data
        username = str(data.get(get_user_model().USERNAME_FIELD, "")) if isinstance(data, dict) else ""
        keys = throttle.credential_keys(request, username)
        wait = throttle.retry_after(keys)
        if wait is not None:
            raise exceptions.Throttled(wait, "too many failed logins")
        try:
            response = super().post(request, *args, **kwargs)
        except exceptions.AuthenticationFailed:
            throttle.record_failure(keys)
            raise
        throttle.clear_user(username)
        return response
