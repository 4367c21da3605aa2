"""The one settings module: every value comes from an ``APIS_*`` environment variable or a safe default."""

import json
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import validate_email

from apis.core import logsetup
from apis.core.clientaddr import parse_networks
from apis.core.secretkey import installation_secret
from apis.env import env_bool, env_int, env_list, env_str
from apis.web.prefix import url_prefix


def _read_json(name: str) -> dict:
    """A JSON-object variable (``{}`` when unset); anything else is a configuration error."""
    raw = env_str(name, "{}")
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise ImproperlyConfigured(f"{name} must be a JSON object")
    return value


BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(env_str("APIS_VAR_DIR", str(Path.cwd() / "var")))

DEBUG = env_bool("APIS_DEBUG", False)
SECRET_KEY = env_str("APIS_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("APIS_SECRET_KEY must be set (or APIS_DEBUG=1 for development)")
    # Development: a random key of this installation, generated once and kept in APIS_VAR_DIR/secret_key.
    SECRET_KEY = installation_secret(VAR_DIR)
ALLOWED_HOSTS = env_list("APIS_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("APIS_CSRF_TRUSTED_ORIGINS")

# Compatibility switch for old clients: GET for the mutating calls and the raw session id in session JSON.
LEGACY_COMPAT = env_bool("APIS_LEGACY_COMPAT", False)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "apis.core",
    "apis.jobs",
    "apis.community",
    "apis.unit_data",
    "apis.deal",
    "apis.scenario",
    "apis.ingest",
    "apis.apis_log",
    "apis.monitoring",
    "apis.downtime",
    "apis.rollup",
    "apis.demo",
    "apis.web",
    "apis.ess",
    "apis.importer",
    "rest_framework",
    "rest_framework_simplejwt",
    "drf_spectacular",
    "drf_spectacular_sidecar",
]

MIDDLEWARE = [
    "apis.core.middleware.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "apis.core.middleware.RejectNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "apis.core.middleware.LegacyCsrfQueryMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "apis.urls"
WSGI_APPLICATION = "apis.wsgi.application"
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def _database(url: str) -> dict:
    config = dj_database_url.parse(url, conn_max_age=env_int("APIS_DB_CONN_MAX_AGE", 60))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets the web server, the job runners and the collectors share the file; writers wait
        # for the lock instead of failing, and take it at BEGIN so they never deadlock on upgrade.
        config["OPTIONS"] = {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        }
        Path(config["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    else:
        config["CONN_HEALTH_CHECKS"] = True
    return config


DATABASE_URL = env_str("APIS_DATABASE_URL", f"sqlite:///{VAR_DIR / 'apis.sqlite3'}")
DATABASES = {"default": _database(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
USE_I18N = False
USE_TZ = True
# Django renders admin times in the operators' zone; the database and the API use UTC.
# Zone of APIS local time strings without an offset (``yyyy/MM/dd-HH:mm:ss``) and of e-mail times.
APIS_TIME_ZONE = env_str("APIS_TIME_ZONE", "Asia/Tokyo")
TIME_ZONE = APIS_TIME_ZONE

# Sub-path deployment (APIS_URL_PREFIX, e.g. /sc): the URLconf mounts the whole site under it, static files
# and the cookies follow it (two installations on one host keep their own sessions).
try:
    URL_PREFIX = url_prefix(env_str("APIS_URL_PREFIX"))
except ValueError as exc:
    raise ImproperlyConfigured(f"APIS_URL_PREFIX: {exc}") from None
STATIC_URL = env_str("APIS_STATIC_URL", f"{URL_PREFIX}/static/")
SESSION_COOKIE_PATH = CSRF_COOKIE_PATH = URL_PREFIX or "/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise serves from the finders until collectstatic
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("APIS_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_FAILURE_VIEW = "apis.core.views.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"  # no page of ours frames another
# HTTPS deployments: HSTS (off until APIS_HSTS_SECONDS is set) and the redirect of http to https.
SECURE_HSTS_SECONDS = env_int("APIS_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("APIS_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("APIS_HSTS_PRELOAD", False)
SECURE_SSL_REDIRECT = env_bool("APIS_SSL_REDIRECT", False)

# Reverse proxies (addresses or CIDR ranges) whose X-Forwarded-For and X-Forwarded-Proto are believed;
# without them both headers are ignored (see apis.core.clientaddr and TrustedProxyMiddleware).
try:
    TRUSTED_PROXIES = parse_networks(env_list("APIS_TRUSTED_PROXIES"))
except ValueError as exc:
    raise ImproperlyConfigured(f"APIS_TRUSTED_PROXIES: {exc}") from None
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUSTED_PROXIES else None

# Ingest: the largest accepted request body of /api/ccc/* (bytes).
INGEST_MAX_BODY_BYTES = env_int("APIS_INGEST_MAX_BODY_BYTES", 8 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = max(2_621_440, INGEST_MAX_BODY_BYTES)
# Report items that could not be stored are kept this many days for staff (deleted by ``apis jobs``).
INGEST_REJECTED_RETENTION_DAYS = env_int("APIS_INGEST_REJECTED_RETENTION_DAYS", 30)

# Deals reported within this many seconds and not deactivated are "live" (the original's 300 s).
DEAL_LIVE_TOLERANCE_SEC = env_int("APIS_DEAL_LIVE_TOLERANCE_SEC", 300)

# Throttling of failed logins and of the credential-carrying misc endpoints.
LOGIN_FAILURE_LIMIT = env_int("APIS_LOGIN_FAILURE_LIMIT", 10)
LOGIN_FAILURE_WINDOW_SEC = env_int("APIS_LOGIN_FAILURE_WINDOW_SEC", 300)

# Monitoring (``apis jobs``): the six job types of the original, each with its own interval.
MONITORING_JOB_TYPES = (
    "apis_main_alive",
    "apis_ccc_alive",
    "grid_master_alive",
    "apis_main_severe",
    "apis_ccc_severe",
    "apis_log_severe",
)
MONITORING_INTERVAL_SEC = env_int("APIS_MONITORING_INTERVAL_SEC", 60)
# Per-type override: APIS_MONITORING_INTERVAL_SEC_APIS_MAIN_ALIVE=300 and so on.
MONITORING_INTERVALS = {
    job_type: env_int(f"APIS_MONITORING_INTERVAL_SEC_{job_type.upper()}", MONITORING_INTERVAL_SEC)
    for job_type in MONITORING_JOB_TYPES
}
THREAD_BLOCKING_LIMIT_MSEC = env_int("APIS_THREAD_BLOCKING_LIMIT_MSEC", 300_000)

# Downtime extraction and log retention (also run by ``apis jobs``).
DOWNTIME_INTERVAL_SEC = env_int("APIS_DOWNTIME_INTERVAL_SEC", 300)
DATA_LOSS_TOLERANCE_SEC = env_int("APIS_DATA_LOSS_TOLERANCE_SEC", 120)
# The rollups of unit data (5 minutes, 1 hour, 1 day), also run by ``apis jobs``.
ROLLUP_INTERVAL_SEC = env_int("APIS_ROLLUP_INTERVAL_SEC", 60)
LOG_RETENTION_DAYS = env_int("APIS_LOG_RETENTION_DAYS", 365)
# Retention of the telemetry, in days (0: kept for ever), applied by the ``log_retention`` job: raw unit
# data, then the 5-minute, hourly and daily rollups.
RETENTION_RAW_DAYS = env_int("APIS_RETENTION_RAW_DAYS", 90)
RETENTION_5MIN_DAYS = env_int("APIS_RETENTION_5MIN_DAYS", 730)
RETENTION_HOURLY_DAYS = env_int("APIS_RETENTION_HOURLY_DAYS", 0)
RETENTION_DAILY_DAYS = env_int("APIS_RETENTION_DAILY_DAYS", 0)
for _name, _days in (
    ("APIS_RETENTION_RAW_DAYS", RETENTION_RAW_DAYS),
    ("APIS_RETENTION_5MIN_DAYS", RETENTION_5MIN_DAYS),
    ("APIS_RETENTION_HOURLY_DAYS", RETENTION_HOURLY_DAYS),
    ("APIS_RETENTION_DAILY_DAYS", RETENTION_DAILY_DAYS),
):
    if _days < 0:
        raise ImproperlyConfigured(f"{_name} must be 0 (keep for ever) or a positive number of days: {_days}")
# A log line dated further than this from its receipt is stored at the edge of that window, and the
# monitoring look-back ignores lines dated later than now plus this.
LOG_CLOCK_SKEW_SEC = env_int("APIS_LOG_CLOCK_SKEW_SEC", 120)
if not 0 <= LOG_CLOCK_SKEW_SEC <= 366 * 86400:
    raise ImproperlyConfigured("APIS_LOG_CLOCK_SKEW_SEC must be between 0 and 31622400 (one year)")

# Failure notification e-mail.
NOTIFY_TO = env_list("APIS_NOTIFY_TO", ["nobody@example.com"])
NOTIFY_FROM = env_str("APIS_NOTIFY_FROM", "apis-service-center@localhost")
DEFAULT_FROM_EMAIL = NOTIFY_FROM
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = env_str("APIS_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("APIS_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("APIS_EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("APIS_EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("APIS_EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("APIS_EMAIL_TIMEOUT_SEC", 30)

# ESS dataset distribution (``/api/ess/``): operating sites as JSON {"1": {"name": ..., "url": ...}, ...},
# each an SQLite file or a PostgreSQL URL, opened read-only.
ESS_SITES = _read_json("APIS_ESS_SITES")
ESS_TIME_ZONE = env_str("APIS_ESS_TIME_ZONE", "Asia/Seoul")
ESS_SCHEMA_TTL_SEC = env_int("APIS_ESS_SCHEMA_TTL_SEC", 60)
ESS_PAGE_SIZE = env_int("APIS_ESS_PAGE_SIZE", 100)
ESS_MAX_PAGE_SIZE = env_int("APIS_ESS_MAX_PAGE_SIZE", 10_000)
# Cost bounds: seconds per page/count statement (0: none), buckets of a resampled JSON range, and how long
# a page-number count is reused for the following pages of the same selection.
ESS_STATEMENT_TIMEOUT_SEC = env_int("APIS_ESS_STATEMENT_TIMEOUT_SEC", 10)
ESS_MAX_BUCKETS = env_int("APIS_ESS_MAX_BUCKETS", 10_000)
ESS_COUNT_TTL_SEC = env_int("APIS_ESS_COUNT_TTL_SEC", 60)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": (
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "apis.ess.auth.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ),
    "DEFAULT_PERMISSION_CLASSES": ("rest_framework.permissions.IsAuthenticated",),
    "DEFAULT_THROTTLE_RATES": {"ess": env_str("APIS_ESS_THROTTLE_RATE", "600/min")},
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "apis.ess.errors.exception_handler",
    "DEFAULT_PARSER_CLASSES": (  # bounded: JSON nesting and numbers (jsonlimits), multipart size
        "apis.ess.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "apis.ess.parsers.BoundedMultiPartParser",
    ),
    "URL_FORMAT_OVERRIDE": None,  # ``format`` is the download's own parameter (csv or parquet)
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("APIS_JWT_ACCESS_MINUTES", 30)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("APIS_JWT_REFRESH_DAYS", 1)),
    "SIGNING_KEY": env_str("APIS_JWT_SIGNING_KEY") or SECRET_KEY,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "APIS Service Center API",
    "DESCRIPTION": (
        "The whole HTTP API of the APIS Service Center: the original's session, staff, resident and misc "
        "calls (errors as text/plain messages), the apis-ccc ingest endpoints (Bearer ingest token), and the "
        "ESS dataset API (JWT, API key or session; errors as JSON). Mutating session calls need CSRF."
    ),
    "VERSION": "1.0",
    # The plain Django views (all but the ESS API and the JWT endpoints), described from their decorators.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "apis.core.openapi.add_plain_views",
    ],
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}


def _mail_addresses(name: str) -> list[str]:
    """A comma-separated list of e-mail addresses; a malformed one is a configuration error."""
    addresses = env_list(name)
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError:
            raise ImproperlyConfigured(f"{name}: not an e-mail address: {address!r}") from None
    return addresses


# Server errors are mailed to APIS_ADMINS (Django's mail_admins); every log handler masks ingest tokens.
ADMINS = [(address, address) for address in _mail_addresses("APIS_ADMINS")]
SERVER_EMAIL = NOTIFY_FROM
EMAIL_SUBJECT_PREFIX = "[APIS Service Center] "
DEFAULT_EXCEPTION_REPORTER_FILTER = "apis.core.errormail.SecretHidingReporterFilter"
LOGGING = logsetup.logging_config(logsetup.program(), mail_admins=bool(ADMINS))
