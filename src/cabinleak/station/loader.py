"""Loading stations from TOML: bundled files by name, or a path.

In a file, a field with a unit suffix takes a number (``volume_m3 = 100``); the same
field without the suffix takes a string with a unit (``volume = "3531 ft3"``,
``pressure = "760 mmHg"``). Every problem raises :class:`StationError` naming the file,
the item and the bound.

MMOD surfaces: a ``[[shield]]`` is a wall type, its ``layers`` listed from outside in with
the pressure wall last; a ``[[surface]]`` lists one module's elements, each with its face
and area, its shield (or the surface's) or ``shielded_by`` another element::

    [[shield]]
    id = "lab-stuffed"
    kind = "stuffed-whipple"       # single, whipple, stuffed-whipple, multi-shock
    standoff = "11.4 cm"           # outer face of the first layer to the pressure wall
    layers = [
      { layer = "bumper", thickness = "1.27 mm", material = "Al6061-T6" },
      { layer = "stuffing", areal_density_kg_m2 = 6.0 },
      { layer = "wall", thickness = "4.8 mm", material = "Al2219-T87" },
    ]
    source = "..."

    [[surface]]
    module = "destiny"
    shield = "lab-stuffed"         # for every element that names none
    source = "..."
    elements = [
      { face = "ram", area_m2 = 14.3 },            # id "destiny-ram" by default
      { face = "wake", area_m2 = 14.3, shield = "lab-whipple" },
      { id = "behind", face = "zenith", area_m2 = 2.0, shielded_by = "destiny-ram" },
    ]
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from cabinleak.errors import StationError, UnitError
from cabinleak.physics import gas
from cabinleak.physics.flow import hole_area
from cabinleak.physics.units import parse_quantity
from cabinleak.station.model import (
    CO2_OUTPUT_KG_PER_DAY,
    DAY_S,
    O2_USE_KG_PER_DAY,
    Crew,
    Hatch,
    Leak,
    Module,
    Sensor,
    Shield,
    ShieldLayer,
    Station,
    Supply,
    SurfaceElement,
)

_DIMENSIONS = {
    "m3": ("volume", 1.0), "m2": ("area", 1.0), "Pa": ("pressure", 1.0), "K": ("temperature", 1.0),
    "mm": ("length", 1e-3), "m": ("length", 1.0), "s": ("time", 1.0),
    "kg_per_s": ("mass_rate", 1.0), "kg_per_day": ("mass_rate", 1.0 / DAY_S),
    "m3_per_s": ("volume_rate", 1.0),
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
             "length": "2 mm", "time": "2 h", "mass_rate": "1.4 kg/day",
             "volume_rate": "140 cfm"}


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
    except RecursionError:  # tomllib reads nested arrays and tables recursively
        raise StationError(source, "TOML syntax", "arrays or tables nested too deeply to "
                                                  "read") from None
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
    life_support, life_source = _life_support(top)
    shields = tuple(_shield(_Table(t, source, f"shield #{i + 1}"))
                    for i, t in enumerate(_array(top, "shield")))
    surfaces = tuple(e for i, t in enumerate(_array(top, "surface"))
                     for e in _surface(_Table(t, source, f"surface #{i + 1}")))
    defaults.used.update(("thermal", "temperature_K", "temperature", "pressure_Pa", "pressure"))
    defaults.check_unused()
    top.check_unused()
    return Station(name=name, modules=modules, hatches=hatches, leaks=leaks, supplies=supplies,
                   crew=crew, sensors=sensors, description=description, source=source,
                   life_support=life_support, life_support_source=life_source,
                   shields=shields, surfaces=surfaces)


def _life_support(top: _Table) -> tuple[tuple[str, ...], str]:
    """``[life_support]``: the modules whose O2 generation and CO2 removal serve the crew."""
    top.used.add("life_support")
    data = top.data.get("life_support")
    if data is None:
        return (), ""
    if not isinstance(data, Mapping):
        raise top.error("life_support must be a table: [life_support] modules = [...]")
    t = _Table(data, top.src, "[life_support]")
    t.used.add("modules")
    mods = data.get("modules")
    if not isinstance(mods, list) or not mods or not all(isinstance(m, str) for m in mods):
        raise t.error("modules must be a list of module ids, e.g. modules = [\"zvezda\"]")
    src = t.text("source", default="")
    t.check_unused()
    return tuple(mods), src


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


def _identify(t: _Table, kind: str, index: int) -> str:
    """The item's id (default ``kind`` + its 1-based position), named in its errors."""
    ident = t.text("id", default=f"{kind}{index + 1}")
    t.where = f"{kind} {ident!r}"
    return ident


def _hatch(t: _Table, index: int) -> Hatch:
    hid = _identify(t, "hatch", index)
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
                  open=t.boolean("open", True),
                  ventilation_m3_per_s=t.quantity("ventilation", "m3_per_s", default=0.0),
                  source=t.text("source", default=""),
                  estimate=t.boolean("estimate", False))
    t.check_unused()
    return hatch


def _leak(t: _Table, index: int) -> Leak:
    lid = _identify(t, "leak", index)
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
    sid = _identify(t, "supply", index)
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
    sid = _identify(t, "sensor", index)
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



def _inline_tables(t: _Table, key: str, example: str) -> list[Mapping[str, Any]]:
    t.used.add(key)
    value = t.data.get(key)
    if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
        raise t.error(f"{key} must be a non-empty list of tables, e.g. {key} = [{example}]")
    return value


def _shield(t: _Table) -> Shield:
    """``[[shield]]``: a wall type; ``layers`` from outside in, the pressure wall last."""
    sid = _identify(t, "shield", 0)
    layers = []
    for i, data in enumerate(_inline_tables(t, "layers", '{ layer = "wall", thickness = '
                                                         '"4.8 mm" }')):
        lt = _Table(data, t.src, f"{t.where} layer #{i + 1}")
        kind = lt.text("layer")
        if kind not in ("bumper", "stuffing", "wall"):
            raise lt.error(f"layer must be bumper, stuffing or wall, got {kind!r}")
        material = lt.text("material", default="")
        if kind == "stuffing" or (kind == "bumper" and lt.has("areal_density_kg_m2")):
            layer = ShieldLayer(kind,  # type: ignore[arg-type]  # checked above
                                areal_density_kg_m2=lt.number("areal_density_kg_m2"),
                                material=material)
        else:
            layer = ShieldLayer(kind,  # type: ignore[arg-type]  # checked above
                                thickness_m=lt.quantity("thickness", "mm"), material=material)
        lt.check_unused()
        layers.append(layer)
    shield = Shield(id=sid, kind=t.text("kind"),  # type: ignore[arg-type]  # checked in _validate
                    layers=tuple(layers),
                    standoff_m=t.quantity("standoff", "mm", default=0.0),
                    source=t.text("source", default=""),
                    estimate=t.boolean("estimate", False))
    t.check_unused()
    return shield


def _surface(t: _Table) -> list[SurfaceElement]:
    """``[[surface]]``: one module's elements; ``shield``, ``source`` and ``estimate`` given
    at the top apply to every element that does not give its own."""
    module = t.text("module")
    t.where = f"surface of {module!r}"
    shield = t.text("shield", default="") if t.has("shield") else ""
    source = t.text("source", default="") if t.has("source") else ""
    estimate = t.boolean("estimate", False)
    out = []
    for i, data in enumerate(_inline_tables(t, "elements", '{ face = "ram", area_m2 = 10 }')):
        et = _Table(data, t.src, f"{t.where} element #{i + 1}")
        face = et.text("face")
        eid = et.text("id", default=f"{module}-{face}")
        et.where = f"surface element {eid!r}"
        covered = et.text("shielded_by", default="") if et.has("shielded_by") else ""
        if covered and et.has("shield"):
            raise et.error("give either shield (a wall type) or shielded_by (another "
                           "element), not both")
        element = SurfaceElement(
            id=eid, module=module, area_m2=et.quantity("area", "m2"),
            face=face,  # type: ignore[arg-type]  # checked in _validate
            shield="" if covered else et.text("shield", default=shield),
            shielded_by=covered,
            source=et.text("source", default=source),
            estimate=et.boolean("estimate", estimate))
        et.check_unused()
        out.append(element)
    t.check_unused()
    return out
