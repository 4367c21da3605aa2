"""Quarantined report items as staff see them: ``GET /api/staff/ingest/rejected`` (newest first, paged by
``next`` links, by role, with the original's parameter errors), the read-only admin list, and the retention
that ``apis jobs`` runs."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from apis.community.models import Cluster, Community
from apis.ingest.models import RejectedItem
from apis.ingest.quarantine import delete_expired_rejections
from apis.ingest.staff import MAX_LIMIT
from apis.jobs.registry import registered_jobs as jobs
from apis.jobs.runner import run_job
from tests.ingest_support import DEAL_URL, UNIT_URL, issue_token, post
from tests.payloads import CLUSTER, COMMUNITY, deal_doc, unit_doc

LIST = "/api/staff/ingest/rejected"
IDS = {"communityId": COMMUNITY, "clusterId": CLUSTER}


@pytest.fixture
def token(demo_registry) -> str:
    return issue_token()[1]


def broken_unit(n: int, cluster: str = CLUSTER) -> dict:
    doc = unit_doc(f"E{n:03d}", dataset_id=1_000 + n, cluster=cluster)
    del doc["time"]
    return doc


def quarantine_units(token: str, count: int) -> None:
    """``count`` reports of one broken unit each, quarantined in that order."""
    for n in range(count):
        assert post(UNIT_URL, [broken_unit(n)], token).status_code == 200


def test_staff_see_the_quarantined_items_of_a_cluster_newest_first(token, staff):
    post(UNIT_URL, [unit_doc("E001"), broken_unit(2)], token)
    post(DEAL_URL, [{**deal_doc("d-1"), "reportTime": "soon"}], token)

    response = staff.get(LIST, IDS)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    page = response.json()
    assert page["next"] is None
    deal, unit = page["results"]
    assert (deal["kind"], deal["index"], deal["field"], deal["reason"]) == (
        "deal",
        0,
        "reportTime",
        "expected an integer",
    )
    assert (unit["kind"], unit["index"], unit["field"], unit["reason"]) == ("unitData", 1, "time", "missing")
    assert json.loads(unit["raw"]) == broken_unit(2)
    assert unit["rawLength"] == len(unit["raw"])
    assert deal["id"] > unit["id"]
    received = datetime.fromisoformat(unit["received"])
    assert abs(received - datetime.now(UTC)) < timedelta(minutes=1)


def test_pages_follow_next_links_to_the_oldest_item_without_gaps(token, staff):
    quarantine_units(token, 7)

    seen, url, params = [], LIST, {**IDS, "limit": "3"}
    while url:
        page = staff.get(url, params).json()
        assert len(page["results"]) <= 3
        seen += [json.loads(item["raw"])["oesunit"]["id"] for item in page["results"]]
        url, params = page["next"], None

    assert seen == [f"E{n:03d}" for n in reversed(range(7))]


def test_a_page_after_an_item_and_of_one_kind(token, staff):
    quarantine_units(token, 3)
    post(DEAL_URL, [{"dealId": "no cluster"}], token)
    newest_unit = RejectedItem.objects.filter(kind="unitData").order_by("-id").first()

    after = staff.get(LIST, {**IDS, "before": str(newest_unit.id)}).json()
    units = staff.get(LIST, {**IDS, "kind": "unitData", "limit": "1"}).json()

    assert [item["id"] for item in after["results"]] == list(
        RejectedItem.objects.filter(id__lt=newest_unit.id).order_by("-id").values_list("id", flat=True)
    )
    assert [item["id"] for item in units["results"]] == [newest_unit.id]
    assert "kind=unitData" in units["next"] and f"before={newest_unit.id}" in units["next"]


def test_items_of_other_clusters_are_not_listed(token, staff):
    other = Cluster.objects.create(
        community=Community.objects.get(code=COMMUNITY), code="other", name="other"
    )
    assert post(UNIT_URL, [broken_unit(1, "other")], issue_token(COMMUNITY, other.code)[1]).status_code == 200

    assert staff.get(LIST, IDS).json() == {"results": [], "next": None}
    assert len(staff.get(LIST, {**IDS, "clusterId": "other"}).json()["results"]) == 1


def test_the_default_page_is_bounded(token, staff):
    post(UNIT_URL, [broken_unit(n) for n in range(60)], token)

    page = staff.get(LIST, IDS).json()

    assert len(page["results"]) == 50 and page["next"]


@pytest.mark.parametrize(
    ("username", "status", "message"),
    [
        (None, 403, "login required"),
        ("e001", 403, "staff required"),
        ("nonresident", 403, "staff required"),
    ],
)
def test_only_staff_see_quarantined_items(client_as, username, status, message):
    response = client_as(username).get(LIST, IDS)

    assert (response.status_code, response.content.decode()) == (status, message)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "no param : communityId, clusterId"),
        ({"communityId": COMMUNITY}, "no param : communityId, clusterId"),
        ({**IDS, "clusterId": "nowhere"}, "bad param values : communityId, clusterId"),
        ({**IDS, "limit": "0"}, f"invalid limit : 0 (expected an integer from 1 to {MAX_LIMIT})"),
        (
            {**IDS, "limit": str(MAX_LIMIT + 1)},
            f"invalid limit : {MAX_LIMIT + 1} (expected an integer from 1 to",
        ),
        ({**IDS, "limit": "-1"}, "invalid limit : -1 "),
        ({**IDS, "limit": "2.5"}, "invalid limit : 2.5 "),
        ({**IDS, "limit": "١٢"}, "invalid limit : ١٢ "),
        ({**IDS, "limit": "9" * 5000}, "invalid limit : " + "9" * 40 + " "),
        ({**IDS, "before": "x"}, "invalid before : x (expected an integer from 1 to"),
        ({**IDS, "before": str(2**63)}, f"invalid before : {2**63} "),
        ({**IDS, "kind": "apisLog"}, "invalid kind : apisLog (expected unitData or deal)"),
    ],
)
def test_bad_parameters_are_refused_with_the_originals_messages(staff, params, message):
    response = staff.get(LIST, params)

    assert response.status_code == 400
    assert response.content.decode().startswith(message)


def test_the_list_answers_only_get(staff):
    assert staff.post(LIST, IDS).status_code == 405


# ---- admin -------------------------------------------------------------------------------------------


def test_admin_lists_quarantined_items_by_kind_and_reason_and_changes_nothing(token, staff):
    post(UNIT_URL, [broken_unit(1), 7], token)
    post(DEAL_URL, [{**deal_doc(), "createDateTime": "yesterday"}], token)
    item = RejectedItem.objects.get(kind="deal")

    by_reason = staff.get("/admin/ingest/rejecteditem/", {"reason": "missing", "cluster": CLUSTER})
    by_kind = staff.get("/admin/ingest/rejecteditem/", {"kind__exact": "deal"})
    detail = staff.get(f"/admin/ingest/rejecteditem/{item.pk}/change/")

    assert [row.field for row in by_reason.context["cl"].result_list] == ["time"]
    assert [row.pk for row in by_kind.context["cl"].result_list] == [item.pk]
    assert detail.status_code == 200 and "yesterday" in detail.content.decode()
    assert b'name="_save"' not in detail.content
    assert staff.get("/admin/ingest/rejecteditem/add/").status_code == 403
    assert staff.post(f"/admin/ingest/rejecteditem/{item.pk}/delete/", {"post": "yes"}).status_code == 403
    assert RejectedItem.objects.count() == 3


# ---- retention ---------------------------------------------------------------------------------------


def _age(days: float) -> None:
    """Make the newest quarantined item ``days`` old."""
    item = RejectedItem.objects.order_by("-id").first()
    RejectedItem.objects.filter(pk=item.pk).update(received=item.received - timedelta(days=days))


def test_retention_deletes_only_items_older_than_the_setting(token, settings):
    settings.INGEST_REJECTED_RETENTION_DAYS = 30
    for n, days in enumerate((31, 30.01, 29.9, 0)):
        post(UNIT_URL, [broken_unit(n)], token)
        _age(days)

    assert delete_expired_rejections() == 2
    kept = [json.loads(raw)["oesunit"]["id"] for raw in RejectedItem.objects.values_list("raw", flat=True)]
    assert sorted(kept) == ["E002", "E003"]


def test_the_retention_job_of_apis_jobs_deletes_expired_quarantined_items(token, settings, caplog):
    settings.INGEST_REJECTED_RETENTION_DAYS = 1
    post(UNIT_URL, [broken_unit(1)], token)
    _age(2)
    post(UNIT_URL, [broken_unit(2)], token)
    (retention,) = [job for job in jobs() if job.name == "log_retention"]

    with caplog.at_level("INFO", logger="apis.jobs.runner"):
        assert run_job(retention)

    assert RejectedItem.objects.count() == 1
    assert "1 quarantined ingest items deleted" in caplog.text
