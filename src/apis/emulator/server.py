"""The emulator's HTTP interface: apis-web's paths (``/get/log``, ``/deals``, ``/unitIds``, ``/getStatus``,
the mode setters) plus what apis-ccc gets over the event bus in the Java system (``/get/deals``: live deals
with every field; ``/get/completedDeals?since=N``: deals disposed since N) and fault injection."""

import json
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from apis.emulator.cluster import LOCAL_MODES, MODES, Cluster

SETTERS = {"/active": "autonomous", "/quiet": "heteronomous", "/stop": "stop", "/manual": "manual"}
FAULTS = ("stopUnit", "silence", "stopGridMaster")


class BadRequest(Exception):
    """A 400 answer with this message."""


def _routes(cluster: Cluster) -> dict[str, Callable[[dict], object]]:
    def one(query: dict, name: str) -> str | None:
        values = query.get(name)
        return values[0] if values else None

    def unit_of(query: dict):
        unit = cluster.unit(one(query, "unitId") or "")
        if unit is None:
            raise BadRequest(f"unknown unitId : {one(query, 'unitId')}")
        return unit

    def set_operation_mode(query: dict) -> dict:
        value = one(query, "value") or None
        if one(query, "unitId"):
            if value not in LOCAL_MODES:
                return {"succeeded": False, "error": f"invalid local mode : {value}"}
            cluster.set_local_mode(unit_of(query), value)
        elif value in MODES:
            cluster.set_global_mode(value)
        else:
            return {"succeeded": False, "error": f"invalid global mode : {value}"}
        return {"succeeded": True}

    def fault(query: dict) -> dict:
        kind = one(query, "kind")
        if kind not in FAULTS:
            raise BadRequest(f"kind must be one of {', '.join(FAULTS)}")
        unit = None if kind == "stopGridMaster" else unit_of(query)
        cluster.fault(kind, unit, one(query, "on") != "0")
        return {"succeeded": True}

    def since(query: dict) -> dict:
        text = one(query, "since") or "0"
        if not text.isdigit():
            raise BadRequest(f"since must be a non-negative integer : {text}")
        return cluster.completed_since(int(text))

    def set_mode(mode: str) -> Callable[[dict], dict]:
        def setter(query: dict) -> dict:
            cluster.set_global_mode(mode)
            return cluster.status()

        return setter

    routes: dict[str, Callable[[dict], object]] = {
        "/get/log": lambda query: cluster.unit_data(),
        "/deals": lambda query: cluster.reduced_deals(),
        "/get/deals": lambda query: cluster.full_deals(),
        "/get/completedDeals": since,
        "/unitIds": lambda query: [unit.unit_id for unit in cluster.units],
        "/getStatus": lambda query: cluster.status(),
        "/setOperationMode": set_operation_mode,
        "/fault": fault,
    }
    routes.update({path: set_mode(mode) for path, mode in SETTERS.items()})
    return routes


def make_server(cluster: Cluster, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """A threading HTTP server (not yet serving) answering JSON for ``cluster``."""
    routes = _routes(cluster)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            address = urlsplit(self.path)
            route = routes.get(address.path)
            try:
                if route is None:
                    status, body = 404, {"error": f"not found : {address.path}"}
                else:
                    status, body = 200, route(parse_qs(address.query))
            except BadRequest as exc:
                status, body = 400, {"error": str(exc)}
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server
