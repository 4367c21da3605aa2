"""The deal rules below the API (``apis.deal.queries``, ``apis.deal.scopes``): the live rule and its
tolerance setting, creation-time bounds, what a resident's scope holds, and the hourly sums."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from apis.community.residency import Tenure
from apis.deal.models import Deal
from apis.deal.scopes import cluster_scope, resident_scope
from apis.deal.store import store_deals
from apis.ingest.parse import parse_deals
from tests.payloads import CLUSTER, COMMUNITY, deal_doc
from tests.residency import deal_id, hour, store_day

NOW = 1_700_000_000


def store(*docs: dict) -> None:
    store_deals(parse_deals(list(docs), COMMUNITY, CLUSTER))


def ids(deals) -> list[str]:
    return sorted(deals.values_list("deal_id", flat=True))


def tenure(*periods: tuple[datetime, datetime | None]) -> Tenure:
    return Tenure(tuple(periods), now=hour(23))


@pytest.mark.django_db
def test_live_follows_the_tolerance_setting(settings):
    settings.DEAL_LIVE_TOLERANCE_SEC = 60
    store(deal_doc("d-recent", report_time=NOW - 59), deal_doc("d-stale", report_time=NOW - 60))
    assert ids(Deal.objects.live(NOW)) == ["d-recent"]
    settings.DEAL_LIVE_TOLERANCE_SEC = 120
    assert ids(Deal.objects.live(NOW)) == ["d-recent", "d-stale"]


@pytest.mark.django_db
def test_a_deactivated_deal_is_not_live_however_recent_its_report():
    store(deal_doc("d-1", report_time=NOW, deactivated="2023-11-14T22:00:00Z"))
    assert not Deal.objects.live(NOW).exists()


@pytest.mark.django_db
def test_created_in_includes_the_start_and_excludes_the_end():
    store(*(deal_doc(f"d-{h}", create=f"2020-01-01T0{h}:00:00Z") for h in (1, 2, 3)))
    start, end = datetime(2020, 1, 1, 1, tzinfo=UTC), datetime(2020, 1, 1, 3, tzinfo=UTC)
    assert ids(Deal.objects.created_in(start, end)) == ["d-1", "d-2"]
    assert ids(Deal.objects.created_in(None, end)) == ["d-1", "d-2"]
    assert ids(Deal.objects.created_in(start + timedelta(seconds=1), None)) == ["d-2", "d-3"]
    assert ids(Deal.objects.created_in(None, None)) == ["d-1", "d-2", "d-3"]


@pytest.mark.django_db
def test_a_resident_sees_the_deals_of_their_unit_created_within_their_periods():
    store_day()  # E001 deals at hours 1-5 and 7-9; E002-E003 at 3
    scope = resident_scope(COMMUNITY, CLUSTER, "E001", tenure((hour(2), hour(4)), (hour(8), None)))
    assert ids(Deal.objects.visible_to(scope)) == [deal_id(2), deal_id(3), deal_id(8), deal_id(9)]


@pytest.mark.django_db
def test_staff_see_every_deal_of_the_cluster_and_none_of_another():
    store_day()
    store_deals(parse_deals([deal_doc("d-elsewhere", cluster="another")], COMMUNITY, "another"))
    visible = ids(Deal.objects.visible_to(cluster_scope(COMMUNITY, CLUSTER)))
    assert "d-elsewhere" not in visible
    assert len(visible) == 9


@pytest.mark.django_db
def test_documents_of_several_periods_come_oldest_first_and_once_each():
    store_day()
    store(deal_doc("d-self", create="2020-01-01T02:30:00Z", discharge="E001", charge="E001"))
    scope = resident_scope(COMMUNITY, CLUSTER, "E001", tenure((hour(7), None), (hour(1), hour(3))))
    documents = [document["dealId"] for document in scope.documents()]
    assert documents == [deal_id(1), deal_id(2), "d-self", deal_id(7), deal_id(8), deal_id(9)]


@pytest.mark.django_db
def test_documents_narrowed_keep_only_what_the_narrowing_keeps():
    store_day()
    scope = resident_scope(COMMUNITY, CLUSTER, "E001", tenure((hour(1), None)))
    narrowed = scope.documents(lambda deals: deals.created_in(hour(4), hour(8)))
    assert [document["dealId"] for document in narrowed] == [deal_id(4), deal_id(5), deal_id(7)]


@pytest.mark.django_db
def test_creation_range_spans_the_visible_deals_only():
    store_day()
    scope = resident_scope(COMMUNITY, CLUSTER, "E001", tenure((hour(2), hour(6))))
    assert scope.creation_range() == (hour(2), hour(5))
    assert resident_scope(COMMUNITY, CLUSTER, "E001", tenure((hour(20), None))).creation_range() is None


def test_a_former_resident_sees_no_live_deals():
    assert resident_scope(COMMUNITY, CLUSTER, "E001", tenure((hour(1), hour(2)))).live is False
    assert resident_scope(COMMUNITY, CLUSTER, "E001", tenure((hour(1), None))).live is True


@pytest.mark.django_db
def test_hour_sums_group_by_the_hour_at_the_offset():
    store(
        deal_doc("d-1", create="2020-01-01T14:10:00Z", cumulate_wh=1.5),
        deal_doc("d-2", create="2020-01-01T14:50:00Z", cumulate_wh=2),
        deal_doc("d-3", create="2020-01-01T15:00:00Z", cumulate_wh=4),
    )
    assert Deal.objects.hour_sums(UTC) == {"14": 3.5, "15": 4.0}
    assert Deal.objects.hour_sums(timezone(timedelta(hours=9))) == {"0": 4.0, "23": 3.5}
    assert Deal.objects.hour_sums(timezone(timedelta(hours=9, minutes=30))) == {"0": 6.0, "23": 1.5}
    assert Deal.objects.hour_sums(timezone(-timedelta(hours=15))) == {"23": 3.5, "0": 4.0}
