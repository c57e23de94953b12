"""附件4 推荐汇总表 as SUMMARY.xlsx (with 问题清单 and 报送情况) and as a Word table."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from xl_addin.render import sheets
from xl_addin.render.atomic import atomic_path
from xl_addin.render.summary_xlsx import a4_landscape, safe_text
from xl_addin.model import Report
from xl_addin.forms.spec import FormSpec

FONT = "宋体"


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
    import xlsxwriter

    path = Path(path)
    with atomic_path(path) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_numbers": False,
                                            "strings_to_urls": False})
        wb.set_properties({"title": _title(report, spec), "author": "xl_addin", "created": dt.datetime(2026, 1, 1)})
        base = {"font_name": FONT, "font_size": 10.5, "border": 1, "valign": "vcenter", "text_wrap": True}
        f_title = wb.add_format({"font_name": "方正小标宋简体", "font_size": 16, "align": "center", "valign": "vcenter"})
        f_line = wb.add_format({"font_name": FONT, "font_size": 11})
        f_head = wb.add_format({**base, "bold": True, "align": "center"})
        f_cell = wb.add_format(base)
        f_center = wb.add_format({**base, "align": "center"})
        columns = spec.summary["columns"]
        ws = wb.add_worksheet("推荐汇总表")
        ws.write_string(0, 0, "附件4", f_line)
        ws.merge_range(1, 0, 1, len(columns) - 1, _title(report, spec), f_title)
        ws.set_row(1, 32)
        for k, line in enumerate(spec.summary["lines"]):
            ws.write_string(2 + k, 0, line, f_line)
        head = 2 + len(spec.summary["lines"])
        for c, (h, w) in enumerate(zip(columns, spec.summary["widths"])):
            ws.write_string(head, c, h, f_head)
            ws.set_column(c, c, w)
        for r, row in enumerate(summary_rows(report, spec), start=head + 1):
            for c, v in enumerate(row):
                if isinstance(v, (int, float)):
                    ws.write_number(r, c, v, f_center)
                else:
                    ws.write_string(r, c, safe_text(v or ""), f_cell)
            ws.set_row(r, 15 * max(2, len(str(row[-1] or "")) // 34 + 1))
        a4_landscape(ws, head)
        ws.freeze_panes(head + 1, 0)
        for key, rows in (("issues", sheets.issue_rows(report)), ("inputs", sheets.input_rows(report))):
            out = sheets.OUTPUTS[key]
            ws2 = wb.add_worksheet(out["sheet"])
            ws2.merge_range(0, 0, 0, len(out["columns"]) - 1, out["title"], f_title)
            for c, (h, w) in enumerate(zip(out["columns"], out["widths"])):
                ws2.write_string(1, c, h, f_head)
                ws2.set_column(c, c, w)
            for r, row in enumerate(rows, start=2):
                for c, v in enumerate(row):
                    if isinstance(v, (int, float)):
                        ws2.write_number(r, c, v, f_center)
                    else:
                        ws2.write_string(r, c, safe_text("" if v is None else v), f_cell)
            a4_landscape(ws2, 1)
            ws2.freeze_panes(2, 0)
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
