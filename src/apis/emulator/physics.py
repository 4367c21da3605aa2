"""The one physics model of an APIS unit and its DC grid (apis-ecosystem §5), shared by the emulator (``Unit``
below, run by ``emulator/cluster.py``) and the demo's history generator (``demo/history/``): grid and battery
voltages, the DC/DC modes with their conversion losses, the UPS's bypass and AC-charging hysteresis, the solar
and household profiles, the power balance and the state-of-charge step. The losses, UPS triggers and AC
charging power are those of the reference apis-emulator's ``config.py``.

Whatever varies between units or days (panel size and orientation, household size and rhythm, weather,
measurement jitter) is not part of the model: the callers pass it in (``solar_w(hour, peak_w)``)."""

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

# ---- the cluster's constants ----------------------------------------------------------------------------

GRID_VOLTAGE_V = 350.0  # the voltage reference's target grid voltage (``vdis.dvg``)
BATTERY_CAPACITY_WH = 4800.0
# DC/DC converter limits (``dcdc.param``): over/under grid voltage, battery current, over/under battery
# voltage.
DCDC_LIMITS = {"ogv": 400, "ugv": 300, "cib": 25, "obv": 59, "ubv": 40}
EFFICIENT_BATTERY_GRID_VOLTAGE_RATIO = 6.5  # apis-main's ``efficientBatteryGridVoltageRatio``
# A running deal keeps both batteries inside this window; outside it the grid master aborts the deal.
DEAL_RSOC_MIN, DEAL_RSOC_MAX = 20.0, 95.0

WAIT, VOLTAGE_REFERENCE, DISCHARGE, CHARGE = "0x0000", "0x0014", "0x0002", "0x0041"


@dataclass(frozen=True)
class DcdcMode:
    """A DC/DC status code as the unit reports it, and the converter's loss in it (grid − battery side)."""

    status_name: str
    running_state: str
    operation_mode: str
    loss_w: float


DISCHARGE_LOSS_W = 55.0
# The voltage reference (grid autonomy mode) loses what a discharging converter loses: the reference
# emulator has no loss of its own for it, and runs grid autonomy only while discharging (its
# ``modesRunning``). The history's former 60 W had no source.
DCDC_MODES = {
    WAIT: DcdcMode("Waiting", "off", "Waiting", 4.5),
    VOLTAGE_REFERENCE: DcdcMode("Grid Autonomy Mode", "discharge", "Grid Autonomy", DISCHARGE_LOSS_W),
    DISCHARGE: DcdcMode("Heteronomy CV Discharging", "discharge", "Heteronomy CV", DISCHARGE_LOSS_W),
    CHARGE: DcdcMode("Heteronomy CV Charging - grid current limited", "charge", "Heteronomy CV", 71.0),
}

SYSTEM_LOSS_W = 17.5  # the unit's own electronics, always drawn from the battery
UPS_LOAD_FACTOR = 1.04  # battery power per watt of household load while the UPS runs on the battery
STANDBY_INPUT_W = 57.0  # AC input (``powermeter.p2``) of a unit whose UPS runs on the battery
BYPASS_INPUT_W, BYPASS_LOAD_FACTOR = 67.0, 1.06  # in bypass the AC input also feeds the load
AC_CHARGING_W = 150.0  # into the battery while AC charging
AC_CHARGER_LOSS_W = 10.0  # on the AC input, on top of the charging power


@dataclass(frozen=True)
class Hysteresis:
    """A switch on the state of charge: on at ``rsoc ≤ on_at``, off again only at ``rsoc ≥ off_at``."""

    on_at: float
    off_at: float

    def switch(self, on: bool, rsoc: float) -> bool:
        return rsoc <= self.on_at or (on and rsoc < self.off_at)


UPS_BYPASS = Hysteresis(on_at=30.0, off_at=35.0)  # the UPS feeds the load from the AC grid
AC_CHARGING = Hysteresis(on_at=20.0, off_at=25.0)  # and charges the battery from it

UPS_MODE_BATTERY, UPS_MODE_BYPASS = 2, 5  # ``emu.ups_operation_mode.mode``

# ---- profiles and the power balance ---------------------------------------------------------------------


def battery_voltage_v(rsoc: float) -> float:
    """Battery voltage: 46 V empty to 50 V full, the reference emulator's 48 V at half charge."""
    return 46.0 + 4.0 * rsoc / 100


def efficient_grid_voltage_v(rsoc: float) -> float:
    """A deal's ``chargeUnitEfficientGridVoltageV``/``dischargeUnitEfficientGridVoltageV`` of a unit."""
    return round(EFFICIENT_BATTERY_GRID_VOLTAGE_RATIO * battery_voltage_v(rsoc), 1)


def solar_w(hour: float, peak_w: float) -> float:
    """PV output at local ``hour`` of a day whose noon output is ``peak_w`` (sunrise 6:00, sunset 18:00)."""
    hour %= 24
    if not 6.0 < hour < 18.0:
        return 0.0
    return peak_w * math.sin(math.pi * (hour - 6.0) / 12.0) ** 1.5


def household_w(hour: float, scale: float = 1.0) -> float:
    """Household load (W) at local ``hour``: base load, morning, noon and evening peaks × ``scale``."""
    hour %= 24
    return scale * (
        120.0
        + 450.0 * math.exp(-(((hour - 7.5) / 1.0) ** 2))
        + 100.0 * math.exp(-(((hour - 12.5) / 1.5) ** 2))
        + 800.0 * math.exp(-(((hour - 19.5) / 1.6) ** 2))
    )


def dcdc_battery_w(mode: str, wg: float) -> float:
    """DC/DC battery-side power (``meter.wb``) at grid-side ``wg``: less the mode's conversion loss."""
    return wg - DCDC_MODES[mode].loss_w


def reference_current(others: Iterable[float]) -> float:
    """The voltage reference's grid current: it takes up what every other unit draws or injects."""
    return -float(sum(others))


def battery_w(dcdc_w: float, pv_w: float, load_w: float, *, bypass: bool, ac_charging: bool) -> float:
    """Power into the battery (< 0: out of it): DC/DC, PV, AC charging, minus the system loss and, unless the
    UPS bypasses the battery, the household load."""
    ac = AC_CHARGING_W if ac_charging else 0.0
    load = 0.0 if bypass else load_w * UPS_LOAD_FACTOR
    return dcdc_w + pv_w - SYSTEM_LOSS_W + ac - load


def ac_input_w(load_w: float, *, bypass: bool, ac_charging: bool) -> float:
    """The unit's AC input (``powermeter.p2``): standby, the load in bypass, and the AC charger."""
    bypassed = load_w * BYPASS_LOAD_FACTOR + BYPASS_INPUT_W if bypass else 0.0
    charger = AC_CHARGING_W + AC_CHARGER_LOSS_W if ac_charging else 0.0
    return STANDBY_INPUT_W + bypassed + charger


def energy_wh(power_w: float, seconds: float) -> float:
    return power_w * seconds / 3600


def step_rsoc(rsoc: float, power_w: float, seconds: float, capacity_wh: float) -> float:
    """The state of charge after ``seconds`` of ``power_w`` into the battery: clamped to 0–100, so a full
    battery takes no charge and an empty one gives nothing."""
    return min(100.0, max(0.0, rsoc + energy_wh(power_w, seconds) / capacity_wh * 100))


def dcdc_temperature_c(hour: float, mode: str) -> float:
    """The converter's temperature: warmer in the afternoon (the sun two hours late) and while converting."""
    return 26.0 + solar_w(hour - 2, 6.0) + (0.0 if mode == WAIT else 4.0)


def dcdc_status(mode: str) -> dict:
    """``dcdc.status`` of a unit in ``mode``."""
    dcdc = DCDC_MODES[mode]
    return {
        "status": mode,
        "alarm": "0000 0000 0000",
        "alarmState": "No alarm",
        "statusName": dcdc.status_name,
        "runningState": dcdc.running_state,
        "operationMode": dcdc.operation_mode,
    }


def ups_operation_mode(bypass: bool) -> dict:
    """``emu.ups_operation_mode``."""
    return {"parameter": 80, "mode": UPS_MODE_BYPASS if bypass else UPS_MODE_BATTERY, "stop_mode": 2}


# ---- the emulator's unit --------------------------------------------------------------------------------


@dataclass
class Unit:
    """An emulated unit's state; ``ig`` > 0 means power from the DC grid into the unit (charging)."""

    unit_id: str
    index: int
    capacity_wh: float
    rsoc: float
    pv_peak_w: float
    load_scale: float
    mode: str = WAIT
    dig: float = 0.0
    ig: float = 0.0
    vg: float = 0.0
    hour: float = 0.0
    pv_w: float = 0.0
    load_w: float = 0.0
    bypass: bool = False
    ac_charging: bool = False
    local_mode: str | None = None
    stopped: bool = False
    silent: bool = False
    deal_ids: list[str] = field(default_factory=list)

    @property
    def remaining_wh(self) -> float:
        return self.capacity_wh * self.rsoc / 100

    @property
    def wg(self) -> float:
        return self.ig * self.vg

    @property
    def wb(self) -> float:
        return dcdc_battery_w(self.mode, self.wg)

    def advance(self, hour: float, seconds: float) -> None:
        """Advance ``seconds`` of world time at time of day ``hour``."""
        self.hour = hour
        self.pv_w = solar_w(hour, self.pv_peak_w)
        self.load_w = household_w(hour, self.load_scale)
        self.bypass = UPS_BYPASS.switch(self.bypass, self.rsoc)
        self.ac_charging = AC_CHARGING.switch(self.ac_charging, self.rsoc)
        power = battery_w(self.wb, self.pv_w, self.load_w, bypass=self.bypass, ac_charging=self.ac_charging)
        self.rsoc = step_rsoc(self.rsoc, power, seconds, self.capacity_wh)

    def set_dcdc(self, mode: str, dig: float = 0.0) -> None:
        self.mode, self.dig = mode, dig


def settle_grid(units: list["Unit"]) -> None:
    """The DC bus: the voltage-reference unit sets vg; CC units draw/inject dig; the reference balances."""
    running = [unit for unit in units if not unit.stopped]
    reference = next((unit for unit in running if unit.mode == VOLTAGE_REFERENCE), None)
    if reference is None:  # the reference's deal ended: a discharging unit takes the voltage reference over
        reference = next((unit for unit in running if unit.mode == DISCHARGE), None)
        if reference is not None:
            reference.set_dcdc(VOLTAGE_REFERENCE)
    for unit in units:
        unit.vg, unit.ig = 0.0, 0.0
    if reference is None:
        return
    for unit in running:
        unit.vg = GRID_VOLTAGE_V
        if unit.mode == CHARGE:
            unit.ig = unit.dig
        elif unit.mode == DISCHARGE:
            unit.ig = -unit.dig
    reference.ig = reference_current(unit.ig for unit in running if unit is not reference)


def unit_record(unit: "Unit", world_time: str, community: str, cluster: str, apis: dict) -> dict:
    """The unit data apis-web's ``/get/log`` returns for one unit (apis-ecosystem §3.3)."""
    vb = round(battery_voltage_v(unit.rsoc), 2)
    meter = {
        "wg": round(unit.wg, 2),
        "tmp": round(dcdc_temperature_c(unit.hour, unit.mode), 2),
        "vb": vb,
        "wb": round(unit.wb, 2),
        "vg": round(unit.vg, 2),
        "ib": round(unit.wb / vb, 3),
        "ig": round(unit.ig, 3),
    }
    p2 = ac_input_w(unit.load_w, bypass=unit.bypass, ac_charging=unit.ac_charging)
    return {
        "emu": {
            "rsoc": round(unit.rsoc, 2),
            "battery_rsoc": round(unit.rsoc, 2),
            "battery_voltage": vb,
            "pvc_charge_power": round(unit.pv_w, 1),
            "ups_output_power": round(unit.load_w, 1),
            "ups_operation_mode": ups_operation_mode(unit.bypass),
        },
        "dcdc": {
            "status": dcdc_status(unit.mode),
            "meter": meter,
            "vdis": {"dvg": GRID_VOLTAGE_V, "drg": 0.0},
            "param": {"dig": unit.dig, **DCDC_LIMITS},
            "powermeter": {"p2": round(p2, 1)},
        },
        "battery": {"rsoc": round(unit.rsoc, 2), "battery_operation_status": 3},
        "time": world_time,
        "oesunit": {
            "communityId": community,
            "clusterId": cluster,
            "id": unit.unit_id,
            "display": f"Sample_{unit.unit_id}",
            "sn": str(unit.index),
            "budo": "1" if apis["operation_mode"]["effective"] == "autonomous" else "0",
            "ip": f"127.0.0.1/{unit.unit_id}",
            "ipv6_ll": "NA",
            "ipv6_g": "NA",
            "mac": "NA",
        },
        "apis": apis,
    }
