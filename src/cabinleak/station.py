"""Layer 2: the station description — modules, hatches, leaks, supplies, crew, sensors.

A :class:`Station` is an immutable value loaded from TOML (:func:`load_station`),
either a bundled file referenced by name (:func:`bundled_stations`) or a path.
All quantities are SI inside. In a file, a field with a unit suffix takes a number
(``volume_m3 = 100``); the same field without the suffix takes a string with a unit
(``volume = "3531 ft3"``, ``pressure = "760 mmHg"``).
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np

from cabinleak.errors import StationError, UnitError
from cabinleak.physics import gas
from cabinleak.physics.flow import crack_conductance, hole_area
from cabinleak.physics.thermal import THERMAL_MODELS, ThermalModel
from cabinleak.physics.units import parse_quantity

LeakLaw = Literal["orifice", "crack", "power"]
SupplyMode = Literal["regulated", "fixed"]
SensorQuantity = Literal["pressure", "temperature"]

#: Gas a supply can deliver, as mole fractions over :data:`cabinleak.physics.gas.SPECIES`.
SUPPLY_GASES: dict[str, tuple[float, ...]] = {
    "N2": (1.0, 0.0, 0.0, 0.0),
    "O2": (0.0, 1.0, 0.0, 0.0),
    "air": tuple(float(v) for v in gas.AIR_MOLE_FRACTIONS),
}

#: Crew metabolic defaults per crew member and day, NASA Life Support Baseline
#: Values and Assumptions Document (BVAD), NASA/TP-2015-218570/Rev2 (2022), Table 4-22
#: (nominal activity): O2 consumed 0.82 kg, CO2 produced 1.04 kg.
O2_USE_KG_PER_DAY = 0.82
CO2_OUTPUT_KG_PER_DAY = 1.04

DAY_S = 86400.0


@dataclass(frozen=True)
class Module:
    """A pressurized volume, well mixed."""

    id: str
    volume_m3: float
    pressure_Pa: float = 101325.0
    temperature_K: float = 295.0
    composition: tuple[float, ...] = tuple(float(v) for v in gas.AIR_MOLE_FRACTIONS)
    thermal: ThermalModel = "isothermal"
    wall_conductance_W_per_K: float = 0.0
    name: str = ""
    group: str = ""
    source: str = ""
    estimate: bool = False

    @property
    def mass_fractions(self) -> np.ndarray:
        return gas.mole_to_mass_fractions(np.array(self.composition))


@dataclass(frozen=True)
class Hatch:
    """An opening between two modules; open hatches are large orifices."""

    id: str
    a: str
    b: str
    area_m2: float
    discharge_coefficient: float = 0.6
    open: bool = True
    source: str = ""
    estimate: bool = False


@dataclass(frozen=True)
class Leak:
    """A leak path from a module to vacuum (``to=None``) or to another module.

    ``orifice``: effective area Cd·A from a diameter and its discharge coefficient
    (or an area). ``crack``: a laminar slot of length, gap and wall depth.
    ``power``: ṁ = C·(p_up^n − p_down^n).
    """

    module: str
    law: LeakLaw = "orifice"
    id: str = ""
    to: str | None = None
    diameter_m: float | None = None
    discharge_coefficient: float = 0.6
    area_m2: float | None = None
    crack_length_m: float = 0.0
    crack_gap_m: float = 0.0
    wall_thickness_m: float = 0.0
    coefficient: float = 0.0
    exponent: float = 1.0
    start_s: float = 0.0

    @property
    def cd_area_m2(self) -> float:
        """Effective area Cd·A of an orifice leak [m²] (0 for other laws)."""
        if self.law != "orifice":
            return 0.0
        area = (self.area_m2 if self.area_m2 is not None
                else float(hole_area(self.diameter_m or 0.0)))
        return self.discharge_coefficient * area

    def crack_conductance_m3_per_Pa_s(self, temperature_K: float) -> float:
        """G = w·h³/(12·μ·L) for a crack leak, μ of air at ``temperature_K``."""
        if self.law != "crack":
            return 0.0
        mu = gas.viscosity_air(temperature_K)
        return float(crack_conductance(self.crack_length_m, self.crack_gap_m,
                                       self.wall_thickness_m, mu))

    def describe(self) -> str:
        if self.law == "orifice":
            if self.diameter_m is not None:
                return (f"{self.diameter_m * 1e3:g} mm hole (Cd {self.discharge_coefficient:g}, "
                        f"Cd·A {self.cd_area_m2 * 1e6:.3g} mm²)")
            return f"orifice Cd·A {self.cd_area_m2 * 1e6:.3g} mm²"
        if self.law == "crack":
            return (f"crack {self.crack_length_m * 1e3:g} mm × {self.crack_gap_m * 1e6:g} µm gap "
                    f"through {self.wall_thickness_m * 1e3:g} mm")
        return f"power law C={self.coefficient:g}, n={self.exponent:g}"


@dataclass(frozen=True)
class Supply:
    """A gas supply into a module: a regulated repress or a fixed-rate injection.

    ``regulated`` holds ``set_pressure_Pa``: flow rises linearly from 0 at the set
    pressure to ``max_flow_kg_per_s`` at ``band_Pa`` below it (a proportional
    regulator). ``fixed`` injects ``rate_kg_per_s``. Both only act between
    ``start_s`` and ``stop_s`` while ``on``.
    """

    id: str
    module: str
    gas: str = "N2"
    mode: SupplyMode = "regulated"
    set_pressure_Pa: float = 101325.0
    max_flow_kg_per_s: float = 0.0
    band_Pa: float = 133.322387415
    rate_kg_per_s: float = 0.0
    temperature_K: float = 295.0
    start_s: float = 0.0
    stop_s: float = float("inf")
    on: bool = True

    @property
    def mass_fractions(self) -> np.ndarray:
        return gas.mole_to_mass_fractions(np.array(SUPPLY_GASES[self.gas]))


@dataclass(frozen=True)
class Crew:
    """Crew members in a module, using O2 and producing CO2 (BVAD defaults)."""

    module: str
    count: float
    o2_kg_per_day_per_person: float = O2_USE_KG_PER_DAY
    co2_kg_per_day_per_person: float = CO2_OUTPUT_KG_PER_DAY


@dataclass(frozen=True)
class Sensor:
    """A pressure or temperature sensor on a module (see ``cabinleak.simulate.sensors``)."""

    id: str
    module: str
    quantity: SensorQuantity = "pressure"
    resolution: float = 13.3322387415  # 0.1 mmHg [Pa] or 0.1 K
    noise_sd: float = 6.66611937075  # 0.05 mmHg [Pa] or 0.05 K
    bias: float = 0.0
    rate_Hz: float = 1.0 / 60.0


@dataclass(frozen=True)
class Station:
    """A station: modules joined by hatches, with leaks, supplies, crew and sensors."""

    name: str
    modules: tuple[Module, ...]
    hatches: tuple[Hatch, ...] = ()
    leaks: tuple[Leak, ...] = ()
    supplies: tuple[Supply, ...] = ()
    crew: tuple[Crew, ...] = ()
    sensors: tuple[Sensor, ...] = ()
    description: str = ""
    source: str = ""

    def __post_init__(self) -> None:
        _validate(self)

    @property
    def module_ids(self) -> tuple[str, ...]:
        return tuple(m.id for m in self.modules)

    @property
    def volume_m3(self) -> float:
        return float(sum(m.volume_m3 for m in self.modules))

    def module(self, module_id: str) -> Module:
        for m in self.modules:
            if m.id == module_id:
                return m
        raise StationError(self.source or self.name, f"module {module_id!r}",
                           f"not in station {self.name!r} (modules: {', '.join(self.module_ids)})")

    def hatch(self, hatch_id: str) -> Hatch:
        for h in self.hatches:
            if h.id == hatch_id:
                return h
        raise StationError(self.source or self.name, f"hatch {hatch_id!r}",
                           f"not in station {self.name!r} (hatches: "
                           f"{', '.join(h.id for h in self.hatches)})")

    def groups(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(m.group for m in self.modules if m.group))

    def replace(self, **changes: Any) -> Station:
        return dataclasses.replace(self, **changes)

    def with_leaks(self, leaks: Iterable[Leak], *, keep: bool = True) -> Station:
        """A copy with ``leaks`` added (or, with ``keep=False``, instead of the existing ones)."""
        base = self.leaks if keep else ()
        named = [lk if lk.id else dataclasses.replace(lk, id=f"leak{len(base) + i + 1}")
                 for i, lk in enumerate(leaks)]
        return self.replace(leaks=(*base, *named))

    def without(self, names: Iterable[str]) -> Station:
        """A copy without the given modules or groups (e.g. a visiting vehicle), and
        without every hatch, leak, supply, crew and sensor attached to them."""
        drop = set()
        for name in names:
            ids = [m.id for m in self.modules if m.group.lower() == name.lower() or m.id == name]
            if not ids:
                raise StationError(self.source or self.name, f"module or group {name!r}",
                                   f"not in station {self.name!r} (groups: "
                                   f"{', '.join(self.groups()) or 'none'})")
            drop.update(ids)
        return self.replace(
            modules=tuple(m for m in self.modules if m.id not in drop),
            hatches=tuple(h for h in self.hatches if h.a not in drop and h.b not in drop),
            leaks=tuple(lk for lk in self.leaks if lk.module not in drop and lk.to not in drop),
            supplies=tuple(s for s in self.supplies if s.module not in drop),
            crew=tuple(c for c in self.crew if c.module not in drop),
            sensors=tuple(s for s in self.sensors if s.module not in drop),
        )

    def with_hatch_open(self, hatch_id: str, is_open: bool) -> Station:
        self.hatch(hatch_id)
        return self.replace(hatches=tuple(
            dataclasses.replace(h, open=is_open) if h.id == hatch_id else h for h in self.hatches))


# ---------------------------------------------------------------- validation


def _validate(st: Station) -> None:
    src = st.source or st.name
    if not st.modules:
        raise StationError(src, "station", "has no [[module]]")
    ids = st.module_ids
    seen: set[str] = set()
    for m in st.modules:
        where = f"module {m.id!r}"
        if m.id in seen:
            raise StationError(src, where, "id is used twice")
        seen.add(m.id)
        _positive(src, where, "volume_m3", m.volume_m3)
        _positive(src, where, "pressure_Pa", m.pressure_Pa, allow_zero=True)
        _positive(src, where, "temperature_K", m.temperature_K)
        if m.thermal not in THERMAL_MODELS:
            raise StationError(src, where, f"thermal must be one of {', '.join(THERMAL_MODELS)}, "
                                           f"got {m.thermal!r}")
        if m.thermal == "wall":
            _positive(src, where, "wall_conductance_W_per_K", m.wall_conductance_W_per_K)

    def known(where: str, key: str, mid: str | None) -> None:
        if mid is not None and mid not in ids:
            raise StationError(src, where, f"{key} {mid!r} is not a module of station "
                                           f"{st.name!r} (modules: {', '.join(ids)})")

    for h in st.hatches:
        where = f"hatch {h.id!r}"
        known(where, "module", h.a)
        known(where, "module", h.b)
        if h.a == h.b:
            raise StationError(src, where, "joins a module to itself")
        _positive(src, where, "area_m2", h.area_m2)
        _positive(src, where, "discharge_coefficient", h.discharge_coefficient)
    for lk in st.leaks:
        where = f"leak {lk.id or lk.module!r}"
        known(where, "module", lk.module)
        known(where, "to", lk.to)
        _positive(src, where, "start_s", lk.start_s, allow_zero=True)
        if lk.law == "orifice":
            if lk.diameter_m is None and lk.area_m2 is None:
                raise StationError(src, where, "an orifice leak needs diameter_mm or area_m2")
            _positive(src, where, "diameter/area", lk.diameter_m or lk.area_m2 or 0.0)
            if not 0.0 < lk.discharge_coefficient <= 1.0:
                raise StationError(src, where, "discharge_coefficient must be in (0, 1], got "
                                               f"{lk.discharge_coefficient:g}")
        elif lk.law == "crack":
            for key, value in (("length_mm", lk.crack_length_m), ("gap_mm", lk.crack_gap_m),
                               ("depth_mm", lk.wall_thickness_m)):
                _positive(src, where, key, value)
        elif lk.law == "power":
            _positive(src, where, "coefficient", lk.coefficient)
            _positive(src, where, "exponent", lk.exponent)
        else:
            raise StationError(src, where, f"law must be orifice, crack or power, got {lk.law!r}")
    for s in st.supplies:
        where = f"supply {s.id!r}"
        known(where, "module", s.module)
        if s.gas not in SUPPLY_GASES:
            raise StationError(src, where, f"gas must be one of {', '.join(SUPPLY_GASES)}, "
                                           f"got {s.gas!r}")
        if s.mode == "regulated":
            _positive(src, where, "max_flow", s.max_flow_kg_per_s)
            _positive(src, where, "set_pressure", s.set_pressure_Pa)
            _positive(src, where, "band", s.band_Pa)
        elif s.mode == "fixed":
            _positive(src, where, "rate", s.rate_kg_per_s)
        else:
            raise StationError(src, where, f"mode must be regulated or fixed, got {s.mode!r}")
    for c in st.crew:
        known("crew", "module", c.module)
        _positive(src, "crew", "count", c.count, allow_zero=True)
    for sn in st.sensors:
        where = f"sensor {sn.id!r}"
        known(where, "module", sn.module)
        _positive(src, where, "rate_Hz", sn.rate_Hz)
        _positive(src, where, "noise_sd", sn.noise_sd, allow_zero=True)
        _positive(src, where, "resolution", sn.resolution, allow_zero=True)


def _positive(src: str, where: str, key: str, value: float, *, allow_zero: bool = False) -> None:
    ok = np.isfinite(value) and (value >= 0 if allow_zero else value > 0)
    if not ok:
        bound = ">= 0" if allow_zero else "> 0"
        raise StationError(src, where, f"{key} must be {bound}, got {value:g}")


# ---------------------------------------------------------------- loading

_DIMENSIONS = {
    "m3": ("volume", 1.0), "m2": ("area", 1.0), "Pa": ("pressure", 1.0), "K": ("temperature", 1.0),
    "mm": ("length", 1e-3), "m": ("length", 1.0), "s": ("time", 1.0),
    "kg_per_s": ("mass_rate", 1.0), "kg_per_day": ("mass_rate", 1.0 / DAY_S),
}


class _Table:
    """One TOML table with the file and item names for error messages."""

    def __init__(self, data: Mapping[str, Any], src: str, where: str) -> None:
        self.data = dict(data)
        self.src = src
        self.where = where
        self.used: set[str] = set()

    def error(self, problem: str) -> StationError:
        return StationError(self.src, self.where, problem)

    def has(self, *keys: str) -> bool:
        return any(k in self.data for k in keys)

    def text(self, key: str, default: str | None = None) -> str:
        self.used.add(key)
        if key not in self.data:
            if default is None:
                raise self.error(f"missing field {key!r}")
            return default
        value = self.data[key]
        if not isinstance(value, str) or not value:
            raise self.error(f"{key} must be a non-empty string, got {value!r}")
        return value

    def boolean(self, key: str, default: bool) -> bool:
        self.used.add(key)
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise self.error(f"{key} must be true or false, got {value!r}")
        return value

    def number(self, key: str, default: float | None = None) -> float:
        self.used.add(key)
        if key not in self.data:
            if default is None:
                raise self.error(f"missing field {key!r}")
            return default
        value = self.data[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(f"{key} must be a number, got {value!r}")
        return float(value)

    def quantity(self, base: str, suffix: str, default: float | None = None) -> float:
        """``base_suffix = number`` (SI or as the suffix says) or ``base = "text unit"``."""
        dimension, factor = _DIMENSIONS[suffix]
        key = f"{base}_{suffix}"
        self.used.update((key, base))
        if key in self.data and base in self.data:
            raise self.error(f"give either {key} or {base}, not both")
        if key in self.data:
            return self.number(key) * factor
        if base in self.data:
            value = self.data[base]
            if not isinstance(value, str):
                raise self.error(f"{base} must be a string with a unit such as "
                                 f"'{_EXAMPLES[dimension]}', or use {key} = <number>")
            try:
                return parse_quantity(value, dimension)
            except UnitError as exc:
                raise self.error(f"{base}: {exc}") from None
        if default is None:
            raise self.error(f"missing field {key!r} (or {base} = \"<value> <unit>\")")
        return default

    def check_unused(self) -> None:
        extra = sorted(set(self.data) - self.used)
        if extra:
            raise self.error(f"unknown field(s) {', '.join(map(repr, extra))}")


_EXAMPLES = {"volume": "100 m3", "area": "0.5 m2", "pressure": "760 mmHg", "temperature": "22 C",
             "length": "2 mm", "time": "2 h", "mass_rate": "1.4 kg/day"}


def bundled_stations() -> dict[str, str]:
    """Bundled station names mapped to their one-line descriptions."""
    out = {}
    for entry in sorted(resources.files("cabinleak.stations").iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".toml"):
            data = tomllib.loads(entry.read_text(encoding="utf-8"))
            out[entry.name[:-5]] = str(data.get("description", "")).strip().splitlines()[0] \
                if data.get("description") else ""
    return out


def load_station(name_or_path: str | Path) -> Station:
    """Load a bundled station by name (``iss``, ``soyuz-ms``, ``test-chamber``) or a TOML file.

    Raises
    ------
    StationError
        For a missing file, a TOML syntax error, or any invalid item; the message
        names the file, the item and the bound.
    """
    text_name = str(name_or_path)
    bundled = resources.files("cabinleak.stations").joinpath(f"{text_name}.toml")
    path = Path(name_or_path)
    if not text_name.endswith(".toml") and bundled.is_file():
        return parse_station(bundled.read_text(encoding="utf-8"), source=f"{text_name} (bundled)")
    if not path.is_file():
        names = ", ".join(bundled_stations())
        raise StationError(text_name, "station", f"no such file or bundled station "
                                                 f"(bundled: {names})")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise StationError(text_name, "file", f"cannot read: {exc}") from None
    return parse_station(text, source=text_name)


def parse_station(text: str, *, source: str = "<string>") -> Station:
    """Parse a station from TOML text (see :func:`load_station`)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise StationError(source, "TOML syntax", str(exc)) from None
    top = _Table(data, source, "station")
    name = top.text("name", default=Path(source).stem)
    description = top.text("description", default="") if "description" in data else ""
    defaults = _Table(data.get("defaults", {}), source, "[defaults]")
    top.used.add("defaults")
    modules = tuple(_module(_Table(t, source, f"module #{i + 1}"), defaults)
                    for i, t in enumerate(_array(top, "module")))
    hatches = tuple(_hatch(_Table(t, source, f"hatch #{i + 1}"), i)
                    for i, t in enumerate(_array(top, "hatch")))
    leaks = tuple(_leak(_Table(t, source, f"leak #{i + 1}"), i)
                  for i, t in enumerate(_array(top, "leak")))
    supplies = tuple(_supply(_Table(t, source, f"supply #{i + 1}"), i)
                     for i, t in enumerate(_array(top, "supply")))
    crew = tuple(_crew(_Table(t, source, f"crew #{i + 1}"))
                 for i, t in enumerate(_array(top, "crew")))
    sensors = tuple(_sensor(_Table(t, source, f"sensor #{i + 1}"), i)
                    for i, t in enumerate(_array(top, "sensor")))
    defaults.used.update(("thermal", "temperature_K", "temperature", "pressure_Pa", "pressure"))
    defaults.check_unused()
    top.check_unused()
    return Station(name=name, modules=modules, hatches=hatches, leaks=leaks, supplies=supplies,
                   crew=crew, sensors=sensors, description=description, source=source)


def _array(top: _Table, key: str) -> list[Mapping[str, Any]]:
    top.used.add(key)
    value = top.data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise top.error(f"{key} must be an array of tables ([[{key}]])")
    return value


def _module(t: _Table, defaults: _Table) -> Module:
    mid = t.text("id")
    t.where = f"module {mid!r}"
    composition = tuple(float(v) for v in gas.AIR_MOLE_FRACTIONS)
    if t.has("composition"):
        t.used.add("composition")
        comp = t.data["composition"]
        if not isinstance(comp, dict):
            raise t.error("composition must be a table of mole fractions, e.g. "
                          "{ N2 = 0.78, O2 = 0.21 }")
        try:
            composition = tuple(float(v) for v in gas.composition_from_mapping(comp))
        except KeyError as exc:
            raise t.error(f"composition: unknown species {exc.args[0]!r} (known: "
                          f"{', '.join(gas.SPECIES)})") from None
        except (ValueError, TypeError) as exc:
            raise t.error(f"composition: {exc}") from None
    thermal = t.text("thermal", default=str(defaults.data.get("thermal", "isothermal")))
    module = Module(
        id=mid,
        volume_m3=t.quantity("volume", "m3"),
        pressure_Pa=t.quantity("pressure", "Pa",
                               default=defaults.quantity("pressure", "Pa", 101325.0)),
        temperature_K=t.quantity("temperature", "K",
                                 default=defaults.quantity("temperature", "K", 295.0)),
        composition=composition,
        thermal=thermal,  # type: ignore[arg-type]  # checked in _validate
        wall_conductance_W_per_K=t.number("wall_conductance_W_per_K", 0.0),
        name=t.text("name", default=mid),
        group=t.text("group", default=""),
        source=t.text("source", default=""),
        estimate=t.boolean("estimate", False),
    )
    t.check_unused()
    return module


def _hatch(t: _Table, index: int) -> Hatch:
    hid = t.text("id", default=f"hatch{index + 1}")
    t.where = f"hatch {hid!r}"
    between = t.data.get("between")
    t.used.add("between")
    if not (isinstance(between, list) and len(between) == 2
            and all(isinstance(x, str) for x in between)):
        raise t.error('between must name two modules, e.g. between = ["zarya", "unity"]')
    if t.has("diameter_m", "diameter"):
        area = float(hole_area(t.quantity("diameter", "m")))
    else:
        area = t.quantity("area", "m2")
    hatch = Hatch(id=hid, a=between[0], b=between[1], area_m2=area,
                  discharge_coefficient=t.number("discharge_coefficient", 0.6),
                  open=t.boolean("open", True), source=t.text("source", default=""),
                  estimate=t.boolean("estimate", False))
    t.check_unused()
    return hatch


def _leak(t: _Table, index: int) -> Leak:
    lid = t.text("id", default=f"leak{index + 1}")
    t.where = f"leak {lid!r}"
    law = t.text("law", default="orifice")
    kwargs: dict[str, Any] = {}
    if law == "orifice":
        if t.has("diameter_mm", "diameter"):
            kwargs["diameter_m"] = t.quantity("diameter", "mm")
        elif t.has("area_m2", "area"):
            kwargs["area_m2"] = t.quantity("area", "m2")
        else:
            raise t.error("an orifice leak needs diameter_mm (or diameter = \"2 mm\") or area_m2")
        kwargs["discharge_coefficient"] = t.number("discharge_coefficient", 0.6)
    elif law == "crack":
        kwargs["crack_length_m"] = t.quantity("length", "mm")
        kwargs["crack_gap_m"] = t.quantity("gap", "mm")
        kwargs["wall_thickness_m"] = t.quantity("depth", "mm")
    elif law == "power":
        kwargs["coefficient"] = t.number("coefficient")
        kwargs["exponent"] = t.number("exponent")
    else:
        raise t.error(f"law must be orifice, crack or power, got {law!r}")
    leak = Leak(module=t.text("module"), law=law, id=lid,  # type: ignore[arg-type]
                to=t.text("to") if t.has("to") else None,
                start_s=t.quantity("start", "s", default=0.0), **kwargs)
    t.check_unused()
    return leak


def _supply(t: _Table, index: int) -> Supply:
    sid = t.text("id", default=f"supply{index + 1}")
    t.where = f"supply {sid!r}"
    mode = t.text("mode", default="regulated")
    supply = Supply(
        id=sid, module=t.text("module"), gas=t.text("gas", default="N2"),
        mode=mode,  # type: ignore[arg-type]
        set_pressure_Pa=t.quantity("set_pressure", "Pa", default=101325.0),
        max_flow_kg_per_s=t.quantity("max_flow", "kg_per_s", default=0.0)
        if not t.has("max_flow_kg_per_day") else t.quantity("max_flow", "kg_per_day"),
        band_Pa=t.quantity("band", "Pa", default=133.322387415),
        rate_kg_per_s=t.quantity("rate", "kg_per_s", default=0.0)
        if not t.has("rate_kg_per_day") else t.quantity("rate", "kg_per_day"),
        temperature_K=t.quantity("temperature", "K", default=295.0),
        start_s=t.quantity("start", "s", default=0.0),
        stop_s=t.quantity("stop", "s", default=float("inf")),
        on=t.boolean("on", True),
    )
    t.check_unused()
    return supply


def _crew(t: _Table) -> Crew:
    crew = Crew(module=t.text("module"), count=t.number("count"),
                o2_kg_per_day_per_person=t.number("o2_kg_per_day_per_person", O2_USE_KG_PER_DAY),
                co2_kg_per_day_per_person=t.number("co2_kg_per_day_per_person",
                                                   CO2_OUTPUT_KG_PER_DAY))
    t.check_unused()
    return crew


def _sensor(t: _Table, index: int) -> Sensor:
    sid = t.text("id", default=f"sensor{index + 1}")
    t.where = f"sensor {sid!r}"
    quantity = t.text("quantity", default="pressure")
    if quantity not in ("pressure", "temperature"):
        raise t.error(f"quantity must be pressure or temperature, got {quantity!r}")
    if quantity == "pressure":
        res = t.quantity("resolution", "Pa", default=Sensor.resolution)
        noise = t.quantity("noise_sd", "Pa", default=Sensor.noise_sd)
        bias = t.quantity("bias", "Pa", default=0.0)
    else:  # temperature differences in kelvin
        res = t.number("resolution_K", 0.1)
        noise = t.number("noise_sd_K", 0.05)
        bias = t.number("bias_K", 0.0)
    sensor = Sensor(id=sid, module=t.text("module"), quantity=quantity,  # type: ignore[arg-type]
                    resolution=res, noise_sd=noise, bias=bias,
                    rate_Hz=t.number("rate_Hz", Sensor.rate_Hz))
    t.check_unused()
    return sensor

