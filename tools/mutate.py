"""A small mutation-testing runner: does the test suite notice when the code is wrong?

Each *mutant* is the source with one small change an ordinary slip could make: an
arithmetic operator swapped (``+``/``-``, ``*``/``/``, ``**``→``*``), a comparison
turned (``<``/``<=``, ``>``/``>=``, ``==``/``!=``), a numeric literal moved (``x``→``x+1``
for integers, ``x``→``2x`` for floats, ``0``/``0.0``→``1``), a unary minus dropped, a
``not`` dropped, ``and``/``or`` swapped, ``True``/``False`` swapped. Docstrings, type
annotations and ``__all__`` are left alone.

For every mutant the runner writes the changed module into a private copy of ``src/``
and runs the test files mapped to that module (``MODULE_TESTS`` below) with ``-x``; a
failing run *kills* the mutant, a passing run means it *survived*: no test would
notice that slip. A run that exceeds the timeout counts as killed (reported apart).

Why not mutmut or cosmic-ray: both mutate every site of every module and run the mapped
tests per mutant; on the two shared cores this project is developed on, that is hours.
This runner does the same thing, honestly and in the open, but lets you take a seeded
random *sample* of the sites per module (``--max-per-module``), so a run fits in tens
of minutes; the score is then a sample estimate, and the report says how many sites
there were and how many were run. With ``--max-per-module 0`` it runs them all.

Usage::

    python tools/mutate.py                       # sample, run, write .mutate/
    python tools/mutate.py --list                # only count and list the sites
    python tools/mutate.py --rerun-survivors     # after new tests: retry the survivors
    python tools/mutate.py --report              # print the markdown summary

Results go to ``.mutate/results.jsonl`` (one line per mutant, resumable) and a
markdown summary to ``.mutate/summary.md``.
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / ".mutate"

# Each source module and the test files that exercise it, fast ones first (-x stops at
# the first failure). test_analyze.py (70 s) only where nothing faster covers the module.
_PHYSICS = ["tests/test_flow.py", "tests/test_gas.py", "tests/test_estimate.py"]
_ESTIMATE = ["tests/test_estimate.py", "tests/test_estimate_outputs.py"]
_REAL = ["tests/test_noise_model.py", "tests/test_real_telemetry.py",
         "tests/test_realistic_analysis.py", "tests/test_analyze_bad_input.py"]
MODULE_TESTS: dict[str, list[str]] = {
    "src/cabinleak/physics/units.py": ["tests/test_units.py", "tests/test_estimate_outputs.py"],
    "src/cabinleak/physics/flow.py": _PHYSICS,
    "src/cabinleak/physics/gas.py": [*_PHYSICS, "tests/test_cantera.py"],
    "src/cabinleak/physics/thermal.py": ["tests/test_blowdown.py", "tests/test_conservation.py",
                                         "tests/test_supplies_events.py",
                                         "tests/test_cantera.py"],
    "src/cabinleak/estimate/mass.py": [*_ESTIMATE, "tests/test_detect.py",
                                       "tests/test_acceptance.py",
                                       "tests/test_thermal_coupling.py"],
    "src/cabinleak/estimate/dpdt.py": [*_ESTIMATE, "tests/test_detect.py",
                                       "tests/test_analyze.py"],
    "src/cabinleak/estimate/detect.py": ["tests/test_detect.py", *_ESTIMATE],
    "src/cabinleak/estimate/kalman.py": _ESTIMATE,
    "src/cabinleak/estimate/flowlaw.py": _ESTIMATE,
    "src/cabinleak/estimate/forecast.py": _ESTIMATE,
    "src/cabinleak/estimate/results.py": [*_ESTIMATE, "tests/test_analyze.py"],
    "src/cabinleak/estimate/analysis.py": [*_ESTIMATE, "tests/test_analyze.py"],
    "src/cabinleak/estimate/acceptance.py": ["tests/test_acceptance.py",
                                             "tests/test_estimate_outputs.py"],
    "src/cabinleak/estimate/fleet.py": ["tests/test_acceptance.py", *_ESTIMATE],
    "src/cabinleak/locate/model.py": ["tests/test_locate.py", "tests/test_locate_planner.py",
                                      "tests/test_locate_sensing.py"],
    "src/cabinleak/locate/sensing.py": ["tests/test_locate_sensing.py",
                                        "tests/test_locate_cli.py"],
    # the learned-noise estimator (issue 14): real and realistic records, bad input
    "src/cabinleak/estimate/noise.py": _REAL,
    "src/cabinleak/estimate/events.py": _REAL,
    "src/cabinleak/estimate/thermal.py": ["tests/test_thermal_coupling.py", *_REAL],
    "src/cabinleak/estimate/intervals.py": [*_REAL, "tests/test_forecast_coverage.py"],
    "src/cabinleak/estimate/checks.py": ["tests/test_noise_model.py",
                                         "tests/test_analyze_bad_input.py", "tests/test_detect.py"],
}

#: statistical tests too slow to run per mutant (each 15-30 s); `make test` runs them
DESELECT = [
    "tests/test_analyze.py::test_coverage_on_the_simulators_sensor_model",
    "tests/test_locate_planner.py::test_planner_is_near_the_optimum_on_a_small_station",
]


#: Mutants that cannot change what the program computes, with the reason; they are
#: listed apart and left out of the score. Keys as in results.jsonl (valid for the
#: source as it is; a change to the module moves them, and they show as survivors again).
EQUIVALENT: dict[str, str] = {
    "src/cabinleak/physics/flow.py:348:const:2.0":
        "clip((pu-pd)/pu, 0, 2) instead of (0, 1): the next line caps it at 1 - r* < 1",
    "src/cabinleak/estimate/flowlaw.py:456:const:True":
        "LawFit eq=True: nothing compares or hashes a LawFit",
    "src/cabinleak/estimate/analysis.py:1145:const:2.0":
        "weights 2/sd instead of 1/sd in polyfit: a uniform scale leaves the WLS slope as is",
    "src/cabinleak/estimate/mass.py:1030:const:False":
        "zip(strict=False): the four sequences are built with one length each",
    "src/cabinleak/estimate/dpdt.py:387:const:1.0":
        "the lower limit of brentq's bracket start (0.5 or 1.0): the root is unique in both",
    "src/cabinleak/estimate/forecast.py:146:const:65":
        "65 instead of 64 Gauss-Legendre nodes: both exact to rounding on this smooth integrand",
    "src/cabinleak/physics/units.py:698:boolop:or":
        "`sep or den` for `sep and den`: without '/' both are empty; with 'x/' the lookup of "
        "the empty denominator finds nothing and returns None either way",
    "src/cabinleak/estimate/mass.py:2083:const:3":
        "wv**3 for wv**2: the channel weights are 0 or 1 (no caller passes others)",
    "src/cabinleak/estimate/flowlaw.py:1291:const:1.0":
        "X(t) starting at 1 instead of 0: a constant offset of ∫φ dt is absorbed by m0 in "
        "every use (m0 − θ·X), so the fit, the mass now and the forecast are unchanged",
    "src/cabinleak/estimate/results.py:271:const:1.0":
        "the dataclass default of crew_source_kg_per_s: analysis always passes it",
    "src/cabinleak/estimate/noise.py:1437:binop:+":
        "(t + t0) for (t − t0) in the block index: shifts the block grid by a phase, which "
        "the pooled phases already sample; the statistics are the same",
    "src/cabinleak/estimate/thermal.py:375:compare0:<":
        "sxx < 0 for sxx <= 0: sxx is 0 only when every difference is equal, which the "
        "MIN_SWING_K check has already refused",
    "src/cabinleak/estimate/thermal.py:582:compare0:<":
        "< for <= at 5 robust σ: a residual exactly on the bound has probability zero",
    "src/cabinleak/estimate/intervals.py:270:const:20000.0":
        "the bisection bracket 2e4 instead of 1e4 spans: the answer lies well inside both",
    "src/cabinleak/estimate/checks.py:121:compare0:>=":
        "steps >= 0 for > 0: the table's times are unique after cleaning, so no step is 0",
}


@dataclass(frozen=True)
class Site:
    """One mutation: which node of which module, and what it becomes."""

    module: str
    index: int  # position of the node in the module's ast.walk order
    line: int
    kind: str
    before: str
    after: str

    @property
    def key(self) -> str:
        return f"{self.module}:{self.index}:{self.kind}:{self.after}"


_BINOP = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
          ast.Pow: ast.Mult, ast.FloorDiv: ast.Div, ast.Mod: ast.FloorDiv}
_CMP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
        ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
        ast.In: ast.NotIn, ast.NotIn: ast.In}
_SYM = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**",
        ast.FloorDiv: "//", ast.Mod: "%", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">",
        ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=", ast.Is: "is", ast.IsNot: "is not",
        ast.In: "in", ast.NotIn: "not in", ast.And: "and", ast.Or: "or"}


def _skipped_nodes(tree: ast.Module) -> set[int]:
    """ids of nodes never mutated: docstrings, annotations, __all__, logging text."""
    skip: set[int] = set()

    def all_of(node: ast.AST | None) -> None:
        if node is not None:
            skip.update(id(n) for n in ast.walk(node))

    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
                and body and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            all_of(body[0])
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            all_of(node.returns)
            for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs,
                      node.args.vararg, node.args.kwarg):
                if a is not None:
                    all_of(a.annotation)
        if isinstance(node, ast.AnnAssign):
            all_of(node.annotation)
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            all_of(node)
        if isinstance(node, ast.JoinedStr):  # f-strings: text, not behaviour
            all_of(node)
    return skip


def _sites(module: str) -> list[Site]:
    tree = ast.parse((ROOT / module).read_text())
    skip = _skipped_nodes(tree)
    out: list[Site] = []
    for i, node in enumerate(ast.walk(tree)):
        if id(node) in skip:
            continue
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOP:
            out.append(Site(module, i, line, "binop", _SYM[type(node.op)],
                            _SYM[_BINOP[type(node.op)]]))
        elif isinstance(node, ast.AugAssign) and type(node.op) in _BINOP:
            out.append(Site(module, i, line, "augassign", _SYM[type(node.op)] + "=",
                            _SYM[_BINOP[type(node.op)]] + "="))
        elif isinstance(node, ast.Compare):
            for j, op in enumerate(node.ops):
                if type(op) in _CMP:
                    out.append(Site(module, i, line, f"compare{j}", _SYM[type(op)],
                                    _SYM[_CMP[type(op)]]))
        elif isinstance(node, ast.BoolOp):
            after = "or" if isinstance(node.op, ast.And) else "and"
            out.append(Site(module, i, line, "boolop", _SYM[type(node.op)], after))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.Not):
            sym = "-" if isinstance(node.op, ast.USub) else "not"
            out.append(Site(module, i, line, "unary", sym, "(dropped)"))
        elif isinstance(node, ast.Constant):
            v = node.value
            if isinstance(v, bool):
                out.append(Site(module, i, line, "const", repr(v), repr(not v)))
            elif isinstance(v, int):
                out.append(Site(module, i, line, "const", repr(v), repr(v + 1)))
            elif isinstance(v, float):
                out.append(Site(module, i, line, "const", repr(v),
                                repr(v * 2.0 if v != 0.0 else 1.0)))
    return out


def _mutated_source(site: Site) -> str:
    tree = ast.parse((ROOT / site.module).read_text())
    tree = copy.deepcopy(tree)
    node = list(ast.walk(tree))[site.index]
    if site.kind == "binop":
        assert isinstance(node, ast.BinOp)
        node.op = _BINOP[type(node.op)]()
    elif site.kind == "augassign":
        assert isinstance(node, ast.AugAssign)
        node.op = _BINOP[type(node.op)]()
    elif site.kind.startswith("compare"):
        assert isinstance(node, ast.Compare)
        j = int(site.kind[len("compare"):])
        node.ops[j] = _CMP[type(node.ops[j])]()
    elif site.kind == "boolop":
        assert isinstance(node, ast.BoolOp)
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    elif site.kind == "unary":
        assert isinstance(node, ast.UnaryOp)
        _replace(tree, node, node.operand)
    elif site.kind == "const":
        assert isinstance(node, ast.Constant)
        node.value = ast.literal_eval(site.after)
    else:
        raise ValueError(site.kind)
    return ast.unparse(ast.fix_missing_locations(tree))


def _replace(tree: ast.AST, old: ast.AST, new: ast.AST) -> None:
    for parent in ast.walk(tree):
        for field, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, field, new)
                return
            if isinstance(value, list):
                for k, item in enumerate(value):
                    if item is old:
                        value[k] = new
                        return
    raise LookupError("node not found")


def _pytest(work: Path, tests: list[str], timeout_s: float) -> tuple[str, float]:
    """Run `tests` in the copy `work` (its src/ and tests/) with -x."""
    env = dict(os.environ, PYTHONPATH=str(work / "src"), PYTHONDONTWRITEBYTECODE="1",
               HYPOTHESIS_PROFILE="mutate")
    env.pop("CI", None)
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
           "--no-header", "-o", "addopts=--strict-markers", *tests,
           *(f"--deselect={d}" for d in DESELECT)]
    t0 = time.monotonic()
    try:
        rc = subprocess.run(cmd, cwd=work, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, timeout=timeout_s).returncode
    except subprocess.TimeoutExpired:
        return "timeout", time.monotonic() - t0
    took = time.monotonic() - t0
    if rc == 0:
        return "survived", took
    if rc in (1, 2, 3):
        return "killed", took
    return f"error(rc={rc})", took


def _existing_tests(tests: list[str]) -> list[str]:
    return [t for t in tests if (ROOT / t).exists()]


def _load() -> dict[str, dict]:
    path = OUT / "results.jsonl"
    if not path.exists():
        return {}
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return {r["key"]: r for r in rows}


def _plan(modules: list[str], per_module: int, seed: int) -> Iterator[Site]:
    for module in modules:
        sites = _sites(module)
        if per_module and len(sites) > per_module:
            sites = sorted(random.Random(f"{seed}:{module}").sample(sites, per_module),
                           key=lambda s: s.index)
        yield from sites


def summary(results: dict[str, dict], modules: list[str], per_module: int, seed: int) -> str:
    lines = ["| module | sites | run | equivalent | killed | timeout | survived | score |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    tot = dict(sites=0, run=0, equivalent=0, killed=0, timeout=0, survived=0)
    survivors: list[dict] = []
    equivalents: list[dict] = []
    planned = {site.key for site in _plan(modules, per_module, seed)}
    for module in modules:
        rows = [r for r in results.values() if r["module"] == module and r["key"] in planned]
        n_sites = len(_sites(module))
        k = sum(r["outcome"] == "killed" for r in rows)
        to = sum(r["outcome"] == "timeout" for r in rows)
        eq = [r for r in rows if r["outcome"] == "survived" and r["key"] in EQUIVALENT]
        s = [r for r in rows if r["outcome"] == "survived" and r["key"] not in EQUIVALENT]
        survivors += s
        equivalents += eq
        run = k + to + len(s)  # equivalent mutants left out
        score = f"{100 * (k + to) / run:.0f} %" if run else "-"
        lines.append(f"| {module.removeprefix('src/cabinleak/')} | {n_sites} | {run + len(eq)} "
                     f"| {len(eq)} | {k} | {to} | {len(s)} | {score} |")
        for name, val in (("sites", n_sites), ("run", run + len(eq)), ("equivalent", len(eq)),
                          ("killed", k), ("timeout", to), ("survived", len(s))):
            tot[name] += val
    scored = tot["run"] - tot["equivalent"]
    score = 100 * (tot["killed"] + tot["timeout"]) / scored if scored else 0.0
    lines.append(f"| **all** | {tot['sites']} | {tot['run']} | {tot['equivalent']} | "
                 f"{tot['killed']} | {tot['timeout']} | {tot['survived']} | **{score:.1f} %** |")
    lines += ["", f"Sample: up to {per_module or 'all'} sites per module, seed {seed}. "
              "Score: (killed + timeout) / (run − equivalent).", ""]
    if equivalents:
        lines += ["Equivalent mutants (left out of the score):", ""]
        for r in sorted(equivalents, key=lambda r: (r["module"], r["line"])):
            lines.append(f"- `{r['module'].removeprefix('src/')}:{r['line']}` {r['kind']} "
                         f"`{r['before']}` → `{r['after']}`: {EQUIVALENT[r['key']]}")
        lines.append("")
    if survivors:
        lines += ["Surviving mutants:", ""]
        for r in sorted(survivors, key=lambda r: (r["module"], r["line"])):
            src = (ROOT / r["module"]).read_text().splitlines()[r["line"] - 1].strip()
            lines.append(f"- `{r['module'].removeprefix('src/')}:{r['line']}` "
                         f"{r['kind']} `{r['before']}` → `{r['after']}`: `{src[:90]}`")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("modules", nargs="*", help="source modules (default: all mapped)")
    ap.add_argument("--max-per-module", type=int, default=4,
                    help="sites sampled per module; 0 = every site (default 4)")
    ap.add_argument("--seed", type=int, default=9)
    ap.add_argument("--list", action="store_true", help="count and list the sites only")
    ap.add_argument("--report", action="store_true", help="print the summary only")
    ap.add_argument("--rerun-survivors", action="store_true",
                    help="run again the mutants that survived last time")
    ap.add_argument("--timeout-factor", type=float, default=4.0)
    args = ap.parse_args(argv)
    modules = args.modules or list(MODULE_TESTS)
    modules = [m.removeprefix("./") for m in modules]
    unknown = [m for m in modules if m not in MODULE_TESTS]
    if unknown:
        ap.error(f"no test mapping for {unknown}; add it to MODULE_TESTS")

    if args.list:
        for m in modules:
            sites = _sites(m)
            print(f"{m}: {len(sites)} sites")
        return 0
    OUT.mkdir(exist_ok=True)
    results = _load()
    if args.report:
        print(summary(results, modules, args.max_per_module, args.seed))
        return 0

    with tempfile.TemporaryDirectory(prefix="cabinleak-mutate-") as tmp:
        # a private copy of the code and the tests: editing either while a run goes on
        # changes nothing in it
        work = Path(tmp)
        for folder in ("src", "tests", "examples", "docs", "benchmarks"):
            if (ROOT / folder).is_dir():
                shutil.copytree(ROOT / folder, work / folder,
                                ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        for name in ("pyproject.toml", "README.md"):
            shutil.copy(ROOT / name, work / name)
        baseline: dict[tuple[str, ...], float] = {}
        with (OUT / "results.jsonl").open("a") as log:
            for site in _plan(modules, args.max_per_module, args.seed):
                old = results.get(site.key)
                if old and not (args.rerun_survivors and old["outcome"] == "survived"
                                and site.key not in EQUIVALENT):
                    continue
                tests = _existing_tests(MODULE_TESTS[site.module])
                if tuple(tests) not in baseline:
                    outcome, took = _pytest(work, tests, 3600)
                    if outcome != "survived":
                        print(f"baseline fails for {site.module} ({outcome}): fix the tests first")
                        return 1
                    baseline[tuple(tests)] = took
                    print(f"{site.module}: baseline {took:.0f} s over {len(tests)} test files",
                          flush=True)
                target = work / site.module
                original = target.read_text()
                try:
                    target.write_text(_mutated_source(site))
                    limit = max(30.0, args.timeout_factor * baseline[tuple(tests)])
                    outcome, took = _pytest(work, tests, limit)
                finally:
                    target.write_text(original)
                if outcome.startswith("error"):
                    print(f"{site.key}: pytest {outcome}; not counted", flush=True)
                    continue
                row = dict(asdict(site), key=site.key, outcome=outcome, seconds=round(took, 1))
                results[site.key] = row
                log.write(json.dumps(row) + "\n")
                log.flush()
                print(f"{outcome:9s} {site.module}:{site.line} {site.kind} "
                      f"{site.before} -> {site.after} ({took:.0f} s)", flush=True)
    text = summary(results, modules, args.max_per_module, args.seed)
    (OUT / "summary.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
