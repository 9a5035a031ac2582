"""Leak-test thresholds calibrated by simulating the record's own outflow wander.

The thresholds of :mod:`.detect`, eq. (1) there, assume i.i.d. Gaussian block rates. Real
and realistic records wander slowly (orbital and daily thermal swings, gas added and used:
:mod:`.noise`), so neighbouring blocks' rates are positively correlated and a CUSUM,
which sums them, crosses far more often than eq. (1) says. Inflating each block's variance
to cover the longest runs (eq. (1) of :mod:`.noise`, still available as
``calibrate=False``) keeps the false alarms down, but it over-disperses short runs by the
ratio of the long-run to the short-run variance (about 8× on a year of the realistic
world): the test then raised no alarm in 10 simulated years at ``--false-alarms 1`` and
found leaks late. Here instead each chart assumes the scatter of single blocks and the
thresholds are set so that the bank alarms at the asked rate on the record's own noise,
by simulation. This is the one route of the issue's three that keeps the test (Page's
CUSUMs on block slopes) and its delay near Lorden's bound untouched for white records;
whitening would need a model of the wander before the test, and per-chart variances a
calibration anyway.

1. **A Gaussian model of the outflow rate**, fitted to what :func:`.noise.rate_noise`
   measures: per block length W the Allan-type scatter of neighbouring blocks and of
   blocks 2–8 apart (the structure function ½E[(q_(i+k) − q_i)²], which shows how long
   the wander stays on one side). The model is the record's white mass noise (its stated
   1σ, times 1 + g with g ≥ 0), Ornstein–Uhlenbeck (OU) components of the rate and of the
   mass level (a bounded wander: thermal swings) with time constants τ_j spaced by
   :data:`TAU_STEP`, and level cycles at the orbital period and the day
   (:data:`CYCLES_S`):

       ½E[(q_(i+k) − q_i)²](W) ≈ (1 + g)·σ_W² + Σ_j a_j·D_k(W, τ_j) + Σ_j b_j·D_k^L(W, τ_j)
                                  + Σ_c s_c·|G_W(ω_c)|²·(1 − cos(ω_c·k·W))            (1)

   with σ_W the white-noise slope 1σ; D_k the structure function of least-squares block
   slopes of a unit OU rate (the slope of the integrated rate is its average with the
   parabolic weight 6u(W−u)/W³), D_k^L that of a unit OU level (weight 12(u − W/2)/W³),
   both V − C_k with C_k = e^(−(k−1)W/τ)·I_end·I_start for non-overlapping blocks
   (:func:`ou_structure`); and G_W the slope weight's Fourier transform. g, a, b, s ≥ 0
   are fitted by non-negative least squares (Lawson & Hanson 1974) to the relative
   misfit, each point weighted by the standard error of its median-based estimate
   (:data:`.noise.REL_SE_SQRT_N`). Where the record is too short to show the wander (its
   longest reliable block is shorter than the assumed operational wander's time,
   :meth:`.noise.RateNoise.with_prior`), that wander enters as one more point, and beyond
   the longest point σ̂²(W)·W stays constant (the random-walk reading of :mod:`.noise`)
   up to :data:`EXTEND_TO_S`.
2. **Simulation of the bank on that model**: block rates at the test's shortest block B₀,
   white slope and level noise of the record's sampling; each OU rate as the ARMA(1, 1)
   sequence its block slopes are (autocovariance V, C₁·φ^(k−1), φ = e^(−B₀/τ); Box &
   Jenkins 1976) integrated into the level; each OU level at block boundaries, linear
   between; each cycle exactly, at a random phase per run. Longer blocks are pooled from
   these by exact least squares, and the test's own CUSUMs run on them: Page's CUSUM
   S_n = X_n − min(0, min_(k≤n) X_k) of the cumulative log-likelihood ratio X
   (:func:`page_cusum`), so every chart is a cumulative sum and a running minimum.
3. **For a record of two months or more** (:data:`SURROGATE_MIN_S`), its own block rates
   estimate their spectrum better than any model: the runs are then phase-randomised
   copies of the record (:func:`surrogate_thresholds`; Theiler et al. 1992).
4. **Thresholds**: over P independent runs (a quarter year each, or shorter for a high
   asked rate, after a burn-in), per run and block length, M = the largest
   CUSUM/threshold of eq. (1) of :mod:`.detect`. Each block length's threshold is
   multiplied by its own factor, the value of M exceeded in the same number k of runs for
   every block length, and k is chosen so that the bank alarms (any block length over) in
   a fraction 1 − e^(−λT) of the runs, λ the asked rate and T a run's length: the
   renewal rate of a Poisson alarm process, which the restarted test is. The union over
   block lengths is thus measured, not bounded. A rate too small to simulate (fewer than
   :data:`EVENTS` expected alarms in :data:`MAX_FINE_BLOCKS` blocks) is calibrated at the
   smallest that can be, and the factor carried to the asked rate along eq. (1)'s
   thresholds.

The simulation uses a fixed seed, so the same record gives the same test; results are
cached per model and design. A record without significant wander (and no operational
wander assumed) keeps the analytic thresholds of :mod:`.detect` and its numbers.

How well it holds (``benchmarks/bench_realistic.py``; ``tests/test_calibrate.py``): on
white noise plus an OU outflow the fitted model alarms at 0.75 of the asked rate. On
year-long records of the realistic world the fitted model alone raised no alarm in 10
years (95 %: under 0.37 per year): its structure functions fit the record's within a few
per cent, yet it overstates the persistence that the longest charts sum, and a CUSUM's
crossing rate is exponential in its threshold. Copies of the record itself gave 1.5 per
year over 10 years (95 %: 0.84 to 2.47): real records carry a little more than Gaussian
copies of themselves (residues of represses taken out, gaps). What this leaves out:
non-Gaussian wander (unlogged represses and steps are taken out by :mod:`.events` first;
what remains is treated as Gaussian), and the fitted model's conservatism on records
shorter than two months.

References
----------
Allan, D. W. (1966). Statistics of atomic frequency standards. Proc. IEEE 54, 221–230.
Lawson, C. L. & Hanson, R. J. (1974). Solving Least Squares Problems. Prentice-Hall
(non-negative least squares, ch. 23).
Box, G. E. P. & Jenkins, G. M. (1976). Time Series Analysis: Forecasting and Control,
revised ed. Holden-Day.
Page, E. S. (1954). Continuous inspection schemes. Biometrika 41, 100–115.
Uhlenbeck, G. E. & Ornstein, L. S. (1930). On the theory of the Brownian motion. Phys.
Rev. 36, 823–841.
Theiler, J., Eubank, S., Longtin, A., Galdrikian, B. & Farmer, J. D. (1992). Testing for
nonlinearity in time series: the method of surrogate data. Physica D 58, 77–94.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import nnls
from scipy.signal import lfilter

from cabinleak.estimate.noise import LAGS, MIN_PAIRS, REL_SE_SQRT_N, RateNoise

F = NDArray[np.float64]
YEAR_S = 365.25 * 86400.0  # Julian year [s]
TAU_STEP = 2.0**0.5  # ratio of successive OU time constants
EXTEND_OCTAVES = 6  # doublings of the longest block over which the wander goes on as a walk
PRIOR_REL_SE = 0.3  # relative standard error given to the assumed wander's point
LAG_PAIRS = 5  # differences per block of lag a lagged scatter needs to be used
EXTEND_REL_SE = 1.0
# ... but not beyond a month: the longest chart (6 h blocks, about 64 of them) forgets
# sooner, and a record that measured the wander that far needs no guess
EXTEND_TO_S = 30 * 86400.0  # ... and to the extension's: a guide beyond the data, not a datum
PERIOD_S = YEAR_S / 4.0  # one simulated period, over which the largest statistic is taken
BURN_IN = 8  # a period is preceded by PERIOD_S/BURN_IN of burn-in (CUSUMs start at 0)
PERIOD_ALARMS = 0.25  # ... or shorter, to expect this many alarms in one
MIN_PERIOD_BLOCKS = 64  # ... but at least this many of the longest blocks
MIN_BURN_BLOCKS = 16  # burn-in of at least this many of the longest blocks
EVENTS = 48  # simulated false alarms wanted at the calibrated rate (~15 % 1σ in λ)
MAX_FINE_BLOCKS = 3_000_000  # shortest blocks simulated at most
MAX_YEARS = 400.0  # simulated years at most
# the cycles every record of a station in low Earth orbit shows: the orbit (the ISS's
# 92.7 min at about 415 km) and the day; fitted as level cycles at a random phase
CYCLES_S = (92.7 * 60.0, 86400.0)
SURROGATE_MIN_S = 60 * 86400.0  # records this long calibrate on their own block rates
SEED = 20261202  # fixed: the same record always gets the same test
_CHUNK_BLOCKS = 400_000  # shortest blocks generated at once (memory)


def page_cusum(llr: F) -> F:
    """Page's CUSUM S_k = max(0, S_{k−1} + ℓ_k) along axis 0, from S_0 = 0.

    Vectorised as S_k = C_k − min(0, min_{j≤k} C_j) with C the cumulative sum (Page 1954).
    """
    c = np.cumsum(llr, axis=0)
    return c - np.minimum(np.minimum.accumulate(c, axis=0), 0.0)


# ---------------------------------------------------------------- the OU block slope


@functools.cache
def _kernel_autocorrelation(n: int = 1000) -> tuple[F, F]:
    """Autocorrelation of the dimensionless difference kernel d(x), x in [0, 2] (W = 1).

    d = −k(x) on [0, 1), +k(x − 1) on [1, 2), k(x) = 6x(1 − x): the least-squares slope of
    the integrated rate over a block is ∫k·r. Returns lags x ≥ 0 and ∫d(u)d(u + x) du.
    """
    u = (np.arange(2 * n) + 0.5) / n
    k = 6.0 * (u % 1.0) * (1.0 - u % 1.0)
    d = np.where(u < 1.0, -k, k)
    full = np.correlate(d, d, mode="full") / n  # lags −(2n−1)..(2n−1), step 1/n
    mid = 2 * n - 1
    return np.arange(2 * n) / n, full[mid:]


def _weighted_lag_integral(block_s: float, tau_s: float, kernel: tuple[F, F]) -> float:
    """∫ e^(−W|x|/τ) c(x) dx over all lags, c the autocorrelation of a kernel (W = 1)."""
    x, c = kernel
    dx = x[1] - x[0]
    w = np.exp(-block_s * x / tau_s)
    w[0] *= 0.5  # the lag-0 term once, lags ± counted by the factor 2
    return float(2.0 * np.sum(w * c) * dx)


def ou_allan_var(block_s: float, tau_s: float) -> float:
    """Allan variance of the least-squares block slope of a unit-variance OU rate [-].

    ½·∬ D(u)D(v)·e^(−|u−v|/τ) du dv with D the difference of the parabolic slope weights
    of two neighbouring blocks of ``block_s``. For τ ≪ W it tends to 2.4·τ/W (the
    white-rate limit, ∫D² = 2.4/W), for τ ≫ W to 0 (a constant rate has no scatter).
    """
    if tau_s < 0.01 * block_s:
        return 2.4 * tau_s / block_s  # the grid cannot resolve e^(−W|x|/τ); limit form
    return 0.5 * _weighted_lag_integral(block_s, tau_s, _kernel_autocorrelation())


def ou_slope_var(block_s: float, tau_s: float) -> float:
    """Variance of one least-squares block slope of a unit-variance OU rate [-]."""
    if tau_s < 0.01 * block_s:
        return 2.4 * tau_s / block_s  # ∫k² = 1.2/W; the same limit as the Allan variance
    return _weighted_lag_integral(block_s, tau_s, _single_kernel_autocorrelation())


@functools.cache
def _level_kernel_autocorrelation(n: int = 1000) -> tuple[F, F]:
    """As :func:`_kernel_autocorrelation` for the slope weight on a level, 12(x − ½)."""
    u = (np.arange(2 * n) + 0.5) / n
    k = 12.0 * (u % 1.0 - 0.5)
    d = np.where(u < 1.0, -k, k)
    full = np.correlate(d, d, mode="full") / n
    return np.arange(2 * n) / n, full[2 * n - 1:]


def ou_level_allan_var(block_s: float, tau_s: float) -> float:
    """Allan variance of the least-squares block slope of a unit-variance OU *level* [1/s²].

    The slope weight on a level is 12(u − W/2)/W³; for τ ≪ W the level is white and the
    variance tends to 24·τ/W³, for τ ≫ W to 0.
    """
    if tau_s < 0.01 * block_s:
        return 24.0 * tau_s / block_s**3
    return 0.5 * _weighted_lag_integral(block_s, tau_s, _level_kernel_autocorrelation()) \
        / block_s**2


@functools.cache
def _single_kernel_autocorrelation(level: bool = False, n: int = 1000) -> tuple[F, F]:
    """Autocorrelation of one block's slope weight (W = 1): 6x(1 − x) on a rate, 12(x − ½)
    on a level; lags x ≥ 0."""
    u = (np.arange(n) + 0.5) / n
    k = 12.0 * (u - 0.5) if level else 6.0 * u * (1.0 - u)
    full = np.correlate(k, k, mode="full") / n
    c = np.zeros(2 * n)
    c[:n] = full[n - 1:]
    return np.arange(2 * n) / n, c


def ou_structure(block_s: float, tau_s: float, lag: int, *, level: bool = False) -> float:
    """½E[(q_{i+lag} − q_i)²] of least-squares block slopes of a unit-variance OU [-].

    Of the rate (``level`` False) or of the mass level (True, [1/s²]); lag 1 is the
    Allan variance (:func:`ou_allan_var`, :func:`ou_level_allan_var`). It is V − C with V
    one slope's variance and C the covariance of two slopes ``lag`` blocks apart; for
    lag ≥ 1 the blocks do not overlap, so C = e^(−(lag−1)W/τ)·I_end·I_start with
    I_end, I_start the slope weight integrated against e^(−(W−u)/τ) and e^(−u/τ).
    """
    r = block_s / tau_s
    if tau_s < 0.01 * block_s:  # white limits (the grid cannot resolve e^(−W|x|/τ))
        return 24.0 * tau_s / block_s**3 if level else 2.4 * tau_s / block_s
    x, c = _single_kernel_autocorrelation(level)
    v = _weighted_lag_integral(block_s, tau_s, (x, c))
    n = 2000
    u = (np.arange(n) + 0.5) / n
    k = 12.0 * (u - 0.5) if level else 6.0 * u * (1.0 - u)
    i_end = float(np.mean(k * np.exp(-r * (1.0 - u))))
    i_start = float(np.mean(k * np.exp(-r * u)))
    out = v - math.exp(-(lag - 1) * r) * i_end * i_start
    return out / block_s**2 if level else out


def _sine_transforms(block_s: float, period_s: float) -> tuple[complex, complex]:
    """(1/B)∫₀^B e^(iωu) du and ∫₀^B w(u)·e^(iωu) du, w(u) = 12(u − B/2)/B³ the slope
    weight on a level: the block mean and slope of e^(iωt) over a block starting at 0."""
    a = 2j * math.pi / period_s
    e = np.exp(a * block_s)
    mean = (e - 1.0) / (a * block_s)
    slope = 12.0 / block_s**3 * (e * (block_s / (2 * a) - 1.0 / a**2) + 1.0 / a**2
                                 + block_s / (2 * a))
    return complex(mean), complex(slope)


def sine_structure(block_s: float, period_s: float, lag: int) -> float:
    """½E[(q_{i+lag} − q_i)²] of block slopes of a unit-variance level cycle [1/s²].

    A level √2·cos(ωt + φ) with a random phase has the covariance cos(ω(u − v)), so two
    block slopes ``lag`` blocks apart have the covariance |G|²·cos(ω·lag·B), G the slope
    weight's transform (:func:`_sine_transforms`).
    """
    g = _sine_transforms(block_s, period_s)[1]
    return abs(g) ** 2 * (1.0 - math.cos(2.0 * math.pi * lag * block_s / period_s))


# ---------------------------------------------------------------- the model


@dataclass(frozen=True)
class WanderModel:
    """White mass noise plus OU rate components, eq. (1) of the module.

    ``white_gain`` is 1 + g, the factor on the white-noise slope variance; ``tau_s`` and
    ``var_kg2_per_s2`` the OU rate components' time constants [s] and variances
    [kg²/s²]; ``level_tau_s`` and ``level_var_kg2`` those of OU components of the mass
    level itself [s], [kg²] (a bounded wander: thermal swings of the gas).
    """

    white_gain: float
    tau_s: tuple[float, ...]
    var_kg2_per_s2: tuple[float, ...]
    level_tau_s: tuple[float, ...] = ()
    level_var_kg2: tuple[float, ...] = ()
    cycle_s: tuple[float, ...] = ()  # periods of level cycles (orbit, day) [s]
    cycle_var_kg2: tuple[float, ...] = ()  # their variances (amplitude²/2) [kg²]

    def allan_var(self, block_s: float, white_var: float) -> float:
        """The model's σ̂²(W) for blocks of ``block_s`` whose white slope variance is
        ``white_var`` [kg²/s²]: the scatter of neighbouring blocks' rates."""
        return self.white_gain * white_var + sum(
            a * ou_allan_var(block_s, t) for t, a in zip(self.tau_s, self.var_kg2_per_s2,
                                                          strict=True)) + sum(
            a * ou_level_allan_var(block_s, t) for t, a in zip(
                self.level_tau_s, self.level_var_kg2, strict=True)) + sum(
            a * sine_structure(block_s, p, 1) for p, a in zip(
                self.cycle_s, self.cycle_var_kg2, strict=True))


def fit_wander_model(rn: RateNoise) -> WanderModel | None:
    """Fit eq. (1) of the module to a record's measured rate scatter; None when the
    record shows no wander and none is assumed (the test's analytic thresholds hold)."""
    assumed = rn.prior_sd_kg_per_s > 0 and rn.prior_time_s > 0
    if not rn.wander_seen and not assumed:
        return None
    pts: list[tuple[float, int, float, float, float]] = []  # W, lag, σ̂², white σ_W², se
    for i, (b, nom, meas, n) in enumerate(zip(rn.blocks_s, rn.nominal_sd_kg_per_s,
                                              rn.measured_sd_kg_per_s, rn.pairs, strict=True)):
        # scatter below the white noise's (held values read to a step) counts as white
        if n >= MIN_PAIRS and math.isfinite(meas) and nom > 0:
            pts.append((b, 1, max(meas, nom)**2, nom**2, REL_SE_SQRT_N / math.sqrt(n)))
            if i < len(rn.lag_sd_kg_per_s):  # how long the wander stays on one side
                for lag, sd, m in zip(LAGS, rn.lag_sd_kg_per_s[i], rn.lag_pairs[i],
                                      strict=True):
                    # a leak's onset is straddled by `lag` of the m differences: the
                    # median ignores it while they are few
                    if m >= max(MIN_PAIRS, LAG_PAIRS * lag) and math.isfinite(sd):
                        pts.append((b, lag, max(sd, nom)**2, nom**2,
                                    REL_SE_SQRT_N / math.sqrt(m)))
    if not pts and not assumed:
        return None

    def white_at(w: float) -> float:  # white slope variance, ∝ W⁻³ from the nearest point
        if not pts:
            return 0.0
        b, _, _, nom2, _ = min(pts, key=lambda p: abs(math.log(p[0] / w)))
        return nom2 * (b / w) ** 3

    last_w, last_excess = 0.0, 0.0
    if pts:
        last = max((p for p in pts if p[1] == 1), key=lambda p: p[0])
        last_w = last[0]
        last_excess = max(last[2] - last[3], 0.0) if rn.wander_seen else 0.0
    if assumed and rn.prior_time_s > last_w:
        # the record is too short to show the operational wander's time: it enters as given
        var = rn.prior_sd_kg_per_s**2
        pts.append((rn.prior_time_s, 1, var + white_at(rn.prior_time_s),
                    white_at(rn.prior_time_s), PRIOR_REL_SE))
        last_w, last_excess = rn.prior_time_s, var
    if last_excess > 0:
        for k in range(1, EXTEND_OCTAVES + 1):  # beyond: a random walk of the mass
            w = last_w * 2.0**k
            if w > EXTEND_TO_S:
                break
            pts.append((w, 1, last_excess * last_w / w + white_at(w), white_at(w),
                        EXTEND_REL_SE))
    w_all = np.array([p[0] for p in pts])
    lags = [p[1] for p in pts]
    w_lo, w_hi = float(w_all.min()), float(w_all.max())
    taus = w_lo / 2.0 * TAU_STEP ** np.arange(
        math.ceil(math.log(8.0 * w_hi / (w_lo / 2.0)) / math.log(TAU_STEP)) + 1)
    y = np.array([p[2] for p in pts])
    white = np.array([p[3] for p in pts])
    scale = 1.0 / (y * np.array([p[4] for p in pts]))
    cols = np.column_stack(
        [white]
        + [[ou_structure(w, t, g) for w, g in zip(w_all, lags, strict=True)] for t in taus]
        + [[ou_structure(w, t, g, level=True) for w, g in zip(w_all, lags, strict=True)]
           for t in taus])
    cycles = np.column_stack([[sine_structure(w, p, g) for w, g in zip(w_all, lags,
                                                                      strict=True)]
                              for p in CYCLES_S])
    coef, _ = nnls(np.column_stack([cols, cycles]) * scale[:, None], (y - white) * scale)
    rate, level = coef[1:1 + taus.size], coef[1 + taus.size:1 + 2 * taus.size]
    cyc = coef[1 + 2 * taus.size:]
    return WanderModel(white_gain=1.0 + float(coef[0]),
                       tau_s=tuple(float(t) for t in taus[rate > 0]),
                       var_kg2_per_s2=tuple(float(a) for a in rate[rate > 0]),
                       level_tau_s=tuple(float(t) for t in taus[level > 0]),
                       level_var_kg2=tuple(float(a) for a in level[level > 0]),
                       cycle_s=tuple(p for p, a in zip(CYCLES_S, cyc, strict=True) if a > 0),
                       cycle_var_kg2=tuple(float(a) for a in cyc if a > 0))


# ---------------------------------------------------------------- simulation


def _ou_block_slopes(fine_s: float, tau_s: float, var: float, shape: tuple[int, int],
                     rng: np.random.Generator) -> F:
    """Block slopes of an OU rate of variance ``var``, as the ARMA(1, 1) sequence they are.

    Their autocovariance is γ₀ = V, γ_k = C₁·φ^(k−1) with φ = e^(−B/τ) (:func:`ou_structure`),
    that of q_i = φ·q_(i−1) + ε_i + θ·ε_(i−1) with γ₁/γ₀ = (1 + φθ)(φ + θ)/(1 + 2φθ + θ²)
    (Box & Jenkins 1976, §3.4): θ is the root of modulus ≤ 1 of that quadratic.
    """
    v = var * ou_slope_var(fine_s, tau_s)
    phi = math.exp(-fine_s / tau_s)
    if phi < 1e-9:
        return math.sqrt(v) * rng.standard_normal(shape)
    r = min(max((v - var * ou_structure(fine_s, tau_s, 1)) / v, -0.499), 0.999999)
    qa, qb = r - phi, 2.0 * r * phi - 1.0 - phi * phi
    if abs(qa) < 1e-12:
        theta = 0.0
    else:
        roots = np.roots([qa, qb, qa])
        theta = float(np.real(roots[np.argmin(np.abs(roots))]))
    sig2 = v * (1.0 - phi * phi) / (1.0 + 2.0 * phi * theta + theta * theta)
    e = rng.standard_normal(shape)
    # a stationary start: the first value drawn with the full variance
    out = lfilter([1.0, theta], [1.0, -phi], math.sqrt(sig2) * e, axis=0)
    out[0] = math.sqrt(v) * e[0]
    return np.asarray(out)


def _block_rates(model: WanderModel, fine_s: float, sample_s: float, mass_sd_kg: float,
                 n_scales: int, n_blocks: int, periods: int, rng: np.random.Generator
                 ) -> list[F]:
    """Simulated outflow rates of ``periods`` independent runs of ``n_blocks`` blocks of
    ``fine_s``, pooled to blocks of fine_s·2^s, s < ``n_scales``; each (blocks, periods)."""
    n0 = max(fine_s / sample_s, 3.0)
    sxx = n0 * (n0 * n0 - 1.0) / 12.0 * sample_s**2  # Σ(t − t̄)² of one block's samples
    g = math.sqrt(model.white_gain)
    shape = (n_blocks, periods)
    slope = g * mass_sd_kg / math.sqrt(sxx) * rng.standard_normal(shape)
    level = g * mass_sd_kg / math.sqrt(n0) * rng.standard_normal(shape)
    rate = np.zeros(shape)
    for tau, a in zip(model.tau_s, model.var_kg2_per_s2, strict=True):
        rate += _ou_block_slopes(fine_s, tau, a, shape, rng)
    for tau, a in zip(model.level_tau_s, model.level_var_kg2, strict=True):
        # the level at block boundaries, linear between (its rate constant in a block),
        # and the slope's scatter beyond the chord's as a white rest
        phi = math.exp(-fine_s / tau)
        e = rng.standard_normal((n_blocks + 1, periods))
        e[1:] *= math.sqrt(1.0 - phi * phi)
        lv = math.sqrt(a) * lfilter([1.0], [1.0, -phi], e, axis=0)
        rate += np.diff(lv, axis=0) / fine_s
        v = a * ou_structure(fine_s, tau, 10**6, level=True)  # one slope's variance
        rest = v - 2.0 * a * (1.0 - phi) / fine_s**2
        if rest > 0:
            slope += math.sqrt(rest) * rng.standard_normal(shape)
    start = fine_s * np.arange(n_blocks)[:, None]
    for period, a in zip(model.cycle_s, model.cycle_var_kg2, strict=True):
        # a level cycle at a random phase per run: block means and slopes exactly
        mean, slp = _sine_transforms(fine_s, period)
        z = math.sqrt(2.0 * a) * np.exp(1j * (2.0 * math.pi * start / period
                                              + rng.uniform(0.0, 2.0 * math.pi, periods)))
        level += np.real(z * mean)
        slope += np.real(z * slp)
    # the mean of the integrated rate over each block: rate constant within a block
    level += fine_s * (np.cumsum(rate, axis=0) - 0.5 * rate)
    slope += rate
    out = [slope]
    n, width = n0, fine_s
    for _ in range(1, n_scales):
        b1, b2, y1, y2 = slope[0::2], slope[1::2], level[0::2], level[1::2]
        sxx_new = 2.0 * sxx + n * width**2 / 2.0  # exact pooling of two neighbours
        slope = (sxx * (b1 + b2) + n * width / 2.0 * (y2 - y1)) / sxx_new
        level = 0.5 * (y1 + y2)
        sxx, n, width = sxx_new, 2.0 * n, 2.0 * width
        out.append(slope)
    return out


@dataclass(frozen=True)
class Calibration:
    """Threshold factors per block length from :func:`calibrate_thresholds`."""

    factors: tuple[float, ...]  # multiply the analytic thresholds [-]
    simulated_years: float
    calibrated_at_per_year: float  # the rate simulated (≥ the asked one) [1/yr]


def calibrate_thresholds(model: WanderModel, *, blocks_s: Sequence[float], sample_s: float,
                         mass_sd_kg: float, chart_sd_kg_per_s: Sequence[float],
                         design_rates_kg_per_s: Sequence[Sequence[float]],
                         thresholds: Sequence[float],
                         false_alarms_per_year: float) -> Calibration:
    """Factors on the bank's thresholds that make it alarm at the asked rate on ``model``.

    Parameters
    ----------
    model : the record's fitted noise (:func:`fit_wander_model`).
    blocks_s : the bank's block lengths, the shortest times powers of 2 [s].
    sample_s, mass_sd_kg : the record's sampling interval [s] and white mass 1σ [kg].
    chart_sd_kg_per_s : the 1σ each block length's charts assume [kg/s].
    design_rates_kg_per_s : design rates per block length [kg/s].
    thresholds : the analytic thresholds per block length [-].
    false_alarms_per_year : the asked rate [1/yr].
    """
    key = (model, tuple(blocks_s), sample_s, mass_sd_kg, tuple(chart_sd_kg_per_s),
           tuple(tuple(r) for r in design_rates_kg_per_s), tuple(thresholds),
           false_alarms_per_year)
    return _calibrate(key)


@functools.lru_cache(maxsize=64)
def _calibrate(key: tuple) -> Calibration:
    model, blocks, sample_s, mass_sd, sds, rates, hs, far = key
    fine = blocks[0]
    scale_of = [round(math.log2(b / fine)) for b in blocks]
    n_scales = max(scale_of) + 1
    unit = 2**(n_scales - 1)
    # a period short enough that most pass without an alarm (the quantiles are then
    # well estimated), long against the longest charts' memory
    period = max(min(PERIOD_S, PERIOD_ALARMS * YEAR_S / far), MIN_PERIOD_BLOCKS * blocks[-1])
    per_period = max(unit, math.ceil(period / fine / unit) * unit)
    burn = max(unit, math.ceil(max(per_period / BURN_IN,
                                   MIN_BURN_BLOCKS * blocks[-1] / fine) / unit) * unit)
    years_max = min(MAX_YEARS, MAX_FINE_BLOCKS * fine / YEAR_S)
    years = min(years_max, EVENTS / far)
    rate = max(far, EVENTS / years)
    periods = max(round(years * YEAR_S / (per_period * fine)), 16)
    period_s = per_period * fine
    rng = np.random.default_rng(SEED)
    tops = np.zeros((periods, len(blocks)))
    chunk = max(1, _CHUNK_BLOCKS // (per_period + burn))
    for p0 in range(0, periods, chunk):
        npd = min(chunk, periods - p0)
        q = _block_rates(model, fine, sample_s, mass_sd, n_scales, per_period + burn, npd,
                         rng)
        for i, s in enumerate(scale_of):
            x = q[s]
            skip = burn // 2**s
            d = np.asarray(rates[i])
            top = np.zeros(npd)
            for c in d:  # one chart at a time keeps the arrays (blocks, periods)
                cus = page_cusum(c / sds[i]**2 * (x - c / 2.0))
                top = np.maximum(top, cus[skip:].max(axis=0))
            tops[p0:p0 + npd, i] = top / hs[i]
    return _factors(tops, period_s, rate)


def _factors(tops: F, period_s: float, rate: float) -> Calibration:
    """Per block length, the factor on its threshold from the largest statistics ``tops``
    (runs × block lengths, each run ``period_s`` long) that alarms at ``rate`` [1/yr]."""
    periods = tops.shape[0]
    want = periods * -math.expm1(-rate * period_s / YEAR_S)  # runs with an alarm
    order = -np.sort(-tops, axis=0)  # each block length's M, largest first

    def union(k: int) -> int:  # runs alarmed with every block length at its k-th M
        return int(np.sum(np.any(tops >= order[k - 1][None, :], axis=1)))

    k = 1  # the k whose union count is nearest the runs wanted
    while k < periods and abs(union(k + 1) - want) <= abs(union(k) - want):
        k += 1
    # between the k-th and (k+1)-th largest M the count is that of the k-th
    cut = order[k - 1] if k >= periods else 0.5 * (order[k - 1] + order[k])
    return Calibration(factors=tuple(float(max(c, 1e-6)) for c in cut),
                       simulated_years=periods * period_s / YEAR_S,
                       calibrated_at_per_year=rate)


def surrogate_thresholds(series: Sequence[tuple[F, F]], *, span_s: float,
                         design_rates_kg_per_s: Sequence[Sequence[float]],
                         thresholds: Sequence[float],
                         false_alarms_per_year: float) -> Calibration:
    """Factors on the bank's thresholds from phase-randomised copies of the record itself.

    For a record long against the charts' memory (:data:`SURROGATE_MIN_S`) its own block
    rates are the best estimate of their spectrum: each block length's standardised
    rates (less their mean, over their 1σ) keep the amplitudes of their Fourier transform
    and get random phases (Theiler et al. 1992), the same phase at the same frequency for
    every block length so that their dependence is kept. A leak in the stretch would lend
    its power to the copies (a 30 kg/day leak in a year of the realistic world raised the
    threshold 150-fold and the alarm came 26 days late): :func:`.detect.detect_leak`
    passes only the stretch before the fitted model's first alarm. Each copy, centred on
    the background (the null hypothesis: the record's own mean is what the test is
    about), runs through the charts after a burn-in on its own end (the copies are
    circular). The factors then follow as for the fitted model (:func:`_factors`).

    Parameters
    ----------
    series : per block length, the record's outflow rates above background [kg/s] and
        the variances the charts give them [kg²/s²], in time order.
    span_s : the record's length [s].
    design_rates_kg_per_s, thresholds, false_alarms_per_year : as :func:`calibrate_thresholds`.
    """
    n0 = max(q.size for q, _ in series)
    copies = max(16, math.ceil(EVENTS / (false_alarms_per_year * span_s / YEAR_S)))
    copies = min(copies, max(16, MAX_FINE_BLOCKS // max(n0, 1)))
    rate = max(false_alarms_per_year, EVENTS / (copies * span_s / YEAR_S))
    rng = np.random.default_rng(SEED)
    tops = np.zeros((copies, len(series)))
    spectra = []
    for q, v in series:
        spectra.append(np.fft.rfft((q - q.mean()) / np.sqrt(v)))
    for p in range(copies):
        phase = np.exp(2j * math.pi * rng.random(n0 // 2 + 1))
        for i, ((q, v), spec) in enumerate(zip(series, spectra, strict=True)):
            if q.size < 2:
                continue
            x = np.fft.irfft(spec * phase[:spec.size], q.size) * np.sqrt(v)
            burn = max(q.size // BURN_IN, 1)
            x = np.concatenate([x[-burn:], x])[:, None]
            vv = np.concatenate([v[-burn:], v])[:, None]
            d = np.asarray(design_rates_kg_per_s[i])[None, :]
            tops[p, i] = float(page_cusum(d / vv * (x - d / 2.0))[burn:].max()) / thresholds[i]
    return _factors(tops, span_s, rate)
