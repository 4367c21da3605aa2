"""Server-error mail to ``APIS_ADMINS`` without secrets: Django's ``mail_admins`` handler with ingest tokens
masked in the subject and both bodies, and error reports that hide local variables named like secrets."""

import logging

from django.utils.log import AdminEmailHandler
from django.views.debug import SafeExceptionReporterFilter

from apis.core.logsetup import unmasked
from apis.core.redact import redact


class RedactingAdminEmailHandler(AdminEmailHandler):
    """Django's ``AdminEmailHandler``; the mail is masked as a whole, once, so that every path in the report
    (the request's ``repr`` among a frame's variables, ``META``, exception messages) is masked too. It builds
    the mail from the record as it was logged, whether or not another handler masked it already."""

    def emit(self, record: logging.LogRecord) -> None:
        super().emit(unmasked(record))

    def send_mail(self, subject: str, message: str, *args, **kwargs) -> None:
        if kwargs.get("html_message"):
            kwargs["html_message"] = redact(kwargs["html_message"])
        super().send_mail(redact(subject), redact(message), *args, **kwargs)


class SecretHidingReporterFilter(SafeExceptionReporterFilter):
    """Error reports (mail, the debug page) also hide the local variables whose name looks secret
    (``token``, ``password``, ``api_key``…: the names Django hides among the settings), not only those
    marked with ``@sensitive_variables``."""

    def get_traceback_frame_variables(self, request, tb_frame) -> list[tuple[str, object]]:
        variables = super().get_traceback_frame_variables(request, tb_frame)
        return [
            (name, self.cleansed_substitute if self.hidden_settings.search(name) else value)
            for name, value in variables
        ]
