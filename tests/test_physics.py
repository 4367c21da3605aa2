"""One physics model (``apis.emulator.physics``) for the emulator and the demo's history: both report the same
DC/DC conversion loss per mode from one table, the solar profile is dark at night and peaks at noon, the state
of charge stays within 0–100, the AC charging switches with its hysteresis, and in both the voltage reference
balances the DC grid."""

from collections import defaultdict
from datetime import UTC, datetime

import pytest

from apis.demo.history import HistorySpec, simulate_cluster
from apis.emulator.cluster import Cluster, ClusterConfig
from apis.emulator.physics import (
    BATTERY_CAPACITY_WH,
    DCDC_MODES,
    VOLTAGE_REFERENCE,
    Unit,
    solar_w,
    step_rsoc,
)

END = datetime(2024, 6, 10, 3, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def history_cycles() -> list[list[dict]]:
    """Two days of a four-unit history: the unit-data documents of each 30-second cycle."""
    cycles: dict[int, list[dict]] = defaultdict(list)
    for unit_docs, _ in simulate_cluster(HistorySpec(end=END, days=2, units=4, seed=3), "oss_cluster"):
        for doc in unit_docs:
            cycles[doc["datasetId"]].append(doc)
    return list(cycles.values())


@pytest.fixture(scope="module")
def emulator_cycles() -> list[list[dict]]:
    """Two world hours of the emulated cluster: the grid master's unit data after each one-minute tick."""
    cluster = Cluster(ClusterConfig(speed=60))
    cycles = []
    for _ in range(120):
        cluster.tick(1.0)
        cycles.append(list(cluster.unit_data().values()))
    return cycles


def _losses(cycles: list[list[dict]]) -> dict[str, set[float]]:
    """The conversion loss each DC/DC mode shows in the reported meters: wg − wb, to 0.1 W."""
    losses: dict[str, set[float]] = defaultdict(set)
    for docs in cycles:
        for doc in docs:
            meter = doc["dcdc"]["meter"]
            losses[doc["dcdc"]["status"]["status"]].add(round(meter["wg"] - meter["wb"], 1))
    return losses


def test_history_and_emulator_report_the_same_conversion_loss_per_mode(history_cycles, emulator_cycles):
    history, emulator = _losses(history_cycles), _losses(emulator_cycles)

    assert set(history) == set(DCDC_MODES), "the history runs every DC/DC mode"
    assert VOLTAGE_REFERENCE in emulator and set(emulator) <= set(DCDC_MODES)
    for losses in (history, emulator):
        for mode, seen in losses.items():
            assert all(abs(loss - DCDC_MODES[mode].loss_w) <= 0.1 for loss in seen), (mode, seen)
    assert {round(loss) for loss in history[VOLTAGE_REFERENCE] | emulator[VOLTAGE_REFERENCE]} == {
        round(DCDC_MODES[VOLTAGE_REFERENCE].loss_w)
    }


@pytest.mark.parametrize("source", ["history_cycles", "emulator_cycles"])
def test_the_voltage_reference_balances_the_grid(source, request):
    cycles = request.getfixturevalue(source)

    referenced = 0
    for docs in cycles:
        assert abs(sum(doc["dcdc"]["meter"]["ig"] for doc in docs)) < 1e-9
        references = [doc for doc in docs if doc["dcdc"]["status"]["status"] == VOLTAGE_REFERENCE]
        assert len(references) <= 1
        referenced += any(doc["dcdc"]["meter"]["ig"] != 0 for doc in references)
    assert referenced > 0, "some cycles have current flowing through the reference"


@pytest.mark.parametrize("source", ["history_cycles", "emulator_cycles"])
def test_rsoc_stays_within_0_and_100_in_both(source, request):
    cycles = request.getfixturevalue(source)

    assert all(0 <= doc["battery"]["rsoc"] <= 100 for docs in cycles for doc in docs)


def test_the_rsoc_step_integrates_the_power_and_clamps_to_0_and_100():
    hour = 3600

    assert step_rsoc(50.0, BATTERY_CAPACITY_WH / 10, hour, BATTERY_CAPACITY_WH) == pytest.approx(60.0)
    assert step_rsoc(50.0, -BATTERY_CAPACITY_WH / 10, hour, BATTERY_CAPACITY_WH) == pytest.approx(40.0)
    assert step_rsoc(99.5, 5000.0, hour, BATTERY_CAPACITY_WH) == 100.0
    assert step_rsoc(100.0, 1.0, 30, BATTERY_CAPACITY_WH) == 100.0, "a full battery takes no charge"
    assert step_rsoc(0.5, -5000.0, hour, BATTERY_CAPACITY_WH) == 0.0
    assert step_rsoc(0.0, -1.0, 30, BATTERY_CAPACITY_WH) == 0.0


def test_solar_is_zero_at_night_and_peaks_at_noon():
    hours = [h / 100 for h in range(2400)]
    output = {hour: solar_w(hour, 1000.0) for hour in hours}

    assert all(watts == 0 for hour, watts in output.items() if hour <= 6 or hour >= 18)
    assert all(watts > 0 for hour, watts in output.items() if 6 < hour < 18)
    assert max(output, key=output.get) == 12.0 and output[12.0] == pytest.approx(1000.0)
    assert solar_w(9.0, 1000.0) == pytest.approx(solar_w(15.0, 1000.0))
    assert solar_w(24 + 12.0, 1000.0) == pytest.approx(1000.0), "the profile repeats daily"


def test_the_emulated_unit_takes_its_pv_from_the_solar_profile():
    unit = Unit("E001", 1, BATTERY_CAPACITY_WH, 50.0, pv_peak_w=1500.0, load_scale=1.0)

    unit.advance(12.0, 0)
    assert unit.pv_w == pytest.approx(1500.0)
    unit.advance(2.0, 0)
    assert unit.pv_w == 0


def test_ac_charging_switches_on_at_20_and_off_at_25_percent():
    unit = Unit("E001", 1, BATTERY_CAPACITY_WH, 30.0, pv_peak_w=0.0, load_scale=1.0)
    switched = []
    for rsoc in (30.0, 22.0, 20.5, 20.0, 18.0, 22.0, 24.9, 25.0, 27.0, 22.0, 20.1, 20.0):
        unit.rsoc = rsoc
        unit.advance(0.0, 0)  # no time passes: only the switch moves
        switched.append((rsoc, unit.ac_charging))

    assert switched == [
        (30.0, False),
        (22.0, False),
        (20.5, False),
        (20.0, True),
        (18.0, True),
        (22.0, True),
        (24.9, True),
        (25.0, False),
        (27.0, False),
        (22.0, False),
        (20.1, False),
        (20.0, True),
    ]
