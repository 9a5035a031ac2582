"""The sequential leak test of :mod:`cabinleak.estimate.detect`, run sample by sample.

``detect_leak`` reads a whole record: least-squares outflow slopes of the gas mass over
blocks B_min·2^k aligned on the record's first sample, and a bank of Page CUSUMs per
block length with design rates and thresholds from :func:`design_leak_test`. This is the
same test fed one sample at a time: each block length keeps the running weighted sums of
its open block; when a sample falls past the block's end the block's slope is taken and
every chart of that length adds its log-likelihood ratio, so the alarm comes at the end
of the block that crosses, as in the batch test. The design (and so the false-alarm
calibration, 1 per year by default) is ``design_leak_test``'s, for the noise measured on
the first :data:`WARMUP_SAMPLES` samples and, for a crewed volume, the operational wander
``analyze`` assumes (:func:`cabinleak.estimate.analysis.default_wander_Pa_per_s`).

Not carried over from the batch test: the 6σ outlier drop within a block (the console's
ingest refuses impossible readings instead), and the hinge fit of the onset (the alarm
gives the start of the excursion that crossed; the worker's full estimate dates the
onset).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from cabinleak.estimate.detect import LeakTestDesign, design_leak_test, slope_sd
from cabinleak.estimate.noise import RateNoise
from cabinleak.telemetry.clean import robust_sd

#: Samples that set the noise level before the test starts (then they are replayed).
WARMUP_SAMPLES = 60


@dataclass
class _Scale:
    """One block length: the open block's sums and the bank's CUSUMs."""

    width_s: float
    sd_nominal: float  # nominal 1σ of a block's rate [kg/s], with the wander
    gain: float  # (sd_nominal / white)²: the wander's excess at this length
    rates: np.ndarray  # design rates [kg/s]
    threshold: float
    index: int = -1  # open block's index from the first sample
    sums: np.ndarray = field(default_factory=lambda: np.zeros(6))  # n, w, wt, wtt, wy, wty
    last_s: float = math.nan
    cusum: np.ndarray = field(default_factory=lambda: np.zeros(0))
    q_sum: np.ndarray = field(default_factory=lambda: np.zeros(0))  # Σ q/v since zero
    w_sum: np.ndarray = field(default_factory=lambda: np.zeros(0))  # Σ 1/v since zero
    start_s: np.ndarray = field(default_factory=lambda: np.zeros(0))  # excursion start


@dataclass(frozen=True)
class OnlineAlarm:
    """The test's decision: when, since when, how fast."""

    time_s: float  # last sample of the block that crossed [s]
    excursion_start_s: float  # start of the block after the chart was last at 0 [s]
    rate_kg_per_s: float  # mean outflow above background over the excursion [kg/s]
    block_s: float


class OnlineLeakTest:
    """The leak test of one isolated volume, fed (time, mass) one sample at a time.

    Parameters
    ----------
    false_alarms_per_year : as ``detect_leak`` [1/yr].
    mass_sd_kg : 1σ white noise of one mass sample [kg]; by default measured on the
        first :data:`WARMUP_SAMPLES` samples.
    wander_kg_per_s : the operational wander's 1σ over ``wander_time_s`` [kg/s]; 0 for none.
    background_kg_per_s : known steady outflow [kg/s].
    """

    def __init__(self, *, false_alarms_per_year: float = 1.0, wander_kg_per_s: float = 0.0,
                 wander_time_s: float = 6 * 3600.0, background_kg_per_s: float = 0.0,
                 mass_sd_kg: float | None = None) -> None:
        self.false_alarms_per_year = false_alarms_per_year
        self.wander_kg_per_s = wander_kg_per_s
        self.wander_time_s = wander_time_s
        self.background_kg_per_s = background_kg_per_s
        self.given_sd_kg = mass_sd_kg
        self._warm: list[tuple[float, float]] = []
        self.design: LeakTestDesign | None = None
        self._scales: list[_Scale] = []
        self._t0 = 0.0
        self._m0 = 0.0
        self._w = 1.0
        self.statistic = 0.0  # max over charts of CUSUM/threshold; alarm at >= 1
        self.alarm: OnlineAlarm | None = None

    def feed(self, time_s: float, mass_kg: float) -> OnlineAlarm | None:
        """Take one sample; the alarm when this sample closes the block that crosses."""
        if not (math.isfinite(time_s) and math.isfinite(mass_kg)):
            return None
        if self.design is None:
            self._warm.append((time_s, mass_kg))
            if len(self._warm) < WARMUP_SAMPLES:
                return None
            self._start()
            found = None
            for t, m in self._warm:
                found = self._step(t, m) or found
            self._warm = []
            return found
        return self._step(time_s, mass_kg)

    def feed_many(self, time_s: np.ndarray, mass_kg: np.ndarray) -> OnlineAlarm | None:
        """Take many samples at once, as :meth:`feed` one by one would (the block sums
        with arrays, the charts block by block): a record read back, a large batch."""
        ok = np.isfinite(time_s) & np.isfinite(mass_kg)
        t, m = np.asarray(time_s, dtype=float)[ok], np.asarray(mass_kg, dtype=float)[ok]
        found = None
        i = 0
        while self.design is None and i < t.size:
            found = self.feed(float(t[i]), float(m[i])) or found
            i += 1
        if i >= t.size:
            return found
        t, y = t[i:], m[i:] - self._m0
        w = self._w
        firsts: list[OnlineAlarm] = []
        for sc in self._scales:
            k = np.floor((t - self._t0) / sc.width_s).astype(np.int64)
            cut = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
            u = t - (self._t0 + k * sc.width_s)
            sums = np.add.reduceat(np.stack([np.ones_like(u), np.full_like(u, w), w * u,
                                             w * u * u, w * y, w * u * y], axis=1), cut, axis=0)
            last = t[np.r_[cut[1:], t.size] - 1]
            first: OnlineAlarm | None = None
            for j, kj in enumerate(k[cut].tolist()):
                if kj == sc.index:
                    sc.sums = sc.sums + sums[j]
                else:
                    if sc.index >= 0:
                        hit = self._close(sc)
                        first = first or hit
                    sc.index, sc.sums = kj, sums[j].copy()
                sc.last_s = float(last[j])
            if first is not None:
                firsts.append(first)
        return self._decide(firsts) or found

    def _decide(self, hits: list[OnlineAlarm]) -> OnlineAlarm | None:
        """The earliest crossing, once: the test's alarm."""
        self.statistic = max((float(np.max(s.cusum)) / s.threshold for s in self._scales
                              if s.cusum.size), default=0.0)
        if not hits or self.alarm is not None:
            return None
        self.alarm = min(hits, key=lambda a: a.time_s)
        return self.alarm

    def _start(self) -> None:
        t = np.array([x for x, _ in self._warm])
        m = np.array([y for _, y in self._warm])
        dt = float(np.median(np.diff(t)))
        # the mass noise of one sample from neighbouring differences (a slow trend
        # cancels); never below a part in 1e9 of the mass, a record that is flat
        sd = (self.given_sd_kg if self.given_sd_kg is not None else
              max(robust_sd(np.diff(m)) / math.sqrt(2.0), 1e-9 * abs(float(m[0])), 1e-12))
        wander = None
        if self.wander_kg_per_s > 0:
            wander = RateNoise((), (), (), ()).with_prior(self.wander_kg_per_s,
                                                          self.wander_time_s)
        self.design = design_leak_test(sd, dt, false_alarms_per_year=self.false_alarms_per_year,
                                       wander=wander)
        self._t0, self._m0, self._w = float(t[0]), float(m[0]), 1.0 / sd**2
        self.mass_sd_kg, self.sample_s = sd, dt
        d = self.design
        for width, sd_nom, rates, h in zip(d.blocks_s, d.slope_sd_kg_per_s,
                                           d.design_rates_kg_per_s, d.thresholds, strict=True):
            white = slope_sd(sd, dt, width)
            r = np.asarray(rates, dtype=float)
            self._scales.append(_Scale(width, sd_nom, (sd_nom / white) ** 2, r, h,
                                       cusum=np.zeros(r.size), q_sum=np.zeros(r.size),
                                       w_sum=np.zeros(r.size), start_s=np.zeros(r.size)))

    def _step(self, t: float, m: float) -> OnlineAlarm | None:
        hits, closed = [], False
        for sc in self._scales:
            k = math.floor((t - self._t0) / sc.width_s)
            if k != sc.index:
                if sc.index >= 0:
                    closed = True
                    if (hit := self._close(sc)) is not None:
                        hits.append(hit)
                sc.index, sc.sums = k, np.zeros(6)
            u = t - (self._t0 + k * sc.width_s)
            y = m - self._m0
            w = self._w
            sc.sums = sc.sums + np.array([1.0, w, w * u, w * u * u, w * y, w * u * y])
            sc.last_s = t
        return self._decide(hits) if closed else None

    def _close(self, sc: _Scale) -> OnlineAlarm | None:
        """Take the closed block's slope into the charts of its length; the crossing, if
        a chart of this length crosses (the first time)."""
        n, w, wt, wtt, wy, wty = sc.sums
        sxx = wtt - wt * wt / w
        if n < 3 or not sxx > 0:
            return None
        slope, var = (wty - wt * wy / w) / sxx, 1.0 / sxx
        v = var * sc.gain
        if v > 4.0 * sc.sd_nominal**2:  # under a quarter of a full block's information
            return None
        q = -slope - self.background_kg_per_s
        block_start = self._t0 + sc.index * sc.width_s
        fresh = sc.cusum <= 0.0
        sc.start_s = np.where(fresh, block_start, sc.start_s)
        sc.q_sum = np.where(fresh, 0.0, sc.q_sum) + q / v
        sc.w_sum = np.where(fresh, 0.0, sc.w_sum) + 1.0 / v
        sc.cusum = np.maximum(sc.cusum + sc.rates / v * (q - sc.rates / 2.0), 0.0)
        if float(np.max(sc.cusum)) >= sc.threshold and self.alarm is None:
            j = int(np.argmax(sc.cusum))
            return OnlineAlarm(sc.last_s, float(sc.start_s[j]),
                               float(sc.q_sum[j] / sc.w_sum[j]), sc.width_s)
        return None
