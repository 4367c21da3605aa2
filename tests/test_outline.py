"""``community/outline`` for staff (everything, ordered by code) and residents (the units they live or have
lived in), §5.2."""

from datetime import UTC, datetime, timedelta

from django.utils import timezone

from apis.community.models import Cluster, Community, Unit
from tests.residency import hour, live_in


def unit_entry(code: str, **extra) -> dict:
    return {
        "communityId": "oss_community",
        "clusterId": "oss_cluster",
        "id": code,
        "name": code,
        "available_from": None,
        "available_to": None,
        **extra,
    }


def demo_outline(codes: list[str]) -> dict:
    return {
        "communities": {
            "oss_community": {
                "id": "oss_community",
                "name": "OSS Community",
                "clusters": {
                    "oss_cluster": {
                        "communityId": "oss_community",
                        "id": "oss_cluster",
                        "name": "OSS Cluster",
                        "units": {code: unit_entry(code) for code in codes},
                    }
                },
            }
        }
    }


def test_staff_outline_is_the_whole_demo_registry(staff):
    response = staff.get("/api/staff/community/outline")
    assert response.status_code == 200
    assert response.json() == demo_outline(["E001", "E002", "E003", "E004"])


def test_staff_outline_orders_by_code_and_keeps_empty_levels(staff):
    late = Community.objects.create(code="a_community", name="A")
    Cluster.objects.create(community=late, code="empty_cluster", name="Empty")
    Community.objects.create(code="z_community", name="Z")
    cluster = Cluster.objects.get(code="oss_cluster")
    Unit.objects.create(cluster=cluster, code="E000", name="E000")
    communities = staff.get("/api/staff/community/outline").json()["communities"]
    assert list(communities) == ["a_community", "oss_community", "z_community"]
    assert communities["a_community"]["clusters"]["empty_cluster"]["units"] == {}
    assert communities["z_community"]["clusters"] == {}
    assert list(communities["oss_community"]["clusters"]["oss_cluster"]["units"]) == [
        "E000",
        "E001",
        "E002",
        "E003",
        "E004",
    ]


def test_outline_shows_availability_as_iso_z_and_does_not_filter_by_it(staff):
    Unit.objects.filter(code="E002").update(
        available_from=datetime(2020, 1, 1, tzinfo=UTC), available_to=datetime(2020, 6, 1, 12, 30, tzinfo=UTC)
    )
    units = staff.get("/api/staff/community/outline").json()["communities"]["oss_community"]["clusters"]
    e002 = units["oss_cluster"]["units"]["E002"]
    assert (e002["available_from"], e002["available_to"]) == ("2020-01-01T00:00:00Z", "2020-06-01T12:30:00Z")


def test_resident_outline_lists_only_own_units(resident):
    response = resident.get("/api/resident/community/outline")
    assert response.status_code == 200
    assert response.json() == demo_outline(["E001"])


def test_staff_who_live_in_every_unit_see_them_all_as_residents(staff):
    assert staff.get("/api/resident/community/outline").json() == demo_outline(
        ["E001", "E002", "E003", "E004"]
    )


def test_resident_outline_leaves_out_communities_without_own_units(client_as):
    Community.objects.create(code="other", name="Other")
    communities = client_as("e002").get("/api/resident/community/outline").json()["communities"]
    assert list(communities) == ["oss_community"]


def test_outline_roles_are_enforced(client_as):
    assert client_as("e001").get("/api/staff/community/outline").content == b"staff required"
    assert client_as("nonresident").get("/api/resident/community/outline").content == b"resident required"
    assert client_as(None).get("/api/resident/community/outline").content == b"login required"


def test_resident_outline_lists_each_unit_lived_in_once_and_none_not_yet_moved_into(client_as):
    live_in("e002", (hour(1), hour(2)), (hour(3), hour(4)), (hour(5), None), unit="E002")
    live_in("e002", (hour(1), hour(9)), unit="E003")
    live_in("e002", (timezone.now() + timedelta(days=1), None), unit="E004")
    assert client_as("e002").get("/api/resident/community/outline").json() == demo_outline(["E002", "E003"])
