"""The production web server: the Django application under gunicorn, for ``apis serve`` and ``apis demo``."""

import os

from apis.core import logsetup


def serve(bind: str, workers: int, threads: int = 4) -> None:
    """Serve the web application with gunicorn (the production server).

    Threaded workers (``gthread``): a worker's main loop keeps answering gunicorn's heartbeat while a thread
    streams a long download (a sync worker would be killed after ``timeout`` seconds), slow clients do not
    hold a whole process, and idle keep-alive connections cost nothing.

    gunicorn trusts the scheme headers (``X-Forwarded-Proto``) of ``APIS_TRUSTED_PROXIES`` only, as Django
    does; its access log (``APIS_ACCESS_LOG``) and error log mask ingest tokens (``RedactingLogger``)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "apis.settings")
    from gunicorn.app.base import BaseApplication

    from apis.core.clientaddr import parse_networks
    from apis.env import env_list

    logsetup.set_program("serve")
    proxies = ",".join(str(network) for network in parse_networks(env_list("APIS_TRUSTED_PROXIES")))

    class Server(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", [bind])
            self.cfg.set("workers", workers)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("threads", threads)
            self.cfg.set("accesslog", os.environ.get("APIS_ACCESS_LOG") or None)
            self.cfg.set("logger_class", "apis.core.gunicornlog.RedactingLogger")
            self.cfg.set("forwarded_allow_ips", proxies)
            self.cfg.set("timeout", 120)

        def load(self):
            from apis.wsgi import application

            return application

    Server().run()
