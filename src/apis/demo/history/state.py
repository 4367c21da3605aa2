"""The simulated state of a cluster's units and of the deals between them."""

from dataclasses import dataclass

from apis.demo.history.spec import STEP_SEC
from apis.emulator.physics import BATTERY_CAPACITY_WH, energy_wh


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

    @property
    def remaining_wh(self) -> int:
        """``apis.remaining_capacity_wh``."""
        return int(BATTERY_CAPACITY_WH * self.rsoc / 100)


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
            self.cumulate_wh += energy_wh(charge_wb, STEP_SEC)
            self.doc["cumulateAmountWh"] = round(self.cumulate_wh, 2)
            self.doc["cumulateDateTime"] = text

    def units(self) -> tuple[UnitState, UnitState]:
        return self.charge, self.discharge

    def cv_unit(self) -> UnitState:
        """The deal's voltage-reference unit: the grid master's side."""
        return self.discharge if self.discharge.grid_master else self.charge
