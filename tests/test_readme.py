"""The README is true: its Python example runs, and every sample output is what the command prints.

Sample outputs are the fenced blocks without a language tag. Each starts with the command
that made it, ``$ cabinleak ...``, and the rest is compared line by line with what that
command prints today, exactly (trailing spaces aside). Two conventions keep the samples
short and readable:

* a line that is only ``...`` stands for any number of lines left out (none included);
* in an interactive session, a line that starts with one of the command's prompts
  (:data:`PROMPTS`) is a typed reply: the test runs the command with ``--interactive``,
  types the reply and shows it after the prompt, as a terminal would.

Every command runs in one scratch folder, after ``cabinleak demo`` (which writes the demo
telemetry that the README's ``analyze`` reads); ``examples/`` is linked into it. The
commands are seeded, so no tolerance is needed: a difference is a README out of date.
The README is read when the tests run, so an edited README is checked as it stands;
``PYTHONPATH=src python tests/test_readme.py`` prints what each sample's command prints now.
"""

from __future__ import annotations

import difflib
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
ELLIPSIS = "..."
PROMPTS = ("readings (GROUP: START END; ...) > ",)  # cabinleak locate, interactive
CLI = [sys.executable, "-c", "import sys; from cabinleak.cli import main; sys.exit(main())"]


def test_readme_python_example_runs() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert blocks, "README has no Python example"
    namespace: dict[str, object] = {}
    exec(compile(blocks[0], str(README), "exec"), namespace)
    res = namespace["res"]
    batch = namespace["batch"]
    assert res.time_to_floor_s(490 * 133.322) is not None  # type: ignore[attr-defined]
    assert len(batch) == 24  # type: ignore[arg-type]


@dataclass(frozen=True)
class Sample:
    """A sample output block of the README: the command, then the lines it shows."""

    line: int  # where the block starts in README.md (1-based)
    command: str
    lines: tuple[str, ...]

    @property
    def replies(self) -> tuple[str, ...]:
        return tuple(ln[len(p):] for ln in self.lines for p in PROMPTS if ln.startswith(p))


def output_blocks(text: str) -> list[tuple[int, list[str]]]:
    """Fenced blocks without a language tag: (first line number, lines)."""
    blocks, lines = [], text.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].startswith("```"):
            tag = lines[i][3:].strip()
            j = i + 1
            while j < len(lines) and not lines[j].startswith("```"):
                j += 1
            if not tag:
                blocks.append((i + 1, lines[i + 1:j]))
            i = j + 1
        else:
            i += 1
    return blocks


def samples() -> list[Sample]:
    out = []
    for line, body in output_blocks(README.read_text(encoding="utf-8")):
        command = body[0][2:] if body and body[0].startswith("$ ") else ""
        out.append(Sample(line, command, tuple(ln.rstrip() for ln in body[1:])))
    return out


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("readme")
    (where / "examples").symlink_to(ROOT / "examples")
    run(where, "cabinleak demo", ())  # the demo telemetry the README's analyze reads
    return where


@cache
def _run(where: Path, command: str, replies: tuple[str, ...]) -> str:
    argv = shlex.split(command, comments=True)
    assert argv[0] == "cabinleak", f"not a cabinleak command: {command}"
    args = argv[1:] + (["--interactive"] if replies else [])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]))
    done = subprocess.run(CLI + args, cwd=where, env=env, capture_output=True, text=True,
                          input="".join(r + "\n" for r in replies), timeout=600)
    assert done.returncode == 0, f"{command} failed:\n{done.stderr}"
    return _echo(done.stdout, replies)


def _echo(out: str, replies: tuple[str, ...]) -> str:
    """`out` with each reply shown after the prompt that asked for it, as a terminal shows it."""
    pos = 0
    for reply in replies:
        found = [(out.find(p, pos), p) for p in PROMPTS if out.find(p, pos) >= 0]
        assert found, f"no prompt left in the output for the reply {reply!r}"
        at, prompt = min(found)
        end = at + len(prompt)
        out = out[:end] + reply + "\n" + out[end:]
        pos = end + len(reply) + 1
    return out


def run(where: Path, command: str, replies: tuple[str, ...]) -> list[str]:
    """What `command` prints (stdout), in lines without trailing spaces."""
    return [ln.rstrip() for ln in _run(where, command, replies).splitlines()]


def matches(shown: tuple[str, ...], printed: list[str]) -> bool:
    """Whether `printed` is `shown`, where a line "..." in `shown` stands for any lines."""
    @cache
    def at(i: int, j: int) -> bool:
        if i == len(shown):
            return j == len(printed)
        if shown[i] == ELLIPSIS:
            return any(at(i + 1, k) for k in range(j, len(printed) + 1))
        return j < len(printed) and shown[i] == printed[j] and at(i + 1, j + 1)
    return at(0, 0)


def test_readme_has_sample_outputs() -> None:
    assert len(samples()) >= 4


@pytest.mark.slow
@pytest.mark.parametrize("sample", samples(), ids=lambda s: f"README.md:{s.line}")
def test_readme_sample_output_is_what_the_command_prints(sample: Sample, workdir: Path) -> None:
    assert sample.command, (f"README.md:{sample.line}: a sample output starts with the "
                            "command that prints it: '$ cabinleak ...'")
    printed = run(workdir, sample.command, sample.replies)
    if not matches(sample.lines, printed):
        diff = "\n".join(difflib.unified_diff(list(sample.lines), printed, "README.md",
                                              sample.command, lineterm="", n=2))
        pytest.fail(f"README.md:{sample.line}: `{sample.command}` prints otherwise "
                    f"(a '...' line in the README stands for lines left out):\n{diff}")


def test_matches_ellipsis() -> None:
    assert matches(("a", ELLIPSIS, "d"), ["a", "b", "c", "d"])
    assert matches(("a", ELLIPSIS), ["a"])
    assert not matches(("a", "d"), ["a", "b", "d"])
    assert not matches(("a", ELLIPSIS, "e"), ["a", "b", "d"])


if __name__ == "__main__":  # print what each sample's command prints now, to update README.md
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        where = Path(scratch)
        (where / "examples").symlink_to(ROOT / "examples")
        run(where, "cabinleak demo", ())
        for s in samples():
            print(f"--- README.md:{s.line}\n$ {s.command}")
            print("\n".join(run(where, s.command, s.replies)) if s.command else "(no command)")
