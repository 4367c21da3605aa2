"""CSRF protection that also accepts ``csrfmiddlewaretoken`` in the query string of a POST.

Old clients send the mutating calls' parameters in the query string; the token is accepted there too,
so switching such a call from GET to POST needs no other change on the client.
"""

from django.conf import settings
from django.middleware import csrf


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
