"""The engine seam: the same results bit for bit whatever runs the chunks; resume; retries;
a failing scenario recorded and the campaign going on."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from campaign_fixtures import fixed_model, write_spec

from cabinleak.campaign.prepare import run_chunk
from cabinleak.campaign.runner import CampaignRunError, run


def same(a, b) -> bool:
    """Bit for bit: the same columns, and each column's bytes (NaN included) the same."""
    if a.column_names != b.column_names:
        return False
    for name in a.column_names:
        x = a[name].to_numpy(zero_copy_only=False)
        y = b[name].to_numpy(zero_copy_only=False)
        if x.dtype.kind == "O":
            if x.tolist() != y.tolist():
                return False
        elif x.dtype != y.dtype or x.tobytes() != y.tobytes():
            return False
    return True


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    folder = tmp_path_factory.mktemp("runner")
    spec, model = fixed_model(write_spec(folder, n=1200, chunk=200))
    serial = run(spec, model=model).table
    return spec, model, serial


def test_processes_match_serial(setup):
    spec, model, serial = setup
    with ProcessPoolExecutor(2) as ex:
        table = run(spec, model=model, executor=ex).table
    assert same(table, serial)


def test_dask_local_cluster_matches_serial(setup):
    """A real in-process Dask LocalCluster (two worker threads) through its executor."""
    distributed = pytest.importorskip("dask.distributed")
    spec, model, serial = setup
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as client:
        table = run(spec, model=model, executor=client.get_executor(pure=False)).table
    assert same(table, serial)


CALLS: list[int] = []


def _counting(model, chunk, seed, first, n):
    CALLS.append(chunk)
    return run_chunk(model, chunk, seed, first, n)


def _failing_at_3(model, chunk, seed, first, n):
    if chunk == 3:
        raise RuntimeError("interrupted")
    return _counting(model, chunk, seed, first, n)


def test_interrupted_then_resumed(setup, tmp_path):
    """Chunk 3 fails; the others are written; the rerun computes only chunk 3 and the
    whole equals the uninterrupted run."""
    spec, model, serial = setup
    CALLS.clear()
    with pytest.raises(CampaignRunError, match="chunk 3"):
        run(spec, model=model, out=tmp_path, chunk_fn=_failing_at_3, retries=0)
    assert sorted(CALLS) == [0, 1, 2, 4, 5]
    CALLS.clear()
    res = run(spec, model=model, out=tmp_path, chunk_fn=_counting)
    assert sorted(CALLS) == [3]
    assert (res.computed, res.skipped) == (1, 5)
    assert same(res.table, serial)


def test_other_spec_into_same_out_refused(setup, tmp_path):
    spec, model, _ = setup
    run(spec.with_scenarios(200), model=model, out=tmp_path)
    with pytest.raises(CampaignRunError, match="holds another campaign"):
        run(spec, model=model, out=tmp_path)


MARKER: Path | None = None


def _dies_once(model, chunk, seed, first, n):
    assert MARKER is not None
    if chunk == 1 and not MARKER.exists():
        MARKER.touch()
        os._exit(1)  # the worker process dies mid-chunk
    return run_chunk(model, chunk, seed, first, n)


def test_worker_death_is_retried(setup, tmp_path):
    global MARKER
    spec, model, serial = setup
    MARKER = tmp_path / "died"
    res = run(spec, model=model, executor_factory=lambda: ProcessPoolExecutor(2),
              chunk_fn=_dies_once)
    assert MARKER.exists()
    assert same(res.table, serial)


def test_failing_scenario_recorded(setup, monkeypatch):
    """A scenario that fails every time is recorded with its chunk and error; the others
    keep their results."""
    import cabinleak.campaign.prepare as prep

    spec, model, serial = setup
    real = prep._play

    def play(model, inputs, sel):
        if 7 in inputs["scenario"][sel]:
            raise FloatingPointError("scenario 7 breaks")
        return real(model, inputs, sel)

    monkeypatch.setattr(prep, "_play", play)
    table = run(spec, model=model).table
    outcome = np.asarray(table["outcome"].to_pylist())
    error = np.asarray(table["error"].to_pylist())
    assert outcome[7] == "failed" and "scenario 7 breaks" in error[7]
    keep = np.arange(len(outcome)) != 7
    assert (outcome[keep] == np.asarray(serial["outcome"].to_pylist())[keep]).all()
    from cabinleak.campaign.results import summarize

    s = summarize(table, station="three", policies=model.policies, penetrations_per_year=None)
    assert s.failed == 1 and "scenario 7" in str(s)


def test_record_keeps_the_named_columns(tmp_path):
    """``[record] columns`` keeps those and the few the summary needs."""
    from campaign_fixtures import fixed_model, write_spec

    path = write_spec(tmp_path, n=50, chunk=50)
    path.write_text(path.read_text() + '[record]\ncolumns = ["clock_h", "min_p_crew_Pa"]\n')
    spec, model = fixed_model(path)
    names = set(run(spec, model=model).table.column_names)
    assert {"clock_h", "min_p_crew_Pa", "outcome", "module", "hole_mm"} <= names
    assert "time_to_detect_s" not in names and "cd_area_mm2" not in names
