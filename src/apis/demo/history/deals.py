"""The deals of one simulated cluster (apis-ecosystem §3.6): negotiated on the demo scenario's thresholds
(§3.4), advanced through their life cycle one step at a time, and ended normally, by an abort or a scram."""

import random
import uuid

from apis.demo.history.documents import DealTerms, deal_document
from apis.demo.history.spec import DEAL_CURRENT_A, Moment
from apis.demo.history.state import DealSim, UnitState
from apis.emulator.physics import (
    CHARGE,
    DEAL_RSOC_MAX,
    DEAL_RSOC_MIN,
    DISCHARGE,
    VOLTAGE_REFERENCE,
    reference_current,
)

DEAL_MIN_WH, DEAL_MAX_WH, DEAL_UNIT_WH = 100, 500, 100
# Demo scenario thresholds on remaining capacity (Wh):
# short < 2880 ≤ scarce < 3600 ≤ sufficient < 4320 ≤ excess.
SHORT_WH, ACCEPT_WH, EXCESS_WH = 2880, 3600, 4320
# The last steps of the history, when the remaining free units are paired so that a few deals are live.
FINAL_STEPS = 40
# How a deal ends, by cumulative probability: a few aborts and scrams, the rest stop normally.
FATES = ((0.01, "abort_early"), (0.03, "abort"), (0.035, "scram"), (1.0, "normal"))
# The timestamps an abort or a scram sets to ``--`` when the deal had not reached them.
UNREACHED = ("rampUpDateTime", "warmUpDateTime", "startDateTime", "cumulateDateTime", "stopDateTime")


def accept_wh(kind: str, unit: UnitState) -> int:
    """What ``unit`` offers for a request of ``kind`` under the demo scenario's accept rules (0: nothing)."""
    if kind == "charge":
        return max(0, unit.remaining_wh - ACCEPT_WH)
    return max(0, ACCEPT_WH - unit.remaining_wh)


def request_of(unit: UnitState) -> tuple[str, int] | None:
    """The request ``unit`` makes under the demo scenario's request rules: (kind, Wh), or None."""
    remaining = unit.remaining_wh
    if remaining < SHORT_WH:
        return "charge", SHORT_WH - remaining
    if remaining >= EXCESS_WH:
        return "discharge", remaining - EXCESS_WH
    return None


class DealBook:
    """The live deals of one cluster; ``rng`` is the simulation's, so the history stays deterministic."""

    def __init__(self, rng: random.Random, cluster: str, units: list[UnitState], steps: int) -> None:
        self.rng, self.cluster, self.units = rng, cluster, units
        self.final_step = steps - FINAL_STEPS
        self.deals: list[DealSim] = []

    # Negotiation ---------------------------------------------------------------------------------

    def negotiate(self, step: int, text: str, modes: list[dict]) -> None:
        """Pair free autonomous units: requests by the scenario, the largest accept wins; in the final steps
        every remaining pair, fullest with emptiest, so that deals are live at the end."""
        free = [
            unit
            for unit, mode in zip(self.units, modes, strict=True)
            if unit.deal is None and mode["effective"] == "autonomous"
        ]
        if step >= self.final_step:
            free.sort(key=lambda unit: unit.rsoc)
            while len(free) >= 2:
                self._create(step, text, "charge", free.pop(0), free.pop(), DEAL_MAX_WH, DEAL_MAX_WH)
            return
        for requester in list(free):
            request = request_of(requester) if requester in free else None
            if request is None:
                continue
            kind, request_wh = request
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
        offer_wh: int,
    ) -> bool:
        amount = min(request_wh, offer_wh, DEAL_MAX_WH) // DEAL_UNIT_WH * DEAL_UNIT_WH
        if amount < DEAL_MIN_WH:
            return False
        rng = self.rng
        request_point = round(rng.uniform(9, 12) if kind == "charge" else rng.uniform(8, 10), 1)
        accept_point = round(
            rng.uniform(8, request_point) if kind == "charge" else rng.uniform(request_point, 12), 1
        )
        roll = rng.random()
        fate = next(name for below, name in FATES if roll < below)
        master = not any(other.master for other in self.deals)
        terms = DealTerms(
            deal_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            negotiation_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            kind=kind,
            requester=requester,
            accepter=accepter,
            request_wh=request_wh,
            accept_wh=offer_wh,
            amount_wh=int(amount),
            request_point=request_point,
            accept_point=accept_point,
        )
        deal = DealSim(
            doc=deal_document(self.cluster, terms, text, master),
            charge=terms.charge,
            discharge=terms.discharge,
            created=step,
            amount_wh=int(amount),
            master=master,
            fate="final" if step >= self.final_step else fate,
            fate_step=step + rng.randrange(4, 40),
            reset=rng.random() < 0.05,
        )
        deal.charge.deal = deal.discharge.deal = deal
        self.deals.append(deal)
        return True

    # Life cycle ----------------------------------------------------------------------------------

    def advance(self, step: int, at: Moment, modes: list[dict]) -> list[dict]:
        """Move every deal one state on (§3.6) and return the documents of deals deactivated now."""
        finished = []
        for deal in list(self.deals):
            if deal.ending == step:
                finished.append(self._deactivate(deal, at))
            elif deal.ending is None:
                self._advance(deal, step, at.text, modes)
        return finished

    def _deactivate(self, deal: DealSim, at: Moment) -> dict:
        doc = deal.doc
        doc["deactivateDateTime"] = at.text
        doc.pop("isMaster", None)
        doc["reportTime"] = at.stamp
        deal.charge.deal = deal.discharge.deal = None
        self.deals.remove(deal)
        if deal.master and self.deals:
            self.deals[0].master = True
            self.deals[0].doc["isMaster"] = True
        return doc

    def _advance(self, deal: DealSim, step: int, text: str, modes: list[dict]) -> None:
        doc, age = deal.doc, step - deal.created
        if age == 1:
            doc["activateDateTime"] = text
        elif age == 2:
            if deal.fate == "abort_early":
                self._end(deal, step, text, "abort", "voltage reference authorization failed")
                return
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

    def _stop_reason(self, deal: DealSim, step: int, modes: list[dict]) -> tuple[str, str] | None:
        """Why a started deal must end now, as (``abort``/``scram``, reason); None to go on."""
        if deal.fate == "final":
            return None
        if deal.fate == "scram" and step >= deal.fate_step:
            return "scram", "grid voltage out of range"
        if deal.fate == "abort" and step >= deal.fate_step:
            return "abort", "dcdc checkpoint failed"
        if deal.discharge.rsoc < DEAL_RSOC_MIN:
            return "abort", "discharge unit rsoc below lower limit"
        if deal.charge.rsoc > DEAL_RSOC_MAX:
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
        for name in UNREACHED:
            doc.setdefault(name, "--")
        deal.flowing = False
        deal.ending = step + 1

    # The DC grid ---------------------------------------------------------------------------------

    def grid_currents(self) -> tuple[dict[str, str], dict[str, float]]:
        """DC/DC status and grid current of every unit in a deal (§5.4 step 6): the master deal's voltage
        reference balances the currents of the units in flowing deals."""
        status: dict[str, str] = {}
        current: dict[str, float] = {}
        cv_unit = None
        for deal in self.deals:
            if deal.master and "activateDateTime" in deal.doc:
                cv_unit = deal.cv_unit()
                status[cv_unit.code] = VOLTAGE_REFERENCE
        for deal in self.deals:
            if not deal.flowing:
                continue
            for unit, sign, code in ((deal.charge, 1, CHARGE), (deal.discharge, -1, DISCHARGE)):
                if unit is not cv_unit:
                    status[unit.code] = code
                    current[unit.code] = sign * DEAL_CURRENT_A
        if cv_unit is not None:
            current[cv_unit.code] = reference_current(current.values())
        return status, current

    def live(self, stamp: int) -> list[dict]:
        """The documents of the deals still live, as reported at ``stamp``."""
        return [{**deal.doc, "reportTime": stamp} for deal in self.deals]
