"""Layer 2: the station description — modules, hatches, leaks, supplies, crew, sensors,
and the MMOD surfaces (wall types and surface elements).

A :class:`Station` is an immutable value loaded from TOML (:func:`load_station`),
either a bundled file referenced by name (:func:`bundled_stations`) or a path.
"""

from __future__ import annotations

from cabinleak.station.loader import bundled_stations, load_station, parse_station
from cabinleak.station.model import (
    CO2_OUTPUT_KG_PER_DAY,
    FACES,
    O2_USE_KG_PER_DAY,
    SUPPLY_GASES,
    WALL_LAYERS,
    Crew,
    Hatch,
    Leak,
    LeakLaw,
    Module,
    Sensor,
    SensorQuantity,
    Shield,
    ShieldLayer,
    Station,
    Supply,
    SupplyMode,
    SurfaceElement,
)

__all__ = [
    "CO2_OUTPUT_KG_PER_DAY",
    "FACES",
    "O2_USE_KG_PER_DAY",
    "SUPPLY_GASES",
    "WALL_LAYERS",
    "Crew",
    "Hatch",
    "Leak",
    "LeakLaw",
    "Module",
    "Sensor",
    "SensorQuantity",
    "Shield",
    "ShieldLayer",
    "Station",
    "Supply",
    "SupplyMode",
    "SurfaceElement",
    "bundled_stations",
    "load_station",
    "parse_station",
]
