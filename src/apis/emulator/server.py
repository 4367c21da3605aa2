"""The emulator's HTTP interfaces. The first two are apis-web's, with exactly its paths and answers
(apis-ecosystem §4; apis-web ``EmulatorEmulator`` and ``BudoEmulator``), so that what works against the
emulator works against a real cluster:

* **Emulator Emulator** (apis-web port 43900): ``/get/log`` only: the grid master's unit data keyed by
  unitId; while no grid master answers, apis-web's last good copy (``{}`` before the first).
* **Budo Emulator** (apis-web port 43830): ``/deals`` (the reduced deal form), ``/unitIds``, ``/getStatus``,
  ``/active``, ``/quiet``, ``/stop``, ``/manual``, ``/setOperationMode``, ``/shutdown``.

Every other path is apis-web's 404 ``{"error": "not found : <uri>"}``; answers are compact JSON and a
newline, whatever the method, as Vert.x writes them.

* **Control** (the emulator's own, no part of apis-web; nothing but tests and operators use it):
  ``/fault?kind=stopUnit|silence|stopGridMaster[&unitId=U][&on=0]`` injects and clears faults.
"""

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from apis.core.numbers import ascii_int
from apis.emulator.cluster import LOCAL_MODES, MODES, Cluster

SETTERS = {"/active": "autonomous", "/quiet": "heteronomous", "/stop": "stop", "/manual": "manual"}
FAULTS = ("stopUnit", "silence", "stopGridMaster")
Route = Callable[[dict], object]


class BadRequest(Exception):
    """A 400 answer with this message."""


def _one(query: dict, name: str) -> str | None:
    """The parameter's first value; an empty one counts as absent (apis-web's ``nullIfEmpty``)."""
    values = query.get(name)
    return values[0] or None if values else None


def no_handlers(address: str) -> str:
    """The Vert.x event-bus failure apis-web passes on when no apis-main serves ``address``."""
    return f"(NO_HANDLERS,-1) No handlers for address {address}"


def emulator_emulator_routes(cluster: Cluster) -> dict[str, Route]:
    """apis-web's Emulator Emulator: ``/get/log``, with apis-web's cache of the last good answer."""
    last_good: list[dict] = [{}]

    def get_log(query: dict) -> dict:
        data = cluster.unit_data()
        if data is None:  # no grid master answers apis.GridMaster.data.all
            return last_good[0]
        last_good[0] = data
        return data

    return {"/get/log": get_log}


def budo_emulator_routes(cluster: Cluster) -> dict[str, Route]:
    """apis-web's Budo Emulator."""

    def set_operation_mode(query: dict) -> dict:
        unit_id, value = _one(query, "unitId"), _one(query, "value")
        if unit_id is not None:
            unit = cluster.unit(unit_id)
            if unit is None or unit.stopped:
                return {"succeeded": False, "error": no_handlers(f"apis.{unit_id}.operationMode")}
            if value not in LOCAL_MODES:
                return {"succeeded": False, "error": f"invalid local operationMode : {value}"}
            cluster.set_local_mode(unit, value)
        elif value in MODES:
            cluster.set_global_mode(value)
        else:
            return {"succeeded": False, "error": f"invalid global operationMode : {value}"}
        return {"succeeded": True}

    def shutdown(query: dict) -> dict:
        unit_id = _one(query, "unitId")
        if unit_id is None:
            cluster.shutdown(None)
            return {"succeeded": True}
        unit = cluster.unit(unit_id)
        if unit is None or unit.stopped:
            return {"succeeded": False, "error": no_handlers(f"apis.{unit_id}.shutdown")}
        cluster.shutdown(unit)
        return {"succeeded": True}

    def set_mode(mode: str) -> Route:
        def setter(query: dict) -> dict:
            cluster.set_global_mode(mode)
            return cluster.status()

        return setter

    routes: dict[str, Route] = {
        "/deals": lambda query: cluster.reduced_deals(),
        "/unitIds": lambda query: cluster.member_unit_ids(),
        "/getStatus": lambda query: cluster.status(),
        "/setOperationMode": set_operation_mode,
        "/shutdown": shutdown,
    }
    routes.update({path: set_mode(mode) for path, mode in SETTERS.items()})
    return routes


def control_routes(cluster: Cluster) -> dict[str, Route]:
    """The emulator's own fault injection."""

    def fault(query: dict) -> dict:
        kind = _one(query, "kind")
        if kind not in FAULTS:
            raise BadRequest(f"kind must be one of {', '.join(FAULTS)}")
        unit = None
        if kind != "stopGridMaster":
            unit = cluster.unit(_one(query, "unitId") or "")
            if unit is None:
                raise BadRequest(f"unknown unitId : {_one(query, 'unitId')}")
        cluster.fault(kind, unit, _one(query, "on") != "0")
        return {"succeeded": True}

    return {"/fault": fault}


def make_server(routes: dict[str, Route], host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """A threading HTTP server (not yet serving) answering ``routes`` as apis-web does."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            length = ascii_int(self.headers.get("Content-Length", "0"), 0, 65536)
            if length is not None:
                self.rfile.read(length)
            address = urlsplit(self.path)
            route = routes.get(address.path)
            try:
                if route is None:
                    status, body = 404, {"error": f"not found : {self.path}"}
                else:
                    status, body = 200, route(parse_qs(address.query))
            except BadRequest as exc:
                status, body = 400, {"error": str(exc)}
            payload = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = _answer

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server


def serve(routes: dict[str, Route], host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """``make_server`` serving in a daemon thread; ``shutdown()`` and ``server_close()`` stop it."""
    server = make_server(routes, host, port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
