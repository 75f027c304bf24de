"""The one-page report as PDF (issue 14: ``export --format pdf``), drawn with fpdf2.

It draws the same `audit.one_page.Page` as the HTML report — the same sentences, tables
and charts, so the same figures and the same redaction — on A4. fpdf2 is pure Python and
needs no system library (docs/reports.md says why it was chosen); the text is set in
DejaVu Sans, embedded (a subset of Latin, Greek and Cyrillic ships in ``audit/fonts``),
so the PDF looks the same everywhere and its text can be searched and copied. A
character the font lacks (an emoji in a title) is printed as □.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from audit.one_page import Block, Chart, Dot, Legend, Line, Page, Rect, Table, Text
from core import clock

FONTS = Path(__file__).resolve().parent / "fonts"
FAMILY = "DejaVu"
WIDTH = 186.0  # mm: A4 (210 mm) less two 12 mm margins
MM_PER_PT = 25.4 / 72
MISSING = "□"
INVISIBLE = {"\u200d", "\ufe0e", "\ufe0f"}  # joiners and variation selectors of emoji


class _Document(FPDF):
    def footer(self) -> None:
        self.set_y(-10)
        self.set_font(FAMILY, size=7)
        self.set_text_color(120)
        self.cell(0, 4, f"timeaudit one-page report · page {self.page_no()}", align="R")


def _document() -> _Document:
    pdf = _Document(format="A4", unit="mm")
    pdf.set_margins(12, 12, 12)
    pdf.set_auto_page_break(auto=True, margin=14)
    pdf.add_font(FAMILY, "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font(FAMILY, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_creator("timeaudit")
    pdf.set_creation_date(clock.now())  # the tests' frozen clock: the same bytes each run
    pdf.add_page()
    return pdf


def _printable(pdf: FPDF, text: str) -> str:
    """``text`` with each character the font lacks as □ (and emoji joiners dropped)."""
    cmap = pdf.current_font.cmap  # type: ignore[union-attr]
    out = []
    for char in unicodedata.normalize("NFC", text):
        if char in INVISIBLE:
            continue
        out.append(char if ord(char) in cmap or char in "\n\t" else MISSING)
    return "".join(out)


def _colour(hex_colour: str) -> tuple[int, int, int]:
    value = hex_colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _chart(pdf: FPDF, chart: Chart) -> None:
    """Draw ``chart`` at the current position, scaled to the text width."""
    scale = WIDTH / chart.width
    height = chart.height * scale
    if pdf.will_page_break(height + 2):
        pdf.add_page()
    left, top = pdf.l_margin, pdf.get_y()
    for shape in chart.shapes:
        if isinstance(shape, Rect):
            if shape.w <= 0 or shape.h <= 0:
                continue
            pdf.set_fill_color(*_colour(shape.fill))
            pdf.rect(left + shape.x * scale, top + shape.y * scale, shape.w * scale,
                     shape.h * scale, style="F")
        elif isinstance(shape, Line):
            pdf.set_draw_color(*_colour(shape.stroke))
            pdf.set_line_width(0.25)
            if shape.dashed:
                pdf.set_dash_pattern(dash=1.2, gap=0.9)
            pdf.line(left + shape.x1 * scale, top + shape.y1 * scale,
                     left + shape.x2 * scale, top + shape.y2 * scale)
            pdf.set_dash_pattern()
        elif isinstance(shape, Text):
            size = shape.size * scale / MM_PER_PT
            pdf.set_font(FAMILY, size=size)
            text = _printable(pdf, shape.text)
            width = pdf.get_string_width(text)
            shift = {"start": 0.0, "middle": width / 2, "end": width}[shape.anchor]
            if shift > shape.x * scale:  # a long label would leave the page: smaller
                pdf.set_font(FAMILY, size=size * shape.x * scale / shift)
                width = pdf.get_string_width(text)
                shift = {"start": 0.0, "middle": width / 2, "end": width}[shape.anchor]
            pdf.set_text_color(34)
            pdf.text(left + shape.x * scale - shift, top + shape.y * scale, text)
        elif isinstance(shape, Dot):
            pdf.set_fill_color(*_colour(shape.fill))
            radius = shape.r * scale
            pdf.ellipse(left + shape.x * scale - radius, top + shape.y * scale - radius,
                        2 * radius, 2 * radius, style="F")
    pdf.set_y(top + height + 2)


def _table(pdf: FPDF, table: Table) -> None:
    pdf.set_font(FAMILY, size=8)
    pdf.set_text_color(34)
    pdf.set_draw_color(225)
    pdf.set_line_width(0.2)
    pdf.set_fill_color(255)  # a chart's last colour would fill every cell
    header = any(table.header)
    rows = ([table.header] if header else []) + list(table.rows)
    # columns as wide as their longest text needs, within bounds, to fill the width
    weights = [min(max(len(str(cell)) for cell in column) + 2, 40) for column in zip(*rows,
                                                                                     strict=True)]
    with pdf.table(first_row_as_headings=header, line_height=4.2, padding=(0.6, 1.2),
                   col_widths=tuple(weights),
                   borders_layout="HORIZONTAL_LINES", text_align="LEFT",
                   headings_style=_headings()) as grid:
        for row in rows:
            cells = grid.row()
            for value in row:
                cells.cell(_printable(pdf, value))
    pdf.ln(2)


def _headings() -> FontFace:
    return FontFace(emphasis="BOLD", fill_color=(245, 245, 245))


def _block(pdf: FPDF, block: Block) -> None:
    if isinstance(block, Chart):
        _chart(pdf, block)
    elif isinstance(block, Table):
        _table(pdf, block)
    elif isinstance(block, Legend):
        pdf.set_font(FAMILY, size=8)
        pdf.set_text_color(34)
        for colour, text in block.items:
            pdf.set_fill_color(*_colour(colour))
            y = pdf.get_y()
            pdf.rect(pdf.get_x(), y + 1, 2.5, 2.5, style="F")
            pdf.set_x(pdf.get_x() + 3.5)
            pdf.cell(pdf.get_string_width(text) + 5, 4.5, _printable(pdf, text))
        pdf.ln(6)
    elif isinstance(block, tuple):
        pdf.set_font(FAMILY, size=9)
        pdf.set_text_color(34)
        for sentence in block:
            pdf.set_x(pdf.l_margin + 2)
            pdf.cell(4, 4.6, "•")
            pdf.multi_cell(WIDTH - 6, 4.6, _printable(pdf, sentence),
                           new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1)
    else:
        pdf.set_font(FAMILY, size=9)
        pdf.set_text_color(34)
        pdf.multi_cell(WIDTH, 4.6, _printable(pdf, block), new_x=XPos.LMARGIN,
                       new_y=YPos.NEXT)
        pdf.ln(1)


def page_pdf(page: Page) -> bytes:
    """A `Page` as the bytes of an A4 PDF."""
    pdf = _document()
    pdf.set_title(page.title)
    pdf.set_font(FAMILY, "B", 15)
    pdf.set_text_color(34)
    pdf.multi_cell(WIDTH, 7, _printable(pdf, page.title), new_x=XPos.LMARGIN,
                   new_y=YPos.NEXT)
    pdf.set_font(FAMILY, size=8)
    pdf.set_text_color(85)
    pdf.multi_cell(WIDTH, 4, _printable(pdf, page.meta), new_x=XPos.LMARGIN,
                   new_y=YPos.NEXT)
    for section in page.sections:
        if pdf.will_page_break(22):  # a heading never ends a page
            pdf.add_page()
        pdf.ln(2.5)
        pdf.set_font(FAMILY, "B", 11)
        pdf.set_text_color(34)
        pdf.cell(WIDTH, 6, _printable(pdf, section.title), new_x=XPos.LMARGIN,
                 new_y=YPos.NEXT)
        pdf.set_draw_color(200)
        pdf.set_line_width(0.2)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + WIDTH, pdf.get_y())
        pdf.ln(1.5)
        for block in section.blocks:
            _block(pdf, block)
    return bytes(pdf.output())
