"""Deterministic synthetic history: 30-second unit data and deals of simulated DC-grid clusters.

Each cluster is simulated step by step (apis-ecosystem §5.4, simplified): a daily solar bell curve with
day-to-day weather, household load with morning and evening peaks, UPS bypass and AC charging hysteresis,
operation modes (§3.7) and deals (§3.6) negotiated on the demo scenario's thresholds (§3.4). The documents
are built in the wire format of the Java apis-ccc (APIS local times) and stored through the ingest parser,
so the stored data is exactly what an ingest of the same documents would store.
"""

import math
import random
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import transaction

from apis.community.models import Cluster, Community, Unit
from apis.core.timeparse import local_zone
from apis.deal.store import store_deals
from apis.ingest.parse import parse_deals, parse_unit_data
from apis.unit_data.store import store_unit_data

STEP_SEC = 30
COMMUNITY = ("oss_community", "OSS Community")
FIRST_CLUSTER = ("oss_cluster", "OSS Cluster")
CAPACITY_WH = 4800
GRID_V = 350.0
DEAL_CURRENT_A = 2.0
DEAL_MIN_WH, DEAL_MAX_WH, DEAL_UNIT_WH = 100, 500, 100
# Demo scenario thresholds on remaining capacity (Wh):
# short < 2880 ≤ scarce < 3600 ≤ sufficient < 4320 ≤ excess.
SHORT_WH, ACCEPT_WH, EXCESS_WH = 2880, 3600, 4320
# Per-mode DC/DC conversion loss (W) and status texts (apis-ecosystem §3.3, §5.3).
WAIT, CV, CHARGE, DISCHARGE = "0x0000", "0x0014", "0x0041", "0x0002"
LOSS_W = {WAIT: 4.5, CV: 60.0, CHARGE: 71.0, DISCHARGE: 55.0}
STATUS = {
    WAIT: ("Waiting", "off", "Waiting"),
    CV: ("Grid Autonomy Mode", "discharge", "Grid Autonomy"),
    CHARGE: ("Heteronomy CV Charging - grid current limited", "charge", "Heteronomy CV"),
    DISCHARGE: ("Heteronomy CV Discharging", "discharge", "Heteronomy CV"),
}
# The last steps of the history, when the remaining free units are paired so that a few deals are live.
FINAL_STEPS = 40
QUIET_STEPS = 360  # no heteronomous/stop periods in the last three hours
BATCH_DOCS = 5000
# How a deal ends, by cumulative probability: a few aborts and scrams, the rest stop normally.
FATES = ((0.01, "abort_early"), (0.03, "abort"), (0.035, "scram"), (1.0, "normal"))


@dataclass(frozen=True)
class HistorySpec:
    """What to generate: ``days`` of history ending at ``end`` (aware, a multiple of 30 s)."""

    end: datetime
    days: int = 7
    clusters: int = 1
    units: int = 4
    seed: int = 0

    @property
    def steps(self) -> int:
        return self.days * 86400 // STEP_SEC

    def cluster_codes(self) -> list[str]:
        return [FIRST_CLUSTER[0]] + [f"cluster_{n:03d}" for n in range(2, self.clusters + 1)]

    def unit_codes(self) -> list[str]:
        return [f"E{n:03d}" for n in range(1, self.units + 1)]


def default_end(now: datetime | None = None) -> datetime:
    """``now`` (default: the current time) rounded down to a 30-second reporting cycle."""
    stamp = int((now or datetime.now(UTC)).timestamp())
    return datetime.fromtimestamp(stamp - stamp % STEP_SEC, UTC)


@dataclass(frozen=True)
class Summary:
    """What ``generate_history`` did."""

    rows: int
    deals: int
    seconds: float


@transaction.atomic
def ensure_registry(spec: HistorySpec) -> None:
    """Create the community, clusters and units of ``spec`` that do not exist yet."""
    community, _ = Community.objects.get_or_create(code=COMMUNITY[0], defaults={"name": COMMUNITY[1]})
    for code in spec.cluster_codes():
        name = FIRST_CLUSTER[1] if code == FIRST_CLUSTER[0] else code.replace("_", " ").title()
        cluster, _ = Cluster.objects.get_or_create(community=community, code=code, defaults={"name": name})
        for unit in spec.unit_codes():
            Unit.objects.get_or_create(cluster=cluster, code=unit, defaults={"name": unit})


def generate_history(spec: HistorySpec, progress: Callable[[str], None] = lambda _: None) -> Summary:
    """Create the registry rows, then simulate and store every cluster of ``spec``; idempotent."""
    started = time.monotonic()
    ensure_registry(spec)
    rows = deals = 0
    now = int(spec.end.timestamp())
    for cluster in spec.cluster_codes():
        for unit_docs, deal_docs in simulate_cluster(spec, cluster):
            rows += store_unit_data(parse_unit_data(unit_docs, COMMUNITY[0], cluster))
            deals += store_deals(parse_deals(deal_docs, COMMUNITY[0], cluster, now=now))
            if unit_docs:
                progress(f"{cluster}: up to {unit_docs[-1]['time']}, {rows} rows, {deals} deals")
    return Summary(rows=rows, deals=deals, seconds=time.monotonic() - started)


@dataclass
class UnitState:
    """The simulated state of one unit."""

    code: str
    rsoc: float
    pv_peak_w: float
    load_scale: float
    pv_shift_h: float  # panel orientation: east (< 0) or west (> 0) moves the solar curve
    load_shift_h: float  # the household's rhythm: earlier (< 0) or later (> 0) peaks
    grid_master: bool
    bypass: bool = False
    ac_charge: bool = False
    deal: "DealSim | None" = None


@dataclass
class DealSim:
    """A deal in progress: its wire document and what the simulation needs to advance it."""

    doc: dict
    charge: UnitState
    discharge: UnitState
    created: int
    amount_wh: int
    master: bool
    fate: str  # "normal", "abort_early", "abort", "scram"; "final": kept live until the end of the history
    fate_step: int
    cumulate_wh: float = 0.0
    flowing: bool = False
    ending: int | None = None  # step of deactivation
    reset: bool = False

    def cumulate(self, charge_wb: float, text: str) -> None:
        """DealCumulation: add the charge (reference) side's battery energy of this step once started."""
        if self.flowing and "cumulateAmountWh" in self.doc:
            self.cumulate_wh += charge_wb * STEP_SEC / 3600
            self.doc["cumulateAmountWh"] = round(self.cumulate_wh, 2)
            self.doc["cumulateDateTime"] = text

    def units(self) -> tuple[UnitState, UnitState]:
        return self.charge, self.discharge

    def cv_unit(self) -> UnitState:
        return self.discharge if self.discharge.grid_master else self.charge


class ClusterSimulation:
    """One cluster's units, deals and operation modes, advanced in 30-second steps."""

    def __init__(self, spec: HistorySpec, cluster: str) -> None:
        self.spec = spec
        self.cluster = cluster
        self.rng = random.Random(f"{spec.seed}/{spec.clusters}/{spec.units}/{cluster}")
        self.start = int(spec.end.timestamp()) - (spec.steps - 1) * STEP_SEC
        self.zone = local_zone()
        self.units = [
            UnitState(
                code=code,
                rsoc=self.rng.uniform(35, 75),
                pv_peak_w=self.rng.uniform(600, 3000),
                load_scale=self.rng.uniform(0.6, 1.8),
                pv_shift_h=self.rng.uniform(-1.5, 1.5),
                load_shift_h=self.rng.uniform(-1.5, 1.5),
                grid_master=index == 0,
            )
            for index, code in enumerate(spec.unit_codes())
        ]
        self.weather: dict[int, float] = {}
        self.deals: list[DealSim] = []
        self.global_mode, self.local_stop = self._mode_schedule()

    def _mode_schedule(self) -> tuple[list[bool], list[list[bool]]]:
        """Per step: global heteronomous? and per unit: local stop? — a few short periods per week."""
        steps = self.spec.steps
        heteronomous = [False] * steps
        stop = [[False] * steps for _ in self.units]
        for day in range(self.spec.days):
            for target in (heteronomous, stop[self.rng.randrange(len(self.units))]):
                begin = day * 2880 + self.rng.randrange(2880)
                length = self.rng.randrange(40, 240)
                if self.rng.random() < 0.35 and begin + length < steps - QUIET_STEPS:
                    target[begin : begin + length] = [True] * length
        return heteronomous, stop

    def mode(self, index: int, step: int) -> dict:
        """The operation-mode object of a unit: global, local and effective (apis-ecosystem §3.7)."""
        global_mode = "heteronomous" if self.global_mode[step] else "autonomous"
        local = "stop" if self.local_stop[index][step] else None
        return {"global": global_mode, "local": local, "effective": local or global_mode}

    def run(self) -> Iterator[tuple[list[dict], list[dict]]]:
        """Yield batches of (unit-data documents, finished or live deal documents) in time order."""
        chunk = max(1, BATCH_DOCS // len(self.units))
        unit_docs: list[dict] = []
        deal_docs: list[dict] = []
        for step in range(self.spec.steps):
            stamp = self.start + step * STEP_SEC
            local = datetime.fromtimestamp(stamp, self.zone)
            text = local.strftime("%Y/%m/%d-%H:%M:%S")
            modes = [self.mode(index, step) for index in range(len(self.units))]
            deal_docs.extend(self._advance_deals(step, stamp, text, modes))
            if step % 2 == 0:
                self._negotiate(step, text, modes)
            unit_docs.extend(self._step_units(step, stamp, local, text, modes))
            if (step + 1) % chunk == 0:
                yield unit_docs, deal_docs
                unit_docs, deal_docs = [], []
        end = self.start + (self.spec.steps - 1) * STEP_SEC
        live = [{**deal.doc, "reportTime": end} for deal in self.deals]
        yield unit_docs, deal_docs + live

    # Deals ---------------------------------------------------------------------------------------

    def _negotiate(self, step: int, text: str, modes: list[dict]) -> None:
        free = [
            unit
            for unit, mode in zip(self.units, modes, strict=True)
            if unit.deal is None and mode["effective"] == "autonomous"
        ]
        final = step >= self.spec.steps - FINAL_STEPS
        if final:
            free.sort(key=lambda unit: unit.rsoc)
            while len(free) >= 2:
                self._create(step, text, "charge", free.pop(0), free.pop(), DEAL_MAX_WH, DEAL_MAX_WH)
            return
        for requester in list(free):
            if requester not in free:
                continue
            remaining = remaining_wh(requester)
            if remaining < SHORT_WH:
                kind, request_wh = "charge", SHORT_WH - remaining
            elif remaining >= EXCESS_WH:
                kind, request_wh = "discharge", remaining - EXCESS_WH
            else:
                continue
            offers = [
                (accept_wh(kind, unit), unit)
                for unit in free
                if unit is not requester and accept_wh(kind, unit) > 0
            ]
            if request_wh <= DEAL_MIN_WH or not offers:
                continue
            offer_wh, accepter = max(offers, key=lambda offer: offer[0])
            if self._create(step, text, kind, requester, accepter, request_wh, offer_wh):
                free.remove(requester)
                free.remove(accepter)

    def _create(
        self,
        step: int,
        text: str,
        kind: str,
        requester: UnitState,
        accepter: UnitState,
        request_wh: int,
        accept_wh: int,
    ) -> bool:
        amount = min(request_wh, accept_wh, DEAL_MAX_WH) // DEAL_UNIT_WH * DEAL_UNIT_WH
        if amount < DEAL_MIN_WH:
            return False
        charge, discharge = (requester, accepter) if kind == "charge" else (accepter, requester)
        rng = self.rng
        request_point = round(rng.uniform(9, 12) if kind == "charge" else rng.uniform(8, 10), 1)
        accept_point = round(
            rng.uniform(8, request_point) if kind == "charge" else rng.uniform(request_point, 12), 1
        )
        final = step >= self.spec.steps - FINAL_STEPS
        roll = rng.random()
        fate = next(name for below, name in FATES if roll < below)
        master = not any(other.master for other in self.deals)
        deal = DealSim(
            doc={
                "dealId": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "communityId": COMMUNITY[0],
                "clusterId": self.cluster,
                "unitId": requester.code,
                "negotiationId": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "type": kind,
                "requestUnitId": requester.code,
                "acceptUnitId": accepter.code,
                "chargeUnitId": charge.code,
                "dischargeUnitId": discharge.code,
                "requestDateTime": text,
                "acceptDateTime": text,
                "requestPointPerWh": request_point,
                "acceptPointPerWh": accept_point,
                "pointPerWh": request_point if kind == "charge" else accept_point,
                "requestDealGridCurrentA": DEAL_CURRENT_A,
                "acceptDealGridCurrentA": DEAL_CURRENT_A,
                "dealGridCurrentA": DEAL_CURRENT_A,
                "chargeUnitEfficientGridVoltageV": efficient_voltage(charge),
                "dischargeUnitEfficientGridVoltageV": efficient_voltage(discharge),
                "requestAmountWh": int(request_wh),
                "acceptAmountWh": int(accept_wh),
                "dealAmountWh": int(amount),
                "createDateTime": text,
                "isMaster": master,
            },
            charge=charge,
            discharge=discharge,
            created=step,
            amount_wh=int(amount),
            master=master,
            fate="final" if final else fate,
            fate_step=step + rng.randrange(4, 40),
            reset=rng.random() < 0.05,
        )
        charge.deal = discharge.deal = deal
        self.deals.append(deal)
        return True

    def _advance_deals(self, step: int, stamp: int, text: str, modes: list[dict]) -> list[dict]:
        """Move every deal one state on (§3.6) and return the documents of deals deactivated now."""
        finished = []
        for deal in list(self.deals):
            doc, age = deal.doc, step - deal.created
            if deal.ending == step:
                doc["deactivateDateTime"] = text
                doc.pop("isMaster", None)
                doc["reportTime"] = stamp
                deal.charge.deal = deal.discharge.deal = None
                self.deals.remove(deal)
                finished.append(doc)
                if deal.master and self.deals:
                    self.deals[0].master = True
                    self.deals[0].doc["isMaster"] = True
                continue
            if deal.ending is not None:
                continue
            if age == 1:
                doc["activateDateTime"] = text
            elif age == 2:
                if deal.fate == "abort_early":
                    self._end(deal, step, text, "abort", "voltage reference authorization failed")
                    continue
                if deal.master:
                    doc["rampUpDateTime"] = text
                if deal.reset:
                    doc["reset"] = [{"dateTime": text, "reason": "grid voltage drop during ramp-up"}]
                doc["warmUpDateTime"] = text
                doc["compensationTargetVoltageReferenceGridCurrentA"] = DEAL_CURRENT_A
                doc["dischargeUnitCompensatedGridCurrentA"] = -DEAL_CURRENT_A
                doc["chargeUnitCompensatedGridCurrentA"] = DEAL_CURRENT_A
                deal.flowing = True
            elif age == 3:
                doc["startDateTime"] = doc["cumulateDateTime"] = text
                doc["cumulateAmountWh"] = 0.0
            elif age > 3:
                stop = self._stop_reason(deal, step, modes)
                if deal.cumulate_wh > deal.amount_wh:
                    deal.flowing = False
                    doc["stopDateTime"] = text
                    deal.ending = step + 1
                elif stop:
                    self._end(deal, step, text, *stop)
        return finished

    def _stop_reason(self, deal: DealSim, step: int, modes: list[dict]) -> tuple[str, str] | None:
        """Why a started deal must end now, as (``abort``/``scram``, reason); None to go on."""
        if deal.fate == "final":
            return None
        if deal.fate == "scram" and step >= deal.fate_step:
            return "scram", "grid voltage out of range"
        if deal.fate == "abort" and step >= deal.fate_step:
            return "abort", "dcdc checkpoint failed"
        if deal.discharge.rsoc < 20:
            return "abort", "discharge unit rsoc below lower limit"
        if deal.charge.rsoc > 95:
            return "abort", "charge unit rsoc above upper limit"
        for unit in deal.units():
            if modes[self.units.index(unit)]["effective"] == "stop":
                return "abort", f"{unit.code} operation mode is stop"
        return None

    def _end(self, deal: DealSim, step: int, text: str, kind: str, reason: str) -> None:
        """Abort or scram ``deal`` now: missing timestamps become ``--`` and it deactivates next step."""
        doc = deal.doc
        if kind == "abort":
            doc["abort"] = [{"dateTime": text, "reason": reason}]
        doc[f"{kind}DateTime"] = text
        doc[f"{kind}Reason"] = reason
        for name in ("rampUpDateTime", "warmUpDateTime", "startDateTime", "cumulateDateTime", "stopDateTime"):
            doc.setdefault(name, "--")
        deal.flowing = False
        deal.ending = step + 1

    # Units ---------------------------------------------------------------------------------------

    def _grid_currents(self) -> tuple[dict[str, str], dict[str, float]]:
        """DC/DC status and grid current of every unit in a deal (§5.4 step 6)."""
        status: dict[str, str] = {}
        current: dict[str, float] = {}
        cv_unit = None
        for deal in self.deals:
            if deal.master and "activateDateTime" in deal.doc:
                cv_unit = deal.cv_unit()
                status[cv_unit.code] = CV
        for deal in self.deals:
            if not deal.flowing:
                continue
            for unit, sign, code in ((deal.charge, 1, CHARGE), (deal.discharge, -1, DISCHARGE)):
                if unit is not cv_unit:
                    status[unit.code] = code
                    current[unit.code] = sign * DEAL_CURRENT_A
        if cv_unit is not None:
            current[cv_unit.code] = -float(sum(current.values()))
        return status, current

    def _day_weather(self, local: datetime) -> float:
        day = local.toordinal()
        if day not in self.weather:
            self.weather[day] = self.rng.choice((0.25, 0.5, 0.8, 0.9, 1.0, 1.0))
        return self.weather[day]

    def _step_units(self, step: int, stamp: int, local: datetime, text: str, modes: list[dict]) -> list[dict]:
        status, current = self._grid_currents()
        vg = round(GRID_V + self.rng.uniform(-1.5, 1.5), 2) if CV in status.values() else 0.0
        hour = local.hour + local.minute / 60 + local.second / 3600
        weather = self._day_weather(local)
        docs = []
        for index, unit in enumerate(self.units):
            code = status.get(unit.code, WAIT)
            ig = round(current.get(unit.code, 0.0), 3)
            wg = ig * vg
            wb = wg - LOSS_W[code]
            pv = solar_w(hour - unit.pv_shift_h) * unit.pv_peak_w * weather * self.rng.uniform(0.85, 1.0)
            load = household_w(hour - unit.load_shift_h) * unit.load_scale * self.rng.uniform(0.85, 1.15)
            unit.bypass = unit.rsoc <= 30 or (unit.bypass and unit.rsoc < 35)
            unit.ac_charge = unit.rsoc <= 20 or (unit.ac_charge and unit.rsoc < 25)
            battery_w = (
                wb + pv - 17.5 + (150.0 if unit.ac_charge else 0.0) - (0 if unit.bypass else load * 1.04)
            )
            if unit.rsoc >= 100 and battery_w > 0:
                battery_w = 0.0
            unit.rsoc = min(100.0, max(0.0, unit.rsoc + battery_w * STEP_SEC / 36 / CAPACITY_WH))
            if unit.deal is not None and unit is unit.deal.charge:
                unit.deal.cumulate(wb, text)
            p2 = 57.0 + (load * 1.06 + 67.0 if unit.bypass else 0.0) + (160.0 if unit.ac_charge else 0.0)
            docs.append(
                self._unit_doc(unit, index, stamp, local, text, modes[index], code, vg, ig, wb, pv, load, p2)
            )
        return docs

    def _unit_doc(
        self,
        unit: UnitState,
        index: int,
        stamp: int,
        local: datetime,
        text: str,
        mode: dict,
        code: str,
        vg: float,
        ig: float,
        wb: float,
        pv: float,
        load: float,
        p2: float,
    ) -> dict:
        rsoc = round(unit.rsoc, 2)
        vb = round(46.0 + 4.0 * unit.rsoc / 100, 2)
        battery_a = round(wb / vb, 3)
        status_name, running, operation = STATUS[code]
        apis = {
            "version": "3.0.0",
            "remaining_capacity_wh": int(CAPACITY_WH * rsoc / 100),
            "deal_interlock_capacity": 1,
            "operation_mode": mode,
        }
        if unit.grid_master:
            apis["is_grid_master"] = True
        if unit.deal is not None:
            apis["deal_id_list"] = [unit.deal.doc["dealId"]]
        return {
            "emu": {
                "charge_discharge_power": round(abs(wb), 1),
                "rsoc": rsoc,
                "battery_rsoc": rsoc,
                "battery_voltage": vb,
                "battery_current": battery_a,
                "pvc_charge_voltage": 190.0 if pv > 1 else 0.0,
                "pvc_charge_current": round(pv / 190.0, 2),
                "pvc_charge_power": round(pv, 1),
                "ups_input_voltage": round(101.5 + (stamp % 7) * 0.2, 1),
                "ups_output_voltage": 102.8,
                "ups_output_current": round(load / 102.8, 2),
                "ups_output_power": round(load, 1),
                "ups_output_frequency": 60,
                "ups_operation_mode": {"parameter": 80, "mode": 5 if unit.bypass else 2, "stop_mode": 2},
                "ups_operation_schedule": 1,
                "system_time": {
                    "year": local.year,
                    "month": local.month,
                    "day": local.day,
                    "hour": local.hour,
                    "minute": local.minute,
                },
            },
            "dcdc": {
                "status": {
                    "status": code,
                    "alarm": "0000 0000 0000",
                    "alarmState": "No alarm",
                    "statusName": status_name,
                    "runningState": running,
                    "operationMode": operation,
                },
                "powermeter": {"p1": 0.0, "p2": round(p2, 1), "i1": round(p2 / 206.1, 2), "v1": 206.1},
                "meter": {
                    "wg": round(ig * vg, 1),
                    "tmp": round(26.0 + 6.0 * solar_w(local.hour + 2) + (4.0 if code != WAIT else 0.0), 2),
                    "vb": vb,
                    "wb": round(wb, 1),
                    "vg": vg,
                    "ib": battery_a,
                    "ig": ig,
                },
                "vdis": {"dvg": GRID_V, "drg": 0.0},
                "param": {"dig": DEAL_CURRENT_A, "ogv": 400, "ugv": 300, "cib": 25, "obv": 59, "ubv": 40},
            },
            "battery": {"rsoc": rsoc, "battery_operation_status": 3},
            "time": text,
            "oesunit": {
                "communityId": COMMUNITY[0],
                "clusterId": self.cluster,
                "id": unit.code,
                "display": f"Sample_{unit.code}",
                "sn": str(index + 1),
                "budo": "1" if mode["effective"] == "autonomous" else "0",
                "ip": f"localhost:4390/{unit.code}",
                "ipv6_ll": "NA",
                "ipv6_g": "NA",
                "mac": "NA",
            },
            "apis": apis,
            "datasetId": stamp * 1000,
        }


def simulate_cluster(spec: HistorySpec, cluster: str) -> Iterator[tuple[list[dict], list[dict]]]:
    """The wire documents of one cluster's history, in batches of (unit data, deals)."""
    return ClusterSimulation(spec, cluster).run()


def remaining_wh(unit: UnitState) -> int:
    """``apis.remaining_capacity_wh`` of a unit."""
    return int(CAPACITY_WH * unit.rsoc / 100)


def accept_wh(kind: str, unit: UnitState) -> int:
    """What ``unit`` offers for a request of ``kind`` under the demo scenario's accept rules (0: nothing)."""
    remaining = remaining_wh(unit)
    if kind == "charge":
        return max(0, remaining - ACCEPT_WH)
    return max(0, ACCEPT_WH - remaining)


def efficient_voltage(unit: UnitState) -> float:
    """``efficientBatteryGridVoltageRatio`` (6.5) × battery voltage."""
    return round(6.5 * (46.0 + 4.0 * unit.rsoc / 100), 1)


def solar_w(hour: float) -> float:
    """Clear-sky PV output as a fraction of the peak at local ``hour`` (sunrise 6:00, sunset 18:00)."""
    if not 6.0 < hour % 24 < 18.0:
        return 0.0
    return math.sin(math.pi * (hour % 24 - 6.0) / 12.0) ** 1.5


def household_w(hour: float) -> float:
    """Typical household consumption (W) at local ``hour``: base load, morning and evening peaks."""
    return (
        120.0
        + 450.0 * math.exp(-(((hour - 7.5) / 1.0) ** 2))
        + 100.0 * math.exp(-(((hour - 12.5) / 1.5) ** 2))
        + 800.0 * math.exp(-(((hour - 19.5) / 1.6) ** 2))
    )
