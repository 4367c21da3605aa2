"""One emulated APIS unit: battery, PV from a daily solar profile, household load and the DC/DC converter
(apis-ecosystem §5), advanced in emulated ("world") time."""

import math
from dataclasses import dataclass, field

GRID_VOLTAGE_V = 350.0
BATTERY_VOLTAGE_V = 48.0
# DC/DC status code → (statusName/operationMode, runningState) as the reference emulator reports them.
DCDC_MODES = {
    "0x0000": ("Waiting", "off"),
    "0x0014": ("Grid Autonomy Mode", "discharge"),
    "0x0002": ("Heteronomy CV Discharging", "discharge"),
    "0x0041": ("Heteronomy CV Charging - grid current limited", "charge"),
}
WAIT, VOLTAGE_REFERENCE, DISCHARGE, CHARGE = "0x0000", "0x0014", "0x0002", "0x0041"
CONVERSION_LOSS_W = {WAIT: 4.5, VOLTAGE_REFERENCE: 55.0, DISCHARGE: 55.0, CHARGE: 71.0}
AC_CHARGING_W = 150.0


def solar_w(hour: float, peak_w: float) -> float:
    """PV output of a clear day: a half sine from 06:00 to 18:00 peaking at noon."""
    return peak_w * math.sin(math.pi * (hour - 6) / 12) if 6 < hour < 18 else 0.0


def load_w(hour: float, scale: float) -> float:
    """Household demand: a base load with a morning and a larger evening peak."""
    morning = 400 * math.exp(-((hour - 7.5) ** 2) / 2)
    evening = 700 * math.exp(-((hour - 19.5) ** 2) / 3)
    return scale * (250 + morning + evening)


@dataclass
class Unit:
    """A unit's state; ``ig`` > 0 means power from the DC grid into the unit (charging)."""

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
    pv_w: float = 0.0
    load_w: float = 0.0
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
        """Battery-side DC/DC power: grid power minus the conversion loss."""
        return self.wg - CONVERSION_LOSS_W[self.mode]

    def advance(self, hour: float, seconds: float) -> None:
        """Advance ``seconds`` of world time at time of day ``hour``."""
        self.pv_w = solar_w(hour, self.pv_peak_w)
        self.load_w = load_w(hour, self.load_scale)
        if self.rsoc <= 20:
            self.ac_charging = True
        elif self.rsoc >= 25:
            self.ac_charging = False
        power = self.pv_w - self.load_w + self.wb + (AC_CHARGING_W if self.ac_charging else 0.0)
        self.rsoc = min(100.0, max(0.0, self.rsoc + power * seconds / 3600 / self.capacity_wh * 100))

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
    reference.ig = -sum(unit.ig for unit in running if unit is not reference)


def unit_record(unit: "Unit", world_time: str, community: str, cluster: str, apis: dict) -> dict:
    """The unit data apis-web's ``/get/log`` returns for one unit (apis-ecosystem §3.3)."""
    name, running = DCDC_MODES[unit.mode]
    meter = {
        "wg": round(unit.wg, 2),
        "tmp": 26.59,
        "vb": BATTERY_VOLTAGE_V,
        "wb": round(unit.wb, 2),
        "vg": round(unit.vg, 2),
        "ib": round(unit.wb / BATTERY_VOLTAGE_V, 3),
        "ig": round(unit.ig, 3),
    }
    return {
        "emu": {
            "rsoc": round(unit.rsoc, 2),
            "battery_rsoc": round(unit.rsoc, 2),
            "battery_voltage": 52.1,
            "pvc_charge_power": round(unit.pv_w, 1),
            "ups_output_power": round(unit.load_w, 1),
            "ups_operation_mode": {"mode": 5 if unit.ac_charging else 2, "parameter": 80, "stop_mode": 2},
        },
        "dcdc": {
            "status": {
                "status": unit.mode,
                "alarm": "0000 0000 0000",
                "alarmState": "No alarm",
                "statusName": name,
                "runningState": running,
                "operationMode": name,
            },
            "meter": meter,
            "vdis": {"dvg": GRID_VOLTAGE_V, "drg": 0.0},
            "param": {"dig": unit.dig, "ogv": 400, "ugv": 300, "cib": 25, "obv": 59, "ubv": 40},
            "powermeter": {"p2": AC_CHARGING_W + 10 if unit.ac_charging else 57.0},
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
