"""A campaign description (TOML): what varies, how, which response model, how many scenarios.

The file has one table per topic; every key is checked, and a wrong one ends the run
with one line naming the file, the table and the key (:class:`CampaignSpecError`, which
the CLI prints with exit code 2). Quantities carry their unit (``"2 mm"``, ``"490 mmHg"``,
``"15 min"``), read by :func:`cabinleak.physics.units.parse_quantity`. The bundled
``iss-example.toml`` (``cabinleak campaign --example iss``) documents every key.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from cabinleak.errors import CabinleakError, UnitError
from cabinleak.physics.units import parse_quantity
from cabinleak.station import Station, load_station

SITE_MODES = ("mmod", "uniform", "listed")
HOLE_DISTRIBUTIONS = ("mmod", "lognormal", "uniform", "listed")
POLICIES = ("planner", "module-by-module")
EXAMPLES = {"iss": "iss-example.toml"}


class CampaignSpecError(CabinleakError):
    """A campaign description is invalid; names the file, the table and the key."""

    def __init__(self, source: str, key: str, problem: str) -> None:
        self.source, self.key, self.problem = source, key, problem
        super().__init__(f"{source}: {key}: {problem}")


@dataclass(frozen=True)
class LeakSite:
    """Where the hole is: ``mmod`` (per-module penetration risk), ``uniform``, ``listed``."""

    mode: str
    wall: str = "whipple:0.13cm:0.48cm:11.4cm"
    weights: tuple[tuple[str, float], ...] = ()  # listed: (module, weight)


@dataclass(frozen=True)
class HoleSize:
    """The hole diameter's distribution [m] and its discharge coefficient [-]."""

    distribution: str
    min_m: float = 0.5e-3
    max_m: float = 20e-3
    median_m: float = 2e-3
    sigma: float = 0.8  # lognormal: σ of ln(d)
    sizes_m: tuple[float, ...] = ()
    weights: tuple[float, ...] = ()
    discharge_coefficient: float = 0.6


@dataclass(frozen=True)
class Orbit:
    """Where the station flies, for the MMOD fluxes (:class:`attribute.risk.Environment`)."""

    altitude_m: float = 400e3
    inclination_deg: float = 51.6
    year: float = 2018.0


@dataclass(frozen=True)
class CrewSpec:
    """Crew size, where they are, and their sleep window on the station clock [h]."""

    size: int = 7
    location: str = "station"  # "station": as the station's crew table; or one module
    sleep_start_h: float = 21.5
    sleep_end_h: float = 6.0


@dataclass(frozen=True)
class EscapeVehicle:
    """A vehicle the crew can leave in: its modules on the station (may be none) and seats."""

    id: str
    modules: tuple[str, ...]
    seats: int


@dataclass(frozen=True)
class ResponseParams:
    """The crew-response model's parameters (:mod:`.response` cites each default)."""

    floor_Pa: float = 490.0 * 133.322387415
    evacuate_below_reserve_s: float = 3600.0
    low_pressure_alarm_Pa: float = 959e2
    dpdt_alarm_Pa_per_s: float = 0.5 * 133.322387415 / 60.0
    dpdt_alarm_delay_s: float = 60.0
    false_alarms_per_year: float = 1.0
    pressure_sd_Pa: float | None = None  # None: from the station's pressure sensors
    action_delay_awake_s: float = 300.0
    action_delay_asleep_s: float = 900.0
    hatch_close_s: float = 120.0
    to_vehicle_s: float = 600.0
    patch_s: float = 3600.0
    horizon_s: float = 30 * 86400.0
    locate_replicates: int = 3


@dataclass(frozen=True)
class CampaignSpec:
    """A whole campaign description."""

    source: str
    station: str
    scenarios: int
    seed: int
    chunk_size: int
    policy: str
    compare: bool
    site: LeakSite
    hole: HoleSize
    orbit: Orbit
    crew: CrewSpec
    vehicles: tuple[EscapeVehicle, ...]
    response: ResponseParams
    penetrations_per_year: float | str | None = None  # a rate [1/yr], "mmod", or none
    record: tuple[str, ...] = ()  # columns to keep; () = all
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def with_scenarios(self, n: int) -> CampaignSpec:
        from dataclasses import replace

        return replace(self, scenarios=n)

    def load_station(self) -> Station:
        return load_station(self.station)


class _Table:
    """One table of the file, for reading keys with error messages that name them."""

    def __init__(self, data: Any, src: str, name: str) -> None:
        if not isinstance(data, dict):
            raise CampaignSpecError(src, f"[{name}]", "must be a table")
        self.data, self.src, self.name, self.used = data, src, name, set[str]()

    def err(self, key: str, problem: str) -> CampaignSpecError:
        return CampaignSpecError(self.src, f"[{self.name}] {key}", problem)

    def get(self, key: str, default: Any = None) -> Any:
        self.used.add(key)
        return self.data.get(key, default)

    def text(self, key: str, default: str, choices: tuple[str, ...] = ()) -> str:
        value = self.get(key, default)
        if not isinstance(value, str) or not value:
            raise self.err(key, f"must be a non-empty string, got {value!r}")
        if choices and value not in choices:
            raise self.err(key, f"must be one of {', '.join(choices)}, got {value!r}")
        return value

    def number(self, key: str, default: float, *, lo: float = -math.inf,
               lo_open: bool = False, hi: float = math.inf) -> float:
        value = self.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.err(key, f"must be a number, got {value!r}")
        v = float(value)
        if not math.isfinite(v) or v < lo or (lo_open and v <= lo) or v > hi:
            bound = f"> {lo:g}" if lo_open else f">= {lo:g}"
            if hi < math.inf:
                bound += f" and <= {hi:g}"
            raise self.err(key, f"must be {bound}, got {value!r}")
        return v

    def integer(self, key: str, default: int, lo: int = 0) -> int:
        value = self.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < lo:
            raise self.err(key, f"must be a whole number >= {lo}, got {value!r}")
        return int(value)

    def boolean(self, key: str, default: bool) -> bool:
        value = self.get(key, default)
        if not isinstance(value, bool):
            raise self.err(key, f"must be true or false, got {value!r}")
        return value

    def quantity(self, key: str, dimension: str, default: float, *, zero_ok: bool = False
                 ) -> float:
        value = self.get(key)
        if value is None:
            return default
        return self.parse(key, value, dimension, zero_ok=zero_ok)

    def parse(self, key: str, value: Any, dimension: str, *, zero_ok: bool = False) -> float:
        if not isinstance(value, str):
            raise self.err(key, f"must be a string with a unit, got {value!r}")
        try:
            si = parse_quantity(value, dimension)
        except UnitError as exc:
            raise self.err(key, str(exc)) from None
        if not math.isfinite(si) or si < 0 or (si == 0 and not zero_ok):
            raise self.err(key, f"must be {'>=' if zero_ok else '>'} 0, got {value!r}")
        return si

    def done(self) -> None:
        extra = sorted(set(self.data) - self.used)
        if extra:
            raise self.err(extra[0], "unknown key (a typo?)")


def example_text(name: str) -> str:
    """The bundled example spec ``name`` (``iss``) as text."""
    if name not in EXAMPLES:
        raise CampaignSpecError("--example", name, f"no such example (examples: "
                                f"{', '.join(EXAMPLES)})")
    return resources.files("cabinleak.campaign").joinpath(EXAMPLES[name]).read_text("utf-8")


def load_spec(path: str | Path) -> CampaignSpec:
    """Read and check a campaign description file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CampaignSpecError(str(p), "file", "not found") from None
    except UnicodeDecodeError as exc:
        raise CampaignSpecError(str(p), "file", f"not UTF-8 text (byte {exc.start}); "
                                "expected a TOML campaign description") from None
    return parse_spec(text, str(p))


def parse_spec(text: str, source: str = "<spec>") -> CampaignSpec:
    """Read and check a campaign description from TOML text."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CampaignSpecError(source, "TOML", str(exc)) from None
    top = _Table(data, source, "top level")
    for key in data:
        if key not in ("campaign", "leak_site", "hole", "orbit", "crew", "escape_vehicle",
                       "response", "exposure", "record"):
            raise top.err(key, "unknown table (expected campaign, leak_site, hole, orbit, "
                          "crew, escape_vehicle, response, exposure, record)")
    c = _Table(data.get("campaign", {}), source, "campaign")
    station_name = c.text("station", "iss")
    # a station file named relative to the spec is looked for beside the spec
    beside = Path(source).parent / station_name
    if station_name.endswith(".toml") and not Path(station_name).is_absolute() \
            and beside.is_file():
        station_name = str(beside)
    try:
        station = load_station(station_name)
    except CabinleakError as exc:
        raise c.err("station", str(exc)) from None
    ids = set(station.module_ids)

    def module(t: _Table, key: str, name: Any) -> str:
        if not isinstance(name, str) or name not in ids:
            raise t.err(key, f"module {name!r} is not in station {station.name!r} (modules: "
                        f"{', '.join(station.module_ids)})")
        return name

    scenarios = c.integer("scenarios", 10000, lo=1)
    seed = c.integer("seed", 0)
    chunk = c.integer("chunk_size", 5000, lo=1)
    policy = c.text("policy", "planner", POLICIES)
    compare = c.boolean("compare", True)
    c.done()

    s = _Table(data.get("leak_site", {}), source, "leak_site")
    mode = s.text("mode", "mmod", SITE_MODES)
    wall = s.text("wall", LeakSite.wall)
    weights: list[tuple[str, float]] = []
    if mode == "listed":
        listed = s.get("modules")
        if not isinstance(listed, dict) or not listed:
            raise s.err("modules", "listed sites need a table of module = weight, e.g. "
                        "{ zvezda = 2, prk = 1 }")
        for name, w in listed.items():
            module(s, "modules", name)
            if isinstance(w, bool) or not isinstance(w, int | float) or not (w >= 0
                                                                             and math.isfinite(w)):
                raise s.err(f"modules.{name}", f"weight must be a number >= 0, got {w!r}")
            weights.append((name, float(w)))
        if sum(w for _, w in weights) <= 0:
            raise s.err("modules", "the weights sum to 0")
    else:
        s.get("modules")
        if "modules" in s.data:
            raise s.err("modules", f"only with mode = \"listed\" (mode is {mode!r})")
    s.done()
    try:
        from cabinleak.attribute.risk import parse_wall

        parse_wall(wall)
    except CabinleakError as exc:
        raise s.err("wall", str(exc)) from None

    hole = _hole(_Table(data.get("hole", {}), source, "hole"))
    o = _Table(data.get("orbit", {}), source, "orbit")
    orbit = Orbit(altitude_m=o.quantity("altitude", "length", 400e3),
                  inclination_deg=o.number("inclination_deg", 51.6, lo=0.0, hi=180.0),
                  year=o.number("year", 2018.0, lo=1988.0, hi=2030.0))
    o.done()

    cr = _Table(data.get("crew", {}), source, "crew")
    location = cr.text("location", "station")
    if location != "station":
        module(cr, "location", location)
    crew = CrewSpec(size=cr.integer("size", 7, lo=1), location=location,
                    sleep_start_h=cr.number("sleep_start_h", 21.5, lo=0.0, hi=24.0),
                    sleep_end_h=cr.number("sleep_end_h", 6.0, lo=0.0, hi=24.0))
    cr.done()
    if location == "station" and not any(m.count > 0 for m in station.crew):
        raise cr.err("location", f"station {station.name!r} has no crew table; name a module")

    vehicles = []
    raw_vehicles = data.get("escape_vehicle", [])
    if not isinstance(raw_vehicles, list):
        raise top.err("escape_vehicle", "must be an array of tables ([[escape_vehicle]])")
    for i, item in enumerate(raw_vehicles):
        v = _Table(item, source, f"escape_vehicle {i + 1}")
        mods = v.get("modules", [])
        if not isinstance(mods, list):
            raise v.err("modules", f"must be a list of module ids, got {mods!r}")
        vehicles.append(EscapeVehicle(id=v.text("id", f"vehicle-{i + 1}"),
                                      modules=tuple(module(v, "modules", m) for m in mods),
                                      seats=v.integer("seats", 3, lo=1)))
        v.done()
    if not vehicles:
        raise top.err("escape_vehicle", "give at least one [[escape_vehicle]] (the crew's "
                      "way home)")
    if sum(v.seats for v in vehicles) < crew.size:
        raise cr.err("size", f"{crew.size} crew but the escape vehicles have "
                     f"{sum(v.seats for v in vehicles)} seats")

    response = _response(_Table(data.get("response", {}), source, "response"))
    e = _Table(data.get("exposure", {}), source, "exposure")
    rate = e.get("penetrations_per_year")
    if rate is not None and rate != "mmod":
        rate = e.number("penetrations_per_year", 0.0, lo=0.0, lo_open=True)
    e.done()
    r = _Table(data.get("record", {}), source, "record")
    columns = r.get("columns", [])
    if not isinstance(columns, list) or not all(isinstance(x, str) for x in columns):
        raise r.err("columns", f"must be a list of column names, got {columns!r}")
    from cabinleak.campaign.response import OUTCOME_COLUMNS
    from cabinleak.campaign.sampling import INPUT_COLUMNS

    known = INPUT_COLUMNS + OUTCOME_COLUMNS
    for name in columns:
        if name not in known:
            raise r.err("columns", f"unknown column {name!r} (columns: {', '.join(known)})")
    r.done()
    return CampaignSpec(source=source, station=station_name, scenarios=scenarios, seed=seed,
                        chunk_size=chunk, policy=policy, compare=compare,
                        site=LeakSite(mode, wall, tuple(weights)), hole=hole, orbit=orbit,
                        crew=crew, vehicles=tuple(vehicles), response=response,
                        penetrations_per_year=rate, record=tuple(columns), raw=data)


def _hole(h: _Table) -> HoleSize:
    dist = h.text("distribution", "mmod", HOLE_DISTRIBUTIONS)
    cd = h.number("discharge_coefficient", 0.6, lo=0.0, lo_open=True, hi=1.0)
    if dist in ("mmod", "uniform"):
        lo = h.quantity("min", "length", 0.5e-3)
        hi = h.quantity("max", "length", 20e-3)
        if not lo < hi:
            raise h.err("max", f"must be larger than min ({hi * 1e3:g} mm <= {lo * 1e3:g} mm)")
        out = HoleSize(dist, min_m=lo, max_m=hi, discharge_coefficient=cd)
    elif dist == "lognormal":
        median = h.quantity("median", "length", 2e-3)
        sigma = h.number("sigma", 0.8, lo=0.0, lo_open=True, hi=5.0)
        lo = h.quantity("min", "length", 0.05e-3)
        hi = h.quantity("max", "length", 100e-3)
        if not lo < median < hi:
            raise h.err("median", "must lie between min and max")
        out = HoleSize(dist, min_m=lo, max_m=hi, median_m=median, sigma=sigma,
                       discharge_coefficient=cd)
    else:
        sizes = h.get("sizes")
        if not isinstance(sizes, list) or not sizes:
            raise h.err("sizes", "listed holes need sizes = [\"1 mm\", \"3 mm\", ...]")
        sizes_m = tuple(h.parse("sizes", x, "length") for x in sizes)
        w = h.get("weights", [1.0] * len(sizes_m))
        if (not isinstance(w, list) or len(w) != len(sizes_m)
                or not all(isinstance(x, int | float) and not isinstance(x, bool)
                           and math.isfinite(x) and x >= 0 for x in w) or sum(w) <= 0):
            raise h.err("weights", f"need one weight >= 0 per size ({len(sizes_m)}), not all "
                        f"0, got {w!r}")
        out = HoleSize(dist, sizes_m=sizes_m, weights=tuple(float(x) for x in w),
                       discharge_coefficient=cd)
    h.done()
    return out


def _response(r: _Table) -> ResponseParams:
    d = ResponseParams()
    sd = r.get("pressure_sd")
    out = ResponseParams(
        floor_Pa=r.quantity("floor", "pressure", d.floor_Pa),
        evacuate_below_reserve_s=r.quantity("evacuate_below_reserve", "time",
                                            d.evacuate_below_reserve_s, zero_ok=True),
        low_pressure_alarm_Pa=r.quantity("low_pressure_alarm", "pressure",
                                         d.low_pressure_alarm_Pa),
        dpdt_alarm_Pa_per_s=r.quantity("dpdt_alarm", "pressure_rate", d.dpdt_alarm_Pa_per_s),
        dpdt_alarm_delay_s=r.quantity("dpdt_alarm_delay", "time", d.dpdt_alarm_delay_s,
                                      zero_ok=True),
        false_alarms_per_year=r.number("false_alarms_per_year", d.false_alarms_per_year,
                                       lo=0.0, lo_open=True),
        pressure_sd_Pa=None if sd is None else r.parse("pressure_sd", sd, "pressure"),
        action_delay_awake_s=r.quantity("action_delay_awake", "time", d.action_delay_awake_s,
                                        zero_ok=True),
        action_delay_asleep_s=r.quantity("action_delay_asleep", "time",
                                         d.action_delay_asleep_s, zero_ok=True),
        hatch_close_s=r.quantity("hatch_close", "time", d.hatch_close_s, zero_ok=True),
        to_vehicle_s=r.quantity("to_vehicle", "time", d.to_vehicle_s, zero_ok=True),
        patch_s=r.quantity("patch", "time", d.patch_s, zero_ok=True),
        horizon_s=r.quantity("horizon", "time", d.horizon_s),
        locate_replicates=r.integer("locate_replicates", d.locate_replicates, lo=1),
    )
    r.done()
    if not out.floor_Pa < out.low_pressure_alarm_Pa:
        raise r.err("floor", "must be below low_pressure_alarm")
    return out
