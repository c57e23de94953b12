"""The city's recommendation report (附件2 of the 2026 guide) with the 附表, as .docx, or,
for tables of another programme, the city's list as a Word table.

Input is the report data as REPORT.json holds it (or as `Report.to_dict()` gives it, or
as a summary written by xl_addin carries it); every count and figure comes from there,
nothing is typed by hand. Texts are data/documents.toml; tables follow their specs."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK

from xl_addin.render import sheets
from xl_addin.declare.catalogue import CATALOGUE
from xl_addin.declare.rules import Rules
from xl_addin.declare.spec import Specs, TableSpec, load_specs
from xl_addin.render.docx_common import (HEADING_FONT, SIZE_2, SIZE_3, SIZE_4, TITLE_FONT, official_page,
                          page_number_footer, paragraph, save, table)

DOCUMENTS = sheets.DOCUMENTS         # the documents' texts, read once (data/documents.toml)
PAGE_MM = 257          # usable width of an A4 landscape page with 20 mm margins


def chinese_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _display(f, value):
    if f is not None and f.type == "date" and isinstance(value, (str, dt.date)):
        try:
            day = value if isinstance(value, dt.date) else dt.date.fromisoformat(value[:10])
            return chinese_date(day)
        except ValueError:
            return value
    return "" if value is None else value


def widths(spec: TableSpec, fields: list[str]) -> list[float]:
    """Column widths in mm, in proportion to the spec's widths, filling the page."""
    units = [6.0] + [float(spec.field(f).width or 10) for f in fields]
    return [PAGE_MM * u / sum(units) for u in units]


def part_table(doc, spec: TableSpec, enterprises: list[dict], drop_number: bool = False) -> None:
    """One part of the 附表 (or one table's list): the rows and merges of sheets.part."""
    p = sheets.part_from_json(spec, enterprises)
    kinds = [None] + [spec.field(f) for f in p.fields]
    last = len(p.rows) - 1 if p.has_total else -1
    rows = [[v if c == 0 or r == last else _display(kinds[c], v) for c, v in enumerate(row)]
            for r, row in enumerate(p.rows)]
    rows = [["" if v is None else v for v in row] for row in rows]
    columns, spans, w = p.columns, p.spans, widths(spec, p.fields)
    if drop_number:
        columns, w = columns[1:], w[1:]
        rows = [row[1:] for row in rows]
        if p.has_total:
            rows[-1][0] = spec.summary.total
        spans = [(a, b, c - 1) for a, b, c in spans if c > 0]
    table(doc, columns, rows, spans, w)


def organisation(city: str) -> tuple[str, str]:
    """(issuing office, how the city calls itself) for a city or 雄安新区."""
    if "雄安" in city:
        return "雄安新区工信科技数据局", "我区"
    return f"{city}市工业和信息化局", "我市"


def _tables(data: dict, specs: Specs) -> list[TableSpec]:
    return [s for s in specs if s.id in data]


def build_report(data: dict, rules: Rules, city: str, day: dt.date, appendix: bool = False,
                 specs: Specs | None = None) -> Document:
    specs = specs or load_specs()
    present = _tables(data, specs)
    others = [s for s in present if not s.report.get("project") and data[s.id]["enterprises"]]
    projects = [s for s in present if s.report.get("project")]
    if others and not any(data[s.id]["enterprises"] for s in projects):
        projects = []          # another programme's list alone: no cultivation report around it
    org, we = organisation(city)
    doc = Document()
    first = doc.sections[0]
    official_page(first, landscape=not projects)
    page_number_footer(first)
    if projects:
        text = DOCUMENTS["report"]
        s = data["summary"]
        values = {**s, "org": org, "we": we, "round_title": rules.title, "guide": rules.guide,
                  "round_short": rules.title.replace("河北省", "省"), "summary_title": rules.summary_title}
        paragraph(doc, text["title"].format_map(values), font=TITLE_FONT, size=SIZE_2,
                  align=WD_ALIGN_PARAGRAPH.CENTER, line_pt=36, space_after=16)
        paragraph(doc, text["salutation"])
        for body in text["body"]:
            paragraph(doc, body.format_map(values), indent_chars=2)
        paragraph(doc)
        paragraph(doc, text["annex"].format_map(values), indent_chars=2)
        paragraph(doc)
        paragraph(doc)
        paragraph(doc, org, align=WD_ALIGN_PARAGRAPH.RIGHT, right_chars=2)
        paragraph(doc, chinese_date(day), align=WD_ALIGN_PARAGRAPH.RIGHT, right_chars=3)
        annex = doc.add_section(WD_SECTION.NEW_PAGE)
        official_page(annex, landscape=True)
        paragraph(doc, "附表", font=HEADING_FONT, size=SIZE_3)
        paragraph(doc, rules.summary_title, font=TITLE_FONT, size=SIZE_4, align=WD_ALIGN_PARAGRAPH.CENTER,
                  line_pt=30)
        for spec in projects:
            _part_heading(doc, spec, spec.summary.part)
            part_table(doc, spec, data[spec.id]["enterprises"])
            paragraph(doc, line_pt=12)
    for spec in others:
        title = sheets.part_title(spec, city)
        paragraph(doc, title, font=TITLE_FONT, size=SIZE_3, align=WD_ALIGN_PARAGRAPH.CENTER, line_pt=30)
        if spec.unit:
            paragraph(doc, f"单位：{spec.unit}", size=SIZE_4, align=WD_ALIGN_PARAGRAPH.RIGHT, line_pt=22)
        part_table(doc, spec, data[spec.id]["enterprises"])
        paragraph(doc, line_pt=12)
    if appendix:
        _appendix(doc, data, specs)
    return doc


def _part_heading(doc, spec: TableSpec, title: str) -> None:
    paragraph(doc, title, font=HEADING_FONT, size=SIZE_4, line_pt=26)
    if spec.unit:
        paragraph(doc, f"单位：{spec.unit}", size=SIZE_4, align=WD_ALIGN_PARAGRAPH.RIGHT, line_pt=22)


def _appendix(doc, data: dict, specs: Specs) -> None:
    text = DOCUMENTS["report"]
    doc.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)
    paragraph(doc, text["appendix"], font=HEADING_FONT, size=SIZE_4)
    excluded = data.get("excluded") or []
    labels = {s.id: s.label for s in specs}
    if excluded:
        rows = [[n, e["name"], labels.get(e["table"], e["table"]), Path(e["source"]).name,
                 "；".join(CATALOGUE[c].title for c in e["reasons"] if c in CATALOGUE) or "—"]
                for n, e in enumerate(excluded, start=1)]
        table(doc, sheets.OUTPUTS["excluded"]["columns"], rows, widths_mm=[12, 60, 34, 70, 81])
    else:
        paragraph(doc, "无。", indent_chars=2)
    errors = [i for i in data.get("issues", []) if i.get("severity") == "error"]
    if errors:
        paragraph(doc, text["details"], font=HEADING_FONT, size=SIZE_4)
        rows = [[n, Path(i["path"]).name, f"{i['sheet'] or ''}!{i['cell'] or ''}".strip("!"), i["message"]]
                for n, i in enumerate(errors, start=1)]
        table(doc, text["details_columns"], rows, widths_mm=[12, 60, 25, 160])


def load_data(source: str | Path, city: str | None, rules: Rules, specs: Specs | None = None) -> dict:
    """Report data from REPORT.json, or from a summary: the run's own result it carries, or
    (a summary typed by hand) by reading its tables; its 问题清单 gives the issues."""
    source = Path(source)
    if source.suffix.lower() == ".json":
        return json.loads(source.read_text("utf-8"))
    from xl_addin.render.summary_xlsx import read_embedded_report
    embedded = read_embedded_report(source)
    if embedded is not None:
        return embedded
    from xl_addin.consolidate.pipeline import run
    report = run([source], rules, city=city, specs=specs)
    data = report.to_dict()
    data["issues"] = _summary_issues(source) or data["issues"]
    return data


def _summary_issues(path: Path) -> list[dict]:
    import python_calamine

    try:
        rows = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name(
            sheets.OUTPUTS["issues"]["sheet"]).to_python()
    except Exception:
        return []
    out = []
    for row in rows[2:]:
        if len(row) >= 8 and row[2]:
            out.append({"path": row[3], "sheet": row[4] or None, "cell": row[5] or None, "column": row[6] or None,
                        "code": row[2], "severity": "error" if row[1] == "错误" else "warning", "message": row[7]})
    return out


def write_report(data: dict, rules: Rules, city: str, out: str | Path, day: dt.date | None = None,
                 appendix: bool = False, specs: Specs | None = None) -> Path:
    return save(build_report(data, rules, city, day or dt.date.today(), appendix, specs), out)
