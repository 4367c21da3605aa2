"""The admin login, throttled like every other login (the users' admin is ``apis.community.admin``)."""

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.views.decorators.debug import sensitive_variables

from apis.core import throttle


class ThrottledAdminAuthenticationForm(AdminAuthenticationForm):
    """Django's admin login form, counting failed checks against the identity and the client address
    (``apis.core.throttle``); while a counter is over its limit even the right password is refused."""

    retry_after: int | None = None

    @sensitive_variables()
    def clean(self) -> dict:
        keys = throttle.credential_keys(self.request, self.data.get("username", ""))
        self.retry_after = throttle.retry_after(keys)
        if self.retry_after is not None:
            raise ValidationError(
                f"Too many failed login attempts. Try again in {self.retry_after} seconds.", code="throttled"
            )
        try:
            cleaned = super().clean()
        except ValidationError:
            if self.user_cache is None:  # a wrong password, not a right one of a non-staff user
                throttle.record_failure(keys)
            raise
        if self.user_cache is not None:
            throttle.clear_failures(self.user_cache)
        return cleaned


admin.site.login_form = ThrottledAdminAuthenticationForm


def login(request: HttpRequest) -> HttpResponse:
    """``/admin/login/``: Django's admin login page; while throttled the page says so, with status 429 and
    ``Retry-After``."""
    response = admin.site.login(request)
    form = (getattr(response, "context_data", None) or {}).get("form")
    wait = getattr(form, "retry_after", None)
    if wait is not None:
        response.status_code = 429
        response["Retry-After"] = str(wait)
    return response
