"""How a temperature sensor follows the cabin gas, fitted from the record.

The gas law ties the pressure of a closed volume to the mean temperature of its gas:
p = m·R·T/V. A sensor at one point (an air inlet, a wall, a board in a warm case) sees
that temperature late, partly and offset: in the public ISS feed the cabin pressure follows
the Lab air-inlet temperature at about a third of the gas law's slope; an Astro Pi board
reads 10 K warm. Taken as the bulk gas, such a sensor puts its own swings into the mass.

The sensor is modelled as T_gas(t) = T_level + β·(T_s(t + d) − T̄_s): a gain β in [0, 1]
(1 is the gas law, a sensor in the bulk gas), a lag d and a level. Over short differences
(bins of :data:`BIN_S`) a leak is a constant drift, so β is the least-squares slope of
Δln p on Δln T_s with an intercept (differences remove the leak's level, the intercept its
rate), for each lag d on a grid (:data:`LAGS_S`), keeping the lag of best fit. Differences
more than 5 robust σ off the line (a repress, a hatch) are left out and the line refitted.
When β is within :data:`AGREE_SIGMA` standard errors of 1 the gas law is kept as it is.
The level is the sensor's mean when that is a plausible cabin temperature
(:data:`CABIN_RANGE_K`), else the volume's nominal temperature.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

F = NDArray[np.float64]
BIN_S = 600.0
LAGS_S = tuple(600.0 * k for k in range(-3, 7))  # -30 min to +60 min
AGREE_SIGMA = 3.0
CABIN_RANGE_K = (288.15, 303.15)  # 15 °C to 30 °C (ISS: 18.3-26.7 °C)
MIN_DIFFERENCES = 12
# the sensor's 10-min changes must vary by this much (1σ) to fit a gain from them [K]
MIN_SWING_K = 0.02


@dataclass(frozen=True)
class Coupling:
    """The fitted sensor model: T_gas = level + gain·(T_s(t + lag) − sensor mean)."""

    gain: float  # β [-]
    gain_sd: float  # its 1σ [-] (0 when not fitted)
    lag_s: float  # d [s]
    level_K: float
    sensor_mean_K: float
    fitted: bool  # False: the gas law taken as it is (β = 1, no lag)
    note: str = ""

    @property
    def follows(self) -> bool:
        """Whether the sensor tells anything of the gas (a gain above zero)."""
        return self.gain > 0

    def gas_temperature(self, time_s: F, sensor_K: F) -> F:
        """The bulk gas temperature the sensor record implies [K]."""
        if not self.fitted:
            return np.asarray(sensor_K, dtype=float)
        shifted = np.interp(time_s + self.lag_s, time_s, sensor_K)
        return np.asarray(self.level_K + self.gain * (shifted - self.sensor_mean_K))


def _bins(t: F, x: F) -> tuple[F, F]:
    idx = np.floor((t - t[0]) / BIN_S).astype(np.int64)
    n = np.bincount(idx).astype(float)
    used = n > 0
    return ((np.bincount(idx, weights=t) / np.maximum(n, 1))[used],
            (np.bincount(idx, weights=x) / np.maximum(n, 1))[used])


def fit_coupling(time_s: F, pressure_Pa: F, sensor_K: F, *,
                 nominal_K: float = 295.0, sensor_sd_K: float = 0.0) -> Coupling:
    """Fit the sensor's gain, lag and level to a pressure record (see the module).

    Parameters
    ----------
    time_s : sample times [s], increasing.
    pressure_Pa : the volume's combined pressure [Pa].
    sensor_K : the combined temperature reading [K] (gaps filled).
    nominal_K : the volume's nominal gas temperature [K], the level when the sensor's
        own mean is not a plausible cabin temperature.
    sensor_sd_K : the sensor's white noise per sample [K]. Noise in the regressor biases
        the slope toward 0 by the reliability λ = 1 − Var(noise)/Var(ΔT) (errors in
        variables; Fuller 1987, §1.1): the slope is divided by λ, and where λ < 0.8 the
        record's temperature changes are too small against its noise to fit a gain and
        the gas law is kept.
    """
    t = np.asarray(time_s, dtype=float)
    ok = np.isfinite(pressure_Pa) & np.isfinite(sensor_K) & (pressure_Pa > 0) & (sensor_K > 0)
    mean_s = float(np.mean(sensor_K[ok])) if ok.any() else nominal_K
    plausible = CABIN_RANGE_K[0] <= mean_s <= CABIN_RANGE_K[1]
    level = mean_s if plausible else nominal_K
    keep = Coupling(1.0, 0.0, 0.0, mean_s, mean_s, fitted=False)
    if ok.sum() < 4 * MIN_DIFFERENCES or t[ok][-1] - t[ok][0] < MIN_DIFFERENCES * BIN_S:
        if plausible:
            return keep
        return Coupling(1.0, 0.0, 0.0, level, mean_s, fitted=True,
                        note=f"the temperature sensor reads {mean_s - 273.15:.1f} °C on average, "
                        f"not a cabin's: its changes are used, at the level of "
                        f"{level - 273.15:.1f} °C")
    _, lp = _bins(t[ok], np.log(pressure_Pa[ok]))
    idx = np.floor((t[ok] - t[ok][0]) / BIN_S).astype(np.int64)
    per_bin = np.bincount(idx).astype(float)
    per_bin = per_bin[per_bin > 0]
    noise_dx = (sensor_sd_K / mean_s) ** 2 * (1.0 / per_bin[1:] + 1.0 / per_bin[:-1])
    best: tuple[float, float, float, float] | None = None  # (rss, β, sd, lag)
    for lag in LAGS_S:
        ts = np.interp(t[ok] + lag, t[ok], sensor_K[ok])
        _, lt = _bins(t[ok], np.log(ts))
        dy, dx = np.diff(lp), np.diff(lt)
        use = np.ones(dy.size, dtype=bool)
        for _ in range(2):
            if use.sum() < MIN_DIFFERENCES:
                break
            a = np.column_stack([np.ones(int(use.sum())), dx[use]])
            coef, *_ = np.linalg.lstsq(a, dy[use], rcond=None)
            res = dy - coef[0] - coef[1] * dx
            scale = 1.4826 * float(np.median(np.abs(res[use] - np.median(res[use]))))
            if scale <= 0:
                break
            use = np.abs(res) <= 5.0 * scale
        if use.sum() < MIN_DIFFERENCES:
            continue
        var_dx = float(np.var(dx[use]))
        if math.sqrt(var_dx) * mean_s < MIN_SWING_K:
            continue  # a steady drift (a ground test): the gain is not identifiable
        reliability = 1.0 - float(np.mean(noise_dx[use])) / var_dx if var_dx > 0 else 0.0
        if reliability < 0.8:
            continue
        a = np.column_stack([np.ones(int(use.sum())), dx[use]])
        coef, *_ = np.linalg.lstsq(a, dy[use], rcond=None)
        coef[1] /= reliability
        res = dy[use] - a @ coef
        dof = max(int(use.sum()) - 2, 1)
        s2 = float(res @ res) / dof
        sxx = float(np.sum((dx[use] - dx[use].mean()) ** 2))
        if sxx <= 0:
            continue
        sd = math.sqrt(s2 / sxx) / reliability
        # consecutive differences of a white error are anti-correlated (lag-one ρ = −½);
        # the slope's 1σ from the residuals is kept as it is (conservative for β)
        rss = float(res @ res) / int(use.sum())
        if best is None or rss < best[0]:
            best = (rss, float(coef[1]), sd, lag)
    if best is None:
        return keep if plausible else Coupling(1.0, 0.0, 0.0, level, mean_s, fitted=True)
    _, beta, sd, lag = best
    if plausible and abs(beta - 1.0) <= AGREE_SIGMA * sd:
        return keep
    gain = min(max(beta, 0.0), 1.0)
    if gain <= 2.0 * sd:
        return Coupling(0.0, sd, 0.0, level, mean_s, fitted=True,
                        note=f"the temperature sensor does not follow the gas (gain "
                        f"{beta:.2f} ± {sd:.2f}, fitted): its record is not used")
    where = (f"reads {mean_s - 273.15:.1f} °C on average, not a cabin's (level taken as "
             f"{level - 273.15:.1f} °C); it " if not plausible else "")
    note = (f"the temperature sensor {where}follows the gas at a gain of {gain:.2f} "
            f"(±{sd:.2f}, fitted; the gas law's 1 is the upper limit) and "
            f"{abs(lag) / 60:.0f} min {'late' if lag >= 0 else 'early'}: the mass is "
            "compensated by that much")
    return Coupling(gain, sd, lag, level, mean_s, fitted=True, note=note)
