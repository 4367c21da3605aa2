"""The emulated cluster: units, the grid master, deals created by the scenario rules and run through their
life cycle (apis-ecosystem §3.6), operation modes (§3.7), fault injection, the apis-main log lines and the
deal-log files each unit's apis-main writes (``DealLogging``: ``<dir>/<unitId>/yyyy/MM/dd/<dealId>``)."""

import json
import logging
import os
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from apis.ccc.reports import saveworthy
from apis.emulator import scenario as rules
from apis.emulator.physics import (
    BATTERY_CAPACITY_WH,
    CHARGE,
    DEAL_RSOC_MAX,
    DEAL_RSOC_MIN,
    DISCHARGE,
    VOLTAGE_REFERENCE,
    WAIT,
    Unit,
    efficient_grid_voltage_v,
    energy_wh,
    settle_grid,
    unit_record,
)

log = logging.getLogger("jp.co.sony.csl.dcoes.apis.main")
WORLD_FORMAT = "%Y/%m/%d-%H:%M:%S"
MODES = ("autonomous", "heteronomous", "stop", "manual")
LOCAL_MODES = (None, "heteronomous", "stop")
# Life-cycle steps after creation, one per grid-master loop: the timestamps each step sets.
STEPS = ("activateDateTime", "rampUpDateTime", "warmUpDateTime", "startDateTime")
DEAL_DEFAULTS = {"gridCurrentA": 1.0, "amountMinWh": 50, "amountMaxWh": 50, "amountUnitWh": 50}
DEAL_LOGGING_MSEC = 5000  # apis-main's default mediator.dealLoggingPeriodMsec


@dataclass
class ClusterConfig:
    """Emulator settings (see ``apis emulator --help``)."""

    units: int = 4
    community_id: str = "oss_community"
    cluster_id: str = "oss_cluster"
    capacity_wh: float = BATTERY_CAPACITY_WH
    speed: float = 10.0
    loop_msec: int = 5000
    start: datetime = datetime(2020, 1, 1)
    scenario_file: str | None = None
    policy_file: str | None = None
    deal_log_dir: Path | None = None
    deal_logging_msec: int | None = None  # None: the policy's mediator.dealLoggingPeriodMsec, else 5000
    global_mode: str = "autonomous"


def _unit_id(number: int) -> str:
    return f"E{number:03d}"


def effective_mode(global_mode: str, local_mode: str | None) -> str:
    """apis-main's rule: local null → global; global autonomous/heteronomous → local; stop/manual → global."""
    if local_mode is None or global_mode in ("stop", "manual"):
        return global_mode
    return local_mode


class _JsonFiles:
    """Per-unit JSON files (a path template with ``{unitId}``), re-read when they change."""

    def __init__(self, template: str | None) -> None:
        self.template, self.cache = template, {}

    def get(self, unit_id: str) -> dict | None:
        if not self.template:
            return None
        path = self.template.replace("{unitId}", unit_id)
        try:
            stamp = os.stat(path).st_mtime_ns
        except FileNotFoundError:
            self.cache.pop(unit_id, None)
            return None
        cached = self.cache.get(unit_id)
        if cached and cached[0] == stamp:
            return cached[1]
        try:
            content = json.loads(Path(path).read_text())
        except (OSError, ValueError) as exc:
            log.warning("invalid file %s : %s", path, exc)
            content = None
        self.cache[unit_id] = (stamp, content if isinstance(content, dict) else None)
        return self.cache[unit_id][1]


class Cluster:
    """Thread-safe: the HTTP server reads while the loop thread advances. ``lock`` guards everything."""

    def __init__(self, config: ClusterConfig) -> None:
        self.config = config
        self.lock = threading.RLock()
        presets = (70, 92, 26, 43, 68, 95)
        self.units = [
            Unit(
                _unit_id(n),
                n,
                config.capacity_wh,
                float(presets[(n - 1) % len(presets)]),
                pv_peak_w=1200 + 150 * (n % 5),
                load_scale=0.8 + 0.1 * (n % 4),
            )
            for n in range(1, config.units + 1)
        ]
        self.world = config.start
        self.global_mode = config.global_mode
        self.grid_master_stopped = False
        self.deals: dict[str, dict] = {}
        self.scenarios, self.policies = _JsonFiles(config.scenario_file), _JsonFiles(config.policy_file)
        # Each apis-main's deal-logging timer, out of step with the others as separate processes are.
        self.deal_log_clock = {
            unit.unit_id: -index / len(self.units) for index, unit in enumerate(self.units)
        }

    # ---- views -------------------------------------------------------------------------------------

    def unit(self, unit_id: str) -> Unit | None:
        return next((unit for unit in self.units if unit.unit_id == unit_id), None)

    @property
    def world_time(self) -> str:
        return self.world.strftime(WORLD_FORMAT)

    def grid_master(self) -> Unit | None:
        if self.grid_master_stopped:
            return None
        return next((unit for unit in self.units if not unit.stopped), None)

    def effective(self, unit: Unit) -> str:
        return effective_mode(self.global_mode, unit.local_mode)

    def _deal_settings(self) -> dict:
        policy = self.policies.get(self.units[0].unit_id) or {}
        deal = ((policy.get("mediator") or {}).get("deal")) or {}
        return {key: deal.get(key, value) for key, value in DEAL_DEFAULTS.items()}

    def _apis(self, unit: Unit, master: Unit | None) -> dict:
        apis = {
            "version": "3.0.0",
            "remaining_capacity_wh": int(unit.remaining_wh),
            "deal_interlock_capacity": int(2.3 / self._deal_settings()["gridCurrentA"]),
            "operation_mode": {
                "global": self.global_mode,
                "local": unit.local_mode,
                "effective": self.effective(unit),
            },
        }
        if unit is master:
            apis["is_grid_master"] = True
        if unit.deal_ids:
            apis["deal_id_list"] = list(unit.deal_ids)
        return apis

    def unit_data(self) -> dict | None:
        """The grid master's unit data keyed by unit id (``apis.GridMaster.data.all``); ``None`` without a
        grid master."""
        with self.lock:
            master = self.grid_master()
            if master is None:
                return None
            c = self.config
            return {
                unit.unit_id: unit_record(
                    unit, self.world_time, c.community_id, c.cluster_id, self._apis(unit, master)
                )
                for unit in self.units
                if not unit.stopped
            }

    def reduced_deals(self) -> list[dict]:
        """apis-web's ``/deals``: the reduced form (``[]`` when no apis-main runs)."""
        with self.lock:
            if all(unit.stopped for unit in self.units):
                return []
            return [
                {
                    "chargingUnit": deal["chargeUnitId"],
                    "dischargingUnit": deal["dischargeUnitId"],
                    "isMasterDeal": bool(deal.get("isMaster")),
                    "request": deal["type"].upper(),
                    "requester": deal["requestUnitId"],
                    "responder": deal["acceptUnitId"],
                    "startTime": deal["createDateTime"],
                }
                for deal in self.deals.values()
            ]

    def member_unit_ids(self) -> list[str]:
        """apis-web's ``/unitIds``: the policy's members, as the grid master knows them (``[]`` without)."""
        with self.lock:
            return [unit.unit_id for unit in self.units] if self.grid_master() is not None else []

    def status(self) -> dict:
        """apis-web's ``/getStatus``: active in autonomous or heteronomous mode while the grid master reports
        no error; with the error apis-web adds when the grid master does not answer."""
        with self.lock:
            if self.global_mode not in ("autonomous", "heteronomous"):
                return {"active": False}
            if self.grid_master() is None:
                return {
                    "active": False,
                    "error": "(NO_HANDLERS,-1) No handlers for address apis.GridMaster.error.test",
                }
            return {"active": True}

    # ---- commands ----------------------------------------------------------------------------------

    def set_global_mode(self, mode: str) -> None:
        with self.lock:
            self.global_mode = mode
            log.info("global operationMode set to : %s", mode, extra={"apis_unit": self.units[0].unit_id})

    def set_local_mode(self, unit: Unit, mode: str | None) -> None:
        with self.lock:
            unit.local_mode = mode
            log.info("local operationMode set to : %s", mode, extra={"apis_unit": unit.unit_id})

    def shutdown(self, unit: Unit | None) -> None:
        """apis-web's ``/shutdown``: stop one unit's apis-main, or every one."""
        with self.lock:
            for target in [unit] if unit else self.units:
                if not target.stopped:
                    self.fault("stopUnit", target, True)

    def fault(self, kind: str, unit: Unit | None, on: bool) -> None:
        """``stopUnit``, ``silence`` (a unit) or ``stopGridMaster``; ``on`` false undoes it."""
        with self.lock:
            if kind == "stopGridMaster":
                self.grid_master_stopped = on
                if on:
                    log.error(
                        "(FRAMEWORK:GLOBAL:ERROR:%s) GridMaster stopped",
                        self.units[0].unit_id,
                        extra={"apis_unit": self.units[0].unit_id},
                    )
            elif kind == "silence":
                unit.silent = on
            else:
                unit.stopped = on
                if on:
                    for deal in list(self.deals.values()):
                        if unit.unit_id in (deal["chargeUnitId"], deal["dischargeUnitId"]):
                            self._abort(deal, f"unit {unit.unit_id} stopped")
                    log.error(
                        "(HARDWARE:LOCAL:ERROR:%s) unit stopped",
                        unit.unit_id,
                        extra={"apis_unit": unit.unit_id},
                    )

    # ---- the loop ----------------------------------------------------------------------------------

    def tick(self, real_seconds: float) -> None:
        """One apis-main loop: data acquisition, grid master, deal creation, physics over the elapsed time."""
        with self.lock:
            seconds = real_seconds * self.config.speed
            self.world += timedelta(seconds=seconds)
            hour = self.world.hour + self.world.minute / 60 + self.world.second / 3600
            running = [unit for unit in self.units if not unit.stopped]
            for unit in running:
                unit.advance(hour, seconds)
                self._log(
                    unit,
                    logging.INFO,
                    "uri : /get/unit/%s",
                    unit.unit_id,
                    logger="controller.DataAcquisition",
                )
            master = self.grid_master()
            if master is not None:
                self._grid_master_loop(master, running, seconds)
            self._deal_logging(real_seconds)

    def _grid_master_loop(self, master: Unit, running: list[Unit], seconds: float) -> None:
        self._log(
            master,
            logging.INFO,
            "gridMasterUnitId : %s",
            master.unit_id,
            logger="mediator.GridMasterManagement",
        )
        for deal in list(self.deals.values()):
            self._step(deal, seconds)
        if self.global_mode == "autonomous":
            for unit in running:
                self._negotiate(unit, running)
        settle_grid(self.units)

    def _deal_logging_period(self) -> float:
        """Real seconds between two deal-log writes of a unit (``mediator.dealLoggingPeriodMsec``)."""
        if self.config.deal_logging_msec is not None:
            return self.config.deal_logging_msec / 1000
        policy = self.policies.get(self.units[0].unit_id) or {}
        period = (policy.get("mediator") or {}).get("dealLoggingPeriodMsec", DEAL_LOGGING_MSEC)
        return period / 1000 if isinstance(period, int | float) and period > 0 else DEAL_LOGGING_MSEC / 1000

    def _deal_logging(self, real_seconds: float) -> None:
        """Each running unit's timer: the saveworthy deals it takes part in, rewritten every period."""
        if self.config.deal_log_dir is None:
            return
        period = self._deal_logging_period()
        for unit in self.units:
            self.deal_log_clock[unit.unit_id] += real_seconds / period
            if self.deal_log_clock[unit.unit_id] < 1 or unit.stopped:
                continue
            self.deal_log_clock[unit.unit_id] %= 1
            for deal in self.deals.values():
                if unit.unit_id in (deal["chargeUnitId"], deal["dischargeUnitId"]) and saveworthy(deal):
                    self._write_deal_log(unit, deal)

    def _log(self, unit: Unit, level: int, message: str, *args: object, logger: str = "user") -> None:
        if not unit.silent:
            logging.getLogger(f"{log.name}.{logger}").log(
                level, message, *args, extra={"apis_unit": unit.unit_id}
            )

    def _scenario(self, unit: Unit) -> dict:
        return self.scenarios.get(unit.unit_id) or rules.DEFAULT_SCENARIO

    def _free(self, unit: Unit) -> bool:
        """Autonomous and without a deal: the emulator runs one deal per unit at a time (apis-main allows
        ``deal_interlock_capacity``; one keeps the shared DC bus model simple)."""
        capacity = int(2.3 / self._deal_settings()["gridCurrentA"])
        return self.effective(unit) == "autonomous" and len(unit.deal_ids) < min(capacity, 1)

    def _negotiate(self, unit: Unit, running: list[Unit]) -> None:
        if not self._free(unit):
            return
        time_of_day = self.world.strftime("%H:%M:%S")
        request = rules.request_of(self._scenario(unit), unit.unit_id, time_of_day, unit.remaining_wh)
        settings = self._deal_settings()
        if request is None or request.amount_wh <= settings["amountMinWh"]:
            return
        accepts = [
            offer
            for other in running
            if other is not unit
            and self._free(other)
            and (
                offer := rules.accept_of(
                    self._scenario(other), other.unit_id, request, time_of_day, other.remaining_wh
                )
            )
        ]
        accept = rules.select(request, accepts, rules.strategy(self._scenario(unit), time_of_day))
        if accept is None:
            self._log(unit, logging.INFO, "no accept chosen")
            return
        amount = min(request.amount_wh, accept.amount_wh, settings["amountMaxWh"])
        amount = amount // settings["amountUnitWh"] * settings["amountUnitWh"]
        if amount < settings["amountMinWh"]:
            return
        self._create(unit, request, self.unit(accept.unit_id), accept, amount, settings["gridCurrentA"])

    def _create(
        self,
        requester: Unit,
        request: rules.Offer,
        accepter: Unit,
        accept: rules.Offer,
        amount: float,
        current: float,
    ) -> None:
        charge, discharge = (requester, accepter) if request.kind == "charge" else (accepter, requester)
        now = self.world_time
        price = request.point_per_wh if request.kind == "charge" else accept.point_per_wh
        deal = {
            "unitId": requester.unit_id,
            "negotiationId": str(uuid.uuid4()),
            "requestUnitId": requester.unit_id,
            "acceptUnitId": accepter.unit_id,
            "requestDateTime": now,
            "acceptDateTime": now,
            "requestPointPerWh": request.point_per_wh,
            "acceptPointPerWh": accept.point_per_wh,
            "requestDealGridCurrentA": current,
            "acceptDealGridCurrentA": current,
            "type": request.kind,
            "chargeUnitId": charge.unit_id,
            "dischargeUnitId": discharge.unit_id,
            "pointPerWh": price,
            "chargeUnitEfficientGridVoltageV": efficient_grid_voltage_v(charge.rsoc),
            "dischargeUnitEfficientGridVoltageV": efficient_grid_voltage_v(discharge.rsoc),
            "dealGridCurrentA": current,
            "requestAmountWh": int(request.amount_wh),
            "acceptAmountWh": int(accept.amount_wh),
            "dealAmountWh": int(amount),
            "dealId": str(uuid.uuid4()),
            "createDateTime": now,
            "isMaster": not any(d.get("isMaster") for d in self.deals.values()),
        }
        self.deals[deal["dealId"]] = deal
        for unit in (charge, discharge):
            unit.deal_ids.append(deal["dealId"])
        self._log(
            requester, logging.INFO, "deal created : %s", deal["dealId"], logger="mediator.DealCreation"
        )

    def _step(self, deal: dict, seconds: float) -> None:
        charge, discharge = self.unit(deal["chargeUnitId"]), self.unit(deal["dischargeUnitId"])
        for key in STEPS:
            if key not in deal:
                deal[key] = self.world_time
                if key == "activateDateTime":
                    has_reference = any(
                        unit.mode == VOLTAGE_REFERENCE for unit in self.units if not unit.stopped
                    )
                    discharge.set_dcdc(
                        *((DISCHARGE, deal["dealGridCurrentA"]) if has_reference else (VOLTAGE_REFERENCE,))
                    )
                elif key == "warmUpDateTime":
                    charge.set_dcdc(CHARGE, deal["dealGridCurrentA"])
                    deal["compensationTargetVoltageReferenceGridCurrentA"] = -deal["dealGridCurrentA"]
                    deal["dischargeUnitCompensatedGridCurrentA"] = deal["dealGridCurrentA"]
                    deal["chargeUnitCompensatedGridCurrentA"] = deal["dealGridCurrentA"]
                elif key == "startDateTime":
                    deal["cumulateDateTime"], deal["cumulateAmountWh"] = self.world_time, 0.0
                self._log(
                    charge,
                    logging.INFO,
                    "deal %s",
                    key.removesuffix("DateTime").lower(),
                    logger="gridmaster.DealExecution",
                )
                return
        if "stopDateTime" not in deal:
            deal["cumulateAmountWh"] = round(
                deal["cumulateAmountWh"] + energy_wh(max(charge.wb, 0), seconds), 3
            )
            deal["cumulateDateTime"] = self.world_time
            if discharge.rsoc < DEAL_RSOC_MIN or charge.rsoc > DEAL_RSOC_MAX:
                self._abort(deal, "battery limit reached")
            elif deal["cumulateAmountWh"] > deal["dealAmountWh"]:
                deal["stopDateTime"] = self.world_time
                for unit in (charge, discharge):
                    if not any(
                        unit.unit_id in (d["chargeUnitId"], d["dischargeUnitId"]) and d is not deal
                        for d in self.deals.values()
                    ):
                        unit.set_dcdc(WAIT)
                self._log(charge, logging.INFO, "deal stopped", logger="gridmaster.DealExecution")
            return
        deal["deactivateDateTime"] = self.world_time
        self._dispose(deal)

    def _abort(self, deal: dict, reason: str) -> None:
        now = self.world_time
        deal.setdefault("abort", []).append({"dateTime": now, "reason": reason})
        deal["abortDateTime"], deal["abortReason"] = now, reason
        for key in (*STEPS, "stopDateTime"):
            deal.setdefault(key, "--")
        deal["deactivateDateTime"] = now
        for unit_id in (deal["chargeUnitId"], deal["dischargeUnitId"]):
            self.unit(unit_id).set_dcdc(WAIT)
        self._log(self.unit(deal["chargeUnitId"]), logging.WARNING, "deal aborted; reason : %s", reason)
        self._dispose(deal)

    def _dispose(self, deal: dict) -> None:
        deal.pop("isMaster", None)
        self.deals.pop(deal["dealId"], None)
        for unit_id in (deal["chargeUnitId"], deal["dischargeUnitId"]):
            unit = self.unit(unit_id)
            if deal["dealId"] in unit.deal_ids:
                unit.deal_ids.remove(deal["dealId"])
        if self.config.deal_log_dir is not None and saveworthy(deal):
            for unit_id in (deal["chargeUnitId"], deal["dischargeUnitId"]):
                if not self.unit(unit_id).stopped:
                    self._write_deal_log(self.unit(unit_id), deal)
        self._log(
            self.unit(deal["chargeUnitId"]),
            logging.INFO,
            "deal deactivated",
            logger="gridmaster.DealExecution",
        )

    def _write_deal_log(self, unit: Unit, deal: dict) -> None:
        """apis-main's way: ``<dir>/<unitId>/yyyy/MM/dd/<dealId>`` (the day of ``createDateTime``), created
        empty when missing, then rewritten in place (truncated, then written: not atomic) as compact JSON."""
        created = datetime.strptime(deal["createDateTime"], WORLD_FORMAT)
        directory = self.config.deal_log_dir / unit.unit_id / created.strftime("%Y/%m/%d")
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / deal["dealId"]
        if not path.exists():
            path.touch()  # Vert.x createFile
        path.write_text(json.dumps(deal, separators=(",", ":"), ensure_ascii=False), encoding="utf-8")
