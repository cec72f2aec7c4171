"""One self-contained HTML page with the tables and figures of a report.

No JavaScript and no external files: styles are inline in ``<style>``, figures are PNGs embedded
as ``data:image/png;base64`` URIs, so the page can be mailed or attached as it is. Tables come
from :class:`bench.reports.tables.Table` (best ``<strong>``, second ``<u>``, footnote markers
``<sup>``), with the same captions and footnotes as the Markdown and LaTeX files.
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
table { border-collapse: collapse; margin: 0 0 0.3em; font-size: 0.9em; }
p.caption { font-style: italic; margin: 1.5em 0 0.3em; max-width: 60em; }
th, td { padding: 0.25em 0.7em; text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
thead tr:last-child th { border-bottom: 1px solid #222; }
thead tr:first-child th { border-top: 2px solid #222; }
tbody tr:last-child td { border-bottom: 2px solid #222; }
th.group { text-align: center; border-bottom: 1px solid #888; }
p.note { font-size: 0.85em; margin: 0.1em 0; color: #444; }
figure { display: inline-block; margin: 0.8em 1em 0.8em 0; vertical-align: top; }
figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { font-size: 0.85em; color: #444; }
.wrap { overflow-x: auto; }
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
    """A page built block by block; :meth:`render` gives the whole document."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.blocks: list[str] = []

    def heading(self, text: str, level: int = 2) -> None:
        self.blocks.append(f"<h{level}>{_e(text)}</h{level}>")

    def paragraph(self, text: str) -> None:
        self.blocks.append(f"<p>{_e(text)}</p>")

    def table(self, t: Table) -> None:
        self.blocks.append(table_html(t))

    def figure(self, png: str | Path, caption: str = "", *, width: int | None = None) -> None:
        """Embed the PNG file ``png`` (base64) with an optional caption."""
        data = base64.b64encode(Path(png).read_bytes()).decode("ascii")
        size = f' style="max-width:{width}px"' if width else ""
        cap = f"<figcaption>{_e(caption)}</figcaption>" if caption else ""
        self.blocks.append(
            f'<figure><img{size} alt="{_e(caption or Path(png).stem)}" '
            f'src="data:image/png;base64,{data}">{cap}</figure>'
        )

    def render(self) -> str:
        body = "\n".join(self.blocks)
        return (
            "<!DOCTYPE html>\n"
            '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{_e(self.title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
            f"<h1>{_e(self.title)}</h1>\n{body}\n</body>\n</html>\n"
        )
