"""A self-contained HTML report: one file, inline CSS and figures, no scripts, prints cleanly.

:func:`write_report` lays out a title, the terminal summary, the data checks and a list of
:class:`Section` (text, figures, a table). Figures are embedded as base64 PNG, so the file
can be mailed or archived alone and opened in any browser. Every string that comes from the
caller is escaped with :func:`html.escape`.

:func:`figure_png` saves one figure; :func:`report_preview_png` stacks several figures into
one PNG, e.g. the picture of a report shown in the README.
"""

from __future__ import annotations

import base64
import html
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.image import imread, imsave

from cabinleak import __version__

__all__ = ["Section", "figure_png", "report_preview_png", "write_report"]

DPI = 100  # embedded figures: 9 x 4 in → 900 x 400 px


@dataclass(frozen=True)
class Section:
    """One part of a report: a heading, text paragraphs, figures and a table.

    Shown in this order: the preformatted block, the text, the figures, the table, and
    the text after the table.

    Parameters
    ----------
    heading : str
        Section heading; also the alt text of its figures.
    text : str
        Plain text; blank lines separate paragraphs. Escaped, never read as HTML.
    figures : tuple of matplotlib.figure.Figure
        Figures shown in order, embedded as PNG.
    table : tuple of tuple of str
        Rows of cells; the first row is the header. Every row has the header's length.
    pre : str
        Text whose lines and columns matter (a terminal table), shown as is.
    after : str
        Plain text paragraphs after the table, as `text`.
    """

    heading: str
    text: str = ""
    figures: tuple[Figure, ...] = ()
    table: tuple[tuple[str, ...], ...] = field(default=())
    pre: str = ""
    after: str = ""

    def __post_init__(self) -> None:
        rows = tuple(tuple(str(cell) for cell in row) for row in self.table)
        object.__setattr__(self, "figures", tuple(self.figures))
        object.__setattr__(self, "table", rows)
        for i, row in enumerate(rows[1:], start=1):
            if len(row) != len(rows[0]):
                raise ValueError(
                    f"section {self.heading!r}: table row {i} has {len(row)} cells, "
                    f"the header has {len(rows[0])}"
                )


def _png_bytes(fig: Figure, dpi: float) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    return buffer.getvalue()


def figure_png(fig: Figure, path: str | Path, *, dpi: float = DPI) -> Path:
    """Save `fig` as a PNG file (parent folders created) and return its path.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    path : str or Path
        Output file.
    dpi : float
        Resolution [pixels per inch].
    """
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(_png_bytes(fig, dpi))
    return out


def report_preview_png(figures: Iterable[Figure], path: str | Path, *, dpi: float = 80,
                       gap_px: int = 12) -> Path:
    """Stack figures top to bottom into one PNG image (a preview of a report for a README).

    Parameters
    ----------
    figures : iterable of matplotlib.figure.Figure
        Figures in order; narrower ones are padded with white on the right.
    path : str or Path
        Output file.
    dpi : float
        Resolution [pixels per inch] of every figure.
    gap_px : int
        White space between figures [px].
    """
    images = [imread(io.BytesIO(_png_bytes(fig, dpi)), format="png") for fig in figures]
    if not images:
        raise ValueError("report_preview_png needs at least one figure")
    width = max(img.shape[1] for img in images)
    height = sum(img.shape[0] for img in images) + gap_px * (len(images) - 1)
    canvas = np.ones((height, width, 4), dtype=np.float32)
    row = 0
    for img in images:
        rgba = img if img.shape[2] == 4 else np.dstack([img, np.ones(img.shape[:2])])
        canvas[row:row + img.shape[0], :img.shape[1]] = rgba
        row += img.shape[0] + gap_px
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    imsave(out, canvas, format="png")
    return out


def _release(fig: Figure) -> None:
    """Free a figure's memory: close it in pyplot if pyplot manages it, else clear it."""
    if getattr(fig.canvas, "manager", None) is not None:
        import matplotlib.pyplot as plt

        plt.close(fig)
    fig.clear()


_CSS = """
:root { --ink: #1b1f24; --muted: #5b6470; --rule: #d5dae0; --band: #f3f5f7; --warn: #9a3b00; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 60rem; padding: 1.5rem; color: var(--ink);
       font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }
header { border-bottom: 2px solid var(--ink); margin-bottom: 1rem; }
h1 { font-size: 1.6rem; margin: 0 0 0.2rem; }
h2 { font-size: 1.2rem; margin: 1.6rem 0 0.5rem; border-bottom: 1px solid var(--rule); }
.meta, footer { color: var(--muted); font-size: 0.85rem; }
pre { background: var(--band); border: 1px solid var(--rule); padding: 0.75rem;
      overflow-x: auto; font: 13px/1.4 ui-monospace, Menlo, Consolas, monospace; }
ul.issues li { color: var(--warn); }
figure { margin: 0.8rem 0; }
img { max-width: 100%; height: auto; display: block; }
table { border-collapse: collapse; margin: 0.8rem 0; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid var(--rule); padding: 0.25rem 0.6rem; text-align: left; }
th { background: var(--band); }
footer { border-top: 1px solid var(--rule); margin-top: 2rem; padding-top: 0.5rem; }
@page { margin: 15mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  pre { white-space: pre-wrap; overflow: visible; }
  figure, table, pre { break-inside: avoid; }
  h2 { break-after: avoid; }
}
"""


def _paragraphs(text: str) -> list[str]:
    blocks = (" ".join(b.split()) for b in re.split(r"\n\s*\n", text))
    return [f"<p>{html.escape(b)}</p>" for b in blocks if b]


def _table(rows: tuple[tuple[str, ...], ...]) -> list[str]:
    if not rows:
        return []
    header = "".join(f"<th>{html.escape(cell)}</th>" for cell in rows[0])
    out = ["<table>", f"<thead><tr>{header}</tr></thead>", "<tbody>"]
    for row in rows[1:]:
        out.append("<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>")
    out += ["</tbody>", "</table>"]
    return out


def _figure(fig: Figure, alt: str, dpi: float) -> str:
    width_in, height_in = fig.get_size_inches()
    data = base64.b64encode(_png_bytes(fig, dpi)).decode("ascii")
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(alt)}" '
            f'width="{round(width_in * dpi)}" height="{round(height_in * dpi)}"></figure>')


def write_report(
    path: str | Path,
    *,
    title: str,
    summary: str,
    sections: Sequence[Section],
    issues: Sequence[str] | None = (),
    footer: str = "",
    generated: datetime | None = None,
    dpi: float = DPI,
    close_figures: bool = True,
) -> Path:
    """Write a self-contained HTML report and return its path.

    Parameters
    ----------
    path : str or Path
        Output file (parent folders created), e.g. ``report.html``.
    title : str
        Report title (page title and heading).
    summary : str
        Preformatted text, e.g. the terminal summary; shown as is in a ``<pre>`` block.
    sections : sequence of Section
        The report body, in order.
    issues : sequence of str, optional
        Problems found in the telemetry, listed under "Data checks" ("No issues reported."
        when empty); None leaves the section out (a report not made from telemetry).
    footer : str
        Extra footer text (e.g. the command line or the data file).
    generated : datetime, optional
        Generation time shown in the header (default: now, UTC; naive = UTC).
    dpi : float
        Resolution of the embedded figures [pixels per inch].
    close_figures : bool
        Release every figure after embedding it (it cannot be drawn again).

    Returns
    -------
    Path
        The written file (UTF-8).
    """
    when = generated or datetime.now(UTC)
    if when.tzinfo is not None:
        when = when.astimezone(UTC)
    stamp = f"{when:%Y-%m-%d %H:%M} UTC"
    made_by = f"cabinleak {__version__}"
    esc = html.escape
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="generator" content="{esc(made_by)}">',
        f"<title>{esc(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        "<header>",
        f"<h1>{esc(title)}</h1>",
        f'<p class="meta">Generated {esc(stamp)} by {esc(made_by)}</p>',
        "</header>",
        "<main>",
        '<section id="summary">',
        "<h2>Summary</h2>",
        f"<pre>{esc(summary.rstrip())}</pre>",
        "</section>",
    ]
    if issues is not None:
        out += ['<section id="data-checks">', "<h2>Data checks</h2>"]
        if issues:
            out.append('<ul class="issues">')
            out += [f"<li>{esc(str(issue))}</li>" for issue in issues]
            out.append("</ul>")
        else:
            out.append("<p>No issues reported.</p>")
        out.append("</section>")
    for number, section in enumerate(sections, start=1):
        out += [f'<section id="section-{number}">', f"<h2>{esc(section.heading)}</h2>"]
        if section.pre.strip():
            out.append(f"<pre>{esc(section.pre.rstrip())}</pre>")
        out += _paragraphs(section.text)
        for fig in section.figures:
            out.append(_figure(fig, section.heading, dpi))
            if close_figures:
                _release(fig)
        out += _table(section.table)
        out += _paragraphs(section.after)
        out.append("</section>")
    out += ["</main>", "<footer>"]
    if footer:
        out.append(f"<p>{esc(footer)}</p>")
    out += [f"<p>{esc(title)} · {esc(made_by)} · {esc(stamp)}</p>", "</footer>", "</body>",
            "</html>", ""]
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("\n".join(out), encoding="utf-8")
    return target
