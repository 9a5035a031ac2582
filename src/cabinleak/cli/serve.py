"""``cabinleak serve``: the live console in a browser (see :mod:`cabinleak.serve`).

Binds 127.0.0.1 by default and prints the URL with a fresh access token. A non-loopback
``--host`` is refused unless ``--token`` is given: the console would otherwise be open to
anyone on the network who guesses nothing.
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
from pathlib import Path

from cabinleak.cli.common import UsageError, count, number

EXAMPLES = """\
examples:
  cabinleak serve --demo                      # a simulated leak; the alarm within a minute
  cabinleak serve --station iss --data ./cabinleak-data
  cabinleak serve --replay telemetry.csv --speed 60
  cabinleak serve --follow growing.csv
  curl -H "Authorization: Bearer TOKEN" -H "Content-Type: text/csv" \\
       --data-binary @rows.csv http://127.0.0.1:8750/api/samples
"""


def serve_parser(p: argparse.ArgumentParser) -> None:
    p.epilog = EXAMPLES
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.add_argument("--station", default="iss", help="bundled station or TOML file (iss)")
    p.add_argument("--data", default="cabinleak-data", metavar="DIR",
                   help="where the console keeps its database (./cabinleak-data)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (127.0.0.1; another needs --token)")
    p.add_argument("--port", type=port_number, default=8750, help="port (8750)")
    p.add_argument("--token", default=None,
                   help="the access token (default: a fresh random one, printed)")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--demo", action="store_true",
                     help="a simulated station whose leak opens 5 min into the record")
    src.add_argument("--replay", metavar="FILE", help="play a recorded table")
    src.add_argument("--follow", metavar="FILE", help="tail a CSV that another program appends to")
    p.add_argument("--speed", type=number(0, 1e6, low_open=True, what="the speed"),
                   default=None, help="replay speed, × real time (60; --demo: 180)")
    p.add_argument("--cadence", type=number(0.5, 3600, what="the cadence"), default=5.0,
                   help="seconds between full estimates (5)")
    p.add_argument("--window-rows", type=count(1000), default=200_000,
                   help="rows kept in memory for the live view (200000)")
    p.add_argument("--json", action="store_true",
                   help="print the start-up line (URL, token, data folder) as JSON")
    p.set_defaults(func=cmd_serve)


def port_number(text: str) -> int:
    """An argparse ``type`` for a TCP port, 0 (any free port) to 65535."""
    value = count(0)(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"must be a TCP port, 0 to 65535, got {value}")
    return value


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_port(host: str, port: int) -> None:
    """Refuse a port that is taken before anything is printed or simulated."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            raise UsageError(f"--host {host} --port {port}: cannot listen there "
                             f"({exc.strerror}); choose another --port") from None


def cmd_serve(args: argparse.Namespace) -> int:
    if not is_loopback(args.host) and not args.token:
        raise UsageError(f"--host {args.host} is not a loopback address: give --token too "
                         "(anyone who can reach the port would otherwise see the console)")
    if args.speed is not None and not (args.demo or args.replay):
        raise UsageError("--speed goes with --demo or --replay")
    import uvicorn

    from cabinleak.serve.app import create_app, make_console
    from cabinleak.serve.auth import new_token
    from cabinleak.serve.sources import DEMO_SPEED, Follower, Player, demo_telemetry
    from cabinleak.station import load_station
    from cabinleak.telemetry import read_telemetry

    _check_port(args.host, args.port)
    station = load_station(args.station)
    tel = None
    if args.replay:
        tel = read_telemetry(args.replay)  # a bad file ends here, before the server starts
    if args.follow and not Path(args.follow).is_file():
        raise UsageError(f"--follow {args.follow}: file not found")
    console = make_console(station, args.data, args.token or new_token(),
                           window_rows=args.window_rows, cadence_s=args.cadence)
    live = console.live
    assert console.worker is not None

    def warn(line: str) -> None:
        print(f"cabinleak serve: {line}", file=sys.stderr, flush=True)

    if args.demo:
        if not args.json:
            print("simulating the demo station...", flush=True)
        console.background.append(Player(live, demo_telemetry(), on_error=warn,
                                         speed=args.speed or DEMO_SPEED))
    elif tel is not None:
        console.background.append(Player(live, tel, speed=args.speed or 60.0, on_error=warn))
    elif args.follow:
        console.background.append(Follower(live, args.follow, on_error=warn))
    app = create_app(console)
    shown = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    url = f"http://{shown}:{args.port}/?token={console.token}"
    if args.json:
        import json

        print(json.dumps({"url": url, "token": console.token, "station": station.name,
                          "data": str(Path(args.data).resolve()),
                          "plots": console.uplot is not None}), flush=True)
    else:
        print(f"cabinleak console for {station.name}: {url}", flush=True)
    if console.uplot is None:
        warn("plots are off: uPlot is not installed (run npm ci in the cabinleak checkout)")
    # SciPy's linear algebra loaded here, before the threads: two threads loading it at
    # once while another computed crashed the process (free(): invalid pointer)
    import scipy.linalg
    import scipy.sparse.linalg  # noqa: F401

    console.worker.start()
    for source in console.background:
        source.start()
    try:
        server = uvicorn.Server(uvicorn.Config(app, host=args.host, port=args.port,
                                               log_level="warning"))
        console.stopping = lambda: bool(server.should_exit)  # event streams end with it
        server.run()
    finally:
        for source in console.background:
            source.stop()
        console.worker.stop()
        live.store.close()
    return 0
