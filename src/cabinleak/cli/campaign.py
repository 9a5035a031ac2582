"""``cabinleak campaign``: consequence campaigns, from a hole to the crew's outcome.

The campaign modules (NumPy, SciPy, pyarrow, and Dask when asked) are imported inside
:func:`run_campaign_command`, so ``cabinleak campaign --help`` stays quick.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from cabinleak.cli.common import UsageError, count

EPILOG = """\
examples:
  cabinleak campaign --example iss  # prints the ISS example: > iss-campaign.toml
  cabinleak campaign iss-campaign.toml --scenarios 100000 --out iss-run --report iss.html
  cabinleak campaign iss-campaign.toml --workers 2 --json
  cabinleak campaign iss-campaign.toml --workers 4 --dask            # a local Dask cluster
  cabinleak campaign iss-campaign.toml --scheduler tcp://10.0.0.5:8786 --out iss-run

A rerun with the same spec and --out skips the chunks already written (resume). The
Dask options need the extra: pip install 'cabinleak[dask]'; on a cluster, every worker
needs the same version of cabinleak installed. The results are the same bit for bit
however the chunks run.
"""


def campaign_parser(p: argparse.ArgumentParser) -> None:
    p.description = ("Run a consequence campaign: many holes through detection, search, "
                     "isolation or evacuation, with outcome probabilities and intervals.")
    p.epilog = EPILOG
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.add_argument("spec", nargs="?", metavar="SPEC.toml", help="the campaign description")
    p.add_argument("--example", metavar="NAME",
                   help="print a bundled campaign description (iss) and exit")
    p.add_argument("--scenarios", type=count(1), metavar="N", help="override the spec's count")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=count(1), metavar="N",
                       help="local worker processes (default 1: this process)")
    where.add_argument("--scheduler", metavar="ADDR",
                       help="a running Dask scheduler, e.g. tcp://HOST:8786")
    p.add_argument("--dask", action="store_true",
                   help="with --workers: a local Dask cluster instead of local processes")
    p.add_argument("--out", type=Path, metavar="DIR",
                   help="write one Parquet file per chunk here (a rerun resumes)")
    p.add_argument("--report", type=Path, metavar="FILE.html", help="write the HTML report")
    p.add_argument("--json", action="store_true",
                   help="print the summary as JSON (probabilities, intervals, counts)")
    p.set_defaults(func=run_campaign_command)


class _Progress:
    """Scenarios done, per second, and the time left, on stderr (terminals only)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.t0 = time.perf_counter()
        self.first: int | None = None

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self.first is None:
            self.first, self.t0 = done, time.perf_counter()
        dt = time.perf_counter() - self.t0
        rate = (done - self.first) / dt if dt > 0 else 0.0
        left = f"{(total - done) / rate:,.0f} s left" if rate > 0 else ""
        bar = "#" * int(25 * done / max(total, 1))
        sys.stderr.write(f"\rcampaign [{bar:<25}] {done}/{total}  {rate:,.0f} scenarios/s  "
                         f"{left}   ")
        sys.stderr.flush()

    def done(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")


def _dask_client(args: argparse.Namespace) -> Any:
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise UsageError("--scheduler and --dask need Dask: pip install 'cabinleak[dask]'"
                         ) from None
    if args.scheduler:
        try:
            return Client(args.scheduler, timeout="5s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise UsageError(f"--scheduler: cannot reach {args.scheduler}: {exc}") from None
    cluster = LocalCluster(n_workers=args.workers or 1, threads_per_worker=1,
                           processes=True, dashboard_address=":0")
    return Client(cluster)


def run_campaign_command(args: argparse.Namespace) -> int:
    from cabinleak.campaign.spec import example_text, load_spec

    if args.example:
        sys.stdout.write(example_text(args.example))
        return 0
    if not args.spec:
        raise UsageError("give a campaign description (SPEC.toml) or --example iss")
    if args.dask and args.scheduler:
        raise UsageError("--dask makes a local cluster; with --scheduler leave it out")
    spec = load_spec(args.spec)
    if args.scenarios:
        spec = spec.with_scenarios(args.scenarios)

    from concurrent.futures import Executor, ProcessPoolExecutor

    from cabinleak.campaign.results import summarize
    from cabinleak.campaign.runner import run

    client = None
    executor: Executor | None = None
    factory = None
    if args.scheduler or args.dask:
        client = _dask_client(args)
        print(f"Dask dashboard: {client.dashboard_link}", file=sys.stderr)
        executor = client.get_executor(pure=False)
    elif args.workers and args.workers > 1:
        workers = args.workers

        def factory() -> Executor:
            return ProcessPoolExecutor(workers)

    progress = _Progress(not args.json)
    if progress.enabled:
        sys.stderr.write("campaign: building the tables (the localization lookup plays every "
                         "search once: a minute or two on the ISS; kept in --out)\n")
    try:
        result = run(spec, out=args.out, executor=executor, executor_factory=factory,
                     progress=progress)
    finally:
        progress.done()
        if client is not None:
            client.close()
    policies = result.model.policies
    summary = summarize(result.table, station=spec.station, policies=policies,
                        penetrations_per_year=result.model.penetrations_per_year)
    if args.report:
        from cabinleak.campaign.report import write_campaign_report

        write_campaign_report(args.report, summary, result.table, policies=policies,
                              spec_text=Path(args.spec).read_text(encoding="utf-8"),
                              response=spec.response,
                              footer=f"cabinleak campaign {args.spec}")
    if args.json:
        print(json.dumps(summary.to_dict(), indent=2, default=str))
    else:
        print(summary)
        note = f"{result.computed} chunk(s) computed"
        if result.skipped:
            note += f", {result.skipped} read back from {args.out}"
        print(f"{note} in {result.seconds:.1f} s")
        if args.report:
            print(f"report: {args.report}")
    return 0
