"""``apis emulator``: an emulated APIS cluster speaking apis-web's HTTP interface, writing deal logs and
sending apis-main log lines over UDP, until Ctrl-C / SIGTERM."""

import argparse
import logging
import signal
import threading
import time
from datetime import datetime
from pathlib import Path

from apis.ccc.udplog import UdpLogHandler, parse_address
from apis.emulator.cluster import MODES, Cluster, ClusterConfig
from apis.emulator.server import make_server


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="apis emulator", description=__doc__)
    p.add_argument("--units", type=int, default=4, help="number of units E001… (default 4)")
    p.add_argument("--community", default="oss_community", help="communityId of the units")
    p.add_argument("--cluster", default="oss_cluster", help="clusterId of the units")
    p.add_argument("--capacity-wh", type=float, default=4800.0, help="battery capacity (default 4800 Wh)")
    p.add_argument("--speed", type=float, default=10.0, help="emulated seconds per real second (default 10)")
    p.add_argument(
        "--loop-msec", type=int, default=5000, help="apis-main loop period, real ms (default 5000)"
    )
    p.add_argument(
        "--start", default="2020-01-01T00:00:00", help="world clock start (ISO, default 2020-01-01)"
    )
    p.add_argument("--mode", choices=MODES, default="autonomous", help="initial global operation mode")
    p.add_argument("--bind", default="127.0.0.1:43900", help="HOST:PORT of the HTTP interface (port 0: any)")
    p.add_argument("--log-udp", help="HOST:PORT to send apis-main log lines to (e.g. 127.0.0.1:8888)")
    p.add_argument("--deal-log-dir", type=Path, help="directory for one JSON file per completed deal")
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


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, serve HTTP, run the loop; prints ``listening on http://HOST:PORT`` once ready."""
    args = parser().parse_args(argv)
    if args.units < 1 or args.speed <= 0 or args.loop_msec < 10:
        raise SystemExit("--units must be ≥ 1, --speed > 0 and --loop-msec ≥ 10")
    host, port = parse_address(args.bind) if not args.bind.endswith(":0") else (args.bind[:-2], 0)
    logger = logging.getLogger("jp.co.sony.csl.dcoes.apis")
    logger.setLevel(logging.INFO)
    if args.log_udp:
        logger.addHandler(UdpLogHandler(*parse_address(args.log_udp), program="apis-main"))
    cluster = Cluster(_config(args))
    server = make_server(cluster, host, port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"listening on http://{host}:{server.server_address[1]}", flush=True)
    try:
        run(cluster, stop)
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
        server.server_close()
