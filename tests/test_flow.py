"""Flow laws: published test vectors, closed forms, limits and symmetry properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cabinleak.physics import flow
from cabinleak.simulate import simulate
from cabinleak.station import parse_station

# Air as in reference/physics.md's orifice table.
GAMMA, R, T = 1.4, 287.05, 295.0  # [-], [J/(kg·K)], [K]
P0 = 101325.0  # [Pa]


def area(d_m: float) -> float:
    return math.pi * d_m**2 / 4.0


# ----------------------------------------------------------------- orifice test vectors


@pytest.mark.parametrize(
    ("d_mm", "cd", "mdot_ref"),
    [
        # reference/physics.md, "Orifice flow of an ideal gas", computed table [kg/s]
        (1.0, 1.0, 1.87257e-04),
        (4.0, 1.0, 2.99610e-03),
        (10.0, 1.0, 1.87257e-02),
        (10.0, 0.6, 1.12354e-02),
    ],
)
def test_orifice_to_vacuum_table(d_mm: float, cd: float, mdot_ref: float) -> None:
    """Choked flow to vacuum matches the table to its printed 6 digits (±0.5 in the last)."""
    cda = cd * area(d_mm * 1e-3)
    half_ulp = 0.5 * 10.0 ** (math.floor(math.log10(mdot_ref)) - 5)
    got = float(flow.orifice_mass_flow(cda, P0, T, 0.0, R, GAMMA))
    assert abs(got - mdot_ref) <= half_ulp
    # and the signed law, both ways round
    got_ab = float(flow.orifice_flow(cda, P0, T, R, GAMMA, 0.0, 1.0, 1.0, 1.4))
    got_ba = float(flow.orifice_flow(cda, 0.0, 1.0, 1.0, 1.4, P0, T, R, GAMMA))
    assert got_ab == got
    assert got_ba == -got
    # independently, the choked formula of physics.md written out here
    closed = cda * P0 * math.sqrt(GAMMA / (R * T)) * (2 / (GAMMA + 1)) ** (
        (GAMMA + 1) / (2 * (GAMMA - 1)))
    assert got == pytest.approx(closed, rel=1e-13, abs=0)


def test_critical_ratio_printed_value() -> None:
    """r* = 0.52828 for γ = 1.4 (reference/physics.md, 5 decimals)."""
    assert abs(float(flow.critical_pressure_ratio(1.4)) - 0.52828) <= 0.5e-5


def test_subsonic_branch_formula() -> None:
    """Subsonic flow equals the isentropic formula of physics.md written out here."""
    cda = 1e-4
    for r in (0.55, 0.7, 0.9, 0.99):
        pd = r * P0
        closed = cda * P0 * math.sqrt(
            2 * GAMMA / ((GAMMA - 1) * R * T) * (r ** (2 / GAMMA) - r ** ((GAMMA + 1) / GAMMA)))
        got = float(flow.orifice_mass_flow(cda, P0, T, pd, R, GAMMA))
        assert got == pytest.approx(closed, rel=1e-12, abs=0)


@pytest.mark.parametrize("gamma", [1.1, 1.3, 1.4, 1.67])
def test_continuous_at_choking_ratio(gamma: float) -> None:
    """The two branches meet at r*: flow just above and just below equal to 1e-9."""
    rs = float(flow.critical_pressure_ratio(gamma))
    below = float(flow.orifice_mass_flow(1e-4, P0, T, rs * (1 - 1e-7) * P0, R, gamma))
    above = float(flow.orifice_mass_flow(1e-4, P0, T, rs * (1 + 1e-7) * P0, R, gamma))
    assert above == pytest.approx(below, rel=1e-9, abs=0)
    assert above <= below  # the subsonic branch lies below the choked maximum


def test_zero_at_equal_pressure() -> None:
    p = np.array([0.0, 1.0, 5e4, P0, 1e7])
    kwargs = dict(t_a_K=T, r_a=R, gamma_a=GAMMA, t_b_K=250.0, r_b=290.0, gamma_b=1.3)
    assert np.all(flow.orifice_flow(1e-4, p, p_b_Pa=p, **kwargs) == 0.0)
    assert np.all(flow.orifice_flow(1e-4, p, p_b_Pa=p, linear_below_Pa=1.0, **kwargs) == 0.0)
    assert np.all(flow.hatch_flow(1.0, p, p_b_Pa=p, **kwargs) == 0.0)
    assert np.all(flow.crack_flow(1e-12, p, T, R, p, 250.0, 290.0) == 0.0)
    assert np.all(flow.power_law_flow(1e-7, 1.5, p, p) == 0.0)


def test_monotone_in_upstream_pressure() -> None:
    """With the back pressure fixed, flow rises strictly with the upstream pressure
    through the subsonic range and on into the choked range."""
    pd = 5e4
    pu = np.linspace(pd, 20 * pd, 4001)
    for lin in (0.0, 1.0):
        m = flow.orifice_flow(1e-4, pu, T, R, GAMMA, pd, T, R, GAMMA, linear_below_Pa=lin)
        assert m[0] == 0.0
        assert np.all(np.diff(m) > 0.0)
    m = flow.crack_flow(1e-12, pu, T, R, pd, T, R)
    assert np.all(np.diff(m) > 0.0)


def test_incompressible_limit() -> None:
    """For Δp/p = 1e-4 the orifice law is Bernoulli's ṁ = Cd·A·sqrt(2ρΔp), ρ upstream,
    within 1 % (the compressibility correction is of order Δp/(γp))."""
    cda = 0.6 * 0.5
    for p in (1e4, P0, 3e5):
        dp = 1e-4 * p
        rho = p / (R * T)
        got = float(flow.orifice_flow(cda, p, T, R, GAMMA, p - dp, T, R, GAMMA))
        assert got == pytest.approx(cda * math.sqrt(2 * rho * dp), rel=1e-2, abs=0)


def test_hatch_flow_is_orifice_of_cd_times_area() -> None:
    got = flow.hatch_flow(0.7, P0, T, R, GAMMA, 9e4, T, R, GAMMA, discharge_coefficient=0.6,
                          linear_below_Pa=0.0)
    ref = flow.orifice_mass_flow(0.42, P0, T, 9e4, R, GAMMA)
    assert float(got) == pytest.approx(float(ref), rel=1e-14, abs=0)


# ----------------------------------------------------------------- symmetry (hypothesis)

pressure = st.floats(min_value=0.0, max_value=1e7, allow_subnormal=False)
temperature = st.floats(min_value=50.0, max_value=2000.0)
gas_constant = st.floats(min_value=100.0, max_value=5000.0)
gamma = st.floats(min_value=1.05, max_value=1.67)
eps = st.sampled_from([0.0, 1e-3, 1.0, 100.0])


@given(st.floats(1e-9, 10.0), pressure, temperature, gas_constant, gamma,
       pressure, temperature, gas_constant, gamma, eps)
def test_orifice_flow_antisymmetric(cda: float, pa: float, ta: float, ra: float, ga: float,
                                    pb: float, tb: float, rb: float, gb: float,
                                    lin: float) -> None:
    ab = flow.orifice_flow(cda, pa, ta, ra, ga, pb, tb, rb, gb, linear_below_Pa=lin)
    ba = flow.orifice_flow(cda, pb, tb, rb, gb, pa, ta, ra, ga, linear_below_Pa=lin)
    assert np.isfinite(ab)
    assert ab == -ba
    assert np.sign(ab) == np.sign(pa - pb) or ab == 0.0


@given(st.floats(1e-4, 20.0), pressure, temperature, gas_constant, gamma,
       pressure, temperature, gas_constant, gamma, st.floats(0.1, 1.0), eps)
def test_hatch_flow_antisymmetric(a: float, pa: float, ta: float, ra: float, ga: float,
                                  pb: float, tb: float, rb: float, gb: float, cd: float,
                                  lin: float) -> None:
    ab = flow.hatch_flow(a, pa, ta, ra, ga, pb, tb, rb, gb, discharge_coefficient=cd,
                         linear_below_Pa=lin)
    ba = flow.hatch_flow(a, pb, tb, rb, gb, pa, ta, ra, ga, discharge_coefficient=cd,
                         linear_below_Pa=lin)
    assert ab == -ba


@given(st.floats(1e-18, 1e-6), pressure, temperature, gas_constant,
       pressure, temperature, gas_constant)
def test_crack_flow_antisymmetric(g: float, pa: float, ta: float, ra: float,
                                  pb: float, tb: float, rb: float) -> None:
    ab = flow.crack_flow(g, pa, ta, ra, pb, tb, rb)
    ba = flow.crack_flow(g, pb, tb, rb, pa, ta, ra)
    assert ab == -ba
    assert np.sign(ab) == np.sign(pa - pb) or ab == 0.0


@given(st.floats(1e-12, 1.0), st.floats(0.3, 3.0), pressure, pressure)
def test_power_law_flow_antisymmetric(c: float, n: float, pa: float, pb: float) -> None:
    ab = flow.power_law_flow(c, n, pa, pb)
    ba = flow.power_law_flow(c, n, pb, pa)
    assert ab == -ba


@given(st.floats(1e-9, 10.0), st.lists(pressure, min_size=1, max_size=8),
       st.lists(pressure, min_size=1, max_size=8))
def test_orifice_array_equals_scalar(cda: float, pa: list[float], pb: list[float]) -> None:
    """Array inputs give the same numbers as scalar calls, element by element.

    Not bit for bit: NumPy's vectorised pow may round differently from the scalar one,
    and the subsonic bracket r^(2/γ) − r^((γ+1)/γ) cancels as r → 1, amplifying a
    rounding difference by about p/|Δp| (measured 6.5e-10 relative at Δp/p = 3e-7).
    """
    k = min(len(pa), len(pb))
    arr = flow.orifice_flow(cda, np.array(pa[:k]), T, R, GAMMA, np.array(pb[:k]), T, R, GAMMA,
                            linear_below_Pa=1.0)
    for i in range(k):
        one = flow.orifice_flow(cda, pa[i], T, R, GAMMA, pb[i], T, R, GAMMA, linear_below_Pa=1.0)
        dp = abs(pa[i] - pb[i])
        conditioning = max(pa[i], pb[i]) / dp if dp > 0 else 1.0
        assert arr[i] == pytest.approx(float(one), rel=1e-14 * max(1.0, conditioning), abs=0.0)


# ----------------------------------------------------------------- regularisation


@pytest.mark.parametrize("eps_Pa", [1e-3, 1.0, 10.0])
def test_regularized_equals_exact_far_from_zero(eps_Pa: float) -> None:
    """At Δp = 1000 ε the regularised law is the exact one to 1e-6 (the factor is
    (1 + 1e-6)^(-1/4) = 1 − 2.5e-7)."""
    dp = 1000.0 * eps_Pa
    pb = 5e4
    exact = float(flow.orifice_flow(1e-3, pb + dp, T, R, GAMMA, pb, T, R, GAMMA))
    reg = float(flow.orifice_flow(1e-3, pb + dp, T, R, GAMMA, pb, T, R, GAMMA,
                                  linear_below_Pa=eps_Pa))
    assert reg == pytest.approx(exact, rel=1e-6, abs=0)


def test_regularized_is_linear_near_zero() -> None:
    """For |Δp| << ε the regularised law is linear in Δp: doubling Δp doubles ṁ (1e-5)."""
    eps_Pa, pb = 1.0, P0
    m1 = float(flow.orifice_flow(1.0, pb + 1e-4, T, R, GAMMA, pb, T, R, GAMMA,
                                 linear_below_Pa=eps_Pa))
    m2 = float(flow.orifice_flow(1.0, pb + 2e-4, T, R, GAMMA, pb, T, R, GAMMA,
                                 linear_below_Pa=eps_Pa))
    assert m2 == pytest.approx(2.0 * m1, rel=1e-5, abs=0)


# ----------------------------------------------------------------- crack and power laws


def sutherland_air(t_K: float) -> float:
    """μ of air, Sutherland's law (White, Viscous Fluid Flow, 3rd ed., Table 1-2:
    μ0 = 1.716e-5 Pa·s, T0 = 273.15 K, S = 110.4 K) [Pa·s]."""
    return 1.716e-5 * (t_K / 273.15) ** 1.5 * (273.15 + 110.4) / (t_K + 110.4)


def test_sutherland_viscosity_vs_coolprop() -> None:
    """The viscosity behind the crack conductance within 1 % of CoolProp's air
    (Lemmon & Jacobsen 2004 transport model) at 1 atm, 250-320 K."""
    cp = pytest.importorskip("CoolProp.CoolProp")
    from cabinleak.physics import gas

    for t in (250.0, 295.0, 320.0):
        ref = cp.PropsSI("V", "T", t, "P", P0, "Air")
        assert float(gas.viscosity_air(t)) == pytest.approx(ref, rel=1e-2, abs=0)
        assert float(gas.viscosity_air(t)) == pytest.approx(sutherland_air(t), rel=1e-12, abs=0)


def test_crack_closed_form() -> None:
    """ṁ = (w·h³/(12·μ·L))·(p_a² − p_b²)/(2·R·T) (reference/physics.md, slot flow)."""
    w, h, depth = 0.02, 5e-6, 0.004
    mu = sutherland_air(T)
    g = w * h**3 / (12 * mu * depth)
    assert float(flow.crack_conductance(w, h, depth, mu)) == pytest.approx(g, rel=1e-14, abs=0)
    for pa, pb in ((P0, 0.0), (P0, 7e4), (2e4, P0)):
        closed = g * (pa**2 - pb**2) / (2 * R * T)
        got = float(flow.crack_flow(g, pa, T, R, pb, T, R))
        assert got == pytest.approx(closed, rel=1e-14, abs=0)


def test_power_law_n1_to_vacuum_is_c_times_p() -> None:
    c = 2.5e-9
    p = np.array([0.0, 1.0, 5e4, P0, 1e6])
    np.testing.assert_allclose(flow.power_law_flow(c, 1.0, p, 0.0), c * p, rtol=1e-15, atol=0)


CRACK_STATION = """
name = "crack-box"

[[module]]
id = "box"
volume_m3 = 0.01
pressure_Pa = 101325
temperature_K = 295
thermal = "isothermal"

[[leak]]
module = "box"
law = "crack"
length_mm = 10
gap_mm = 0.01
depth_mm = 5
"""


def test_crack_venting_volume_has_linear_inverse_pressure() -> None:
    """A closed isothermal volume venting through a crack: dp/dt = −G·p²/(2V), so
    1/p = 1/p0 + G·t/(2V) (reference/physics.md). A 10 µm gap at 1 atm has a Knudsen
    number of about 0.007, in the viscous regime the law assumes."""
    station = parse_station(CRACK_STATION)
    duration = 6 * 3600.0  # about one halving of the pressure
    res = simulate(station, duration, n_out=61)
    t = res.time_s
    inv_p = 1.0 / res.pressure("box")
    assert inv_p[-1] > 1.8 / 101325.0  # the test covers a decay, not a flat line
    slope, intercept = np.polyfit(t, inv_p, 1)
    resid = np.abs(inv_p - (slope * t + intercept)) / inv_p
    assert resid.max() < 1e-4
    g = 0.01 * 1e-5**3 / (12 * sutherland_air(295.0) * 5e-3)
    assert slope == pytest.approx(g / (2 * 0.01), rel=1e-4, abs=0)
    # an exponential (orifice-like) decay would not fit: ln p is curved here
    lnp = np.log(res.pressure("box"))
    c = np.polyfit(t, lnp, 1)
    assert np.abs(lnp - np.polyval(c, t)).max() > 1e-2


def test_power_law_below_one_turns_linear_below_a_millipascal() -> None:
    """ṁ = C·p^n with n < 1 has an infinite slope at p = 0; below 1 mPa it is C·p_ε^(n−1)·p
    (continuous at p_ε); above, and for n ≥ 1, the exact law."""
    c, n, eps = 2e-7, 0.5, 1e-3
    p = np.array([0.0, 2.5e-4, 1e-3, 4e-3, 1e5])
    got = flow.power_law_flow(c, n, p, 0.0)
    want = np.where(p < eps, c * eps ** (n - 1.0) * p, c * p**n)
    np.testing.assert_allclose(got, want, rtol=1e-15, atol=0)
    assert got[0] == 0.0 and got[2] == pytest.approx(c * eps**n, rel=1e-15, abs=0)
    np.testing.assert_allclose(flow.power_law_flow(c, 2.0, p, 0.0), c * p**2, rtol=1e-15, atol=0)
