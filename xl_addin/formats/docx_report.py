"""The city's recommendation report (附件2 of the 2026 guide) with the 附表, as .docx.

Input is the report data as REPORT.json holds it (or as `Report.to_dict()` gives
it); every count and figure comes from there, nothing is typed by hand."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK

from .. import sheets
from ..catalogue import CATALOGUE
from ..rules import Rules
from .docx_common import (HEADING_FONT, SIZE_2, SIZE_3, SIZE_4, TITLE_FONT, official_page,
                          page_number_footer, paragraph, save, table)

PART1, PART2 = sheets.PART1, sheets.PART2
WIDTHS1 = [10, 40, 18, 36, 20, 44, 30, 25, 16, 18]
WIDTHS2 = [10, 38, 14, 18, 34, 44, 22, 18, 16, 22, 21]
DATE_COLUMNS = {"签订股权协议时间", "退出时间"}


def chinese_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _display(column: str, value):
    if column in DATE_COLUMNS and isinstance(value, str):
        try:
            return chinese_date(dt.date.fromisoformat(value[:10]))
        except ValueError:
            return value
    return "" if value is None else value


def part_rows(enterprises: list[dict], columns: list[str], amount: str):
    """Body rows, vertical merges and the total of one part of the 附表."""
    rows, merges = [], []
    merged_cols = range(0, 5)
    for no, ent in enumerate(enterprises, start=1):
        first = len(rows)
        for k, item in enumerate(ent["items"]):
            row = []
            for c, col in enumerate(columns):
                if c in merged_cols:
                    row.append(no if col == "序号" else item.get(col, "") if k == 0 else "")
                else:
                    row.append(_display(col, item.get(col)))
            rows.append(row)
        merges += [(first, len(rows) - 1, c) for c in merged_cols]
    total = round(sum(e["total"] for e in enterprises), 2)
    rows.append(["合计"] + [""] * (len(columns) - 2) + [total]) if columns[-1] == amount else \
        rows.append(["合计"] + [total if col == amount else "" for col in columns[1:]])
    return rows, merges, total


def organisation(city: str) -> tuple[str, str]:
    """(issuing office, how the city calls itself) for a city or 雄安新区."""
    if "雄安" in city:
        return "雄安新区工信科技数据局", "我区"
    return f"{city}市工业和信息化局", "我市"


def build_report(data: dict, rules: Rules, city: str, day: dt.date, appendix: bool = False) -> Document:
    s = data["summary"]
    org, we = organisation(city)
    doc = Document()
    first = doc.sections[0]
    official_page(first)
    page_number_footer(first)
    paragraph(doc, f"{org}关于推荐{rules.title}的报告", font=TITLE_FONT, size=SIZE_2,
              align=WD_ALIGN_PARAGRAPH.CENTER, line_pt=36, space_after=16)
    paragraph(doc, "省工业和信息化厅：")
    paragraph(doc, f"按照《{rules.guide}》要求，经初步审查，{we}纳入全省统计的特色产业集群中，"
                   f"{s['units']}个单位申报的{rules.title.replace('河北省', '省')}{s['projects']}个，"
                   f"均符合申报条件且已经按照有关规定办理了核准或者备案手续，其中申报特色产业集群创新发展项目"
                   f"{s['innovation_projects']}个，申报特色产业企业股权投资奖励项目{s['equity_projects']}个。"
                   f"我局已对申报单位提交的各项证明材料复印件与原件比对一致。", indent_chars=2)
    paragraph(doc, "特推荐上报。", indent_chars=2)
    paragraph(doc)
    paragraph(doc, f"附表：{rules.summary_title}", indent_chars=2)
    paragraph(doc)
    paragraph(doc)
    paragraph(doc, org, align=WD_ALIGN_PARAGRAPH.RIGHT, right_chars=2)
    paragraph(doc, chinese_date(day), align=WD_ALIGN_PARAGRAPH.RIGHT, right_chars=3)

    annex = doc.add_section(WD_SECTION.NEW_PAGE)
    official_page(annex, landscape=True)
    paragraph(doc, "附表", font=HEADING_FONT, size=SIZE_3)
    paragraph(doc, rules.summary_title, font=TITLE_FONT, size=SIZE_4, align=WD_ALIGN_PARAGRAPH.CENTER, line_pt=30)
    for title, columns, widths, key, amount in (
            (sheets.PART1_TITLE, PART1, WIDTHS1, "table1", "总价"),
            (sheets.PART2_TITLE, PART2, WIDTHS2, "table2", "投资金额")):
        paragraph(doc, title, font=HEADING_FONT, size=SIZE_4, line_pt=26)
        paragraph(doc, "单位：万元", size=SIZE_4, align=WD_ALIGN_PARAGRAPH.RIGHT, line_pt=22)
        rows, merges, _ = part_rows(data[key]["enterprises"], columns, amount)
        table(doc, columns, rows, merges, widths)
        paragraph(doc, line_pt=12)

    if appendix:
        _appendix(doc, data)
    return doc


def _appendix(doc, data: dict) -> None:
    doc.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)
    paragraph(doc, "附：未列入推荐的企业及原因（供市局存档，不随文上报）", font=HEADING_FONT, size=SIZE_4)
    excluded = data.get("excluded") or []
    if excluded:
        rows = [[n, e["name"], "创新发展项目" if e["table"] == "table1" else "股权投资奖励项目",
                 Path(e["source"]).name, "；".join(CATALOGUE[c].title for c in e["reasons"] if c in CATALOGUE) or "—"]
                for n, e in enumerate(excluded, start=1)]
        table(doc, ["序号", "企业名称", "项目类型", "报送文件", "未列入原因"], rows, widths_mm=[12, 60, 34, 70, 81])
    else:
        paragraph(doc, "无。", indent_chars=2)
    errors = [i for i in data.get("issues", []) if i.get("severity") == "error"]
    if errors:
        paragraph(doc, "问题明细", font=HEADING_FONT, size=SIZE_4)
        rows = [[n, Path(i["path"]).name, f"{i['sheet'] or ''}!{i['cell'] or ''}".strip("!"), i["message"]]
                for n, i in enumerate(errors, start=1)]
        table(doc, ["序号", "报送文件", "位置", "说明"], rows, widths_mm=[12, 60, 25, 160])


def load_data(source: str | Path, city: str | None, rules: Rules) -> dict:
    """Report data from REPORT.json, or by reading a SUMMARY.xlsx (its 问题清单 gives the issues)."""
    source = Path(source)
    if source.suffix.lower() == ".json":
        return json.loads(source.read_text("utf-8"))
    from ..consolidate import run
    report = run([source], rules, city=city)
    data = report.to_dict()
    data["issues"] = _summary_issues(source) or data["issues"]
    return data


def _summary_issues(path: Path) -> list[dict]:
    import python_calamine

    try:
        rows = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("问题清单").to_python()
    except Exception:
        return []
    out = []
    for row in rows[2:]:
        if len(row) >= 8 and row[2]:
            out.append({"path": row[3], "sheet": row[4] or None, "cell": row[5] or None, "column": row[6] or None,
                        "code": row[2], "severity": "error" if row[1] == "错误" else "warning", "message": row[7]})
    return out


def write_report(data: dict, rules: Rules, city: str, out: str | Path, day: dt.date | None = None,
                 appendix: bool = False) -> Path:
    return save(build_report(data, rules, city, day or dt.date.today(), appendix), out)
