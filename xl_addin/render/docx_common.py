"""Shared python-docx helpers for official documents (GB/T 9704 conventions).

Fonts are named as Chinese offices have them (仿宋_GB2312, 方正小标宋简体, 黑体); the
East Asian slot is set explicitly so Word and WPS substitute a close font when
one is missing, and LibreOffice falls back to an installed CJK font."""
from __future__ import annotations

import re
from pathlib import Path

from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

BODY_FONT, TITLE_FONT, HEADING_FONT, TABLE_FONT = "仿宋_GB2312", "方正小标宋简体", "黑体", "宋体"
SIZE_2, SIZE_3, SIZE_4, SIZE_5 = Pt(22), Pt(16), Pt(14), Pt(10.5)   # 二号, 三号, 四号, 五号
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(text: object) -> str:
    """Text safe for a .docx (XML forbids control characters)."""
    return "" if text is None else _CONTROL.sub("", str(text))


def set_font(run, east_asia: str = BODY_FONT, size=SIZE_3, bold: bool = False) -> None:
    run.font.name = "Times New Roman"
    run.font.size = size
    run.font.bold = bold
    rpr = run._element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    fonts.set(qn("w:eastAsia"), east_asia)


def paragraph(doc_or_cell, text: str = "", *, font=BODY_FONT, size=SIZE_3, bold=False, align=None,
              indent_chars: float = 0, line_pt: float | None = 28, space_after: float = 0, right_chars: float = 0):
    p = doc_or_cell.add_paragraph()
    if text:
        set_font(p.add_run(clean(text)), font, size, bold)
    fmt = p.paragraph_format
    if align is not None:
        fmt.alignment = align
    if indent_chars:
        fmt.first_line_indent = Pt(size.pt * indent_chars)
    if right_chars:
        fmt.right_indent = Pt(size.pt * right_chars)
    if line_pt:
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(line_pt)
    fmt.space_after = Pt(space_after)
    fmt.space_before = Pt(0)
    return p


def official_page(section, landscape: bool = False) -> None:
    """A4 with the GB/T 9704 margins (top 37, bottom 35, left 28, right 26 mm)."""
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (Mm(297), Mm(210)) if landscape else (Mm(210), Mm(297))
    if landscape:
        section.top_margin, section.bottom_margin = Mm(20), Mm(20)
        section.left_margin, section.right_margin = Mm(20), Mm(20)
    else:
        section.top_margin, section.bottom_margin = Mm(37), Mm(35)
        section.left_margin, section.right_margin = Mm(28), Mm(26)


def page_number_footer(section) -> None:
    """Centered '— N —' page number, as official documents print it."""
    footer = section.footer
    p = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    set_font(p.add_run("— "), TABLE_FONT, SIZE_4)
    run = p.add_run()
    set_font(run, TABLE_FONT, SIZE_4)
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        else:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        run._element.append(el)
    set_font(p.add_run(" —"), TABLE_FONT, SIZE_4)


def table(doc, header: list[str], rows: list[list], merges: list[tuple[int, int, int]] = (),
          widths_mm: list[float] | None = None, size=Pt(9)):
    """A bordered table; header row repeats on every page; merges are (first_row, last_row, col)
    in body-row coordinates (0 = first body row). Linear in the number of cells: rows are
    filled through row.cells and vertical merges written as w:vMerge (table.cell() is quadratic)."""
    t = doc.add_table(rows=1 + len(rows), cols=len(header))
    t.style = "Table Grid"
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    continued, starts = set(), set()
    for first, last, col in merges:
        if last > first:
            starts.add((first, col))
            continued.update((r, col) for r in range(first + 1, last + 1))
    for r, row in enumerate(t.rows):
        cells = row.cells
        values = header if r == 0 else rows[r - 1]
        for c, value in enumerate(values):
            if r > 0 and (r - 1, c) in continued:
                _vmerge(cells[c], restart=False)
                continue
            _cell_text(cells[c], value, size, bold=r == 0, center=r == 0 or isinstance(value, (int, float)) or c == 0)
            if r > 0 and (r - 1, c) in starts:
                _vmerge(cells[c], restart=True)
        if widths_mm:
            for c, w in enumerate(widths_mm):
                cells[c].width = Mm(w)
    tr_pr = t.rows[0]._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    tr_pr.append(repeat)
    if widths_mm:
        t.autofit = False
        layout = OxmlElement("w:tblLayout")
        layout.set(qn("w:type"), "fixed")
        t._tbl.tblPr.append(layout)
        for col, w in zip(t._tbl.tblGrid.findall(qn("w:gridCol")), widths_mm):
            col.set(qn("w:w"), str(int(Mm(w).twips)))
    return t


def _vmerge(cell, restart: bool) -> None:
    el = OxmlElement("w:vMerge")
    if restart:
        el.set(qn("w:val"), "restart")
    cell._tc.get_or_add_tcPr().append(el)
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER


def _cell_text(cell, value, size, bold=False, center=False) -> None:
    if isinstance(value, float):
        value = f"{value:.2f}"
    p = cell.paragraphs[0]
    set_font(p.add_run(clean(value)), TABLE_FONT, size, bold)
    if center:
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER


def safe_filename(name: str) -> str:
    return re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", name).strip(" .") or "未命名"


def save(doc, path: str | Path) -> Path:
    from xl_addin.render.atomic import atomic_path
    with atomic_path(path) as tmp:
        doc.save(str(tmp))
    return Path(path)
