"""How much a record's outflow wanders beyond its sensor noise, learned from the record.

The block-slope test (:mod:`.detect`) and the rate intervals (:mod:`.flowlaw`) start from
the sensors' white noise: a block of length B has an outflow 1σ σ_B ∝ B^(-3/2). Real
station records also carry slow wander that no white noise explains: the cabin warms and
cools with the orbit and the day, a temperature sensor at an air inlet sees only part of
it and late, the oxygen generator and the crew add and take gas, represses are not always
logged. Over a block of B this shows as block outflow rates that scatter more than σ_B,
and, because the wander is slow, as rates that stay off for several blocks in a row,
which a CUSUM sums.

What is measured, per block length B = B₀·2^k: the outflow rate q_k of each block (the
weighted least-squares slope, as the test computes it) and the scatter of the difference
of neighbouring blocks, σ̂²(B) = median((q_{k+1} − q_k)²) / (2·0.4549) (0.4549 is the
median of χ²₁). Differences take out the mean outflow, so a steady leak or background
does not count as noise, and the median keeps the one or two differences that straddle a
leak's onset out of it. This is the Allan (two-sample) variance of the outflow rate
(Allan 1966; IEEE Std 1139-2008 for its estimators), with the block slope in place of
the block mean of a frequency record. Several phases of the block grid are pooled. The
same scatter for blocks 2 to 8 apart (:data:`LAGS`, the structure function of the block
rates) shows how long the wander stays on one side; :mod:`.calibrate` fits its noise
model to both.

What is used: a CUSUM sums per-block log-likelihood ratios over runs of blocks, so the
per-block variance it assumes must make a run of W/B blocks as variable as one block of
W. With slopes of a common variance v per block and sums over W/B blocks, the mean of the
run has variance v·B/W when the blocks are independent; the measured σ̂²(W) must not be
larger. Hence the effective per-block variance

    σ_eff²(B) = max( σ_B², max_{W ≥ B} σ̂²(W)·W/B )                     (1)

over the block lengths W that the record measures reliably (at least MIN_PAIRS
neighbour differences). White noise (σ̂² ∝ W⁻³) leaves σ_B; a random walk of the mass
(σ̂² ∝ 1/W, independent slopes) gives σ̂²(B); a cycle of period P lifts every block
shorter than about P/2 to its level there. A ratio is only used where it exceeds 1 by
more than :data:`SIGNIFICANCE` standard errors of its estimate, so a record of white
noise keeps its white-noise test. Beyond the longest reliable W the wander is taken to
continue as a random walk (σ̂²·W constant), the conservative reading of an unknown
spectrum between white noise and a random walk.

The same variance gives the floor of a rate interval over a fitted span T:
σ_q(T) ≥ √(σ̂²(W*)·W*/T) with W* the larger of the two longest measured blocks up to T
(or the assumed operational wander): the measurement nearest the span, where a wander that
averages out faster than a random walk has fallen furthest.

References
----------
Allan, D. W. (1966). Statistics of atomic frequency standards. Proc. IEEE 54, 221–230.
IEEE Std 1139-2008. Standard definitions of physical quantities for fundamental
frequency and time metrology — random instabilities.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from cabinleak.physics.units import DAY_S, format_duration

F = NDArray[np.float64]
MEDIAN_CHI2_1 = 0.454936423119572  # median of χ² with 1 degree of freedom
MIN_PAIRS = 6  # neighbour differences (one grid phase) for a block length to count
SIGNIFICANCE = 2.5  # standard errors a ratio must clear to be used
PHASES = 4  # grid phases pooled per block length
SPAN_BLOCKS = 2  # longest measured block lengths that set the wander over a longer span
LAGS = (2, 3, 4, 6, 8)  # block lags of the structure functions beyond neighbours (lag 1)
# Relative standard error of a median-of-squares variance estimate from N independent
# differences: the median's asymptotic variance, 1/(4N f(m)²) for the χ²₁ density f at
# its median m, relative to m (≈ 1.60/√N; Serfling 1980, §2.3.3 for the median).
_F_AT_MEDIAN = math.exp(-MEDIAN_CHI2_1 / 2) / math.sqrt(2 * math.pi * MEDIAN_CHI2_1)
REL_SE_SQRT_N = 1.0 / (2.0 * _F_AT_MEDIAN * MEDIAN_CHI2_1)


@dataclass(frozen=True)
class RateNoise:
    """The outflow-rate scatter of a record by block length, and what it implies.

    ``nominal_sd_kg_per_s`` is the white-noise prediction for a block (the median of the
    blocks' least-squares slope 1σ); ``measured_sd_kg_per_s`` the Allan-type scatter of
    neighbouring blocks (NaN where the record holds fewer than :data:`MIN_PAIRS`
    differences); ``pairs`` how many differences of one grid phase there were.
    """

    blocks_s: tuple[float, ...]
    nominal_sd_kg_per_s: tuple[float, ...]
    measured_sd_kg_per_s: tuple[float, ...]
    pairs: tuple[int, ...]
    # the wander of normal operations assumed where the record is too short to show it:
    # a 1σ of the mean outflow over windows up to ``prior_time_s`` [kg/s], [s]
    prior_sd_kg_per_s: float = 0.0
    prior_time_s: float = 0.0
    # the same scatter for blocks ``lag`` apart, lag in :data:`LAGS`: per block length, a
    # tuple over the lags (NaN where too few), and the differences of one grid phase; how
    # fast it grows with the lag shows how long the wander stays on one side [kg/s]
    lag_sd_kg_per_s: tuple[tuple[float, ...], ...] = ()
    lag_pairs: tuple[tuple[int, ...], ...] = ()

    def with_prior(self, sd_kg_per_s: float, time_s: float) -> RateNoise:
        """The same measurement with an assumed operational wander as a floor."""
        return replace(self, prior_sd_kg_per_s=sd_kg_per_s, prior_time_s=time_s)

    def _excess(self) -> list[tuple[float, float]]:
        """(W, σ̂²(W)·W) for the block lengths whose scatter is significantly above white,
        and the assumed operational wander's (W_c, σ_r²·W_c), sorted by W."""
        out = []
        if self.prior_sd_kg_per_s > 0 and self.prior_time_s > 0:
            out.append((self.prior_time_s, self.prior_sd_kg_per_s**2 * self.prior_time_s))
        for b, nom, meas, n in zip(self.blocks_s, self.nominal_sd_kg_per_s,
                                   self.measured_sd_kg_per_s, self.pairs, strict=True):
            if n < MIN_PAIRS or not math.isfinite(meas) or nom <= 0:
                continue
            ratio = (meas / nom) ** 2
            if ratio > 1.0 + SIGNIFICANCE * REL_SE_SQRT_N / math.sqrt(n):
                out.append((b, meas**2 * b))
        return sorted(out)

    def rate_var(self, block_s: float, white_var: float) -> float:
        """Effective per-block variance of the outflow of a block of ``block_s``, eq. (1)
        of the module [kg²/s²], given its white-noise variance."""
        best = white_var
        for w, vw in self._excess():
            if w >= block_s * (1 - 1e-9):
                best = max(best, vw / block_s)
        # beyond the longest block seen the wander continues as a random walk
        ex = self._excess()
        if ex and block_s > ex[-1][0]:
            best = max(best, ex[-1][1] / block_s)
        return best

    def local_sd(self, block_s: float, white_sd: float) -> float:
        """The scatter of single blocks of ``block_s`` [kg/s]: white noise, the scatter
        measured at that block length, or the assumed operational wander, whichever is
        largest. Unlike :meth:`rate_var` it does not carry longer blocks' wander down, so
        a few disturbed long blocks cannot hide a short, sharp event."""
        best = white_sd
        for b, meas, n in zip(self.blocks_s, self.measured_sd_kg_per_s, self.pairs,
                              strict=True):
            if abs(b - block_s) <= 1e-6 * block_s and n >= MIN_PAIRS and math.isfinite(meas):
                best = max(best, meas)
        if self.prior_sd_kg_per_s > 0 and self.prior_time_s > 0:
            best = max(best, self.prior_sd_kg_per_s * math.sqrt(
                max(self.prior_time_s / block_s, 1.0)))
        return best

    def inflation(self, block_s: float, white_sd: float) -> float:
        """σ_eff/σ_B for a block of ``block_s`` whose white-noise 1σ is ``white_sd`` [-]."""
        if white_sd <= 0:
            return 1.0
        return math.sqrt(self.rate_var(block_s, white_sd**2)) / white_sd

    def span_sd_kg_per_s(self, span_s: float) -> float:
        """The wander's 1σ of a mean outflow over ``span_s`` (0 where none is seen) [kg/s].

        Carried up from the longest block lengths measured within the span (the two
        longest, against the scatter of one) and the assumed operational wander, as a
        random walk: wander that averages out faster (a thermal cycle, a bounded swing)
        shows as a smaller σ̂²(W)·W at long W than at short W, and the longest W is the
        nearest to the span.
        """
        ex = self._excess()
        if not ex or span_s <= 0:
            return 0.0
        measured = [(w, vw) for w, vw in ex if w in self.blocks_s and w <= span_s * (1 + 1e-9)]
        usable = [vw for _, vw in measured[-SPAN_BLOCKS:]]
        if self.prior_sd_kg_per_s > 0 and self.prior_time_s > 0:
            usable.append(self.prior_sd_kg_per_s**2 * self.prior_time_s)
        if not usable:
            usable = [ex[0][1]]
        return math.sqrt(max(usable) / span_s)

    @property
    def wander_seen(self) -> bool:
        return any(w in self.blocks_s for w, _ in self._excess())

    def describe(self) -> str:
        """One line for the notes: where the wander is and how large against white noise."""
        ex = [e for e in self._excess() if e[0] in self.blocks_s]
        if not ex:
            return ""
        b, vw = max(ex, key=lambda e: e[1])
        i = self.blocks_s.index(b)
        ratio = self.measured_sd_kg_per_s[i] / self.nominal_sd_kg_per_s[i]
        return (f"the record's outflow wanders more than its sensor noise explains "
                f"({ratio:.3g}× at {format_duration(b)} blocks, "
                f"{math.sqrt(vw / b) * DAY_S:.3g} kg/day 1σ): the alarm threshold and the "
                "intervals account for it")


def block_slopes(t: F, y: F, w: F, t0: float, width: float
                 ) -> tuple[NDArray[np.int64], F, F]:
    """Block index, least-squares slope and its white-noise variance per block."""
    b = np.floor((t - t0) / width).astype(np.int64)
    ok = b >= 0
    t, y, w, b = t[ok], y[ok], w[ok], b[ok]
    if b.size == 0:
        return np.empty(0, dtype=np.int64), np.empty(0), np.empty(0)
    cut = np.flatnonzero(np.r_[True, b[1:] != b[:-1]])
    u = t - (t0 + b * width)

    def add(x: F) -> F:
        return np.add.reduceat(x, cut)

    n, sw, swu, swuu = add(np.ones_like(u)), add(w), add(w * u), add(w * u * u)
    swy, swuy = add(w * y), add(w * u * y)
    with np.errstate(invalid="ignore", divide="ignore"):
        sxx = swuu - swu**2 / sw
        slope = (swuy - swu * swy / sw) / sxx
        var = 1.0 / sxx
    good = (n >= 3) & np.isfinite(var) & (var > 0)
    return b[cut][good], slope[good], var[good]


def rate_noise(time_s: F, mass_kg: F, mass_sd_kg: F, *, shortest_block_s: float = 300.0,
               longest_block_s: float | None = None) -> RateNoise:
    """Measure the outflow-rate scatter of a record by block length (see the module).

    Parameters
    ----------
    time_s : sample times [s], increasing.
    mass_kg : gas mass less known additions [kg].
    mass_sd_kg : per-sample 1σ of the mass [kg] (the white-noise model).
    shortest_block_s : first block length [s] (at least 4 samples are used).
    longest_block_s : last block length [s] (default: a quarter of the record).
    """
    t = np.asarray(time_s, dtype=float)
    m = np.asarray(mass_kg, dtype=float)
    sd = np.asarray(mass_sd_kg, dtype=float)
    keep = np.isfinite(t) & np.isfinite(m) & np.isfinite(sd) & (sd > 0)
    t, m, sd = t[keep], m[keep], sd[keep]
    blocks: list[float] = []
    nominal: list[float] = []
    measured: list[float] = []
    pairs: list[int] = []
    lag_sd: list[tuple[float, ...]] = []
    lag_pairs: list[tuple[int, ...]] = []
    if t.size < 8:
        return RateNoise((), (), (), ())
    span = float(t[-1] - t[0])
    dt = float(np.median(np.diff(t)))
    top = span / 4.0 if longest_block_s is None else longest_block_s
    width = max(shortest_block_s, 4.0 * dt)
    y = m - m[0]
    w = 1.0 / sd**2
    while width <= top:
        diffs: list[F] = []
        variances: list[F] = []
        lagged: list[list[F]] = [[] for _ in LAGS]
        n_lag = [0] * len(LAGS)
        n_first = 0
        for k in range(PHASES):
            idx, slope, var = block_slopes(t, y, w, float(t[0]) - k * width / PHASES, width)
            if idx.size < 2:
                continue
            nb = np.median(var)
            sane = var <= 4.0 * nb  # blocks with a quarter of the information or more
            idx, slope, var = idx[sane], slope[sane], var[sane]
            nxt = np.flatnonzero(np.diff(idx) == 1)
            d = slope[nxt + 1] - slope[nxt]
            diffs.append(d)
            variances.append(var)
            dense = np.full(int(idx[-1] - idx[0]) + 1, np.nan)
            dense[idx - idx[0]] = slope
            for j, lag in enumerate(LAGS):
                dl = dense[lag:] - dense[:-lag]
                dl = dl[np.isfinite(dl)]
                lagged[j].append(dl)
                if k == 0:
                    n_lag[j] = int(dl.size)
            if k == 0:
                n_first = int(d.size)
        if variances:
            allv = np.concatenate(variances)
            alld = np.concatenate(diffs)
            blocks.append(width)
            nominal.append(float(np.sqrt(np.median(allv))))
            measured.append(float(np.sqrt(np.median(alld**2) / (2.0 * MEDIAN_CHI2_1)))
                            if alld.size else math.nan)
            pairs.append(n_first)
            sds = []
            for dls in lagged:
                dl = np.concatenate(dls) if dls else np.empty(0)
                sds.append(float(np.sqrt(np.median(dl**2) / (2.0 * MEDIAN_CHI2_1)))
                           if dl.size else math.nan)
            lag_sd.append(tuple(sds))
            lag_pairs.append(tuple(n_lag))
        width *= 2.0
    return RateNoise(tuple(blocks), tuple(nominal), tuple(measured), tuple(pairs),
                     lag_sd_kg_per_s=tuple(lag_sd), lag_pairs=tuple(lag_pairs))
