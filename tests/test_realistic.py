"""The realistic telemetry generator: its cabin physics, its sensors and link, its calibration.

Reference values and where they come from:

* 1 mm hole, Cd = 1, air at 295 K and 101325 Pa to vacuum: 1.87257e-04 kg/s
  (``reference/physics.md``, Shapiro 1953 Eq. 4.17 with γ = 1.4, R = 287.05 J/(kg·K)).
* Crew O2 use 0.84 kg/day per person (NASA BVAD, NASA/TP-2015-218570, Table 4.2.2) and an
  oxygen generator at 5.4 kg/day: seven crew give a net −0.48 kg/day.
* The Quest record ``tests/reference/iss-airlock-2025-08-06.csv`` (a copy of the public-feed
  file described in its header) measured by ``benchmarks/calibrate_realistic.py``
  (``record_statistics`` with a 60 s hold, docs/calibration.md): step 0.101 mmHg (the feed's
  0.10101 mmHg count), 4.07 value changes per hour, rate Allan deviation 0.321 mmHg/h at
  τ = 30 min and 0.0707 mmHg/h at τ = 3 h.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from cabinleak.errors import ScenarioError
from cabinleak.physics.flow import orifice_mass_flow
from cabinleak.simulate.realistic import CabinClimate, Consumables, cabin_truth
from cabinleak.telemetry import read_telemetry, write_table
from cabinleak.telemetry.realistic import (
    ASTRO_PI,
    NO_SIGNAL_LOSS,
    PUBLIC_FEED,
    PressureSensor,
    RealisticWorld,
    SignalLoss,
    TemperatureSensor,
    realistic_columns,
    realistic_record,
    realistic_run,
)
from cabinleak.telemetry.record_stats import (
    find_gaps,
    hold_grid,
    rate_allan_deviation,
    record_statistics,
)

MMHG = 133.322387415  # Pa (NIST SP 811, 2008)
DAY = 86400.0
HOUR = 3600.0
REFERENCE = Path(__file__).parent / "reference"

# Measured on the real Quest record (module docstring): the test's reference numbers.
QUEST_DURATION_S = 17.1833 * HOUR
QUEST_STEP_MMHG = 0.101
QUEST_CHANGES_PER_H = 4.07
QUEST_ADEV_30MIN_MMHG_PER_H = 0.321
QUEST_ADEV_3H_MMHG_PER_H = 0.0707

STILL = CabinClimate(orbit_amplitude_K=0.0, day_amplitude_K=0.0, wander_sd_K=0.0)
NO_CREW = Consumables(crew=0, o2_generation_kg_per_day=0.0, repress_interval_s=1e9,
                      net_wander_sd_kg_per_day=0.0)


def read_quest() -> tuple[np.ndarray, np.ndarray]:
    lines = [x for x in (REFERENCE / "iss-airlock-2025-08-06.csv").read_text().splitlines()
             if x and not x.startswith("#")][1:]
    stamps = np.array([x.split(",")[0].rstrip("Z") for x in lines], dtype="datetime64[s]")
    values = np.array([float(x.split(",")[1]) for x in lines])
    return (stamps - stamps[0]).astype(float), values


# --- the statistics themselves ------------------------------------------------------------

def test_reference_numbers_are_what_the_quest_copy_gives() -> None:
    t, p = read_quest()
    s = record_statistics(t, p, period_s=60.0)
    assert s.duration_h == pytest.approx(QUEST_DURATION_S / HOUR, abs=0.01)
    assert s.step == pytest.approx(QUEST_STEP_MMHG, abs=5e-4)
    assert s.changes_per_h == pytest.approx(QUEST_CHANGES_PER_H, abs=0.01)
    assert s.adev_at(1800.0) == pytest.approx(QUEST_ADEV_30MIN_MMHG_PER_H, abs=5e-4)
    assert s.adev_at(3 * HOUR) == pytest.approx(QUEST_ADEV_3H_MMHG_PER_H, abs=5e-5)


def test_rate_allan_deviation_of_a_line_is_zero_and_of_white_noise_is_the_slope_sd() -> None:
    dt = 60.0
    line = 5.0 - 1e-4 * dt * np.arange(2000)
    assert rate_allan_deviation(line, dt, 1800.0) < 1e-8 * 1e-4  # 1e-8 of the slope
    rng = np.random.default_rng(4)
    sigma, m = 0.3, 30
    noise = rng.normal(0.0, sigma, 400_000)
    # least-squares slope sd of m white samples: σ·sqrt(12/(m(m² − 1)))/dt
    expected = sigma * np.sqrt(12.0 / (m * (m * m - 1))) / dt
    assert rate_allan_deviation(noise, dt, m * dt) == pytest.approx(expected, rel=0.02, abs=0)
    assert np.isnan(rate_allan_deviation(noise[:50], dt, m * dt))


def test_hold_grid_reads_the_last_report_like_an_archive() -> None:
    grid, held = hold_grid([0.0, 90.0, 95.0, 200.0], [1.0, 2.0, np.nan, 3.0], 60.0)
    assert grid.tolist() == [0.0, 60.0, 120.0, 180.0]
    assert held.tolist() == [1.0, 1.0, 2.0, 2.0]


# --- cabin physics --------------------------------------------------------------------------

def test_leak_outflow_is_the_orifice_law() -> None:
    area = np.pi * 0.0005**2  # 1 mm hole, Cd = 1
    truth = cabin_truth(60.0, volume_m3=916.0, pressure_Pa=101325.0, leak_cd_area_m2=area,
                        climate=STILL, consumables=NO_CREW, dt_s=10.0)
    assert truth.temperature_K[0] == pytest.approx(295.0, abs=0)
    assert truth.pressure_Pa[0] == pytest.approx(101325.0, rel=1e-12, abs=0)
    # the project's air (argon counted as N2) has R = 288.16, not 287.05 J/(kg·K), and
    # γ = 1.3995: ṁ ∝ Ψ(γ)/sqrt(R) is 0.21 % below the reference
    assert truth.leak_kg_per_s[0] == pytest.approx(1.87257e-4 * (1 - 0.0021), rel=3e-4, abs=0)
    flow = orifice_mass_flow(area, 101325.0, 295.0, 0.0, 288.160320, 1.3994663)
    assert truth.leak_kg_per_s[0] == pytest.approx(float(flow), rel=1e-6, abs=0)


def test_a_leak_alone_is_the_isothermal_blowdown() -> None:
    cda = 2e-5  # m²
    truth = cabin_truth(10 * DAY, volume_m3=100.0, leak_cd_area_m2=cda, climate=STILL,
                        consumables=NO_CREW, dt_s=60.0)
    m0 = truth.mass_kg[0]
    tau = m0 / truth.leak_kg_per_s[0]  # τ = m/ṁ = V/(Cd·A·Ψ·sqrt(RT))
    expected = m0 * np.exp(-truth.time_s / tau)
    np.testing.assert_allclose(truth.mass_kg, expected, rtol=1e-9, atol=0)
    lost = m0 - truth.mass_kg[-1]
    assert lost == pytest.approx(np.trapezoid(truth.leak_kg_per_s, truth.time_s), rel=1e-4, abs=0)


def test_a_leak_starts_at_its_start_time() -> None:
    truth = cabin_truth(2 * HOUR, volume_m3=916.0, leak_cd_area_m2=1e-5, leak_start_s=3605.0,
                        climate=STILL, consumables=NO_CREW, dt_s=10.0)
    before = truth.time_s <= 3600.0
    assert np.all(truth.mass_kg[before] == truth.mass_kg[0])
    assert truth.mass_kg[-1] < truth.mass_kg[0]
    assert truth.leak_start_s == 3605.0


def test_crew_and_generator_give_the_net_o2_loss() -> None:
    co = dataclasses.replace(Consumables(), repress_interval_s=1e9, net_wander_sd_kg_per_day=0.0)
    truth = cabin_truth(3 * DAY, volume_m3=916.0, climate=STILL, consumables=co, dt_s=60.0)
    loss_per_day = (truth.mass_kg[0] - truth.mass_kg[-1]) / 3.0
    assert loss_per_day == pytest.approx(0.48, abs=1e-9)


def test_the_net_gas_added_swings_as_an_ornstein_uhlenbeck_rate() -> None:
    """The generator's and the crew's swings: an OU rate of sd σ and time τ, whose mean
    over a window W has variance 2σ²τ²/W²·(W/τ − 1 + e^(−W/τ)) (the integral of its
    autocovariance σ²e^(−|s|/τ) over the window, twice). Checked on 2000 days at W = 1 day
    and 6 h against that closed form (typed in, not taken from the code): a τ off by a
    third moves the 1-day sd by 13 %, three times the tolerance."""
    sd, tau = 2.5, 8.0 * HOUR  # kg/day, s
    co = Consumables(repress_interval_s=1e9, net_wander_sd_kg_per_day=sd,
                     net_wander_time_s=tau)
    truth = cabin_truth(2000 * DAY, volume_m3=916.0, climate=STILL, consumables=co,
                        dt_s=300.0, rng=11)
    net = -0.48  # kg/day: 5.4 generated less 7 × 0.84 used
    for window in (DAY, 6 * HOUR):
        k = round(window / 300.0)
        m = truth.mass_kg[::k]
        rate = np.diff(m) / (window / DAY)  # kg/day
        x = window / tau
        expected_sd = sd * np.sqrt(2.0 / x**2 * (x - 1.0 + np.exp(-x)))
        assert np.mean(rate) == pytest.approx(net, abs=4 * expected_sd / np.sqrt(rate.size / 2))
        # the sd of the window means, within 4 standard errors (neighbours correlate
        # little at W ≥ τ; 1/√(2n) of relative error per independent window)
        assert np.std(rate) == pytest.approx(expected_sd, rel=4 / np.sqrt(2 * rate.size / 2), abs=0)


def test_represses_restore_the_setpoint_mass_and_are_counted() -> None:
    co = Consumables(repress_interval_s=DAY, first_repress_s=DAY / 2, net_wander_sd_kg_per_day=0.0)
    truth = cabin_truth(5 * DAY, volume_m3=916.0, leak_cd_area_m2=1e-8, climate=STILL,
                        consumables=co, dt_s=10.0)
    assert len(truth.represses) == 5
    assert [r.gas for r in truth.represses[:2]] == ["N2", "O2"]
    assert sum(r.mass_kg for r in truth.represses) == pytest.approx(truth.injected_kg[-1],
                                                                     rel=1e-12, abs=0)
    m0 = truth.mass_kg[0]
    for r in truth.represses:
        i = np.searchsorted(truth.time_s, r.end_s)
        # back at the setpoint, less what was lost during the repress itself
        assert truth.mass_kg[i] == pytest.approx(m0, abs=0.02)


def test_pressure_follows_the_gas_law_through_thermal_swings() -> None:
    truth = cabin_truth(DAY, volume_m3=916.0, climate=CabinClimate(orbit_amplitude_K=2.0),
                        consumables=NO_CREW, rng=3)
    ratio = truth.pressure_Pa / truth.temperature_K
    np.testing.assert_allclose(ratio, ratio[0], rtol=1e-12)
    assert np.ptp(truth.temperature_K) > 3.0


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"volume_m3": -3.0}, "volume_m3 must be > 0, got -3"),
    ({"volume_m3": 916.0, "leak_cd_area_m2": -1e-6}, "leak_cd_area_m2 must be >= 0"),
    ({"volume_m3": 916.0, "leak_start_s": -1.0}, "leak_start_s must be >= 0"),
])
def test_bad_requests_say_what_is_wrong(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        cabin_truth(HOUR, **kwargs)


def test_bad_sensors_say_what_is_wrong() -> None:
    with pytest.raises(ScenarioError, match="heartbeat_s must be >= sample_period_s"):
        PressureSensor(sample_period_s=5.0, heartbeat_s=1.0)
    with pytest.raises(ScenarioError, match="gain must be in"):
        TemperatureSensor(gain=1.5)


# --- sensors and link -----------------------------------------------------------------------

def test_readings_are_quantised_and_sent_only_on_change() -> None:
    world = dataclasses.replace(RealisticWorld(), signal_loss=NO_SIGNAL_LOSS)
    rec = realistic_record(12 * HOUR, volume_m3=916.0, seed=5, world=world)
    p = rec.channel("cabin_pressure_Pa")
    assert p.quantity == "pressure" and p.unit == "Pa"
    v = p.values[p.valid]
    counts = v / (0.10101 * 101325.0 / 760.0)
    np.testing.assert_allclose(counts, np.round(counts), rtol=0, atol=1e-6)
    assert np.all(np.diff(v) != 0)  # report by exception: each report is a change
    assert rec.time_s[0] == 0.0 and np.all(np.diff(rec.time_s) >= 1.0)
    assert rec.time_s.size < 12 * HOUR / 10  # far fewer rows than 1 Hz samples


def test_heartbeat_bounds_the_silence() -> None:
    world = dataclasses.replace(
        RealisticWorld(), signal_loss=NO_SIGNAL_LOSS,
        pressure_sensor=PressureSensor(noise_sd_Pa=0.0, heartbeat_s=300.0))
    rec = realistic_record(6 * HOUR, volume_m3=916.0, seed=2, world=world)
    assert np.diff(rec.time_s).max() <= 300.0
    silent = realistic_record(6 * HOUR, volume_m3=916.0, seed=2, world=dataclasses.replace(
        world, pressure_sensor=PressureSensor(noise_sd_Pa=0.0)))
    assert np.diff(silent.time_s).max() > 300.0


def test_nothing_is_sent_during_signal_loss_and_all_is_sent_at_acquisition() -> None:
    world = dataclasses.replace(PUBLIC_FEED, signal_loss=SignalLoss(3600.0, 1800.0))
    run = realistic_run(2 * DAY, volume_m3=916.0, seed=8, world=world)
    t = run.telemetry.time_s
    assert run.los_spans.shape[0] >= 10
    for a, b in run.los_spans:
        assert not np.any((t >= np.ceil(a)) & (t < b))
        if b < 2 * DAY - 1:
            after = t[t >= b][0]
            assert after - b < 1.0
            row = np.searchsorted(t, after)
            assert all(np.isfinite(c.values[row]) for c in run.telemetry.channels)
    gaps = find_gaps(t, 15 * 60.0)
    assert gaps.shape[0] >= int(np.sum(run.los_spans[:, 1] - run.los_spans[:, 0] > 960.0))


def test_a_point_sensor_sees_the_bulk_gas_through_lag_gain_and_offset() -> None:
    exact = TemperatureSensor(name="probe", gain=1.0, tau_s=0.0, offset_K=0.0,
                              local_sd_K=0.0, noise_sd_K=0.0, step_K=0.001)
    world = RealisticWorld(temperature_sensors=(exact,), signal_loss=NO_SIGNAL_LOSS,
                           climate=CabinClimate(orbit_amplitude_K=2.0))
    run = realistic_run(6 * HOUR, volume_m3=916.0, seed=1, world=world)
    ch = run.telemetry.channel("probe_T_K")
    ok = ch.valid
    truth = np.interp(run.telemetry.time_s[ok], run.truth.time_s, run.truth.temperature_K)
    np.testing.assert_allclose(ch.values[ok], truth, rtol=0, atol=0.0005 + 1e-9)
    board = realistic_record(6 * HOUR, volume_m3=916.0, seed=1, world=ASTRO_PI)
    bt = board.channel("board_T_K")
    assert np.nanmean(bt.values) == pytest.approx(295.0 + 10.5, abs=1.0)
    lagged = dataclasses.replace(exact, gain=0.5, tau_s=1800.0)
    run2 = realistic_run(6 * HOUR, volume_m3=916.0, seed=1,
                         world=dataclasses.replace(world, temperature_sensors=(lagged,)))
    ch2 = run2.telemetry.channel("probe_T_K")
    assert np.nanstd(ch2.values) < 0.5 * np.nanstd(ch.values)


def test_the_same_seed_gives_the_same_record() -> None:
    a = realistic_record(3 * HOUR, volume_m3=916.0, seed=11)
    b = realistic_record(3 * HOUR, volume_m3=916.0, seed=np.random.default_rng(11))
    c = realistic_record(3 * HOUR, volume_m3=916.0, seed=12)
    np.testing.assert_array_equal(a.time_s, b.time_s)
    np.testing.assert_array_equal(a.channels[0].values, b.channels[0].values)
    assert a.time_s.size != c.time_s.size or not np.array_equal(a.time_s, c.time_s)


def test_a_leak_shows_in_the_record() -> None:
    rate = 2e-5  # Cd·A [m²]: about 3.7 kg/h from 916 m³ at 1 atm
    run = realistic_run(12 * HOUR, volume_m3=916.0, leak_cd_area_m2=rate, leak_start_s=4 * HOUR,
                        seed=4)
    p = run.telemetry.channel("cabin_pressure_Pa")
    t, v = hold_grid(run.telemetry.time_s, p.values, 60.0)
    drop = np.median(v[t < 4 * HOUR]) - v[-60:].mean()
    expected = run.truth.pressure_Pa[run.truth.time_s <= 4 * HOUR].mean() - \
        run.truth.pressure_Pa[-360:].mean()
    assert drop == pytest.approx(expected, abs=0.3 * MMHG)
    assert expected > 20 * MMHG


def test_written_and_read_back_through_the_project_table_format(tmp_path: Path) -> None:
    world = dataclasses.replace(PUBLIC_FEED, consumables=Consumables(
        first_repress_s=HOUR, net_wander_sd_kg_per_day=0.0))
    run = realistic_run(3 * HOUR, volume_m3=916.0, seed=3, world=world)
    rec = run.telemetry
    assert [c.name for c in rec.channels] == ["cabin_pressure_Pa", "inlet_T_K",
                                              "represses_injection_kg"]
    out = write_table(realistic_columns(rec), tmp_path / "realistic.csv")
    back = read_telemetry(out)
    assert [c.name for c in back.channels] == [c.name for c in rec.channels]
    np.testing.assert_array_equal(back.time_s, rec.time_s)
    for c in rec.channels:
        np.testing.assert_allclose(back.channel(c.name).values, c.values, rtol=1e-9,
                                   atol=1e-6 if c.quantity == "injection" else 0)
    # the repress at 1 h restores the 0.48 kg/day net O2 loss of that hour: 0.02 kg
    added = back.channel("represses_injection_kg").values[-1]
    assert added == pytest.approx(run.truth.represses[0].mass_kg, rel=1e-6, abs=0)
    assert added == pytest.approx(0.48 / 24, rel=0.05, abs=0)


# --- calibration: generated records against the real Quest record ---------------------------

def test_generated_records_reproduce_the_quest_statistics() -> None:
    """Medians over 8 records as long as the real one, read as its 60 s archive was.

    Tolerances: the Allan deviations within a factor 2 (one real record of 17 h holds only
    5 disjoint 3 h blocks), the change rate within a factor 1.5, the step to 0.5 %.
    """
    stats = []
    for seed in range(8):
        rec = realistic_record(QUEST_DURATION_S, volume_m3=916.0, seed=seed)
        p = rec.channel("cabin_pressure_Pa")
        stats.append(record_statistics(rec.time_s[p.valid], p.values[p.valid] / MMHG,
                                       period_s=60.0))
    step = np.median([s.step for s in stats])
    changes = np.median([s.changes_per_h for s in stats])
    adev_30 = np.median([s.adev_at(1800.0) for s in stats])
    adev_3h = np.median([s.adev_at(3 * HOUR) for s in stats])
    assert step == pytest.approx(QUEST_STEP_MMHG, rel=5e-3, abs=0)
    assert QUEST_CHANGES_PER_H / 1.5 < changes < 1.5 * QUEST_CHANGES_PER_H
    assert QUEST_ADEV_30MIN_MMHG_PER_H / 2 < adev_30 < 2 * QUEST_ADEV_30MIN_MMHG_PER_H
    assert QUEST_ADEV_3H_MMHG_PER_H / 2 < adev_3h < 2 * QUEST_ADEV_3H_MMHG_PER_H


def test_drift_is_a_random_walk_of_the_stated_size() -> None:
    rate = 0.02 * MMHG  # Pa/√day
    sensor = PressureSensor(noise_sd_Pa=0.0, step_Pa=1e-6, drift_Pa_per_sqrt_day=rate)
    world = RealisticWorld(climate=STILL, consumables=NO_CREW, pressure_sensor=sensor,
                           signal_loss=NO_SIGNAL_LOSS, truth_dt_s=600.0)
    ends = []
    for seed in range(200):
        run = realistic_run(4 * DAY, volume_m3=916.0, seed=seed, world=dataclasses.replace(
            world, pressure_sensor=dataclasses.replace(sensor, sample_period_s=600.0)))
        p = run.telemetry.channel("cabin_pressure_Pa")
        ends.append(p.values[p.valid][-1] - run.truth.pressure_Pa[-1])
    # after 4 days: sd = rate·sqrt(4); 200 samples give the sd to about 5 % (1σ)
    assert np.std(ends) == pytest.approx(rate * 2.0, rel=0.2, abs=0)


def test_signal_loss_takes_the_stated_fraction_of_time() -> None:
    loss = SignalLoss()
    spans = loss.spans(200 * DAY, np.random.default_rng(0))
    lost = np.sum(spans[:, 1] - spans[:, 0]) / (200 * DAY)
    expected = loss.mean_los_s / (loss.mean_los_s + loss.mean_aos_s)  # 0.23 by default
    assert lost == pytest.approx(expected, abs=0.02)
    assert np.all(np.diff(spans.ravel()) >= 0)  # ordered, not overlapping
