"""Logging: ingest tokens never reach a log whole (gunicorn's access and error logs, Django's loggers, the
mail to the admins), each program's rotating file shared safely by its processes, JSON lines, and the
configuration usable by the programs without Django."""

import json
import logging
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from apis.core.logsetup import RedactFilter, SharedRotatingFileHandler, log_file, logging_config
from apis.core.redact import mask_token
from tests.helpers import APIS, MailServer, free_port, sqlite_env


def apis_env(tmp_path: Path, **variables: str) -> dict[str, str]:
    """``sqlite_env`` in ``tmp_path`` with a secret key of its own (``variables`` may replace it)."""
    return sqlite_env(tmp_path, **({"APIS_SECRET_KEY": "logging-test-key-" + "x" * 40} | variables))


def apis(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([APIS, *args], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout


@contextmanager
def serving(env: dict[str, str], stderr: Path) -> Iterator[str]:
    """``apis serve`` (two workers) on a free port, its stderr written to ``stderr``; yields its URL."""
    url = f"http://127.0.0.1:{free_port()}"
    with stderr.open("w") as errors:
        server = subprocess.Popen(
            [APIS, "serve", "--bind", url.removeprefix("http://"), "--workers", "2"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    httpx.get(f"{url}/api/core/csrftoken", timeout=2)
                    break
                except httpx.TransportError:
                    assert server.poll() is None, stderr.read_text()
                    assert time.monotonic() < deadline, "server did not answer within 60 s"
                    time.sleep(0.2)
            yield url
        finally:
            server.terminate()
            server.wait(timeout=30)


CLUSTER = (
    "from apis.community.models import Cluster, Community;"
    "Cluster.objects.create(community=Community.objects.create(code='c', name='C'), code='k', name='K')"
)


def test_an_ingest_token_in_the_path_is_masked_in_every_log_of_the_server(tmp_path):
    logs = tmp_path / "logs"
    env = apis_env(
        tmp_path,
        APIS_ACCESS_LOG=str(logs / "access.log"),
        APIS_LOG_FILE=str(logs / "apis.log"),
        APIS_TRUSTED_PROXIES="127.0.0.1",  # the test plays the reverse proxy
    )
    logs.mkdir()
    apis(env, "manage", "migrate", "-v", "0")
    apis(env, "manage", "shell", "-v", "0", "-c", CLUSTER)
    token = apis(env, "manage", "ingest_token", "create", "c", "k").splitlines()[-1]
    wrong = "apis_" + secrets.token_urlsafe(32)
    stderr = tmp_path / "stderr.log"
    with serving(env, stderr) as url:
        invalid_body = httpx.post(f"{url}/api/ccc/t/{token}/unitData?retry=1", content=b"not json")
        unknown = httpx.post(f"{url}/api/ccc/t/{wrong}/deal", content=b"[]")
        wrong_method = httpx.get(
            f"{url}/api/ccc/t/{token}/unitData", headers={"X-Forwarded-For": "198.51.100.7"}
        )
    assert (invalid_body.status_code, unknown.status_code, wrong_method.status_code) == (400, 401, 405)
    written = {
        "access log": (logs / "access.log").read_text(),
        "stderr": stderr.read_text(),
        "serve log file": (logs / "apis-serve.log").read_text(),
    }
    for name, text in written.items():
        assert token not in text and wrong not in text, name
        assert f"/api/ccc/t/{mask_token(token)}/unitData" in text, name
        assert f"/api/ccc/t/{mask_token(wrong)}/deal" in text, name
    assert f'"POST /api/ccc/t/{mask_token(token)}/unitData?retry=1 HTTP/1.1" 400' in written["access log"]
    assert f"Bad Request: /api/ccc/t/{mask_token(token)}/unitData" in written["stderr"]
    assert "198.51.100.7 - - [" in written["access log"]  # the client the proxy forwarded for
    assert "Starting gunicorn" in written["serve log file"]  # gunicorn's own log joins the file


def test_server_errors_are_mailed_to_the_admins_with_the_token_masked(tmp_path):
    port = free_port()
    mail = MailServer(port).start()
    env = apis_env(
        tmp_path,
        APIS_ADMINS="ops@example.org, dev@example.org",
        APIS_NOTIFY_FROM="apis@example.org",
        APIS_EMAIL_HOST="127.0.0.1",
        APIS_EMAIL_PORT=str(port),
    )
    token = "apis_" + secrets.token_urlsafe(32)
    stderr = tmp_path / "stderr.log"
    try:
        with serving(env, stderr) as url:  # a database never migrated: reports fail with a server error
            assert httpx.post(f"{url}/api/ccc/t/{token}/unitData", content=b"[]").status_code == 500
            deadline = time.monotonic() + 30
            while not mail.received and time.monotonic() < deadline:
                time.sleep(0.1)
    finally:
        mail.stop()
    ((sender, recipients, message),) = mail.received
    assert (sender, recipients) == ("apis@example.org", ["ops@example.org", "dev@example.org"])
    subject = str(message["Subject"]).strip()  # the parser keeps the space of Django's folded header
    assert subject.startswith("[APIS Service Center] ERROR")
    assert f"Internal Server Error: /api/ccc/t/{mask_token(token)}/unitData" in subject
    bodies = [part.get_content() for part in message.walk() if part.get_content_maintype() == "text"]
    assert bodies and all(token not in body for body in bodies)
    assert any(f"/api/ccc/t/{mask_token(token)}/unitData" in body for body in bodies)
    assert token not in stderr.read_text()
    assert "no such table" in stderr.read_text()


def test_a_program_without_django_logs_json_lines_to_its_own_file(tmp_path):
    token = "apis_" + secrets.token_urlsafe(32)
    script = (
        "import logging, sys\n"
        "from django.conf import settings\n"
        "from apis.core.logsetup import configure_logging\n"
        "configure_logging('ccc')\n"
        "log = logging.getLogger('jp.co.sony.csl.dcoes.apis.tools.ccc.Sender')\n"
        f"log.warning('http post failed : %s', 'https://sc.example.org/api/ccc/t/{token}/deal')\n"
        "try:\n"
        f"    raise ConnectionError('refused by /api/ccc/t/{token}/deal')\n"
        "except ConnectionError:\n"
        "    log.exception('giving up')\n"
        "assert not settings.configured\n"
    )
    env = apis_env(tmp_path, APIS_LOG_FILE=str(tmp_path / "logs" / "{program}.jsonl"), APIS_LOG_FORMAT="json")
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    lines = (tmp_path / "logs" / "ccc.jsonl").read_text().splitlines()
    assert lines == result.stderr.splitlines()
    warning, failure = (json.loads(line) for line in lines)
    assert set(warning) == {"time", "level", "logger", "message", "process"}
    assert warning["level"] == "WARNING" and warning["logger"].endswith(".Sender")
    assert (
        warning["message"] == f"http post failed : https://sc.example.org/api/ccc/t/{mask_token(token)}/deal"
    )
    assert warning["time"].endswith("Z") and warning["process"] > 0
    assert failure["message"] == "giving up"
    assert "ConnectionError: refused by /api/ccc/t/" + mask_token(token) in failure["exception"]
    assert token not in result.stderr


def test_each_django_program_writes_its_own_file(tmp_path):
    env = apis_env(tmp_path, APIS_LOG_FILE=str(tmp_path / "logs" / "apis.log"), APIS_LOG_FORMAT="json")
    apis(env, "manage", "migrate", "-v", "0")
    apis(env, "jobs", "--once")
    records = [json.loads(line) for line in (tmp_path / "logs" / "apis-jobs.log").read_text().splitlines()]
    assert all(record["logger"].startswith("apis.") for record in records)
    assert any(record["message"].startswith("job downtime") for record in records)
    apis(env, "manage", "shell", "-v", "0", "-c", "import logging; logging.getLogger('apis.x').warning('hi')")
    (record,) = [
        json.loads(line) for line in (tmp_path / "logs" / "apis-manage.log").read_text().splitlines()
    ]
    assert (record["logger"], record["message"]) == ("apis.x", "hi")


@pytest.mark.parametrize(
    ("variable", "value"), [("APIS_LOG_FORMAT", "xml"), ("APIS_LOG_LEVEL", "LOUD"), ("APIS_ADMINS", "ops")]
)
def test_an_invalid_logging_setting_stops_the_program_naming_it(tmp_path, variable, value):
    result = subprocess.run(
        [APIS, "manage", "check"], env=apis_env(tmp_path, **{variable: value}), capture_output=True, text=True
    )
    assert result.returncode != 0
    assert variable in result.stderr.splitlines()[-1]


WRITER = """
import logging, sys
from apis.core.logsetup import SharedRotatingFileHandler
handler = SharedRotatingFileHandler(sys.argv[1], maxBytes=4000, backupCount=200)
log = logging.getLogger("writer")
log.addHandler(handler)
log.setLevel(logging.INFO)
for number in range(300):
    log.info("writer %s line %03d %s", sys.argv[2], number, "." * 40)
"""


def test_processes_sharing_a_rotating_file_lose_and_split_no_line(tmp_path):
    path = tmp_path / "logs" / "apis-serve.log"
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(number)]) for number in range(4)
    ]
    assert [writer.wait(timeout=120) for writer in writers] == [0, 0, 0, 0]
    files = sorted(path.parent.glob("apis-serve.log*"))
    lines = [
        line for file in files if not file.name.endswith(".lock") for line in file.read_text().splitlines()
    ]
    expected = {
        f"writer {writer} line {number:03d} {'.' * 40}" for writer in range(4) for number in range(300)
    }
    assert len(lines) == len(expected) and set(lines) == expected
    sizes = [file.stat().st_size for file in files if not file.name.endswith(".lock")]
    assert len(sizes) > 10 and max(sizes) <= 4000


def test_every_handler_masks_tokens(monkeypatch, tmp_path):
    monkeypatch.setenv("APIS_LOG_FILE", str(tmp_path / "apis.log"))
    handlers = logging_config("serve", mail_admins=True)["handlers"]
    assert set(handlers) == {"console", "file", "mail_admins"}
    assert handlers["console"]["filters"] == handlers["file"]["filters"] == ["redact"]
    assert handlers["mail_admins"]["class"] == "apis.core.errormail.RedactingAdminEmailHandler"


TOKEN = "apis_" + "Q" * 30 + "x9Zk"


class FakeRequest:
    """What a log record's ``request`` is read for: its path and ``META``."""

    def __init__(self, path: str):
        self.path = self.path_info = path
        self.META = {"PATH_INFO": path, "RAW_URI": path + "?a=1", "CONTENT_LENGTH": 2}


def test_a_record_is_masked_once_whatever_the_number_of_handlers():
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Bad Request: %s", (None,), None
    )
    request = FakeRequest(f"/api/ccc/t/{TOKEN}/unitData")
    record.args, record.request = (request.path,), request
    for _ in range(3):
        assert RedactFilter().filter(record)
    assert record.getMessage() == "Bad Request: /api/ccc/t/apis_…x9Zk/unitData"
    assert record.request.path == record.request.path_info == "/api/ccc/t/apis_…x9Zk/unitData"
    assert record.request.META["RAW_URI"] == "/api/ccc/t/apis_…x9Zk/unitData?a=1"
    assert record.request.META["CONTENT_LENGTH"] == 2
    assert request.path == f"/api/ccc/t/{TOKEN}/unitData"  # the request being served is left alone


def test_a_record_without_tokens_is_left_as_it_was():
    request = FakeRequest("/api/staff/deal/list")
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%s rows", (3,), None)
    record.request = request
    RedactFilter().filter(record)
    assert (record.msg, record.args, record.request) == ("%s rows", (3,), request)


@pytest.mark.parametrize(
    ("template", "program", "path"),
    [
        ("/var/log/apis/apis.log", "serve", "/var/log/apis/apis-serve.log"),
        ("/var/log/apis/{program}.log", "jobs", "/var/log/apis/jobs.log"),
        ("/var/log/apis/service", "ccc", "/var/log/apis/service-ccc"),
    ],
)
def test_each_program_has_its_own_file(template, program, path):
    assert log_file(template, program) == Path(path)


def test_the_shared_file_handler_creates_its_directory(tmp_path):
    handler = SharedRotatingFileHandler(str(tmp_path / "new" / "dir" / "apis.log"))
    handler.emit(logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None))
    handler.close()
    assert (tmp_path / "new" / "dir" / "apis.log").read_text() == "hello\n"
