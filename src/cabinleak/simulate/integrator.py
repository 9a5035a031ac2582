"""Batched, adaptive integration of the network ODE: the stepping loop.

Each scenario of a batch has its own time and step size; all advance together in
vectorised NumPy. Every scenario lands exactly on each of its events; outputs in
between are interpolated (isothermal networks) or landed on (the general path).
All-isothermal networks step with RODAS4 in species moles
(:mod:`cabinleak.simulate.step_isothermal`); networks with adiabatic or
wall-exchange modules with ROS2 in (mass, pressure) (:mod:`~.step_general`; RODAS4 where
no composition can change).
L-stability damps the millisecond modes of a 1 m² hatch between 100 m³ modules, so
steps grow to hours once pressures have equalised.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from cabinleak.errors import SimulationError
from cabinleak.simulate.network import (
    Network,
    Params,
    added_mass_rate,
    apply_events,
    pressure,
    supply_may_run,
)
from cabinleak.simulate.step_general import (
    FiniteDifferenceJacobian,
    fixed_composition,
    state_rates,
    step_general,
    step_general_rodas,
    temperature,
)
from cabinleak.simulate.step_isothermal import RODAS4, dense_state, step_isothermal
from cabinleak.simulate.tolerances import Tolerances

F = NDArray[np.float64]

__all__ = ["ProgressCallback", "Tolerances", "integrate"]

ProgressCallback = Callable[[float], None]


def _record_outputs(net: Network, rows: NDArray[np.intp], t0: F, t1: F,
                    end: tuple[F, F, F], dense: tuple[F, ...] | None, t_out: F,
                    out_ptr: NDArray[np.intp], out: tuple[F, F, F, F],
                    added: tuple[F, F]) -> None:
    """Store every output time in (t0, t1] of the rows that just took a step (in place).

    An output at t1 takes the step's end state; one inside the step (isothermal
    networks only: the general path lands on every output) comes from RODAS's
    continuous extension, third order and stiffly accurate, so a fine output grid
    costs no extra steps. ``added`` is the mass added so far (supplies, crew) at the
    start and end of the step [kg]; outputs inside a step take it linearly in time.
    All the outputs of all the rows are evaluated in one vectorised call.
    """
    nt = len(t_out)
    stop = np.searchsorted(t_out, t1, side="right")  # first output after each step
    count = np.maximum(stop - out_ptr[rows], 0)
    if not count.any():
        return
    sel = np.repeat(np.arange(rows.size), count)  # one entry per output to write
    first = np.cumsum(count) - count
    k = out_ptr[rows][sel] + np.arange(sel.size) - first[sel]
    k = np.minimum(k, nt - 1)
    at_end = t_out[k] >= t1[sel]
    h = t1[sel] - t0[sel]
    theta = np.where(at_end, 1.0, (t_out[k] - t0[sel]) / np.where(h > 0, h, 1.0))
    if dense is None or at_end.all():
        mk, pk, yk = (x[sel] for x in end)
    else:
        mk, pk, yk = dense_state(net, tuple(x[sel] for x in dense), theta)
        mk, pk, yk = (np.where(at_end.reshape((-1,) + (1,) * (a.ndim - 1)), b[sel], a)
                      for a, b in zip((mk, pk, yk), end, strict=True))
    r = rows[sel]
    out[0][r, k] = mk
    out[1][r, k] = temperature(net, mk, pk, yk)
    out[2][r, k] = yk
    out[3][r, k] = added[0][sel] + theta * (added[1][sel] - added[0][sel])
    out_ptr[rows] += count


def _stop_when_empty(net: Network, par: Params, rows: NDArray[np.intp], M: F, T: F, Y: F,
                     ev_ptr: NDArray[np.intp], atol_M: F, t_out: F,
                     out_ptr: NDArray[np.intp], out: tuple[F, F, F, F], added: F) -> None:
    """Finish the rows whose every module holds less gas than the absolute tolerance and
    that nothing can refill (no supply on, none to come): their remaining outputs are
    empty modules (zero mass, the last temperature and air), within atol of the exact
    decay. Below atol the steps only fight rounding (negative masses rejected): a 10 m
    breach of the ISS took 19,000 steps and 46 s after the first 150 s emptied it."""
    empty = (M[rows] <= atol_M[rows]).all(axis=1)
    if not empty.any():
        return
    r = rows[empty]
    r = r[~supply_may_run(par.take(r), ev_ptr[r])]
    nt = len(t_out)
    for i in r:
        k = np.arange(out_ptr[i], nt)
        out[0][i, k] = 0.0
        out[1][i, k] = temperature(net, M[i:i + 1], T[i:i + 1], Y[i:i + 1])[0]
        out[2][i, k] = Y[i]
        out[3][i, k] = added[i]
        out_ptr[i] = nt


#: Panels of the composite Simpson rule for the mass added over a step (supplies, crew):
#: a regulator switching on is a kink inside a step of hours; with the trapezoid over the
#: step the ISS with a regulated supply had added 1.5 % too much by 12 h (rtol 1e-5).
ADDED_PANELS = 8


def _added_over_step(net: Network, par: Params, dense: tuple[F, ...], rate0: F, rate1: F,
                     h: F) -> F:
    """Mass added over each step [kg]: composite Simpson over :data:`ADDED_PANELS` panels,
    the inner points from the step's dense output."""
    k = ADDED_PANELS
    total = rate0 + rate1
    for j in range(1, k):
        mid = dense_state(net, dense, np.full(h.size, j / k))
        total = total + (4.0 if j % 2 else 2.0) * added_mass_rate(net, par, mid[1], mid[2])
    return np.asarray(h * total / (3.0 * k))


def _first_step(net: Network, par: Params, M: F, P: F, Y: F, tol: Tolerances,
                t_end: float) -> F:
    """Initial step per scenario: 1 % of the shortest relative time scale M/|dM/dt|,
    times rtol^(1/4) (after Hairer, Nørsett & Wanner, Solving ODEs I, §II.4), within
    [first_step_s, t_end]. A station at rest with a small leak starts with steps of
    minutes; unequal pressures across an open hatch give milliseconds.
    """
    dm, _, _ = state_rates(net, par, M, P, Y)
    rate = np.max(np.abs(dm) / (np.abs(M) + 1e-300), axis=1)
    h = 0.01 / np.maximum(rate, 1e-300) * tol.rtol ** 0.25
    return np.asarray(np.clip(h, tol.first_step_s, max(t_end, tol.first_step_s)))


def integrate(net: Network, par: Params, t_out: F, tol: Tolerances,
              progress: ProgressCallback | None = None,
              initial: tuple[F, F, F] | None = None,
              atol_mass_kg: float | None = None) -> tuple[F, F, F, F]:
    """Integrate every scenario from t = 0 to each time in ``t_out`` (sorted, >= 0).

    Returns M, T, Y at the output times: [B, nt, n], [B, nt, n], [B, nt, n, 4], and
    the mass added by supplies and crew since t = 0 [B, nt] [kg], by the trapezoid
    rule over the integrator's own (error-controlled) steps, so that the mass vented
    is the balance M(0) + added − M(t), conserved to rounding. The added mass is as
    accurate as the states (a sealed Soyuz, 30 days of crew: 0.7428 kg added against
    0.7429 kg gained, 1e-5 of the cabin's mass, the step's rtol).

    ``initial`` (M, T, Y) [B, n], [B, n], [B, n, 4] replaces the station's own start state
    (the reduced models hand over their cells' states this way), and ``atol_mass_kg``
    the absolute mass tolerance (by default that fraction of the largest start mass).
    """
    if initial is None:
        M, T_init, Y = net.initial_state(par.link_cda.shape[0])
    else:
        M, T_init, Y = (np.array(x, dtype=float) for x in initial)
    T = pressure(net, M, T_init, Y)  # the integrator's second state is pressure
    batch, n = M.shape
    nt = len(t_out)
    out_M = np.empty((batch, nt, n))
    out_T = np.empty((batch, nt, n))
    out_Y = np.empty((batch, nt, n, 4))
    out_A = np.empty((batch, nt))
    added = np.zeros(batch)  # mass added so far [kg]
    t = np.zeros(batch)
    h = np.full(batch, tol.first_step_s)
    out_ptr = np.zeros(batch, dtype=np.intp)
    ev_ptr = np.zeros(batch, dtype=np.intp)
    atol_M = (tol.atol_mass_fraction_of_initial * M[0].max() if atol_mass_kg is None
              else atol_mass_kg) + 0.0 * M
    jac = FiniteDifferenceJacobian(net)
    # one air that nothing changes: the general path can take fourth-order steps
    rodas_general = jac.with_temperature and fixed_composition(net, par, Y)
    every = np.arange(batch)
    apply_events(net, par, ev_ptr, t, every)
    h = _first_step(net, par, M, T, Y, tol, t_out[-1] if nt else 0.0)
    # outputs at t = 0
    at0 = np.flatnonzero(t_out[out_ptr] <= 0.0) if nt else every[:0]
    while at0.size:
        out_M[at0, out_ptr[at0]] = M[at0]
        out_T[at0, out_ptr[at0]] = temperature(net, M[at0], T[at0], Y[at0])
        out_Y[at0, out_ptr[at0]] = Y[at0]
        out_A[at0, out_ptr[at0]] = 0.0
        out_ptr[at0] += 1
        at0 = at0[out_ptr[at0] < nt]
        at0 = at0[t_out[out_ptr[at0]] <= 0.0]
    t_end = t_out[-1] if nt else 0.0
    # mass is added only by a crew, or by a supply that is on or turns on
    track_added = bool(supply_may_run(par).any()) or net.has_crew
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
        # steps land exactly on events and the end, and on outputs where there is no
        # dense output (the general path); isothermal outputs are interpolated
        next_stop = np.minimum(t_end, p.ev_time[np.arange(act.size), ev_ptr[act]])
        if jac.with_temperature:
            next_stop = np.minimum(next_stop, t_out[np.minimum(out_ptr[act], nt - 1)])
        remaining = next_stop - t[act]
        hh = np.minimum(h[act], remaining)
        lands = hh >= remaining * (1.0 - 1e-12)
        hh = np.where(lands, remaining, hh)

        dense: tuple[F, F, F, F] | None = None
        if jac.with_temperature:
            if rodas_general:
                mn, tn, yn, err, ok1 = step_general_rodas(net, p, jac, m0, t0, y0, hh, tol,
                                                          atol_M[act])
                exponent = 1.0 / RODAS4.error_order
            else:
                mn, tn, yn, err, ok1 = step_general(net, p, jac, m0, t0, y0, hh, tol,
                                                    atol_M[act])
                exponent = 0.5  # ROS2's estimate is O(h²)
        else:
            mn, tn, yn, err, ok1, dense = step_isothermal(net, p, m0, t0, y0, hh, tol,
                                                          atol_M[act])
            exponent = 1.0 / RODAS4.error_order
        good = (ok1 & (mn > 0).all(axis=1) & (tn > 0).all(axis=1)
                & np.isfinite(err) & np.isfinite(mn).all(axis=1))
        accept = good & (err <= 1.0)
        factor = np.where(good, np.clip(0.9 * np.maximum(err, 1e-10) ** -exponent, 0.2, 5.0),
                          0.25)
        # a step shortened to land on a stop must not shrink the next one
        h[act] = np.where(accept & lands, np.maximum(h[act], hh * factor), hh * factor)

        if accept.any():
            yn_acc = np.clip(yn[accept], 0.0, None)
            yn_acc = yn_acc / yn_acc.sum(axis=2, keepdims=True)
            acc = act[accept]
            t_new = np.where(lands[accept], next_stop[accept], t[acc] + hh[accept])
            added_new = added[acc]
            if track_added:
                p_acc = p.take(np.flatnonzero(accept))
                rate0 = added_mass_rate(net, p_acc, t0[accept], y0[accept])
                rate1 = added_mass_rate(net, p_acc, tn[accept], yn_acc)
                if dense is None:  # trapezoid
                    added_new = added_new + 0.5 * (t_new - t[acc]) * (rate0 + rate1)
                else:
                    added_new = added_new + _added_over_step(
                        net, p_acc, tuple(x[accept] for x in dense), rate0, rate1,
                        t_new - t[acc])
            _record_outputs(net, acc, t[acc], t_new, (mn[accept], tn[accept], yn_acc),
                            None if dense is None else tuple(x[accept] for x in dense),
                            t_out, out_ptr, (out_M, out_T, out_Y, out_A),
                            (added[acc], added_new))
            added[acc] = added_new
            M[acc], T[acc], Y[acc], t[acc] = mn[accept], tn[accept], yn_acc, t_new
            rows = act[accept & lands]
            if rows.size:
                before = ev_ptr[rows].copy()
                apply_events(net, par, ev_ptr, t, rows)
                # an event is a discontinuity: restart the step size there, as from rest
                # (a step kept from before it spanned the new transient, and the third-
                # order dense output inside it was 2e-3 off at an ISS hatch closing)
                hit = rows[ev_ptr[rows] > before]
                if hit.size:
                    h[hit] = _first_step(net, par.take(hit), M[hit], T[hit], Y[hit], tol,
                                         t_end)
            _stop_when_empty(net, par, acc, M, T, Y, ev_ptr, atol_M, t_out, out_ptr,
                             (out_M, out_T, out_Y, out_A), added)
        if progress is not None and t_end > 0:
            progress(float(np.min(np.where(out_ptr < nt, t, t_end))) / t_end)
    return out_M, out_T, out_Y, out_A
