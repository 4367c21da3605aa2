"""The ``apis`` command: settings from the environment and the production web server."""

import subprocess
import time

import httpx
import pytest
from django.core.exceptions import ImproperlyConfigured

from apis.env import env_bool, env_int, env_list
from tests.helpers import APIS, free_port, sqlite_env


def test_missing_secret_key_stops_the_command_with_a_clear_message(tmp_path):
    result = subprocess.run(
        [APIS, "manage", "check"], env=sqlite_env(tmp_path), capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "APIS_SECRET_KEY must be set" in result.stderr


def test_debug_mode_runs_without_a_secret_key(tmp_path):
    result = subprocess.run(
        [APIS, "manage", "check"], env=sqlite_env(tmp_path, APIS_DEBUG="1"), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_invalid_boolean_setting_is_rejected_naming_the_variable(monkeypatch):
    monkeypatch.setenv("APIS_LEGACY_COMPAT", "maybe")
    with pytest.raises(ImproperlyConfigured, match="APIS_LEGACY_COMPAT='maybe'"):
        env_bool("APIS_LEGACY_COMPAT")


def test_typed_settings_helpers_read_the_environment(monkeypatch):
    monkeypatch.setenv("APIS_X_INT", "42")
    monkeypatch.setenv("APIS_X_LIST", " a.example, ,b.example ")
    monkeypatch.setenv("APIS_X_BOOL", "yes")
    assert env_int("APIS_X_INT", 1) == 42
    assert env_list("APIS_X_LIST") == ["a.example", "b.example"]
    assert env_bool("APIS_X_BOOL") is True
    assert env_int("APIS_X_UNSET", 7) == 7


def test_serve_answers_the_api_through_gunicorn(tmp_path):
    env = sqlite_env(tmp_path, APIS_SECRET_KEY="cli-test-key")
    subprocess.run([APIS, "manage", "migrate", "-v", "0"], env=env, check=True)
    port = free_port()
    server = subprocess.Popen(
        [APIS, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/api/core/csrftoken", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stderr.read().decode()
                assert time.monotonic() < deadline, "server did not answer within 30 s"
                time.sleep(0.2)
        assert response.status_code == 200
        assert response.json()["csrfmiddlewaretoken"]
        assert response.headers["content-type"] == "application/json"
        assert "no-cache" in response.headers["cache-control"]
    finally:
        server.terminate()
        server.wait(timeout=10)
