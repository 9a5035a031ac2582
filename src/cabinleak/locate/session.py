"""A localization session: the tests the crew ran, read from typed readings, a results
file or telemetry, checked against the station and the crew rules, and kept on disk.

The posterior is never stored: it is rebuilt from the prior and the tests, so a session
file is small, readable and can be resumed with another planner. The ``--rate`` it was
started with is stored, since it sets the prior, and so is the sensing it assumed (the
gauges and the drift weigh every reading). A session is written atomically, then
copied to FILE.bak; a damaged session file is refused in one line that names the copy.
"""

from __future__ import annotations

import json
import math
import os
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cabinleak.errors import CabinleakError
from cabinleak.locate.model import Posterior, Reading, TestResult, configure
from cabinleak.locate.policy import Recommendation, SearchContext
from cabinleak.physics.units import HOUR_S, MMHG_PA


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


def build_posterior(ctx: SearchContext, base: Posterior, tests: Sequence[DoneTest]) -> Posterior:
    post = base
    for t in tests:
        cfg = configure(ctx.station, ctx.cells, t.closed)
        post = post.update(TestResult(cfg, t.hours * HOUR_S, tuple(
            Reading(g, dp * MMHG_PA) for g, dp in enumerate(t.dp_mmHg))), ctx.sensing)
    return post


#: What a reading is, said in every message about a bad one.
EXPECTED = "START END gauge readings in mmHg, e.g. 748.2 745.1, or one change, e.g. -3.1"
#: The highest gauge reading taken as a cabin pressure, in units of the station's own.
MAX_GAUGE = 2.0


def cabin_mmHg(ctx: SearchContext) -> float:
    """The station's cabin pressure [mmHg]: no test can change it by more."""
    return ctx.sensing.pressure_Pa / MMHG_PA


def _number(x: float, what: str, where: str) -> float:
    if math.isnan(x):
        raise SessionError(f"{where}: {what} nan is not a number (expected {EXPECTED})")
    if not math.isfinite(x):
        raise SessionError(f"{where}: {what} {x:g} is not a finite number "
                           f"(expected {EXPECTED})")
    return x


def reading_mmHg(values: Sequence[float], ctx: SearchContext, where: str) -> float:
    """A group's pressure change [mmHg] from [start, end] gauge readings or one change.

    Readings must be cabin pressures, 0 < p <= 2 × the station's pressure; the change is
    checked by :func:`check_test`.
    """
    if len(values) == 1:
        return _number(float(values[0]), "the change", where)
    top = MAX_GAUGE * cabin_mmHg(ctx)
    for x in values:
        _number(float(x), "a gauge reading", where)
        if not 0.0 < x <= top:
            raise SessionError(f"{where}: a gauge reading of {x:g} mmHg is not a cabin "
                               f"pressure (expected readings between 0 and {top:.0f} mmHg, "
                               "e.g. 748.2 745.1)")
    return float(values[1]) - float(values[0])


def check_test(ctx: SearchContext, closed: Sequence[str], hours: float,
                readings: dict[int, float], where: str) -> DoneTest:
    """A typed or filed test, checked: names, the crew rule, every group read once, each
    change a finite number smaller than the whole cabin pressure."""
    for h in closed:
        try:
            ctx.station.hatch(h)
        except CabinleakError as exc:
            raise SessionError(f"{where}: {exc}") from None
    if not (math.isfinite(hours) and hours > 0):
        raise SessionError(f"{where}: the hold must be > 0 h and finite, got {hours:g}")
    cfg = configure(ctx.station, ctx.cells, closed)
    reason = ctx.constraints.allows(cfg, ctx.cells)
    if reason:
        raise SessionError(f"{where}: refused: {reason}")
    n = len(cfg.groups)
    extra = sorted(set(readings) - set(range(1, n + 1)))
    if extra:
        raise SessionError(f"{where}: closing {', '.join(closed) or 'nothing'} forms groups "
                           f"1-{n}, not {', '.join(map(str, extra))}")
    cabin = cabin_mmHg(ctx)
    for g, dp in sorted(readings.items()):
        _number(dp, "the change", f"{where}, group {g}")
        if abs(dp) >= cabin:
            raise SessionError(f"{where}, group {g}: a change of {dp:+g} mmHg is larger than "
                               f"the whole cabin pressure ({cabin:.0f} mmHg) (expected "
                               f"{EXPECTED})")
    missing = [g for g in range(1, n + 1) if g not in readings]
    if missing:
        labels = "; ".join(f"{g}: {cfg.label(ctx.cells, g - 1)}" for g in missing)
        raise SessionError(f"{where}: no reading for group(s) {labels}")
    return DoneTest(tuple(sorted(closed)), hours,
                    tuple(float(readings[g]) for g in range(1, n + 1)))


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
    return check_test(ctx, closed, hours, readings, path)


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


def _reading(text: object, ctx: SearchContext, where: str) -> float:
    """A group's pressure change [mmHg] from [start, end] or from one number."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        return reading_mmHg([float(text)], ctx, where)
    if (isinstance(text, list) and len(text) == 2
            and all(isinstance(x, int | float) and not isinstance(x, bool) for x in text)):
        return reading_mmHg([float(x) for x in text], ctx, where)
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
            readings = {int(k): _reading(v, ctx, f"{where}, group {k}")
                        for k, v in dict(t["readings_mmHg"]).items()}
            tests.append(check_test(ctx, list(t["closed"]), float(t["hours"]), readings,
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
        readings[group] = reading_mmHg(nums, ctx, f"readings, group {group}")
    return check_test(ctx, sorted(rec.config.closed), rec.duration_s / HOUR_S, readings,
                       "readings")


# ---------------------------------------------------------------- the session file


@dataclass(frozen=True)
class Session:
    """A session as kept on disk: the station, the ``--rate`` it was started with, the
    sensing it assumed (gauges and drift, which weigh every reading), and the tests run
    so far."""

    station: str
    tests: tuple[DoneTest, ...]
    rate_kg_per_day: float | None  # the --rate the session was started with, None: none
    rate_saved: bool = True  # False for a file written before the rate was kept
    sensing: str | None = None  # the sensing it assumed (Sensing.describe); None: not kept


def backup_path(path: Path) -> Path:
    """Where the last good copy of a session is kept: FILE.bak beside it."""
    return path.with_name(path.name + ".bak")


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path)  # never a half-written file


def save_session(path: Path, ctx: SearchContext, tests: Sequence[DoneTest],
                 rate_kg_per_day: float | None = None) -> None:
    """Write the session atomically, then the same to FILE.bak: if FILE is damaged
    later (a hand edit, a bad disk), the last good session is beside it."""
    text = json.dumps({"station": ctx.station.name, "rate_kg_per_day": rate_kg_per_day,
                       "sensing": ctx.sensing.describe(),
                       "tests": [t.to_dict() for t in tests]}, indent=2, allow_nan=False)
    _write_atomic(path, text)
    _write_atomic(backup_path(path), text)


def _no_constant(name: str) -> float:
    raise SessionError(f"it holds {name}, which is not a number")


def _session_json(path: Path) -> dict[str, Any]:
    """The session file as a JSON object naming a station; SessionError if it is not one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"), parse_constant=_no_constant)
    except UnicodeDecodeError:
        raise SessionError("it is not text") from None
    except json.JSONDecodeError as exc:
        raise SessionError(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise SessionError(f"a JSON {type(data).__name__}, not an object with station and "
                           "tests")
    if not isinstance(data.get("station"), str):
        raise SessionError("no station name")
    return data


def _session_of(data: dict[str, Any], ctx: SearchContext) -> Session:
    """The session in a JSON object of this station, every test checked."""
    unknown = set(data) - {"station", "rate_kg_per_day", "sensing", "tests"}
    if unknown:
        raise SessionError(f"unknown key(s) {', '.join(sorted(unknown))}")
    rate = data.get("rate_kg_per_day")
    if rate is not None and not (isinstance(rate, int | float) and not isinstance(rate, bool)
                                 and math.isfinite(rate) and rate > 0):
        raise SessionError(f"rate_kg_per_day must be a number > 0 or null, got {rate!r}")
    sensing = data.get("sensing")
    if sensing is not None and not isinstance(sensing, str):
        raise SessionError(f"sensing must be text, got {sensing!r}")
    raw = data.get("tests")
    if not isinstance(raw, list):
        raise SessionError("tests is not a list")
    tests = []
    for i, t in enumerate(raw, 1):
        where = f"test {i}"
        if not isinstance(t, dict) or set(t) != {"closed", "hours", "dp_mmHg"}:
            raise SessionError(f"{where}: expected closed, hours and dp_mmHg")
        closed, hours, dp = t["closed"], t["hours"], t["dp_mmHg"]
        if not (isinstance(closed, list) and all(isinstance(h, str) for h in closed)):
            raise SessionError(f"{where}: closed is not a list of hatch names")
        if not (isinstance(hours, int | float) and not isinstance(hours, bool)):
            raise SessionError(f"{where}: hours is not a number")
        if not (isinstance(dp, list) and all(isinstance(x, int | float)
                                             and not isinstance(x, bool) for x in dp)):
            raise SessionError(f"{where}: dp_mmHg is not a list of numbers")
        tests.append(check_test(ctx, closed, float(hours),
                                {g + 1: float(v) for g, v in enumerate(dp)}, where))
    return Session(data["station"], tuple(tests),
                   None if rate is None else float(rate), "rate_kg_per_day" in data, sensing)


def _damaged(path: Path, reason: str, ctx: SearchContext) -> SessionError:
    """The one line for a damaged session: what is wrong, and where the good copy is."""
    bak = backup_path(path)
    msg = f"{path}: damaged session ({reason}); "
    if not bak.exists():
        return SessionError(msg + f"no earlier good copy ({bak} does not exist): start a new "
                            "session with another --session")
    try:
        data = _session_json(bak)
        if data["station"] != ctx.station.name:
            raise SessionError("another station")
        good = _session_of(data, ctx)
    except (SessionError, OSError):
        return SessionError(msg + f"no earlier good copy ({bak} is damaged too): start a new "
                            "session with another --session")
    return SessionError(msg + f"the last good copy is {bak} ({len(good.tests)} test(s)): "
                        f"rename it to {path} to resume from it")


def load_session(path: Path, ctx: SearchContext) -> Session:
    """A session saved by :func:`save_session`, every test checked again.

    Raises
    ------
    SessionError
        The file is of another station, or damaged: then the message says where the
        last good copy is (FILE.bak), or that there is none.
    """
    try:
        data = _session_json(path)
    except SessionError as exc:
        raise _damaged(path, str(exc), ctx) from None
    if data["station"] != ctx.station.name:
        raise SessionError(f"{path}: a session of station {data['station']!r}, not "
                           f"{ctx.station.name!r} (use another --session)")
    try:
        return _session_of(data, ctx)
    except SessionError as exc:
        raise _damaged(path, str(exc), ctx) from None
