"""附件4 推荐汇总表 as SUMMARY.xlsx (with 问题清单 and 报送情况) and as a Word table."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from xl_addin.render import sheets
from xl_addin.render.atomic import atomic_path
from xl_addin.render.summary_xlsx import Writer, inputs_sheet, issues_sheet
from xl_addin.model import Report
from xl_addin.forms.spec import FormSpec

def summary_rows(report: Report, spec: FormSpec) -> list[list]:
    fields = spec.summary["fields"]
    rows = []
    for n, c in enumerate((c for c in report.tables["clusters"] if c["accepted"]), start=1):
        values = {**c, "place": f"{c.get('city') or ''}市{c.get('county') or ''}" if c.get("city") else c.get("county")}
        rows.append([n if not f else values.get(f) for f in fields])
    return rows


def _title(report: Report, spec: FormSpec) -> str:
    return spec.summary["title"]


def write_cluster_summary(report: Report, spec: FormSpec, path: str | Path) -> Path:
    """推荐汇总表 in 附件4's layout, then 问题清单 and 报送情况 as the tables' summary has them
    (the same writer: formats, links to the files, print set-up)."""
    import xlsxwriter

    path = Path(path)
    with atomic_path(path) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_numbers": False,
                                            "strings_to_urls": False})
        wb.set_properties({"title": _title(report, spec), "author": "xl_addin", "created": dt.datetime(2026, 1, 1)})
        w = Writer(wb)
        columns = spec.summary["columns"]
        ws = wb.add_worksheet("推荐汇总表")
        ws.write_string(0, 0, "附件4", w.f["caption"])
        ws.merge_range(1, 0, 1, len(columns) - 1, _title(report, spec), w.f["title"])
        ws.set_row(1, 32)
        for k, line in enumerate(spec.summary["lines"]):
            ws.write_string(2 + k, 0, line, w.f["caption"])
        head = 2 + len(spec.summary["lines"])
        w.row(ws, head, columns, ["head"] * len(columns))
        for r, row in enumerate(summary_rows(report, spec), start=head + 1):
            w.row(ws, r, row, ["int", *(["text"] * (len(row) - 1))])
            ws.set_row(r, 15 * max(2, len(str(row[-1] or "")) // 34 + 1))
        w.page(ws, head, len(columns), spec.summary["widths"])
        issues_sheet(w, wb.add_worksheet(sheets.OUTPUTS["issues"]["sheet"]), report, path.parent)
        inputs_sheet(w, wb.add_worksheet(sheets.OUTPUTS["inputs"]["sheet"]), report, None, missing=False)
        wb.close()
    return path


def write_cluster_docx(report: Report, spec: FormSpec, path: str | Path) -> Path:
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    from xl_addin.render.docx_common import HEADING_FONT, SIZE_4, SIZE_5, TITLE_FONT, official_page, paragraph, save, table

    doc = docx.Document()
    official_page(doc.sections[0], landscape=True)
    paragraph(doc, "附件4", font=HEADING_FONT, size=SIZE_4)
    paragraph(doc, _title(report, spec), font=TITLE_FONT, size=SIZE_4, align=WD_ALIGN_PARAGRAPH.CENTER, line_pt=32)
    for line in spec.summary["lines"]:
        paragraph(doc, line, size=SIZE_5, line_pt=20)
    rows = [["" if v is None else str(v) for v in row] for row in summary_rows(report, spec)]
    widths = spec.summary["widths"]
    table(doc, spec.summary["columns"], rows, widths_mm=[w * 257 / sum(widths) for w in widths])
    return save(doc, path)
