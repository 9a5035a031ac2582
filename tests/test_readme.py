"""The README's Python example runs as written."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_example_runs() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert blocks, "README has no Python example"
    namespace: dict[str, object] = {}
    exec(compile(blocks[0], str(README), "exec"), namespace)
    res = namespace["res"]
    batch = namespace["batch"]
    assert res.time_to_floor_s(490 * 133.322) is not None  # type: ignore[attr-defined]
    assert len(batch) == 24  # type: ignore[arg-type]
