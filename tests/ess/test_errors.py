"""Every refused ESS request answers in the specification's error shape with a precise 4xx, never 500."""

import pytest

BASE = "/api/ess/operating-sites"
DOWNLOAD = "/api/ess/download/operating-sites"
OK_RANGE = "start-time=2022-09-01T10:00:00&end-time=2022-09-01T11:00:00"


@pytest.mark.parametrize(
    ("url", "status", "kind"),
    [
        (f"{BASE}/9/pcs/", 400, "Key Error"),
        (f"{BASE}/x/pcs/", 400, "Value Error"),
        (f"{BASE}/1/banks/one/", 400, "Value Error"),
        (f"{BASE}/1/banks/1/racks/-2/", 400, "Value Error"),
        (f"{BASE}/1/pcs/?fields=timestamp,nope", 400, "Key Error"),
        (f"{BASE}/1/pcs/?start-time=yesterday", 400, "Value Error"),
        (f"{BASE}/1/pcs/?start-time=2022-09-01T12:00:00&end-time=2022-09-01T11:00:00", 400, "Value Error"),
        (f"{BASE}/1/pcs/?date=2022-02-30", 400, "Value Error"),
        (f"{BASE}/1/pcs/?date=2022-09-01&start-time=2022-09-01T00:00:00", 400, "Value Error"),
        (f"{BASE}/1/pcs/?page=0", 400, "Value Error"),
        (f"{BASE}/1/pcs/?page=99", 404, "Not Found"),
        (f"{BASE}/1/pcs/?cursor=garbage", 400, "Value Error"),
        (f"{BASE}/1/pcs/?cursor=&page=2", 400, "Value Error"),
        (f"{BASE}/1/pcs/?interval=5min", 400, "Value Error"),
        (f"{BASE}/1/pcs/?agg=avg", 400, "Value Error"),
        (
            f"{BASE}/2/banks/1/?interval=1h&date=2022-09-01&fields=master_rack_communication_fault",
            400,
            "Value Error",
        ),
        (f"{DOWNLOAD}/1/racks/?{OK_RANGE}", 400, "Key Error"),
        (f"{DOWNLOAD}/1/rack/", 400, "Type Error"),
        (f"{DOWNLOAD}/1/rack/?start-time=2022-09-01T10:00:00", 400, "Type Error"),
        (f"{DOWNLOAD}/1/rack/?{OK_RANGE}&format=xlsx", 400, "Value Error"),
    ],
)
def test_bad_request_is_refused_in_the_spec_shape(researcher, ess_sites, url, status, kind):
    answer = researcher.get(url)
    assert answer.status_code == status
    body = answer.json()
    assert body["code"] == str(status) and body["exception type"] == kind and body["message"]


def test_unreachable_site_is_503_not_500(researcher, settings, tmp_path):
    settings.ESS_SITES = {"5": {"name": "gone", "url": str(tmp_path / "missing.sqlite3")}}
    answer = researcher.get(f"{BASE}/5/pcs/")
    assert answer.status_code == 503 and answer.json()["code"] == "503"


@pytest.mark.django_db
def test_anonymous_request_is_401(client):
    answer = client.get(f"{BASE}/1/pcs/")
    assert answer.status_code == 401
    assert answer.json()["exception type"] == "Not Authenticated"
