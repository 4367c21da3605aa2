"""``apis emulator``: an emulated APIS cluster serving apis-web's two HTTP interfaces exactly (Emulator
Emulator: ``/get/log``; Budo Emulator: ``/deals``, ``/unitIds``, ``/getStatus``, the mode setters,
``/shutdown``), writing each unit's deal-log files as apis-main does and sending apis-main log lines over UDP,
with fault injection on a control port of its own, until Ctrl-C / SIGTERM."""

import argparse
import logging
import threading
import time
from datetime import datetime
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from apis.ccc.udplog import UdpLogHandler, parse_address
from apis.core.logsetup import configure_logging
from apis.core.numbers import host_port
from apis.core.shutdown import stop_on_signals
from apis.emulator.cluster import MODES, Cluster, ClusterConfig
from apis.emulator.physics import BATTERY_CAPACITY_WH
from apis.emulator.server import budo_emulator_routes, control_routes, emulator_emulator_routes, serve


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="apis emulator", description=__doc__)
    p.add_argument("--units", type=int, default=4, help="number of units E001… (default 4)")
    p.add_argument("--community", default="oss_community", help="communityId of the units")
    p.add_argument("--cluster", default="oss_cluster", help="clusterId of the units")
    p.add_argument(
        "--capacity-wh",
        type=float,
        default=BATTERY_CAPACITY_WH,
        help=f"battery capacity (default {BATTERY_CAPACITY_WH:g} Wh)",
    )
    p.add_argument("--speed", type=float, default=10.0, help="emulated seconds per real second (default 10)")
    p.add_argument(
        "--loop-msec", type=int, default=5000, help="apis-main loop period, real ms (default 5000)"
    )
    p.add_argument(
        "--start", default="2020-01-01T00:00:00", help="world clock start (ISO, default 2020-01-01)"
    )
    p.add_argument("--mode", choices=MODES, default="autonomous", help="initial global operation mode")
    p.add_argument(
        "--bind",
        default="127.0.0.1:43900",
        help="HOST:PORT of apis-web's Emulator Emulator, /get/log (port 0: any)",
    )
    p.add_argument(
        "--budo-bind",
        default="127.0.0.1:43830",
        help="HOST:PORT of apis-web's Budo Emulator, /deals … (port 0: any)",
    )
    p.add_argument(
        "--control-bind",
        default="127.0.0.1:43910",
        help="HOST:PORT of the emulator's own fault injection, /fault",
    )
    p.add_argument("--log-udp", help="HOST:PORT to send apis-main log lines to (e.g. 127.0.0.1:8888)")
    p.add_argument(
        "--deal-log-dir",
        type=Path,
        help="deal logs as apis-main writes them, one directory per unit: D/E001/yyyy/MM/dd/…",
    )
    p.add_argument(
        "--deal-logging-msec",
        type=int,
        help="how often each unit rewrites its live deals' files, real ms (default: the policy's "
        "mediator.dealLoggingPeriodMsec, else 5000)",
    )
    p.add_argument(
        "--scenario-file", help="per-unit scenario file, '{unitId}' in the path (re-read on change)"
    )
    p.add_argument(
        "--policy-file", help="per-unit policy file, '{unitId}' in the path (mediator.deal settings)"
    )
    return p


def _config(args: argparse.Namespace) -> ClusterConfig:
    return ClusterConfig(
        units=args.units,
        community_id=args.community,
        cluster_id=args.cluster,
        capacity_wh=args.capacity_wh,
        speed=args.speed,
        loop_msec=args.loop_msec,
        start=datetime.fromisoformat(args.start),
        scenario_file=args.scenario_file,
        policy_file=args.policy_file,
        deal_log_dir=args.deal_log_dir,
        deal_logging_msec=args.deal_logging_msec,
        global_mode=args.mode,
    )


def run(cluster: Cluster, stop: threading.Event) -> None:
    """Tick every ``loop_msec`` of real time until ``stop`` is set."""
    period = cluster.config.loop_msec / 1000
    last = time.monotonic()
    while not stop.wait(max(0.0, last + period - time.monotonic())):
        now = time.monotonic()
        cluster.tick(now - last)
        last = now


def _address(text: str, option: str) -> tuple[str, int]:
    """``HOST:PORT`` (port 0: any free port) of an option; exits naming the option when it is not one."""
    address = host_port(text, lowest=0)
    if address is None:
        raise SystemExit(f"{option}: expected HOST:PORT, got {text!r}")
    return address


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, serve HTTP, run the loop; prints one ``<interface> on http://HOST:PORT`` line per
    interface (apis-web-emulator, apis-web-budo, control) once they listen."""
    args = parser().parse_args(argv)
    if args.units < 1 or args.speed <= 0 or args.loop_msec < 10:
        raise SystemExit("--units must be ≥ 1, --speed > 0 and --loop-msec ≥ 10")
    if args.deal_logging_msec is not None and args.deal_logging_msec < 10:
        raise SystemExit("--deal-logging-msec must be ≥ 10")
    binds = {
        "apis-web-emulator": (_address(args.bind, "--bind"), emulator_emulator_routes),
        "apis-web-budo": (_address(args.budo_bind, "--budo-bind"), budo_emulator_routes),
        "control": (_address(args.control_bind, "--control-bind"), control_routes),
    }
    try:
        configure_logging("emulator")
    except ImproperlyConfigured as exc:
        raise SystemExit(f"apis emulator: {exc}") from None
    # The emulated apis-main's lines (one per unit and loop) go over UDP only, as apis-main's do.
    logger = logging.getLogger("jp.co.sony.csl.dcoes.apis")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    if args.log_udp:
        logger.addHandler(UdpLogHandler(*parse_address(args.log_udp), program="apis-main"))
    stop = threading.Event()
    stop_on_signals(stop.set)  # before the first thread (the servers')
    cluster = Cluster(_config(args))
    servers = []
    try:
        for name, ((host, port), routes) in binds.items():
            servers.append(serve(routes(cluster), host, port))
            print(f"{name} on http://{host}:{servers[-1].server_address[1]}", flush=True)
        run(cluster, stop)
    except OSError as exc:
        raise SystemExit(f"apis emulator: cannot listen: {exc.strerror}") from None
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
