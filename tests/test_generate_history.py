"""The synthetic history generator: row counts, determinism, idempotency and plausible values."""

import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from apis.community.models import Unit
from apis.core.timeparse import parse_apis_time
from apis.deal.models import Deal
from apis.demo.history import HistorySpec, generate_history, simulate_cluster
from apis.emulator.physics import BATTERY_CAPACITY_WH
from apis.unit_data.models import UnitData

END = datetime(2024, 6, 10, 3, 0, tzinfo=UTC)
CYCLES_PER_DAY = 2880
LIFE_CYCLE = ("createDateTime", "activateDateTime", "startDateTime", "stopDateTime", "deactivateDateTime")


def documents(spec: HistorySpec, cluster: str = "oss_cluster") -> tuple[list[dict], list[dict]]:
    """All unit-data and deal documents of one cluster, as they would be posted."""
    units, deals = [], []
    for unit_docs, deal_docs in simulate_cluster(spec, cluster):
        units += unit_docs
        deals += deal_docs
    return units, deals


@pytest.fixture(scope="module")
def week() -> tuple[list[dict], list[dict]]:
    return documents(HistorySpec(end=END, days=7, units=4))


@pytest.mark.django_db
def test_command_stores_a_30_second_row_per_unit_and_cluster_and_creates_the_registry():
    call_command("generate_history", days=1, clusters=2, units=3, end=END.isoformat(), verbosity=0)

    assert UnitData.objects.count() == 2 * 3 * CYCLES_PER_DAY
    for cluster in ("oss_cluster", "cluster_002"):
        rows = UnitData.objects.filter(
            reported_unit__community_id="oss_community", reported_unit__cluster_id=cluster
        )
        units = rows.values_list("reported_unit__unit_id", flat=True).distinct()
        assert sorted(units) == ["E001", "E002", "E003"]
        of_e002 = rows.filter(reported_unit__unit_id="E002")
        assert of_e002.latest("dataset_id").time == END
        assert of_e002.earliest("dataset_id").time == END - timedelta(days=1, seconds=-30)
    assert sorted(Unit.objects.values_list("cluster__code", "code")) == [
        (cluster, unit) for cluster in ("cluster_002", "oss_cluster") for unit in ("E001", "E002", "E003")
    ]
    assert Deal.objects.filter(cluster_id="cluster_002").exists()


def test_demo_registry_units_are_reused_not_duplicated(demo_registry):
    generate_history(HistorySpec(end=END, days=1, units=5))

    assert list(Unit.objects.filter(cluster__code="oss_cluster").values_list("code", flat=True)) == [
        "E001",
        "E002",
        "E003",
        "E004",
        "E005",
    ]
    assert Unit.objects.get(code="E001").residencies.filter(user__username="e001").exists()


@pytest.mark.django_db
def test_running_twice_stores_nothing_new():
    spec = HistorySpec(end=END, days=1, units=2)
    first = generate_history(spec)
    rows, deals = UnitData.objects.count(), Deal.objects.count()

    second = generate_history(spec)

    assert first.rows == rows == 2 * CYCLES_PER_DAY
    assert second.rows == 0
    assert (UnitData.objects.count(), Deal.objects.count()) == (rows, deals)


def test_same_seed_and_end_give_the_same_documents_and_another_seed_does_not():
    spec = HistorySpec(end=END, days=1, units=3, seed=7)

    assert json.dumps(documents(spec)) == json.dumps(documents(spec)), "byte-identical, key order and all"
    assert documents(spec)[0] != documents(HistorySpec(end=END, days=1, units=3, seed=8))[0]


def test_every_cycle_reports_all_units_with_one_dataset_id_and_one_grid_master(week):
    units, _ = week
    cycles: dict[int, list[dict]] = defaultdict(list)
    for doc in units:
        cycles[doc["datasetId"]].append(doc)

    assert len(cycles) == 7 * CYCLES_PER_DAY
    for dataset_id, docs in cycles.items():
        assert sorted(doc["oesunit"]["id"] for doc in docs) == ["E001", "E002", "E003", "E004"]
        assert sum(bool(doc["apis"].get("is_grid_master")) for doc in docs) == 1
        assert {parse_apis_time(doc["time"]).timestamp() * 1000 for doc in docs} == {dataset_id}


def test_unit_values_stay_in_plausible_ranges(week):
    units, _ = week

    assert all(0 <= doc["battery"]["rsoc"] <= 100 for doc in units)
    assert all(
        doc["apis"]["remaining_capacity_wh"] == int(BATTERY_CAPACITY_WH * doc["battery"]["rsoc"] / 100)
        for doc in units
    )
    assert all(0 <= doc["emu"]["pvc_charge_power"] <= 3000 for doc in units)
    assert all(50 <= doc["emu"]["ups_output_power"] <= 3000 for doc in units)
    assert all(-2.35 <= doc["dcdc"]["meter"]["ig"] <= 2.35 for doc in units)
    assert all(32 <= doc["dcdc"]["meter"]["vb"] <= 58.4 for doc in units)
    rsocs = [doc["battery"]["rsoc"] for doc in units]
    assert max(rsocs) - min(rsocs) > 50, "batteries charge and discharge over a week"
    night = [doc for doc in units if doc["time"][11:13] in ("01", "02")]
    assert night and all(doc["emu"]["pvc_charge_power"] == 0 for doc in night)


def test_dc_status_follows_deals_and_modes_are_mostly_autonomous(week):
    units, _ = week
    statuses = defaultdict(int)
    modes = defaultdict(int)
    for doc in units:
        statuses[doc["dcdc"]["status"]["status"]] += 1
        modes[doc["apis"]["operation_mode"]["effective"]] += 1
        assert doc["oesunit"]["budo"] == (
            "1" if doc["apis"]["operation_mode"]["effective"] == "autonomous" else "0"
        )
        if doc["dcdc"]["status"]["status"] != "0x0000":
            assert doc["apis"]["deal_id_list"], "a DC/DC only leaves waiting for a deal"
        if doc["dcdc"]["status"]["status"] == "0x0014":
            assert doc["dcdc"]["meter"]["vg"] > 300
    assert set(statuses) == {"0x0000", "0x0014", "0x0041", "0x0002"}
    assert modes["autonomous"] > 0.9 * len(units)
    assert modes["heteronomous"] > 0 and modes["stop"] > 0


def test_deal_times_follow_the_life_cycle_and_some_deals_end_abnormally(week):
    _, deals = week

    assert len(deals) > 20
    for deal in deals:
        times = [parse_apis_time(deal[name]) for name in LIFE_CYCLE if name in deal]
        present = [moment for moment in times if moment is not None]
        assert present == sorted(present), deal["dealId"]
        assert deal["chargeUnitId"] != deal["dischargeUnitId"]
        assert deal["dealAmountWh"] <= min(deal["requestAmountWh"], deal["acceptAmountWh"])
    finished = [deal for deal in deals if "deactivateDateTime" in deal]
    assert all(
        deal.get("cumulateAmountWh", 0) > deal["dealAmountWh"]
        for deal in finished
        if "stopDateTime" in deal and deal["stopDateTime"] != "--"
    )
    assert any("abortDateTime" in deal or "scramDateTime" in deal for deal in finished)
    assert any(deal["stopDateTime"] == "--" for deal in finished)
    assert any("reset" in deal for deal in deals)


def test_last_deals_are_live_at_the_end(week):
    _, deals = week
    end = int(END.timestamp())

    live = [deal for deal in deals if "deactivateDateTime" not in deal]
    assert len(live) >= 1
    assert all(deal["reportTime"] == end and deal["cumulateAmountWh"] > 0 for deal in live)
    assert sum(bool(deal.get("isMaster")) for deal in live) == 1
    assert all(deal["reportTime"] <= end for deal in deals)


@pytest.mark.django_db
def test_without_end_the_history_ends_now_with_live_deals():
    call_command("generate_history", days=1, units=2, verbosity=0)

    now = timezone.now()
    newest = UnitData.objects.latest("dataset_id").time
    assert now - timedelta(seconds=60) < newest <= now
    live = Deal.objects.filter(deactivate_datetime__isnull=True, report_time__gte=now.timestamp() - 60)
    assert live.exists()


@pytest.mark.django_db
def test_bad_end_is_a_clear_error():
    with pytest.raises(CommandError, match="--end"):
        call_command("generate_history", days=1, end="yesterday", verbosity=0)
