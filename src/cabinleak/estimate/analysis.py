"""From a telemetry table to answers: is there a leak, how big, how long do we have.

The steps, per isolated volume (modules joined by open hatches):

1. gas mass m = p·V/(R·T) less known additions (:mod:`.mass`), averaged into bins;
2. a sequential test on it raises the leak alarm and dates the onset (:mod:`.detect`),
   a dP/dt threshold is the fast second alarm;
3. the orifice and crack laws are fitted from the onset on (:mod:`.flowlaw`): the
   leak rate now, the effective area Cd·A, the equivalent hole at a stated Cd;
4. a Kalman smoother gives the rate over time with its band (:mod:`.kalman`);
5. the better law is carried forward to the floors (:mod:`.forecast`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from cabinleak.estimate.checks import EstimateError, check_clock
from cabinleak.estimate.detect import Detection, detect_leak
from cabinleak.estimate.dpdt import dpdt_alarm
from cabinleak.estimate.events import (
    find_inflows,
    hold_last,
    planned_events,
    planned_spans,
    remove_inflows,
)
from cabinleak.estimate.flowlaw import (
    Z95,
    LawFit,
    best_onset,
    compare_laws,
    fit_law,
    flux_term,
    law_integral,
)
from cabinleak.estimate.forecast import Interval, forecast
from cabinleak.estimate.intervals import settle_note, with_relative_error, with_theta_error
from cabinleak.estimate.kalman import track_rate
from cabinleak.estimate.mass import MassSeries, bin_series, mass_series
from cabinleak.estimate.noise import RateNoise, rate_noise
from cabinleak.estimate.results import (
    DEFAULT_FLOOR_PA,
    MAX_POINTS,
    MIN_BIN_S,
    F,
    LeakAnalysis,
    Settings,
    VolumeAnalysis,
    interval_text,
)
from cabinleak.physics import gas
from cabinleak.physics.flow import equivalent_diameter
from cabinleak.physics.units import DAY_S, HOUR_S, MMHG_PA
from cabinleak.station import Station
from cabinleak.station.model import CO2_OUTPUT_KG_PER_DAY, O2_USE_KG_PER_DAY
from cabinleak.telemetry import Channel, Telemetry, TelemetryError

__all__ = ["DEFAULT_FLOOR_PA", "LeakAnalysis", "Settings", "VolumeAnalysis", "analyze",
           "interval_text", "module_of"]


def _norm(name: str) -> str:
    return name.strip().lower().replace("_", "-")


def module_of(channel: Channel, station: Station) -> str:
    """The station module a channel's source names (a module or sensor id)."""
    key = _norm(channel.source)
    for m in station.module_ids:
        if _norm(m) == key:
            return m
    for s in station.sensors:
        if _norm(s.id) == key:
            return s.module
    if not key:
        raise TelemetryError(f"column {channel.name!r} names no module: expected MODULE_ before "
                             f"the quantity, e.g. {station.module_ids[0]}_{channel.name} "
                             f"(modules of station {station.name!r}: "
                             f"{', '.join(station.module_ids)})")
    raise TelemetryError(f"column {channel.name!r}: {channel.source!r} is not a module or "
                         f"sensor of station {station.name!r} "
                         f"(modules: {', '.join(station.module_ids)})")


# The ISS's pressure-rate wander in normal operations, 1σ over windows of up to 6 h:
# the Astro Pi record of 2022-01-31 (no leak) fell 0.13 mmHg/h for 10 h and then held;
# the Quest pressure of 2025-08-06 (no leak) moved ±0.3 mmHg over 17 h (docs/calibration.md).
OPERATIONS_WANDER_PA_PER_S = 0.1 * MMHG_PA / HOUR_S
# A cabin with no temperature record and no operational wander assumed (a ground test)
# may warm or cool unseen by this much (1σ) over its record [K].
UNSEEN_TEMPERATURE_CHANGE_K = 1.0


def default_wander_Pa_per_s(station: Station | None, modules: Sequence[str],
                            metadata: Mapping[str, str] | None = None) -> float:
    """The operational wander assumed for a volume when none is given [Pa/s].

    A volume with crew aboard is a station in operation: its crew, thermal loads, gas
    generation and represses move the pressure in ways its record may be too short to
    show (:data:`OPERATIONS_WANDER_PA_PER_S`). An uncrewed volume of a station (a closed
    module) is assumed quiet, and so is a ground acceptance test (a record whose header
    states a ``spec``). A record with no station could be either: it is taken as in
    operation unless its header says it is a ground test, the safe side for an alarm.
    """
    if station is None:
        return 0.0 if metadata is not None and "spec" in metadata else OPERATIONS_WANDER_PA_PER_S
    crew = sum(c.count for c in station.crew if c.module in modules)
    return OPERATIONS_WANDER_PA_PER_S if crew > 0 else 0.0


def _bin_width(tel: Telemetry, settings: Settings) -> float:
    if settings.bin_s is not None:
        return settings.bin_s
    return max(MIN_BIN_S, tel.duration_s / MAX_POINTS)


def analyze(tel: Telemetry, *, station: Station | None = None, volume_m3: float | None = None,
            settings: Settings | None = None) -> LeakAnalysis:
    """Analyse a telemetry table: one :class:`VolumeAnalysis` per isolated volume.

    With ``volume_m3`` (or a ``volume`` line in the table) the whole table is one
    volume. With a station, channels are mapped to modules by name and the modules
    are grouped by the hatches open at the end of the record (hatch columns override
    the station file); the analysis starts after the last hatch change.
    """
    st = settings or Settings()
    if tel.time_s.size < 2:
        raise EstimateError(f"{tel.path}: fewer than two rows to analyse")
    check_clock(tel.time_s, tel.path)
    groups = _groups(tel, station, volume_m3)
    vols = tuple(_analyze_volume(tel, g, station, st) for g in groups)
    return LeakAnalysis(path=tel.path, station=station.name if station else None,
                        start_time=tel.start_time,
                        time_s=(float(tel.time_s[0]), float(tel.time_s[-1])),
                        rows=int(tel.time_s.size), volumes=vols, settings=st,
                        issues=tuple(str(i) for i in tel.issues))


@dataclass(frozen=True)
class _Group:
    label: str
    modules: tuple[str, ...]
    volume_m3: float
    pressure: tuple[Channel, ...]
    temperature: tuple[Channel, ...]
    injections: tuple[Channel, ...]
    start_s: float
    notes: tuple[str, ...] = ()
    states: tuple[Channel, ...] = ()  # depress pumps and vent valves: planned outflows


def _groups(tel: Telemetry, station: Station | None, volume_m3: float | None) -> list[_Group]:
    if volume_m3 is None and station is None and "volume" in tel.metadata:
        from cabinleak.physics.units import parse_quantity
        volume_m3 = parse_quantity(tel.metadata["volume"], "volume", default_unit="m3")
    if volume_m3 is not None or station is None:
        if volume_m3 is None:
            raise EstimateError(f"{tel.path}: the gas volume is unknown; give --volume "
                                "(e.g. --volume 4.5m3), --station NAME, or a "
                                "'# volume = 4.5 m3' line at the top of the table")
        label = tel.metadata.get("vehicle") or tel.metadata.get("module") or "volume"
        return [_Group(label, (), volume_m3, tel.of("pressure"), tel.of("temperature"),
                       tel.of("injection"), float(tel.time_s[0]),
                       states=tel.of("depress") + tel.of("vent"))]
    # hatch states: the station's, overridden by hatch columns at the end of the record
    states: dict[str, bool] = {}
    start = float(tel.time_s[0])
    notes: list[str] = []
    for c in tel.of("hatch"):
        hid = _hatch_id(c, station)
        ok = np.isfinite(c.values)
        if not ok.any():
            continue
        vals = c.values[ok] > 0.5
        states[hid] = bool(vals[-1])
        change = np.flatnonzero(vals[1:] != vals[:-1])
        if change.size:
            t_change = float(tel.time_s[ok][change[-1] + 1])
            if t_change > start:
                start = t_change
                notes.append(f"hatch {hid} changed at {t_change / HOUR_S:.1f} h; "
                             "analysed from there on")
    by_module: dict[str, list[Channel]] = {}
    for c in tel.channels:
        if c.quantity in ("pressure", "temperature", "injection", "ppO2", "ppCO2", "depress",
                          "vent"):
            by_module.setdefault(module_of(c, station), []).append(c)
    out = []
    for mods in station.isolated_volumes(states):
        chans = [c for m in mods for c in by_module.get(m, [])]
        p = tuple(c for c in chans if c.quantity == "pressure")
        if not p:
            continue
        vol = sum(station.module(m).volume_m3 for m in mods)
        label = "+".join(mods) if len(mods) <= 3 else f"{station.name} ({len(mods)} modules)"
        if len(mods) == len(station.module_ids):
            label = station.name
        out.append(_Group(label, tuple(mods), vol, p,
                          tuple(c for c in chans if c.quantity == "temperature"),
                          tuple(c for c in chans if c.quantity == "injection"), start,
                          tuple(notes),
                          tuple(c for c in chans if c.quantity in ("depress", "vent"))))
    if not out:
        raise EstimateError(f"{tel.path}: no pressure column maps to a module of station "
                            f"{station.name!r}")
    return out


def _hatch_id(c: Channel, station: Station) -> str:
    key = _norm(c.source)
    for h in station.hatches:
        if _norm(h.id) == key:
            return h.id
    raise TelemetryError(f"column {c.name!r}: {c.source!r} is not a hatch of station "
                         f"{station.name!r} (hatches: {', '.join(h.id for h in station.hatches)})")


def _crew(station: Station | None, modules: Sequence[str], settings: Settings) -> F:
    """Steady known sources of each species from the crew in the volume [kg/s], [4].

    As the simulator models them: O2 used and CO2 breathed out, unless the volume holds
    one of the station's life-support modules (then they are made good: no source). A
    crew given with ``--crew`` is taken as without life support.
    """
    if settings.crew is not None:
        people = [(settings.crew, O2_USE_KG_PER_DAY, CO2_OUTPUT_KG_PER_DAY)]
    elif station is not None and station.life_support_in(modules):
        people = []
    elif station is not None:
        people = [(c.count, c.o2_kg_per_day_per_person, c.co2_kg_per_day_per_person)
                  for c in station.crew if c.module in modules]
    else:
        people = []
    out = np.zeros(len(gas.SPECIES))
    for n, o2, co2 in people:
        out[gas.SPECIES.index("O2")] -= n * o2 / DAY_S
        out[gas.SPECIES.index("CO2")] += n * co2 / DAY_S
    return out


def _injection_fractions(station: Station | None, injections: Sequence[Channel],
                         default: F) -> list[F]:
    """Mass fractions of each injection's gas: the station's supply into that module,
    else the cabin gas."""
    out = []
    for c in injections:
        y = default
        if station is not None:
            module = module_of(c, station)
            y = next((np.asarray(sup.mass_fractions, dtype=float) for sup in station.supplies
                      if sup.module == module), default)
        out.append(y)
    return out


def _mass_fractions(station: Station | None, modules: Sequence[str]) -> F:
    if station is None or not modules:
        return np.asarray(gas.AIR_MASS_FRACTIONS, dtype=float)
    vols = np.array([station.module(m).volume_m3 for m in modules])
    y = np.array([station.module(m).mass_fractions for m in modules])
    return np.asarray((vols[:, None] * y).sum(axis=0) / vols.sum(), dtype=float)


def _analyze_volume(tel: Telemetry, g: _Group, station: Station | None, st: Settings
                    ) -> VolumeAnalysis:
    y = _mass_fractions(station, g.modules)
    species_source = _crew(station, g.modules, st)
    source = float(species_source.sum())
    notes = list(g.notes)
    if station is not None and st.crew is None and station.life_support_in(g.modules) and \
            any(c.module in g.modules for c in station.crew):
        notes.append("the crew's O2 use and CO2 output are made good by the life support in "
                     f"{', '.join(station.life_support_in(g.modules))}: no crew source counted")
    t_mod = (station.module(g.modules[0]).temperature_K if station and g.modules else 295.0)
    pressure = g.pressure
    if st.pressure_resolution_Pa is not None:
        pressure = tuple(replace(c, resolution=st.pressure_resolution_Pa) for c in pressure)
    if not tel.is_gauge:
        _check_live(tel, g.label, pressure)
    spans: list[tuple[float, float, str]] = []
    if g.states:
        # a planned depress (pump on, vent open) and the repress after it are known: their
        # rows are left out before the mass is formed (a cabin at vacuum has no composition)
        held = hold_last(pressure[0].values)
        spans = planned_spans(tel.time_s, [c.values for c in g.states], held,
                              [c.name for c in g.states])
        inside = np.zeros(tel.time_s.size, dtype=bool)
        for a, b, _ in spans:
            inside |= (tel.time_s >= a) & (tel.time_s <= b)
        pressure = tuple(replace(c, values=np.where(inside, np.nan, c.values))
                         for c in pressure)
    raw = mass_series(tel, pressure, g.temperature, volume_m3=g.volume_m3,
                      mole_fractions=gas.mass_to_mole_fractions(y), label=g.label,
                      modules=g.modules, injections=g.injections,
                      injection_mass_fractions=_injection_fractions(station, g.injections, y),
                      species_source_kg_per_s=species_source, pressure_sd_Pa=st.pressure_sd_Pa,
                      temperature_sd_K=st.temperature_sd_K, temperature_K=t_mod)
    if g.start_s > raw.time_s[0]:
        raw = _since(raw, g.start_s)
    if spans:
        # the planned stretches' rows are gone; their gas change is joined as known
        planned = planned_events(raw, spans)
        raw = remove_inflows(raw, planned)
        notes += [e.describe(float(tel.time_s[0])) for e in planned]
    _check_plausible(tel, g, raw, st, notes)
    if raw.temperature_note:
        notes.append(raw.temperature_note)
    prior = (default_wander_Pa_per_s(station, g.modules, tel.metadata)
             if st.wander_Pa_per_s is None else st.wander_Pa_per_s)
    if tel.is_gauge:
        prior = 0.0
    unseen_K = (st.unseen_temperature_change_K if st.unseen_temperature_change_K is not None
                else 0.0 if prior > 0 else UNSEEN_TEMPERATURE_CHANGE_K)
    if not raw.temperature_compensated:
        notes.append(f"no temperature record: an unseen change of {unseen_K:g} K (1σ) over "
                     "the record is counted in the intervals" if unseen_K > 0 else
                     "no temperature record: the cabin's thermal swings are counted in the "
                     "wander of normal operations (measured on records without temperature)")
    ms = raw if tel.is_gauge else bin_series(raw, _bin_width(tel, st))
    detection = dp = None
    onset = None
    onsets: list[float] = []
    background, fit_ms = st.background_kg_per_s, ms
    wander = None
    if not tel.is_gauge and len(ms) >= 8:
        kg_per_pa = g.volume_m3 / (ms.gas_constant * float(np.mean(ms.temperature_K)))
        wander = _wander(ms, prior * kg_per_pa, st.wander_time_s)
        inflows = find_inflows(ms, wander)
        if inflows:
            ms = remove_inflows(ms, inflows)
            notes += [f.describe(float(raw.time_s[0])) for f in inflows]
            wander = _wander(ms, prior * kg_per_pa, st.wander_time_s)
        if wander.wander_seen:
            notes.append(wander.describe())
        if prior > 0:
            notes.append(f"normal operations are taken to move the pressure rate by "
                         f"{prior / MMHG_PA * HOUR_S:.2g} mmHg/h (1σ, "
                         f"{prior * kg_per_pa * DAY_S:.2g} kg/day) over "
                         f"{st.wander_time_s / HOUR_S:g} h where the record cannot show it "
                         "(--wander to change)")
        detection, onsets, background, segment_s = _changes(ms, st, wander)
        if onsets:
            onset = onsets[-1]
            fit_ms = _since(ms, segment_s) if segment_s > ms.time_s[0] else ms
        if len(onsets) > 1:
            notes.append("the outflow rose more than once: at "
                         + ", ".join(f"{(t - ms.time_s[0]) / HOUR_S:.1f} h" for t in onsets)
                         + f"; the last leak is sized on top of the {background * DAY_S:.3g} "
                         "kg/day before it")
        # the combined pressure of every row (before binning) for the fast alarm
        dp = dpdt_alarm(raw.time_s, raw.pressure_Pa)
    laws = compare_laws(fit_ms, onset_s=onset, background_kg_per_s=background, wander=wander)
    fit = laws.best
    track = track_rate(ms, resets=() if onset is None else (onset,))
    # the state now: mean temperature over the last 90 minutes (one thermal cycle)
    t_end = float(ms.time_s[-1])
    recent = ms.time_s >= t_end - 5400.0
    temp_now = float(np.mean(ms.temperature_K[recent]))
    added_now = float(ms.added_kg[-1])
    m_now = fit.mass_end_kg + added_now
    r = ms.gas_constant  # of the gas at the last sample
    p_now = m_now * r * temp_now / g.volume_m3
    phi = float(flux_term(fit.law, np.array([p_now]), np.array([temp_now]), r)[0])
    lo_th, hi_th = fit.theta - Z95 * fit.theta_sd, fit.theta + Z95 * fit.theta_sd
    bg = background  # the record's total outflow: what leaked before plus this leak
    q = Interval(bg + fit.theta * phi, bg + lo_th * phi, bg + hi_th * phi)
    dpdt = q.scaled(r * temp_now / g.volume_m3)  # does not depend on the volume
    y_now = (gas.mole_to_mass_fractions(ms.mole_fractions_end)
             if ms.mole_fractions_end is not None else y)
    gamma = float(gas.gamma_mixture(y_now, temp_now))
    cda = Interval(*(float(fit.cd_area_m2(p_now, temp_now, th, gamma)) for th in
                     (fit.theta, lo_th, hi_th)))  # of this leak, the background apart
    fc_fit = fit
    if not ms.temperature_compensated:
        # an unseen ΔT over the fitted span reads as m·ΔT/(T·span) of leak. The record's
        # wander (measured, or assumed for an operating station) already holds the
        # temperature changes it shows or stands for: only what exceeds it is added
        span = max(t_end - fit.onset_s, 1.0)
        unseen = m_now / temp_now * unseen_K / span
        wandered = wander.span_sd_kg_per_s(span) if wander is not None else 0.0
        extra = math.sqrt(max(unseen**2 - wandered**2, 0.0))
        rel = extra / max(abs(q.value), 1e-300)
        q, dpdt, cda = (with_relative_error(i, rel) for i in (q, dpdt, cda))
        # ... and so does the pressure rate the forecasts carry on (the volume's error
        # does not: it scales the mass and its rate alike and leaves dp/dt alone)
        fc_fit = with_theta_error(fit, rel * abs(fit.theta))
    # mass rates and Cd·A scale with the volume; its error widens them in quadrature
    q = with_relative_error(q, st.volume_rel_sd)
    cda = with_relative_error(cda, st.volume_rel_sd)
    if st.volume_rel_sd == 0:
        notes.append("the volume is taken as exact: an error of x % in it moves the kg/day "
                     "and Cd·A by the same x % (see --volume-uncertainty)")
    cd = st.discharge_coefficient
    # an area is never negative: a flat or rising record is "no leak", bounded above
    cda = Interval(*(max(a, 0.0) for a in (cda.value, cda.low, cda.high)))
    hole = Interval(*(float(equivalent_diameter(a, cd)) for a in
                      (cda.value, cda.low, cda.high)))
    detected = (detection.alarm if detection is not None
                else q.low > st.background_kg_per_s)
    if not detected:
        notes.append(settle_note(q, fit, wander))
    fc = forecast(fc_fit, time_now_s=t_end, added_now_kg=added_now, temperature_K=temp_now,
                  mole_fractions=ms.mole_fractions_end if ms.mole_fractions_end is not None
                  else gas.mass_to_mole_fractions(y),
                  species_source_kg_per_s=species_source, floor_Pa=st.floor_Pa,
                  ppO2_floor_Pa=st.ppO2_floor_Pa, inventory_kg=st.inventory_kg, rng=st.seed)
    # gas to hold pressure is never negative: a rising record needs none for the leak
    fc = replace(fc, gas_per_day_kg={k: Interval(*(max(x, 0.0) for x in
                                                   (i.value, i.low, i.high)))
                                     for k, i in fc.gas_per_day_kg.items()})
    fit_t, fit_p = _fit_band(ms, fit, st.seed)
    return VolumeAnalysis(series=ms, detection=detection, dpdt=dp, laws=laws, track=track,
                          leak_rate_kg_per_s=q, pressure_rate_Pa_per_s=dpdt,
                          effective_area_m2=cda, hole_diameter_m=hole, discharge_coefficient=cd,
                          leak_detected=bool(detected), onset_s=onset, forecast=fc,
                          fit_time_s=fit_t, fit_pressure_Pa=fit_p, crew_source_kg_per_s=source,
                          notes=tuple(notes), wander=wander)


# Cabin pressures of crewed volumes, from Skylab's and Apollo's 5 psi (259 mmHg) to a
# ground test at half an atmosphere over ambient; a record whose median is outside reads
# in another unit or is not a cabin's.
PLAUSIBLE_CABIN_PA = (150 * MMHG_PA, 1.5 * 101325.0)


def _check_live(tel: Telemetry, label: str, pressure: Sequence[Channel]) -> None:
    """A pressure record must have readings, and they must move: a stuck channel (or a
    channel the sensor never updated) cannot show a leak."""
    for c in pressure:
        if not np.isfinite(c.values).any():
            raise EstimateError(f"{tel.path}: pressure column {c.name!r} has no usable "
                                "reading (all empty, dropouts or impossible values)")
    if all(np.ptp(c.values[np.isfinite(c.values)]) == 0 for c in pressure):
        names = ", ".join(repr(c.name) for c in pressure)
        raise EstimateError(f"{tel.path}: the pressure of {label} ({names}) never changes "
                            f"over {len(tel.time_s)} rows: a stuck or constant channel "
                            "cannot show a leak; expected a live pressure record")


def _check_plausible(tel: Telemetry, g: _Group, ms: MassSeries, st: Settings,
                     notes: list[str]) -> None:
    """Refuse a record whose pressure cannot be a crewed cabin's; note one already
    below its floor."""
    p_mid = float(np.median(ms.pressure_Pa))
    lo, hi = PLAUSIBLE_CABIN_PA
    if not lo <= p_mid <= hi:
        names = ", ".join(c.name for c in g.pressure)
        unit = g.pressure[0].unit if g.pressure else "?"
        raise EstimateError(
            f"{tel.path}: {names} reads {p_mid / MMHG_PA:.4g} mmHg ({p_mid / 6894.757:.3g} "
            f"psi) at its median, not a crewed cabin's pressure ({lo / MMHG_PA:.0f} to "
            f"{hi / MMHG_PA:.0f} mmHg): is the column's unit ({unit}) right?")
    if st.floor_Pa is not None and float(ms.pressure_Pa[-1]) < st.floor_Pa:
        notes.append(f"the pressure is already below the floor of {st.floor_Pa / MMHG_PA:.0f} "
                     f"mmHg ({float(ms.pressure_Pa[-1]) / MMHG_PA:.1f} mmHg at the last "
                     "sample)")


def _wander(ms: MassSeries, prior_kg_per_s: float, prior_time_s: float) -> RateNoise:
    """The record's measured outflow wander, with the assumed operational one as a floor."""
    rn = rate_noise(ms.time_s, ms.mass_kg, ms.mass_sd_kg)
    return rn.with_prior(prior_kg_per_s, prior_time_s) if prior_kg_per_s > 0 else rn


def _since(ms: MassSeries, start_s: float) -> MassSeries:
    return ms.select(ms.time_s >= start_s)


def _until(ms: MassSeries, end_s: float) -> MassSeries:
    return ms.select(ms.time_s <= end_s)


MAX_CHANGES = 4  # rises of the outflow looked for in one record


def _wls_rate(ms: MassSeries) -> float:
    """The mean outflow of a series [kg/s]: minus the weighted least-squares slope."""
    w = 1.0 / ms.mass_sd_kg
    return float(-np.polyfit(ms.time_s - ms.time_s[0], ms.mass_kg, 1, w=w)[0])


def _changes(ms: MassSeries, st: Settings, wander: RateNoise | None = None
             ) -> tuple[Detection, list[float], float, float]:
    """Every rise of the outflow, the test re-armed after each alarm (offline).

    After an alarm the regime's own outflow (from its onset to the end of the record)
    becomes the baseline, and the test runs on from the alarm for a further rise; a
    leak that grows, or a new one on top of a background, is then sized from its own
    onset. Returns the last alarm's detection, the onsets, the outflow before the last
    onset [kg/s] and where the last leak's fit starts (the onset before it) [s].
    """
    t0 = float(ms.time_s[0])
    first = detect_leak(ms.time_s, ms.mass_kg, ms.mass_sd_kg,
                        background_kg_per_s=st.background_kg_per_s,
                        false_alarms_per_year=st.false_alarms_per_year, wander=wander)
    if not first.alarm or first.onset_time_s is None:
        return first, [], st.background_kg_per_s, t0
    onsets = [_refine_onset(ms, first, st.background_kg_per_s)]
    last = replace(first, onset_time_s=onsets[0])
    background, segment = st.background_kg_per_s, t0
    search_from = float(first.alarm_time_s or onsets[0])
    for _ in range(MAX_CHANGES - 1):
        regime = _since(ms, onsets[-1])
        later = _since(ms, search_from)
        if len(regime) < 8 or len(later) < 16:
            break
        # the regime's own leak, as the hole law fitted from its onset, is taken out so
        # that only a further rise is left to find (a constant rate would read a hole's
        # falling outflow as a rise and fall)
        law = fit_law(regime, "orifice", onset_s=onsets[-1], background_kg_per_s=background)
        sel = regime.time_s >= search_from
        x = law_integral(regime, "orifice", onsets[-1],
                         np.ones(regime.time_s.size, dtype=bool))[sel]
        span = regime.time_s[sel] - regime.time_s[0]
        det = detect_leak(later.time_s, later.mass_kg + law.theta * x + background * span,
                          later.mass_sd_kg, background_kg_per_s=0.0,
                          false_alarms_per_year=st.false_alarms_per_year, wander=wander)
        if not det.alarm or det.onset_time_s is None:
            break
        before = _since(ms, onsets[-1])
        new = _refine_onset(before, det, 0.0, free_background=True)
        if new <= onsets[-1]:
            break
        head = _until(before, new)
        if len(head) < 4:  # too little between the two rises to tell them apart
            break
        segment = onsets[-1]
        background = _wls_rate(head)
        onsets.append(new)
        last = replace(det, onset_time_s=new)
        search_from = float(det.alarm_time_s or new)
    return last, onsets, background, segment


def _refine_onset(ms: MassSeries, detection: Detection, background_kg_per_s: float,
                  free_background: bool = False) -> float:
    """The change point by profile likelihood near the sequential test's estimate."""
    assert detection.onset_time_s is not None
    width = max(2.0 * detection.block_s, 4.0 * float(np.median(np.diff(ms.time_s))))
    lo = detection.onset_time_s - width
    hi = min(detection.onset_time_s + width, detection.alarm_time_s or math.inf)
    grid = ms.time_s[(ms.time_s >= lo) & (ms.time_s <= hi)]
    if grid.size == 0:
        return detection.onset_time_s
    cands = np.unique(np.concatenate([grid, 0.5 * (grid[1:] + grid[:-1])]))
    return best_onset(ms, cands, background_kg_per_s=background_kg_per_s,
                      free_background=free_background)


def _fit_band(ms: MassSeries, fit: LawFit, seed: int) -> tuple[F, F]:
    """The fitted pressure over the record with its 95 % band (parameter draws)."""
    sel = ms.time_s >= fit.start_s
    t = ms.time_s[sel]
    temp = ms.temperature_K[sel]
    r = ms.gas_constant if ms.gas_constant_series is None else ms.gas_constant_series[sel]
    x = law_integral(ms, fit.law, fit.onset_s, sel)
    rng = np.random.default_rng(seed)
    draws = rng.multivariate_normal([fit.m0_kg, fit.theta], fit.cov, size=400)
    m = (draws[:, :1] - draws[:, 1:] * x[None, :] + ms.added_kg[sel][None, :]
         - fit.background_kg_per_s * (t - t[0])[None, :])
    p = m * r * temp[None, :] / fit.volume_m3
    return t, np.percentile(p, [2.5, 50.0, 97.5], axis=0)
