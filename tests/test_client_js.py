"""``/api/{staff,resident}/client.js``: served as JavaScript, the original's methods per role, and
working end to end under node (whose global ``fetch`` stands in for the browser's)."""

import json
import os
import re
import shutil
import subprocess

import pytest
from django.core.management import call_command

NODE = shutil.which("node")

COMMON_METHODS = {
    "session",
    "login",
    "logout",
    "community.outline",
    "unitData.latestSet",
    "deal.liveList",
    "deal.list",
    "deal.datetimeRange",
    "deal.sumOfCumulateAmountWhsByHour",
}
ROLE_METHODS = {
    "staff": COMMON_METHODS
    | {
        "unitData.unitIdList",
        "downtime.unitIdList",
        "downtime.list",
        "monitoring.failure.openList",
        "monitoring.failure.list",
        "monitoring.job.list",
        "monitoring.job.activate",
        "monitoring.job.deactivate",
    },
    "resident": COMMON_METHODS | {"scenario.availableList", "scenario.current", "scenario.choose"},
}

# Loads client.js the way a page would (``document.currentScript``), with a cookie jar around node's
# fetch standing in for the browser's, then runs the calls given on the command line in order and
# prints every answer (or error), and the requests made for it, as one JSON line. An argument
# ``{"date": "<ISO>"}`` is passed as a ``Date``.
HARNESS = r"""
const vm = require("node:vm");
const [scriptUrl, calls] = [process.argv.at(-2), JSON.parse(process.argv.at(-1))];
const jar = new Map();
const nodeFetch = globalThis.fetch;
let requests = [];
globalThis.fetch = async (url, init = {}) => {
  requests.push(`${init.method} ${url.replace(/^https?:\/\/[^/]+/, "")} ${init.body || ""}`.trim());
  const headers = new Headers(init.headers || {});
  if (jar.size) headers.set("Cookie", [...jar].map(([k, v]) => `${k}=${v}`).join("; "));
  const response = await nodeFetch(url, { ...init, headers });
  for (const cookie of response.headers.getSetCookie()) {
    const pair = cookie.split(";")[0];
    jar.set(pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1));
  }
  return response;
};
globalThis.document = { currentScript: { src: scriptUrl } };
(async () => {
  vm.runInThisContext(await (await nodeFetch(scriptUrl)).text());
  for (const [name, rawArgs] of calls) {
    requests = [];
    const args = rawArgs.map((arg) => (arg && arg.date ? new Date(arg.date) : arg));
    const fn = name.split(".").reduce((object, key) => object[key], client);
    const callbacks = [];
    const answer = await fn(...args, (data) => callbacks.push("success"), () => callbacks.push("error"))
      .then((data) => ({ data }), (error) => ({ status: error.status, error: error.responseText }));
    console.log(JSON.stringify({ name, callbacks, requests, ...answer }));
  }
})();
"""


def method_names(source: str) -> set[str]:
    """The dotted names of the client's methods, found by evaluating the script under node."""
    listing = (
        "globalThis.document = {currentScript: {src: 'http://host/prefix/api/x/client.js'}};"
        + source
        + ";const walk = (o, p) => Object.entries(o).flatMap(([k, v]) =>"
        " typeof v === 'function' ? [p + k] : walk(v, p + k + '.'));"
        "console.log(JSON.stringify(walk(client, '')));"
    )
    result = subprocess.run([NODE, "-e", listing], capture_output=True, text=True, check=True, timeout=60)
    return set(json.loads(result.stdout))


@pytest.mark.parametrize("role", ["staff", "resident"])
def test_client_js_is_served_as_javascript_to_anyone(client_as, role):
    response = client_as(None).get(f"/api/{role}/client.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/javascript; charset=utf-8"
    assert "$.ajax" not in response.content.decode()


@pytest.mark.skipif(NODE is None, reason="node is not installed")
@pytest.mark.parametrize("role", ["staff", "resident"])
def test_client_offers_exactly_the_original_methods_of_the_role(client_as, role):
    source = client_as(None).get(f"/api/{role}/client.js").content.decode()
    assert method_names(source) == ROLE_METHODS[role]


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_client_calls_stay_under_the_prefix_it_was_loaded_from(client_as):
    source = client_as(None).get("/api/resident/client.js").content.decode()
    script = (
        "globalThis.document = {currentScript: {src: 'https://proxy.example/apis/api/resident/client.js'}};"
        "globalThis.fetch = async (url) => { console.log(url); return new Response('{}', "
        "{headers: {'Content-Type': 'application/json'}}); };" + source + ";client.community.outline();"
    )
    result = subprocess.run([NODE, "-e", script], capture_output=True, text=True, check=True, timeout=60)
    assert result.stdout.strip() == "https://proxy.example/apis/api/resident/community/outline"


@pytest.fixture
def live_registry(transactional_db):
    call_command("loaddata", "apis-demo", verbosity=0)


def run_client(live_server, role: str, calls: list, tz: str = "UTC") -> list[dict]:
    url = f"{live_server.url}/api/{role}/client.js"
    result = subprocess.run(
        [NODE, "-e", HARNESS, url, json.dumps(calls)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "TZ": tz},
    )
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


UNIT = ["oss_community", "oss_cluster", "E001"]


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_resident_client_logs_in_and_reads_outline_and_scenarios(live_server, live_registry):
    login, outline, scenarios = run_client(
        live_server,
        "resident",
        [["login", ["e001", "e001"]], ["community.outline", []], ["scenario.availableList", UNIT]],
    )
    assert login["data"]["user"]["username"] == "e001"
    assert login["callbacks"] == ["success"]
    assert list(outline["data"]["communities"]["oss_community"]["clusters"]["oss_cluster"]["units"]) == [
        "E001"
    ]
    assert [s["name"] for s in scenarios["data"]] == [
        "HIGH_PRIORITY",
        "JUST_FOR_E001",
        "LOW_PRIORITY",
        "NORMAL",
        "NO_DEAL",
    ]


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_resident_client_chooses_with_a_csrf_post_and_logs_out(live_server, live_registry):
    answers = run_client(
        live_server,
        "resident",
        [
            ["login", ["e001", "e001"]],
            ["scenario.choose", [*UNIT, 5]],
            ["scenario.current", UNIT],
            ["scenario.choose", [*UNIT, "x"]],
            ["logout", []],
            ["session", []],
        ],
    )
    _, choose, current, bad, logout, session = answers
    assert choose["data"] == "ok"
    assert current["data"]["name"] == "JUST_FOR_E001"
    assert (bad["status"], bad["error"], bad["callbacks"]) == (400, "bad scenarioId : x", ["error"])
    assert logout["data"] == ""
    assert (session["status"], session["error"]) == (403, "login required")


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_wrong_password_reaches_the_error_callback(live_server, live_registry):
    (login,) = run_client(live_server, "staff", [["login", ["admin", "wrong"]]])
    assert (login["status"], login["error"], login["callbacks"]) == (403, "login failed", ["error"])


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_login_fetches_a_csrf_token_then_posts_the_form(live_server, live_registry):
    (login,) = run_client(live_server, "resident", [["login", ["e001", "e001"]]])
    csrf, post = login["requests"]
    assert csrf == "GET /api/core/csrftoken"
    assert post.startswith("POST /api/core/login username=e001&password=e001&csrfmiddlewaretoken=")


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_dates_are_sent_as_iso_utc_strings(live_server, live_registry):
    from_, to = {"date": "2020-01-01T09:00:00+09:00"}, {"date": "2020-01-02T00:00:00Z"}
    _, deals = run_client(
        live_server, "staff", [["login", ["admin", "admin"]], ["deal.list", ["c", "k", from_, to, "budo"]]]
    )
    assert deals["requests"] == [
        "GET /api/staff/deal/list?communityId=c&clusterId=k&datetimeFrom=2020-01-01T00%3A00%3A00.000Z"
        "&datetimeTo=2020-01-02T00%3A00%3A00.000Z&formatType=budo"
    ]


@pytest.mark.skipif(NODE is None, reason="node is not installed")
@pytest.mark.parametrize(
    ("tz", "offset"),
    [("UTC", "%2B00%3A00"), ("Asia/Kolkata", "%2B05%3A30"), ("America/St_Johns", "-0[23]%3A30")],
)
def test_hour_sums_are_asked_in_the_browsers_utc_offset(live_server, live_registry, tz, offset):
    _, sums = run_client(
        live_server,
        "resident",
        [["login", ["e001", "e001"]], ["deal.sumOfCumulateAmountWhsByHour", UNIT]],
        tz=tz,
    )
    (request,) = sums["requests"]
    assert re.fullmatch(
        "GET /api/resident/deal/sumOfCumulateAmountWhsByHour"
        rf"\?communityId=oss_community&clusterId=oss_cluster&unitId=E001&timezone={offset}",
        request,
    )
    assert sums.get("data") == {}


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_staff_client_toggles_a_monitoring_job_with_csrf_posts(live_server, live_registry):
    cluster = ["oss_community", "oss_cluster"]
    _, activate, jobs, deactivate = run_client(
        live_server,
        "staff",
        [
            ["login", ["admin", "admin"]],
            ["monitoring.job.activate", [*cluster, "apis_main_alive"]],
            ["monitoring.job.list", cluster],
            ["monitoring.job.deactivate", [*cluster, "apis_main_alive"]],
        ],
    )
    assert activate["data"] == deactivate["data"] == "ok"
    assert activate["requests"][0] == "GET /api/core/csrftoken"
    assert activate["requests"][1].startswith(
        "POST /api/staff/monitoring/job/activate communityId=oss_community"
    )
    assert {"type": "apis_main_alive", "isActive": True} in jobs["data"]
