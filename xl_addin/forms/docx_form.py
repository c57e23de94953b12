"""The official Word 申报表 (001 附件1), filled from a record: the cover, then each section's
heading and table in 附件1's order and layout (labels in the first column, one column per
year, ☑/☐ marks, 数量：n个 名称：…), with the derived values computed. The Word reader
reads it back to the same record."""
from __future__ import annotations

from pathlib import Path

import docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from xl_addin.render.docx_common import (HEADING_FONT, SIZE_2, SIZE_4, SIZE_5, TABLE_FONT, TITLE_FONT, clean,
                                   official_page, paragraph, save, set_font)
from xl_addin.forms.check import fmt, number
from xl_addin.forms.locate import Record
from xl_addin.forms.read import as_text
from xl_addin.forms.spec import FormSpec, Item

TICK, BOX = "☑", "☐"


def _text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return fmt(v)
    return as_text(v)


TEXT_WIDTH_MM = 156          # A4 portrait inside the official margins (210 − 28 − 26)


class _Table:
    def __init__(self, doc, ncols: int, label_mm: float | None = None):
        self.t = doc.add_table(rows=0, cols=ncols)
        self.t.style = "Table Grid"
        self.t.autofit = False
        self.n = ncols
        # the label column wide enough for the form's long labels; the values share the rest
        label = label_mm or (40 if ncols > 4 else 62)
        self.widths = [label] + [(TEXT_WIDTH_MM - label) / (ncols - 1)] * (ncols - 1) if ncols > 1 else [TEXT_WIDTH_MM]
        layout = OxmlElement("w:tblLayout")          # LibreOffice and WPS follow the grid, not cell widths
        layout.set(qn("w:type"), "fixed")
        self.t._tbl.tblPr.append(layout)
        for col, w in zip(self.t._tbl.tblGrid.findall(qn("w:gridCol")), self.widths):
            col.set(qn("w:w"), str(int(Mm(w).twips)))

    def row(self, cells: list, spans: list[int] | None = None, bold: bool = False):
        """A row of texts; spans merges cells to the right (1 = no merge)."""
        spans = spans or [1] * len(cells)
        r = self.t.add_row()
        c = 0
        for text, span in zip(cells, spans):
            cell = r.cells[c]
            if span > 1:
                cell = cell.merge(r.cells[c + span - 1])
            cell.width = Mm(sum(self.widths[c:c + span]))
            lines = clean(text).split("\n") if text else [""]
            for k, line in enumerate(lines):
                p = cell.paragraphs[0] if k == 0 else cell.add_paragraph()
                if line:
                    set_font(p.add_run(line), TABLE_FONT, SIZE_5, bold)
            c += span
        return r


class _Blank(dict):
    def __missing__(self, key):
        return ""


def _marks(item: Item, ticked) -> str:
    chosen = ticked if isinstance(ticked, list) else [ticked] if ticked else []
    sep = "\n" if item.type == "checks" else " "
    return sep.join(f"{TICK if o in chosen else BOX}{o}" for o in item.options)


def write_form(rec: Record, derived: dict, spec: FormSpec, path: str | Path) -> Path:
    doc = docx.Document()
    official_page(doc.sections[0])
    v = rec.values
    paragraph(doc, "附件 1", font=HEADING_FONT, size=SIZE_4)
    paragraph(doc, spec.title, font=TITLE_FONT, size=SIZE_2, align=WD_ALIGN_PARAGRAPH.CENTER, line_pt=40)
    city = _text(v.get("city"))
    values = {k: _text(x) for k, x in v.items() if not isinstance(x, (dict, list))}
    values["region"] = f"{city}{'' if city.endswith('市') or not city else '市'}{_text(v.get('county'))}"
    for label, template in spec.cover:
        text = template.format_map(_Blank(values)).strip()
        paragraph(doc, f"{label}：{text}", size=Pt(14), line_pt=32)
    paragraph(doc, spec.issuer, size=Pt(14), align=WD_ALIGN_PARAGRAPH.CENTER)
    for section in spec.sections:
        doc.add_page_break()
        paragraph(doc, section.title, font=HEADING_FONT, size=SIZE_4, line_pt=30)
        if section.id == "declaration":
            t = _Table(doc, 2)
            for label, key in section.raw.get("rows", []):
                t.row([label, "\n".join(section.raw.get(key, []))])
            continue
        _section(doc, section, rec, derived, spec)
    return save(doc, path)


def _section(doc, section, rec: Record, derived: dict, spec: FormSpec) -> None:
    years = spec.years
    wide = any(i.type == "standards" for i in section.items)
    span = 3 if wide else 1
    ncols = 1 + span * len(years)
    t = None
    year_header = False
    group = None
    for item in section.items:
        value = derived.get(item.id) if item.derive and derived.get(item.id) is not None else rec.values.get(item.id)
        if item.type == "narrative" and item.section == "plan":
            for line in _text(value).split("\n"):
                paragraph(doc, line, size=Pt(14), indent_chars=2)
            continue
        if item.type == "targets":
            _targets(doc, item, value or {})
            continue
        if t is None:
            t = _Table(doc, ncols)
        if item.type == "years" and item.layout == "rows":
            for k, y in enumerate(years):
                t.row([item.label if k == 0 else "", f"{y} 年", _text((value or {}).get(y))],
                      [1, span * len(years) // 2 or 1, ncols - 1 - (span * len(years) // 2 or 1)])
            year_header = False
            continue
        if item.type == "years":
            if not year_header:
                t.row([spec.year_header, *(f"{y} 年" for y in years)], [1] + [span] * len(years), bold=True)
                year_header = True
            t.row([item.label, *(_text((value or {}).get(y)) for y in years)], [1] + [span] * len(years))
            continue
        if item.type == "standards":
            t.row([item.label, *(h for _ in years for h in (item.extra["category_header"], *item.extra["roles"]))])
            grid = value or {}
            for cat in item.extra["categories"]:
                t.row(["", *(x for y in years for x in (cat, _text(grid.get(y, {}).get(cat, {}).get("lead")),
                                                         _text(grid.get(y, {}).get(cat, {}).get("join"))))])
            year_header = False
            continue
        if item.extra.get("same_row"):
            continue                         # written with the item before it
        partner = _partner(section, item)
        if partner is not None:
            half = (ncols - 2) // 2 or 1
            pv = rec.values.get(partner.id)
            t.row([item.label, _text(value), partner.label, _text(pv)], [1, half, 1, ncols - 2 - half])
            continue
        text = _value_text(item, value)
        if item.group and ncols >= 3:
            first = item.group != group
            group = item.group
            label_span = 1 if ncols <= 4 else 3        # a wide table's narrow columns: the label takes three
            t.row([item.group if first else "", item.label, text], [1, label_span, ncols - 1 - label_span])
            continue
        group = None
        label = item.label + (f"\n（{item.max} 字以内）" if item.type == "narrative" and item.max else "")
        t.row([label, text], [1, ncols - 1])
        if item.type in ("narrative",):
            year_header = False


def _partner(section, item: Item) -> Item | None:
    items = list(section.items)
    k = items.index(item)
    nxt = items[k + 1] if k + 1 < len(items) else None
    return nxt if nxt is not None and nxt.extra.get("same_row") else None


def _value_text(item: Item, value) -> str:
    if item.type in ("choice", "checks"):
        return _marks(item, value)
    if item.type == "named_count":
        value = value or {}
        count = number(value.get("count"))
        return f"数量：{fmt(count) if count is not None else '____'}个 名称：{_text(value.get('names')) or '____'}"
    if item.unit and value is not None:
        return f"{_text(value)} {item.unit}"
    return _text(value)


def _targets(doc, item: Item, table: dict) -> None:
    paragraph(doc, item.label, size=Pt(14))
    t = _Table(doc, 4, label_mm=30)
    t.row(item.target_columns(), bold=True)
    last = None
    for row in item.extra.get("rows", []):
        cells = table.get(row["id"]) or {}
        t.row([row["direction"] if row["direction"] != last else "", row["indicator"],
               _text(cells.get("base")), _text(cells.get("target"))])
        last = row["direction"]
