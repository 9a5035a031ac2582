"""Ground acceptance pressure-decay test of a sealed vehicle, and the fleet it belongs to.

The practice followed is ASTM E2930 (*Standard Practice for Pressure Decay Leak Test
Method*) as the project's reference notes summarise it: the leak is the change of the gas
mass m = p·V/(R·T) computed from the measured pressure and temperature over time; the
pressure instrument's resolution should be 10 times finer, and the measurement's
uncertainty 4 times finer, than the specified leak rate; the total pressure change should
stay below 10 % of the starting pressure. The practice is not for deformable vessels,
and neither is this module: V is taken as constant.

>>> import numpy as np
>>> from cabinleak.telemetry import Channel, Telemetry
>>> t = np.arange(0.0, 8 * 3600.0 + 1, 60.0)
>>> m = 12.7 - 0.02 / 86400 * t                           # a 0.02 kg/day leak [kg]
>>> p = m * 288.2 * 293.15 / 10.6                         # [Pa], constant 20 °C
>>> tel = Telemetry("v.csv", t, (Channel("v_pressure_kPa", "v", "pressure", "kPa", p, 10.0),
...                              Channel("v_T_C", "v", "temperature", "C",
...                                      np.full_like(t, 293.15), 0.01)))
>>> r = acceptance_test(tel, volume_m3=10.6, spec_kg_per_s=0.1 / 86400, gas_constant=288.2)
>>> r.verdict, round(r.leak_rate_kg_per_s * 86400, 4)
('PASS', 0.02)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from scipy import optimize, stats

from cabinleak.errors import UnitError
from cabinleak.estimate.checks import EstimateError
from cabinleak.estimate.mass import F, MassSeries, mass_series
from cabinleak.physics.gas import R_AIR
from cabinleak.physics.units import DAY_S, MMHG_PA, format_duration, parse_quantity
from cabinleak.telemetry import Telemetry

__all__ = ["AcceptanceCheck", "AcceptanceResult", "acceptance_test"]

Verdict = Literal["PASS", "FAIL", "INCONCLUSIVE"]
VERDICTS: tuple[Verdict, ...] = ("PASS", "FAIL", "INCONCLUSIVE")

RESOLUTION_FRACTION = 0.1  # resolution ≤ spec/10 (ASTM E2930)
UNCERTAINTY_FRACTION = 0.25  # expanded uncertainty ≤ spec/4 (ASTM E2930)
MAX_PRESSURE_CHANGE = 0.10  # total change < 10 % of the starting pressure (ASTM E2930)
MDL_BETA = 0.05  # chance of missing a leak the size of the MDL


def kgd(kg_per_s: float) -> str:
    """A mass rate in kg/day with four decimals (leak-test rates are hundredths)."""
    return f"{kg_per_s * DAY_S:.4f} kg/day"


def json_float(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


@dataclass(frozen=True)
class AcceptanceCheck:
    """One ASTM E2930 requirement, its number and whether the test met it.

    ``value`` and ``limit`` are SI in ``unit`` (``kg/s``, ``1`` for a fraction, ``K``);
    ``limit`` is None for a check with no numeric bound.
    """

    name: str
    value: float
    limit: float | None
    unit: str
    passed: bool
    detail: str

    def __str__(self) -> str:
        return f"{'pass' if self.passed else 'FAIL'}  {self.name}: {self.detail}"

    def to_dict(self) -> dict[str, Any]:
        scale, unit = (DAY_S, "kg/day") if self.unit == "kg/s" else (1.0, self.unit)
        return {"name": self.name, "passed": self.passed, "unit": unit,
                "value": json_float(self.value * scale),
                "limit": None if self.limit is None else json_float(self.limit * scale),
                "detail": self.detail}


@dataclass(frozen=True)
class AcceptanceResult:
    """The outcome of one pressure-decay acceptance test.

    Rates are leaks [kg/s], positive when gas is lost; ``leak_rate_low``/``_high`` bound
    the two-sided interval at ``confidence``. Pressures [Pa], temperatures [K].
    """

    name: str
    vehicle: str
    path: str
    volume_m3: float
    gas_constant: float  # [J/(kg·K)]
    duration_s: float
    n_samples: int
    start_pressure_Pa: float
    end_pressure_Pa: float
    start_temperature_K: float
    end_temperature_K: float
    temperature_compensated: bool
    leak_rate_kg_per_s: float
    leak_rate_low: float
    leak_rate_high: float
    confidence: float
    coverage_factor: float  # k: half-width = k·combined_sd
    statistical_sd: float  # 1σ of the fitted slope, Birge-inflated [kg/s]
    systematic_sd: float  # 1σ from sensor accuracy treated as drift [kg/s]
    reduced_chi2: float
    uncompensated_kg_per_s: float  # pressure only, at the mean temperature
    spec_kg_per_s: float
    mdl_kg_per_s: float
    checks: tuple[AcceptanceCheck, ...]
    verdict: Verdict
    reason: str
    required_duration_s: float | None  # how long a valid test would be, when (a)/(b) failed
    warnings: tuple[str, ...] = ()

    @property
    def combined_sd(self) -> float:
        """Combined standard uncertainty of the leak rate [kg/s]."""
        return math.hypot(self.statistical_sd, self.systematic_sd)

    @property
    def expanded_uncertainty(self) -> float:
        """Half-width of the interval at ``confidence`` [kg/s]."""
        return self.coverage_factor * self.combined_sd

    @property
    def temperature_bias_kg_per_s(self) -> float:
        """What ignoring temperature would have added to the leak rate [kg/s]."""
        return self.uncompensated_kg_per_s - self.leak_rate_kg_per_s

    @property
    def pressure_change(self) -> float:
        """(end − start)/start pressure [-]."""
        return (self.end_pressure_Pa - self.start_pressure_Pa) / self.start_pressure_Pa

    def __str__(self) -> str:
        pct = f"{self.confidence * 100:g} %"
        dT = self.end_temperature_K - self.start_temperature_K
        who = "" if self.vehicle == self.name else f" (vehicle {self.vehicle})"
        lines = [
            f"pressure-decay acceptance test {self.name}{who}",
            f"  volume {self.volume_m3:g} m³, {format_duration(self.duration_s)}, "
            f"{self.n_samples} samples",
            f"  pressure {self.start_pressure_Pa / MMHG_PA:.2f} → "
            f"{self.end_pressure_Pa / MMHG_PA:.2f} mmHg ({self.pressure_change * 100:+.2f} %)"
            + (f", temperature {self.start_temperature_K - 273.15:.2f} → "
               f"{self.end_temperature_K - 273.15:.2f} °C ({dT:+.2f} K)"
               if self.temperature_compensated else ", no temperature record"),
            f"  leak rate      {kgd(self.leak_rate_kg_per_s)}  "
            f"[{self.leak_rate_low * DAY_S:.4f}, {self.leak_rate_high * DAY_S:.4f}] ({pct})"
            + ("" if self.temperature_compensated else "  NOT temperature-compensated"),
            f"  uncompensated  {kgd(self.uncompensated_kg_per_s)}  (temperature would have "
            f"shifted it by {self.temperature_bias_kg_per_s * DAY_S:+.4f} kg/day)",
            f"  spec           {kgd(self.spec_kg_per_s)}   "
            f"MDL {kgd(self.mdl_kg_per_s)}",
            "  checks:",
            *(f"    {c}" for c in self.checks),
            f"  verdict {self.verdict}: {self.reason}",
            *(f"  warning: {w}" for w in self.warnings),
        ]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe summary; rates in kg/day, pressures in Pa, temperatures in K."""
        return {
            "name": self.name, "vehicle": self.vehicle, "path": self.path,
            "volume_m3": self.volume_m3, "gas_constant_J_per_kg_K": self.gas_constant,
            "duration_s": self.duration_s, "n_samples": self.n_samples,
            "start_pressure_Pa": self.start_pressure_Pa,
            "end_pressure_Pa": self.end_pressure_Pa,
            "start_temperature_K": json_float(self.start_temperature_K),
            "end_temperature_K": json_float(self.end_temperature_K),
            "temperature_compensated": self.temperature_compensated,
            "leak_rate_kg_per_day": {"value": self.leak_rate_kg_per_s * DAY_S,
                                     "low": self.leak_rate_low * DAY_S,
                                     "high": self.leak_rate_high * DAY_S},
            "confidence": self.confidence, "coverage_factor": self.coverage_factor,
            "statistical_sd_kg_per_day": self.statistical_sd * DAY_S,
            "systematic_sd_kg_per_day": self.systematic_sd * DAY_S,
            "reduced_chi2": json_float(self.reduced_chi2),
            "uncompensated_kg_per_day": self.uncompensated_kg_per_s * DAY_S,
            "spec_kg_per_day": self.spec_kg_per_s * DAY_S,
            "mdl_kg_per_day": self.mdl_kg_per_s * DAY_S,
            "checks": [c.to_dict() for c in self.checks],
            "verdict": self.verdict, "reason": self.reason,
            "required_duration_s": json_float(self.required_duration_s),
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class _Slope:
    value: float  # d(mass)/dt [kg/s]
    sd: float  # 1σ, inflated by √χ²_ν when that exceeds 1
    reduced_chi2: float


def _wls_slope(t: F, y: F, sd: F) -> _Slope:
    """Weighted least-squares slope of y(t) and its standard error.

    Weights are 1/σ²; with σ = 0 anywhere (a noiseless record) ordinary least squares is
    used with the scatter of the residuals as σ. When the reduced χ² exceeds 1 the
    standard error is multiplied by √χ²_ν (the Birge ratio), so a misfit widens the
    interval instead of hiding in it (Bevington & Robinson 2003, §6.4 and §11.2).
    """
    n = t.size
    weighted = bool(np.all(sd > 0) and np.all(np.isfinite(sd)))
    w = 1.0 / sd**2 if weighted else np.ones_like(t)
    tm = np.sum(w * t) / np.sum(w)
    dt = t - tm
    sxx = float(np.sum(w * dt**2))
    slope = float(np.sum(w * dt * y) / sxx)
    resid = y - np.sum(w * y) / np.sum(w) - slope * dt
    chi2 = float(np.sum(w * resid**2)) / (n - 2)
    if weighted:
        se = math.sqrt(1.0 / sxx) * math.sqrt(max(chi2, 1.0))
    else:
        se = math.sqrt(chi2 / sxx)
        chi2 = math.nan
    return _Slope(slope, se, chi2)


def _edge(x: F) -> tuple[float, float]:
    """Start and end values: means of the first and last few samples (noise averaged)."""
    k = max(1, min(10, x.size // 20))
    return float(np.mean(x[:k])), float(np.mean(x[-k:]))


def _from_metadata(tel: Telemetry, name: str, key: str, dimension: str,
                   given: float | None, how: str) -> float:
    if given is not None:
        return float(given)
    text = tel.metadata.get(key)
    if text is None:
        raise EstimateError(f"{name}: no {key} given and the record has no '{key}' line; "
                            f"give {how}")
    try:
        return parse_quantity(text, dimension)
    except UnitError as err:
        raise EstimateError(f"{name}: metadata line '{key} = {text}': {err}") from err


def _resolution(ms: MassSeries) -> tuple[float, str]:
    """The pressure reading's resolution [Pa] and where that figure came from."""
    if ms.pressure_resolution_Pa > 0:
        return ms.pressure_resolution_Pa, "stated"
    steps = np.diff(np.unique(ms.pressure_Pa))
    steps = steps[steps > 1e-9 * float(np.max(ms.pressure_Pa))]
    if steps.size == 0:
        return 0.0, "inferred"
    return float(np.min(steps)), "inferred from the smallest step between readings"


def _duration_factor(stat_sd: float, sys_sd: float, k: float, target: float) -> float:
    """How many times longer a test at the same sampling rate must run for k·u ≤ target.

    The slope's statistical error falls as D^(-3/2) (N ∝ D and the spread of t ∝ D); a
    drift of the sensor's error within its accuracy bound gives an error ∝ 1/D.
    """
    def excess(f: float) -> float:
        return k * math.sqrt(stat_sd**2 / f**3 + sys_sd**2 / f**2) - target

    if excess(1.0) <= 0:
        return 1.0
    hi = 2.0
    while excess(hi) > 0:
        hi *= 2.0
    return float(optimize.brentq(excess, hi / 2.0, hi, xtol=1e-6))


def acceptance_test(tel: Telemetry, *, volume_m3: float | None = None,
                    spec_kg_per_s: float | None = None, gas_constant: float = R_AIR,
                    pressure_accuracy_Pa: float | None = None,
                    temperature_accuracy_K: float | None = None,
                    confidence: float = 0.95, name: str | None = None) -> AcceptanceResult:
    """Judge a sealed vehicle's pressure-decay record against a specified leak rate.

    Parameters
    ----------
    tel : Telemetry
        The record: one or more ``pressure`` channels of the one sealed volume and,
        ideally, ``temperature`` channels of its gas.
    volume_m3 : float, optional
        Free gas volume [m³]; defaults to the record's ``# volume = 10.6 m3`` line.
    spec_kg_per_s : float, optional
        Specified (allowed) leak rate [kg/s]; defaults to ``# spec = 0.1 kg/day``.
    gas_constant : float
        Specific gas constant of the test gas [J/(kg·K)]; air by default.
    pressure_accuracy_Pa, temperature_accuracy_K : float, optional
        Sensor accuracy bounds ±a [Pa], [K], used as systematic drift terms (Notes).
    confidence : float
        Two-sided confidence of the leak-rate interval, also the one-sided level of the
        MDL [-].
    name : str, optional
        Name of the test; defaults to the record's file stem.

    Returns
    -------
    AcceptanceResult
        Leak rate and interval [kg/s], the four checks, the MDL and the verdict.

    Raises
    ------
    EstimateError
        Volume or spec neither given nor in the metadata, no pressure column, fewer than
        three samples, or a non-physical argument.

    Notes
    -----
    *Leak rate.* m_k = p_k·V/(R·T_k) at every sample (:func:`mass_series`, whose per-
    sample 1σ comes from the record's own noise); the leak is L = −dm/dt from a weighted
    least-squares line, its 1σ the slope's standard error times √χ²_ν when χ²_ν > 1.
    The uncompensated rate is the same fit with T fixed at the mean measured temperature;
    it differs by about V·p/(R·T²)·dT/dt, which a warming cabin hides and a cooling one
    adds.

    *Systematic terms.* A constant sensor offset does not change a slope, so accuracy
    matters only as far as the error may drift during the test. Assuming it can drift
    anywhere within ±a over the test (rectangular, 1σ = a/√3; JCGM 100:2008 §4.3.7), the
    rate errors are V·a_p/(√3·R·T·D) and m·a_T/(√3·T·D). They add in quadrature with the
    statistical 1σ to u_c; the interval is L ± k·u_c with k the Student-t quantile at
    (1 + confidence)/2 with n − 2 degrees of freedom.

    *Checks* (ASTM E2930 ratios). (a) resolution: V·Δp_res/(R·T·D) ≤ spec/10, Δp_res the
    pressure reading's resolution (stated, else the smallest step between readings);
    (b) uncertainty: k·u_c ≤ spec/4; (c) pressure change: |p_end − p_start| < 10 % of
    p_start; (d) a temperature record is present.

    *MDL.* The smallest true leak that a one-sided test of "no leak" at level
    α = 1 − confidence would detect with probability 1 − β, β = 0.05:
    MDL = (z_{1−α} + z_{1−β})·u_c (Currie 1968), 3.29·u_c at 95 %.

    *Verdict.* PASS when the interval's upper bound ≤ spec, FAIL when its lower bound
    > spec, otherwise INCONCLUSIVE; also INCONCLUSIVE when (a) or (b) fails, since the
    test could not resolve a leak of the spec's size. (The bounds are those of the
    two-sided interval, so each one-sided decision is made at (1 + confidence)/2.)

    References
    ----------
    ASTM E2930, *Standard Practice for Pressure Decay Leak Test Method*, ASTM
    International (the practice followed).
    JCGM 100:2008, *Evaluation of measurement data — Guide to the expression of
    uncertainty in measurement* (GUM).
    P. R. Bevington, D. K. Robinson, *Data Reduction and Error Analysis for the Physical
    Sciences*, 3rd ed., McGraw-Hill, 2003.
    L. A. Currie, "Limits for qualitative detection and quantitative determination",
    *Analytical Chemistry* 40(3), 586–593, 1968.
    """
    name = name or (Path(tel.path).stem if tel.path else "record")
    if not 0.0 < confidence < 1.0:
        raise EstimateError(f"{name}: confidence must be between 0 and 1, got {confidence:g}")
    for label, acc in (("pressure_accuracy_Pa", pressure_accuracy_Pa),
                       ("temperature_accuracy_K", temperature_accuracy_K)):
        if acc is not None and not acc >= 0:
            raise EstimateError(f"{name}: {label} must be >= 0, got {acc:g}")
    volume = _from_metadata(tel, name, "volume", "volume", volume_m3,
                            "--volume (volume_m3=) or a '# volume = 10.5 m3' line")
    spec = _from_metadata(tel, name, "spec", "mass_rate", spec_kg_per_s,
                          "--spec (spec_kg_per_s=) or a '# spec = 0.1 kg/day' line")
    if not volume > 0:
        raise EstimateError(f"{name}: volume must be > 0 m3, got {volume:g}")
    if not spec > 0:
        raise EstimateError(f"{name}: spec must be a leak rate > 0 kg/s, got {spec:g}")
    pressure = tel.of("pressure")
    if not pressure:
        cols = ", ".join(c.name for c in tel.channels) or "none"
        raise EstimateError(f"{name}: no pressure column (columns: {cols}); a pressure-"
                            "decay test needs one, e.g. 'vehicle_pressure_kPa'")
    temperature = tel.of("temperature")
    vehicle = str(tel.metadata.get("vehicle", pressure[0].source or name))
    ms = mass_series(tel, pressure, temperature, volume_m3=volume,
                     gas_constant=gas_constant, label=vehicle)
    n = len(ms)
    if n < 3:
        raise EstimateError(f"{name}: {n} usable pressure samples; a slope and its error "
                            "need at least 3")
    t = ms.time_s
    duration = float(t[-1] - t[0])
    t_mean = float(np.mean(ms.temperature_K))
    m_mean = float(np.mean(ms.mass_kg))

    fit = _wls_slope(t, ms.mass_kg, ms.mass_sd_kg)
    leak = -fit.value
    uncomp = mass_series(tel, pressure, (), volume_m3=volume, gas_constant=gas_constant,
                         label=vehicle, temperature_K=t_mean)
    leak_uncomp = -_wls_slope(t, uncomp.mass_kg, uncomp.mass_sd_kg).value

    root3 = math.sqrt(3.0)
    sys_p = volume * (pressure_accuracy_Pa or 0.0) / (root3 * gas_constant * t_mean * duration)
    sys_t = (m_mean * (temperature_accuracy_K or 0.0) / (root3 * t_mean * duration)
             if ms.temperature_compensated else 0.0)
    sys_sd = math.hypot(sys_p, sys_t)
    u_c = math.hypot(fit.sd, sys_sd)
    k = float(stats.t.ppf(0.5 + confidence / 2.0, n - 2))
    low, high = leak - k * u_c, leak + k * u_c
    mdl = float(stats.norm.ppf(confidence) + stats.norm.ppf(1.0 - MDL_BETA)) * u_c

    # (a) resolution as a mass rate over the test
    res_p, res_src = _resolution(ms)
    res_rate = volume * res_p / (gas_constant * t_mean * duration)
    res_limit = RESOLUTION_FRACTION * spec
    ok_a = res_rate <= res_limit
    check_a = AcceptanceCheck(
        "resolution", res_rate, res_limit, "kg/s", ok_a,
        f"{res_p:.3g} Pa ({res_src}) over {format_duration(duration)} is {kgd(res_rate)}, "
        f"{'≤' if ok_a else '>'} spec/10 = {kgd(res_limit)}")
    # (b) expanded uncertainty
    unc_limit = UNCERTAINTY_FRACTION * spec
    ok_b = k * u_c <= unc_limit
    sys_note = f", of which systematic {kgd(sys_sd)} (1σ)" if sys_sd > 0 else ""
    check_b = AcceptanceCheck(
        "uncertainty", k * u_c, unc_limit, "kg/s", ok_b,
        f"expanded uncertainty {kgd(k * u_c)} (k = {k:.2f}{sys_note}), "
        f"{'≤' if ok_b else '>'} spec/4 = {kgd(unc_limit)}")
    # (c) total pressure change
    p0, p1 = _edge(ms.pressure_Pa)
    change = abs(p1 - p0) / p0
    ok_c = change < MAX_PRESSURE_CHANGE
    check_c = AcceptanceCheck(
        "pressure change", change, MAX_PRESSURE_CHANGE, "1", ok_c,
        f"{change * 100:.2f} % of the starting pressure, "
        f"{'<' if ok_c else '≥'} {MAX_PRESSURE_CHANGE * 100:g} %")
    # (d) temperature record
    T0, T1 = _edge(ms.temperature_K) if ms.temperature_compensated else (math.nan, math.nan)
    warnings: list[str] = []
    if ms.temperature_compensated:
        check_d = AcceptanceCheck(
            "temperature record", T1 - T0, None, "K", True,
            f"{len(temperature)} channel(s), changed {T1 - T0:+.2f} K over the test; "
            f"mass is temperature-compensated")
    else:
        per_01K = volume * p0 / (gas_constant * t_mean**2) * 0.1 / duration
        check_d = AcceptanceCheck(
            "temperature record", math.nan, None, "K", False,
            f"none; mass assumes a constant {t_mean:.2f} K")
        warnings.append("no temperature record: the rate is not temperature-compensated; "
                        f"an unseen 0.1 K drift over this test would shift it by "
                        f"{kgd(per_01K)}")
    if not ok_c:
        warnings.append(f"pressure fell {change * 100:.1f} % (ASTM E2930 asks < 10 %): the "
                        "leak flow changed during the test, so the rate is an average")
    if high < 0:
        warnings.append(f"gas mass rose by {kgd(-leak)}: an inflow (valve, supply) or a "
                        "sensor drift, not a leak")

    # verdict
    required: float | None = None
    spec_txt = kgd(spec)
    if high <= spec:
        verdict: Verdict = "PASS"
        reason = f"upper bound {kgd(high)} ≤ spec {spec_txt}"
    elif low > spec:
        verdict, reason = "FAIL", f"lower bound {kgd(low)} > spec {spec_txt}"
    else:
        verdict = "INCONCLUSIVE"
        reason = f"interval [{low * DAY_S:.4f}, {high * DAY_S:.4f}] kg/day contains spec {spec_txt}"
    if not (ok_a and ok_b):
        f_a = res_rate / res_limit if not ok_a else 1.0
        f_b = _duration_factor(fit.sd, sys_sd, k, unc_limit) if not ok_b else 1.0
        factor = max(f_a, f_b)
        required = factor * duration
        why = []
        if not ok_a:
            why.append(f"pressure resolution {res_p:.3g} Pa is too coarse for "
                       f"{format_duration(duration)} (needs ≤ {res_p / f_a:.3g} Pa)")
        if not ok_b:
            why.append(f"expanded uncertainty {kgd(k * u_c)} exceeds spec/4")
        prior = {"PASS": "interval would pass", "FAIL": "interval lies above the spec",
                 "INCONCLUSIVE": "interval contains the spec"}[verdict]
        verdict = "INCONCLUSIVE"
        reason = (f"test too short or instrument too coarse: {'; '.join(why)}; a test "
                  f"about {factor:.1f}× longer (≥ {format_duration(required)}) would do "
                  f"({prior})")

    return AcceptanceResult(
        name=name, vehicle=vehicle, path=tel.path, volume_m3=volume,
        gas_constant=gas_constant, duration_s=duration, n_samples=n,
        start_pressure_Pa=p0, end_pressure_Pa=p1, start_temperature_K=T0,
        end_temperature_K=T1, temperature_compensated=ms.temperature_compensated,
        leak_rate_kg_per_s=leak, leak_rate_low=low, leak_rate_high=high,
        confidence=confidence, coverage_factor=k, statistical_sd=fit.sd,
        systematic_sd=sys_sd, reduced_chi2=fit.reduced_chi2,
        uncompensated_kg_per_s=leak_uncomp, spec_kg_per_s=spec, mdl_kg_per_s=mdl,
        checks=(check_a, check_b, check_c, check_d), verdict=verdict, reason=reason,
        required_duration_s=required, warnings=tuple(warnings))


# --- fleet ---------------------------------------------------------------------------------
