"""``cabinleak locate``: plan hatch-closure tests, read their results, find the leak.

Three ways to run it:

* interactive (a terminal): the posterior, the recommended test, then the readings
  typed in; repeated until one volume is likely enough. The session is saved after
  every step (``--session``) and picked up again when the command is rerun;
* ``--results FILE``: the same from a file of tests already run (for scripts);
* ``--simulate-leak MODULE:RATE``: a whole campaign against a simulated leak, and
  ``--evaluate``: the planner against the baselines over many simulated leaks.
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cabinleak.cli.common import Progress
from cabinleak.errors import CabinleakError
from cabinleak.locate.baselines import BinarySplit, ModuleByModule
from cabinleak.locate.campaign import evaluate, parse_leak_spec, run_campaign, search_context
from cabinleak.locate.model import (
    Posterior,
    Reading,
    TestResult,
    configure,
    prior,
)
from cabinleak.locate.planner import InformationPlanner
from cabinleak.locate.policy import Policy, Recommendation, SearchContext, done, schedule
from cabinleak.physics.units import DAY_S, HOUR_S, MMHG_PA, parse_quantity
from cabinleak.station import Station, load_station

EXAMPLES = """\
examples:
  cabinleak locate --station iss --rate 0.7kg/day             # interactive, typed readings
  cabinleak locate --station iss --rate 20kg/day --results tests.toml --json
  cabinleak locate --station iss --simulate-leak soyuz-om:2mm --policy planner --json
  cabinleak locate --station iss --simulate-leak prk:0.7kg/day --policy module-by-module
  cabinleak locate --station iss --evaluate --sites 40

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


class SessionError(CabinleakError):
    """A session or results file cannot be used."""


@dataclass(frozen=True)
class DoneTest:
    """A test as the crew ran it: hatches closed, hold, each group's pressure change."""

    closed: tuple[str, ...]
    hours: float
    dp_mmHg: tuple[float, ...]  # per group, in the configuration's group order

    def to_dict(self) -> dict[str, Any]:
        return {"closed": list(self.closed), "hours": self.hours,
                "dp_mmHg": list(self.dp_mmHg)}


def _build(ctx: SearchContext, base: Posterior, tests: Sequence[DoneTest]) -> Posterior:
    post = base
    for t in tests:
        cfg = configure(ctx.station, ctx.cells, t.closed)
        post = post.update(TestResult(cfg, t.hours * HOUR_S, tuple(
            Reading(g, dp * MMHG_PA) for g, dp in enumerate(t.dp_mmHg))), ctx.sensing)
    return post


def _check_test(ctx: SearchContext, closed: Sequence[str], hours: float,
                readings: dict[int, float], where: str) -> DoneTest:
    """A typed or filed test, checked: names, the crew rule, every group read once."""
    for h in closed:
        try:
            ctx.station.hatch(h)
        except CabinleakError as exc:
            raise SessionError(f"{where}: {exc}") from None
    if not hours > 0:
        raise SessionError(f"{where}: the hold must be > 0 h, got {hours:g}")
    cfg = configure(ctx.station, ctx.cells, closed)
    reason = ctx.constraints.allows(cfg, ctx.cells)
    if reason:
        raise SessionError(f"{where}: refused: {reason}")
    n = len(cfg.groups)
    extra = sorted(set(readings) - set(range(1, n + 1)))
    if extra:
        raise SessionError(f"{where}: closing {', '.join(closed) or 'nothing'} forms groups "
                           f"1-{n}, not {', '.join(map(str, extra))}")
    missing = [g for g in range(1, n + 1) if g not in readings]
    if missing:
        labels = "; ".join(f"{g}: {cfg.label(ctx.cells, g - 1)}" for g in missing)
        raise SessionError(f"{where}: no reading for group(s) {labels}")
    return DoneTest(tuple(sorted(closed)), hours, tuple(readings[g] for g in range(1, n + 1)))


def test_from_telemetry(path: str, ctx: SearchContext) -> DoneTest:
    """A test read from a telemetry table with the leak estimator of ``cabinleak analyze``.

    The table's hatch columns say which hatches were closed (the state at its end); each
    group's leak rate over the record since the last hatch change, from the flow-law fit,
    gives its pressure change over that span, Δp = −q·R·T·D/V.
    """
    from cabinleak.estimate.analysis import analyze
    from cabinleak.telemetry import read_auto

    tel = read_auto(path)
    hatches = tel.of("hatch")
    if not hatches:
        raise SessionError(f"{path}: no hatch columns (e.g. zvezda-prk_hatch, 1 open, 0 "
                           "closed): the test's configuration is not in the table")
    analysis = analyze(tel, station=ctx.station)
    closed = sorted({v for v in (_closed_hatch(c, ctx) for c in hatches) if v})
    cfg = configure(ctx.station, ctx.cells, closed)
    by_modules = {frozenset(v.series.modules): v for v in analysis.volumes}
    readings: dict[int, float] = {}
    hours = 0.0
    for g, members in enumerate(cfg.groups):
        mods = frozenset(m for c in members for m in ctx.cells[c].modules)
        vol = by_modules.get(mods)
        if vol is None:
            raise SessionError(f"{path}: group {g + 1} ({cfg.label(ctx.cells, g)}) has no "
                               "pressure column in the table")
        span = float(vol.series.time_s[-1] - vol.series.time_s[0])
        hours = max(hours, span / HOUR_S)
        readings[g + 1] = -vol.pressure_rate_Pa_per_s.value * span / MMHG_PA
    return _check_test(ctx, closed, hours, readings, path)


def _closed_hatch(c: Any, ctx: SearchContext) -> str | None:
    import numpy as np

    ok = np.isfinite(c.values)
    if not ok.any():
        return None
    for h in ctx.station.hatches:
        if h.id.lower() == c.source.strip().lower().replace("_", "-"):
            return h.id if c.values[ok][-1] < 0.5 else None
    raise SessionError(f"column {c.name!r}: {c.source!r} is not a hatch of station "
                       f"{ctx.station.name!r}")


def _reading(text: object, where: str) -> float:
    """A group's pressure change [mmHg] from [start, end] or from one number."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        return float(text)
    if (isinstance(text, list) and len(text) == 2
            and all(isinstance(x, int | float) for x in text)):
        return float(text[1]) - float(text[0])
    raise SessionError(f"{where}: expected [start, end] in mmHg or one change, got {text!r}")


def load_results(path: str, ctx: SearchContext) -> list[DoneTest]:
    """Tests from a TOML results file (see EXAMPLES)."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SessionError(f"{path}: not valid TOML ({exc})") from None
    tests = []
    for i, t in enumerate(data.get("test", []), 1):
        where = f"{path}: test {i}"
        unknown = set(t) - {"closed", "hours", "readings_mmHg"}
        if unknown:
            raise SessionError(f"{where}: unknown key(s) {', '.join(sorted(unknown))} "
                               "(expected closed, hours, readings_mmHg)")
        try:
            readings = {int(k): _reading(v, f"{where}, group {k}")
                        for k, v in dict(t["readings_mmHg"]).items()}
            tests.append(_check_test(ctx, list(t["closed"]), float(t["hours"]), readings,
                                     where))
        except KeyError as exc:
            raise SessionError(f"{where}: missing {exc.args[0]!r}") from None
        except ValueError as exc:
            if isinstance(exc, CabinleakError):
                raise
            raise SessionError(f"{where}: {exc}") from None
    if not data.get("test"):
        raise SessionError(f"{path}: no [[test]] tables")
    return tests


def parse_typed(line: str, ctx: SearchContext, rec: Recommendation) -> DoneTest:
    """Readings typed as '1: 748.2 748.0; 2: 748.2 745.1' (start end per group, mmHg)."""
    readings: dict[int, float] = {}
    for part in filter(None, (p.strip() for p in line.split(";"))):
        label, sep, values = part.partition(":")
        try:
            group = int(label)
            nums = [float(x) for x in values.split()]
        except ValueError:
            raise SessionError(f"cannot read {part!r}: expected GROUP: START END in mmHg, "
                               "e.g. 2: 748.2 745.1") from None
        if not sep or len(nums) not in (1, 2):
            raise SessionError(f"cannot read {part!r}: expected GROUP: START END in mmHg")
        readings[group] = nums[0] if len(nums) == 1 else nums[1] - nums[0]
    return _check_test(ctx, sorted(rec.config.closed), rec.duration_s / HOUR_S, readings,
                       "readings")


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


def _station_context(args: argparse.Namespace) -> tuple[Station, SearchContext]:
    """The station and its search context, with the allowed hours when asked."""
    station = load_station(args.station)
    ctx = search_context(station)
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


def _context(args: argparse.Namespace) -> tuple[Station, SearchContext, Posterior]:
    station, ctx = _station_context(args)
    weights = None
    if args.prior:
        try:
            data = tomllib.loads(Path(args.prior).read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise SessionError(f"{args.prior}: not valid TOML ({exc})") from None
        weights = {str(k): float(v) for k, v in data.get("weights", data).items()}
    rate = None
    if args.rate:
        rate = (parse_quantity(args.rate, "mass_rate", default_unit="kg/day") * DAY_S, 0.2)
    return station, ctx, prior(ctx.cells, weights=weights, station_rate_kg_per_day=rate)


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
    return "\n".join(lines)


def _summary(post: Posterior, tests: Sequence[DoneTest], rec: Recommendation | None,
             ctx: SearchContext) -> dict[str, Any]:
    best, p = post.best()
    out: dict[str, Any] = {
        "found": best if done(post, ctx.target) else None, "best": best, "confidence": p,
        "elapsed_h": sum(t.hours for t in tests) + len(tests) * ctx.setup_s / HOUR_S,
        "posterior": {c.id: float(q) for c, q in zip(ctx.cells, post.cell_probabilities,
                                                     strict=True)} | {"none": post.p_none},
        "tests": [t.to_dict() for t in tests]}
    if rec is not None and not done(post, ctx.target):
        out["next"] = {"close": sorted(rec.config.closed), "hours": rec.duration_s / HOUR_S,
                       "groups": [rec.config.label(ctx.cells, g)
                                  for g in range(len(rec.config.groups))]}
    return out


def cmd_locate(args: argparse.Namespace) -> int:
    if args.evaluate:
        return _evaluate(args)
    if args.simulate_leak:
        return _simulated(args)
    _, ctx, base = _context(args)
    planner = POLICIES[args.policy]()
    tests: list[DoneTest] = []
    session = Path(args.session) if args.session else None
    if args.results:
        tests = load_results(args.results, ctx)
    elif session is not None and session.exists():
        tests = _load_session(session, ctx)
    for path in args.telemetry:
        tests.append(test_from_telemetry(path, ctx))
        if session is not None and not args.results:
            _save_session(session, ctx, tests)
    post = _build(ctx, base, tests)
    if args.results or args.json or not (sys.stdin.isatty() or args.interactive):
        rec = None if done(post, ctx.target) else _recommend(planner, post, ctx)
        if args.json:
            print(json.dumps(_summary(post, tests, rec, ctx), indent=2))
        else:
            print(_show(post, rec, ctx))
        return 0
    return _interactive(ctx, post, base, tests, planner, session)


def _ask(rec: Recommendation) -> str:
    return input("readings (GROUP: START END; ...) > ")


def _interactive(ctx: SearchContext, post: Posterior, base: Posterior, tests: list[DoneTest],
                 planner: Policy, session: Path | None,
                 ask: Callable[[Recommendation], str] = _ask) -> int:
    """The session loop; ``ask`` returns what the crew types for a recommended test."""
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
        post = _build(ctx, base, tests)
        if session is not None:
            _save_session(session, ctx, tests)


def _save_session(path: Path, ctx: SearchContext, tests: Sequence[DoneTest]) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps({"station": ctx.station.name,
                               "tests": [t.to_dict() for t in tests]}, indent=2))
    tmp.replace(path)  # never a half-written session


def _load_session(path: Path, ctx: SearchContext) -> list[DoneTest]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("station") != ctx.station.name:
            raise SessionError(f"{path}: a session of station {data.get('station')!r}, not "
                               f"{ctx.station.name!r} (use another --session)")
        return [_check_test(ctx, t["closed"], float(t["hours"]),
                            {g + 1: float(v) for g, v in enumerate(t["dp_mmHg"])},
                            f"{path}: test {i}") for i, t in enumerate(data["tests"], 1)]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise SessionError(f"{path}: not a cabinleak locate session ({exc})") from None


def _simulated(args: argparse.Namespace) -> int:
    station, ctx = _station_context(args)
    leak = parse_leak_spec(args.simulate_leak, station)
    camp = run_campaign(station, leak, POLICIES[args.policy](), ctx=ctx, rng=args.seed)
    print(json.dumps(camp.to_dict(), indent=2) if args.json else camp)
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    station, ctx = _station_context(args)
    progress = Progress(not args.json, f"{args.sites} simulated leaks x 3 policies")
    progress(0.0)
    ev = evaluate(station, [POLICIES[n]() for n in POLICIES], n_sites=args.sites,
                  seed=args.seed, ctx=ctx)
    progress.done()
    print(json.dumps(ev.to_dict(), indent=2) if args.json else ev)
    return 0


def add_parser(sub: Any) -> None:
    p = sub.add_parser("locate", help="plan hatch-closure tests and find where the leak is",
                       epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--station", default="iss", help="bundled station or TOML file (default iss)")
    p.add_argument("--rate", help="whole-station leak rate measured first, e.g. 0.7kg/day "
                                  "(cabinleak analyze); sets the rate prior")
    p.add_argument("--prior", metavar="FILE.toml",
                   help="prior weights by module or volume, e.g. [weights] soyuz-om = 3")
    p.add_argument("--results", metavar="FILE.toml", help="tests already run (non-interactive)")
    p.add_argument("--telemetry", action="append", default=[], metavar="FILE",
                   help="a test's telemetry table, with hatch columns (repeatable); each "
                        "group's change comes from the leak estimator")
    p.add_argument("--session", default="cabinleak-locate-session.json", metavar="FILE",
                   help="where an interactive session is kept and resumed from")
    p.add_argument("--policy", choices=sorted(POLICIES), default="planner",
                   help="who chooses the tests (default planner)")
    p.add_argument("--simulate-leak", metavar="MODULE:RATE",
                   help="play a whole campaign against a simulated leak, e.g. prk:0.7kg/day "
                        "or soyuz-om:2mm")
    p.add_argument("--evaluate", action="store_true",
                   help="compare the planner and the baselines over many simulated leaks")
    p.add_argument("--sites", type=int, default=40, help="simulated leaks for --evaluate")
    p.add_argument("--seed", type=int, default=0, help="seed of simulated errors (default 0)")
    p.add_argument("--window", metavar="START-END",
                   help="tests only in these hours of the day, e.g. 22-6 (crew sleep)")
    p.add_argument("--clock", metavar="HH:MM",
                   help="the station's time of day now (default: UTC now), with --window")
    p.add_argument("--interactive", action="store_true",
                   help="ask for readings even when stdin is not a terminal (piped input)")
    p.add_argument("--json", action="store_true", help="machine-readable result on stdout")
    p.set_defaults(func=cmd_locate)


__all__ = ["add_parser", "cmd_locate"]
