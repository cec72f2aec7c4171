"""One self-contained HTML page with the tables and figures of a report.

No JavaScript and no external files: styles are inline in ``<style>``, figures are PNGs embedded
as ``data:image/png;base64`` URIs, so the page can be mailed or attached as it is. Tables come
from :class:`bench.reports.tables.Table` (best ``<strong>``, second ``<u>``, footnote markers
``<sup>``), with the same captions and footnotes as the Markdown and LaTeX files; a wide table
scrolls inside its box. Every ``<h2>`` section is listed in a table of contents at the top;
figures can be laid out in a grid, folded in a ``<details>`` element (the per-method EC
matrices and graphs, one per method and dataset).
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

from bench.reports.tables import DAGGER, Table

__all__ = ["HtmlPage", "table_html"]

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto;
       max-width: 1200px; color: #222; line-height: 1.4; padding: 0 1em; }
h1 { font-size: 1.6em; } h2 { font-size: 1.3em; margin-top: 2em; border-bottom: 1px solid #ccc; }
h3 { font-size: 1.1em; margin-top: 1.5em; }
nav.toc { background: #f6f7f9; border: 1px solid #dde; padding: 0.6em 1.2em; margin: 1em 0;
          display: inline-block; }
nav.toc ol { margin: 0.3em 0; padding-left: 1.4em; } nav.toc li { margin: 0.1em 0; }
a.top { font-size: 0.8em; font-weight: normal; margin-left: 0.6em; color: #668; }
table { border-collapse: collapse; margin: 0 0 0.3em; font-size: 0.9em; }
p.caption { font-style: italic; margin: 1.5em 0 0.3em; max-width: 60em; }
th, td { padding: 0.25em 0.7em; text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
thead tr:last-child th { border-bottom: 1px solid #222; }
thead tr:first-child th { border-top: 2px solid #222; }
tbody tr:last-child td, tbody tr:last-child th { border-bottom: 2px solid #222; }
th.group { text-align: center; border-bottom: 1px solid #888; }
p.note { font-size: 0.85em; margin: 0.1em 0; color: #444; }
figure { display: inline-block; margin: 0.8em 1em 0.8em 0; vertical-align: top; max-width: 100%; }
figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { font-size: 0.85em; color: #444; }
.wrap { overflow-x: auto; max-width: 100%; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); gap: 0.8em; }
.grid figure { margin: 0; }
details { margin: 0.6em 0; } summary { cursor: pointer; color: #335; font-weight: 600; }
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def table_html(t: Table) -> str:
    """``t`` as an HTML ``<table>`` with caption, spanning group headers and footnotes."""

    def head(name: str, oracle: bool) -> str:
        return _e(name) + (DAGGER if oracle else "")

    def cell(text: str, rank: int, mark: str) -> str:
        body = _e(text)
        if rank == 1:
            body = f"<strong>{body}</strong>"
        elif rank == 2:
            body = f"<u>{body}</u>"
        return body + (f"<sup>{_e(mark)}</sup>" if mark else "")

    out = [f'<p class="caption">{_e(t.caption)}</p>', '<div class="wrap"><table>', "<thead>"]
    if t.col_groups:
        groups = "".join(
            f'<th class="group" colspan="{span}">{_e(g)}</th>' for g, span in t.col_groups
        )
        out.append(f"<tr><th></th>{groups}</tr>")
    cols = "".join(f"<th>{head(c, o)}</th>" for c, o in zip(t.cols, t.col_oracle, strict=True))
    out += [f"<tr><th>{_e(t.corner)}</th>{cols}</tr>", "</thead>", "<tbody>"]
    for name, oracle, cells, ranks, marks in zip(
        t.rows, t.row_oracle, t.cells, t.rank, t.marks, strict=True
    ):
        tds = "".join(
            f"<td>{cell(c, r, k)}</td>" for c, r, k in zip(cells, ranks, marks, strict=True)
        )
        out.append(f"<tr><th>{head(name, oracle)}</th>{tds}</tr>")
    out += ["</tbody>", "</table></div>"]
    for letter, text in t.notes:
        out.append(f'<p class="note"><sup>{_e(letter)}</sup> {_e(text)}.</p>')
    if t.oracles:
        names = ", ".join(f"<code>{_e(m)}</code>" for m in t.oracles)
        out.append(
            f'<p class="note">{DAGGER} oracle: {names} look(s) at the ground truth; '
            "shown for reference, never marked best.</p>"
        )
    return "\n".join(out)


class HtmlPage:
    """A page built block by block; :meth:`render` gives the whole document with a table of
    contents of its ``<h2>`` sections."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.blocks: list[str] = []
        self.sections: list[tuple[str, str]] = []  # (anchor, heading)

    def heading(self, text: str, level: int = 2) -> None:
        if level == 2:
            anchor = f"s{len(self.sections) + 1}"
            self.sections.append((anchor, text))
            self.blocks.append(
                f'<h2 id="{anchor}">{_e(text)}<a class="top" href="#top">↑ top</a></h2>'
            )
        else:
            self.blocks.append(f"<h{level}>{_e(text)}</h{level}>")

    def paragraph(self, text: str) -> None:
        self.blocks.append(f"<p>{_e(text)}</p>")

    def table(self, t: Table) -> None:
        self.blocks.append(table_html(t))

    @staticmethod
    def _figure_html(png: str | Path, caption: str = "", width: int | None = None) -> str:
        data = base64.b64encode(Path(png).read_bytes()).decode("ascii")
        size = f' style="max-width:{width}px"' if width else ""
        cap = f"<figcaption>{_e(caption)}</figcaption>" if caption else ""
        return (
            f'<figure><img{size} alt="{_e(caption or Path(png).stem)}" loading="lazy" '
            f'src="data:image/png;base64,{data}">{cap}</figure>'
        )

    def figure(self, png: str | Path, caption: str = "", *, width: int | None = None) -> None:
        """Embed the PNG file ``png`` (base64) with an optional caption."""
        self.blocks.append(self._figure_html(png, caption, width))

    def figure_grid(
        self, figures: list[tuple[str | Path, str]], *, folded: str | None = None
    ) -> None:
        """Figures ``(png, caption)`` in a grid; ``folded`` puts the grid in a closed
        ``<details>`` element with that summary line."""
        grid = '<div class="grid">' + "".join(self._figure_html(p, c) for p, c in figures)
        grid += "</div>"
        if folded is not None:
            grid = f"<details><summary>{_e(folded)}</summary>{grid}</details>"
        self.blocks.append(grid)

    def render(self) -> str:
        body = "\n".join(self.blocks)
        toc = ""
        if self.sections:
            items = "".join(f'<li><a href="#{a}">{_e(h)}</a></li>' for a, h in self.sections)
            toc = f'<nav class="toc"><strong>Contents</strong><ol>{items}</ol></nav>\n'
        return (
            "<!DOCTYPE html>\n"
            '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{_e(self.title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
            f'<h1 id="top">{_e(self.title)}</h1>\n{toc}{body}\n</body>\n</html>\n'
        )
