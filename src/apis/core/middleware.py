"""Request middleware: forwarded headers only from trusted proxies, the CSRF token of old clients'
query strings (legacy mode only), NUL characters refused."""

from django.conf import settings

from apis.core.clientaddr import is_from_trusted_proxy
from apis.core.errorpages import refusal


class TrustedProxyMiddleware:
    """The scheme header of a TLS-terminating proxy (``SECURE_PROXY_SSL_HEADER``) is believed only from a
    trusted proxy (``APIS_TRUSTED_PROXIES``): from anyone else it is dropped before Django reads it, so a
    client that reaches the server directly cannot claim https. First in the middleware list."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        header = settings.SECURE_PROXY_SSL_HEADER
        if header and header[0] in request.META and not is_from_trusted_proxy(request):
            del request.META[header[0]]
        return self.get_response(request)


class LegacyCsrfQueryMiddleware:
    """Django's CSRF check reads the token from the form body or the ``X-CSRFToken`` header only. Under
    ``APIS_LEGACY_COMPAT`` a POST may carry ``csrfmiddlewaretoken`` in the query string too, as old clients
    send the mutating calls' parameters there: it is handed to the check as the header. Never by default,
    as a token in a URL lands in access logs and ``Referer`` headers. Just before Django's
    ``CsrfViewMiddleware``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, callback, callback_args, callback_kwargs) -> None:
        if (
            settings.LEGACY_COMPAT
            and request.method == "POST"
            and settings.CSRF_HEADER_NAME not in request.META
            and "csrfmiddlewaretoken" in request.GET
            and "csrfmiddlewaretoken" not in request.POST
        ):
            request.META[settings.CSRF_HEADER_NAME] = request.GET["csrfmiddlewaretoken"]


class RejectNulMiddleware:
    """A NUL character in a request parameter is a 400: PostgreSQL text cannot hold one (else a 500). In the
    error shape of the path (the ESS JSON under the ESS API)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        sources = (request.GET, request.POST) if request.method == "POST" else (request.GET,)
        for source in sources:
            for name, values in source.lists():
                if any("\x00" in value for value in values):
                    return refusal(request, 400, "Value Error", f"bad param values : {name}")
        return self.get_response(request)
