"""One simulated cluster, advanced in 30-second steps: its units on the shared physics model
(``apis.emulator.physics``) with per-unit panels and households and day-to-day weather, its operation modes
(apis-ecosystem §3.7), and its deals (``deals.DealBook``)."""

import random
from collections.abc import Iterator
from datetime import datetime

from apis.core.timeparse import local_zone
from apis.demo.history.deals import DealBook
from apis.demo.history.documents import Reading, unit_document
from apis.demo.history.spec import STEP_SEC, HistorySpec, Moment
from apis.demo.history.state import UnitState
from apis.emulator.physics import (
    AC_CHARGING,
    BATTERY_CAPACITY_WH,
    GRID_VOLTAGE_V,
    UPS_BYPASS,
    VOLTAGE_REFERENCE,
    WAIT,
    ac_input_w,
    battery_w,
    dcdc_battery_w,
    household_w,
    solar_w,
    step_rsoc,
)

QUIET_STEPS = 360  # no heteronomous/stop periods in the last three hours
BATCH_DOCS = 5000
WEATHER = (0.25, 0.5, 0.8, 0.9, 1.0, 1.0)  # a day's share of the clear-sky PV output, drawn per day


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
        self.deals = DealBook(self.rng, cluster, self.units, spec.steps)
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
            at = Moment.at(self.start + step * STEP_SEC, self.zone)
            modes = [self.mode(index, step) for index in range(len(self.units))]
            deal_docs.extend(self.deals.advance(step, at, modes))
            if step % 2 == 0:
                self.deals.negotiate(step, at.text, modes)
            unit_docs.extend(self._step_units(at, modes))
            if (step + 1) % chunk == 0:
                yield unit_docs, deal_docs
                unit_docs, deal_docs = [], []
        yield unit_docs, deal_docs + self.deals.live(self.start + (self.spec.steps - 1) * STEP_SEC)

    def _day_weather(self, local: datetime) -> float:
        day = local.toordinal()
        if day not in self.weather:
            self.weather[day] = self.rng.choice(WEATHER)
        return self.weather[day]

    def _step_units(self, at: Moment, modes: list[dict]) -> list[dict]:
        """One step of every unit: the DC grid from the deals, then each unit's physics and document."""
        status, current = self.deals.grid_currents()
        vg = (
            round(GRID_VOLTAGE_V + self.rng.uniform(-1.5, 1.5), 2)
            if VOLTAGE_REFERENCE in status.values()
            else 0.0
        )
        weather = self._day_weather(at.local)
        docs = []
        for index, unit in enumerate(self.units):
            code = status.get(unit.code, WAIT)
            reading = self._step_unit(unit, at, weather, code, vg, round(current.get(unit.code, 0.0), 3))
            docs.append(unit_document(self.cluster, index, unit, modes[index], at, reading))
        return docs

    def _step_unit(
        self, unit: UnitState, at: Moment, weather: float, code: str, vg: float, ig: float
    ) -> Reading:
        """Advance ``unit`` one step on the shared physics; its panel, household, the day's weather and the
        measurement jitter are the inputs this history gives the model."""
        hour = at.hour
        wb = dcdc_battery_w(code, ig * vg)
        pv = solar_w(hour - unit.pv_shift_h, unit.pv_peak_w * weather * self.rng.uniform(0.85, 1.0))
        load = household_w(hour - unit.load_shift_h, unit.load_scale * self.rng.uniform(0.85, 1.15))
        unit.bypass = UPS_BYPASS.switch(unit.bypass, unit.rsoc)
        unit.ac_charge = AC_CHARGING.switch(unit.ac_charge, unit.rsoc)
        power = battery_w(wb, pv, load, bypass=unit.bypass, ac_charging=unit.ac_charge)
        unit.rsoc = step_rsoc(unit.rsoc, power, STEP_SEC, BATTERY_CAPACITY_WH)
        if unit.deal is not None and unit is unit.deal.charge:
            unit.deal.cumulate(wb, at.text)
        p2 = ac_input_w(load, bypass=unit.bypass, ac_charging=unit.ac_charge)
        return Reading(code=code, vg=vg, ig=ig, wb=wb, pv=pv, load=load, p2=p2)


def simulate_cluster(spec: HistorySpec, cluster: str) -> Iterator[tuple[list[dict], list[dict]]]:
    """The wire documents of one cluster's history, in batches of (unit data, deals)."""
    return ClusterSimulation(spec, cluster).run()
