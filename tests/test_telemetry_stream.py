"""Streaming a table into bins: the same answer as reading it whole and binning that.

The reference is :func:`read_telemetry` (the full reader) followed by plain binning
(``np.bincount`` over ``floor((t - t0) / bin_s)``), written out here. The synthetic table
is 1 Hz with ISO 8601 times, seeded noise and known defects (a 5-minute gap, spikes, an
empty cell, a -999 sentinel, an injection given as a rate, a hatch); spikes sit on the
last and first rows of 7,777-row batches so the carry between batches is exercised.
Unit factor: 1 mmHg = 133.322387415 Pa (NIST SP 811, 2008, Appendix B).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cabinleak.telemetry import Telemetry, TelemetryError, read_auto, read_binned, read_telemetry

MMHG = 133.322387415  # Pa
N = 200_000  # rows: all of them are the head the noise and spike limit come from
BIN_S = 60.0
GAP_AT = 100_000  # the time jumps by 300 s before this row
SPIKES = (7_776, 12_345, 15_554)  # 7_776, 15_554: last/first rows of 7,777-row batches
NOISE_MMHG = 0.05
HEADER = ["time", "lab_pressure_mmHg", "node_pressure_Pa", "lab_T_C",
          "o2_injection_kg_per_day", "pmm_hatch"]


def columns(seed: int = 7) -> dict[str, list[str]]:
    """The table's cells as text (as a CSV holds them)."""
    rng = np.random.default_rng(seed)
    t = np.arange(N, dtype=float)
    t[GAP_AT:] += 300.0
    lab = 750.0 - 2e-5 * t + rng.normal(0.0, NOISE_MMHG, N)
    lab[list(SPIKES)] += 5.0
    node = 101_000.0 - 3e-3 * t + rng.normal(0.0, 7.0, N)
    temp = 22.0 + 0.5 * np.sin(2 * np.pi * t / 5400.0) + rng.normal(0.0, 0.05, N)
    inj = np.where((t >= 50_000) & (t < 50_600), 2.0, 0.0)
    stamps = np.datetime64("2024-03-01T00:00:00") + t.astype("timedelta64[s]")
    cells = {
        "time": [s + "Z" for s in np.datetime_as_string(stamps, unit="s").tolist()],
        "lab_pressure_mmHg": [f"{x:.4f}" for x in lab],
        "node_pressure_Pa": [f"{x:.2f}" for x in node],
        "lab_T_C": [f"{x:.3f}" for x in temp],
        "o2_injection_kg_per_day": [f"{x:g}" for x in inj],
        "pmm_hatch": ["closed"] * 150_000 + ["open"] * (N - 150_000),
    }
    cells["lab_T_C"][777] = ""
    cells["lab_T_C"][90_000] = "-999"
    return cells


def write_csv(path: Path, cells: dict[str, list[str]]) -> Path:
    rows = zip(*(cells[h] for h in HEADER), strict=True)
    path.write_text("# volume = 10 m3\n" + ",".join(HEADER) + "\n"
                    + "\n".join(",".join(r) for r in rows) + "\n")
    return path


def write_parquet(path: Path, cells: dict[str, list[str]]) -> Path:
    """The same table; numbers parsed from the same text, so both files hold equal values."""
    arrays = {}
    for h in HEADER:
        if h in ("time", "pmm_hatch"):
            arrays[h] = pa.array(cells[h])
        else:
            arrays[h] = pa.array([float(x) if x else np.nan for x in cells[h]])
    table = pa.table(arrays).replace_schema_metadata({"volume": "10 m3"})
    pq.write_table(table, path)
    return path


@pytest.fixture(scope="module")
def cells() -> dict[str, list[str]]:
    return columns()


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory,
           cells: dict[str, list[str]]) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("stream")
    return write_csv(folder / "t.csv", cells), write_parquet(folder / "t.parquet", cells)


@pytest.fixture(scope="module")
def full(tables: tuple[Path, Path]) -> Telemetry:
    return read_telemetry(tables[0])


@pytest.fixture(scope="module")
def binned(tables: tuple[Path, Path]) -> Telemetry:
    return read_binned(tables[0], bin_s=BIN_S)


def bin_full(tel: Telemetry, width: float) -> dict[str, np.ndarray]:
    """The full reader's rows binned by hand: the reference for read_binned."""
    t = tel.time_s
    idx = np.floor((t - t[0]) / width).astype(np.int64)
    rows = np.bincount(idx).astype(float)
    used = rows > 0
    last = np.flatnonzero(np.append(idx[1:] != idx[:-1], True))  # each bin's last row
    out = {"time_s": (np.bincount(idx, weights=t) / np.maximum(rows, 1))[used]}
    for c in tel.channels:
        ok = np.isfinite(c.values)
        if c.quantity == "injection":
            out[c.name] = c.values[last]
        elif c.quantity == "hatch":
            pos = np.maximum.reduceat(np.where(ok, np.arange(t.size), -1),
                                      np.append(0, last[:-1] + 1))
            out[c.name] = np.where(pos >= 0, c.values[pos], np.nan)
        else:
            count = np.bincount(idx, weights=ok)[used]
            total = np.bincount(idx, weights=np.where(ok, c.values, 0.0))[used]
            out[c.name] = total / count
            out[c.name + ":count"] = count
    return out


def assert_same(a: Telemetry, b: Telemetry, rtol: float = 1e-12) -> None:
    np.testing.assert_allclose(a.time_s, b.time_s, rtol=0, atol=1e-9)
    for ca, cb in zip(a.channels, b.channels, strict=True):
        assert ca.name == cb.name
        np.testing.assert_allclose(ca.values, cb.values, rtol=rtol, atol=1e-12)
        assert ca.counts is not None and cb.counts is not None
        np.testing.assert_array_equal(ca.counts, cb.counts)
        assert ca.noise_sd == cb.noise_sd
        assert ca.resolution == cb.resolution


# --- the same answer as the full reader ---------------------------------------------------

def test_binned_means_counts_and_injection_equal_the_full_read_binned(
        full: Telemetry, binned: Telemetry) -> None:
    ref = bin_full(full, BIN_S)
    assert binned.bin_s == BIN_S
    np.testing.assert_allclose(binned.time_s, ref["time_s"], rtol=0, atol=1e-9)  # [s]
    for c in binned.channels:
        if c.quantity in ("pressure", "temperature"):
            np.testing.assert_allclose(c.values, ref[c.name], rtol=1e-9)
            np.testing.assert_array_equal(c.counts, ref[c.name + ":count"])
        else:
            np.testing.assert_allclose(c.values, ref[c.name], rtol=0, atol=1e-9)  # [kg], 1/0
    # 2 kg/day for 600 s
    assert binned.channel("o2_injection_kg_per_day").values[-1] == pytest.approx(
        2.0 / 86400.0 * 600.0, rel=1e-12, abs=0)
    hatch = binned.channel("pmm_hatch").values
    assert hatch[0] == 0.0 and hatch[-1] == 1.0


def test_binned_table_reports_what_the_full_reader_reports(
        full: Telemetry, binned: Telemetry) -> None:
    assert [str(i) for i in binned.issues] == [str(i) for i in full.issues]
    text = [str(i) for i in binned.issues]
    assert text[0].startswith("gap of 5 min without rows after 2024-03-02T03:46:39Z "
                              "(line 100002;")
    assert any(s.startswith("lab_pressure_mmHg: 3 single-sample spikes (largest +5.0")
               and "first at line 7779 " in s for s in text)
    assert any(s.startswith("lab_T_C: 2 unusable readings (1 empty/NaN; 1 sentinel")
               and "first at line 780;" in s for s in text)
    assert binned.metadata["volume"] == "10 m3"
    assert binned.start_time == full.start_time


def test_resolution_matches_and_noise_is_close_to_the_true_one(
        full: Telemetry, binned: Telemetry) -> None:
    for c in binned.channels:
        assert c.resolution == full.channel(c.name).resolution
    # seeded noise: 0.05 mmHg, 7 Pa, 0.05 K; 200,000 samples give the MAD-based 1σ to ~1 %
    assert binned.channel("lab_pressure_mmHg").noise_sd == pytest.approx(NOISE_MMHG * MMHG,
                                                                         rel=0.03, abs=0)
    assert binned.channel("node_pressure_Pa").noise_sd == pytest.approx(7.0, rel=0.03, abs=0)
    assert binned.channel("lab_T_C").noise_sd == pytest.approx(0.05, rel=0.03, abs=0)
    assert binned.channel("pmm_hatch").noise_sd is None


def test_noise_is_never_below_the_quantisation_error(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    # read to 1 mmHg, falling 10 mmHg: most second differences are 0
    p = np.round(750.0 - np.linspace(0.0, 10.0, 3000) + rng.normal(0.0, 0.05, 3000))
    rows = [[str(k), f"{x:.0f}"] for k, x in enumerate(p)]
    path = tmp_path / "q.csv"
    path.write_text("time_s,cab_pressure_mmHg\n" + "\n".join(",".join(r) for r in rows) + "\n")
    c = read_binned(path, bin_s=60.0).channel("cab_pressure_mmHg")
    assert c.resolution == pytest.approx(MMHG, rel=1e-12, abs=0)
    assert c.noise_sd == pytest.approx(MMHG / np.sqrt(12.0), rel=1e-12, abs=0)


def test_a_channel_empty_at_the_start_gets_its_noise_from_the_bins(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import cabinleak.telemetry.stream as stream

    monkeypatch.setattr(stream, "HEAD_ROWS", 1000)  # b has no sample in the first rows
    rng = np.random.default_rng(5)
    n = 20_000
    a = 750.0 + rng.normal(0.0, NOISE_MMHG, n)
    b = [""] * 1500 + [f"{x:.4f}" for x in 740.0 + rng.normal(0.0, NOISE_MMHG, n - 1500)]
    text = "\n".join(f"{k},{x:.4f},{y}" for k, (x, y) in enumerate(zip(a, b, strict=True)))
    path = tmp_path / "late.csv"
    path.write_text("time_s,a_pressure_mmHg,b_pressure_mmHg\n" + text + "\n")
    tel = read_binned(path, bin_s=60.0)
    # 308 bins of 60 samples: the scatter of their means gives σ to about 20 %
    assert tel.channel("b_pressure_mmHg").noise_sd == pytest.approx(NOISE_MMHG * MMHG,
                                                                    rel=0.25, abs=0)


# --- formats and batches ------------------------------------------------------------------

def test_csv_and_parquet_give_the_same_bins(tables: tuple[Path, Path],
                                            binned: Telemetry) -> None:
    from_parquet = read_binned(tables[1], bin_s=BIN_S)
    assert_same(from_parquet, binned)
    assert from_parquet.metadata["volume"] == "10 m3"
    # the same issues; Parquet rows are counted from 1, CSV lines include the header
    csv_text = [str(i) for i in binned.issues]
    pq_text = [str(i) for i in from_parquet.issues]
    assert [re.sub(r"line (\d+)", lambda m: f"row {int(m.group(1)) - 2}", s)
            for s in csv_text] == pq_text


@pytest.mark.parametrize("which", [0, 1])
def test_batch_boundaries_do_not_change_the_result(tables: tuple[Path, Path],
                                                   which: int) -> None:
    small = read_binned(tables[which], bin_s=BIN_S, batch_rows=7_777)
    large = read_binned(tables[which], bin_s=BIN_S, batch_rows=1_000_000)
    assert_same(small, large)
    assert [str(i) for i in small.issues] == [str(i) for i in large.issues]
    lab = small.channel("lab_pressure_mmHg")
    assert lab.counts is not None
    # each spike is taken out of its bin: 59 of 60 samples left there
    assert [lab.counts[s // 60] for s in SPIKES] == [59.0, 59.0, 59.0]


def test_a_sensor_step_is_found_in_the_bins_and_shifted_back(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    n = 20_000
    a = 750.0 + rng.normal(0.0, 0.05, n)
    b = 740.0 + rng.normal(0.0, 0.05, n)
    a[12_000:] += 1.0  # at a bin boundary (60 s bins); the other sensor does not move
    text = "\n".join(f"{k},{x:.4f},{y:.4f}" for k, (x, y) in enumerate(zip(a, b, strict=True)))
    path = tmp_path / "step.csv"
    path.write_text("time_s,a_pressure_mmHg,b_pressure_mmHg\n" + text + "\n")
    tel = read_binned(path, bin_s=60.0)
    steps = [str(i) for i in tel.issues if i.kind == "step"]
    assert len(steps) == 1
    found = re.fullmatch(r"sensor step of \+(\S+) mmHg in a_pressure_mmHg at t=3.3 h "
                         r"\(line 12002\); later readings shifted back", steps[0])
    assert found is not None, steps[0]
    assert float(found.group(1)) == pytest.approx(1.0, abs=0.01)  # [mmHg]
    after = tel.channel("a_pressure_mmHg").values[200:] / MMHG
    assert np.mean(after) == pytest.approx(750.0, abs=0.005)  # [mmHg]


# --- refusals -----------------------------------------------------------------------------

def test_an_unsorted_table_is_refused_with_where_and_what_to_do(
        tmp_path: Path, cells: dict[str, list[str]]) -> None:
    swapped = {k: list(v) for k, v in cells.items()}
    swapped["time"][150_000], swapped["time"][150_001] = (swapped["time"][150_001],
                                                          swapped["time"][150_000])
    path = write_csv(tmp_path / "unsorted.csv", swapped)
    # data row 150,001 is on line 150,004 (a comment line, the header, then rows from 0)
    message = ("unsorted.csv: line 150004: time 2024-03-02T17:45:00Z is before the row above "
               "(2024-03-02T17:45:01Z): the table is not sorted by time; sort it, or read it "
               "without binning")
    with pytest.raises(TelemetryError, match=re.escape(message)):
        read_binned(path, bin_s=BIN_S, batch_rows=7_777)
    assert read_telemetry(path).time_s.size == N  # the full reader sorts it


def test_a_bad_bin_width_and_a_bad_cell_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("time_s,cab_pressure_mmHg\n0,750\n1,750.1\n2,abc\n3,750\n")
    with pytest.raises(TelemetryError, match=r"bin_s must be a number of seconds > 0, got 0"):
        read_binned(path, bin_s=0.0)
    with pytest.raises(TelemetryError, match=re.escape(
            "bad.csv: line 4, column 'cab_pressure_mmHg': cannot read 'abc' as a number")):
        read_binned(path, bin_s=60.0)


# --- read_auto ----------------------------------------------------------------------------

def test_read_auto_reads_short_tables_whole_and_streams_long_ones(
        tmp_path: Path, tables: tuple[Path, Path]) -> None:
    csv_path = tables[0]
    assert read_auto(csv_path).bin_s is None  # 200,000 rows <= 5,000,000
    assert read_auto(csv_path, max_rows=150_000).bin_s == 60.0  # CSV: 60 s
    assert read_auto(csv_path, bin_s=120.0).bin_s == 120.0
    # Parquet: the row count from the metadata, the duration from the first/last times
    t = np.arange(1000) * 3600.0
    path = tmp_path / "hourly.parquet"
    pq.write_table(pa.table({"time_s": t, "cab_pressure_Pa": np.full(1000, 1e5)}), path)
    assert read_auto(path, max_rows=100).bin_s == pytest.approx(999 * 3600.0 / 20_000, abs=0)
    assert read_auto(path).bin_s is None
    with pytest.raises(TelemetryError, match=r"a gauge table .* is not binned"):
        read_auto(path, gauge=True, bin_s=60.0)
