"""Realistic apis-ccc payloads (apis-ecosystem §3.3 and §3.6) for tests: unit data and deals as the Java
apis-ccc posts them in ``http_post`` mode."""

COMMUNITY, CLUSTER = "oss_community", "oss_cluster"
# The original's six monitoring job types, in the order its job list shows them.
JOB_TYPES = (
    "apis_main_alive",
    "apis_ccc_alive",
    "grid_master_alive",
    "apis_main_severe",
    "apis_ccc_severe",
    "apis_log_severe",
)


def unit_doc(
    unit_id: str = "E001",
    time: str = "2020/01/01-12:00:00",
    dataset_id: int = 1_577_847_600_000,
    rsoc: float = 50.0,
    effective: str = "autonomous",
    community: str = COMMUNITY,
    cluster: str = CLUSTER,
) -> dict:
    """One unit's data object (with ``datasetId``), as posted to ``/api/ccc/unitData``."""
    return {
        "emu": {
            "charge_discharge_power": 27.0,
            "rsoc": rsoc,
            "battery_rsoc": rsoc,
            "battery_voltage": 52.1,
            "battery_current": -0.52,
            "pvc_charge_power": 812.0,
            "pvc_charge_voltage": 188.0,
            "pvc_charge_current": 4.3,
            "ups_output_power": 420.0,
            "ups_input_voltage": 102.8,
            "ups_operation_mode": {"mode": 2, "parameter": 80, "stop_mode": 2},
            "system_time": {"year": 2020, "month": 1, "day": 1, "hour": 12, "minute": 0},
        },
        "dcdc": {
            "status": {"status": "0x0000", "alarmState": "No alarm", "operationMode": "Waiting"},
            "meter": {"wg": 0.0, "tmp": 26.59, "vb": 48.0, "wb": -4.5, "vg": 350.2, "ib": -0.27, "ig": 0.0},
            "vdis": {"dvg": 350.0, "drg": 0.0},
            "param": {"dig": 2.0},
            "powermeter": {"p2": 57.0},
        },
        "battery": {"rsoc": rsoc, "battery_operation_status": 3},
        "time": time,
        "oesunit": {
            "communityId": community,
            "clusterId": cluster,
            "id": unit_id,
            "display": f"Sample_{unit_id}",
            "sn": "1",
            "budo": "1" if effective == "autonomous" else "0",
            "ip": f"localhost:4390/{unit_id}",
            "ipv6_ll": "NA",
            "ipv6_g": "NA",
            "mac": "NA",
        },
        "apis": {
            "version": "3.0.0",
            "remaining_capacity_wh": int(4800 * rsoc / 100),
            "deal_interlock_capacity": 2,
            "operation_mode": {"global": "autonomous", "local": None, "effective": effective},
        },
        "datasetId": dataset_id,
    }


def deal_doc(
    deal_id: str = "d-0001",
    report_time: int = 1_577_847_600,
    create: str = "2020/01/01-12:00:00",
    discharge: str = "E001",
    charge: str = "E002",
    cumulate_wh: float = 25.5,
    deactivated: str | None = None,
    community: str = COMMUNITY,
    cluster: str = CLUSTER,
) -> dict:
    """A deal object as posted to ``/api/ccc/deal`` (APIS local times, ``--`` placeholders)."""
    return {
        "dealId": deal_id,
        "communityId": community,
        "clusterId": cluster,
        "unitId": charge,
        "negotiationId": f"n-{deal_id}",
        "type": "charge",
        "requestUnitId": charge,
        "acceptUnitId": discharge,
        "chargeUnitId": charge,
        "dischargeUnitId": discharge,
        "requestDateTime": create,
        "acceptDateTime": create,
        "createDateTime": create,
        "activateDateTime": create,
        "rampUpDateTime": create,
        "warmUpDateTime": create,
        "startDateTime": create,
        "cumulateDateTime": create,
        "stopDateTime": deactivated or "--",
        "deactivateDateTime": deactivated or "--",
        "requestAmountWh": 100,
        "acceptAmountWh": 100,
        "dealAmountWh": 50,
        "cumulateAmountWh": cumulate_wh,
        "pointPerWh": 10.0,
        "requestPointPerWh": 10.0,
        "acceptPointPerWh": 10.0,
        "dealGridCurrentA": 1.0,
        "requestDealGridCurrentA": 1.0,
        "acceptDealGridCurrentA": 1.0,
        "chargeUnitEfficientGridVoltageV": 312.0,
        "dischargeUnitEfficientGridVoltageV": 312.0,
        "isMaster": True,
        "reset": [{"dateTime": create, "reason": "grid voltage drop"}],
        "reportTime": report_time,
    }
