"""The station description as immutable values, validated on construction.

Modules, hatches, leaks, supplies, crew and sensors; all quantities SI.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from cabinleak.errors import StationError
from cabinleak.physics import gas
from cabinleak.physics.flow import crack_conductance, hole_area
from cabinleak.physics.thermal import THERMAL_MODELS, ThermalModel

LeakLaw = Literal["orifice", "crack", "power"]
SupplyMode = Literal["regulated", "fixed"]
SensorQuantity = Literal["pressure", "temperature"]
Face = Literal["ram", "wake", "port", "starboard", "zenith", "nadir", "tumbling"]
WallKind = Literal["single", "whipple", "stuffed-whipple", "multi-shock"]
LayerKind = Literal["bumper", "stuffing", "wall"]

#: Orientation classes of a surface element: the direction its outward normal faces in the
#: local vertical, local horizontal frame (ram = along the velocity), or ``tumbling`` for a
#: free flyer with no fixed attitude.
FACES: tuple[str, ...] = ("ram", "wake", "port", "starboard", "zenith", "nadir", "tumbling")

#: Wall types and the layers each is made of, from outside in (``+`` = one or more).
WALL_LAYERS: dict[str, tuple[str, ...]] = {
    "single": ("wall",),
    "whipple": ("bumper", "wall"),
    "stuffed-whipple": ("bumper", "stuffing", "wall"),
    "multi-shock": ("bumper", "bumper+", "wall"),
}

#: Gas a supply can deliver, as mole fractions over :data:`cabinleak.physics.gas.SPECIES`.
SUPPLY_GASES: dict[str, tuple[float, ...]] = {
    "N2": (1.0, 0.0, 0.0, 0.0),
    "O2": (0.0, 1.0, 0.0, 0.0),
    "air": tuple(float(v) for v in gas.AIR_MOLE_FRACTIONS),
}

#: Crew metabolic defaults per crew member and day, NASA Life Support Baseline
#: Values and Assumptions Document (BVAD), NASA/TP-2015-218570/Rev2 (2022), crew-member metabolic
#: interfaces at nominal activity: O2 consumed 0.82 kg, CO2 produced 1.04 kg.
O2_USE_KG_PER_DAY = 0.82
CO2_OUTPUT_KG_PER_DAY = 1.04

DAY_S = 86400.0

#: The most crew a module can hold per m³ of its volume: standing room, about four
#: people per m² of floor under a 2 m ceiling (the Soyuz descent module seats 3 in
#: about 4 m³). It also bounds how fast a crew can use up its air, which the
#: simulator's steps rely on.
MAX_CREW_PER_M3 = 2.0


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
    """An opening between two modules; open hatches are large orifices.

    ``ventilation_m3_per_s`` is the air that fans exchange through the open hatch, the
    same volume each way (intermodule ventilation): it mixes the modules' compositions
    without moving net mass.
    """

    id: str
    a: str
    b: str
    area_m2: float
    discharge_coefficient: float = 0.6
    open: bool = True
    ventilation_m3_per_s: float = 0.0
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
class ShieldLayer:
    """One layer of a wall: a metal bumper or pressure wall (a thickness), or a fabric
    layer (an areal density: the Nextel/Kevlar stuffing of a stuffed Whipple, a thermal
    blanket used as a bumper)."""

    kind: LayerKind
    thickness_m: float = 0.0
    areal_density_kg_m2: float = 0.0
    material: str = ""

    def describe(self) -> str:
        size = (f"{self.thickness_m * 1e3:g} mm" if self.thickness_m > 0
                else f"{self.areal_density_kg_m2:g} kg/m²")
        return f"{self.kind} {size}{' ' + self.material if self.material else ''}"


@dataclass(frozen=True)
class Shield:
    """A wall type with its layers, outermost first; the last is the pressure wall.

    ``standoff_m`` is the distance from the outer face of the first layer to the pressure
    wall (0 for a single wall).
    """

    id: str
    kind: WallKind
    layers: tuple[ShieldLayer, ...]
    standoff_m: float = 0.0
    source: str = ""
    estimate: bool = False

    @property
    def wall(self) -> ShieldLayer:
        """The pressure wall (the innermost layer)."""
        return self.layers[-1]

    @property
    def bumpers(self) -> tuple[ShieldLayer, ...]:
        return tuple(layer for layer in self.layers if layer.kind == "bumper")

    @property
    def stuffing_kg_m2(self) -> float:
        return float(sum(lay.areal_density_kg_m2 for lay in self.layers if lay.kind == "stuffing"))

    def describe(self) -> str:
        inside = ", ".join(layer.describe() for layer in self.layers)
        gap = f", standoff {self.standoff_m * 1e2:g} cm" if self.standoff_m > 0 else ""
        return f"{self.kind} ({inside}{gap})"


@dataclass(frozen=True)
class SurfaceElement:
    """A piece of a module's outer surface exposed to meteoroids and debris.

    Its wall is a :class:`Shield` (``shield``, an id) or, with ``shielded_by`` (another
    element's id), it lies behind that element: particles reach it only through that
    element, which is where they are counted.
    """

    id: str
    module: str
    area_m2: float
    face: Face
    shield: str = ""
    shielded_by: str = ""
    source: str = ""
    estimate: bool = False


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
    # modules whose life support (O2 generation, CO2 removal) keeps the cabin gas of every
    # volume joined to them by open hatches as the crew finds it: there the crew's O2 use
    # and CO2 output change neither the gas mass nor its composition
    life_support: tuple[str, ...] = ()
    life_support_source: str = ""
    # MMOD surfaces: the wall types, and the elements of each module's outer surface
    shields: tuple[Shield, ...] = ()
    surfaces: tuple[SurfaceElement, ...] = ()

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

    def life_support_in(self, modules: Iterable[str]) -> tuple[str, ...]:
        """The life-support modules among ``modules`` (a volume): if any, its crew's
        metabolism is balanced and adds no known source."""
        mods = set(modules)
        return tuple(m for m in self.life_support if m in mods)

    def balanced_crew_modules(self, hatch_open: Mapping[str, bool] | None = None
                              ) -> frozenset[str]:
        """Modules whose crew the life support serves, with the hatches as given (by
        default the station's own states)."""
        out: set[str] = set()
        for volume in self.isolated_volumes(hatch_open):
            if self.life_support_in(volume):
                out.update(volume)
        return frozenset(out)

    def shield(self, shield_id: str) -> Shield:
        for sh in self.shields:
            if sh.id == shield_id:
                return sh
        raise StationError(self.source or self.name, f"shield {shield_id!r}",
                           f"not in station {self.name!r} (shields: "
                           f"{', '.join(s.id for s in self.shields) or 'none'})")

    def surface_of(self, module_id: str) -> tuple[SurfaceElement, ...]:
        """The surface elements of a module (none if the file gives it no surface)."""
        self.module(module_id)
        return tuple(e for e in self.surfaces if e.module == module_id)

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
            life_support=tuple(m for m in self.life_support if m not in drop),
            surfaces=_without_shielding(self.surfaces, drop),
        )

    def isolated_volumes(self, hatch_open: Mapping[str, bool] | None = None
                         ) -> tuple[tuple[str, ...], ...]:
        """The groups of modules joined by open hatches, each in station order.

        ``hatch_open`` overrides the station's hatch states by hatch id. Groups come in
        the order of their first module.
        """
        states = {h.id: h.open for h in self.hatches}
        states.update(hatch_open or {})
        parent = {m: m for m in self.module_ids}

        def root(m: str) -> str:
            while parent[m] != m:
                parent[m] = parent[parent[m]]
                m = parent[m]
            return m

        for h in self.hatches:
            if states[h.id]:
                parent[root(h.a)] = root(h.b)
        groups: dict[str, list[str]] = {}
        for m in self.module_ids:
            groups.setdefault(root(m), []).append(m)
        return tuple(tuple(g) for g in groups.values())

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
        if mid is not None and mid not in seen:  # a set: stations of thousands of modules
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
        _positive(src, where, "ventilation_m3_per_s", h.ventilation_m3_per_s, allow_zero=True)
    for mid in st.life_support:
        known("[life_support]", "module", mid)
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
    crowd: dict[str, float] = {}
    for c in st.crew:
        known("crew", "module", c.module)
        _positive(src, "crew", "count", c.count, allow_zero=True)
        crowd[c.module] = crowd.get(c.module, 0.0) + c.count
    for mid, count in crowd.items():
        volume = st.module(mid).volume_m3
        if count > MAX_CREW_PER_M3 * volume:
            raise StationError(src, "crew", f"{count:g} crew in module {mid!r} of {volume:g} m³ "
                                            f"is more than fit (at most {MAX_CREW_PER_M3:g} per "
                                            f"m³, {MAX_CREW_PER_M3 * volume:g} here)")
    for sn in st.sensors:
        where = f"sensor {sn.id!r}"
        known(where, "module", sn.module)
        _positive(src, where, "rate_Hz", sn.rate_Hz)
        _positive(src, where, "noise_sd", sn.noise_sd, allow_zero=True)
        _positive(src, where, "resolution", sn.resolution, allow_zero=True)
    _validate_surfaces(st, src)


def _without_shielding(surfaces: tuple[SurfaceElement, ...], drop: set[str]
                       ) -> tuple[SurfaceElement, ...]:
    """The surfaces of the modules kept; an element shielded by one that leaves keeps the
    shield of the element that leaves (it is exposed now, behind the same kind of wall)."""
    gone = {e.id: e for e in surfaces if e.module in drop}
    out = []
    for e in surfaces:
        if e.module in drop:
            continue
        cover = gone.get(e.shielded_by)
        if cover is not None:
            e = dataclasses.replace(e, shielded_by="", shield=cover.shield,
                                    estimate=True)
        out.append(e)
    return tuple(out)


def _layers_in_order(kinds: tuple[str, ...], pattern: tuple[str, ...]) -> bool:
    """``kinds`` matches ``pattern`` (``x+``: one or more more of ``x``)."""
    i = 0
    for p in pattern:
        name = p.rstrip("+")
        if i >= len(kinds) or kinds[i] != name:
            return False
        i += 1
        if p.endswith("+"):
            while i < len(kinds) and kinds[i] == name:
                i += 1
    return i == len(kinds)


def _validate_surfaces(st: Station, src: str) -> None:
    shields: set[str] = set()
    for sh in st.shields:
        where = f"shield {sh.id!r}"
        if sh.id in shields:
            raise StationError(src, where, "id is used twice")
        shields.add(sh.id)
        if sh.kind not in WALL_LAYERS:
            raise StationError(src, where, f"kind must be one of {', '.join(WALL_LAYERS)}, "
                                           f"got {sh.kind!r}")
        kinds = tuple(layer.kind for layer in sh.layers)
        if not _layers_in_order(kinds, WALL_LAYERS[sh.kind]):
            expected = ", ".join(WALL_LAYERS[sh.kind]).replace("bumper, bumper+",
                                                                 "two or more bumpers")
            raise StationError(src, where, f"a {sh.kind} has layers {expected} from outside "
                                           f"in, got {', '.join(kinds) or 'none'}")
        for layer in sh.layers:
            if layer.kind == "stuffing":
                _positive(src, where, "stuffing areal_density_kg_m2", layer.areal_density_kg_m2)
            elif layer.kind == "bumper":
                _positive(src, where, "bumper thickness or areal density",
                          layer.thickness_m or layer.areal_density_kg_m2)
            else:
                _positive(src, where, "wall thickness_mm", layer.thickness_m)
        if sh.kind == "single":
            _positive(src, where, "standoff_m", sh.standoff_m, allow_zero=True)
        else:
            _positive(src, where, "standoff_m", sh.standoff_m)
    elements: dict[str, SurfaceElement] = {}
    modules = set(st.module_ids)
    for e in st.surfaces:
        where = f"surface element {e.id!r}"
        if e.id in elements:
            raise StationError(src, where, "id is used twice")
        elements[e.id] = e
        if e.module not in modules:
            raise StationError(src, where, f"module {e.module!r} is not a module of station "
                                           f"{st.name!r}")
        _positive(src, where, "area_m2", e.area_m2, allow_zero=True)
        if e.face not in FACES:
            raise StationError(src, where, f"face must be one of {', '.join(FACES)}, "
                                           f"got {e.face!r}")
        if bool(e.shield) == bool(e.shielded_by):
            raise StationError(src, where, "give either shield (a wall type) or shielded_by "
                                           "(another element), not both or neither")
        if e.shield and e.shield not in shields:
            raise StationError(src, where, f"shield {e.shield!r} is not a [[shield]] of "
                                           f"station {st.name!r} (shields: "
                                           f"{', '.join(sorted(shields)) or 'none'})")
    for e in st.surfaces:
        if e.shielded_by:
            where = f"surface element {e.id!r}"
            cover = elements.get(e.shielded_by)
            if cover is None:
                raise StationError(src, where, f"shielded_by {e.shielded_by!r} is not a "
                                               f"surface element of station {st.name!r}")
            if cover.shielded_by:
                raise StationError(src, where, f"shielded_by {e.shielded_by!r}, which is "
                                               "itself shielded: name the outer element")


def _positive(src: str, where: str, key: str, value: float, *, allow_zero: bool = False) -> None:
    ok = np.isfinite(value) and (value >= 0 if allow_zero else value > 0)
    if not ok:
        bound = ">= 0" if allow_zero else "> 0"
        raise StationError(src, where, f"{key} must be {bound}, got {value:g}")
