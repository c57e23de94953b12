"""Build the master workbook (city, .xlsm with buttons) and the county template (.xlsx).

Both are generated from code so they can be reviewed, rebuilt and tested:
XlsxWriter lays out the sheets, dropdowns, print set-up, protection and VML
form buttons; `vba.build_project` writes the VBA project from `macros/*.bas`
and the xlwings module of the installed xlwings; the ribbon (customUI) is
added to the package last, since no writer knows it."""
from __future__ import annotations

import datetime as dt
import io
import math
import sys
import zipfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from xl_addin.render import sheets
from xl_addin.declare.reference import ClusterList, default_clusters
from xl_addin.declare.rules import Rules, load_rules
from xl_addin.declare.spec import Specs, TableSpec, load_specs
from xl_addin.render.atomic import atomic_path
from xl_addin.render.summary_xlsx import a4_landscape, text_width
from xl_addin.excel import vba
from xl_addin.excel.selfcheck import RULES_SHEET, Lists, RulesRange, SelfCheck

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

MACROS_DIR = Path(__file__).resolve().parents[2] / "macros"
BUILD_TIME = dt.datetime(2026, 1, 1)          # fixed, so a rebuild gives the same package
DATA_ROWS = 200                               # pre-formatted entry rows per table sheet
FIRST_DATA_ROW = 3                            # 0-based: title, 单位 caption, header, data
FONT = "宋体"
FILES_SHEET = "_files"                        # paths picked by 汇总区县报表 (VBA -> Python)
SUMMARY_SHEET = "汇总表"
OUTPUT_SHEETS = [sheets.OUTPUTS[k]["sheet"] for k in ("subsidy", "issues", "inputs")]


def header_rows(specs: Specs) -> dict[str, int]:
    """Rows above the data on the sheets the buttons read and write (the 汇总表 has only its
    title: each part brings its own header)."""
    return {**{s.sheet: FIRST_DATA_ROW for s in input_specs(specs)}, SUMMARY_SHEET: 1,
            **{name: 2 for name in OUTPUT_SHEETS}}


def input_specs(specs: Specs, master: bool = True) -> list[TableSpec]:
    """The tables the workbooks take rows of: the county template's (the cultivation project
    tables), and in the master also the lists it checks (report.master: the recognition list)."""
    return [s for s in specs if s.report.get("project") or (master and s.report.get("master"))]


@dataclass(frozen=True)
class Button:
    caption: str
    sub: str               # VBA Sub in macros/XlAddin.bas
    ribbon: str            # its ribbon callback
    image: str             # imageMso of the ribbon button


BUTTONS = [
    Button("校验", "ValidateRows", "Ribbon_ValidateRows", "DataValidation"),
    Button("计算合计与补助", "ComputeTotals", "Ribbon_ComputeTotals", "AutoSum"),
    Button("汇总区县报表", "ConsolidateCounties", "Ribbon_ConsolidateCounties", "Consolidate"),
    Button("生成推荐报告", "GenerateReport", "Ribbon_GenerateReport", "FileSaveAs"),
    Button("导入名单", "ImportLists", "Ribbon_ImportLists", "ImportExcel"),
    Button("记录获批轮次", "RecordRound", "Ribbon_RecordRound", "RecordsSaveRecord"),
]


def master_sheets(specs: Specs) -> list[str]:
    return ["说明", *(s.sheet for s in input_specs(specs)), SUMMARY_SHEET, *OUTPUT_SHEETS, "集群名单", "规则",
            "xlwings.conf", FILES_SHEET]


def county_sheets(specs: Specs) -> list[str]:
    return ["说明", *(s.sheet for s in input_specs(specs, master=False)), "集群名单", RULES_SHEET]


MASTER_SHEETS, COUNTY_SHEETS = master_sheets(load_specs()), county_sheets(load_specs())


def macro_modules() -> list[vba.Module]:
    """The project's own modules, from macros/*.bas (ASCII only)."""
    out = []
    for path in sorted(MACROS_DIR.glob("*.bas")):
        text = path.read_bytes().decode("ascii")
        out.append(vba.parse_source(path.stem, text))
    return out


def xlwings_modules() -> list[vba.Module]:
    """The xlwings VBA module and its Dictionary class, from the installed xlwings package."""
    import xlwings

    root = Path(xlwings.__file__).parent
    return [vba.parse_source("xlwings", (root / "xlwings.bas").read_text(encoding="cp1252")),
            vba.parse_source("Dictionary", (root / "addin" / "Dictionary.cls").read_text(encoding="cp1252"))]


class _Book:
    """One XlsxWriter workbook with the shared formats."""

    def __init__(self, path: Path, clusters: ClusterList, rules: Rules):
        import xlsxwriter

        self.wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_numbers": False,
                                                  "strings_to_urls": False})
        self.wb.set_properties({"title": rules.title, "author": "xl_addin", "created": BUILD_TIME})
        self.clusters, self.rules = clusters, rules
        base = {"font_name": FONT, "font_size": 11, "valign": "vcenter", "border": 1}
        add = self.wb.add_format
        entries = {"entry": {**base, "text_wrap": True, "locked": False},
                   "entry_money": {**base, "num_format": "0.00", "locked": False},
                   "entry_date": {**base, "num_format": "yyyy-mm-dd", "locked": False},
                   "entry_text": {**base, "num_format": "@", "locked": False}}
        self.f = {
            "title": add({"font_name": "黑体", "font_size": 16, "bold": True, "align": "center", "valign": "vcenter"}),
            "unit": add({"font_name": FONT, "font_size": 11, "align": "right"}),
            "head": add({**base, "bold": True, "align": "center", "text_wrap": True, "bg_color": "#DDEBF7"}),
            **{k: add(v) for k, v in entries.items()},
            # the self-checking template's entry cells: no border until the row is filled
            **{f"{k}_open": add({n: x for n, x in v.items() if n != "border"}) for k, v in entries.items()},
            "text": add({"font_name": FONT, "font_size": 11, "text_wrap": True, "valign": "top"}),
            "h2": add({"font_name": "黑体", "font_size": 12, "bold": True, "valign": "vcenter"}),
            "doc_title": add({"font_name": "黑体", "font_size": 16, "bold": True, "valign": "vcenter"}),
            "cell": add({**base, "text_wrap": True}),
            "hint": add({**base, "text_wrap": True, "font_color": "#C00000", "valign": "top"}),
            "count": add({"font_name": FONT, "font_size": 11, "bold": True, "font_color": "#C00000"}),
            "bad": add({"bg_color": "#FFC7CE", "font_color": "#9C0006"}),
            "grid": add({"border": 1}),
        }

    def print_setup(self, ws, header_rows: tuple[int, int], ncols: int) -> None:
        a4_landscape(ws, *header_rows)
        ws.print_area(0, 0, FIRST_DATA_ROW + DATA_ROWS - 1, ncols - 1)

    # --- sheets -------------------------------------------------------------------
    @staticmethod
    def template_fields(spec: TableSpec):
        """The columns a county fills: the official ones, then the optional condition columns a
        table declares for its template (the recognition list's 认定 data)."""
        extra = [f for f in spec.fields if f.template] + [spec.field(f) for f in spec.conditions.get("template", [])]
        ids = list(dict.fromkeys(f.id for f in extra if f not in spec.official))
        return spec.official + [spec.field(i) for i in ids]

    def table_sheet(self, spec: TableSpec, buttons: list[Button], check: RulesRange | None = None) -> None:
        """A table sheet: title, 单位, header and DATA_ROWS entry rows. With `check` (the county
        template), the sheet checks itself: 校验提示, hidden helper columns, colours, a count,
        and the cluster and county dropdowns narrowed to the row's county and city."""
        ws = self.wb.add_worksheet(spec.sheet)
        fields = self.template_fields(spec)
        n = len(fields)
        last = FIRST_DATA_ROW + DATA_ROWS - 1
        sc = SelfCheck(spec, fields, self.rules, self.rules.required(spec), self.lists, check,
                       FIRST_DATA_ROW + 1, last + 1) if check is not None else None
        ws.merge_range(0, 0, 0, n - 1, spec.title, self.f["title"])
        ws.set_row(0, 30)
        unit = f"单位：{spec.unit}" if spec.unit else ""
        if sc:       # the count on the left of the caption row, the unit on its right
            ws.merge_range(1, 0, 1, n - 4, "", self.f["count"])
            ws.write_formula(1, 0, sc.count_formula(), self.f["count"], "未发现问题")
            ws.merge_range(1, n - 3, 1, n - 1, unit, self.f["unit"])
        else:
            ws.merge_range(1, 0, 1, n - 1, unit, self.f["unit"])
        for c, f in enumerate(fields):
            ws.write_string(2, c, f.header, self.f["head"])
            ws.set_column(c, c, f.width or 11)
        ws.set_row(2, 32)
        for c, f in enumerate(fields):
            fmt = "entry_money" if f.type in ("amount", "percent") else "entry_date" if f.type == "date" else \
                "entry_text" if f.type == "code" else "entry"
            fmt = fmt + "_open" if sc else fmt       # the grid comes from conditional formatting
            for r in range(FIRST_DATA_ROW, last + 1):
                ws.write_blank(r, c, None, self.f[fmt])
        self._dropdowns(ws, fields, last, sc)
        if sc:
            self._selfcheck(ws, sc, fields, last)
        ws.freeze_panes(FIRST_DATA_ROW, 1)
        ws.protect("", {"format_cells": True, "format_columns": True, "format_rows": True, "insert_rows": True,
                        "delete_rows": True, "objects": True, "sort": True, "autofilter": True})
        self.print_setup(ws, (0, 2), n)
        for i, b in enumerate(buttons):
            ws.insert_button(FIRST_DATA_ROW + i * 3, n + 1, {"macro": f"XlAddin.{b.sub}", "caption": b.caption,
                                                             "width": 150, "height": 40})

    def _selfcheck(self, ws, sc: SelfCheck, fields, last: int) -> None:
        """校验提示 (locked, outside the print area), the hidden helpers and the colours. The
        template prints its filled rows only: empty rows carry no border (the grid of a row
        appears with its first value), so no page of empty grid is printed."""
        n = len(fields)
        ws.write_string(2, sc.hint_col, "校验提示", self.f["head"])
        ws.set_column(sc.hint_col, sc.hint_col, 46)
        for name, c in sc.index.items():
            ws.write_string(2, c, name)
        for c, (code, field_id, _) in zip(sc.cond_index, sc.covered()):
            ws.write_string(2, c, f"{code}:{field_id}")
        ws.set_column(sc.hint_col + 1, sc.last_col, 6, None, {"hidden": True})
        rows = sc.formulas()
        for r in range(FIRST_DATA_ROW, last + 1):
            for c, formula in rows:
                value = "" if c in (sc.hint_col, sc.index["_msgs"]) else 0
                ws.write_formula(r, c, sc.row(formula, r + 1), self.f["hint"] if c == sc.hint_col else None, value)
        first = FIRST_DATA_ROW + 1
        for f_id, formula in sc.highlight().items():
            c = sc.fields.index(sc.spec.field(f_id))
            ws.conditional_format(FIRST_DATA_ROW, c, last, c, {"type": "formula", "criteria": formula,
                                                               "format": self.f["bad"]})
        ws.conditional_format(FIRST_DATA_ROW, 0, last, n - 1, {
            "type": "formula", "criteria": f"=${sc.helper['_data']}{first}=1", "format": self.f["grid"]})

    def _dropdowns(self, ws, fields, last: int, sc: SelfCheck | None = None) -> None:
        n_counties, n_cities = len(self.clusters.counties), len(self.clusters.cities)
        sources = {"counties": f"=集群名单!$G$2:$G${n_counties + 1}",
                   "cities": f"=集群名单!$H$2:$H${n_cities + 1}",
                   "clusters": f"=集群名单!$D$2:$D${len(self.clusters.clusters) + 1}"}
        for c, f in enumerate(fields):
            source = sources.get(f.dropdown)
            if f.dropdown in ("options", "industries"):
                column = self.option_columns[f.header]
                source = f"=集群名单!${column}$2:${column}${len(self.choices[f.header]) + 1}"
            narrowed = self._narrowed(sc, f) if sc else None
            source = narrowed or source
            if f.type == "date":
                ws.data_validation(FIRST_DATA_ROW, c, last, c, {
                    "validate": "date", "criteria": "between", "minimum": dt.date(2000, 1, 1),
                    "maximum": dt.date(2099, 12, 31), "error_title": "日期无效",
                    "error_message": "请填写日期，如 2025-03-15。"})
            elif f.type == "code":
                ws.data_validation(FIRST_DATA_ROW, c, last, c, {
                    "validate": "length", "criteria": "==", "value": 18, "error_title": "代码长度不对",
                    "error_message": f"{f.header}为18位，请按文本填写。"})
            if source:
                ws.data_validation(FIRST_DATA_ROW, c, last, c, {
                    "validate": "list", "source": source, "error_type": "warning",
                    "error_title": "不在名单中", "error_message": "请从下拉列表中选择；如确需填写其他内容，点“是”保留。"})

    def prepare_options(self, specs: list[TableSpec]) -> None:
        """The columns of 集群名单 (from I on) that list each dropdown field's choices."""
        from xl_addin.locate.headers import xl_col_to_name

        self.choices: dict[str, list[str]] = {}
        for spec in specs:
            for f in self.template_fields(spec):
                if f.dropdown == "options":
                    self.choices.setdefault(f.header, [o.text for o in f.options])
                elif f.dropdown == "industries":
                    self.choices.setdefault(f.header, list(self.clusters.industries))
        self.option_columns = {h: xl_col_to_name(8 + i) for i, h in enumerate(self.choices)}
        # the dependent dropdowns' lists: (county, cluster) sorted by county, (city, county) by city
        start = 8 + len(self.choices) + 1
        self.pairs = {"clusters": sorted(((cl.county, cl.name) for cl in self.clusters.clusters), key=lambda p: p[0]),
                      "counties": sorted(((self.clusters.county_city[c], c) for c in self.clusters.counties),
                                         key=lambda p: p[0]),
                      "county_alias": self.clusters.county_aliases(),
                      "cluster_alias": self.clusters.cluster_aliases()}
        self.pair_columns = {kind: (xl_col_to_name(start + 2 * i), xl_col_to_name(start + 2 * i + 1))
                             for i, kind in enumerate(self.pairs)}
        n = len(self.clusters.clusters) + 1
        def pair(kind):
            a, b = self.pair_columns[kind]
            last = len(self.pairs[kind]) + 1
            return f"集群名单!${a}$2:${a}${last}", f"集群名单!${b}$2:${b}${last}"
        self.lists = Lists(names=f"集群名单!$D$2:$D${n}", cluster_counties=f"集群名单!$C$2:$C${n}",
                           cluster_cities=f"集群名单!$B$2:$B${n}",
                           cities=f"集群名单!$H$2:$H${len(self.clusters.cities) + 1}",
                           counties=f"集群名单!$G$2:$G${len(self.clusters.counties) + 1}",
                           county_alias=pair("county_alias"), cluster_alias=pair("cluster_alias"))

    def _narrowed(self, sc: SelfCheck, f) -> str | None:
        """The list of a cluster (county) cell: the clusters of the row's county (the counties of
        its city), from the sorted pairs of 集群名单; all of them while that cell is blank or
        unknown. OFFSET/MATCH/COUNTIF in a list source: Excel, WPS and LibreOffice all take it."""
        depends = {"clusters": sc.spec.first_of("county"), "counties": sc.spec.first_of("city")}.get(f.dropdown)
        if depends is None or depends not in sc.col:
            return None
        key_col, value_col = self.pair_columns[f.dropdown]
        n = len(self.pairs[f.dropdown]) + 1
        keys, on = f"集群名单!${key_col}$2:${key_col}${n}", sc.row(sc.value(depends), FIRST_DATA_ROW + 1)
        full = {"clusters": self.lists.names, "counties": f"集群名单!$G$2:$G${len(self.clusters.counties) + 1}"}
        return (f"=IF(COUNTIF({keys},{on})=0,{full[f.dropdown]},"
                f"OFFSET(集群名单!${value_col}$1,MATCH({on},{keys},0),0,COUNTIF({keys},{on}),1))")

    def cluster_sheet(self, specs: list[TableSpec]) -> None:
        """The eligible clusters, and the lists the dropdowns read: counties, cities and the
        choices of each dropdown field of the tables."""
        ws = self.wb.add_worksheet("集群名单")
        choices = self.choices
        heads = [*sheets.OUTPUTS["clusters"]["columns"], *(f"{h}（下拉用）" for h in choices)]
        for c, h in enumerate(heads):
            if h:
                ws.write_string(0, c, h, self.f["head"])
        for r, cl in enumerate(self.clusters.clusters, start=1):
            ws.write_number(r, 0, cl.no, self.f["cell"])
            for c, v in enumerate((cl.city, cl.county, cl.name, cl.industry), start=1):
                ws.write_string(r, c, v, self.f["cell"])
        lists = [self.clusters.counties, self.clusters.cities, *choices.values()]
        for col, values in enumerate(lists, start=6):
            for r, v in enumerate(values, start=1):
                ws.write_string(r, col, v, self.f["cell"])
        from xl_addin.locate.headers import column_index
        heads = sheets.OUTPUTS["clusters"]["helpers"]
        for kind, pairs in self.pairs.items():
            for col, head in zip(self.pair_columns[kind], heads[kind]):
                ws.write_string(0, column_index(col), head, self.f["head"])
            for r, pair in enumerate(pairs, start=1):
                for col, v in zip(self.pair_columns[kind], pair):
                    ws.write_string(r, column_index(col), v, self.f["cell"])
        for c, w in enumerate((6, 10, 14, 34, 14, 2, 18, 14, *([18] * len(choices)))):
            ws.set_column(c, c, w)
        ws.freeze_panes(1, 0)
        ws.protect()
        self.print_setup(ws, (0, 0), 5)
        ws.print_area(0, 0, len(self.clusters.clusters), 4)

    def rules_sheet(self) -> None:
        ws = self.wb.add_worksheet("规则")
        for c, h in enumerate(["规则", "取值", "依据"]):
            ws.write_string(0, c, h, self.f["head"])
        r = 1
        for section in rules_rows(self.rules):
            for c, v in enumerate(section):
                ws.write_string(r, c, v, self.f["cell"])
            r += 1
        ws.write_string(r + 1, 0, f"规则文件：{self.rules.path}；修改规则请编辑 rules.toml 后用 --rules 指定。",
                        self.f["text"])
        for c, w in enumerate((44, 40, 40)):
            ws.set_column(c, c, w)
        ws.protect()
        self.print_setup(ws, (0, 0), 3)
        ws.print_area(0, 0, r + 1, 2)

    def text_sheet(self, name: str, paragraphs: list[str], buttons: list[Button] = ()) -> None:
        ws = self.wb.add_worksheet(name)
        ws.set_column(0, 0, 66)            # fits A4 portrait without scaling
        ws.hide_gridlines(2)
        for r, text in enumerate(paragraphs):
            heading = text.startswith("# ")
            fmt = "doc_title" if r == 0 else "h2" if heading else "text"
            ws.write_string(r, 0, text[2:] if heading else text, self.f[fmt])
            # Excel does not grow rows for wrapped text written by a file writer: size them here.
            lines = max(1, math.ceil(text_width(text) / 62))
            ws.set_row(r, 30 if r == 0 else 16 * lines + 6)
        for i, b in enumerate(buttons):
            ws.insert_button(1 + i * 3, 2, {"macro": f"XlAddin.{b.sub}", "caption": b.caption,
                                            "width": 160, "height": 40})
        ws.set_portrait()
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.print_area(0, 0, len(paragraphs), 0)
        ws.protect("", {"objects": True})

    def output_sheet(self, name: str, title: str, columns: list[str], header_rows_of: dict[str, int],
                     buttons: list[Button] = (), width: int = 0) -> None:
        """A sheet the buttons fill: title, header (if any) repeated on every printed page."""
        ws = self.wb.add_worksheet(name)
        ncols = max(len(columns), width)
        ws.merge_range(0, 0, 0, ncols - 1, title, self.f["title"])
        ws.set_row(0, 30)
        for c, col in enumerate(columns):
            ws.write_string(1, c, col, self.f["head"])
        for c in range(ncols):
            ws.set_column(c, c, 12)
        header_rows = header_rows_of[name]
        ws.freeze_panes(header_rows, 0)
        a4_landscape(ws, 0, header_rows - 1)
        for i, b in enumerate(buttons):
            ws.insert_button(header_rows + i * 3, ncols + 1, {"macro": f"XlAddin.{b.sub}", "caption": b.caption,
                                                           "width": 150, "height": 40})


def rules_rows(rules: Rules) -> list[tuple[str, str, str]]:
    """(title, value, source) for each rule of the rules table."""
    rows = []
    for name, section in rules.raw.items():
        if not isinstance(section, dict):
            continue
        items = [(f"{name}.{k}", v) for k, v in section.items() if isinstance(v, dict)] or [(name, section)]
        for label, sec in items:
            values = "；".join(f"{k} = {v}" for k, v in sec.items() if k not in ("title", "source"))
            rows.append((str(sec.get("title", label)), values, str(sec.get("source", ""))))
    return rows


GUIDES = tomllib.loads(resources.files("xl_addin.data").joinpath("workbooks.toml").read_text("utf-8"))


def build_master(path: str | Path, clusters: ClusterList | None = None, rules: Rules | None = None,
                 specs: Specs | None = None) -> Path:
    path = Path(path)
    specs = specs or load_specs()
    clusters, rules = clusters or default_clusters(), rules or load_rules(specs=specs)
    tables = input_specs(specs.bind(rules))
    rows_of = header_rows(specs)
    widest = max(len(s.summary.columns) + 1 for s in tables)
    with atomic_path(path, backup=False) as tmp:
        b = _Book(tmp, clusters, rules)
        b.text_sheet("说明", GUIDES["master"]["guide"], BUTTONS)
        b.prepare_options(tables)
        for spec in tables:
            b.table_sheet(spec, BUTTONS[:2])
        b.output_sheet(SUMMARY_SHEET, rules.summary_title, [], rows_of, BUTTONS[2:4], width=widest)
        b.output_sheet(OUTPUT_SHEETS[0], sheets.OUTPUTS["subsidy"]["title"], sheets.SUBSIDY, rows_of)
        b.output_sheet(OUTPUT_SHEETS[1], sheets.OUTPUTS["issues"]["title"], sheets.ISSUES, rows_of)
        b.output_sheet(OUTPUT_SHEETS[2], sheets.OUTPUTS["inputs"]["title"], sheets.INPUTS, rows_of)
        b.cluster_sheet(tables)
        b.rules_sheet()
        conf = b.wb.add_worksheet("xlwings.conf")
        for r, (k, v) in enumerate((("INTERPRETER_WIN", "python"), ("INTERPRETER_MAC", "python3"))):
            conf.write_string(r, 0, k)
            conf.write_string(r, 1, v)
        conf.write_string(0, 3, "B 列填写 Python 解释器的完整路径，例如 C:\\Python312\\pythonw.exe；A 列不要改。")
        conf.set_column(0, 1, 28)
        files = b.wb.add_worksheet(FILES_SHEET)
        files.hide()
        modules = [vba.Module("ThisWorkbook", "workbook", "")]
        modules += [vba.Module(f"Sheet{i}", "sheet", "") for i in range(1, len(b.wb.worksheets()) + 1)]
        modules += macro_modules() + xlwings_modules()
        b.wb.add_vba_project(io.BytesIO(vba.build_project(modules)), is_stream=True)
        b.wb.close()
        _add_ribbon(tmp)
    return path


def build_county(path: str | Path, clusters: ClusterList | None = None, rules: Rules | None = None,
                 specs: Specs | None = None) -> Path:
    path = Path(path)
    specs = specs or load_specs()
    clusters, rules = clusters or default_clusters(), rules or load_rules(specs=specs)
    tables = input_specs(specs, master=False)
    with atomic_path(path, backup=False) as tmp:
        b = _Book(tmp, clusters, rules)
        b.text_sheet("说明", GUIDES["county"]["guide"])
        b.prepare_options(tables)
        check = RulesRange()
        for spec in tables:
            b.table_sheet(spec, [], check)
        b.cluster_sheet(tables)
        check.write(b.wb, b.f)
        b.wb.close()
        _normalize_zip(tmp)
    return path


RIBBON_REL = "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility"


def ribbon_xml() -> str:
    buttons = "".join(
        f'<button id="xlAddin{b.sub}" label="{b.caption}" size="large" imageMso="{b.image}" onAction="{b.ribbon}"/>'
        for b in BUTTONS)
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<customUI xmlns="http://schemas.microsoft.com/office/2006/01/customui">'
            '<ribbon><tabs><tab id="xlAddinTab" label="领跑者申报">'
            f'<group id="xlAddinGroup" label="县区报表与汇总">{buttons}</group>'
            '</tab></tabs></ribbon></customUI>')


def _add_ribbon(path: Path) -> None:
    """Add customUI/customUI.xml and its package relationship (XlsxWriter has no ribbon support)."""
    def patch(name: str, data: bytes) -> bytes:
        if name == "_rels/.rels":
            rel = f'<Relationship Id="rIdXlAddinRibbon" Type="{RIBBON_REL}" Target="customUI/customUI.xml"/>'
            return data.replace(b"</Relationships>", rel.encode() + b"</Relationships>")
        return data
    _normalize_zip(path, patch, {"customUI/customUI.xml": ribbon_xml().encode("utf-8")})


def _normalize_zip(path: Path, patch=None, extra: dict[str, bytes] | None = None) -> None:
    """Rewrite the package with fixed timestamps (reproducible builds), patching parts on the way."""
    with zipfile.ZipFile(path) as z:
        parts = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    parts += list((extra or {}).items())
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, patch(name, data) if patch else data)


def build_list_template(path: str | Path, spec_id: str, guide: str, clusters: ClusterList | None = None,
                        rules: Rules | None = None, specs: Specs | None = None) -> Path:
    """A county template for one list table (the recognition list): 说明, the table, 集群名单."""
    path = Path(path)
    specs = specs or load_specs()
    clusters, rules = clusters or default_clusters(), rules or load_rules(specs=specs)
    spec = specs.bind(rules)[spec_id]
    with atomic_path(path, backup=False) as tmp:
        b = _Book(tmp, clusters, rules)
        b.text_sheet("说明", GUIDES[guide]["guide"])
        b.prepare_options([spec])
        b.table_sheet(spec, [])
        b.cluster_sheet([spec])
        b.wb.close()
        _normalize_zip(tmp)
    return path


def build_all(out_dir: str | Path = "workbooks") -> list[Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    from xl_addin.forms.template import build_form_template
    return [build_master(out / "master.xlsm"), build_county(out / "county_template.xlsx"),
            build_list_template(out / "recognition_template.xlsx", "recognition", "recognition"),
            build_form_template(out / "cluster_form_template.xlsx")]
