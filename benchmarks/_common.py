"""What the benchmark scripts share: machine facts, Markdown tables, docs sections."""

from __future__ import annotations

import datetime as _dt
import os
import platform
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import scipy

import cabinleak

DOCS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
DOC_HEADER = """# Benchmarks

Each benchmark is a script in [`benchmarks/`](../benchmarks/); run it from the repository
root with the project's virtual environment. A script run with `--write` replaces its own
section below with the numbers it just measured.
"""


def machine_info() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        found = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(),
                          re.MULTILINE)
        if found:
            cpu = found.group(1).strip()
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return {
        "date (UTC)": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M"),
        "platform": platform.platform(),
        "CPU": cpu,
        "cores": f"{usable} usable of {os.cpu_count()}",
        "load average at start (1/5/15 min)": load,
        "python": platform.python_version(),
        "versions": (f"numpy {np.__version__}, scipy {scipy.__version__}, "
                     f"cabinleak {cabinleak.__version__}"),
    }


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def write_section(name: str, body: Sequence[str], docs: Path = DOCS) -> None:
    """Replace (or append) the ``<!-- BEGIN name -->`` … ``<!-- END name -->`` section."""
    begin, end = f"<!-- BEGIN {name} -->", f"<!-- END {name} -->"
    text = docs.read_text() if docs.exists() else DOC_HEADER
    block = "\n".join([begin, *body, end])
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        text = head + block + tail
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    docs.write_text(text)
