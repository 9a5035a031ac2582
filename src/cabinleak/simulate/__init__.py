"""Layer 3: simulate a station — single scenarios, vectorised batches, sensors.

>>> from cabinleak.station import load_station
>>> from cabinleak.simulate import simulate
>>> res = simulate(load_station("test-chamber"), 3600.0, n_out=3)  # τ ≈ 6400 s
>>> [round(float(p)) for p in res.pressure("chamber")]
[101325, 76412, 57624]
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from cabinleak.errors import ScenarioError
from cabinleak.physics import gas
from cabinleak.physics.flow import HATCH_LINEAR_BELOW_PA
from cabinleak.simulate import cell_ode, closed_form
from cabinleak.simulate.cells import CellCache
from cabinleak.simulate.events import Event, HatchEvent, Scenario, SupplyEvent
from cabinleak.simulate.integrator import ProgressCallback, Tolerances, integrate
from cabinleak.simulate.network import (
    Network,
    Params,
    compile_network,
    flows_at,
    params_at,
    pressure,
)
from cabinleak.simulate.result import BatchResult, SimulationResult, check_floor
from cabinleak.station import Leak, Station

__all__ = [
    "BatchResult",
    "HatchEvent",
    "Scenario",
    "SimulationResult",
    "SupplyEvent",
    "Tolerances",
    "check_floor",
    "simulate",
    "simulate_batch",
]


#: The longest simulation [s]: 1e12 s, about 31,700 years, far past any cabin question;
#: much longer and the clock (float seconds, first steps of 10 ms) loses its meaning.
MAX_DURATION_S = 1e12
#: The most modules a station may have: each implicit step inverts dense n×n matrices
#: (about 16 of them live, 8 bytes an entry), so memory grows as n² and time as n³.
#: A chain of 10 m³ modules with a 2 mm hole, one simulated day (8 steps): 1,600
#: modules 21 s of CPU and 0.36 GB, 2,000 modules 33 s and 0.46 GB.
MAX_MODULES = 5000
#: Networks with adiabatic or wall-coupled modules step with dense (2n)×(2n) inverses.
MAX_MODULES_GENERAL = 2000
#: Memory the output arrays and the per-chunk matrices may take [bytes].
MEMORY_BUDGET_BYTES = 2 * 1024**3
_DENSE_MATRICES = 16  # n×n float64 matrices alive during a step, per scenario (measured)


def _check_size(station: Station) -> None:
    """Refuse a station too large for the implicit steps, naming what it would need.

    All-isothermal networks factorise sparse matrices (3000 modules: about 5 s and
    0.5 GB per simulated day); they still hold a few dense n×n arrays (the incidence
    matrices), which set the limit. Other networks invert dense (2n)×(2n) matrices.
    """
    n = len(station.modules)
    general = any(m.thermal != "isothermal" for m in station.modules)
    limit = MAX_MODULES_GENERAL if general else MAX_MODULES
    if n > limit:
        need_gb = _DENSE_MATRICES * 8.0 * n * n / 1e9
        what = ("has modules that are not isothermal; such networks invert dense "
                f"{2 * n}×{2 * n} matrices each step" if general else
                f"holds dense {n}×{n} arrays each step")
        raise ScenarioError(
            f"station {station.name!r} has {n} modules; the simulator handles at most "
            f"{limit} here (it {what}: about {need_gb:.0f} GB of memory)")


def _check_output_memory(station: Station, n_times: int, n_scenarios: int) -> None:
    """Refuse an output grid whose arrays would not fit in :data:`MEMORY_BUDGET_BYTES`."""
    n, links = len(station.modules), len(station.hatches) + len(station.leaks) + 1
    per_time = 8 * (12 * n + 2 * links + len(station.supplies) + 4)  # bytes, one scenario
    need = per_time * n_times * n_scenarios
    if need > MEMORY_BUDGET_BYTES:
        most = max(2, MEMORY_BUDGET_BYTES // (per_time * n_scenarios))
        raise ScenarioError(
            f"{n_times} output times of {n_scenarios} scenario(s) of {n} modules would need "
            f"{need / 1e9:.1f} GB of memory; at most {most} fit in "
            f"{MEMORY_BUDGET_BYTES / 1e9:.1f} GB")


def _output_times(duration_s: float, n_out: int | None, t_eval: ArrayLike | None,
                  events: Sequence[float]) -> np.ndarray:
    if not np.isfinite(duration_s) or duration_s <= 0:
        raise ScenarioError(f"duration must be > 0, got {duration_s:g} s")
    if duration_s > MAX_DURATION_S:
        raise ScenarioError(f"duration {duration_s:g} s is longer than the simulator supports "
                            f"(at most {MAX_DURATION_S:g} s, about 31,700 years)")
    if t_eval is not None:
        t = np.unique(np.asarray(t_eval, dtype=float))
        if t.size == 0 or t[0] < 0 or t[-1] > duration_s * (1 + 1e-12):
            raise ScenarioError(f"output times must lie in [0, {duration_s:g}] s")
        return t
    n = n_out if n_out is not None else 401
    if n < 2:
        raise ScenarioError(f"need at least 2 output times, got {n}")
    return np.linspace(0.0, duration_s, n)


def simulate_batch(
    station: Station,
    scenarios: Sequence[Scenario],
    duration_s: float,
    *,
    n_out: int | None = None,
    t_eval: ArrayLike | None = None,
    tolerances: Tolerances | None = None,
    linear_below_Pa: float = HATCH_LINEAR_BELOW_PA,
    chunk_size: int = 1024,
    progress: ProgressCallback | None = None,
    model: str = "auto",
) -> BatchResult:
    """Simulate many scenarios of one station in vectorised chunks.

    Parameters
    ----------
    station : The station; its own leaks apply to every scenario.
    scenarios : Leaks and events of each scenario.
    duration_s : Simulated time [s], > 0.
    n_out, t_eval : Output times: ``n_out`` evenly spaced (default 401) or explicit times.
    tolerances : Error control (:class:`Tolerances`).
    linear_below_Pa : Pressure difference below which open-hatch flow is made linear
        (regularisation of the square-root law, see
        ``physics.flow.HATCH_LINEAR_BELOW_PA``) [Pa].
    chunk_size : Scenarios integrated together.
    progress : Called with the fraction done (0-1).
    model : "auto" (default): the closed form of :mod:`.closed_form` for every scenario
        where it holds, the full network for the others; "network": the full network
        for all. Each result's ``model`` says which ran and ``model_reason`` why the
        network did where the closed form was not valid.
    """
    scen = list(scenarios)
    if not scen:
        raise ScenarioError("a batch needs at least one scenario")
    if model not in MODELS:
        raise ScenarioError(f"model must be one of {', '.join(MODELS)}, got {model!r}")
    _check_size(station)
    # scenarios integrated together: as many as the budget holds of their n×n matrices
    n = len(station.modules)
    chunk_size = max(1, min(chunk_size, MEMORY_BUDGET_BYTES // (_DENSE_MATRICES * 8 * n * n)))
    n_times = np.size(t_eval) if t_eval is not None else (n_out if n_out is not None else 401)
    _check_output_memory(station, int(n_times), min(len(scen), chunk_size))
    t_out = _output_times(duration_s, n_out, t_eval, ())
    tol = tolerances or Tolerances()
    # Scenarios whose leaks sit in the same places share link slots: chunk them together
    # so that each chunk evaluates as few (mostly disabled) leak links as it can.
    order = sorted(range(len(scen)), key=lambda i: _leak_places(station, scen[i]))
    results: list[SimulationResult | None] = [None] * len(scen)
    for start in range(0, len(scen), chunk_size):
        idx = order[start:start + chunk_size]
        chunk = [scen[i] for i in idx]
        net, par = compile_network(station, chunk, linear_below_Pa=linear_below_Pa)
        par0 = par.take(np.arange(len(chunk)))  # enabled flags evolve; keep a copy

        def report(frac: float, start: int = start, size: int = len(chunk)) -> None:
            if progress is not None:
                progress((start + frac * size) / len(scen))

        with _blas_threads():
            done = _run_chunk(net, par, par0, t_out, tol, model, report if progress else None)
        for i, res in zip(idx, done, strict=True):
            results[i] = res
    return BatchResult(tuple(r for r in results if r is not None))


#: The models :func:`simulate_batch` can be asked for.
MODELS = ("auto", "network")


def _run_chunk(net: Network, par: Params, par0: Params, t_out: np.ndarray, tol: Tolerances,
               model: str, progress: ProgressCallback | None) -> list[SimulationResult]:
    """Results of one compiled chunk: the closed form where it holds, else the network."""
    batch = par0.link_cda.shape[0]
    out: list[SimulationResult | None] = [None] * batch
    if model == "auto":
        red = closed_form.solve(net, par0, t_out, tol, _cells_cache(net))
        done = np.flatnonzero(red.ok)
        if done.size:
            M, T, Y = _states_from_pressure(net, red.pressure_Pa[done])
            res = _postprocess(net, par0.take(done), t_out, M, T, Y,
                               np.zeros((done.size, len(t_out))), model="closed-form",
                               link_flow=red.link_flow_kg_per_s[done])
            for i, r in zip(done, res, strict=True):
                out[i] = r
        reasons = list(red.reason)
        if not red.ok.all():
            few = cell_ode.solve(net, par0, t_out, tol, ~red.ok, _cells_cache(net))
            done = np.flatnonzero(few.ok)
            if done.size:
                res = _postprocess(net, par0.take(done), t_out, few.mass_kg[done],
                                   few.temperature_K[done], few.mass_fractions[done],
                                   few.added_kg[done], model="cells",
                                   reasons=[reasons[i] for i in done],
                                   hatch_flow=few.hatch_flow_kg_per_s[done])
                for i, r in zip(done, res, strict=True):
                    out[i] = r
            reasons = [few.reason[i] or reasons[i] for i in range(batch)]
            rest = np.flatnonzero(~red.ok & ~few.ok)
        else:
            rest = np.flatnonzero(~red.ok)
        reasons = [reasons[i] for i in rest]
    else:
        rest, reasons = np.arange(batch), [""] * batch
    if rest.size:
        _check_pressures(net.station)
        M, T, Y, added = integrate(net, par.take(rest), t_out, tol, progress)
        res = _postprocess(net, par0.take(rest), t_out, M, T, Y, added, model="network",
                           reasons=reasons)
        for i, r in zip(rest, res, strict=True):
            out[i] = r
    return [r for r in out if r is not None]


class _BlasLimit:
    """One BLAS thread while any thread simulates: the first to enter sets the limit, the
    last to leave restores the libraries' own; the controller is found once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.controller: Any = None
        self.saw_scipy = False
        self.limiter: Any = None
        self.depth = 0

    def enter(self) -> None:
        import sys

        from threadpoolctl import ThreadpoolController

        with self.lock:
            # found again once SciPy's own BLAS is loaded (it is imported late)
            scipy_now = "scipy.linalg" in sys.modules
            if self.controller is None or (scipy_now and not self.saw_scipy):
                self.controller, self.saw_scipy = ThreadpoolController(), scipy_now
            if self.depth == 0:
                self.limiter = self.controller.limit(limits=1, user_api="blas")
            self.depth += 1

    def leave(self) -> None:
        with self.lock:
            self.depth -= 1
            if self.depth == 0:
                self.limiter.restore_original_limits()
                self.limiter = None


_BLAS = _BlasLimit()


@contextmanager
def _blas_threads() -> Iterator[None]:
    """One BLAS thread inside the simulator (``threadpoolctl``).

    Its matrices are small (a cell's Laplacian, a step's n×n systems): OpenBLAS's
    threads only contend for them, and their spinning counts as CPU (on a shared 2-core
    machine, 100-module networks took 10-25x the CPU with them, issue 10; a 24-module
    cell ODE 3.6x). Finding the BLAS libraries costs about a millisecond, so the
    controller is kept (a limit then costs about 20 µs). Threads that simulate at once
    share one limit (each restoring its own left BLAS at one thread for good).
    """
    _BLAS.enter()
    try:
        yield
    finally:
        _BLAS.leave()


_CELLS: dict[int, tuple[Network, CellCache]] = {}


def _cells_cache(net: Network) -> CellCache:
    """Cells per open-hatch pattern, and the reduced models' own derivations, kept per
    compiled station (the last few)."""
    key = id(net.station)
    hit = _CELLS.get(key)
    if hit is None or hit[0].station is not net.station or hit[0].links != net.links:
        if len(_CELLS) > 8:
            _CELLS.clear()
        hit = (net, CellCache())
        _CELLS[key] = hit
    return hit[1]


def _states_from_pressure(net: Network, p: np.ndarray) -> tuple[np.ndarray, ...]:
    """M, T, Y [B, nt, ...] of isothermal modules of fixed air at pressures p [B, nt, n]
    (T and Y read-only views of the start's: the closed form changes neither)."""
    _, t0, y0 = net.initial_state(1)
    r = y0[0] @ gas.R_SPECIES
    M = p * net.volume_m3 / (r * t0[0])
    T = np.broadcast_to(t0[0], p.shape)
    Y = np.broadcast_to(y0[0], (*p.shape, 4))
    return M, T, Y


def _check_pressures(station: Station) -> None:
    """Every module needs gas to simulate: its composition and flows divide by its mass."""
    empty = [m.id for m in station.modules if not m.pressure_Pa > 0.0]
    if empty:
        raise ScenarioError(
            f"module {empty[0]!r} of station {station.name!r} starts at pressure 0 Pa; the "
            "simulator needs gas in every module (remove it, or give it a pressure such as "
            "1 Pa)")


def _leak_places(station: Station, scenario: Scenario) -> tuple[tuple[str, str, str], ...]:
    """Where a scenario's leaks are (law, module, destination), for grouping a batch."""
    return tuple(sorted((lk.law, lk.module, lk.to or "") for lk in scenario.leaks))


def _postprocess(net: Network, par0: Params, t_out: np.ndarray, M: np.ndarray, T: np.ndarray,
                 Y: np.ndarray, added: np.ndarray, *, model: str,
                 reasons: Sequence[str] = (),
                 hatch_flow: np.ndarray | None = None,
                 link_flow: np.ndarray | None = None) -> list[SimulationResult]:
    """Evaluate flows at the outputs (replaying events) and build the results.

    ``hatch_flow`` [B, nt, L], when given, replaces the hatch flows (the reduced models'
    quasi-steady flows: the modules of a cell sit at one pressure); ``link_flow`` [B, nt,
    L] replaces every link flow (the closed form has them all, and no supply runs).
    """

    batch, nt, n = M.shape
    vacuum = np.array([s.b == n for s in net.links], dtype=bool)
    out = []
    supply_flow = np.zeros((batch, nt, len(net.supply_module)))
    if link_flow is None:
        link_flow = _flows_at_outputs(net, par0, t_out, M, T, Y, supply_flow, hatch_flow)
    p = pressure(net, M, T, Y)
    if model == "closed-form":  # each module keeps its start air throughout
        x = np.broadcast_to(gas.mass_to_mole_fractions(Y[0, 0]), Y.shape)
    else:
        x = gas.mass_to_mole_fractions(Y)
    vented = link_flow[:, :, vacuum].sum(axis=2)  # [B, nt], for the whole batch at once
    supplied = supply_flow.sum(axis=2)
    names = tuple(s.name for s in net.links)
    crew_modules = tuple(dict.fromkeys(c.module for c in net.station.crew if c.count > 0))
    ids = net.station.module_ids
    for i in range(batch):
        out.append(SimulationResult(
            station=net.station.name,
            module_ids=ids,
            volume_m3=net.volume_m3.copy(),
            time_s=t_out.copy(),
            pressure_Pa=p[i],
            temperature_K=T[i],
            mass_kg=M[i],
            mole_fractions=x[i],
            vented_kg_per_s=vented[i],
            supplied_kg_per_s=supplied[i],
            link_names=names,
            link_flow_kg_per_s=link_flow[i],
            added_kg=added[i],
            crew_modules=crew_modules,
            model=model,
            model_reason=reasons[i] if reasons else "",
        ))
    return out


def _flows_at_outputs(net: Network, par0: Params, t_out: np.ndarray, M: np.ndarray,
                      T: np.ndarray, Y: np.ndarray, supply_flow: np.ndarray,
                      hatch_flow: np.ndarray | None) -> np.ndarray:
    """Link flows [B, nt, L] at the output states with the events in force (supply flows
    into ``supply_flow``); the hatches' from ``hatch_flow`` where given."""
    batch, nt, n = M.shape
    hatch_mask = np.array([s.kind == "hatch" for s in net.links], dtype=bool)
    only = None if hatch_flow is None else ~hatch_mask
    link_flow = np.empty((batch, nt, net.n_links))
    # a block of output times at once (bounded memory)
    block = max(1, 20_000 // max(batch, 1))
    for k0 in range(0, nt, block):
        ks = slice(k0, min(k0 + block, nt))
        kk = ks.stop - ks.start
        par_k = params_at(par0, t_out[ks])
        lf, sf = flows_at(net, par_k, M[:, ks].reshape(batch * kk, n),
                          T[:, ks].reshape(batch * kk, n), Y[:, ks].reshape(batch * kk, n, 4),
                          only=only)
        link_flow[:, ks] = lf.reshape(batch, kk, -1)
        supply_flow[:, ks] = sf.reshape(batch, kk, -1)
    if hatch_flow is not None:
        link_flow[:, :, hatch_mask] = hatch_flow[:, :, hatch_mask]
    return link_flow


def simulate(
    station: Station,
    duration_s: float,
    *,
    leaks: Sequence[Leak] = (),
    events: Sequence[Event] = (),
    n_out: int | None = None,
    t_eval: ArrayLike | None = None,
    tolerances: Tolerances | None = None,
    linear_below_Pa: float = HATCH_LINEAR_BELOW_PA,
    progress: ProgressCallback | None = None,
    model: str = "auto",
) -> SimulationResult:
    """Simulate one scenario of a station for ``duration_s`` seconds.

    See :func:`simulate_batch` for the parameters; ``leaks`` and ``events`` are added
    to the station's own.
    """
    scenario = Scenario(leaks=tuple(leaks), events=tuple(events))
    return simulate_batch(station, [scenario], duration_s, n_out=n_out, t_eval=t_eval,
                          tolerances=tolerances, linear_below_Pa=linear_below_Pa,
                          progress=progress, model=model)[0]
