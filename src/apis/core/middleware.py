"""CSRF protection that also accepts ``csrfmiddlewaretoken`` in the query string of a POST.

Old clients send the mutating calls' parameters in the query string; the token is accepted there too,
so switching such a call from GET to POST needs no other change on the client.
"""

from django.conf import settings
from django.middleware import csrf

from apis.core.http import bad_request


class CsrfViewMiddleware(csrf.CsrfViewMiddleware):
    def process_view(self, request, callback, callback_args, callback_kwargs):
        if (
            request.method == "POST"
            and settings.CSRF_HEADER_NAME not in request.META
            and "csrfmiddlewaretoken" in request.GET
            and "csrfmiddlewaretoken" not in request.POST
        ):
            request.META[settings.CSRF_HEADER_NAME] = request.GET["csrfmiddlewaretoken"]
        return super().process_view(request, callback, callback_args, callback_kwargs)


class RejectNulMiddleware:
    """A NUL character in a request parameter is a 400: PostgreSQL text cannot hold one (else a 500)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        sources = (request.GET, request.POST) if request.method == "POST" else (request.GET,)
        for source in sources:
            for name, values in source.lists():
                if any("\x00" in value for value in values):
                    return bad_request(f"bad param values : {name}")
        return self.get_response(request)
