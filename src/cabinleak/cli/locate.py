"""``cabinleak locate``: plan hatch-closure tests, read their results, find the leak.

Three ways to run it:

* interactive (a terminal): the posterior, the recommended test, then the readings
  typed in; repeated until one volume is likely enough. The session is saved after
  every step (``--session``, with its ``--rate``; a copy beside it as FILE.bak) and
  picked up again when the command is rerun;
* ``--results FILE``: the same from a file of tests already run (for scripts);
* ``--simulate-leak MODULE:RATE``: a whole campaign against a simulated leak, and
  ``--evaluate``: the planner against the baselines over many simulated leaks.

The sensing: by default the realistic world, gauges of the ISS feed's 0.101 mmHg step
and the drift of a closed volume's pressure measured on the ISS record
(:mod:`cabinleak.locate.sensing`); ``--gauge-resolution 1mmHg`` for dials read by hand,
``--drift`` or ``--drift-from FILE`` for another drift. The posterior and the planner's
holds use it, and simulated campaigns read their gauges through it in a cabin whose
temperature swings as on the station. ``--world ideal`` is the idealised Gaussian model.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cabinleak.cli.common import Progress, UsageError, count, echo_json, quantity, seed
from cabinleak.errors import CabinleakError
from cabinleak.locate.baselines import BinarySplit, ModuleByModule
from cabinleak.locate.campaign import evaluate, parse_leak_spec, run_campaign, search_context
from cabinleak.locate.model import (
    Posterior,
    Sensing,
    prior,
    realistic_sensing,
)
from cabinleak.locate.planner import InformationPlanner
from cabinleak.locate.policy import Policy, Recommendation, SearchContext, done, schedule
from cabinleak.locate.sensing import (
    CALIBRATED_DRIFT,
    FEED_STEP_PA,
    DriftModel,
    drift_from_record,
)
from cabinleak.locate.session import (
    DoneTest,
    Session,
    SessionError,
    build_posterior,
    load_results,
    load_session,
    parse_typed,
    save_session,
    test_from_telemetry,
)
from cabinleak.physics.units import DAY_S, HOUR_S
from cabinleak.simulate.realistic import CabinClimate
from cabinleak.station import Station, load_station

EXAMPLES = """\
examples:
  cabinleak locate --station iss --rate 0.7kg/day             # interactive, typed readings
  cabinleak locate --station iss --rate 20kg/day --results tests.toml --json
  cabinleak locate --station iss --simulate-leak soyuz-om:2mm --policy planner --json
  cabinleak locate --station iss --simulate-leak prk:0.7kg/day --policy module-by-module
  cabinleak locate --station iss --evaluate --sites 40
  cabinleak locate --simulate-leak prk:0.7kg/day --gauge-resolution 1mmHg   # hand-read dials
  cabinleak locate --rate 0.7kg/day --drift-from examples/real/astropi-2022-01-31.csv

A results file lists the tests run:
  [[test]]
  closed = ["zvezda-prk", "rassvet-soyuz-om"]
  hours = 2.0
  readings_mmHg = { 1 = [748.2, 748.0], 2 = [748.2, 745.1], 3 = [748.1, 748.1] }
(group numbers as the recommendation prints them; [start, end] or one change, e.g. -3.1)
"""

POLICIES: dict[str, Callable[[], Policy]] = {
    "planner": InformationPlanner,
    "module-by-module": ModuleByModule,
    "binary": BinarySplit,
}


def _hours_of_day(text: str, option: str) -> float:
    """'22', '22:30' or '6' → hours of the day."""
    hh, _, mm = text.strip().partition(":")
    try:
        h, m = int(hh), int(mm or 0)
    except ValueError:
        raise SessionError(f"{option} {text!r}: expected an hour such as 22 or 22:30") from None
    if not (0 <= h <= 24 and 0 <= m < 60):
        raise SessionError(f"{option} {text!r}: expected an hour of the day, 0-24")
    return h + m / 60.0


def _sensing(args: argparse.Namespace, ideal: Sensing) -> Sensing:
    """What the gauges and the drift are: the idealised model with ``--world ideal``, else
    the calibrated one with ``--gauge-resolution`` and ``--drift`` or ``--drift-from``."""
    given = [o for o, v in (("--gauge-resolution", args.gauge_resolution),
                            ("--drift", args.drift), ("--drift-from", args.drift_from)) if v]
    if args.world == "ideal":
        if given:
            raise UsageError(f"{given[0]} describes real gauges: it cannot be used with "
                             "--world ideal (the idealised Gaussian gauges)")
        return ideal
    if args.drift is not None and args.drift_from:
        raise UsageError("--drift and --drift-from both set the drift: give one")
    drift = CALIBRATED_DRIFT
    if args.drift is not None:
        drift = CALIBRATED_DRIFT.scaled_to(float(args.drift.si))
    elif args.drift_from:
        drift = _measured_drift(args.drift_from)
    step = FEED_STEP_PA if args.gauge_resolution is None else float(args.gauge_resolution.si)
    return realistic_sensing(step_Pa=step, drift=drift, pressure_Pa=ideal.pressure_Pa,
                             temperature_K=ideal.temperature_K)


def _measured_drift(path: str) -> DriftModel:
    """The drift measured on the pressure record in ``path`` (the first pressure column)."""
    from cabinleak.telemetry import read_auto

    tel = read_auto(path)
    pressures = tel.of("pressure")
    if not pressures:
        raise SessionError(f"--drift-from {path}: no pressure column to measure the drift on")
    return drift_from_record(tel.time_s, pressures[0].values, f"measured on {path}")


def _station_context(args: argparse.Namespace) -> tuple[Station, SearchContext]:
    """The station and its search context (its sensing, the allowed hours when asked)."""
    station = load_station(args.station)
    ctx = search_context(station)
    ctx = replace(ctx, sensing=_sensing(args, ctx.sensing))
    if args.window:
        start, sep, end = args.window.partition("-")
        if not sep:
            raise SessionError(f"--window {args.window!r}: expected START-END hours, e.g. "
                               "22-6 (crew sleep) or 0-24")
        clock = (_hours_of_day(args.clock, "--clock") if args.clock else
                 datetime.now(UTC).hour + datetime.now(UTC).minute / 60.0)
        ctx = replace(ctx, window_h=(_hours_of_day(start, "--window"),
                                     _hours_of_day(end, "--window")), start_clock_h=clock)
    return station, ctx


def _rate(args: argparse.Namespace) -> float | None:
    """``--rate`` in kg/day, or None."""
    if not args.rate:
        return None
    return float(args.rate.si) * DAY_S


def _session_rate(given: float | None, saved: Session, path: Path) -> float | None:
    """The rate to resume ``saved`` with: its own. Another ``--rate`` would silently
    change the recommendations, so it is refused; none given, the saved one is used and
    said so."""
    if not saved.rate_saved:  # a file from before the rate was kept
        return given
    was = "without --rate" if saved.rate_kg_per_day is None else \
        f"with --rate {saved.rate_kg_per_day:g} kg/day"
    if given is None:
        if saved.rate_kg_per_day is not None:
            print(f"cabinleak locate: resuming {path}, started {was}: using that rate",
                  file=sys.stderr)
        return saved.rate_kg_per_day
    if saved.rate_kg_per_day is None or not math.isclose(given, saved.rate_kg_per_day,
                                                          rel_tol=1e-9):
        raise SessionError(f"{path} was started {was}; resuming it with --rate {given:g} "
                           "kg/day would change the recommendations: leave out --rate to "
                           "keep the session's, or start a new session with another "
                           "--session")
    return saved.rate_kg_per_day


def _check_session_sensing(saved: Session, ctx: SearchContext, path: Path) -> None:
    """A session resumes with the sensing it was started with: other gauges or another
    drift would weigh the readings already taken differently, so it is refused."""
    now = ctx.sensing.describe()
    if saved.sensing is not None and saved.sensing != now:
        raise SessionError(f"{path} was started assuming {saved.sensing}; resuming it "
                           f"assuming {now} would reweigh its readings: give the same "
                           "--world, --gauge-resolution and --drift, or start a new session "
                           "with another --session")


def _prior(args: argparse.Namespace, ctx: SearchContext, rate_kg_per_day: float | None
           ) -> Posterior:
    """The prior: ``--prior`` weights, and the rate prior centred on ``rate_kg_per_day``."""
    weights = None
    if args.prior:
        try:
            data = tomllib.loads(Path(args.prior).read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise SessionError(f"{args.prior}: not valid TOML ({exc})") from None
        weights = {str(k): float(v) for k, v in data.get("weights", data).items()}
    rate = None if rate_kg_per_day is None else (rate_kg_per_day, 0.2)
    return prior(ctx.cells, weights=weights, station_rate_kg_per_day=rate)


def _recommend(planner: Policy, post: Posterior, ctx: SearchContext) -> Recommendation | None:
    """The planner's next test, fitted into the allowed hours (from now, or the next
    window's start)."""
    _, room = schedule(0.0, ctx)
    return planner.next_test(post, replace(ctx, hold_limit_s=max(room - ctx.setup_s, 0.0)))


def _show(post: Posterior, rec: Recommendation | None, ctx: SearchContext) -> str:
    lines = [str(post)]
    best, p = post.best()
    if done(post, ctx.target):
        lines.append(f"\nThe leak is in {best} ({p:.1%}).")
    elif rec is not None:
        wait, _ = schedule(0.0, ctx)
        when = "" if wait <= 0 else f" (tests are allowed from {ctx.window_h[0]:g} h on: " \
            f"start in {wait / HOUR_S:.1f} h)" if ctx.window_h else ""
        lines.append(f"\nNext test{when}: {rec.describe(ctx.cells)}")
        if rec.reason:
            lines.append(f"  ({rec.reason})")
        lines.append(f"  (assumed: {ctx.sensing.describe()})")
    return "\n".join(lines)


def _summary(post: Posterior, tests: Sequence[DoneTest], rec: Recommendation | None,
             ctx: SearchContext, rate_kg_per_day: float | None) -> dict[str, Any]:
    best, p = post.best()
    out: dict[str, Any] = {
        "found": best if done(post, ctx.target) else None, "best": best, "confidence": p,
        "rate_kg_per_day": rate_kg_per_day,
        "elapsed_h": sum(t.hours for t in tests) + len(tests) * ctx.setup_s / HOUR_S,
        "posterior": {c.id: float(q) for c, q in zip(ctx.cells, post.cell_probabilities,
                                                     strict=True)} | {"none": post.p_none},
        "tests": [t.to_dict() for t in tests], "sensing": ctx.sensing.describe()}
    if rec is not None and not done(post, ctx.target):
        out["next"] = {"close": sorted(rec.config.closed), "hours": rec.duration_s / HOUR_S,
                       "groups": [list(rec.config.modules(ctx.cells, g))
                                  for g in range(len(rec.config.groups))]}
    return out


def cmd_locate(args: argparse.Namespace) -> int:
    if args.evaluate:
        return _evaluate(args)
    if args.simulate_leak:
        return _simulated(args)
    planner = POLICIES[args.policy]()
    tests: list[DoneTest] = []
    session = Path(args.session) if args.session else None
    _, ctx = _station_context(args)
    rate = _rate(args)
    if args.results:
        tests = load_results(args.results, ctx)
    elif session is not None and session.exists():
        saved = load_session(session, ctx)
        rate = _session_rate(rate, saved, session)
        _check_session_sensing(saved, ctx, session)
        tests = list(saved.tests)
    base = _prior(args, ctx, rate)
    for path in args.telemetry:
        tests.append(test_from_telemetry(path, ctx))
        if session is not None and not args.results:
            save_session(session, ctx, tests, rate)
    post = build_posterior(ctx, base, tests)
    if args.results or args.json or not (sys.stdin.isatty() or args.interactive):
        rec = None if done(post, ctx.target) else _recommend(planner, post, ctx)
        if args.json:
            print(json.dumps(_summary(post, tests, rec, ctx, rate) | {"options": echo_json(args)},
                             indent=2))
        else:
            print(_show(post, rec, ctx))
        return 0
    return _interactive(ctx, post, base, tests, planner, session, rate_kg_per_day=rate)


def _ask(rec: Recommendation) -> str:
    return input("readings (GROUP: START END; ...) > ")


def _interactive(ctx: SearchContext, post: Posterior, base: Posterior, tests: list[DoneTest],
                 planner: Policy, session: Path | None,
                 ask: Callable[[Recommendation], str] = _ask,
                 rate_kg_per_day: float | None = None) -> int:
    """The session loop; ``ask`` returns what the crew types for a recommended test.
    A reading that cannot be used is refused in one line and asked for again; the
    session (with ``rate_kg_per_day``, the --rate it was started with) is saved after
    every test."""
    print(f"cabinleak locate: {ctx.station.name}, {len(ctx.cells)} volumes; "
          "type 'quit' to stop (the session is kept).")
    while True:
        rec = None if done(post, ctx.target) else _recommend(planner, post, ctx)
        print("\n" + _show(post, rec, ctx))
        if rec is None:
            return 0
        while True:
            try:
                line = ask(rec).strip()
            except EOFError:  # input ended: the session is saved, pick it up later
                return 0
            if line.lower() in ("quit", "q", "exit"):
                return 0
            try:
                test = parse_typed(line, ctx, rec)
            except CabinleakError as exc:
                print(f"  {exc}")
                continue
            break
        tests.append(test)
        post = build_posterior(ctx, base, tests)
        if session is not None:
            save_session(session, ctx, tests, rate_kg_per_day)


def _climate(args: argparse.Namespace) -> CabinClimate | None:
    """The simulated world's cabin climate: calibrated (realistic) or none (ideal)."""
    return CabinClimate() if args.world == "realistic" else None


def _world_line(args: argparse.Namespace, ctx: SearchContext) -> str:
    return f"world: {args.world}; {ctx.sensing.describe()}"


def _simulated(args: argparse.Namespace) -> int:
    station, ctx = _station_context(args)
    leak = parse_leak_spec(args.simulate_leak, station)
    camp = run_campaign(station, leak, POLICIES[args.policy](), ctx=ctx, rng=args.seed,
                        climate=_climate(args))
    if args.json:
        print(json.dumps(camp.to_dict() | {"world": args.world,
                                           "sensing": ctx.sensing.describe()}, indent=2))
    else:
        print(f"{_world_line(args, ctx)}\n{camp}")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    station, ctx = _station_context(args)
    progress = Progress(not args.json, f"{args.sites} simulated leaks x 3 policies")
    progress(0.0)
    ev = evaluate(station, [POLICIES[n]() for n in POLICIES], n_sites=args.sites,
                  seed=args.seed, ctx=ctx, climate=_climate(args))
    progress.done()
    if args.json:
        print(json.dumps(ev.to_dict() | {"world": args.world,
                                         "sensing": ctx.sensing.describe()}, indent=2))
    else:
        print(f"{_world_line(args, ctx)}\n{ev}")
    return 0


def locate_parser(p: argparse.ArgumentParser) -> None:
    """Fill the parser of ``cabinleak locate`` (its one-line help is in cabinleak.cli)."""
    p.epilog = EXAMPLES
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.add_argument("--station", default="iss", help="bundled station or TOML file (default iss)")
    p.add_argument("--rate", type=quantity("mass_rate", "0.7kg/day"),
                   help="whole-station leak rate measured first, e.g. 0.7kg/day "
                        "(cabinleak analyze); sets the rate prior")
    p.add_argument("--prior", metavar="FILE.toml",
                   help="prior weights by module or volume, e.g. [weights] soyuz-om = 3")
    p.add_argument("--results", metavar="FILE.toml", help="tests already run (non-interactive)")
    p.add_argument("--telemetry", action="append", default=[], metavar="FILE",
                   help="a test's telemetry table, with hatch columns (repeatable); each "
                        "group's change comes from the leak estimator")
    p.add_argument("--session", default="cabinleak-locate-session.json", metavar="FILE",
                   help="where an interactive session is kept and resumed from, with "
                        "its --rate (the last good copy is kept beside it as FILE.bak)")
    p.add_argument("--policy", choices=sorted(POLICIES), default="planner",
                   help="who chooses the tests (default planner)")
    p.add_argument("--simulate-leak", metavar="MODULE:RATE",
                   help="play a whole campaign against a simulated leak, e.g. prk:0.7kg/day "
                        "or soyuz-om:2mm")
    p.add_argument("--evaluate", action="store_true",
                   help="compare the planner and the baselines over many simulated leaks")
    p.add_argument("--sites", type=count(1), default=40, help="simulated leaks for --evaluate")
    p.add_argument("--seed", type=seed, default=0, help="seed of simulated errors (default 0)")
    p.add_argument("--window", metavar="START-END",
                   help="tests only in these hours of the day, e.g. 22-6 (crew sleep)")
    p.add_argument("--clock", metavar="HH:MM",
                   help="the station's time of day now (default: UTC now), with --window")
    p.add_argument("--world", choices=("realistic", "ideal"), default="realistic",
                   help="realistic (default): gauges that read in steps, and a cabin whose "
                        "pressure drifts with its temperature as on the ISS records, both "
                        "in the posterior and in --simulate-leak/--evaluate; ideal: the "
                        "idealised Gaussian gauges (0.05 mmHg, a 0.1 K temperature error)")
    p.add_argument("--gauge-resolution", type=quantity("pressure", "1mmHg", zero_ok=True),
                   help="the gauges' step, e.g. 1mmHg for a dial read by hand (default "
                        "0.101mmHg, the ISS telemetry feed; 0mmHg: unquantised)")
    p.add_argument("--drift", type=quantity("pressure_rate", "0.2mmHg/h", zero_ok=True),
                   help="1σ drift of a closed volume's pressure over a 1-hour hold, e.g. "
                        "0.2mmHg/h; other holds follow the shape measured on the ISS record "
                        "(default: that record, 0.195 mmHg/h)")
    p.add_argument("--drift-from", metavar="FILE",
                   help="measure the drift on a pressure record instead (its rate Allan "
                        "deviation; a steady leak in it does not count)")
    p.add_argument("--interactive", action="store_true",
                   help="ask for readings even when stdin is not a terminal (piped input)")
    p.add_argument("--json", action="store_true", help="machine-readable result on stdout")
    p.set_defaults(func=cmd_locate)


__all__ = ["cmd_locate", "locate_parser"]
