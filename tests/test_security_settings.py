"""Deployment settings: ``check --deploy`` passes with the documented production environment and names what
is missing without it; a development secret of its own per installation; HTTPS behind trusted proxies only;
no page may be framed."""

import secrets
import stat
import subprocess
from pathlib import Path

import pytest
from django.test import Client

from apis.core.clientaddr import parse_networks
from tests.helpers import APIS, sqlite_env

# The production environment of the README (a TLS-terminating proxy at 10.0.0.5 in front of gunicorn).
PRODUCTION = {
    "APIS_SECRET_KEY": secrets.token_urlsafe(50),
    "APIS_ALLOWED_HOSTS": "sc.example.org",
    "APIS_CSRF_TRUSTED_ORIGINS": "https://sc.example.org",
    "APIS_TRUSTED_PROXIES": "10.0.0.5",
    "APIS_SECURE_COOKIES": "1",
    "APIS_SSL_REDIRECT": "1",
    "APIS_HSTS_SECONDS": "31536000",
    "APIS_HSTS_PRELOAD": "1",
}


def check_deploy(tmp_path: Path, **variables: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [APIS, "manage", "check", "--deploy", "--fail-level", "WARNING"],
        env=sqlite_env(tmp_path, **variables),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_with_the_production_environment(tmp_path):
    result = check_deploy(tmp_path, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("variable", "value", "warnings"),
    [
        ("APIS_HSTS_SECONDS", None, ["security.W004"]),
        ("APIS_HSTS_INCLUDE_SUBDOMAINS", "0", ["security.W005"]),
        ("APIS_HSTS_PRELOAD", None, ["security.W021"]),
        ("APIS_SSL_REDIRECT", None, ["security.W008"]),
        ("APIS_SECURE_COOKIES", None, ["security.W012", "security.W016"]),
        ("APIS_DEBUG", "1", ["security.W018"]),
    ],
)
def test_check_deploy_names_the_warning_of_a_missing_production_setting(tmp_path, variable, value, warnings):
    environment = {name: setting for name, setting in PRODUCTION.items() if name != variable}
    if value is not None:
        environment[variable] = value
    result = check_deploy(tmp_path, **environment)
    assert result.returncode != 0
    found = sorted({word.rstrip(")") for word in result.stderr.split() if word.startswith("(security.")})
    assert [name.lstrip("(") for name in found] == warnings


SHOW_SECRET = "from django.conf import settings; print(settings.SECRET_KEY)"


def debug_secret(tmp_path: Path, var_dir: Path) -> str:
    result = subprocess.run(
        [APIS, "manage", "shell", "-v", "0", "-c", SHOW_SECRET],
        env=sqlite_env(tmp_path, APIS_DEBUG="1", APIS_VAR_DIR=str(var_dir)),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout.strip()


def test_each_debug_installation_gets_its_own_private_secret_kept_across_restarts(tmp_path):
    first, second = tmp_path / "one", tmp_path / "two"
    key = debug_secret(tmp_path, first)
    assert len(key) >= 50
    assert debug_secret(tmp_path, second) != key
    assert debug_secret(tmp_path, first) == key  # a restart keeps it
    assert (first / "secret_key").read_text() == key
    assert stat.S_IMODE((first / "secret_key").stat().st_mode) == 0o600
    assert str(Path(__file__).parents[1]) not in key


# In a debug process: a JWT for an existing user signed with the installation's key, and the same claims
# signed with the key older versions derived from the install path.
FORGERY = """
from pathlib import Path
import jwt
import apis.settings
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework_simplejwt.tokens import AccessToken
user = get_user_model().objects.create_user("scientist", password="long-secret-42")
genuine = AccessToken.for_user(user)
guessable = "insecure-development-only-" + str(Path(apis.settings.__file__).resolve().parent)
forged = jwt.encode(genuine.payload, guessable, algorithm="HS256")
client = Client(HTTP_HOST="localhost")
for token in (str(genuine), forged):
    print(client.get("/api/ess/operating-sites/", HTTP_AUTHORIZATION=f"Bearer {token}").status_code)
"""


def test_a_jwt_signed_with_the_old_guessable_debug_key_is_refused(tmp_path):
    env = sqlite_env(tmp_path, APIS_DEBUG="1")
    subprocess.run([APIS, "manage", "migrate", "-v", "0"], env=env, check=True, timeout=300)
    result = subprocess.run(
        [APIS, "manage", "shell", "-v", "0", "-c", FORGERY],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["200", "401"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/api/docs/", "/admin/login/", "/api/core/session"])
def test_no_page_may_be_framed(client, path):
    response = client.get(path)
    assert response.status_code in (200, 403)
    assert response["X-Frame-Options"] == "DENY"


@pytest.fixture
def https_behind_proxy(settings):
    """The production HTTPS settings behind a trusted proxy at 10.0.0.5."""
    settings.TRUSTED_PROXIES = parse_networks(["10.0.0.5"])
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_PRELOAD = True


@pytest.mark.django_db
def test_https_told_by_the_trusted_proxy_is_served_with_hsts(https_behind_proxy):
    response = Client().get("/api/core/csrftoken", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("peer", "forwarded_proto"), [("203.0.113.9", "https"), ("10.0.0.5", "http"), ("10.0.0.5", None)]
)
def test_plain_http_and_https_claimed_by_others_are_redirected(https_behind_proxy, peer, forwarded_proto):
    headers = {"HTTP_X_FORWARDED_PROTO": forwarded_proto} if forwarded_proto else {}
    response = Client().get("/api/core/csrftoken", REMOTE_ADDR=peer, **headers)
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/api/core/csrftoken"
    assert "Strict-Transport-Security" not in response


def test_an_invalid_trusted_proxy_stops_the_program_naming_it(tmp_path):
    result = subprocess.run(
        [APIS, "manage", "check"],
        env=sqlite_env(tmp_path, APIS_SECRET_KEY="k" * 50, APIS_TRUSTED_PROXIES="10.0.0.5,proxy.example.org"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "APIS_TRUSTED_PROXIES: not an IP address or CIDR range: 'proxy.example.org'" in result.stderr
