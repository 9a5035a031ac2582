"""The cleaning rules the full and the streaming reader share, each written once."""

from __future__ import annotations

import numpy as np
import pytest

from cabinleak.telemetry.clean import is_spike, robust_sd, spike_limit
from cabinleak.telemetry.columns import ColumnSpec
from cabinleak.telemetry.stream import _head_stats, _noise_sd

# 1 / Φ⁻¹(3/4): Φ⁻¹(0.75) = 0.6744897501960817 (e.g. Abramowitz & Stegun, Table 26.5)
NORMAL_MAD = 1 / 0.6744897501960817


def test_robust_sd_is_the_normal_scaled_mad() -> None:
    a = np.array([1.0, 2.0, 3.0, 4.0, 100.0])  # median 3, |a - 3| = 2 1 0 1 97: MAD 1
    assert robust_sd(a) == pytest.approx(NORMAL_MAD, rel=1e-12, abs=0)
    assert robust_sd(np.zeros(0)) == 0.0


def test_robust_sd_of_gaussian_noise() -> None:
    rng = np.random.default_rng(1)
    assert robust_sd(rng.normal(0.0, 2.5, 200_000)) == pytest.approx(2.5, rel=0.01, abs=0)


def test_noise_from_second_differences_is_the_robust_sd_over_root_6() -> None:
    rng = np.random.default_rng(2)
    v = 1e5 + rng.normal(0.0, 3.0, 100_000)
    d2 = v[2:] - 2 * v[1:-1] + v[:-2]
    assert _noise_sd(v, 0.0) == pytest.approx(robust_sd(d2) / 6**0.5, rel=1e-12, abs=0)
    assert _noise_sd(v, 0.0) == pytest.approx(3.0, rel=0.02, abs=0)


def test_streaming_reader_takes_the_full_readers_spike_limit() -> None:
    rng = np.random.default_rng(3)
    v = 1e5 + rng.normal(0.0, 5.0, 5000)
    spec = ColumnSpec("p_pressure_Pa", "p", "pressure", "Pa")
    assert _head_stats(spec, v).spike_limit == spike_limit(v, 0.0)[0]


def test_a_spike_stands_off_agreeing_neighbours() -> None:
    e, left, right = np.array([10.0, 10.0, 1.0]), np.array([0.0, 0.0, 0.0]), np.array(
        [1.0, 8.0, 0.0])
    # over the limit with agreeing neighbours; neighbours apart by more than |e|/2; too small
    assert is_spike(e, left, right, 5.0).tolist() == [True, False, False]
