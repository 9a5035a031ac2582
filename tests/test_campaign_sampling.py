"""What varies between scenarios: leak sites by MMOD risk, hole-size distributions, the
crew's sleep window, and the chunk seeding."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cabinleak.campaign.spec import HoleSize, Orbit


def test_mmod_weights_scale_as_the_sphere_area():
    """One wall for every module: expected penetrations ∝ area, and a sphere of volume V
    has area (36π)^(1/3)·V^(2/3) (4.836 V^(2/3)); Zarya 90.23 m³ against the PrK 4.5 m³:
    (90.23/4.5)^(2/3) = 7.381."""
    from cabinleak.campaign.sampling import module_area_m2, module_risk_weights
    from cabinleak.station import load_station

    iss = load_station("iss").replace(surfaces=())  # no MMOD surfaces: the sphere's area
    w = module_risk_weights(iss, "single:0.2cm", Orbit())
    ids = iss.module_ids
    ratio = w[ids.index("zarya")] / w[ids.index("prk")]
    assert ratio == pytest.approx(7.381, rel=0, abs=1e-3)
    assert module_area_m2(iss, "prk") == pytest.approx(4.836 * 4.5 ** (2 / 3), rel=1e-3,
                                                       abs=0)
    assert (w > 0).all()


def test_mmod_weights_come_from_the_station_surfaces():
    """The bundled ISS has MMOD surfaces: each module's weight is its expected
    penetrations from them (what `cabinleak mmod --station iss` tabulates), whatever the
    fallback wall says; over 10 years Zarya 0.0505 and the PrK 0.00379 (that table)."""
    from cabinleak.attribute.risk import Environment
    from cabinleak.attribute.surfaces import station_risk
    from cabinleak.campaign.sampling import module_risk_weights
    from cabinleak.station import load_station

    iss = load_station("iss")
    ten_years_s = 10 * 365.25 * 86400.0
    w = module_risk_weights(iss, "single:0.2cm", Orbit(), exposure_s=ten_years_s)
    risk = station_risk(iss, ten_years_s, Environment())
    np.testing.assert_allclose(w, [m.expected_penetrations for m in risk.modules],
                               rtol=1e-12, atol=0)
    ids = iss.module_ids
    assert w[ids.index("zarya")] == pytest.approx(0.0505, rel=0, abs=5e-5)
    assert w[ids.index("prk")] == pytest.approx(0.00379, rel=0, abs=5e-6)


def test_mmod_hole_sizes_follow_the_survival_table():
    """Drawn holes of at least D, as a fraction, against the table's N(≥D)/N(≥min)."""
    from cabinleak.campaign.sampling import draw_hole_m, mmod_hole_table
    from cabinleak.station import load_station

    hole = HoleSize("mmod", min_m=0.5e-3, max_m=20e-3)
    grid, surv = mmod_hole_table(load_station("iss"), "single:0.2cm", Orbit(), hole)
    assert surv[0] == 1.0 and (np.diff(surv) <= 0).all() and surv[-1] < 0.01
    d = draw_hole_m(hole, (grid, surv), np.random.default_rng(3), 20000)
    for k in (20, 40, 50):
        frac = float((d >= grid[k]).mean())
        assert frac == pytest.approx(surv[k], rel=0, abs=4 * math.sqrt(0.25 / 20000) + 0.01)


def test_lognormal_truncated_median_and_bounds():
    """A lognormal of median 2 mm, σ 0.8, cut to [0.5, 20] mm: the cut is not symmetric in
    ln d (ln(2/0.5) = 1.386 below, ln(20/2) = 2.303 above), so the median of the cut
    distribution sits above 2 mm, at 2 mm·exp(0.8·Φ⁻¹((Φ(−1.733) + Φ(2.878))/2)) =
    2.081 mm (Φ(−1.733) = 0.04156, Φ(2.878) = 0.99800, normal table)."""
    from cabinleak.campaign.sampling import draw_hole_m

    hole = HoleSize("lognormal", min_m=0.5e-3, max_m=20e-3, median_m=2e-3, sigma=0.8)
    d = draw_hole_m(hole, None, np.random.default_rng(5), 40000)
    assert d.min() >= 0.5e-3 and d.max() <= 20e-3
    assert float(np.median(d)) == pytest.approx(2.081e-3, rel=0.01, abs=0)


def test_sleep_window_wraps_midnight():
    from cabinleak.campaign.sampling import in_window

    clock = np.array([21.0, 21.5, 23.9, 0.0, 5.99, 6.0, 12.0])
    assert in_window(clock, 21.5, 6.0).tolist() == [False, True, True, True, True, False,
                                                   False]


def test_chunks_independent_of_each_other(tmp_path):
    """Chunk k's scenarios depend on (seed, k) alone: chunk 2 played by itself is rows
    200-299 of the whole campaign."""
    from campaign_fixtures import fixed_model, write_spec

    from cabinleak.campaign.prepare import run_chunk
    from cabinleak.campaign.runner import run

    spec, model = fixed_model(write_spec(tmp_path, n=300, chunk=100))
    whole = run(spec, model=model).table
    alone = run_chunk(model, 2, np.random.SeedSequence(spec.seed).spawn(3)[2], 200, 100)
    for name in ("scenario", "hole_mm", "clock_h", "gas_lost_kg", "time_to_detect_s"):
        assert np.asarray(alone[name]).tobytes() == whole[name].to_numpy()[200:].tobytes()
