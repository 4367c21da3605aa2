"""``APIS_URL_PREFIX``: the setting's validation, every URL pattern under the prefix (and none without it),
everything the server generates carrying it (redirects, pages, cookies, admin, schema, ESS links), and the
original's page URLs ``/static/ui_example/<role>/<page>.html`` sent on to the pages that replace them, with
and without a prefix.

In-process tests take the prefixed settings from the ``under_prefix`` fixture; that the real process derives
the same settings from the environment variable is proven by running it.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import types
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.urls import URLResolver, resolve
from django.urls.exceptions import Resolver404

import apis.urls
from apis.ess.generate import Spec, generate
from apis.web.prefix import url_prefix
from tests.helpers import APIS, START, configured, site_databases

PREFIX = "/sc"
HANDLERS = ("handler400", "handler403", "handler404", "handler500")


def urlconf(prefix: str) -> types.ModuleType:
    """The root URLconf as ``apis.urls`` builds it for ``prefix``."""
    module = types.ModuleType(f"urls_at{prefix.replace('/', '_')}")
    module.urlpatterns = apis.urls.mounted(prefix, apis.urls.site)
    for name in HANDLERS:
        setattr(module, name, getattr(apis.urls, name))
    return module


ROOT, PREFIXED = urlconf(""), urlconf(PREFIX)
# What APIS_URL_PREFIX=/sc makes of the settings (``test_the_process_derives_its_settings_from_the_prefix``).
PREFIXED_SETTINGS = {
    "URL_PREFIX": PREFIX,
    "STATIC_URL": f"{PREFIX}/static/",
    "SESSION_COOKIE_PATH": PREFIX,
    "CSRF_COOKIE_PATH": PREFIX,
}
ROOT_SETTINGS = {
    "URL_PREFIX": "",
    "STATIC_URL": "/static/",
    "SESSION_COOKIE_PATH": "/",
    "CSRF_COOKIE_PATH": "/",
}


def apply_prefix(settings) -> None:
    """The settings of ``APIS_URL_PREFIX=/sc`` in this process, with the URLconf ``apis.urls`` builds."""
    for name, value in PREFIXED_SETTINGS.items():
        setattr(settings, name, value)
    settings.ROOT_URLCONF = PREFIXED


@pytest.fixture
def under_prefix(settings):
    apply_prefix(settings)


@pytest.fixture(params=["", PREFIX], ids=["root", "prefix"])
def prefix(request) -> str:
    """Each test once at the root and once under ``/sc``."""
    if request.param:
        request.getfixturevalue("under_prefix")
    return request.param


# ---- the setting ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["", "/sc", "/apis-service-center/app", "/a.b_c~d-1", "/x" * 50])
def test_a_valid_prefix_is_taken_as_it_is(value):
    assert url_prefix(value) == value


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("sc", "must start with '/'"),
        ("/", "must not end with '/'"),
        ("/sc/", "must not end with '/'"),
        ("/a//b", "segment ''"),
        ("/a/./b", "segment '.'"),
        ("/..", "segment '..'"),
        ("/s c", "segment 's c'"),
        ("/s%20c", "segment 's%20c'"),
        ("/sc?x=1", "segment 'sc?x=1'"),
        ("/sc#top", "segment 'sc#top'"),
        ("/a\\b", "segment 'a\\\\b'"),
        ("/s\u00e9", "segment 's\u00e9'"),
        ("/sc\n", "segment 'sc\\n'"),
        ("/<script>", "segment '<script>'"),
        ("/" + "a" * 100, "longer than 100 characters"),
    ],
)
def test_an_invalid_prefix_is_refused_with_the_reason(value, reason):
    with pytest.raises(ValueError, match=re.escape(reason)):
        url_prefix(value)


SHOW_SETTINGS = (
    "import json, django; django.setup();"
    "from django.conf import settings; from django.urls import reverse;"
    f"print(json.dumps([{{name: getattr(settings, name) for name in {list(PREFIXED_SETTINGS)}}},"
    " [reverse('web:home'), reverse('admin:index'), reverse('schema'),"
    " reverse('client-js', kwargs={'role': 'staff'})]]))"
)


def run_with_prefix(value: str | None, *command: str) -> subprocess.CompletedProcess:
    env = {key: item for key, item in os.environ.items() if key != "APIS_URL_PREFIX"}
    env["DJANGO_SETTINGS_MODULE"] = "apis.settings"
    if value is not None:
        env["APIS_URL_PREFIX"] = value
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize(
    ("value", "expected", "base"),
    [(None, ROOT_SETTINGS, ""), (PREFIX, PREFIXED_SETTINGS, PREFIX)],
    ids=["unset", "prefix"],
)
def test_the_process_derives_its_settings_from_the_prefix(value, expected, base):
    done = run_with_prefix(value, sys.executable, "-c", SHOW_SETTINGS)

    assert done.returncode == 0, done.stderr
    derived, urls = json.loads(done.stdout)
    assert derived == expected
    assert urls == [f"{base}/", f"{base}/admin/", f"{base}/api/schema/", f"{base}/api/staff/client.js"]


def test_a_bad_prefix_stops_the_process_with_the_reason():
    done = run_with_prefix("sc/", APIS, "manage", "check")

    assert done.returncode != 0
    assert "APIS_URL_PREFIX: must start with '/'" in done.stderr


# ---- URL patterns --------------------------------------------------------------------------------------


def routes(patterns, outer: str = "") -> list[str]:
    """Every leaf pattern below ``patterns`` as its route text (regular expressions included)."""
    found = []
    for entry in patterns:
        route = outer + str(entry.pattern)
        found += routes(entry.url_patterns, route) if isinstance(entry, URLResolver) else [route]
    return found


def sample(route: str) -> str:
    """A path ``route`` matches: every converter and regular-expression group replaced by a value it takes."""
    path = re.sub(r"<(?:\w+:)?\w+>", "1", route)
    path = re.sub(r"\(\?P<\w+>([^)|]*)[^)]*\)", r"\1", path)  # a group: its first alternative
    return "/" + path.replace(".*", "x").replace("^", "").replace("$", "")


SITE_PATHS = [sample(route) for route in routes(apis.urls.site)]


def test_the_site_has_the_patterns_the_prefix_must_carry():
    assert len(SITE_PATHS) > 150
    for path in (
        "/",
        "/1/1",  # <role>/<name>
        "/api/core/login",
        "/api/ess/operating-sites/",
        "/admin/",
        "/api/docs/",
    ):
        assert path in SITE_PATHS
    assert "/static/ui_example/1/1" in SITE_PATHS


@pytest.mark.parametrize("path", SITE_PATHS)
def test_every_url_pattern_resolves_under_the_prefix_and_not_without_it(path):
    at_root = resolve(path, urlconf=ROOT)
    under = resolve(PREFIX + path, urlconf=PREFIXED)

    assert (under.func, under.kwargs) == (at_root.func, at_root.kwargs)
    assert under.view_name == at_root.view_name
    with pytest.raises(Resolver404):
        resolve(path, urlconf=PREFIXED)


def test_without_a_prefix_the_site_is_the_root_urlconf():
    assert apis.urls.mounted("", apis.urls.site) is apis.urls.site


def test_the_bare_prefix_goes_on_to_the_home_page(client, under_prefix):
    answer = client.get(PREFIX)

    assert (answer.status_code, answer["Location"]) == (302, "/sc/")


@pytest.mark.parametrize(
    "path", ["/", "/staff/visual", "/api/core/csrftoken", "/admin/", "/static/web/common.js"]
)
def test_under_a_prefix_nothing_answers_outside_it(client, under_prefix, path):
    answer = client.get(path)

    assert answer.status_code == 404
    assert answer["Content-Type"] == "text/plain; charset=utf-8"


# ---- what the server generates --------------------------------------------------------------------------


class Links(HTMLParser):
    """The URLs of a page's ``href``, ``src`` and ``action`` attributes, and its JSON context."""

    def __init__(self, html: str):
        super().__init__()
        self.urls: list[str] = []
        self._in_context = False
        self.context: dict = {}
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        self.urls += [values[name] for name in ("href", "src", "action") if values.get(name)]
        self._in_context = values.get("id") == "page-data"

    def handle_data(self, data):
        if self._in_context:
            self.context = json.loads(data)
            self._in_context = False


# Each user's pages, and the client.js role they load (the dataset page: the user's first role's).
PAGES = {
    "admin": (
        ["/staff/visual", "/staff/availability", "/staff/deal", "/staff/monitoring", "/staff/history"],
        "staff",
    ),
    "e001": (["/resident/visual", "/resident/deal", "/resident/scenario"], "resident"),
    "nonresident": ([], "staff"),
}


@pytest.mark.parametrize("username", list(PAGES))
def test_every_page_links_scripts_styles_and_forms_under_the_prefix(client_as, prefix, username):
    client = client_as(username)
    paths, role = PAGES[username]
    for path in [*paths, "/datasets"]:
        page = client.get(prefix + path)
        assert page.status_code == 200, path
        links = Links(page.content.decode())

        assert links.urls, path
        assert [url for url in links.urls if not url.startswith(f"{prefix}/")] == [], path
        assert links.context["urls"] == {"home": f"{prefix}/", "api": f"{prefix}/api/"}
        assert f"{prefix}/api/{role}/client.js" in links.urls


def test_the_login_page_takes_its_urls_from_the_server(client, prefix):
    links = Links(client.get(f"{prefix}/").content.decode())

    assert sorted(links.urls) == sorted(
        [f"{prefix}/static/web/style.css", f"{prefix}/api/staff/client.js", f"{prefix}/static/web/login.js"]
    )
    assert links.context == {"page": "login", "urls": {"home": f"{prefix}/", "api": f"{prefix}/api/"}}


def test_redirects_of_the_pages_carry_the_prefix(client_as, prefix):
    anonymous, staff, resident = client_as(None), client_as("admin"), client_as("e001")

    assert anonymous.get(f"{prefix}/staff/deal")["Location"] == f"{prefix}/"
    assert anonymous.get(f"{prefix}/datasets")["Location"] == f"{prefix}/"
    assert staff.get(f"{prefix}/")["Location"] == f"{prefix}/staff/visual"
    assert resident.get(f"{prefix}/")["Location"] == f"{prefix}/resident/visual"
    assert client_as("nonresident").get(f"{prefix}/")["Location"] == f"{prefix}/datasets"
    chosen = json.dumps(["oss_community", "oss_cluster", ""])
    answer = staff.post(f"{prefix}/staff/select", {"page": "deal", "selection": chosen})
    assert (answer.status_code, answer["Location"]) == (302, f"{prefix}/staff/deal")


def test_session_and_csrf_cookies_are_scoped_to_the_prefix(client_as, prefix):
    client = client_as(None)
    token = client.get(f"{prefix}/api/core/csrftoken").json()["csrfmiddlewaretoken"]
    login = client.post(
        f"{prefix}/api/core/login", {"username": "admin", "password": "admin", "csrfmiddlewaretoken": token}
    )

    assert login.status_code == 200, login.content
    assert login.cookies["sessionid"]["path"] == (prefix or "/")
    assert client.cookies["csrftoken"]["path"] == (prefix or "/")
    assert client.get(f"{prefix}/api/core/session").json()["user"]["username"] == "admin"


def test_the_admin_lives_under_the_prefix(client_as, prefix):
    anonymous = client_as(None).get(f"{prefix}/admin/")
    assert anonymous["Location"] == f"{prefix}/admin/login/?next={prefix}/admin/"

    index = client_as("admin").get(f"{prefix}/admin/")
    assert index.status_code == 200
    links = Links(index.content.decode())
    assert f"{prefix}/" in links.urls  # "view site"
    assert f"{prefix}/admin/community/unit/" in links.urls
    assert [url for url in links.urls if url.startswith("/") and not url.startswith(f"{prefix}/")] == []
    stylesheet = next(url for url in links.urls if url.endswith("base.css"))
    assert client_as(None).get(stylesheet).status_code == 200


def test_static_files_are_served_under_the_prefix(client, prefix):
    answer = client.get(f"{prefix}/static/web/common.js")

    assert answer.status_code == 200
    assert b"export function apiUrl" in b"".join(answer.streaming_content)


def fetch_schema(client, prefix: str) -> dict:
    answer = client.get(f"{prefix}/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert answer.status_code == 200
    return json.loads(answer.content)


def test_the_schema_is_the_root_sites_with_every_path_under_the_prefix(client, settings):
    at_root = fetch_schema(client, "")
    apply_prefix(settings)
    under = fetch_schema(client, PREFIX)

    assert all(path.startswith("/sc/api/") for path in under["paths"])
    assert {path.removeprefix(PREFIX): item for path, item in under["paths"].items()} == at_root["paths"]
    docs = Links(client.get(f"{PREFIX}/api/docs/").content.decode()).urls
    assert docs and all(url.startswith("/sc/") for url in docs)


@pytest.mark.parametrize("path", ["/api/ess/no-such-thing", "/api/token/nothing-here"])
def test_ess_errors_keep_their_shape_under_the_prefix(client, prefix, path):
    answer = client.get(prefix + path)

    assert answer.status_code == 404
    assert answer.json() == {"code": "404", "exception type": "Not Found", "message": "not found"}


def test_ess_next_links_carry_the_prefix(client_as, prefix, tmp_path, settings):
    with site_databases("sqlite", tmp_path, "prefix", (1,)) as urls:
        generate(urls[1], Spec("basic", START, 1, 600, 1, 1))
        with configured(settings, urls):
            page = client_as("admin").get(f"{prefix}/api/ess/operating-sites/1/pcs/?page_size=5").json()
            following = client_as("admin").get(page["next"].removeprefix("http://testserver")).json()

    assert page["next"].startswith(f"http://testserver{prefix}/api/ess/operating-sites/1/pcs/?")
    assert following["previous"].startswith(f"http://testserver{prefix}/api/ess/")
    assert len(following["results"]) == 5


# ---- client.js --------------------------------------------------------------------------------------------

NODE = shutil.which("node")
ANSWER_EVERY_FETCH = (
    "globalThis.fetch = async (url) => { console.log(url); return new Response('{}', "
    "{headers: {'Content-Type': 'application/json'}}); };"
)


@pytest.mark.skipif(NODE is None, reason="node is not installed")
@pytest.mark.parametrize("current_script", [True, False], ids=["currentScript", "no currentScript"])
def test_client_js_calls_the_api_under_the_prefix_it_is_served_at(client, prefix, current_script):
    source = client.get(f"{prefix}/api/resident/client.js").content.decode()
    origin = "https://sc.example"
    loaded = f"{{src: '{origin}{prefix}/api/resident/client.js'}}" if current_script else "null"
    script = (
        f"globalThis.location = {{href: '{origin}{prefix}/resident/deal'}};"
        f"globalThis.document = {{currentScript: {loaded}}};"
        f"{ANSWER_EVERY_FETCH}{source};client.community.outline();"
    )
    result = subprocess.run([NODE, "-e", script], capture_output=True, text=True, check=True, timeout=60)

    assert result.stdout.strip() == f"{origin}{prefix}/api/resident/community/outline"


# ---- templates and page scripts ---------------------------------------------------------------------------

SOURCES = Path(apis.urls.__file__).parent
# Files the browser gets whose URLs must all come from the server (templates) or from the page's context.
PAGE_FILES = sorted(
    [
        *(SOURCES / "web" / "templates").rglob("*.html"),
        *(SOURCES / "web" / "static" / "web").glob("*.js"),
        *(SOURCES / "web" / "static" / "web").glob("*.css"),
        SOURCES / "core" / "templates" / "apis" / "client.js",
    ]
)
# A quoted absolute path ("/api/…", `/static/…`, "//host"), "/" given as a URL, or a CSS url(/…).
ABSOLUTE = re.compile(r"""["'`]/[A-Za-z0-9_{$/]|(?:\(|=)\s*["'`]/["'`]|url\(\s*["']?/""")


@pytest.mark.parametrize(
    "line",
    [
        '<script src="/api/{{ role|default:"staff" }}/client.js"></script>',
        "<script src='/api/staff/client.js'></script>",
        '  api.logout().then(() => location.assign("/"), showError);',
        'const BASE = "/api/ess/operating-sites/";',
        "fetch(`/api/staff/unitData/history?${params}`)",
        "link.href = `${'/'}x`; a.href = `//elsewhere.example/x`;",
        'new URL("/api/", root.location.href)',
        "background: url(/static/web/x.png);",
    ],
)
def test_the_absolute_path_check_catches_every_form_pages_used(line):
    assert ABSOLUTE.search(line)


def test_no_template_page_script_or_style_writes_an_absolute_path():
    assert len(PAGE_FILES) > 15
    found = [
        f"{path.relative_to(SOURCES)}:{number}: {line.strip()}"
        for path in PAGE_FILES
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if ABSOLUTE.search(line)
    ]
    assert found == []


# ---- the original's page URLs ---------------------------------------------------------------------------

ORIGINAL = [
    ("staff", "visual"),
    ("staff", "availability"),
    ("staff", "deal"),
    ("staff", "monitoring"),
    ("resident", "visual"),
    ("resident", "deal"),
    ("resident", "scenario"),
]


@pytest.mark.parametrize(("role", "name"), ORIGINAL)
def test_a_page_of_the_original_redirects_to_the_page_that_replaces_it(client, prefix, role, name):
    for method in (client.get, client.head):
        answer = method(f"{prefix}/static/ui_example/{role}/{name}.html")

        assert (answer.status_code, answer["Location"]) == (302, f"{prefix}/{role}/{name}")


def test_the_original_page_url_leads_a_logged_in_user_to_the_page(client_as, prefix):
    answer = client_as("e001").get(f"{prefix}/static/ui_example/resident/scenario.html", follow=True)

    assert answer.status_code == 200
    assert answer.redirect_chain == [(f"{prefix}/resident/scenario", 302)]
    assert b"APIS SCENARIO" in answer.content


@pytest.mark.parametrize(
    "rest",
    [
        "staff/scenario.html",  # a page the original never had for the role
        "resident/availability.html",
        "resident/monitoring.html",
        "staff/history.html",  # a page of ours the original did not have
        "staff/visual",
        "staff/visual.htm",
        "staff/VISUAL.html",
        "staff/visual.html.bak",
        "staff/.html",
        "staff/..html",
        "admin/visual.html",
        "Staff/visual.html",
        "staff/%2e%2e.html",
        "staff/visual%00.html",
        "staff/js/main.js",
        "staff/",
        "staff",
        "",
        "staff/x/visual.html",
        "../../settings.py",
    ],
)
def test_any_other_name_under_ui_example_is_not_found(client, prefix, rest):
    answer = client.get(f"{prefix}/static/ui_example/{rest}")

    assert (answer.status_code, answer.content) == (404, b"not found")
    assert answer["Content-Type"] == "text/plain; charset=utf-8"


def test_the_original_page_urls_are_under_the_prefix_only(client, under_prefix):
    assert client.get("/static/ui_example/staff/visual.html").status_code == 404
    assert client.post(f"{PREFIX}/static/ui_example/staff/visual.html").status_code == 405
