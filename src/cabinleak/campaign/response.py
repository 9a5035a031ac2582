"""The crew-response model: from a hole to the crew's outcome, for many scenarios at once.

Every rule below is a parameter of :class:`~cabinleak.campaign.spec.ResponseParams`; its
default is cited or marked as an assumption.

Pressures (the gas network's closed form)
    With every hatch open the station is one cell of volume V at one pressure, and a hole
    of effective area Cd·A to vacuum is choked: ṁ = Cd·A·Ψ·p/sqrt(R·T), so
    p(t) = p₀·exp(−c·t), c = Cd·A·Ψ·sqrt(R·T)/V (Shapiro 1953, Eq. 4.17; the isothermal
    blowdown of ``simulate.closed_form``, which ``simulate(model="auto")`` uses for one
    cell). Once the leaking module is isolated the rest of the station holds its pressure
    and the module alone decays with c_m = Cd·A·Ψ·sqrt(R·T)/V_m until the patch.
    ``tests/test_campaign_response.py`` checks both phases against ``simulate``. The
    localization tests' own hatch closures are not played on the pressures (the leak is
    taken at the all-open rate throughout the search, which loses slightly more gas).
Alarm
    The first of: the leak test of ``estimate.detect`` at its expected delay for the
    leak's initial rate (``design_leak_test(...).expected_delay_s``, Siegmund's ARL₁ of
    the CUSUM bank) on the station's gas mass, whose 1σ per sample is V·σ_p/(R·T) with
    σ_p = sqrt(noise² + step²/12) of the station's pressure sensors averaged over their
    number (an approximation: the sensors as one mean gauge); the absolute low-pressure
    caution (default 959 mbar, the bottom of Columbus's design range, CNES Cardiolab;
    an assumption that the station alarms there); and the emergency dP/dt alarm (default
    0.5 mmHg/min, the Russian segment's emergency threshold, V. Solovyov via RIA 2021)
    after ``dpdt_alarm_delay`` (assumption, 1 min).
Crew action
    The crew acts ``action_delay_awake`` (assumption, 5 min) or ``action_delay_asleep``
    (assumption, 15 min: waking, gathering) after the alarm.
Reserve time and the decision
    As crews compute it: the time to reach the floor at the current rate,
    T_r = (p − p_floor)/|dp/dt| (ISS emergency procedure: compute dP/dt and the reserve
    time before evacuating; Cristoforetti 2013, NASA ISS reference guide, ECLSS chapter).
    The floor (default 490 mmHg) is an assumption: the ISS's Treserve end point is not
    public. The crew isolates and searches while T_r ≥ ``evacuate_below_reserve``
    (assumption, 1 h) and go to the escape vehicles once it falls below, before the leak
    is isolated.
Search, isolation, patch
    The localization campaign of the chosen policy (:mod:`.locate_table`); then the crew
    closes the leaking module's hatches one after another (``hatch_close`` each,
    assumption 2 min; crews take minutes per hatch, as ``locate.policy.SETUP_S``) and
    patches the hole after ``patch`` (assumption, 1 h).
Evacuation
    The crew reach the vehicles ``to_vehicle`` (assumption, 10 min) after deciding, plus one
    hatch closure. The escape vehicle is lost to the crew when the hole is in it and the
    seats left are fewer than the crew.
Outcomes and their classes (most severe first)
    crew exposed below the floor (the crew's volume was below the floor before they were
    safe: leak isolated, or in the vehicles); loss of escape vehicle; evacuation; nominal
    (including leaks the alarms miss within the horizon). Gas lost: to the patch on the
    nominal path; to the horizon after an evacuation or for a missed leak (nobody patches
    the hole). Lowest pressures: in the crew's volume (the station, or the vehicles they
    sealed themselves in), in the leaking volume, and in the escape vehicles.

Not modelled (yet)
    The crew's location is drawn and recorded but does not change the response; the
    search's own hatch closures do not change the pressures; repressurization from tanks;
    a search that names the wrong module (recorded as ``located`` False, the time kept).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from cabinleak.campaign.locate_table import LocateTable
from cabinleak.campaign.spec import CampaignSpec, ResponseParams
from cabinleak.physics import gas
from cabinleak.physics.flow import choked_flux_factor
from cabinleak.station import Station

F = NDArray[np.float64]
B = NDArray[np.bool_]

OUTCOMES = ("nominal", "evacuation", "loss of escape vehicle", "crew exposed below floor")
NOMINAL, EVACUATION, LOSS_OF_VEHICLE, EXPOSED = range(4)
#: The outcome columns, in the order of the Parquet columns; ``alt_*`` are the comparison
#: policy's on the same scenario.
OUTCOME_COLUMNS = ("rate_kg_per_day", "detected", "time_to_detect_s", "reserve_at_action_s",
                   "time_to_locate_s", "located", "evacuated", "time_to_safe_s",
                   "gas_lost_kg", "min_p_crew_Pa", "min_p_leak_Pa", "min_p_vehicle_Pa",
                   "time_below_floor_s", "reached_vehicle", "leak_in_vehicle", "outcome",
                   "alt_time_to_locate_s", "alt_evacuated", "alt_gas_lost_kg", "alt_outcome",
                   "error")
_DELAY_GRID = 80  # points of the detector's delay table (log rate)
#: Where each default of :class:`ResponseParams` comes from (the report lists them).
PARAMETER_SOURCES = {
    "floor_Pa": "assumption: 490 mmHg; the ISS reserve-time end point is not public",
    "evacuate_below_reserve_s": "assumption (1 h); the procedure computes the reserve time "
                                "before deciding to evacuate (Cristoforetti 2013; NASA ISS "
                                "reference guide, ECLSS)",
    "low_pressure_alarm_Pa": "Columbus design range floor, 959 mbar (CNES Cardiolab); "
                             "assumption that the station alarms there",
    "dpdt_alarm_Pa_per_s": "Russian segment emergency dP/dt from 0.5 mmHg/min (V. Solovyov "
                           "via RIA, 2021)",
    "dpdt_alarm_delay_s": "assumption (1 min)",
    "false_alarms_per_year": "estimate.detect's default design (1 per year)",
    "pressure_sd_Pa": "the station's pressure sensors (noise and step) when not given",
    "action_delay_awake_s": "assumption (5 min)",
    "action_delay_asleep_s": "assumption (15 min: waking, gathering)",
    "hatch_close_s": "assumption (2 min per hatch; locate.policy.SETUP_S: minutes per hatch)",
    "to_vehicle_s": "assumption (10 min)",
    "patch_s": "assumption (1 h)",
    "horizon_s": "assumption (30 days): missed leaks and evacuations count gas to it",
    "locate_replicates": "searches played per module and rate for the lookup",
}


@dataclass(frozen=True)
class StationGas:
    """What the closed form needs of the station: one isothermal air at its start state."""

    volume_m3: float  # all modules [m³]
    pressure_Pa: float  # volume-weighted start pressure [Pa]
    rt_J_per_kg: float  # R·T [J/kg]
    psi: float  # choked flux factor Ψ(γ) [-]
    module_volume_m3: F  # [n]
    module_hatches: NDArray[np.intp]  # open hatches of each module [n]
    vehicle_of_module: NDArray[np.intp]  # escape vehicle index or -1 [n]
    vehicle_seats: NDArray[np.intp]  # [V]
    crew_size: int


def station_gas(station: Station, spec: CampaignSpec) -> StationGas:
    vol = np.array([m.volume_m3 for m in station.modules])
    p = np.array([m.pressure_Pa for m in station.modules])
    t = float(vol @ np.array([m.temperature_K for m in station.modules]) / vol.sum())
    y = station.modules[0].mass_fractions
    r = float(gas.gas_constant(y))
    psi = float(choked_flux_factor(gas.gamma_mixture(y, t)))
    ids = station.module_ids
    hatches = np.zeros(len(ids), dtype=np.intp)
    for h in station.hatches:
        if h.open:
            for m in (h.a, h.b):
                hatches[ids.index(m)] += 1
    veh = np.full(len(ids), -1, dtype=np.intp)
    for k, v in enumerate(spec.vehicles):
        for m in v.modules:
            veh[ids.index(m)] = k
    return StationGas(float(vol.sum()), float(vol @ p / vol.sum()), r * t, psi, vol,
                      hatches, veh, np.array([v.seats for v in spec.vehicles], dtype=np.intp),
                      spec.crew.size)


@dataclass(frozen=True)
class DelayTable:
    """The leak test's expected delay against the leak rate, on a log grid."""

    log_rate: F  # ln [kg/s]
    log_delay: F  # ln [s] (inf where the test does not find the leak)
    mass_sd_kg: float
    sample_s: float

    def delay_s(self, rate_kg_per_s: F) -> F:
        x = np.log(np.maximum(rate_kg_per_s, 1e-300))
        out = np.exp(np.interp(x, self.log_rate, self.log_delay))
        # below the grid the test is not designed to find the leak; above, its fastest
        return np.asarray(np.where(x < self.log_rate[0], np.inf, out))


def detector_table(station: Station, gasx: StationGas, params: ResponseParams) -> DelayTable:
    """Expected alarm delays of ``estimate.detect``'s leak test on the whole station."""
    from cabinleak.estimate.detect import design_leak_test

    sensors = [s for s in station.sensors if s.quantity == "pressure"]
    if params.pressure_sd_Pa is not None or not sensors:
        sd_p = params.pressure_sd_Pa or 0.05 * 133.322387415
        sample_s = 1.0
    else:
        var = np.mean([s.noise_sd**2 + s.resolution**2 / 12.0 for s in sensors])
        sd_p = math.sqrt(var / len(sensors))
        sample_s = min(1.0 / s.rate_Hz for s in sensors)
    mass_sd = gasx.volume_m3 * sd_p / gasx.rt_J_per_kg
    design = design_leak_test(mass_sd, sample_s,
                              false_alarms_per_year=params.false_alarms_per_year)
    rates = np.geomspace(design.min_rate_kg_per_s, design.max_rate_kg_per_s * 10, _DELAY_GRID)
    delay = np.array([design.expected_delay_s(float(q)) for q in rates])
    delay = np.minimum.accumulate(np.where(np.isfinite(delay) & (delay > 0), delay, np.inf))
    return DelayTable(np.log(rates), np.log(delay), mass_sd, sample_s)


@dataclass(frozen=True)
class Outcomes:
    """One policy's outcomes for a batch of scenarios (arrays of equal length)."""

    rate_kg_per_day: F
    detected: B
    time_to_detect_s: F
    reserve_at_action_s: F
    time_to_locate_s: F
    located: B
    evacuated: B
    time_to_safe_s: F
    gas_lost_kg: F
    min_p_crew_Pa: F
    min_p_leak_Pa: F
    min_p_vehicle_Pa: F
    time_below_floor_s: F
    reached_vehicle: B
    leak_in_vehicle: B
    outcome: NDArray[np.int8]


def respond(module: NDArray[np.integer], cd_area_m2: F, asleep: B, draw: NDArray[np.integer],
            gasx: StationGas, delays: DelayTable, table: LocateTable, policy: int,
            params: ResponseParams) -> Outcomes:
    """Play the response (see the module docstring) for every scenario at once."""
    pr = params
    sqrt_rt = math.sqrt(gasx.rt_J_per_kg)
    p0 = gasx.pressure_Pa
    k = cd_area_m2 * gasx.psi  # ṁ = k·p/sqrt(RT)
    c_s = k * sqrt_rt / gasx.volume_m3  # [1/s]
    v_m = gasx.module_volume_m3[module]
    c_m = k * sqrt_rt / v_m
    q0 = k * p0 / sqrt_rt
    mass_per_pa = gasx.volume_m3 / gasx.rt_J_per_kg  # station [kg/Pa]
    horizon = pr.horizon_s

    def p_at(t: F) -> F:
        return np.asarray(p0 * np.exp(-c_s * t))

    def t_at(p_x: float | F) -> F:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray(np.where(np.asarray(p_x) < p0, np.log(p0 / p_x) / c_s, 0.0))

    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        t_test = delays.delay_s(q0)
        t_low = t_at(pr.low_pressure_alarm_Pa)
        t_dpdt = np.where(c_s * p0 >= pr.dpdt_alarm_Pa_per_s, pr.dpdt_alarm_delay_s, np.inf)
        t_alarm = np.minimum(np.minimum(t_test, t_low), t_dpdt)
        detected = t_alarm <= horizon
        t_act = t_alarm + np.where(asleep, pr.action_delay_asleep_s, pr.action_delay_awake_s)
        p_act = p_at(t_act)
        reserve = (p_act - pr.floor_Pa) / (c_s * p_act)
        # reserve < threshold ⇔ p < floor/(1 − c·threshold) (always, where c·threshold ≥ 1)
        ct = c_s * pr.evacuate_below_reserve_s
        p_trig = np.where(ct < 1.0, pr.floor_Pa / np.where(ct < 1.0, 1.0 - ct, 1.0), np.inf)
        t_trig = np.where(np.isfinite(p_trig), t_at(p_trig), 0.0)
        search, correct = table.lookup(policy, module, q0 * 86400.0, draw)
        t_iso = t_act + search + gasx.module_hatches[module] * pr.hatch_close_s
        evac = detected & (t_trig < t_iso)
        t_evac = np.maximum(t_act, t_trig)
        t_safe_evac = t_evac + pr.to_vehicle_s + pr.hatch_close_s
        t_safe = np.where(~detected, horizon, np.where(evac, t_safe_evac, t_iso))
        p_safe = p_at(np.minimum(t_safe, horizon))
        # the leaking module after isolation, until the patch
        p_leak_patch = p_safe * np.exp(-c_m * pr.patch_s)
        nominal_path = detected & ~evac
        p_h = p_at(np.full_like(c_s, horizon))
        gas_lost = np.where(
            nominal_path,
            (p0 - p_safe) * mass_per_pa + (p_safe - p_leak_patch) * v_m / gasx.rt_J_per_kg,
            (p0 - p_h) * mass_per_pa)
        min_p_leak = np.where(nominal_path, p_leak_patch, p_h)
        t_floor = t_at(pr.floor_Pa)
        below = np.maximum(np.minimum(t_safe, horizon) - t_floor, 0.0)
        vehicle = gasx.vehicle_of_module[module]
        in_vehicle = vehicle >= 0
        seats_left = gasx.vehicle_seats.sum() - np.where(
            in_vehicle, gasx.vehicle_seats[np.maximum(vehicle, 0)], 0)
        lev = evac & in_vehicle & (seats_left < gasx.crew_size)
        min_p_vehicle = np.where(in_vehicle, min_p_leak, p_safe)
    outcome = np.full(len(module), NOMINAL, dtype=np.int8)
    outcome[evac] = EVACUATION
    outcome[lev] = LOSS_OF_VEHICLE
    outcome[below > 0] = EXPOSED
    nan = np.nan
    return Outcomes(
        rate_kg_per_day=q0 * 86400.0, detected=detected,
        time_to_detect_s=np.where(detected, t_alarm, nan),
        reserve_at_action_s=np.where(detected, reserve, nan),
        time_to_locate_s=np.where(nominal_path, search, nan),
        located=nominal_path & correct, evacuated=evac,
        time_to_safe_s=np.where(detected, t_safe, nan), gas_lost_kg=gas_lost,
        min_p_crew_Pa=p_safe, min_p_leak_Pa=min_p_leak, min_p_vehicle_Pa=min_p_vehicle,
        time_below_floor_s=below, reached_vehicle=evac & ~lev, leak_in_vehicle=in_vehicle,
        outcome=outcome)
