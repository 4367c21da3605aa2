"""Every ``APIS_*`` variable of the README has its effect: a process started with each set to a value other
than its default derives the Django settings that value asks for, and a process without them does not."""

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import apis_env, sqlite_env

ROOT = Path(__file__).resolve().parents[1]
TMP = "{tmp}"  # in values and expectations: the directory of the configured run
SECRET = "settings-env-test-secret-key-" + "s" * 40
MISSING = object()

# variable: (the value it is given, {dotted path into the derived settings: the value that path must have}).
# ``logging.*`` paths are the live logging configuration after ``django.setup()``, not a setting.
EFFECTS: dict[str, tuple[str, dict[str, object]]] = {
    "APIS_ADMINS": (
        "ops@example.org, dev@example.org",
        {
            "ADMINS": [["ops@example.org", "ops@example.org"], ["dev@example.org", "dev@example.org"]],
            "logging.django_handlers": ["RedactingAdminEmailHandler"],
        },
    ),
    "APIS_ALLOWED_HOSTS": (
        "sc.example.org,apis.internal",
        {"ALLOWED_HOSTS": ["sc.example.org", "apis.internal"]},
    ),
    "APIS_CSRF_TRUSTED_ORIGINS": (
        "https://sc.example.org",
        {"CSRF_TRUSTED_ORIGINS": ["https://sc.example.org"]},
    ),
    "APIS_DATABASE_URL": (
        "postgresql://apis:db-password@db.example.org:5433/sc",
        {
            "DATABASES.default.ENGINE": "django.db.backends.postgresql",
            "DATABASES.default.HOST": "db.example.org",
            "DATABASES.default.PORT": 5433,
            "DATABASES.default.NAME": "sc",
            "DATABASES.default.CONN_HEALTH_CHECKS": True,
        },
    ),
    "APIS_DB_CONN_MAX_AGE": ("17", {"DATABASES.default.CONN_MAX_AGE": 17}),
    "APIS_DATA_LOSS_TOLERANCE_SEC": ("150", {"DATA_LOSS_TOLERANCE_SEC": 150}),
    "APIS_DEAL_LIVE_TOLERANCE_SEC": ("200", {"DEAL_LIVE_TOLERANCE_SEC": 200}),
    "APIS_DEBUG": ("1", {"DEBUG": True, "WHITENOISE_AUTOREFRESH": True}),
    "APIS_DJANGO_LOG_LEVEL": ("ERROR", {"logging.django_level": "ERROR"}),
    "APIS_DOWNTIME_INTERVAL_SEC": ("450", {"DOWNTIME_INTERVAL_SEC": 450}),
    "APIS_EMAIL_HOST": ("mail.example.org", {"EMAIL_HOST": "mail.example.org"}),
    "APIS_EMAIL_HOST_PASSWORD": ("mail-password", {"EMAIL_HOST_PASSWORD": "mail-password"}),
    "APIS_EMAIL_HOST_USER": ("mailer", {"EMAIL_HOST_USER": "mailer"}),
    "APIS_EMAIL_PORT": ("2525", {"EMAIL_PORT": 2525}),
    "APIS_EMAIL_TIMEOUT_SEC": ("7", {"EMAIL_TIMEOUT": 7}),
    "APIS_EMAIL_USE_TLS": ("1", {"EMAIL_USE_TLS": True}),
    "APIS_ESS_COUNT_TTL_SEC": ("11", {"ESS_COUNT_TTL_SEC": 11}),
    "APIS_ESS_MAX_BUCKETS": ("500", {"ESS_MAX_BUCKETS": 500}),
    "APIS_ESS_MAX_PAGE_SIZE": ("2000", {"ESS_MAX_PAGE_SIZE": 2000}),
    "APIS_ESS_PAGE_SIZE": ("25", {"ESS_PAGE_SIZE": 25}),
    "APIS_ESS_SCHEMA_TTL_SEC": ("5", {"ESS_SCHEMA_TTL_SEC": 5}),
    "APIS_ESS_SITES": (
        '{"1": {"name": "north", "url": "{tmp}/north.sqlite3"}}',
        {"ESS_SITES": {"1": {"name": "north", "url": "{tmp}/north.sqlite3"}}},
    ),
    "APIS_ESS_STATEMENT_TIMEOUT_SEC": ("3", {"ESS_STATEMENT_TIMEOUT_SEC": 3}),
    "APIS_ESS_THROTTLE_RATE": ("5/min", {"REST_FRAMEWORK.DEFAULT_THROTTLE_RATES.ess": "5/min"}),
    "APIS_ESS_TIME_ZONE": ("Europe/Berlin", {"ESS_TIME_ZONE": "Europe/Berlin"}),
    "APIS_HSTS_INCLUDE_SUBDOMAINS": ("0", {"SECURE_HSTS_INCLUDE_SUBDOMAINS": False}),
    "APIS_HSTS_PRELOAD": ("1", {"SECURE_HSTS_PRELOAD": True}),
    "APIS_HSTS_SECONDS": ("3600", {"SECURE_HSTS_SECONDS": 3600}),
    "APIS_INGEST_MAX_BODY_BYTES": (
        "5000000",
        {"INGEST_MAX_BODY_BYTES": 5_000_000, "DATA_UPLOAD_MAX_MEMORY_SIZE": 5_000_000},
    ),
    "APIS_INGEST_REJECTED_RETENTION_DAYS": ("9", {"INGEST_REJECTED_RETENTION_DAYS": 9}),
    "APIS_JWT_ACCESS_MINUTES": ("7", {"SIMPLE_JWT.ACCESS_TOKEN_LIFETIME": 7 * 60}),
    "APIS_JWT_REFRESH_DAYS": ("3", {"SIMPLE_JWT.REFRESH_TOKEN_LIFETIME": 3 * 86400}),
    "APIS_JWT_SIGNING_KEY": (
        "jwt-signing-key-" + "j" * 40,
        {"SIMPLE_JWT.SIGNING_KEY": "jwt-signing-key-" + "j" * 40},
    ),
    "APIS_LEGACY_COMPAT": ("1", {"LEGACY_COMPAT": True}),
    "APIS_LOGIN_FAILURE_LIMIT": ("4", {"LOGIN_FAILURE_LIMIT": 4}),
    "APIS_LOGIN_FAILURE_WINDOW_SEC": ("90", {"LOGIN_FAILURE_WINDOW_SEC": 90}),
    "APIS_LOG_BACKUPS": ("2", {"logging.files.0.backups": 2}),
    "APIS_LOG_CLOCK_SKEW_SEC": ("30", {"LOG_CLOCK_SKEW_SEC": 30}),
    "APIS_LOG_FILE": ("{tmp}/logs/sc.log", {"logging.files.0.file": "{tmp}/logs/sc-apis.log"}),
    "APIS_LOG_FORMAT": ("json", {"logging.formatters": ["JsonFormatter"]}),
    "APIS_LOG_LEVEL": ("WARNING", {"logging.root_level": "WARNING"}),
    "APIS_LOG_MAX_BYTES": ("12345", {"logging.files.0.max_bytes": 12345}),
    "APIS_LOG_RETENTION_DAYS": ("40", {"LOG_RETENTION_DAYS": 40}),
    "APIS_MONITORING_INTERVAL_SEC": (
        "45",
        {"MONITORING_INTERVAL_SEC": 45, "MONITORING_INTERVALS.apis_log_severe": 45},
    ),
    "APIS_MONITORING_INTERVAL_SEC_APIS_MAIN_ALIVE": (
        "300",
        {
            "MONITORING_INTERVALS": {
                "apis_main_alive": 300,
                "apis_ccc_alive": 45,
                "grid_master_alive": 45,
                "apis_main_severe": 45,
                "apis_ccc_severe": 45,
                "apis_log_severe": 45,
            }
        },
    ),
    "APIS_NOTIFY_FROM": (
        "apis@example.org",
        {
            "NOTIFY_FROM": "apis@example.org",
            "DEFAULT_FROM_EMAIL": "apis@example.org",
            "SERVER_EMAIL": "apis@example.org",
        },
    ),
    "APIS_NOTIFY_TO": (
        "ops@example.org, oncall@example.org",
        {"NOTIFY_TO": ["ops@example.org", "oncall@example.org"]},
    ),
    "APIS_ROLLUP_INTERVAL_SEC": ("90", {"ROLLUP_INTERVAL_SEC": 90}),
    "APIS_RETENTION_5MIN_DAYS": ("400", {"RETENTION_5MIN_DAYS": 400}),
    "APIS_RETENTION_DAILY_DAYS": ("3650", {"RETENTION_DAILY_DAYS": 3650}),
    "APIS_RETENTION_HOURLY_DAYS": ("1000", {"RETENTION_HOURLY_DAYS": 1000}),
    "APIS_RETENTION_RAW_DAYS": ("30", {"RETENTION_RAW_DAYS": 30}),
    "APIS_SECRET_KEY": (SECRET, {"SECRET_KEY": SECRET}),
    "APIS_SECURE_COOKIES": ("1", {"SESSION_COOKIE_SECURE": True, "CSRF_COOKIE_SECURE": True}),
    "APIS_SSL_REDIRECT": ("1", {"SECURE_SSL_REDIRECT": True}),
    "APIS_STATIC_URL": ("https://static.example.org/sc/", {"STATIC_URL": "https://static.example.org/sc/"}),
    "APIS_THREAD_BLOCKING_LIMIT_MSEC": ("5000", {"THREAD_BLOCKING_LIMIT_MSEC": 5000}),
    "APIS_TIME_ZONE": ("Europe/Paris", {"APIS_TIME_ZONE": "Europe/Paris", "TIME_ZONE": "Europe/Paris"}),
    "APIS_TRUSTED_PROXIES": (
        "10.0.0.5, 192.0.2.0/24",
        {
            "TRUSTED_PROXIES": ["10.0.0.5/32", "192.0.2.0/24"],
            "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        },
    ),
    "APIS_URL_PREFIX": (
        "/sc",
        {"URL_PREFIX": "/sc", "SESSION_COOKIE_PATH": "/sc", "CSRF_COOKIE_PATH": "/sc"},
    ),
    "APIS_VAR_DIR": ("{tmp}/var", {"VAR_DIR": "{tmp}/var", "STATIC_ROOT": "{tmp}/var/static"}),
}

FUZZ_SEED_TEST = "test_apis_fuzz_seed_seeds_the_fuzzer_and_is_named_in_its_summary"
# Variables read by a program itself rather than by ``apis.settings``: the test proving each.
PROGRAM_TESTS = {
    "APIS_ACCESS_LOG": (
        "tests/test_logging.py::test_an_ingest_token_in_the_path_is_masked_in_every_log_of_the_server"
    ),
    "APIS_FUZZ_SEED": f"tests/test_settings_env.py::{FUZZ_SEED_TEST}",
}

# Prints the named settings and the live logging configuration as JSON (durations in seconds).
SHOW = """
import json, logging, sys
from datetime import timedelta
import django
django.setup()
from django.conf import settings
root, django_logger = logging.getLogger(), logging.getLogger("django")
observed = {name: getattr(settings, name) for name in sys.argv[1:]}
observed["logging"] = {
    "root_level": logging.getLevelName(root.level),
    "django_level": logging.getLevelName(django_logger.level),
    "django_handlers": [type(handler).__name__ for handler in django_logger.handlers],
    "formatters": sorted({type(handler.formatter).__name__ for handler in root.handlers}),
    "files": [
        {"file": h.baseFilename, "max_bytes": h.maxBytes, "backups": h.backupCount}
        for h in root.handlers if hasattr(h, "baseFilename")
    ],
}
print(json.dumps(observed, default=lambda v: v.total_seconds() if isinstance(v, timedelta) else str(v)))
"""


def filled(value, directory: Path):
    """``value`` with ``{tmp}`` replaced by ``directory`` in every string it holds."""
    if isinstance(value, str):
        return value.replace(TMP, str(directory))
    if isinstance(value, dict):
        return {key: filled(item, directory) for key, item in value.items()}
    if isinstance(value, list):
        return [filled(item, directory) for item in value]
    return value


def lookup(observed: dict, path: str):
    """The value at the dotted ``path`` (list items by index), ``MISSING`` when there is none."""
    node = observed
    for part in path.split("."):
        try:
            node = node[int(part)] if isinstance(node, list) else node[part]
        except (KeyError, IndexError):
            return MISSING
    return node


def show_settings(env: dict[str, str], cwd: Path) -> dict:
    names = sorted({path.split(".")[0] for _, effects in EFFECTS.values() for path in effects} - {"logging"})
    result = subprocess.run(
        [sys.executable, "-c", SHOW, *names],
        env=env | {"DJANGO_SETTINGS_MODULE": "apis.settings"},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def configured_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("configured")


@pytest.fixture(scope="module")
def configured(configured_dir) -> dict:
    """The settings of a process with every variable of ``EFFECTS`` set."""
    values = {name: filled(value, configured_dir) for name, (value, _) in EFFECTS.items()}
    return show_settings(sqlite_env(configured_dir, **values), configured_dir)


@pytest.fixture(scope="module")
def defaults(tmp_path_factory) -> dict:
    """The settings of a process with none of them (but another secret key), run in a directory of its own."""
    directory = tmp_path_factory.mktemp("defaults")
    return show_settings(apis_env(APIS_SECRET_KEY="another-" + SECRET), directory)


@pytest.mark.parametrize("variable", sorted(EFFECTS))
def test_the_variable_gives_its_derived_settings_a_value_they_lack_without_it(
    variable, configured, defaults, configured_dir
):
    for path, expected in filled(EFFECTS[variable][1], configured_dir).items():
        assert lookup(configured, path) == expected, path
        assert lookup(defaults, path) != expected, f"{path} has that value without {variable} too"


def test_every_variable_of_the_readme_is_covered_here():
    documented = set(re.findall(r"APIS_[A-Z0-9_]*[A-Z0-9]", (ROOT / "README.md").read_text(encoding="utf-8")))
    uncovered = documented - EFFECTS.keys() - PROGRAM_TESTS.keys()
    assert not uncovered, (
        f"README variables without an entry in EFFECTS or PROGRAM_TESTS: {sorted(uncovered)}"
    )


@pytest.mark.parametrize("variable", sorted(PROGRAM_TESTS))
def test_a_variable_read_by_a_program_names_an_existing_test_that_uses_it(variable):
    file, name = PROGRAM_TESTS[variable].split("::")
    source = (ROOT / file).read_text(encoding="utf-8")
    functions = {node.name for node in ast.walk(ast.parse(source)) if isinstance(node, ast.FunctionDef)}
    assert name in functions
    assert variable in source


# The fuzzer's configuration of a longer run (APIS_FUZZ_EXAMPLES set) and its summary line.
FUZZ = """
import django
django.setup()
from tests.fuzz.generation import describe_run, fuzz_config
print(fuzz_config("every-role").seed)
print(describe_run())
"""


def test_apis_fuzz_seed_seeds_the_fuzzer_and_is_named_in_its_summary(tmp_path):
    env = sqlite_env(
        tmp_path,
        APIS_SECRET_KEY=SECRET,
        APIS_FUZZ_EXAMPLES="3",
        APIS_FUZZ_SEED="4242",
        DJANGO_SETTINGS_MODULE="apis.settings",
    )
    result = subprocess.run(
        [sys.executable, "-c", FUZZ], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    seed, summary = result.stdout.splitlines()
    assert seed == "4242"
    assert summary.endswith("APIS_FUZZ_SEED=4242 replays this run")
