"""One step of a network with adiabatic or wall-exchange modules: ROS2 in (M, P, Y).

ROS2 (Verwer, Spee, Blom & Hundsdorfer 1999, SIAM J. Sci. Comput. 20:1456,
Eqs. 2.1-2.3), γ = 1 + 1/√2: second order, L-stable, and second order for any matrix
W in place of the Jacobian (a W-method). W is a central-difference Jacobian of
(mass, pressure) with compositions frozen (columns grouped by a distance-2 colouring
of the network); the mass fractions take a backward-Euler step with frozen flows.

Where no composition can change (one air everywhere, no crew source, no supply; see
:func:`fixed_composition`), W is the whole Jacobian to the difference's accuracy, and
the fourth-order RODAS4 of the isothermal path (:func:`step_general_rodas`) takes steps
about rtol^(-1/4) long instead of rtol^(-1/2): an adiabatic blowdown to vacuum in tens
of steps instead of thousands.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from cabinleak.physics import gas
from cabinleak.simulate.network import Network, Params, Rates, rates
from cabinleak.simulate.step_isothermal import RODAS4
from cabinleak.simulate.tolerances import Tolerances

F = NDArray[np.float64]
B = NDArray[np.bool_]
GAMMA = 1.0 + 1.0 / np.sqrt(2.0)


def distance2_coloring(n: int, edges: list[tuple[int, int]]) -> list[list[int]]:
    """Group the n columns so that no two in a group affect the same row.

    Column j affects rows j and its neighbours, so columns within graph distance 2
    conflict (Curtis, Powell & Reid 1974, J. Inst. Math. Appl. 13:117). Greedy.
    """
    nbr: list[set[int]] = [set() for _ in range(n)]
    for a, b in edges:
        if a < n and b < n and a != b:
            nbr[a].add(b)
            nbr[b].add(a)
    reach = [set(nbr[j]) | {j} for j in range(n)]
    conflict = [set().union(*(reach[k] for k in reach[j])) for j in range(n)]
    color = [-1] * n
    for j in sorted(range(n), key=lambda k: -len(conflict[k])):
        used = {color[k] for k in conflict[j] if color[k] >= 0}
        c = 0
        while c in used:
            c += 1
        color[j] = c
    groups: list[list[int]] = [[] for _ in range(max(color) + 1)] if n else []
    for j, c in enumerate(color):
        groups[c].append(j)
    return groups


def temperature(net: Network, M: F, P: F, Y: F) -> F:
    """Module temperatures: the wall's for isothermal modules, else T = P·V/(M·R) [K]."""
    t_gas = P * net.volume_m3 / (M * (Y @ gas.R_SPECIES))
    return np.asarray(np.where(net.isothermal, net.wall_temperature_K, t_gas))


def state_rates(net: Network, par: Params, M: F, P: F, Y: F) -> tuple[F, F, Rates]:
    """dM/dt and dP/dt of the integrator's state (M, P, Y), and the rates behind them.

    Pressure, not temperature, is the second state: the stiff hatch flows are then
    linear in the state (ṁ ∝ p_a − p_b near equilibrium). With (M, T), p = M·R·T/V
    is bilinear and a linearly implicit step drifts off the equilibrium (seen as
    kelvins of error in a day for an adiabatic module behind an open hatch).
    """
    T = temperature(net, M, P, Y)
    r = rates(net, par, M, T, Y, P)
    R = Y @ gas.R_SPECIES
    dR = r.dY @ gas.R_SPECIES
    v = net.volume_m3
    dP = (R * T * r.dM + M * R * r.dT + M * T * dR) / v
    return r.dM, dP, r

class FiniteDifferenceJacobian:
    """Finite-difference Jacobian of (dM, dP) with respect to (M, P), Y frozen."""

    def __init__(self, net: Network) -> None:
        n = net.n
        edges = [(int(a), int(b)) for a, b in zip(net.link_a, net.link_b, strict=True)]
        self.groups = distance2_coloring(n, edges)
        reach = np.eye(n, dtype=bool)
        for a, b in edges:
            if a < n and b < n:
                reach[a, b] = reach[b, a] = True
        self.reach = reach  # reach[row, col]
        self.with_temperature = not bool(net.isothermal.all())
        self.net = net

    def __call__(self, par: Params, M: F, T: F, Y: F) -> F:
        """Here ``T`` is the pressure state P of :func:`state_rates`."""
        # Central differences: the stiff hatch modes make the scheme sensitive to
        # Jacobian error (a one-sided difference let pressures drift off equilibrium).
        net, n = self.net, self.net.n
        size = 2 * n if self.with_temperature else n
        J = np.zeros((M.shape[0], size, size))
        blocks = [M] + ([T] if self.with_temperature else [])
        for col_block, x in enumerate(blocks):
            for cols in self.groups:
                delta = np.zeros_like(x)
                delta[:, cols] = 1e-7 * np.abs(x[:, cols]) + 1e-12
                if col_block == 0:
                    rp = state_rates(net, par, M + delta, T, Y)
                    rm = state_rates(net, par, M - delta, T, Y)
                else:
                    rp = state_rates(net, par, M, T + delta, Y)
                    rm = state_rates(net, par, M, T - delta, Y)
                mask = self.reach[:, cols]  # [n, len(cols)]
                step = 2.0 * delta[:, cols][:, None, :]
                dcols = np.asarray(cols) + col_block * n
                J[:, :n, dcols] = np.where(mask, (rp[0] - rm[0])[:, :, None] / step, 0.0)
                if self.with_temperature:
                    J[:, n:, dcols] = np.where(mask, (rp[1] - rm[1])[:, :, None] / step, 0.0)
        return J


def _mixing_matrix(net: Network, M: F, Y: F, link_flow: F, supply_flow: F,
                   ventilation: F | None) -> F:
    """∂(dY/dt)/∂Y with flows frozen: inflow from upstream modules, dilution on the diagonal."""
    batch, n = M.shape
    A = np.zeros((batch, n + 1, n + 1))
    fwd = link_flow >= 0.0
    amd = np.abs(link_flow)
    up = np.where(fwd, net.link_a, net.link_b)
    rcv = np.where(fwd, net.link_b, net.link_a)
    bidx = np.broadcast_to(np.arange(batch)[:, None], up.shape)
    np.add.at(A, (bidx, rcv, up), amd)
    np.add.at(A, (bidx, rcv, rcv), -amd)
    if ventilation is not None:  # molar exchange; in mass terms about x·W each way
        w = np.concatenate([gas.molar_mass(Y), np.ones((batch, 1))], axis=1)
        a = np.broadcast_to(net.link_a, up.shape)
        b = np.broadcast_to(net.link_b, up.shape)
        for i, j in ((a, b), (b, a)):
            np.add.at(A, (bidx, i, j), ventilation * w[bidx, j])
            np.add.at(A, (bidx, i, i), -ventilation * w[bidx, j])
    A = A[:, :n, :n]
    if supply_flow.shape[1]:
        diag = np.zeros((batch, n))
        diag = supply_flow @ net.supply_onehot
        A[:, np.arange(n), np.arange(n)] -= diag
    return np.asarray(A / M[:, :, None])


def _composition_error(A: F, inv_a: F, k1y: F, y0: F, hh: F, tol: Tolerances) -> F:
    """Local error of the backward-Euler composition step, per scenario (≤ 1 accepts).

    Estimated as (I − hA)⁻¹·(h²/2)·A·y′ (the leading term h²y″/2, filtered like the
    pressure error so that stiff, settled components do not count).
    """
    h2 = (0.5 * hh * hh)[:, None, None]
    ey = inv_a @ (h2 * (A @ k1y))
    scale = tol.rtol * np.abs(y0) + tol.atol_mass_fraction
    return np.asarray(np.max(np.abs(ey) / scale, axis=(1, 2)))


def step_general(net: Network, par: Params, jac: FiniteDifferenceJacobian, m0: F, t0: F,
                 y0: F, hh: F, tol: Tolerances, atol_m: F) -> tuple[F, F, F, F, B]:
    """One ROS2 step in (M, P, Y) for networks with adiabatic or wall-exchange modules."""
    n = net.n
    dm0, dp0, r0 = state_rates(net, par, m0, t0, y0)
    gh = (GAMMA * hh)[:, None, None]
    A = _mixing_matrix(net, m0, y0, r0.link_flow, r0.supply_flow, r0.ventilation_flow)
    inv_a = np.asarray(np.linalg.inv(np.eye(n) - hh[:, None, None] * A), dtype=np.float64)
    J = jac(par, m0, t0, y0)
    inv_w = np.linalg.inv(np.eye(2 * n) - gh * J)

    def solve(fm: F, fp: F) -> tuple[F, F]:
        k = (inv_w @ np.concatenate([fm, fp], axis=1)[..., None])[..., 0]
        return k[:, :n], k[:, n:]

    k1y = inv_a @ r0.dY
    err_y = _composition_error(A, inv_a, k1y, y0, hh, tol)
    k1m, k1t = solve(dm0, dp0)
    hc = hh[:, None]
    m1, t1, y1 = m0 + hc * k1m, t0 + hc * k1t, y0 + hc[..., None] * k1y
    ok1: B = np.asarray((m1 > 0).all(axis=1) & (t1 > 0).all(axis=1))
    dm1, dp1, _ = state_rates(net, par, np.where(ok1[:, None], m1, m0),
                              np.where(ok1[:, None], t1, t0), y1)
    k2m, k2t = solve(dm1 - 2 * k1m, dp1 - 2 * k1t)
    mn = m0 + hc * (1.5 * k1m + 0.5 * k2m)
    tn = t0 + hc * (1.5 * k1t + 0.5 * k2t)
    # Mass fractions take one backward-Euler step with the flows frozen at the start
    # (first order, L-stable): carrying them through the W-method stages let noise in
    # the stiff hatch flows set the step size.
    yn = y0 + hc[..., None] * k1y
    # The raw estimate y_new − (y + h·k1) does not vanish on stiff, slaved modes (the
    # embedded method is not L-stable); filtering it through W⁻¹ does (Shampine 1982,
    # ACM TOMS 8:93; Hairer & Wanner, Solving ODEs II, IV.8).
    em, et = solve(0.5 * hc * (k1m + k2m), 0.5 * hc * (k1t + k2t))
    scale_m = tol.rtol * np.maximum(np.abs(m0), np.abs(mn)) + atol_m
    scale_t = tol.rtol * np.maximum(t0, np.abs(tn)) + tol.atol_pressure_Pa
    err = np.maximum(np.max(np.abs(em) / scale_m, axis=1), np.max(np.abs(et) / scale_t, axis=1))
    return mn, tn, yn, np.maximum(err, err_y), ok1



def fixed_composition(net: Network, par: Params, y0: F) -> bool:
    """Whether no module's composition can change: one air in every module, no crew
    source, no supply on or to come on (flows then carry the same air everywhere)."""
    if net.has_crew or len(net.supply_module):
        return False
    return bool(np.ptp(y0, axis=1).max() <= 1e-15) if y0.size else True


def step_general_rodas(net: Network, par: Params, jac: FiniteDifferenceJacobian, m0: F, t0: F,
                       y0: F, hh: F, tol: Tolerances, atol_m: F) -> tuple[F, F, F, F, B]:
    """One RODAS4 step in (M, P) for a network whose compositions cannot change
    (:func:`fixed_composition`); ``t0`` is the pressure state, as in :func:`step_general`.

    Stages as in :func:`~cabinleak.simulate.step_isothermal.step_isothermal`:
    (I/(γh) − J)·K_i = f(Y_i) + Σ_j (c_ij/h)·K_j with W = J the central-difference
    Jacobian; the error estimate is the stiffly accurate last stage's increment.
    """
    n = net.n
    tab = RODAS4
    dm0, dp0, _ = state_rates(net, par, m0, t0, y0)
    gh = (tab.gamma * hh)[:, None, None]
    J = jac(par, m0, t0, y0)
    inv_w = np.linalg.inv(np.eye(2 * n) - gh * J)

    def solve(fm: F, fp: F) -> tuple[F, F]:
        k = (gh * (inv_w @ np.concatenate([fm, fp], axis=1)[..., None]))[..., 0]
        return k[:, :n], k[:, n:]

    hc = hh[:, None]
    km: list[F] = []
    kp: list[F] = []
    ok: B = np.ones(len(hh), dtype=bool)
    for i in range(len(tab.m)):
        if i == 0:
            fm, fp = dm0, dp0
        else:
            mi = m0 + sum(tab.a[i][j] * km[j] for j in range(i))
            pi = t0 + sum(tab.a[i][j] * kp[j] for j in range(i))
            ok &= (mi > 0).all(axis=1) & (pi > 0).all(axis=1)
            fm, fp, _ = state_rates(net, par, np.where(ok[:, None], mi, m0),
                                    np.where(ok[:, None], pi, t0), y0)
            fm = fm + sum((tab.c[i][j] / hc) * km[j] for j in range(i))
            fp = fp + sum((tab.c[i][j] / hc) * kp[j] for j in range(i))
        k_m, k_p = solve(fm, fp)
        km.append(k_m)
        kp.append(k_p)
    mn = m0 + sum(mi * k for mi, k in zip(tab.m, km, strict=True) if mi)
    tn = t0 + sum(mi * k for mi, k in zip(tab.m, kp, strict=True) if mi)
    em = sum(ei * k for ei, k in zip(tab.e, km, strict=True) if ei)
    et = sum(ei * k for ei, k in zip(tab.e, kp, strict=True) if ei)
    scale_m = tol.rtol * np.maximum(np.abs(m0), np.abs(mn)) + atol_m
    scale_t = tol.rtol * np.maximum(t0, np.abs(tn)) + tol.atol_pressure_Pa
    err = np.maximum(np.max(np.abs(em) / scale_m, axis=1), np.max(np.abs(et) / scale_t, axis=1))
    return mn, tn, y0.copy(), np.asarray(err), ok
