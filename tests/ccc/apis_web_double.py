"""A test double of a real APIS cluster as a program outside it sees one, for what cannot run here (apis-web
and apis-main are Java programs joined by a Hazelcast cluster): apis-web's two HTTP ports serving only the
paths the real apis-web serves, with its answers' shapes (apis-web ``EmulatorEmulator`` and ``BudoEmulator``,
apis-ecosystem §4), and deal-log files written the way apis-main's ``DealLogging`` writes them.

* Emulator Emulator: ``/get/log`` → the unit data keyed by unitId.
* Budo Emulator: ``/deals`` → the reduced deal form, ``/unitIds``, ``/getStatus``.
* Anything else → 404 ``{"error": "not found : <uri>"}``; every answer compact JSON and a newline.

``paths`` records every path asked for, so that a test can show the ccc asked for nothing else."""

import copy
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit


class ApisWebDouble:
    """apis-web's two ports on 127.0.0.1; set ``units`` (unitId → unit data) and ``deals`` (full deals, of
    which ``/deals`` answers the reduced form) as the cluster changes."""

    def __init__(self) -> None:
        self.units: dict[str, dict] = {}
        self.deals: list[dict] = []
        self.paths: list[str] = []
        self.lock = threading.Lock()
        self.log_server = self._serve({"/get/log": lambda: self.units})
        self.budo_server = self._serve(
            {
                "/deals": lambda: [_reduced(deal) for deal in self.deals],
                "/unitIds": lambda: list(self.units),
                "/getStatus": lambda: {"active": True},
            }
        )
        self.url = f"http://127.0.0.1:{self.log_server.server_address[1]}"
        self.budo_url = f"http://127.0.0.1:{self.budo_server.server_address[1]}"

    def _serve(self, routes: dict) -> ThreadingHTTPServer:
        double = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                path = urlsplit(self.path).path
                with double.lock:
                    double.paths.append(path)
                    route = routes.get(path)
                    status, body = (200, copy.deepcopy(route())) if route else (404, None)
                if body is None:
                    body = {"error": f"not found : {self.path}"}
                payload = json.dumps(body, separators=(",", ":")).encode() + b"\n"
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _answer

            def log_message(self, *args) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server

    def close(self) -> None:
        for server in (self.log_server, self.budo_server):
            server.shutdown()
            server.server_close()


def _reduced(deal: dict) -> dict:
    """apis-web's ``convertDealInfo_``: the keys whose value is known."""
    fields = {
        "chargingUnit": deal.get("chargeUnitId"),
        "dischargingUnit": deal.get("dischargeUnitId"),
        "isMasterDeal": deal.get("isMaster"),
        "request": deal["type"].upper() if deal.get("type") else None,
        "requester": deal.get("requestUnitId"),
        "responder": deal.get("acceptUnitId"),
        "startTime": deal.get("createDateTime"),
    }
    return {key: value for key, value in fields.items() if value is not None}


def deal_log_path(node: Path, deal: dict) -> Path:
    """``<dealLogDir>/yyyy/MM/dd/<dealId>`` by the deal's ``createDateTime`` (apis-main's default format)."""
    day = deal["createDateTime"][:10]  # yyyy/MM/dd
    return node / day / deal["dealId"]


def write_deal_log(node: Path, deal: dict) -> Path:
    """Write ``deal`` to the node's deal log as apis-main does: the file created empty when missing, then
    rewritten in place (Vert.x ``writeFile``: truncate, write; not atomic) with the compact JSON."""
    path = deal_log_path(node, deal)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.touch()
    path.write_text(json.dumps(deal, separators=(",", ":")))
    return path


def cut_short(node: Path, deal: dict) -> Path:
    """The file as a reader sees it in the middle of apis-main's rewrite: truncated, half written."""
    path = deal_log_path(node, deal)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(deal, separators=(",", ":"))
    path.write_text(text[: len(text) // 2])
    return path


def unit(unit_id: str, time: str, community: str = "oss_community", cluster: str = "oss_cluster") -> dict:
    """One unit's data as apis-main's grid master collects it (apis-ecosystem §3.3), in brief."""
    return {
        "emu": {"rsoc": 51.2, "pvc_charge_power": 120.0, "ups_output_power": 300.0},
        "dcdc": {
            "status": {"status": "0x0000", "statusName": "Waiting", "runningState": "off"},
            "meter": {"wg": 0.0, "vg": 0.0, "ig": 0.0, "wb": -4.5, "vb": 48.0, "ib": -0.1, "tmp": 26.6},
            "vdis": {"dvg": 350.0, "drg": 0.0},
            "param": {"dig": 2.0},
        },
        "battery": {"rsoc": 51.2, "battery_operation_status": 3},
        "time": time,
        "oesunit": {"communityId": community, "clusterId": cluster, "id": unit_id, "display": unit_id},
        "apis": {
            "version": "3.0.0",
            "remaining_capacity_wh": 2457,
            "operation_mode": {"global": "autonomous", "local": None, "effective": "autonomous"},
        },
    }


def deal(deal_id: str, created: str = "2020/01/01-10:00:00", **state) -> dict:
    """A deal of E001 (charge) and E002 (discharge) as apis-main keeps it, with ``state`` on top."""
    return {
        "unitId": "E001",
        "negotiationId": f"negotiation-{deal_id}",
        "requestUnitId": "E001",
        "acceptUnitId": "E002",
        "requestDateTime": created,
        "acceptDateTime": created,
        "type": "charge",
        "chargeUnitId": "E001",
        "dischargeUnitId": "E002",
        "pointPerWh": 10,
        "dealGridCurrentA": 1.0,
        "dealAmountWh": 50,
        "dealId": deal_id,
        "createDateTime": created,
        "isMaster": True,
        **state,
    }


def activated(deal_id: str, created: str = "2020/01/01-10:00:00", **state) -> dict:
    return deal(deal_id, created, activateDateTime=created, **state)


def cumulating(deal_id: str, at: str, amount: float, created: str = "2020/01/01-10:00:00") -> dict:
    return activated(
        deal_id,
        created,
        rampUpDateTime=created,
        warmUpDateTime=created,
        startDateTime=created,
        cumulateDateTime=at,
        cumulateAmountWh=amount,
    )


def finished(deal_id: str, at: str, amount: float, created: str = "2020/01/01-10:00:00") -> dict:
    done = cumulating(deal_id, at, amount, created)
    done.pop("isMaster")
    return {**done, "stopDateTime": at, "deactivateDateTime": at}
