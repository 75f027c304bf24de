"""The one-page report a manager reads without the tool (issue 14): ``export --format html``
(and ``--format pdf``, drawn by `audit.pdf_report`).

One self-contained HTML file: no script, no external file, font or image; the charts are
inline SVG; a print style keeps it on A4. What it says is the `audit.one_page.Page` of
the report (see there for the redaction at each privacy level); this module only writes
it as HTML.
"""

from __future__ import annotations

import html
from pathlib import Path

from audit.engine import Audit
from audit.export import _replace_set
from audit.one_page import (
    Block,
    Chart,
    Dot,
    Legend,
    Line,
    Page,
    Rect,
    Table,
    Text,
    build_page,
    summary_sentences,
)
from core.errors import AuditError

HTML_FILE = "report.html"
PDF_FILE = "report.pdf"
FORMATS = ("html", "pdf")
__all__ = ["render_html", "summary_sentences", "write_html", "write_report"]


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _n(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def svg(chart: Chart) -> str:
    """A chart as inline SVG."""
    body = []
    for shape in chart.shapes:
        if isinstance(shape, Rect):
            title = f"<title>{_e(shape.title)}</title>" if shape.title else ""
            body.append(f'<rect x="{_n(shape.x)}" y="{_n(shape.y)}" width="{_n(shape.w)}" '
                        f'height="{_n(shape.h)}" fill="{shape.fill}">{title}</rect>')
        elif isinstance(shape, Line):
            dash = ' stroke-dasharray="4 3"' if shape.dashed else ""
            body.append(f'<line x1="{_n(shape.x1)}" y1="{_n(shape.y1)}" x2="{_n(shape.x2)}" '
                        f'y2="{_n(shape.y2)}" stroke="{shape.stroke}"{dash}/>')
        elif isinstance(shape, Text):
            anchor = f' text-anchor="{shape.anchor}"' if shape.anchor != "start" else ""
            body.append(f'<text x="{_n(shape.x)}" y="{_n(shape.y)}" '
                        f'font-size="{_n(shape.size)}"{anchor}>{_e(shape.text)}</text>')
        elif isinstance(shape, Dot):
            body.append(f'<circle cx="{_n(shape.x)}" cy="{_n(shape.y)}" r="{_n(shape.r)}" '
                        f'fill="{shape.fill}" stroke="white" stroke-width="2"/>')
    return (f'<svg viewBox="0 0 {chart.width} {chart.height}" width="{chart.width}" '
            f'height="{chart.height}" role="img" aria-label="{_e(chart.label)}">'
            + "".join(body) + "</svg>")


def _table(table: Table) -> str:
    head = ("<thead><tr>" + "".join(f"<th>{_e(h)}</th>" for h in table.header)
            + "</tr></thead>") if any(table.header) else ""
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>"
                   for row in table.rows)
    return f"<table>{head}<tbody>{body}</tbody></table>"


def _block(block: Block) -> str:
    if isinstance(block, Chart):
        return svg(block)
    if isinstance(block, Table):
        return _table(block)
    if isinstance(block, Legend):
        return "<div class='legend'>" + "".join(
            f"<span><i style='background:{colour}'></i>{_e(text)}</span>"
            for colour, text in block.items) + "</div>"
    if isinstance(block, tuple):
        return "<ul class='summary'>" + "".join(f"<li>{_e(s)}</li>" for s in block) + "</ul>"
    return f"<p>{_e(block)}</p>"


STYLE = """
body{font:13px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;color:#222;
  max-width:760px;margin:24px auto;padding:0 16px}
h1{font-size:20px;margin:0}h2{font-size:15px;margin:18px 0 6px;border-bottom:1px solid #ccc}
.meta{color:#555;margin:2px 0 10px}ul.summary{padding-left:18px;margin:6px 0}
table{border-collapse:collapse;width:100%;margin:4px 0}th,td{text-align:left;
  padding:2px 6px;border-bottom:1px solid #eee}th{font-weight:600;background:#f5f5f5}
.legend span{display:inline-block;margin-right:12px}
.legend i{display:inline-block;width:10px;height:10px;margin-right:4px}
.cols{display:flex;gap:16px}.cols>div{flex:1}
svg{max-width:100%;height:auto}
@page{size:A4;margin:12mm}
@media print{body{margin:0;max-width:none;font-size:11px}h2{break-after:avoid}
  section{break-inside:avoid}}
"""


def page_html(page: Page) -> str:
    """A `Page` as one self-contained HTML document."""
    parts = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
             f"<title>timeaudit: {_e(page.title)}</title>",
             f"<style>{STYLE}</style></head><body>",
             f"<h1>{_e(page.title)}</h1>", f"<p class='meta'>{_e(page.meta)}</p>"]
    for section in page.sections:
        parts.append(f"<section><h2>{_e(section.title)}</h2>"
                     + "".join(_block(b) for b in section.blocks) + "</section>")
    parts.append("</body></html>\n")
    return "".join(parts)


def render_html(audit: Audit, privacy: str = "standard", *, by: str | None = None,
                with_people: bool = False, previous: Audit | None = None) -> str:
    """The one-page report of ``audit`` at ``privacy`` as HTML."""
    return page_html(build_page(audit, privacy, by=by, with_people=with_people,
                                previous=previous))


def render_report(audit: Audit, privacy: str = "standard", *, fmt: str = "html",
                  by: str | None = None, with_people: bool = False,
                  previous: Audit | None = None) -> bytes:
    """The one-page report as the bytes of an HTML or a PDF file."""
    if fmt not in FORMATS:
        raise ValueError(fmt)
    page = build_page(audit, privacy, by=by, with_people=with_people, previous=previous)
    if fmt == "pdf":
        from audit.pdf_report import page_pdf  # noqa: PLC0415 - fpdf2 loads in ≈ 0.4 s

        return page_pdf(page)
    return page_html(page).encode("utf-8")


def write_report(audit: Audit, out_dir: str | Path, privacy: str = "standard", *,
                 fmt: str = "html", by: str | None = None, with_people: bool = False,
                 previous: Audit | None = None) -> Path:
    """Write ``report.html`` or ``report.pdf`` into ``out_dir`` (created if needed),
    atomically."""
    directory = Path(out_dir)
    name = PDF_FILE if fmt == "pdf" else HTML_FILE
    data = render_report(audit, privacy, fmt=fmt, by=by, with_people=with_people,
                         previous=previous)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        _replace_set(directory, {name: data}, ())  # owner-only, all or nothing
    except OSError as error:
        raise AuditError(f"{directory}: cannot write the report: "
                         f"{error.strerror or error}") from None
    return directory / name


def write_html(audit: Audit, out_dir: str | Path, privacy: str = "standard", *,
               by: str | None = None, with_people: bool = False,
               previous: Audit | None = None) -> Path:
    """Write ``report.html`` into ``out_dir`` (see `write_report`)."""
    return write_report(audit, out_dir, privacy, fmt="html", by=by, with_people=with_people,
                        previous=previous)
