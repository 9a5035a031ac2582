"""The closed-form reduced model: each cell of open hatches as one isothermal volume.

Between two events (a hatch opens or closes, a leak starts) every cell of modules
joined by open hatches (:mod:`cabinleak.simulate.cells`) vents to vacuum as one
volume V_c at one temperature T. Every leak to vacuum has the form ṁ = k·p^n:

- orifice, choked at any pressure when the far side is vacuum: n = 1,
  k = Cd·A·Ψ/sqrt(R·T) (Shapiro 1953, Eq. 4.17; ``reference/physics.md``);
- laminar crack: n = 2, k = G/(2·R·T) (White, *Viscous Fluid Flow*, §3-3.3);
- power law ṁ = C·p^n: k = C.

With p = M·R·T/V, a cell whose leaks share one exponent n obeys dp/dt = −c·p^n,
c = R·T·Σk/V_c, whose solution from p_s over Δt is

- n = 1: p = p_s·exp(−c·Δt), the isothermal blowdown (``physics.thermal``);
- n ≠ 1: p^(1−n) = p_s^(1−n) − (1−n)·c·Δt; for n < 1 the cell is empty at
  Δt = p_s^(1−n)/((1−n)·c) and stays at zero mass.

Evaluated for a whole batch at once, exactly, to vacuum. The reduction holds while
the cell's own equalisation is fast against its leak: the hatches then carry each
module's share of the loss at a quasi-steady pressure spread δ (solved on the cell's
hatch graph, :mod:`.cells`), and δ, with what it does to the leak over the run (a rate
off by δ/p adds δ/p·d(ln p) to the relative error), must stay inside the integrator's
error scale rtol·p + atol. Where it does not hold, or a cell is not one uniform gas
(crew, supplies, unequal start pressures or temperatures or air, a hatch opening
between cells at different pressures, leaks between cells, leaks of different laws in
one cell, modules that are not isothermal), the scenario is handed to the full
network with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from cabinleak.physics import gas
from cabinleak.physics.flow import choked_flux_factor
from cabinleak.simulate.cells import (
    TOO_FAST,
    UNIFORM_RTOL,
    CellCache,
    Cells,
    quasi_steady_lag,
)
from cabinleak.simulate.network import (
    CRACK,
    ORIFICE,
    Network,
    Params,
    between_events,
    supply_may_run,
)
from cabinleak.simulate.tolerances import Tolerances

F = NDArray[np.float64]
B = NDArray[np.bool_]

#: Pressures at which the time scales are compared over each interval (log-spaced).
_SCALE_POINTS = 17


@dataclass(frozen=True)
class _Static:
    """What the closed form needs of a network that no scenario changes."""

    t_mod: F  # [n] K
    y_mod: F  # [n, 4]
    r_mod: F  # [n] J/(kg·K)
    rt: F  # [n] R·T
    psi: F  # [n + 1] choked flux factor (1 at the vacuum ghost)
    p_start: F  # [n] Pa
    hatch: B  # [L]
    law: NDArray[np.intp]  # [L]
    between: B  # [L] leaks between modules

    @classmethod
    def of(cls, net: Network) -> _Static:
        m0, t0, y0 = net.initial_state(1)
        t_mod, y_mod = t0[0], y0[0]
        r_mod = y_mod @ gas.R_SPECIES
        rt = r_mod * t_mod
        hatch = np.array([s.kind == "hatch" for s in net.links], dtype=bool)
        return cls(t_mod, y_mod, r_mod, rt,
                   np.append(choked_flux_factor(gas.gamma_mixture(y_mod, t_mod)), 1.0),
                   m0[0] * rt / net.volume_m3, hatch,
                   np.array([s.law for s in net.links], dtype=np.intp),
                   (net.link_b < net.n) & ~hatch)


@dataclass(frozen=True)
class ClosedFormRun:
    """Module pressures [B, nt, n] and link flows [B, nt, L] (the leaks' laws at the cell
    pressures, the hatches' quasi-steady flows) of the scenarios with ``ok``; for the
    others, why the network must run."""

    ok: B
    reason: tuple[str, ...]
    pressure_Pa: F
    link_flow_kg_per_s: F


def _decay(p_s: F, c: F, n: F, dt: F) -> F:
    """p after Δt of dp/dt = −c·p^n from p_s (elementwise, p ≥ 0)."""
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        one = p_s * np.exp(-c * dt)
        e = 1.0 - n
        safe_e = np.where(e == 0.0, 1.0, e)
        base = np.where(p_s > 0, p_s, 1.0) ** safe_e - safe_e * c * dt
        other = np.where(base > 0, np.maximum(base, 0.0) ** (1.0 / safe_e), 0.0)
        other = np.where(e < 0, np.where(np.isfinite(other), other, 0.0), other)
    out = np.where(n == 1.0, one, np.where(p_s > 0, other, 0.0))
    return np.asarray(np.where(c > 0, out, p_s))


def _leak_coefficients(net: Network, par: Params, rt: F, psi: F,
                       law: NDArray[np.intp]) -> tuple[F, F]:
    """k and n of every link to vacuum (ṁ = k·p^n) [B, L]; 0 elsewhere."""
    a = net.link_a
    to_vac = net.link_b == net.n
    rt_a = np.append(rt, 1.0)[a]
    k = np.where(law == ORIFICE, par.link_cda * psi[a] / np.sqrt(rt_a),
                 np.where(law == CRACK, par.link_conductance / (2.0 * rt_a),
                          par.link_coefficient))
    expo = np.where(law == ORIFICE, 1.0, np.where(law == CRACK, 2.0, par.link_exponent))
    k = np.where(to_vac, k * par.link_enabled, 0.0)
    return np.asarray(k), np.asarray(expo * np.ones_like(k))


def solve(net: Network, par0: Params, t_out: F, tol: Tolerances,
          cache: CellCache | None = None) -> ClosedFormRun:
    """Run the closed form for every scenario of ``par0`` where it holds (see module doc)."""
    batch, n, nt = par0.link_cda.shape[0], net.n, len(t_out)
    reason = [""] * batch
    ok = np.ones(batch, dtype=bool)
    p_out = np.zeros((batch, nt, n))
    link_flow = np.zeros((batch, nt, net.n_links))

    def refuse(rows: NDArray[np.intp], why: str) -> None:
        for i in rows:
            if ok[i]:
                ok[i], reason[i] = False, why

    hot = [m.id for m, iso in zip(net.station.modules, net.isothermal, strict=True) if not iso]
    if hot:
        refuse(np.arange(batch), f"module {hot[0]!r} is not isothermal (its temperature "
               "changes as it vents)")
    if net.has_crew:
        crewed = next(c.module for c in net.station.crew if c.count > 0)
        refuse(np.arange(batch), f"crew in {crewed!r} change its air")
    if len(net.supply_module):
        refuse(np.flatnonzero(supply_may_run(par0)), "a gas supply is on")
    if not ok.any():
        return ClosedFormRun(ok, tuple(reason), p_out, link_flow)

    cache = CellCache() if cache is None else cache
    st = cache.memo.get("closed-form")
    if not isinstance(st, _Static):
        st = cache.memo["closed-form"] = _Static.of(net)
    t_mod, y_mod, r_mod, rt, psi = st.t_mod, st.y_mod, st.r_mod, st.rt, st.psi
    p_start, hatch, law, between = st.p_start, st.hatch, st.law, st.between
    atol_p = tol.atol_mass_fraction_of_initial * float(p_start.max())

    par = par0.take(np.arange(batch))
    p_cur = np.tile(p_start, (batch, 1))
    p_out[:, t_out <= 0.0] = p_start
    drift_before = np.zeros(batch)  # relative error the lag has built up so far [-]
    for k, (live, t_cur, t_next) in enumerate(between_events(net, par, ok, float(t_out[-1]))):
        open_rows = par.link_enabled[live][:, hatch] > 0
        if (open_rows == open_rows[0]).all():  # one pattern (np.unique costs 40 µs)
            patterns, which = open_rows[:1], np.zeros(live.size, dtype=np.intp)
        else:
            patterns, which = np.unique(open_rows, axis=0, return_inverse=True)
        for g, pattern in enumerate(patterns):
            sel = (np.arange(live.size) if len(patterns) == 1
                   else np.flatnonzero(which.reshape(-1) == g))
            rows = live[sel]
            mask = np.zeros(net.n_links, dtype=bool)
            mask[np.flatnonzero(hatch)[pattern]] = True
            _interval(net, par.take(rows), cache.of(net, mask), rows, t_cur[sel], t_next[sel],
                      p_cur, t_out, p_out, link_flow, rt, psi, r_mod, t_mod, y_mod, between,
                      law, atol_p, tol, k == 0, refuse, drift_before)
    return ClosedFormRun(ok, tuple(reason), p_out, link_flow)


def _interval(net: Network, par: Params, cells: Cells, rows: NDArray[np.intp], t0: F, t1: F,
              p_cur: F, t_out: F, p_out: F, link_flow: F, rt: F, psi: F, r_mod: F, t_mod: F,
              y_mod: F, between: B, law: NDArray[np.intp], atol_p: float, tol: Tolerances,
              first: bool, refuse: Callable[[NDArray[np.intp], str], None],
              drift_before: F) -> None:
    """Advance ``rows`` from t0 to t1 with the cells fixed, writing outputs in (t0, t1]."""
    n, lab = net.n, cells.label
    ids = net.station.module_ids
    # one uniform gas per cell: temperature and air (static), pressure (now)
    why = _static_refusal(cells, t_mod, r_mod, y_mod, ids)
    if why:
        refuse(rows, why)
        return
    p_s = p_cur[rows]
    spread = cells.spread(p_s)
    bad = (spread > UNIFORM_RTOL).any(axis=1)
    if bad.any():
        when = "start" if first else "a hatch opens between them"
        for i in np.flatnonzero(bad):
            c = int(np.argmax(spread[i]))
            m = np.flatnonzero(lab == c)
            refuse(rows[i:i + 1], f"modules {ids[m[0]]!r} … {ids[m[-1]]!r} are joined by open "
                   f"hatches at different pressures ({when}): the network equalises them")
    # leaks between cells, and one exponent per cell
    cross = between & (lab[np.minimum(net.link_b, n - 1)] != lab[net.link_a])
    joined = (par.link_enabled[:, cross] > 0).any(axis=1)
    if joined.any():
        refuse(rows[joined], "a leak joins two cells (their coupled ODE runs in the network)")
    k, expo = _leak_coefficients(net, par, rt, psi, law)
    leaking = k > 0
    cell_of_link = lab[net.link_a]
    n_cell = np.ones((len(rows), cells.count))
    for c in range(cells.count):
        in_c = leaking & (cell_of_link == c)
        lo = np.where(in_c, expo, np.inf).min(axis=1)
        hi = np.where(in_c, expo, -np.inf).max(axis=1)
        mixed = np.isfinite(lo) & (hi > lo)
        if mixed.any():
            refuse(rows[mixed], "leaks of different laws in one cell (no closed form)")
        n_cell[:, c] = np.where(np.isfinite(lo), lo, 1.0)
    k_cell = k @ _link_cell_onehot(net, cells)  # [R, C] Σk
    rt_cell = (rt @ cells.onehot) / np.maximum(cells.onehot.sum(axis=0), 1)
    c_cell = rt_cell * k_cell / cells.volume_m3
    ps_cell = (p_s @ cells.onehot) / np.maximum(cells.onehot.sum(axis=0), 1)
    dt = (t1 - t0)[:, None]
    pe_cell = _decay(ps_cell, c_cell, n_cell, dt)
    # the reduction holds where the quasi-steady lag is inside the error scale (cells
    # without hatches are single modules: no lag)
    if cells.hatch_slots.size:
        slow = _lag_too_large(net, cells, k, k_cell, c_cell, n_cell, rt_cell, ps_cell, pe_cell,
                              rows, atol_p, tol, drift_before)
        if slow.any():
            refuse(rows[slow], TOO_FAST)
    # outputs in (t0, t1]
    lo = np.where(t0 <= 0.0, -np.inf, t0)  # the first interval also writes t = 0
    sel_r, sel_k = np.nonzero((t_out[None, :] > lo[:, None]) & (t_out[None, :] <= t1[:, None]))
    if sel_r.size:
        dto = np.maximum(t_out[sel_k] - t0[sel_r], 0.0)[:, None]
        p_c = _decay(ps_cell[sel_r], c_cell[sel_r], n_cell[sel_r], dto)  # [S, C]
        p_m = p_c @ cells.onehot.T
        p_out[rows[sel_r], sel_k] = p_m
        # each leak's flow at its module's pressure (side a is always a module), and the
        # quasi-steady hatch flows, linear in the leaks' (:func:`_leaks_to_links`)
        p_a, e = p_c @ cells.onehot[net.link_a].T, expo[sel_r]
        leak = k[sel_r] * (p_a if (e == 1.0).all() else p_a**e)  # [S, L], 0 but to vacuum
        if cells.hatch_slots.size:
            leak = leak + leak @ _leaks_to_links(net, cells)
        link_flow[rows[sel_r], sel_k] = leak
    p_cur[rows] = np.asarray(pe_cell @ cells.onehot.T)


def _leaks_to_links(net: Network, cells: Cells) -> F:
    """[L, L]: the hatch flows (in the hatch columns) that carry unit flows of each link's
    leak through its cell: each module sends its volume share of the cell's loss less its
    own leaks, which :meth:`.cells.Cells.quasi_steady_flows` turns into hatch flows. The
    map is linear, so it is built once per cells (a batch's outputs then cost one matrix
    product instead of a solve for every output)."""
    key = f"leaks to links {net.n_links}"
    if key not in cells.memo:
        n = net.n
        # what every module sends through hatches per unit leak of module m (a loss)
        hatch = cells.quasi_steady_flows(net, cells.through_hatches(-np.eye(n)))  # [n, H]
        out = np.zeros((net.n_links, net.n_links))
        out[:, cells.hatch_slots] = net.onehot_a[:, :n] @ hatch
        cells.memo[key] = out
    return np.asarray(cells.memo[key])


def _lag_too_large(net: Network, cells: Cells, k: F, k_cell: F, c_cell: F, n_cell: F,
                   rt_cell: F, ps_cell: F, pe_cell: F, rows: NDArray[np.intp], atol_p: float,
                   tol: Tolerances, drift_before: F) -> B:
    """Rows [R] whose quasi-steady spread over the interval, with what it does to the leak
    over the run, leaves the error scale rtol·p + atol (checked at log-spaced pressures
    from the start to the end pressure of each cell); adds the drift to ``drift_before``."""
    frac = np.linspace(0.0, 1.0, _SCALE_POINTS)
    lo_p = np.maximum(pe_cell, ps_cell * 1e-30)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        p_chk = np.exp(np.log(np.maximum(ps_cell, 1e-300))[..., None] * (1 - frac)
                       + np.log(np.maximum(lo_p, 1e-300))[..., None] * frac)  # [R, C, K]
        q = (cells.volume_m3 / rt_cell)[..., None] * c_cell[..., None] * p_chk ** n_cell[..., None]
        # the quasi-steady spread as a fraction of p, and what it does to the leak over the
        # run: a rate off by ε adds ε·c·p^(n−1)·dt = ε·d(ln p) to the relative error
        spread = cells.lag_per_unit_flow(net, _unit_outflow(net, cells, k))
        eps = quasi_steady_lag(cells, spread, p_chk, rt_cell[..., None], q) / p_chk
        eps = np.where(np.isfinite(eps), eps, np.inf)
        dlnp = -np.diff(np.log(np.maximum(p_chk, 1e-300)), axis=-1)
        drift = np.concatenate([np.zeros((*eps.shape[:-1], 1)), np.cumsum(
            0.5 * (eps[..., 1:] + eps[..., :-1]) * dlnp, axis=-1)], axis=-1)
        lag = p_chk * (eps + drift + drift_before[rows][:, None, None])
    counts = (k_cell[..., None] > 0) & np.isfinite(lag)
    drift_before[rows] += np.where(counts[..., -1], drift[..., -1], 0.0).max(axis=1)
    return np.asarray(((lag > tol.rtol * p_chk + atol_p) & counts).any(axis=(1, 2)))


def _static_refusal(cells: Cells, t_mod: F, r_mod: F, y_mod: F, ids: tuple[str, ...]) -> str:
    """Why the cells are not each one uniform gas at the start (temperature, air), or ""
    (kept on the cells: it depends on nothing else)."""
    memo: dict[str, str] = cells.memo
    if "uniform" not in memo:
        memo["uniform"] = ""
        for name, values in (("temperature", t_mod), ("air", r_mod)):
            spread = cells.spread(values[None, :])[0]
            if spread.max() > UNIFORM_RTOL:
                c = int(np.argmax(spread))
                memo["uniform"] = (f"modules of the cell of "
                                   f"{ids[int(np.flatnonzero(cells.label == c)[0])]!r} "
                                   f"differ in {name}")
                break
        if not memo["uniform"] and np.ptp(y_mod, axis=0).max() > 0 and not _uniform_y(cells,
                                                                                       y_mod):
            memo["uniform"] = "modules joined by open hatches hold different air"
    return memo["uniform"]


def _unit_outflow(net: Network, cells: Cells, k: F) -> F:
    """What each module sends through hatches [R, n] per kg/s of its cell's leak: its
    volume share of the loss less its own leaks (the leaks' shares at equal pressure)."""
    k_mod = k @ net.onehot_a[:, :net.n]
    k_cell = k_mod @ cells.onehot
    return cells.through_hatches(-k_mod / np.where(k_cell > 0, k_cell, 1.0)[:, cells.label])


def _link_cell_onehot(net: Network, cells: Cells) -> F:
    """[L, C]: 1 where a link leaves a module of the cell (kept with the cells)."""
    key = f"link-cell {net.n_links}"
    if key not in cells.memo:
        out = np.zeros((net.n_links, cells.count))
        out[np.arange(net.n_links), cells.label[net.link_a]] = 1.0
        cells.memo[key] = out
    return np.asarray(cells.memo[key])


def _uniform_y(cells: Cells, y: F) -> bool:
    return all(np.ptp(y[cells.label == c], axis=0).max() <= UNIFORM_RTOL
               for c in range(cells.count))
