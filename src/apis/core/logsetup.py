"""Logging of every program of the project, from the environment: the console (stderr) always, a rotating
file with ``APIS_LOG_FILE``, text or JSON lines (``APIS_LOG_FORMAT``), and ingest tokens masked in every
handler (:class:`RedactFilter`).

Plain Python: Django's settings build ``LOGGING`` with :func:`logging_config`; the programs without Django
(``apis ccc``, ``apis emulator``) call :func:`configure_logging` once at start.

Each program writes its own file (``APIS_LOG_FILE=/var/log/apis/apis.log`` gives ``apis-serve.log``,
``apis-jobs.log``, …; or place ``{program}`` in the name yourself), so programs never rotate each other's
files. Several processes of one program (gunicorn workers, job runners side by side) share their file through
:class:`SharedRotatingFileHandler`, which writes and rotates under an exclusive lock.
"""

import copy
import fcntl
import json
import logging
import logging.config
import logging.handlers
import os
from datetime import UTC, datetime
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from apis.core.redact import redact
from apis.env import env_int, env_str

FORMATS = ("text", "json")
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
TEXT_FORMAT = "%(asctime)s %(levelname)s [%(process)d] %(name)s %(message)s"
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_BACKUPS = 5

_program = "apis"


def set_program(name: str) -> None:
    """Name the running program (``serve``, ``jobs``, ``logcollector``, ``ccc``…); it names its log file."""
    global _program
    _program = name


def program() -> str:
    """The running program's name (``apis`` until :func:`set_program` is called)."""
    return _program


def _redacted_request(request: object) -> object:
    """``request`` itself, or a shallow copy whose path and ``META`` have their tokens masked."""
    path, path_info = getattr(request, "path", ""), getattr(request, "path_info", "")
    meta = getattr(request, "META", {})
    texts = [path, path_info, *(value for value in meta.values() if isinstance(value, str))]
    if all(redact(text) == text for text in texts if isinstance(text, str)):
        return request
    masked = copy.copy(request)
    masked.path, masked.path_info = redact(path), redact(path_info)
    masked.META = {name: redact(value) if isinstance(value, str) else value for name, value in meta.items()}
    return masked


_NO_REQUEST = object()


class RedactFilter(logging.Filter):
    """Masks ingest tokens (:func:`apis.core.redact.redact`) in a record before a handler writes it: the
    formatted message, the traceback, the stack and, for Django's request loggers, the attached request's
    path and ``META``. Put on handlers (which see the records of every logger); a record is masked once,
    and keeps what it was for :func:`unmasked` (a handler that masks its whole output itself)."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        if hasattr(record, "apis_unmasked"):
            return True
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        request = getattr(record, "request", _NO_REQUEST)
        record.apis_unmasked = (record.msg, record.args, record.exc_text, record.stack_info, request)
        message = record.getMessage()
        masked = redact(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        if request is not _NO_REQUEST:
            record.request = _redacted_request(request)
        return True


def unmasked(record: logging.LogRecord) -> logging.LogRecord:
    """``record`` as it was logged, before a :class:`RedactFilter` masked it (a copy; or ``record`` itself
    when it was never masked). For handlers that mask their whole output once themselves."""
    if not hasattr(record, "apis_unmasked"):
        return record
    original = copy.copy(record)
    original.msg, original.args, original.exc_text, original.stack_info, request = record.apis_unmasked
    del original.apis_unmasked
    if request is not _NO_REQUEST:
        original.request = request
    return original


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``time`` (ISO 8601 UTC), ``level``, ``logger``, ``message``, ``process``
    and, when there is one, ``exception`` (the traceback text)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")[:-6] + "Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)


class SharedRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A size-rotated file that several processes append to: each record is written, and the file rotated
    when full, while holding an exclusive ``flock`` on ``<file>.lock``; a process whose file was rotated by
    another one reopens the new file first. The parent directory is created when missing."""

    def __init__(self, filename: str, maxBytes: int = DEFAULT_MAX_BYTES, backupCount: int = DEFAULT_BACKUPS):
        Path(filename).parent.mkdir(parents=True, exist_ok=True)
        super().__init__(filename, maxBytes=maxBytes, backupCount=backupCount, encoding="utf-8", delay=True)
        self.lock_path = self.baseFilename + ".lock"

    def _follow_rotation(self) -> None:
        if self.stream is None:
            return
        try:
            current = os.stat(self.baseFilename)
        except FileNotFoundError:
            current = None
        opened = os.fstat(self.stream.fileno())
        if current is None or (current.st_dev, current.st_ino) != (opened.st_dev, opened.st_ino):
            self.stream.close()
            self.stream = None

    def emit(self, record: logging.LogRecord) -> None:
        try:
            # Opened per record: a lock file inherited across fork would not exclude the other process.
            with open(self.lock_path, "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                self._follow_rotation()
                super().emit(record)
        except Exception:
            self.handleError(record)


def log_file(template: str, name: str) -> Path:
    """The file of program ``name`` for ``APIS_LOG_FILE=template``: ``{program}`` replaced, or the name
    added before the suffix (``/var/log/apis.log`` → ``/var/log/apis-serve.log``)."""
    if "{program}" in template:
        return Path(template.replace("{program}", name))
    path = Path(template)
    return path.with_name(f"{path.stem}-{name}{path.suffix}")


def _choice(name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = env_str(name, default)
    normalised = value.upper() if name.endswith("LEVEL") else value.lower()
    if normalised not in allowed:
        raise ImproperlyConfigured(f"{name}={value!r} is not valid: expected one of {', '.join(allowed)}")
    return normalised


def file_handler(name: str) -> SharedRotatingFileHandler:
    """The rotating log file of program ``name`` (``APIS_LOG_FILE`` must be set), without formatter."""
    return SharedRotatingFileHandler(
        str(log_file(env_str("APIS_LOG_FILE"), name)),
        maxBytes=env_int("APIS_LOG_MAX_BYTES", DEFAULT_MAX_BYTES),
        backupCount=env_int("APIS_LOG_BACKUPS", DEFAULT_BACKUPS),
    )


def formatter() -> logging.Formatter:
    """The formatter of ``APIS_LOG_FORMAT`` (``text`` or ``json``)."""
    if _choice("APIS_LOG_FORMAT", "text", FORMATS) == "json":
        return JsonFormatter()
    return logging.Formatter(TEXT_FORMAT)


def logging_config(name: str, *, mail_admins: bool = False) -> dict:
    """The ``logging.config.dictConfig`` dictionary of program ``name``, from the environment:
    ``APIS_LOG_LEVEL`` (root), ``APIS_DJANGO_LOG_LEVEL`` (Django's loggers), ``APIS_LOG_FORMAT``,
    ``APIS_LOG_FILE`` (with ``APIS_LOG_MAX_BYTES``, ``APIS_LOG_BACKUPS``). ``mail_admins`` (Django only)
    adds the mail to ``ADMINS`` on errors of Django's loggers (server errors), redacted like the rest."""
    common = {"formatter": _choice("APIS_LOG_FORMAT", "text", FORMATS), "filters": ["redact"]}
    filters: dict[str, dict] = {"redact": {"()": "apis.core.logsetup.RedactFilter"}}
    handlers: dict[str, dict] = {"console": {"class": "logging.StreamHandler", **common}}
    if env_str("APIS_LOG_FILE"):
        handlers["file"] = {"()": "apis.core.logsetup.file_handler", "name": name, **common}
    root_handlers = list(handlers)
    if mail_admins:
        filters["require_debug_false"] = {"()": "django.utils.log.RequireDebugFalse"}
        handlers["mail_admins"] = {  # masks the whole mail itself
            "class": "apis.core.errormail.RedactingAdminEmailHandler",
            "level": "ERROR",
            "filters": ["require_debug_false"],
        }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": filters,
        "formatters": {"text": {"format": TEXT_FORMAT}, "json": {"()": "apis.core.logsetup.JsonFormatter"}},
        "handlers": handlers,
        "root": {"handlers": root_handlers, "level": _choice("APIS_LOG_LEVEL", "INFO", LEVELS)},
        "loggers": {
            # Django's own handlers (console in DEBUG, its unredacted mail) are replaced by ours.
            "django": {
                "level": _choice("APIS_DJANGO_LOG_LEVEL", "WARNING", LEVELS),
                "handlers": ["mail_admins"] if mail_admins else [],
            },
            "django.server": {"level": "INFO", "handlers": [], "propagate": True},
        },
    }


def configure_logging(name: str) -> None:
    """Configure logging for program ``name`` (a program without Django: ``apis ccc``, ``apis emulator``)."""
    set_program(name)
    logging.config.dictConfig(logging_config(name))
