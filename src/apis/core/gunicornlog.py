"""gunicorn's logger for ``apis serve`` (its ``logger_class``): ingest tokens masked in the access log and
the error log, the access log's client address (``%(h)s``) resolved through the trusted proxies, and
gunicorn's error log also written to the ``serve`` log file when ``APIS_LOG_FILE`` is set."""

from gunicorn import glogging

from apis.core import logsetup
from apis.core.clientaddr import FORWARDED_FOR, forwarded_client, parse_networks
from apis.env import env_str


class RedactingLogger(glogging.Logger):
    """``gunicorn.glogging.Logger`` with every handler of its two loggers behind a
    :class:`~apis.core.logsetup.RedactFilter`: the request line, path, query and headers of a request are
    masked wherever gunicorn writes them."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        self.trusted_proxies = parse_networks(cfg.forwarded_allow_ips)  # set from APIS_TRUSTED_PROXIES
        if env_str("APIS_LOG_FILE"):
            shared = logsetup.file_handler(logsetup.program())
            shared.setFormatter(logsetup.formatter())
            shared._gunicorn = True  # replaced, not stacked, when gunicorn reloads its configuration
            self.error_log.addHandler(shared)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                if not any(isinstance(existing, logsetup.RedactFilter) for existing in handler.filters):
                    handler.addFilter(logsetup.RedactFilter())

    def atoms(self, resp, req, environ, request_time) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        remote = environ.get("REMOTE_ADDR", "-")
        atoms["h"] = forwarded_client(remote, environ.get(FORWARDED_FOR, ""), self.trusted_proxies)
        return atoms
