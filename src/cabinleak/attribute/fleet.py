"""The fleet record as a check of the MMOD priors: expected penetrations over an exposure history.

Each line of the history is an exposure of some modules of a station (their MMOD surfaces,
:mod:`.surfaces`): a number of flights times a mean docked duration for visiting vehicles,
the years on orbit for a station module. The expected penetrations add up over the lines,
N = Σ N_i; penetrations being a Poisson process, the probability of the number observed
(none, for the ISS and its Soyuz and Progress ships) is

    P(K ≤ k_obs) = Σ_{k ≤ k_obs} N^k·e^(−N)/k!,   = e^(−N) for k_obs = 0.

A prior that makes the record improbable (P below a few per cent) overstates the risk; the
bundled history is ``fleet-history.toml`` next to this module, its sources in it.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from cabinleak.attribute import AttributeModelError
from cabinleak.attribute.risk import Environment
from cabinleak.attribute.surfaces import station_risk
from cabinleak.station import load_station

DAYS_PER_YEAR = 365.25
_MODEL = "fleet history"


@dataclass(frozen=True)
class Exposure:
    """Some modules of a station exposed for a time (``flights`` × ``days_per_flight``, or
    from ``launched`` to ``retired``/``as_of`` [decimal years])."""

    name: str
    modules: tuple[str, ...]
    days: float
    year: float  # middle of the exposure, for the debris population
    station: str = "iss"
    flights: int | None = None
    source: str = ""
    estimate: bool = False


@dataclass(frozen=True)
class History:
    description: str
    exposures: tuple[Exposure, ...]
    observed_penetrations: int
    observed_source: str
    as_of: float


@dataclass(frozen=True)
class FleetLine:
    exposure: Exposure
    expected_penetrations: float

    def to_dict(self) -> dict[str, Any]:
        e = self.exposure
        return {"name": e.name, "station": e.station, "modules": list(e.modules),
                "flights": e.flights, "days": e.days, "year": e.year,
                "expected_penetrations": self.expected_penetrations,
                "probability_no_penetration": math.exp(-self.expected_penetrations),
                "source": e.source, "estimate": e.estimate}


def poisson_at_most(k: int, mean: float) -> float:
    """P(K ≤ k) for K ~ Poisson(mean)."""
    return math.exp(-mean) * sum(mean**j / math.factorial(j) for j in range(k + 1))


@dataclass(frozen=True)
class FleetRecord:
    """Expected penetrations over the history, and how probable the observed count is."""

    history: History
    environment: Environment
    lines: tuple[FleetLine, ...]
    notes: tuple[str, ...] = ()

    @property
    def expected_penetrations(self) -> float:
        return float(sum(line.expected_penetrations for line in self.lines))

    @property
    def probability_of_observed(self) -> float:
        """P(as few penetrations as observed or fewer | the priors)."""
        return poisson_at_most(self.history.observed_penetrations, self.expected_penetrations)

    def subtotal(self, word: str) -> float:
        """Expected penetrations of the lines whose name contains ``word`` (e.g. Soyuz)."""
        return float(sum(line.expected_penetrations for line in self.lines
                         if word.lower() in line.exposure.name.lower()))

    def __str__(self) -> str:
        env = self.environment
        lines = [f"fleet record: {self.history.description}",
                 f"({env.altitude_m / 1e3:g} km, {env.inclination_deg:g}°, each line's debris "
                 "at its middle year)",
                 f"  {'exposure':<40}{'modules':<22}{'days':>9}{'year':>7}{'expected':>10}"]
        for ln in self.lines:
            e = ln.exposure
            mods = ", ".join(e.modules)
            days = f"{e.days:,.0f}"
            lines.append(f"  {e.name[:39]:<40}{mods[:21]:<22}{days:>9}{e.year:>7.0f}"
                         f"{ln.expected_penetrations:>10.3g}" + (" *" if e.estimate else ""))
        n = self.expected_penetrations
        soyuz, progress = self.subtotal("soyuz"), self.subtotal("progress")
        lines += [f"  {'total':<40}{'':<22}{'':>9}{'':>7}{n:>10.3g}",
                  f"  * estimate (see the history's sources); Soyuz {soyuz:.3g}, Progress "
                  f"{progress:.3g}, station modules {n - soyuz - progress:.3g}",
                  f"observed: {self.history.observed_penetrations} "
                  f"({self.history.observed_source})",
                  f"P(at most {self.history.observed_penetrations} | these priors) = "
                  f"{self.probability_of_observed:.3g}   (Soyuz alone: {math.exp(-soyuz):.3g})"]
        lines += [f"note: {x}" for x in self.notes]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        env = self.environment
        soyuz, progress = self.subtotal("soyuz"), self.subtotal("progress")
        return {"description": self.history.description, "as_of": self.history.as_of,
                "altitude_m": env.altitude_m, "inclination_deg": env.inclination_deg,
                "lines": [ln.to_dict() for ln in self.lines],
                "expected_penetrations": self.expected_penetrations,
                "expected_by_group": {"soyuz": soyuz, "progress": progress,
                                      "station_modules": self.expected_penetrations - soyuz
                                      - progress},
                "observed_penetrations": self.history.observed_penetrations,
                "observed_source": self.history.observed_source,
                "probability_of_observed": self.probability_of_observed,
                "notes": list(self.notes)}


def _float(data: dict[str, Any], key: str, where: str) -> float:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise AttributeModelError(_MODEL, f"{where}: {key} must be a number, got {value!r}")
    return float(value)


def load_history(path: str | Path | None = None) -> History:
    """The bundled exposure history, or one from a TOML file of the same form."""
    if path is None:
        text = resources.files("cabinleak.attribute").joinpath(
            "fleet-history.toml").read_text(encoding="utf-8")
        src = "fleet-history.toml (bundled)"
    else:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise AttributeModelError(_MODEL, f"{path}: cannot read: {exc}") from None
        src = str(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise AttributeModelError(_MODEL, f"{src}: {exc}") from None
    as_of = _float(data, "as_of", src)
    observed = data.get("observed_penetrations", 0)
    if isinstance(observed, bool) or not isinstance(observed, int) or observed < 0:
        raise AttributeModelError(_MODEL, f"{src}: observed_penetrations must be a whole "
                                          f"number >= 0, got {observed!r}")
    exposures = []
    for i, e in enumerate(data.get("exposure", [])):
        where = f"{src}: exposure #{i + 1}"
        modules = e.get("modules")
        if not (isinstance(modules, list) and modules
                and all(isinstance(m, str) for m in modules)):
            raise AttributeModelError(_MODEL, f"{where}: modules must be a list of module ids")
        if "flights" in e:
            flights = int(_float(e, "flights", where))
            days = flights * _float(e, "days_per_flight", where)
            year = _float(e, "year", where)
        else:
            flights = None
            start = _float(e, "launched", where)
            end = _float(e, "retired", where) if "retired" in e else as_of
            days = (end - start) * DAYS_PER_YEAR
            year = 0.5 * (start + end)
        if not days > 0:
            raise AttributeModelError(_MODEL, f"{where}: exposure must be > 0 days, got "
                                              f"{days:g}")
        exposures.append(Exposure(name=str(e.get("name", f"exposure {i + 1}")),
                                  modules=tuple(modules), days=days, year=year,
                                  station=str(e.get("station", "iss")), flights=flights,
                                  source=str(e.get("source", "")),
                                  estimate=bool(e.get("estimate", False))))
    if not exposures:
        raise AttributeModelError(_MODEL, f"{src}: no [[exposure]]")
    return History(description=str(data.get("description", "")), exposures=tuple(exposures),
                   observed_penetrations=observed,
                   observed_source=str(data.get("observed_source", "")), as_of=as_of)


def fleet_record(history: History, env: Environment | None = None) -> FleetRecord:
    """Expected penetrations of every exposure from its station's surfaces (altitude and
    inclination from ``env``, the debris year from each exposure)."""
    env = env or Environment()
    stations = {name: load_station(name) for name in {e.station for e in history.exposures}}
    lines: list[FleetLine] = []
    notes: set[str] = set()
    for e in history.exposures:
        at = Environment(altitude_m=env.altitude_m, inclination_deg=env.inclination_deg,
                         year=e.year)
        risk = station_risk(stations[e.station], e.days * 86400.0, at, modules=e.modules)
        notes.update(risk.notes)
        lines.append(FleetLine(e, risk.expected_penetrations))
    return FleetRecord(history=history, environment=env, lines=tuple(lines),
                       notes=tuple(sorted(notes)))
