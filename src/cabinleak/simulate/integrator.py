"""Batched, adaptive, linearly implicit integration of the network ODE.

The method is ROS2 (Verwer, Spee, Blom & Hundsdorfer 1999, SIAM J. Sci. Comput.
20:1456, Eqs. 2.1-2.3), γ = 1 + 1/√2: second order, L-stable, and second order for
*any* matrix W in place of the Jacobian (a W-method). That last property lets us
use a block approximation: an exact finite-difference Jacobian for masses and
temperatures (the stiff hatch and leak dynamics), and the frozen-flow mixing
matrix for the mass fractions, dropping their weak cross-coupling. L-stability
damps the millisecond modes of a 1 m² hatch between 100 m³ modules, so steps
grow to hours once pressures have equalised; nothing collapses.

Each scenario of a batch has its own time and step size; all advance together in
vectorised NumPy, and every scenario lands exactly on each output and event time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from cabinleak.errors import SimulationError
from cabinleak.physics import gas
from cabinleak.simulate.network import (
    Network,
    Params,
    Rates,
    apply_events,
    extend_vacuum,
    flows_between,
    rates,
    supply_flows,
)

F = NDArray[np.float64]
B = NDArray[np.bool_]
GAMMA = 1.0 + 1.0 / np.sqrt(2.0)


@dataclass(frozen=True)
class Tolerances:
    """Error control: relative tolerance, and absolute floors for each state."""

    rtol: float = 1e-5
    atol_mass_fraction_of_initial: float = 1e-9
    atol_pressure_Pa: float = 1e-3
    atol_mass_fraction: float = 1e-5
    first_step_s: float = 0.01
    max_steps: int = 20_000


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

class _Jacobian:
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


def pressure_derivatives(net: Network, par: Params, M: F, T: F, Y: F) -> tuple[F, F, F]:
    """∂ṁ/∂p_a and ∂ṁ/∂p_b of every link [B, L], and ∂ṁ/∂p of every supply [B, S].

    Each link flow depends on the two pressures it joins, so central differences on
    the flow law alone (four evaluations) give all the network needs; T, R and γ
    are held.
    """
    r = Y @ gas.R_SPECIES
    cp = (Y * gas.species_cp(T)).sum(axis=2)
    gam = cp / (cp - r)
    pe, te, re, ge, _ = extend_vacuum(M * r * T / net.volume_m3, T, r, gam, Y)
    a, b = net.link_a, net.link_b
    pa, pb = pe[:, a], pe[:, b]
    args = (te[:, a], te[:, b], re[:, a], re[:, b], ge[:, a], ge[:, b])
    da = 1e-7 * pa + 1e-6
    db = 1e-7 * pb + 1e-6
    dfa = (flows_between(net, par, pa + da, pb, *args)
           - flows_between(net, par, pa - da, pb, *args)) / (2 * da)
    dfb = (flows_between(net, par, pa, pb + db, *args)
           - flows_between(net, par, pa, pb - db, *args)) / (2 * db)
    ps = pe[:, net.supply_module]
    dp = 1e-7 * ps + 1e-6
    ds = (supply_flows(net, par, ps + dp) - supply_flows(net, par, ps - dp)) / (2 * dp)
    return np.asarray(dfa), np.asarray(dfb), np.asarray(ds)


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
        w = np.concatenate([_molar_mass(Y), np.ones((batch, 1))], axis=1)
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


ProgressCallback = Callable[[float], None]


def _molar_mass(Y: F) -> F:
    """Mixture molar mass [kg/mol] from mass fractions [..., 4]."""
    return np.asarray(1.0 / (Y / gas.MOLAR_MASS).sum(axis=-1))


def _composition_error(A: F, inv_a: F, k1y: F, y0: F, hh: F, tol: Tolerances) -> F:
    """Local error of the backward-Euler composition step, per scenario (≤ 1 accepts).

    Estimated as (I − hA)⁻¹·(h²/2)·A·y′ (the leading term h²y″/2, filtered like the
    pressure error so that stiff, settled components do not count).
    """
    h2 = (0.5 * hh * hh)[:, None, None]
    ey = inv_a @ (h2 * (A @ k1y))
    scale = tol.rtol * np.abs(y0) + tol.atol_mass_fraction
    return np.asarray(np.max(np.abs(ey) / scale, axis=(1, 2)))


def _upwind_mixing_matrix(net: Network, M: F, N: F, link_flow: F,
                          ventilation: F | None) -> F:
    """A with A[i, j] = (molar flow j → i)/N_j and A[j, j] = −(all outflow of j)/N_j.

    With flows frozen, d(n_k)/dt = A·n_k for the moles n_k of every species k:
    each link carries its upstream module's mole fractions n_jk/N_j; for mass flows
    ṅ/N_j = ṁ/M_j. Columns of modules that only exchange with other modules sum to zero.
    """
    batch, n = M.shape
    A = np.zeros((batch, n + 1, n + 1))
    fwd = link_flow >= 0.0
    up = np.where(fwd, net.link_a, net.link_b)
    rcv = np.where(fwd, net.link_b, net.link_a)
    bidx = np.broadcast_to(np.arange(batch)[:, None], up.shape)
    m_ext = np.concatenate([M, np.ones((batch, 1))], axis=1)
    rate = np.abs(link_flow) / m_ext[bidx, up]
    np.add.at(A, (bidx, rcv, up), rate)
    np.add.at(A, (bidx, up, up), -rate)
    a = np.broadcast_to(net.link_a, up.shape)
    b = np.broadcast_to(net.link_b, up.shape)
    if ventilation is not None:
        n_ext = np.concatenate([N, np.ones((batch, 1))], axis=1)
        for src, dst in ((a, b), (b, a)):
            x = ventilation / n_ext[bidx, src]
            np.add.at(A, (bidx, dst, src), x)
            np.add.at(A, (bidx, src, src), -x)
    return np.asarray(A[:, :n, :n])


@dataclass(frozen=True)
class RosenbrockTableau:
    """An s-stage Rosenbrock method in the form of Hairer & Wanner (1996), §IV.7 (7.4):

    Y_i = y0 + Σ_j a_ij·K_j,  (I/(γh) − J)·K_i = f(Y_i) + Σ_j (c_ij/h)·K_j,
    y1 = y0 + Σ_i m_i·K_i,  error = Σ_i e_i·K_i.
    """

    name: str
    gamma: float
    a: tuple[tuple[float, ...], ...]
    c: tuple[tuple[float, ...], ...]
    m: tuple[float, ...]
    e: tuple[float, ...]
    error_order: int  # the local error estimate is O(h^error_order)


def _lower(values: tuple[float, ...], s: int) -> tuple[tuple[float, ...], ...]:
    """Row-wise strictly lower-triangular coefficients into an s×s table."""
    rows, k = [], 0
    for i in range(s):
        rows.append(tuple(values[k:k + i]) + (0.0,) * (s - i))
        k += i
    return tuple(rows)


# RODAS4: stiffly accurate, L-stable, order 4 with an embedded order-3 solution
# (Hairer & Wanner, Solving ODEs II, 2nd ed. 1996, §IV.7, Table 7.2 and the code
# RODAS). Coefficients as tabulated in that form by Sandu et al. (1997),
# Atmos. Environ. 31:3459, and the KPP integrator library.
_RODAS4_A = (1.544, 0.9466785280815826, 0.2557011698983284, 3.314825187068521,
             2.896124015972201, 0.9986419139977817, 1.221224509226641, 6.019134481288629,
             12.53708332932087, -0.687886036105895, 1.221224509226641, 6.019134481288629,
             12.53708332932087, -0.687886036105895, 1.0)
_RODAS4_C = (-5.6688, -2.430093356833875, -0.2063599157091915, -0.1073529058151375,
             -9.594562251023355, -20.47028614809616, 7.496443313967647, -10.24680431464352,
             -33.99990352819905, 11.7089089320616, 8.083246795921522, -7.981132988064893,
             -31.52159432874371, 16.31930543123136, -6.058818238834054)
RODAS4 = RosenbrockTableau(
    name="RODAS4", gamma=0.25, a=_lower(_RODAS4_A, 6), c=_lower(_RODAS4_C, 6),
    m=(1.221224509226641, 6.019134481288629, 12.53708332932087, -0.687886036105895, 1.0, 1.0),
    e=(0.0, 0.0, 0.0, 0.0, 0.0, 1.0), error_order=4,
)


def _step_isothermal(net: Network, par: Params, m0: F, p0: F, y0: F, hh: F, tol: Tolerances,
                     atol_m: F) -> tuple[F, F, F, F, B]:
    """One RODAS4 step of an all-isothermal network in the moles n_k of every species.

    Pressure is linear in the state (p = R_u·T/V·Σ_k n_k), so the stiff hatch flows
    are too; crew and supplies that change the composition change p through plain
    source terms the implicit stages see. Species moles, and so mass, are conserved
    to rounding: W's columns over the network sum to zero like the flows' do.

    W is the Jacobian at the start of the step (flow directions, temperatures and R
    frozen). Its structure splits each solve into total moles, (I − γh·J_N)·K = Σ_k f_k,
    then each species, (I − γh·A)·k_k = f_k + γh·(C_k·K − A·(X_k ⊙ K)), where C_k·K is
    the change of species-k flow that K drives through the pressures: two n×n
    inverses a step.
    """
    tab = RODAS4
    t_wall = np.broadcast_to(net.wall_temperature_K, m0.shape)
    d = gas.R_UNIVERSAL * t_wall / net.volume_m3  # ∂p/∂N
    wk = gas.MOLAR_MASS

    def state(nk: F) -> tuple[F, F, F]:
        mk = nk * wk
        mm = mk.sum(axis=2)
        y = np.divide(mk, mm[..., None], out=np.full_like(mk, 0.25), where=mm[..., None] > 0)
        return mm, y, nk.sum(axis=2)  # an emptied module's step is rejected by the caller

    def f(nk: F) -> tuple[F, Rates]:
        mm, y, ntot = state(nk)
        r = rates(net, par, mm, t_wall, y, ntot * d)
        dm_k = y * r.dM[..., None] + mm[..., None] * r.dY
        return np.asarray(dm_k / wk), r

    n0 = m0[..., None] * y0 / wk
    N0 = n0.sum(axis=2)
    X0 = n0 / N0[..., None]
    f0, r0 = f(n0)
    gh = (tab.gamma * hh)[:, None, None]
    A = _upwind_mixing_matrix(net, m0, N0, r0.link_flow, r0.ventilation_flow)

    # Pressure-driven flows: molar-flow change of every link per unit change of the
    # total moles on either side, each link carrying its upstream mole fractions.
    batch, n = m0.shape
    dfa, dfb, ds = pressure_derivatives(net, par, m0, t_wall, y0)
    la, lb = net.link_a, net.link_b
    up = np.where(r0.link_flow >= 0.0, la, lb)
    bidx = np.arange(batch)[:, None]
    w_up = np.concatenate([_molar_mass(y0), np.ones((batch, 1))], axis=1)[bidx, up]
    x_up = np.concatenate([X0, np.zeros((batch, 1, 4))], axis=1)[bidx, up]  # [B, L, 4]
    d_ext = np.concatenate([d, np.zeros((batch, 1))], axis=1)
    ga = dfa / w_up * d_ext[:, la]  # ∂ṅ/∂N_a
    gb = dfb / w_up * d_ext[:, lb]
    J_N = -(net.incidence.T @ (ga[..., None] * net.onehot_a + gb[..., None] * net.onehot_b))
    J_N = J_N[:, :n, :n]
    x_sup = gas.mass_to_mole_fractions(net.supply_y)  # [S, 4]
    if len(net.supply_module):
        w_sup = _molar_mass(net.supply_y)
        gs = ds / w_sup * d[:, net.supply_module]  # [B, S]
        J_N = J_N + (gs[..., None] * net.supply_onehot).swapaxes(1, 2) @ net.supply_onehot[None]
    inv_n = np.linalg.inv(np.eye(n) - gh * J_N)
    inv_a = np.linalg.inv(np.eye(n) - gh * A)

    def coupling(K: F) -> F:
        """Σ_j ∂f_k/∂N_j·K_j of the pressure-driven flows, per species [B, n, 4]."""
        ke = np.concatenate([K, np.zeros((batch, 1))], axis=1)
        dn = ga * ke[:, la] + gb * ke[:, lb]  # [B, L]
        out = -((dn[..., None] * x_up).swapaxes(1, 2) @ net.incidence).swapaxes(1, 2)[:, :n]
        if len(net.supply_module):
            out = out + net.supply_onehot.T @ ((gs * K[:, net.supply_module])[..., None] * x_sup)
        return np.asarray(out)

    def solve(fk: F) -> F:
        """γh·(I − γh·W)⁻¹·fk, i.e. K with (I/(γh) − W)·K = fk."""
        K = (inv_n @ fk.sum(axis=2)[..., None])[..., 0]
        rhs = fk + gh * (coupling(K) - A @ (X0 * K[..., None]))
        return np.asarray(gh * (inv_a @ rhs))

    hc = hh[:, None, None]
    ks: list[F] = []
    ok: B = np.ones(len(hh), dtype=bool)
    for i in range(len(tab.m)):
        if i == 0:
            fi = f0
        else:
            yi = n0 + sum(tab.a[i][j] * ks[j] for j in range(i))
            ok &= (yi.sum(axis=2) > 0).all(axis=1)
            fi, _ = f(np.where(ok[:, None, None], np.maximum(yi, 0.0), n0))
        rhs = fi + sum((tab.c[i][j] / hc) * ks[j] for j in range(i)) if i else fi
        ks.append(solve(rhs))
    nn = n0 + sum(mi * k for mi, k in zip(tab.m, ks, strict=True) if mi)
    en = sum(ei * k for ei, k in zip(tab.e, ks, strict=True) if ei)
    Nn = nn.sum(axis=2)
    scale = (tol.rtol * np.maximum(np.abs(n0), np.abs(nn))
             + (atol_m / _molar_mass(y0) + tol.atol_mass_fraction * N0)[..., None])
    err = np.max(np.abs(en) / scale, axis=(1, 2))
    ok &= (Nn > 0).all(axis=1)
    mn, yn, _ = state(np.maximum(nn, 0.0))
    return mn, Nn * d, yn, err, ok


def _step_general(net: Network, par: Params, jac: _Jacobian, m0: F, t0: F, y0: F, hh: F,
                  tol: Tolerances, atol_m: F) -> tuple[F, F, F, F, B]:
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


def integrate(net: Network, par: Params, t_out: F, tol: Tolerances,
              progress: ProgressCallback | None = None) -> tuple[F, F, F]:
    """Integrate every scenario from t = 0 to each time in ``t_out`` (sorted, >= 0).

    Returns M, T, Y at the output times: [B, nt, n], [B, nt, n], [B, nt, n, 4].
    """
    M, T_init, Y = net.initial_state(par.link_cda.shape[0])
    T = M * (Y @ gas.R_SPECIES) * T_init / net.volume_m3  # the pressure state P
    batch, n = M.shape
    nt = len(t_out)
    out_M = np.empty((batch, nt, n))
    out_T = np.empty((batch, nt, n))
    out_Y = np.empty((batch, nt, n, 4))
    t = np.zeros(batch)
    h = np.full(batch, tol.first_step_s)
    out_ptr = np.zeros(batch, dtype=np.intp)
    ev_ptr = np.zeros(batch, dtype=np.intp)
    atol_M = tol.atol_mass_fraction_of_initial * M[0].max() + 0.0 * M
    jac = _Jacobian(net)
    every = np.arange(batch)
    apply_events(net, par, ev_ptr, t, every)
    # outputs at t = 0
    at0 = np.flatnonzero(t_out[out_ptr] <= 0.0) if nt else every[:0]
    while at0.size:
        out_M[at0, out_ptr[at0]] = M[at0]
        out_T[at0, out_ptr[at0]] = temperature(net, M[at0], T[at0], Y[at0])
        out_Y[at0, out_ptr[at0]] = Y[at0]
        out_ptr[at0] += 1
        at0 = at0[out_ptr[at0] < nt]
        at0 = at0[t_out[out_ptr[at0]] <= 0.0]
    t_end = t_out[-1] if nt else 0.0
    steps = 0
    while True:
        act = np.flatnonzero(out_ptr < nt)
        if act.size == 0:
            break
        steps += 1
        if steps > tol.max_steps:
            raise SimulationError(
                f"integration stopped after {tol.max_steps} steps at t = "
                f"{float(np.min(t[act])):.6g} s of {t_end:.6g} s; raise "
                "Tolerances.max_steps or loosen rtol")
        p = par.take(act)
        m0, t0, y0 = M[act], T[act], Y[act]
        next_stop = np.minimum(t_out[out_ptr[act]], p.ev_time[np.arange(act.size), ev_ptr[act]])
        remaining = next_stop - t[act]
        hh = np.minimum(h[act], remaining)
        lands = hh >= remaining * (1.0 - 1e-12)
        hh = np.where(lands, remaining, hh)

        if jac.with_temperature:
            mn, tn, yn, err, ok1 = _step_general(net, p, jac, m0, t0, y0, hh, tol, atol_M[act])
            exponent = 0.5  # ROS2's estimate is O(h²)
        else:
            mn, tn, yn, err, ok1 = _step_isothermal(net, p, m0, t0, y0, hh, tol, atol_M[act])
            exponent = 1.0 / RODAS4.error_order
        good = (ok1 & (mn > 0).all(axis=1) & (tn > 0).all(axis=1)
                & np.isfinite(err) & np.isfinite(mn).all(axis=1))
        accept = good & (err <= 1.0)
        factor = np.where(good, np.clip(0.9 * np.maximum(err, 1e-10) ** -exponent, 0.2, 5.0),
                          0.25)
        # a step shortened to land on a stop must not shrink the next one
        h[act] = np.where(accept & lands, np.maximum(h[act], hh * factor), hh * factor)

        acc = act[accept]
        if acc.size:
            M[acc] = mn[accept]
            T[acc] = tn[accept]
            yn_acc = np.clip(yn[accept], 0.0, None)
            Y[acc] = yn_acc / yn_acc.sum(axis=2, keepdims=True)
            landed = accept & lands
            t[acc] = np.where(landed[accept], next_stop[accept], t[acc] + hh[accept])
            rows = act[landed]
            if rows.size:
                # record outputs that fall on this time, then apply events
                while True:
                    on_out = rows[(out_ptr[rows] < nt)]
                    on_out = on_out[t_out[np.minimum(out_ptr[on_out], nt - 1)] <= t[on_out]]
                    if on_out.size == 0:
                        break
                    k = out_ptr[on_out]
                    out_M[on_out, k] = M[on_out]
                    out_T[on_out, k] = temperature(net, M[on_out], T[on_out], Y[on_out])
                    out_Y[on_out, k] = Y[on_out]
                    out_ptr[on_out] += 1
                apply_events(net, par, ev_ptr, t, rows)
        if progress is not None and t_end > 0:
            progress(float(np.min(np.where(out_ptr < nt, t, t_end))) / t_end)
    return out_M, out_T, out_Y
