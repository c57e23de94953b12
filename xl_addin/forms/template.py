"""workbooks/cluster_form_template.xlsx from the form spec: one sheet per section of 附件1,
the seed's row labels in column A, a year header above each block of yearly rows, dropdowns
for the ☐ choices, and the derived cells (年均增速, 上云比例, 普及率, 万人专利) as formulas the
county does not type. The reader reads this file by label, like the Word form."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from xl_addin.render.atomic import atomic_path
from xl_addin.locate.headers import xl_col_to_name
from xl_addin.forms import expr
from xl_addin.forms.spec import FormSpec, Item, load_form

FONT = "宋体"
BUILD_TIME = dt.datetime(2026, 1, 1)
GUIDE = [
    "本表与《中小企业特色产业集群申报表》（附件1）逐项对应，请按栏目填写；灰色单元格为按《填报说明》自动计算的值，不需填写。",
    "各必填栏目不得空缺，无相关情况时填写“无”或 0；数据有小数时保留 2 位（填报说明第 2 条）。年均增速取几何平均数（第 9 条）。",
    "☐ 选项：单选项从下拉列表选择；多选项在选项右侧选择“是”。勾选项需提供佐证材料。",
    "填好后可用 xl-addin cluster-form 本文件 --out 申报表.docx 生成 Word 申报表，或直接报送本文件。",
]


class _Formats:
    def __init__(self, wb):
        base = {"font_name": FONT, "font_size": 11, "valign": "vcenter", "border": 1, "text_wrap": True}
        add = wb.add_format
        self.title = add({"font_name": "黑体", "font_size": 14, "bold": True, "valign": "vcenter"})
        self.note = add({"font_name": FONT, "font_size": 10, "font_color": "#595959", "text_wrap": True, "valign": "top"})
        self.head = add({**base, "bold": True, "align": "center", "bg_color": "#DDEBF7"})
        self.label = add({**base})
        self.entry = add({**base, "locked": False})
        self.number = add({**base, "locked": False, "num_format": "0.00"})
        self.count = add({**base, "locked": False, "num_format": "0"})
        self.derived = add({**base, "bg_color": "#EDEDED", "num_format": "0.00"})
        self.text = add({**base, "locked": False, "valign": "top"})


class _Sheet:
    """One section's sheet: rows are written top-down; `refs` records each value cell."""

    def __init__(self, wb, f: _Formats, spec: FormSpec, title: str, name: str, refs: dict, derived: list):
        self.ws, self.f, self.spec, self.refs = wb.add_worksheet(name), f, spec, refs
        self.derived = derived
        self.name = name
        self.r = 0
        self.ws.set_column(0, 0, 46)
        self.ws.set_column(1, 9, 13)
        self.ws.merge_range(0, 0, 0, 3, title, f.title)
        self.ws.set_row(0, 26)
        self.r = 2
        self.years_above = False

    def ref(self, r: int, c: int) -> str:
        return f"'{self.name}'!${xl_col_to_name(c)}${r + 1}"

    def year_header(self, first_col: int = 1, span: int = 1) -> None:
        self.ws.write_string(self.r, 0, self.spec.year_header, self.f.head)
        for k, year in enumerate(self.spec.years):
            c = first_col + k * span
            if span > 1:
                self.ws.merge_range(self.r, c, self.r, c + span - 1, f"{year}年", self.f.head)
            else:
                self.ws.write_string(self.r, c, f"{year}年", self.f.head)
        self.r += 1
        self.years_above = span == 1

    def value_format(self, item: Item):
        t = item.value_type
        return self.f.count if t == "count" else self.f.number if t in ("number", "percent", "rate") else self.f.entry

    def item(self, item: Item) -> None:
        ws, f = self.ws, self.f
        if item.type == "years":
            if not self.years_above:
                self.year_header()
            ws.write_string(self.r, 0, item.label, f.label)
            for k, year in enumerate(self.spec.years):
                ws.write_blank(self.r, 1 + k, None, self.value_format(item))
                self.refs[(item.id, year)] = self.ref(self.r, 1 + k)
            self.r += 1
            return
        self.years_above = False
        if item.type == "standards":
            self.standards(item)
            return
        if item.type == "targets":
            self.targets(item)
            return
        ws.write_string(self.r, 0, item.label, f.label)
        if item.type == "checks":
            ws.merge_range(self.r, 1, self.r, 3, "（在做过的工作右侧选择“是”）", f.note)
            self.r += 1
            for option in item.options:
                ws.write_string(self.r, 0, option, f.label)
                ws.write_blank(self.r, 1, None, f.entry)
                ws.data_validation(self.r, 1, self.r, 1, {"validate": "list", "source": ["是"]})
                ws.set_row(self.r, 30 if len(option) > 24 else None)
                self.r += 1
            return
        if item.type == "named_count":
            ws.write_blank(self.r, 1, None, f.count)
            ws.merge_range(self.r, 2, self.r, 5, "", f.entry)
            ws.write_comment(self.r, 1, "数量（个）")
            ws.write_comment(self.r, 2, "名称，多个用顿号分隔")
            self.refs[item.id] = self.ref(self.r, 1)
        elif item.type == "narrative":
            ws.merge_range(self.r, 1, self.r, 5, "", f.text)
            ws.set_row(self.r, 120 if (item.max or 0) <= 300 else 400)
            if item.max:
                ws.data_validation(self.r, 1, self.r, 1, {
                    "validate": "length", "criteria": "<=", "value": item.max * 2, "error_type": "warning",
                    "error_title": "文字过长", "error_message": f"本栏限 {item.max} 字以内。"})
        elif item.derive:      # written once every cell has its place (it may read a later item)
            self.derived.append((self.ws, self.r, item))
        else:
            ws.write_blank(self.r, 1, None, self.value_format(item))
            if item.type == "choice":
                ws.data_validation(self.r, 1, self.r, 1, {"validate": "list", "source": list(item.options),
                                                          "error_title": "请从下拉列表选择"})
        if item.type != "named_count":
            self.refs[item.id] = self.ref(self.r, 1)
        if len(item.label) > 26 and item.type != "narrative":
            ws.set_row(self.r, 15 * (len(item.label) // 24 + 1))
        self.r += 1

    def standards(self, item: Item) -> None:
        ws, f = self.ws, self.f
        ws.merge_range(self.r, 0, self.r, 9, item.label, f.label)
        self.r += 1
        self.year_header(first_col=1, span=3)
        roles = item.extra.get("roles", ["主持数量", "参与数量"])
        ws.write_string(self.r, 0, "", f.head)
        for k in range(len(self.spec.years)):
            for j, h in enumerate([item.extra["category_header"], *roles]):
                ws.write_string(self.r, 1 + 3 * k + j, h, f.head)
        self.r += 1
        for cat in item.extra.get("categories", []):
            ws.write_blank(self.r, 0, None, f.label)
            for k in range(len(self.spec.years)):
                ws.write_string(self.r, 1 + 3 * k, cat, f.label)
                ws.write_blank(self.r, 2 + 3 * k, None, f.count)
                ws.write_blank(self.r, 3 + 3 * k, None, f.count)
            self.r += 1
        self.years_above = False

    def targets(self, item: Item) -> None:
        ws, f = self.ws, self.f
        self.r += 1
        ws.write_string(self.r, 0, item.label, f.title)
        self.r += 1
        for c, h in enumerate(item.target_columns()):
            ws.write_string(self.r, c, h, f.head)
        self.r += 1
        for row in item.extra.get("rows", []):
            ws.write_string(self.r, 0, row["direction"], f.label)
            ws.write_string(self.r, 1, row["indicator"], f.label)
            fmt = f.entry if row["kind"] == "text" else f.number
            ws.write_blank(self.r, 2, None, fmt)
            ws.write_blank(self.r, 3, None, fmt)
            self.r += 1


def build_form_template(path: str | Path, spec: FormSpec | None = None) -> Path:
    import xlsxwriter

    spec = spec or load_form()
    path = Path(path)
    with atomic_path(path, backup=False) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_numbers": False,
                                            "strings_to_urls": False})
        wb.set_properties({"title": spec.title, "author": "xl_addin", "created": BUILD_TIME})
        f = _Formats(wb)
        guide = wb.add_worksheet("说明")
        guide.set_column(0, 0, 90)
        guide.write_string(0, 0, spec.title + "（Excel 填报版）", f.title)
        for r, text in enumerate(GUIDE, start=2):
            guide.write_string(r, 0, text, f.note)
            guide.set_row(r, 32)
        refs: dict = {}
        derived: list = []
        for section in spec.sections:
            sheet = _Sheet(wb, f, spec, section.title, section.sheet, refs, derived)
            for item in section.items:
                sheet.item(item)
            for k, text in enumerate(section.raw.get("text", []) + section.raw.get("recommendation", [])):
                sheet.ws.merge_range(sheet.r + k, 0, sheet.r + k, 5, text, f.note)
                sheet.ws.set_row(sheet.r + k, 32 if len(text) > 40 else None)
            sheet.ws.set_portrait()
            sheet.ws.set_paper(9)
            sheet.ws.fit_to_pages(1, 0)
            sheet.ws.protect("", {"format_columns": True, "format_rows": True})
        def ref(item_id: str, year: int | None) -> str:
            return refs[(item_id, year)] if year is not None else refs[item_id]
        for ws, r, item in derived:
            ws.write_formula(r, 1, "=" + expr.excel(item.derive, ref), f.derived, "")
        wb.close()
        from xl_addin.excel.workbooks import _normalize_zip
        _normalize_zip(tmp)
    return path
