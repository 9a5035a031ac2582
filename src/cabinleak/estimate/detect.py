"""Sequential leak detection: a leak alarm on the gas mass (the dP/dt alarm is in ``dpdt``).

The leak alarm watches the outflow rate of an isolated volume, estimated block by block as
the least-squares slope of its gas mass (``MassSeries.mass_kg``, known additions removed).
A leak raises the outflow above the background rate by an unknown amount δ, from 0.1 to
10+ kg/day on a station. The test is a bank of Page (1954) CUSUMs:

* **Block slopes.** In a block of length B with white mass noise of 1σ ``s`` every Δt, the
  slope has 1σ σ_B = s·√(12/(n(n²−1)))/Δt (n = B/Δt), and blocks are independent; so the
  block outflow rates are i.i.d. Gaussian with a mean shift δ at the onset, the case of
  Page (1954) and Lorden (1971). Slopes ignore the mass level, so a residual offset or a
  slow drift of the level does not accumulate, and a mass *increase* only lowers the
  one-sided statistic.
* **Several block lengths.** The information per unit time of slopes grows as B²
  (σ_B² ∝ B⁻³), but the alarm waits for the end of a block; the best block for a leak δ
  makes it plain in one or two blocks, B ∝ δ^(-2/3). The test runs block lengths
  B_min·2^k; each covers a factor 2^1.5 in rate (σ_B falls by that much per doubling).
* **Design rates.** Per block length, Page CUSUMs with design shifts c·σ_B spaced by
  2^(1/4) from c_hi/2^1.5 to c_hi = √(2h) (h the threshold). A chart designed for ρ times
  the true shift drifts up at (2ρ − ρ²) of the matched rate δ²/2σ_B², so the spacing loses
  < 1 % (√2 would lose 4 %). At c ≥ c_hi a single block crosses: the one-block excess
  needed, h/c + c/2 standard deviations, is least at c = √(2h), so larger designs add
  nothing. The longest block reaches down to ``min_rate``. A bank on a fine grid of shifts
  is the GLR CUSUM over that range, asymptotically optimal uniformly over the shifts
  (Lorden 1971; Lai 1998).
* **Threshold.** One log-likelihood-ratio threshold h per block length, from the false-alarm
  rate split equally among the block lengths (union bound). The mean run length to a false
  alarm of the bank over shifts [c₁, c₂] (in σ_B units) is taken as

      ARL₀ ≈ e^h / [ (c₁²ν(c₁)² + c₂²ν(c₂)²)/4 + ½·√(h/π)·∫ x ν(x)² dx ]       (1)

  with ν(x) = 2x⁻² exp(−2 Σₙ n⁻¹ Φ(−x√n/2)) the overshoot function (Siegmund 1985;
  ν(x) ≈ exp(−0.583x), the 0.583 = −ζ(½)/√(2π) of Siegmund 1979). For one chart
  (c₁ = c₂ = c) (1) is e^h / (c²ν(c)²/2), which with ν ≈ exp(−0.583c) is the leading term
  of Siegmund's corrected diffusion approximation ARL₀ ≈ [e^(h+1.166c) − h − 1.166c − 1]
  /(c²/2) (Siegmund 1985, with the 1.166 = 2·0.583 correction). The integral term
  is the Pickands (1969) double-sum rate of the two-parameter field (excursion start,
  end), the form of Siegmund & Venkatraman (1995) for the GLR; it is derived here, not
  quoted, and ``tests/test_detect.py`` checks it by Monte Carlo. It errs on the safe side:
  the measured ARL₀ is 15-20 % longer than asked with one block length, and about 40 %
  longer with the default six (the union bound), i.e. fewer false alarms than asked.
* **Correlated records.** Eq. (1) holds for white records. Where the record's outflow
  wanders (``wander``, :mod:`.noise`), each chart assumes the scatter of single blocks of
  its length and the thresholds are scaled so that the bank alarms at the asked rate on
  a simulation of the record's fitted noise, or on copies of the record itself for a
  record of two months or more (:mod:`.calibrate`); the union over block lengths is then
  measured rather than bounded.

References
----------
Page, E. S. (1954). Continuous inspection schemes. Biometrika 41, 100–115.
Lorden, G. (1971). Procedures for reacting to a change in distribution. Ann. Math. Stat.
42, 1897–1908.
Siegmund, D. (1979). Corrected diffusion approximations in certain random walk problems.
Adv. Appl. Prob. 11, 701–719.
Siegmund, D. (1985). Sequential Analysis: Tests and Confidence Intervals. Springer.
Pickands, J. (1969). Upcrossing probabilities for stationary Gaussian processes. Trans.
Amer. Math. Soc. 145, 51–73.
Siegmund, D. & Venkatraman, E. S. (1995). Using the generalized likelihood ratio statistic
for sequential detection of a change-point. Ann. Stat. 23, 255–271.
Lai, T. L. (1998). Information bounds and quick detection of parameter changes in stochastic
systems. IEEE Trans. Inf. Theory 44, 2917–2929.
Siegmund, D. & Yakir, B. (2007). The Statistics of Gene Mapping. Springer.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtr

from cabinleak.estimate.calibrate import (
    SURROGATE_MIN_S,
    Calibration,
    calibrate_thresholds,
    fit_wander_model,
    page_cusum,
    surrogate_thresholds,
)
from cabinleak.estimate.checks import EstimateError, check_samples, positive
from cabinleak.estimate.noise import RateNoise
from cabinleak.physics.units import DAY_S, format_duration, format_mass_rate

F = NDArray[np.float64]
YEAR_S = 365.25 * DAY_S  # Julian year [s]
RATIO_STEP = 2.0**0.25  # spacing of the design rates within one block length
SCALE_STEP = 2  # ratio of successive block lengths
SHORTEST_BLOCK_S = 300.0  # default shortest block [s] (and at least 10 samples)
LONGEST_BLOCK_S = 6 * 3600.0  # default longest block [s], the coarsest 2^k multiple below
ONSET_LOOKBACK = 4  # longest blocks before an alarm's excursion searched for its onset
OUTLIER_SIGMA = 6.0  # a sample this many 1σ off its block's line is dropped (≤ 3 per block)
# ---------------------------------------------------------------- calibration


def overshoot_nu(x: ArrayLike) -> F:
    """Siegmund's overshoot function ν(x) for a Gaussian random walk [-].

    ν(x) = 2x⁻² exp(−2 Σ_{n≥1} n⁻¹ Φ(−x√n/2)) (Siegmund 1985; Siegmund & Yakir 2007);
    ν → 1 as x → 0 and ν(x) ≈ exp(−0.583x) for small x. Interpolated in a table of the
    series (20,000 terms) on 0.05 ≤ x ≤ 80; exp(−0.583x) below, where it is exact to 1e-3.
    """
    x = np.atleast_1d(np.asarray(x, dtype=float))
    grid, log_nu = _nu_table()
    out = np.exp(-0.583 * x)
    big = x >= grid[0]
    out[big] = np.exp(np.interp(np.log(x[big]), np.log(grid), log_nu))
    return out


@functools.cache
def _nu_table() -> tuple[F, F]:
    grid = np.geomspace(0.05, 80.0, 400)
    n = np.arange(1, 20001, dtype=float)
    series = (ndtr(-np.outer(grid, np.sqrt(n)) / 2.0) / n).sum(axis=1)
    return grid, np.log(2.0 / grid**2) - 2.0 * series


def _bank_terms(c_lo: float, c_hi: float) -> tuple[float, float]:
    """End and interior terms of eq. (1): (c₁²ν₁² + c₂²ν₂²)/4 and ∫ x ν(x)² dx."""
    x, wq = np.polynomial.legendre.leggauss(24)
    xs = c_lo + (x + 1.0) * (c_hi - c_lo) / 2.0
    integral = float(np.sum(wq * xs * overshoot_nu(xs) ** 2)) * (c_hi - c_lo) / 2.0
    n_lo, n_hi = overshoot_nu([c_lo, c_hi])
    return float((c_lo**2 * n_lo**2 + c_hi**2 * n_hi**2) / 4.0), integral


def bank_arl0(threshold: float, c_lo: float, c_hi: float) -> float:
    """Mean blocks to a false alarm of a bank of Page CUSUMs, eq. (1) of the module [blocks].

    Parameters
    ----------
    threshold : log-likelihood-ratio threshold h of every chart [-].
    c_lo, c_hi : smallest and largest design shift, in units of the block 1σ [-]; the
        charts between are spaced finely (≤ 2^(1/4)).
    """
    ends, integral = _bank_terms(c_lo, c_hi)
    h = threshold
    return float(math.exp(h) / (ends + 0.5 * math.sqrt(h / math.pi) * integral))


def bank_threshold(arl0_blocks: float, c_lo: float, c_hi: float) -> float:
    """The threshold h that gives a bank of CUSUMs the mean run length ``arl0_blocks``.

    Solves eq. (1), h = log ARL₀ + log(ends + ½√(h/π)·∫), by fixed-point iteration (the
    right side grows as ½ log h, so it contracts); never below 1e-6.
    """
    ends, integral = _bank_terms(c_lo, c_hi)
    h = max(math.log(arl0_blocks), 1.0)
    for _ in range(100):
        new = math.log(arl0_blocks) + math.log(ends + 0.5 * math.sqrt(h / math.pi) * integral)
        new = max(new, 1e-6)
        if abs(new - h) < 1e-10:
            break
        h = new
    return h


def _cusum_arl1(threshold: float, design: F, shift: float) -> float:
    """Mean blocks to an alarm after a shift (σ_B units) for the best chart of a bank.

    Siegmund's (1985) corrected diffusion approximation for a CUSUM on N(μ, 1)
    increments with barrier b: E[T] ≈ (e^(−2μb') + 2μb' − 1)/(2μ²), b' = b + 1.166; here the
    chart with design c has μ = shift − c/2, b = h/c.
    """
    mu = shift - design / 2.0
    b = threshold / design + 1.166
    with np.errstate(over="ignore"):
        arl = np.where(np.abs(mu) < 1e-9, b**2,
                       (np.exp(-2 * mu * b) + 2 * mu * b - 1) / (2 * mu**2 + 1e-300))
    return float(np.min(arl))


def slope_sd(mass_sd_kg: float, sample_s: float, block_s: float) -> float:
    """1σ of the least-squares slope of a block of regularly sampled white noise [kg/s].

    σ_B² = 12 s² / (Δt² n (n² − 1)) with n = B/Δt samples (at least 3).
    """
    n = max(block_s / sample_s, 3.0)
    return float(mass_sd_kg * math.sqrt(12.0 / (n * (n * n - 1.0))) / sample_s)


@dataclass(frozen=True)
class LeakTestDesign:
    """The CUSUM bank of :func:`detect_leak`: block lengths, design rates and thresholds."""

    false_alarms_per_year: float
    blocks_s: tuple[float, ...]  # block lengths [s]
    slope_sd_kg_per_s: tuple[float, ...]  # nominal 1σ of a block's rate [kg/s]
    design_rates_kg_per_s: tuple[tuple[float, ...], ...]  # per block length [kg/s]
    thresholds: tuple[float, ...]  # LLR threshold per block length [-]
    arl0_blocks: tuple[float, ...]  # mean blocks to a false alarm, per block length [-]
    # years of the record's noise simulated to set the thresholds (0: eq. (1)), how
    # (:mod:`.calibrate`), and eq. (1)'s thresholds they were scaled from
    simulated_years: float = 0.0
    calibrated_on: str = "eq. (1)"
    analytic_thresholds: tuple[float, ...] = ()

    def carry_factor(self, scale: int, cal: Calibration) -> float:
        """The factor that carries a calibration at a rate above the asked one to it:
        eq. (1)'s threshold at the asked rate over that at the simulated rate."""
        carry = self.false_alarms_per_year / cal.calibrated_at_per_year
        if carry == 1.0:
            return 1.0
        rates, sd = self.design_rates_kg_per_s[scale], self.slope_sd_kg_per_s[scale]
        h = self.analytic_thresholds[scale]
        return h / bank_threshold(self.arl0_blocks[scale] * carry, min(rates) / sd,
                                  max(rates) / sd)

    @property
    def min_rate_kg_per_s(self) -> float:
        return min(min(r) for r in self.design_rates_kg_per_s)

    @property
    def max_rate_kg_per_s(self) -> float:
        return max(max(r) for r in self.design_rates_kg_per_s)

    def expected_delay_s(self, rate_kg_per_s: float) -> float:
        """Approximate mean delay to the alarm after a leak of this rate starts [s].

        The best block length's Siegmund ARL₁ (``_cusum_arl1``) in blocks, plus half a
        block for an onset uniformly within a block, times the block length.
        """
        out = math.inf
        for b, sd, rates, h in zip(self.blocks_s, self.slope_sd_kg_per_s,
                                   self.design_rates_kg_per_s, self.thresholds, strict=True):
            arl = _cusum_arl1(h, np.asarray(rates) / sd, rate_kg_per_s / sd)
            out = min(out, b * (arl + 0.5))
        return out

    def detectable_rate_kg_per_s(self, within_s: float = DAY_S) -> float:
        """The smallest leak whose expected delay (:meth:`expected_delay_s`) is ≤ ``within_s``."""
        lo, hi = self.min_rate_kg_per_s / 1e3, self.max_rate_kg_per_s * 1e3
        if self.expected_delay_s(hi) > within_s:
            return math.inf
        for _ in range(60):
            mid = math.sqrt(lo * hi)
            lo, hi = (mid, hi) if self.expected_delay_s(mid) > within_s else (lo, mid)
        return hi

    def __str__(self) -> str:
        far = self.false_alarms_per_year
        plural = "" if math.isclose(far, 1.0) else "s"
        return (f"CUSUM bank at {far:g} false alarm{plural} per year: "
                f"blocks {format_duration(self.blocks_s[0])} to "
                f"{format_duration(self.blocks_s[-1])}, design rates "
                f"{format_mass_rate(self.min_rate_kg_per_s)} to "
                f"{format_mass_rate(self.max_rate_kg_per_s)}")


def design_leak_test(mass_sd_kg: float, sample_s: float, *, false_alarms_per_year: float = 1.0,
                     min_rate_kg_per_s: float | None = None,
                     max_rate_kg_per_s: float | None = None,
                     block_s: float | None = None,
                     wander: RateNoise | None = None,
                     calibrate: bool = True) -> LeakTestDesign:
    """Block lengths, design rates and thresholds of the leak test for a noise level.

    Parameters
    ----------
    mass_sd_kg : 1σ white noise of one mass sample [kg].
    sample_s : sampling interval [s].
    false_alarms_per_year : false alarms per year (365.25 d) on noise alone [1/yr].
    min_rate_kg_per_s, max_rate_kg_per_s : range of leak rates to design for [kg/s]. By
        default the shortest block is 5 min (at least 10 samples) and its largest design
        rate the one plain in a single block (c = √(2h)); the longest block is the last
        doubling within 6 h and its smallest design rate √(2h)/8 of its 1σ, a leak it
        finds in about 64 blocks. A given ``max_rate`` moves the shortest block so the rate
        is plain in one of it; a given ``min_rate`` extends or trims the longest block.
    block_s : one block length [s] instead of several.
    wander : the record's outflow scatter beyond white noise (:func:`.noise.rate_noise`).
        Where it shows wander (or assumes some), each block's 1σ is the model's scatter of
        single blocks and the thresholds are calibrated by simulating the record's fitted
        noise (:mod:`.calibrate`).
    calibrate : False keeps the earlier, conservative treatment of ``wander``: each block's
        1σ inflated to cover the longest runs (eq. (1) of :mod:`.noise`) and the
        thresholds of eq. (1) here (for comparison; about 8× over-dispersed on a year
        of the realistic world).
    """
    positive(false_alarms_per_year, "false_alarms_per_year", "1/yr")
    positive(mass_sd_kg, "mass_sd_kg", "kg")
    positive(sample_s, "sample_s", "s")
    lo_r, hi_r = min_rate_kg_per_s, max_rate_kg_per_s
    for v, name, unit in ((lo_r, "min_rate_kg_per_s", "kg/s"),
                          (hi_r, "max_rate_kg_per_s", "kg/s"), (block_s, "block_s", "s")):
        if v is not None:
            positive(v, name, unit)
    if lo_r is not None and hi_r is not None and lo_r >= hi_r:
        raise EstimateError(f"min_rate_kg_per_s must be < max_rate_kg_per_s, got "
                            f"{lo_r:g} >= {hi_r:g}")
    span = SCALE_STEP**1.5  # factor in rate covered by one block length

    model = None if wander is None or not calibrate else fit_wander_model(wander)

    def sd_of(b: float) -> float:
        white = slope_sd(mass_sd_kg, sample_s, b)
        if model is not None:  # the scatter of single blocks; runs are in the threshold
            return math.sqrt(model.allan_var(b, white**2))
        return white if wander is None else white * wander.inflation(b, white)

    # the thresholds set the ranges and the ranges the thresholds: iterate (2-3 passes)
    h = math.log(YEAR_S / (false_alarms_per_year * SHORTEST_BLOCK_S)) + 2.0
    for _ in range(4):
        c_hi = math.sqrt(2.0 * h)
        if block_s is not None:
            blocks = [block_s]
        else:
            b0 = max(SHORTEST_BLOCK_S, 10.0 * sample_s)
            if hi_r is not None:
                while hi_r > c_hi * sd_of(b0) and b0 / SCALE_STEP >= 3.0 * sample_s:
                    b0 /= SCALE_STEP
                while hi_r <= c_hi * sd_of(b0) / span:
                    b0 *= SCALE_STEP
            blocks = [b0]
            while blocks[-1] * SCALE_STEP <= LONGEST_BLOCK_S:
                blocks.append(blocks[-1] * SCALE_STEP)
            if lo_r is not None:
                while lo_r < c_hi * sd_of(blocks[-1]) / span:
                    blocks.append(blocks[-1] * SCALE_STEP)
                while len(blocks) > 1 and lo_r >= c_hi * sd_of(blocks[-2]) / span:
                    blocks.pop()
        sds, rates = [], []
        for i, b in enumerate(blocks):
            top = c_hi * sd_of(b)
            bottom = top / span if i < len(blocks) - 1 else top / 8.0
            if lo_r is not None:
                bottom = lo_r if i == len(blocks) - 1 else max(bottom, lo_r)
            if hi_r is not None:
                top = hi_r if i == 0 else min(top, hi_r)
            if bottom > top:
                continue
            k = max(math.ceil(math.log(top / bottom) / math.log(RATIO_STEP) - 1e-9), 0)
            grid = top * RATIO_STEP ** -np.arange(k + 1.0)
            grid[-1] = bottom
            sds.append((b, sd_of(b)))
            rates.append(tuple(float(r) for r in grid))
        arl0 = [len(sds) * YEAR_S / (false_alarms_per_year * b) for b, _ in sds]
        hs = [bank_threshold(a, min(r) / sd, max(r) / sd)
              for a, r, (_, sd) in zip(arl0, rates, sds, strict=True)]
        h = float(np.median(hs))
    design = LeakTestDesign(false_alarms_per_year=false_alarms_per_year,
                            blocks_s=tuple(b for b, _ in sds),
                            slope_sd_kg_per_s=tuple(sd for _, sd in sds),
                            design_rates_kg_per_s=tuple(rates), thresholds=tuple(hs),
                            arl0_blocks=tuple(arl0), analytic_thresholds=tuple(hs))
    if model is None:
        return design
    cal = calibrate_thresholds(
        model, blocks_s=design.blocks_s, sample_s=sample_s, mass_sd_kg=mass_sd_kg,
        chart_sd_kg_per_s=design.slope_sd_kg_per_s, design_rates_kg_per_s=rates,
        thresholds=hs, false_alarms_per_year=false_alarms_per_year)
    # a rate too small to simulate: the factor found at the simulated rate, carried
    # along eq. (1)'s thresholds to the asked one (see :mod:`.calibrate`)
    return replace(design, thresholds=tuple(
        h * f * design.carry_factor(i, cal) for i, (h, f) in enumerate(zip(
            hs, cal.factors, strict=True))), simulated_years=cal.simulated_years,
        calibrated_on="the record's fitted noise")


def lorden_delay_s(rate_kg_per_s: float, *, mass_sd_kg: float, sample_s: float, block_s: float,
                   false_alarms_per_year: float = 1.0) -> float:
    """Lorden's lower bound on the mean detection delay at a false-alarm rate [s].

    For the block-slope observations of this module — one least-squares outflow rate per
    block of ``block_s``, i.i.d. N(q, σ_B²) with σ_B from :func:`slope_sd` — any test with a
    mean time to false alarm of γ blocks has a worst-case mean delay of at least
    log(γ)/I blocks as γ → ∞, with I = δ²/(2σ_B²) the Kullback–Leibler information of one
    block about the rate increase δ (Lorden 1971, Theorem 3). Here γ = 1 yr/(FAR·B).

    The bound is for that observation model and block length, and asymptotic: a test
    that reads each block once cannot alarm before the block ends, so where the bound is
    under about one block it cannot be approached. The raw samples carry more information
    (the mass level too, which grows as the cube of the time since onset).
    """
    positive(rate_kg_per_s, "rate_kg_per_s", "kg/s")
    positive(false_alarms_per_year, "false_alarms_per_year", "1/yr")
    sd = slope_sd(mass_sd_kg, sample_s, block_s)
    info = rate_kg_per_s**2 / (2.0 * sd**2)
    gamma = YEAR_S / (false_alarms_per_year * block_s)
    return float(block_s * math.log(max(gamma, 1.0)) / info)


def detectable_rate_kg_per_s(mass_sd_kg: float, sample_s: float, *, within_s: float = DAY_S,
                             false_alarms_per_year: float = 1.0,
                             block_s: float | None = None) -> float:
    """The smallest leak the test would find within ``within_s`` on average [kg/s].

    Same noise description as :func:`design_leak_test`; see
    :meth:`LeakTestDesign.detectable_rate_kg_per_s`.
    """
    design = design_leak_test(mass_sd_kg, sample_s, false_alarms_per_year=false_alarms_per_year,
                              block_s=block_s)
    return design.detectable_rate_kg_per_s(within_s)


# ---------------------------------------------------------------- the leak alarm


@dataclass(frozen=True, eq=False)
class Detection:
    """Result of :func:`detect_leak`: whether, when and how fast, and what it could see."""

    alarm: bool
    alarm_time_s: float | None  # time of the last sample of the block that crossed [s]
    onset_time_s: float | None  # change point: hinge fit from before the excursion [s]
    excursion_start_s: float | None  # start of the block after the chart was last at 0 [s]
    rate_at_alarm_kg_per_s: float | None  # mean outflow above background since onset [kg/s]
    design_rate_kg_per_s: float | None  # design rate of the chart that crossed [kg/s]
    threshold: float  # LLR threshold of the block length that crossed (else the shortest's)
    false_alarms_per_year: float
    block_s: float  # block length that crossed (else the shortest) [s]
    background_kg_per_s: float
    detectable_kg_per_s: float  # smallest leak found within ``detectable_within_s`` [kg/s]
    detectable_within_s: float
    noise_ratio: float  # median block scatter / stated mass_sd (≈ 1 when the noise is right)
    samples_dropped: int  # outliers removed (|residual| > 6σ, at most 3 per block)
    design: LeakTestDesign = field(repr=False)
    statistic_time_s: F = field(repr=False)  # [s]
    statistic: F = field(repr=False)  # max over charts of CUSUM/threshold; alarm at ≥ 1

    def __str__(self) -> str:
        far = f"{self.false_alarms_per_year:g} per year"
        if not self.alarm or self.alarm_time_s is None:
            plural = "" if math.isclose(self.false_alarms_per_year, 1.0) else "s"
            return (f"no leak alarm (test at {self.false_alarms_per_year:g} false alarm"
                    f"{plural} per year; smallest leak "
                    f"it would see within {format_duration(self.detectable_within_s)}: "
                    f"{format_mass_rate(self.detectable_kg_per_s)})")
        onset = "" if self.onset_time_s is None else \
            f" (onset {format_duration(self.onset_time_s)}"
        rate = "" if self.rate_at_alarm_kg_per_s is None else \
            f", about {format_mass_rate(self.rate_at_alarm_kg_per_s)}"
        return (f"leak alarm at {format_duration(self.alarm_time_s)}{onset}{rate}"
                f"{')' if onset else ''}; false-alarm rate {far}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe scalars (arrays and the design are left out; ∞ becomes None)."""
        out = {k: getattr(self, k) for k in (
            "alarm", "alarm_time_s", "onset_time_s", "excursion_start_s", "rate_at_alarm_kg_per_s",
            "design_rate_kg_per_s", "threshold", "false_alarms_per_year", "block_s",
            "background_kg_per_s", "detectable_kg_per_s", "detectable_within_s", "noise_ratio",
            "samples_dropped")} | {
            "shortest_block_s": self.design.blocks_s[0],
            "longest_block_s": self.design.blocks_s[-1],
            "min_design_rate_kg_per_s": self.design.min_rate_kg_per_s,
            "max_design_rate_kg_per_s": self.design.max_rate_kg_per_s}
        return {k: None if isinstance(v, float) and not math.isfinite(v) else v
                for k, v in out.items()}


@dataclass(frozen=True)
class _Blocks:
    """Weighted least-squares sums per block (times relative to each block's start)."""

    start_s: F  # block start [s]
    last_s: F  # time of the block's last sample [s]
    n: F
    w: F  # Σ w, w = 1/σ²
    wt: F  # Σ w·u
    wtt: F  # Σ w·u²
    wy: F  # Σ w·y
    wty: F  # Σ w·u·y
    wyy: F  # Σ w·y²

    def fit(self) -> tuple[F, F, F]:
        """Slope [kg/s], its variance and the weighted residual sum of squares."""
        with np.errstate(invalid="ignore", divide="ignore"):
            sxx = self.wtt - self.wt**2 / self.w
            sxy = self.wty - self.wt * self.wy / self.w
            syy = self.wyy - self.wy**2 / self.w
            slope = sxy / sxx
            return slope, 1.0 / sxx, syy - slope * sxy

    def coarsen(self, factor: int, width: float, t0: float) -> _Blocks:
        idx = np.round((self.start_s - t0) / width).astype(np.int64)
        group = idx // factor
        cut = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
        d = (idx - group * factor) * width  # shift to the coarse block's origin
        add = lambda x: np.add.reduceat(x, cut)  # noqa: E731
        return _Blocks(start_s=(t0 + group[cut] * width * factor).astype(float),
                       last_s=np.maximum.reduceat(self.last_s, cut), n=add(self.n),
                       w=add(self.w), wt=add(self.wt + d * self.w),
                       wtt=add(self.wtt + 2 * d * self.wt + d * d * self.w), wy=add(self.wy),
                       wty=add(self.wty + d * self.wy), wyy=add(self.wyy))


def _finest_blocks(t: F, y: F, w: F, t0: float, width: float) -> tuple[_Blocks, int]:
    """Block sums at the finest length, after dropping single outliers from each block."""
    b = np.floor((t - t0) / width).astype(np.int64)
    cut = np.flatnonzero(np.r_[True, b[1:] != b[:-1]])
    owner = np.repeat(np.arange(cut.size), np.diff(np.r_[cut, t.size]))
    u = t - (t0 + b * width)
    w = w.copy()

    def sums() -> _Blocks:
        wu, wy = w * u, w * y
        add = lambda x: np.add.reduceat(x, cut)  # noqa: E731
        return _Blocks(start_s=(t0 + b[cut] * width).astype(float),
                       last_s=t[np.r_[cut[1:], t.size] - 1], n=add((w > 0).astype(float)),
                       w=add(w), wt=add(wu), wtt=add(wu * u), wy=add(wy), wty=add(wu * y),
                       wyy=add(wy * y))

    blk, dropped = sums(), 0
    for _ in range(3):
        slope, _var, _rss = blk.fit()
        fit = blk.n > 3
        with np.errstate(invalid="ignore", divide="ignore"):
            ubar, ybar = blk.wt / blk.w, blk.wy / blk.w
        res = y - ybar[owner] - np.where(fit, slope, 0.0)[owner] * (u - ubar[owner])
        score = np.nan_to_num(np.abs(res) * np.sqrt(w), nan=0.0)
        top = np.maximum.reduceat(score, cut)
        bad = (score > OUTLIER_SIGMA) & (score == top[owner]) & fit[owner]
        if not bad.any():
            break
        w[bad] = 0.0
        dropped += int(bad.sum())
        blk = sums()
    return blk, dropped


def _hinge_onset(t: F, y: F, w: F, fit_from: float, lo: float, hi: float,
                 background_kg_per_s: float = 0.0) -> float | None:
    """Change point τ ≥ ``lo`` of a hinge y = a − q_bg·t + c·(t − τ)₊ with c < 0 [s].

    Weighted least squares on the samples from ``fit_from`` to ``hi`` (the alarm), τ on
    at most 1,000 sample times; the residual sum of squares is least at the maximum
    likelihood change point of a mass that falls at the background rate q_bg until τ and
    faster after (Gaussian noise), the test's own model. A leak under way before
    ``fit_from`` puts τ at the first candidate. Times are taken from ``hi``, so the sums
    over the short suffixes near it keep their precision. None when no candidate has a
    falling slope.
    """
    sel = (t >= fit_from) & (t <= hi)
    if sel.sum() < 5:
        return None
    tt, ww = t[sel] - hi, w[sel]
    yy = y[sel] + background_kg_per_s * tt
    yy = yy - np.average(yy, weights=ww)
    idx = np.flatnonzero(tt + hi >= lo)[:-2]
    if idx.size == 0:
        return None
    idx = np.unique(idx[np.linspace(0, idx.size - 1, min(idx.size, 1000)).astype(int)])
    tau = tt[idx]

    def suffix(x: F) -> F:  # Σ over samples after each candidate
        return np.cumsum(x[::-1])[::-1][idx + 1]

    s0, s1, s2 = suffix(ww), suffix(ww * tt), suffix(ww * tt * tt)
    sy, sty = suffix(ww * yy), suffix(ww * tt * yy)
    x1 = s1 - tau * s0  # Σw·x with x = (t − τ)₊
    xx, xy = s2 - 2 * tau * s1 + tau**2 * s0, sty - tau * sy
    w0, b0 = ww.sum(), (ww * yy).sum()
    det = w0 * xx - x1 * x1  # the 2×2 normal equations of (a, c), by Cramer's rule
    ok = det > 1e-12 * w0 * np.maximum(xx, 1e-300)
    if not ok.any():
        return None
    c = np.where(ok, (w0 * xy - x1 * b0) / np.where(ok, det, 1.0), 0.0)
    a = np.where(ok, (b0 - x1 * c) / w0, 0.0)
    gain = np.where(ok & (c < 0), a * b0 + c * xy, -np.inf)  # RSS = Σw·y² − gain
    if not np.isfinite(gain).any():
        return None
    return float(tau[int(np.argmax(gain))] + hi)


def _first_alarm_s(scales: list[tuple[int, _Blocks, NDArray[np.bool_], F, F]],
                   design: LeakTestDesign) -> float:
    """End of the first block at which a chart crosses its design threshold (∞: none)."""
    first = math.inf
    for s, blk, ok, q, v in scales:
        d = np.asarray(design.design_rates_kg_per_s[s])
        llr = d[None, :] / v[:, None] * (q[:, None] - d[None, :] / 2.0)
        top = page_cusum(llr).max(axis=1)
        hit = np.flatnonzero(top >= design.thresholds[s])
        if hit.size:
            first = min(first, float(blk.last_s[ok][hit[0]]))
    return first


def detect_leak(time_s: ArrayLike, mass_kg: ArrayLike, mass_sd_kg: ArrayLike, *,
                background_kg_per_s: float = 0.0, false_alarms_per_year: float = 1.0,
                min_rate_kg_per_s: float | None = None, max_rate_kg_per_s: float | None = None,
                block_s: float | None = None, wander: RateNoise | None = None,
                calibrate: bool = True) -> Detection:
    """Sequential test for a rise of the outflow of an isolated volume above background.

    Parameters
    ----------
    time_s : sample times [s], increasing; irregular and gappy sampling is fine.
    mass_kg : gas mass less known additions [kg] (``MassSeries.mass_kg``).
    mass_sd_kg : per-sample 1σ white noise of the mass [kg] (``MassSeries.mass_sd_kg``).
    background_kg_per_s : known steady outflow (the station's normal leakage) [kg/s].
    false_alarms_per_year : false alarms per year on noise alone [1/yr].
    min_rate_kg_per_s, max_rate_kg_per_s, block_s, wander, calibrate : see
        :func:`design_leak_test`. With ``wander`` each block's slope variance is scaled to
        the record's scatter of single blocks at that length and the thresholds are set by
        simulating the record's fitted noise (:mod:`.calibrate`), so slow correlated
        wander (thermal cycles, gas added and used) is not read as a leak and the
        false-alarm rate holds on it.

    Returns
    -------
    Detection
        The first alarm (block end at which a chart crossed); the start of the excursion
        that crossed (the block after the chart was last at zero, Page 1954); the onset,
        the maximum-likelihood change point of a mass falling at the background rate and
        faster after it (the test's own model), searched on the samples from four of the
        longest blocks before the excursion to the alarm (a block-resolution excursion
        start can be most of a long block early, which biases a rate fitted from it, and a
        short block's chart can cross on a burst hours into a leak); the mean outflow
        above background over the excursion; and the statistic (max over charts of
        CUSUM/threshold).

    Notes
    -----
    Block slopes are weighted least squares with weights 1/σ²; a block is used when it has
    ≥ 3 samples and ≥ 1/4 of the information of a full block. Within a block of the
    shortest length, a sample more than 6σ off the fitted line is dropped (largest first,
    at most 3 per block), so a residual spike cannot alarm. The chart for design rate δ
    adds ℓ_k = δ/σ_k²·(q_k − q_bg − δ/2) per block, the log-likelihood ratio of N(q_bg + δ,
    σ_k²) against N(q_bg, σ_k²) (Page 1954). See the module docstring for the design.
    """
    t = np.asarray(time_s, dtype=float)
    m = np.asarray(mass_kg, dtype=float)
    sd = np.asarray(mass_sd_kg, dtype=float)
    if not (t.shape == m.shape == sd.shape) or t.ndim != 1:
        raise EstimateError(f"time_s, mass_kg and mass_sd_kg must be 1-D of one length, got "
                            f"shapes {t.shape}, {m.shape} and {sd.shape}")
    positive(false_alarms_per_year, "false_alarms_per_year", "1/yr")
    keep = np.isfinite(t) & np.isfinite(m) & np.isfinite(sd)
    t, m, sd = t[keep], m[keep], sd[keep]
    if np.any(sd <= 0):
        i = int(np.argmax(sd <= 0))
        raise EstimateError(f"mass_sd_kg must be > 0 kg, got {sd[i]:g} at t = {t[i]:g} s")
    check_samples(t, "leak test", "mass")
    dt = float(np.median(np.diff(t)))
    noise = float(np.sqrt(np.median(sd**2)))
    design = design_leak_test(noise, dt, false_alarms_per_year=false_alarms_per_year,
                              min_rate_kg_per_s=min_rate_kg_per_s,
                              max_rate_kg_per_s=max_rate_kg_per_s, block_s=block_s,
                              wander=wander, calibrate=calibrate)
    t0 = float(t[0])
    finest, dropped = _finest_blocks(t, m - m[0], 1.0 / sd**2, t0, design.blocks_s[0])

    scales: list[tuple[int, _Blocks, NDArray[np.bool_], F, F]] = []  # s, blocks, ok, q, v
    chi2: list[F] = []
    for s, (width, sd_nom) in enumerate(zip(design.blocks_s, design.slope_sd_kg_per_s,
                                            strict=True)):
        blk = finest if s == 0 else finest.coarsen(round(width / design.blocks_s[0]),
                                                  design.blocks_s[0], t0)
        slope, var, rss = blk.fit()
        white = slope_sd(noise, dt, width)
        gain = (sd_nom / white) ** 2  # the wander's excess at this block length (1 if none)
        ok = (blk.n >= 3) & np.isfinite(var) & (var > 0) & (var * gain <= 4.0 * sd_nom**2)
        if not ok.any():
            continue
        # outflow above background [kg/s] and its variance
        scales.append((s, blk, ok, -slope[ok] - background_kg_per_s, var[ok] * gain))
        chi2.append(rss[ok] / np.maximum(blk.n[ok] - 2, 1))
    if scales and design.simulated_years > 0 and t[-1] - t[0] >= SURROGATE_MIN_S:
        # long enough to show its own spectrum: the thresholds from copies of the
        # stretch before the fitted model's first alarm (a leak would lend its power)
        quiet = min(_first_alarm_s(scales, design), float(t[-1]))
        if quiet - t0 >= SURROGATE_MIN_S:
            kept = [s for s, *_ in scales]
            cal = surrogate_thresholds(
                [(q[blk.last_s[ok] <= quiet], v[blk.last_s[ok] <= quiet])
                 for _, blk, ok, q, v in scales], span_s=quiet - t0,
                design_rates_kg_per_s=[design.design_rates_kg_per_s[s] for s in kept],
                thresholds=[design.analytic_thresholds[s] for s in kept],
                false_alarms_per_year=false_alarms_per_year)
            hs = list(design.thresholds)
            for s, f in zip(kept, cal.factors, strict=True):
                hs[s] = design.analytic_thresholds[s] * f * design.carry_factor(s, cal)
            design = replace(design, thresholds=tuple(hs),
                             simulated_years=cal.simulated_years,
                             calibrated_on="the record's own block rates")

    best: tuple[float, int, int, int, float, float] | None = None  # (time, scale, k, j, S, h)
    stats: list[tuple[F, F]] = []
    per_scale: dict[int, tuple[F, F, F, F]] = {}  # start, q, var, CUSUM
    for s, blk, ok, q, v in scales:
        h = design.thresholds[s]
        d = np.asarray(design.design_rates_kg_per_s[s])
        cus = page_cusum(d[None, :] / v[:, None] * (q[:, None] - d[None, :] / 2.0))
        ratio = cus / h
        top = ratio.max(axis=1)
        stats.append((blk.last_s[ok], top))
        per_scale[s] = (blk.start_s[ok], q, v, cus)
        hit = np.flatnonzero(top >= 1.0)
        if hit.size:
            k = int(hit[0])
            when = float(blk.last_s[ok][k])
            if best is None or when < best[0]:
                best = (when, s, k, int(np.argmax(ratio[k])), float(top[k]), h)
    if not stats:
        raise EstimateError(f"leak test found no usable block of "
                            f"{format_duration(design.blocks_s[0])} (each needs >= 3 samples "
                            f"and a quarter of a full block's information); got {t.size} "
                            f"samples over {format_duration(t[-1] - t[0])}")
    grid = np.unique(np.concatenate([ts for ts, _ in stats]))
    statistic = np.zeros_like(grid)
    for ts, val in stats:
        at = np.searchsorted(ts, grid, side="right") - 1
        statistic = np.maximum(statistic, np.where(at >= 0, val[np.maximum(at, 0)], 0.0))
    spread = np.concatenate(chi2)
    spread = spread[np.isfinite(spread)]
    # a block fitted exactly (held values) has a residual sum of 0, or -0 by rounding
    noise_ratio = float(np.sqrt(max(float(np.median(spread)), 0.0))) if spread.size else 1.0
    detectable = design.detectable_rate_kg_per_s(DAY_S)
    common: dict[str, Any] = dict(
        false_alarms_per_year=false_alarms_per_year, background_kg_per_s=background_kg_per_s,
        detectable_kg_per_s=detectable, detectable_within_s=DAY_S, noise_ratio=noise_ratio,
        samples_dropped=dropped, design=design, statistic_time_s=grid, statistic=statistic)
    if best is None:
        return Detection(alarm=False, alarm_time_s=None, onset_time_s=None,
                         excursion_start_s=None,
                         rate_at_alarm_kg_per_s=None, design_rate_kg_per_s=None,
                         threshold=design.thresholds[0], block_s=design.blocks_s[0], **common)
    when, s, k, j, _, h = best
    starts, q, v, cus = per_scale[s]
    zero = np.flatnonzero(cus[: k + 1, j] <= 0.0)
    first = min(int(zero[-1]) + 1, k) if zero.size else 0
    rate = float(np.sum(q[first: k + 1] / v[first: k + 1]) / np.sum(1.0 / v[first: k + 1]))
    excursion = float(starts[first])
    # the change point of the test's own model from ONSET_LOOKBACK longest blocks before
    # the excursion: the chart that crossed may be a short block's, on a burst hours into
    # a leak, or the leak may have been under way when the record began
    back = excursion - ONSET_LOOKBACK * design.blocks_s[-1]
    onset = _hinge_onset(t, m - m[0], 1.0 / sd**2, back, back, when, background_kg_per_s)
    return Detection(alarm=True, alarm_time_s=when, excursion_start_s=excursion,
                     onset_time_s=excursion if onset is None else onset,
                     rate_at_alarm_kg_per_s=rate,
                     design_rate_kg_per_s=float(design.design_rates_kg_per_s[s][j]),
                     threshold=h, block_s=design.blocks_s[s], **common)
