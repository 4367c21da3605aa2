"""The wire documents of the history, as the Java apis-ccc posts them (APIS local times): a unit's unit data
of one step, and a newly created deal."""

from dataclasses import dataclass

from apis.demo.history.spec import COMMUNITY, DEAL_CURRENT_A, Moment
from apis.demo.history.state import UnitState
from apis.emulator.physics import (
    BATTERY_CAPACITY_WH,
    DCDC_LIMITS,
    GRID_VOLTAGE_V,
    battery_voltage_v,
    dcdc_status,
    dcdc_temperature_c,
    efficient_grid_voltage_v,
    ups_operation_mode,
)

PV_VOLTAGE_V = 190.0  # the PV charge controller's input voltage while the sun shines
UPS_OUTPUT_V = 102.8
AC_INPUT_V = 206.1


@dataclass(frozen=True)
class Reading:
    """What a unit measures in one step: its DC/DC mode (status code), grid voltage and current, battery-side
    DC/DC power, PV output, household load and AC input power."""

    code: str
    vg: float
    ig: float
    wb: float
    pv: float
    load: float
    p2: float


@dataclass(frozen=True)
class DealTerms:
    """What a negotiation agreed: who requested and who accepted what, and at which price."""

    deal_id: str
    negotiation_id: str
    kind: str  # "charge" or "discharge", from the requester's side
    requester: UnitState
    accepter: UnitState
    request_wh: int
    accept_wh: int
    amount_wh: int
    request_point: float
    accept_point: float

    @property
    def charge(self) -> UnitState:
        return self.requester if self.kind == "charge" else self.accepter

    @property
    def discharge(self) -> UnitState:
        return self.accepter if self.kind == "charge" else self.requester


def unit_document(
    cluster: str, index: int, unit: UnitState, mode: dict, at: Moment, reading: Reading
) -> dict:
    """The unit data of ``unit`` (the ``index``-th of ``cluster``) at ``at``, in operation ``mode``."""
    rsoc = round(unit.rsoc, 2)
    vb = round(battery_voltage_v(unit.rsoc), 2)
    return {
        "emu": _emu(unit, at, reading, rsoc, vb),
        "dcdc": _dcdc(at, reading, vb),
        "battery": {"rsoc": rsoc, "battery_operation_status": 3},
        "time": at.text,
        "oesunit": {
            "communityId": COMMUNITY[0],
            "clusterId": cluster,
            "id": unit.code,
            "display": f"Sample_{unit.code}",
            "sn": str(index + 1),
            "budo": "1" if mode["effective"] == "autonomous" else "0",
            "ip": f"localhost:4390/{unit.code}",
            "ipv6_ll": "NA",
            "ipv6_g": "NA",
            "mac": "NA",
        },
        "apis": _apis(unit, mode, rsoc),
        "datasetId": at.stamp * 1000,
    }


def _emu(unit: UnitState, at: Moment, reading: Reading, rsoc: float, vb: float) -> dict:
    local = at.local
    return {
        "charge_discharge_power": round(abs(reading.wb), 1),
        "rsoc": rsoc,
        "battery_rsoc": rsoc,
        "battery_voltage": vb,
        "battery_current": round(reading.wb / vb, 3),
        "pvc_charge_voltage": PV_VOLTAGE_V if reading.pv > 1 else 0.0,
        "pvc_charge_current": round(reading.pv / PV_VOLTAGE_V, 2),
        "pvc_charge_power": round(reading.pv, 1),
        "ups_input_voltage": round(101.5 + (at.stamp % 7) * 0.2, 1),
        "ups_output_voltage": UPS_OUTPUT_V,
        "ups_output_current": round(reading.load / UPS_OUTPUT_V, 2),
        "ups_output_power": round(reading.load, 1),
        "ups_output_frequency": 60,
        "ups_operation_mode": ups_operation_mode(unit.bypass),
        "ups_operation_schedule": 1,
        "system_time": {
            "year": local.year,
            "month": local.month,
            "day": local.day,
            "hour": local.hour,
            "minute": local.minute,
        },
    }


def _dcdc(at: Moment, reading: Reading, vb: float) -> dict:
    p2 = reading.p2
    return {
        "status": dcdc_status(reading.code),
        "powermeter": {"p1": 0.0, "p2": round(p2, 1), "i1": round(p2 / AC_INPUT_V, 2), "v1": AC_INPUT_V},
        "meter": {
            "wg": round(reading.ig * reading.vg, 1),
            "tmp": round(dcdc_temperature_c(at.hour, reading.code), 2),
            "vb": vb,
            "wb": round(reading.wb, 1),
            "vg": reading.vg,
            "ib": round(reading.wb / vb, 3),
            "ig": reading.ig,
        },
        "vdis": {"dvg": GRID_VOLTAGE_V, "drg": 0.0},
        "param": {"dig": DEAL_CURRENT_A, **DCDC_LIMITS},
    }


def _apis(unit: UnitState, mode: dict, rsoc: float) -> dict:
    apis = {
        "version": "3.0.0",
        "remaining_capacity_wh": int(BATTERY_CAPACITY_WH * rsoc / 100),
        "deal_interlock_capacity": 1,
        "operation_mode": mode,
    }
    if unit.grid_master:
        apis["is_grid_master"] = True
    if unit.deal is not None:
        apis["deal_id_list"] = [unit.deal.doc["dealId"]]
    return apis


def deal_document(cluster: str, terms: DealTerms, text: str, master: bool) -> dict:
    """A deal as created at ``text`` (APIS local time); ``master``: the cluster's master deal."""
    charge, discharge = terms.charge, terms.discharge
    return {
        "dealId": terms.deal_id,
        "communityId": COMMUNITY[0],
        "clusterId": cluster,
        "unitId": terms.requester.code,
        "negotiationId": terms.negotiation_id,
        "type": terms.kind,
        "requestUnitId": terms.requester.code,
        "acceptUnitId": terms.accepter.code,
        "chargeUnitId": charge.code,
        "dischargeUnitId": discharge.code,
        "requestDateTime": text,
        "acceptDateTime": text,
        "requestPointPerWh": terms.request_point,
        "acceptPointPerWh": terms.accept_point,
        "pointPerWh": terms.request_point if terms.kind == "charge" else terms.accept_point,
        "requestDealGridCurrentA": DEAL_CURRENT_A,
        "acceptDealGridCurrentA": DEAL_CURRENT_A,
        "dealGridCurrentA": DEAL_CURRENT_A,
        "chargeUnitEfficientGridVoltageV": efficient_grid_voltage_v(charge.rsoc),
        "dischargeUnitEfficientGridVoltageV": efficient_grid_voltage_v(discharge.rsoc),
        "requestAmountWh": int(terms.request_wh),
        "acceptAmountWh": int(terms.accept_wh),
        "dealAmountWh": int(terms.amount_wh),
        "createDateTime": text,
        "isMaster": master,
    }
