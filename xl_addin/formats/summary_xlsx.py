"""Write the city (or province) summary workbook: the official 附表 layout plus
补助测算, 问题清单 and 报送情况. Every input string is written with write_string
(never as a formula); amounts are numbers, totals are values."""
from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .. import sheets
from ..consolidate import cities_of, collector_paused, columns_of, missing_counties, row_getter
from ..model import Report
from ..reference import ClusterList, default_clusters
from .atomic import atomic_path

PART1_SHEET, PART2_SHEET = "汇总表（一）", "汇总表（二）"
SUBSIDY_SHEET, ISSUES_SHEET, INPUTS_SHEET = "补助测算", "问题清单", "报送情况"
PART1, PART2, PART1_TITLE, PART2_TITLE = sheets.PART1, sheets.PART2, sheets.PART1_TITLE, sheets.PART2_TITLE
MERGED1 = {"序号", "企业名称", "所在地市", "所在县（市）", "所属集群", "申报单位类别"}
MERGED2 = {"序号", "企业名称", "所在地市", "所在县(市、区）", "所属集群"}
AMOUNTS = {"单价", "总价", "投资金额", "占股比例%"}
DATES = {"签订股权协议时间", "退出时间"}
WIDE = {"企业名称": 30, "所属集群": 28, "购置设备名称种类金额": 30, "股权投资机构名称": 34,
        "设备用途": 20, "安装位置": 16}
FONT = "宋体"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_CELL_TEXT = 32767


def safe_text(value: object) -> str:
    """Cell text that Excel accepts: no control characters, within Excel's length limit."""
    text = str(value)
    if not text.isprintable():      # rare (line breaks, control characters); the check is cheap
        text = _CONTROL.sub("", text)
    return text if len(text) <= MAX_CELL_TEXT else text[: MAX_CELL_TEXT - 1] + "…"


def text_width(text: str) -> float:
    return sum(2.1 if unicodedata.east_asian_width(ch) in "WF" else 1.1 for ch in str(text))


class _Writer:
    def __init__(self, wb):
        self.wb = wb
        base = {"font_name": FONT, "font_size": 11, "valign": "vcenter", "border": 1}
        self.f = {
            "title": wb.add_format({"font_name": "黑体", "font_size": 16, "bold": True, "align": "center",
                                    "valign": "vcenter"}),
            "part": wb.add_format({"font_name": "黑体", "font_size": 12, "bold": True}),
            "caption": wb.add_format({"font_name": FONT, "font_size": 11}),
            "unit": wb.add_format({"font_name": FONT, "font_size": 11, "align": "right"}),
            "head": wb.add_format({**base, "bold": True, "align": "center", "text_wrap": True, "bg_color": "#DDEBF7"}),
            "text": wb.add_format({**base, "text_wrap": True}),
            "center": wb.add_format({**base, "align": "center", "text_wrap": True}),
            "money": wb.add_format({**base, "num_format": "0.00"}),
            "pct": wb.add_format({**base, "num_format": "0%"}),
            "int": wb.add_format({**base, "num_format": "0", "align": "center"}),
            "date": wb.add_format({**base, "num_format": "yyyy-mm-dd", "align": "center"}),
            "total": wb.add_format({**base, "bold": True, "align": "center"}),
            "total_money": wb.add_format({**base, "bold": True, "num_format": "0.00"}),
            "link": wb.add_format({**base, "font_color": "blue", "underline": 1}),
            "error": wb.add_format({**base, "font_color": "#C00000"}),
            "warning": wb.add_format({**base, "font_color": "#9C5700"}),
        }

    def cell(self, ws, r, c, value, fmt="text"):
        """Write by type; strings always as strings, never parsed as formulas or numbers."""
        f = self.f[fmt]
        if value is None:
            ws.write_blank(r, c, None, f)
        elif isinstance(value, bool):
            ws.write_string(r, c, "是" if value else "否", f)
        elif isinstance(value, (int, float)):
            ws.write_number(r, c, value, f)
        elif isinstance(value, (dt.date, dt.datetime)):
            ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()) if not isinstance(value, dt.datetime)
                              else value, self.f["date"])
        elif text := safe_text(value):
            ws.write_string(r, c, text, f)
        else:
            ws.write_blank(r, c, None, f)

    def row(self, ws, r: int, values: list, fmts: list[str], first: int = 0) -> None:
        """Cells of one row from column `first` on, cell by cell (small sheets; a large
        table's rows go through a _Layout)."""
        for c, v in enumerate(values, start=first):
            self.cell(ws, r, c, v, fmts[c - first])

    def layout(self, fmts: list[str]) -> "_Layout":
        return _Layout(self, fmts)

    def page(self, ws, header_row: int, ncols: int, widths: list[float]):
        a4_landscape(ws, header_row)
        ws.freeze_panes(header_row + 1, 0)
        for c, w in enumerate(widths[:ncols]):
            ws.set_column(c, c, w)

    def heading(self, ws, title: str, part: str, unit_caption: str, ncols: int) -> int:
        ws.merge_range(0, 0, 0, ncols - 1, title, self.f["title"])
        ws.set_row(0, 30)
        ws.merge_range(1, 0, 1, ncols - 1, part, self.f["part"])
        ws.merge_range(2, 0, 2, ncols - 3, unit_caption, self.f["caption"])
        ws.merge_range(2, ncols - 2, 2, ncols - 1, "单位：万元", self.f["unit"])
        return 3


NUMERIC = {"money", "pct", "int", "total_money"}
_NUMBER_TYPES, _TEXT_TYPES = {float, type(None)}, {str, type(None)}


def _plain_number(v) -> bool:
    return type(v) is float or v is None


def _plain_text(v) -> bool:
    return v is None or (type(v) is str and v != "" and len(v) <= MAX_CELL_TEXT and v.isprintable())


def _irregular(columns, numeric: list[bool]) -> set[int]:
    """The indexes of the rows holding a value a _Layout must write cell by cell (see
    _Layout), from the table's columns: each column is checked whole with C-level calls,
    and only a column that fails is looked at value by value."""
    odd: set[int] = set()
    for col, is_number in zip(columns, numeric):
        kinds = set(map(type, col))
        if is_number:
            if kinds <= _NUMBER_TYPES:
                continue
            odd.update(k for k, v in enumerate(col) if not _plain_number(v))
            continue
        if kinds <= _TEXT_TYPES and "" not in col:
            texts = list(filter(None, col))
            if all(map(str.isprintable, texts)) and max(map(len, texts), default=0) <= MAX_CELL_TEXT:
                continue
        odd.update(k for k, v in enumerate(col) if not _plain_text(v))
    return odd


class _Layout:
    """The formats of one kind of row, as runs of adjacent cells with the same format.
    A run whose values have the expected types (numbers in a numeric format; printable
    text or blanks otherwise) goes to the writer in one call: the per-call and per-cell
    Python costs decide the time of a province's summary. Anything else (dates,
    booleans, text in an amount column, control characters) goes cell by cell."""

    def __init__(self, w: _Writer, fmts: list[str]):
        self.w, self.fmts = w, fmts
        self.runs: list[tuple[int, int, bool, object]] = []      # (first, end, numeric, format)
        for c, name in enumerate(fmts):
            if c and name == fmts[c - 1]:
                first, _, numeric, fmt = self.runs[-1]
                self.runs[-1] = (first, c + 1, numeric, fmt)
            else:
                self.runs.append((c, c + 1, name in NUMERIC, w.f[name]))
        self.plain = [(first, end, fmt) for first, end, _, fmt in self.runs]

    def write(self, ws, r: int, values: list, checked: bool = False) -> None:
        """checked: every value is known to be of the expected type (see _irregular)."""
        if checked:
            for first, end, fmt in self.plain:
                ws.write_row(r, first, values[first:end], fmt)
            return
        for first, end, numeric, fmt in self.runs:
            run = values[first:end]
            if all(map(_plain_number if numeric else _plain_text, run)):
                ws.write_row(r, first, run, fmt)
            else:
                self.w.row(ws, r, run, self.fmts[first:end], first)


def a4_landscape(ws, first_header: int, last_header: int | None = None) -> None:
    """The print set-up of every table sheet: A4 landscape, the header rows on every page,
    fit to the page width (as many pages down as needed), centred, page numbers."""
    ws.set_landscape()
    ws.set_paper(9)
    ws.repeat_rows(first_header, first_header if last_header is None else last_header)
    ws.fit_to_pages(1, 0)
    ws.center_horizontally()
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.set_footer("&C第 &P 页，共 &N 页")


def _widths(columns: list[str], rows: list[dict]) -> list[float]:
    out = []
    for col in columns:
        if col in WIDE:
            out.append(WIDE[col])
            continue
        longest = max([text_width(col)] + [text_width(r.get(col) or "") for r in rows[:2000]])
        out.append(min(max(longest + 2, 8), 24))
    return out


def _part(w: _Writer, ws, title: str, part: str, caption: str, columns: list[str], merged: set[str],
          enterprises, amount_col: str) -> None:
    """Written top to bottom, a row at a time (the sheet streams to disk: a province's
    80,000 rows never sit in memory as cells); the enterprise cells (the leading columns)
    are merged over their rows, and the cells under them are bordered blanks."""
    ncols, nblock = len(columns), sum(col in merged for col in columns)
    if not all(col in merged for col in columns[:nblock]):
        raise ValueError(f"merged columns must lead the table: {columns}")
    header = w.heading(ws, title, part, caption, ncols)
    ws.set_row(header, 33)     # 44 pixels (see RustSheet.set_row)
    for c, name in enumerate(columns):
        w.cell(ws, header, c, name, "head")
    block_fmts = ["int" if col == "序号" else "text" if col == "企业名称" else "center" for col in columns[:nblock]]
    item_fmts = ["money" if col in AMOUNTS else "text" for col in columns[nblock:]]
    first_row, next_row = w.layout(block_fmts + item_fmts), w.layout(["text"] * nblock + item_fmts)
    items = row_getter(columns[nblock:])
    blocks = []
    for no, ent in enumerate(enterprises, start=1):
        values = sheets.enterprise_values(ent, no)
        blocks.append([float(no)] + [values[col] for col in columns[1:nblock]])
    odd_blocks = _irregular(map(list, zip(*blocks)), [fmt in NUMERIC for fmt in block_fmts]) if blocks else set()
    odd = _irregular(columns_of([row for e in enterprises for row in e.rows], columns[nblock:]),
                     [fmt in NUMERIC for fmt in item_fmts])
    under_block = [None] * nblock
    r, k = header + 1, 0        # k: the row's index in the table, as in `odd`
    for e, (ent, block) in enumerate(zip(enterprises, blocks)):
        last = r + len(ent.rows) - 1
        if last > r:
            for c, fmt in enumerate(block_fmts):
                ws.merge_cells(r, c, last, c, w.f[fmt])
        rows = iter(ent.rows)
        first_row.write(ws, r, block + items(next(rows)), k not in odd and e not in odd_blocks)
        for at, item in enumerate(rows, start=r + 1):
            k += 1
            next_row.write(ws, at, under_block + items(item), k not in odd)
        k += 1
        r = last + 1
    total = sum((e.estimate.base for e in enterprises), start=type(enterprises[0].estimate.base)(0)) \
        if enterprises else 0
    w.row(ws, r, ["合计"] + [float(total) if col == amount_col else None for col in columns[1:]],
          ["total"] + ["total_money" if col == amount_col else "total" for col in columns[1:]])
    w.page(ws, header, ncols, _widths(columns, [row for e in enterprises[:2000] for row in e.rows]))


def _subsidy_sheet(w: _Writer, ws, report: Report) -> None:
    cols = sheets.SUBSIDY
    ws.merge_range(0, 0, 0, len(cols) - 1, "补助测算（仅供参考，以省级审核为准）", w.f["title"])
    for c, name in enumerate(cols):
        w.cell(ws, 1, c, name, "head")
    fmts = ["int", "center", "text", "center", "center", "text", "center", "money", "pct", "money",
            "money", "center", "text"]
    *rows, total = sheets.subsidy_rows(report)
    layout = w.layout(fmts)
    for values in rows:
        values[0] = float(values[0])
    odd = _irregular(map(list, zip(*rows)), [f in NUMERIC for f in fmts]) if rows else set()
    for r, values in enumerate(rows, start=2):
        layout.write(ws, r, values, r - 2 not in odd)
    r = len(rows) + 2
    ws.write_string(r, 0, "合计", w.f["total"])
    for c in range(1, len(cols)):
        if total[c] is None:
            ws.write_blank(r, c, None, w.f["total"])
        else:
            ws.write_number(r, c, total[c], w.f["total_money"])
    w.page(ws, 1, len(cols), [6, 16, 30, 10, 14, 28, 14, 14, 10, 14, 14, 12, 36])


def _issues_sheet(w: _Writer, ws, report: Report, out_dir: Path) -> None:
    cols = ["序号", "严重程度", "问题代码", "文件", "工作表", "单元格", "列", "说明"]
    ws.merge_range(0, 0, 0, len(cols) - 1, "问题清单", w.f["title"])
    for c, name in enumerate(cols):
        w.cell(ws, 1, c, name, "head")
    for n, issue in enumerate(report.issues, start=1):
        r = n + 1
        sev = "错误" if issue.severity == "error" else "警告"
        w.cell(ws, r, 0, n, "int")
        w.cell(ws, r, 1, sev, "error" if issue.severity == "error" else "warning")
        w.cell(ws, r, 2, issue.code)
        target = _link(issue, out_dir)
        if target and n < 65000:
            ws.write_url(r, 3, target, w.f["link"], safe_text(Path(issue.path).name), tip="打开报送文件并定位到该单元格")
        else:
            w.cell(ws, r, 3, Path(issue.path).name)
        w.cell(ws, r, 4, issue.sheet)
        w.cell(ws, r, 5, issue.cell)
        w.cell(ws, r, 6, issue.column)
        w.cell(ws, r, 7, issue.message)
    ws.autofilter(1, 0, max(1, len(report.issues) + 1), len(cols) - 1)
    w.page(ws, 1, len(cols), [6, 9, 26, 34, 12, 9, 18, 80])


def _link(issue, out_dir: Path) -> str | None:
    try:
        rel = os.path.relpath(Path(issue.path).resolve(), out_dir.resolve())
    except ValueError:  # another drive on Windows
        rel = str(Path(issue.path).resolve())
    anchor = f"#'{issue.sheet.replace(chr(39), chr(39) * 2)}'!{issue.cell}" if issue.sheet and issue.cell else ""
    target = f"external:{rel}{anchor}"
    return target if len(target) < 250 else None


def _inputs_sheet(w: _Writer, ws, report: Report, clusters: ClusterList) -> None:
    cols = sheets.INPUTS
    ws.merge_range(0, 0, 0, len(cols) - 1, "报送情况", w.f["title"])
    for c, name in enumerate(cols):
        w.cell(ws, 1, c, name, "head")
    *rows, total = sheets.input_rows(report)
    for r, values in enumerate(rows, start=2):
        for c, v in enumerate(values):
            w.cell(ws, r, c, v, "int" if isinstance(v, int) else "text")
    r = len(rows) + 2
    for c, v in enumerate(total):
        w.cell(ws, r, c, v, "int" if isinstance(v, int) else "total")
    r += 2
    cities = cities_of(report)
    if len(cities) > 1:  # province level: which cities sent nothing
        missing = [c for c in clusters.cities if c not in cities]
        ws.write_string(r, 0, "未报送的设区市", w.f["part"])
        label = "设区市"
    else:
        missing = missing_counties(report, clusters)
        ws.write_string(r, 0, f"{report.city or ''}未报送的县（市、区）（依据可申报集群名单）", w.f["part"])
        label = "县（市、区）"
    r += 1
    w.cell(ws, r, 0, "序号", "head")
    w.cell(ws, r, 1, label, "head")
    if not missing:
        w.cell(ws, r + 1, 1, "无")
    for n, name in enumerate(missing, start=1):
        w.cell(ws, r + n, 0, n, "int")
        w.cell(ws, r + n, 1, name)
    w.page(ws, 1, len(cols), [6, 40, 10, 22, 10, 10, 10, 30])


SPLIT_FROM = 20_000      # part 一 rows from which the summary is written as two workbooks at once


@dataclass
class _Summary:
    report: Report
    clusters: ClusterList
    title: str
    caption: str
    part1: list[str]
    out_dir: Path


def write_summary(report: Report, path: str | Path, clusters: ClusterList | None = None,
                  title: str = "2026年度河北省特色产业集群“领跑者”企业培育推荐项目汇总表",
                  engine: str | None = None, split: bool | None = None) -> Path:
    """split: write part 一 and the other sheets as two workbooks at once, then join them
    (None: when part 一 is large; see _write_split)."""
    from .xlsx_engine import engine_name

    path = Path(path)
    province = len(cities_of(report)) > 1
    who = "河北省" if province else f"{report.city}市" if report.city else ""
    summary = _Summary(report, clusters or default_clusters(), title,
                       f"填报单位：{who}工业和信息化局" if who and not province else "汇总范围：各设区市（含定州、辛集）",
                       PART1[:2] + ["所在地市"] + PART1[2:] if province else PART1, path.parent)
    engine = engine or engine_name()
    rows = sum(len(e.rows) for e in report.enterprises["table1"])
    if split is None:
        split = rows >= SPLIT_FROM
    with atomic_path(path) as tmp, collector_paused():
        if not (split and engine == "rust" and _write_split(summary, tmp)):
            _write(summary, tmp, engine)
    return path


def _write(s: _Summary, path: Path, engine: str, part1_upto: int | None = None, only_part1: bool = False):
    """The summary workbook; part 一 holds its first `part1_upto` enterprises (all: None).
    only_part1: that sheet alone, and the workbook is returned unclosed."""
    from .xlsx_engine import open_workbook

    wb = open_workbook(path, engine)
    wb.set_properties({"title": s.title, "author": "xl_addin", "created": _created()})
    w = _Writer(wb)
    _part(w, wb.add_worksheet(PART1_SHEET, row_order=True), s.title, PART1_TITLE, s.caption, s.part1, MERGED1,
          s.report.enterprises["table1"][:part1_upto], "总价")
    if only_part1:
        return wb
    _part(w, wb.add_worksheet(PART2_SHEET, row_order=True), s.title, PART2_TITLE, s.caption, PART2, MERGED2,
          s.report.enterprises["table2"], "投资金额")
    _subsidy_sheet(w, wb.add_worksheet(SUBSIDY_SHEET, row_order=True), s.report)
    _issues_sheet(w, wb.add_worksheet(ISSUES_SHEET, row_order=True), s.report, s.out_dir)
    _inputs_sheet(w, wb.add_worksheet(INPUTS_SHEET, row_order=True), s.report, s.clusters)
    wb.close()
    return None


def _write_split(s: _Summary, path: Path) -> bool:
    """Write the summary as two workbooks at once; False (a file to overwrite) when their
    styles disagree, and the caller writes it as one. Most of the writer's time is
    compressing, which the Rust binding and zlib do without holding Python's lock: so part
    一, the bulk of a province's summary, is written as a workbook of its own, closed and
    copied (with its merges) into the summary file in a thread, while this thread writes the
    whole workbook with part 一 cut after its first enterprise; its other parts follow (a
    package's parts are found by name, in any order). Styles are numbered in order of first
    use, and both part 一 sheets start alike, so the numbers agree; this is checked, not
    assumed (a style only a later row uses, e.g. a date typed in a text column, would differ)."""
    import zipfile
    from concurrent.futures import ThreadPoolExecutor

    from .xlsx_engine import copy_part, new_package, styles_extend

    rest, part1 = path.with_name(path.name + ".rest"), path.with_name(path.name + ".part1")
    sheet = "xl/worksheets/sheet1.xml"
    try:
        book = _write(s, part1, "rust", only_part1=True)
        with new_package(path) as out:
            def part1_into_summary() -> None:
                merges = book.close(add_merges_now=False)
                with zipfile.ZipFile(part1) as src:
                    copy_part(src, sheet, out, merges.get(sheet))

            with ThreadPoolExecutor(1) as pool:
                done = pool.submit(part1_into_summary)
                _write(s, rest, "rust", part1_upto=1)
                done.result()
            if not styles_extend(rest, part1):
                return False
            with zipfile.ZipFile(rest) as src:
                for info in src.infolist():
                    if info.filename != sheet:
                        copy_part(src, info.filename, out)
        return True
    finally:
        for f in (rest, part1):
            f.unlink(missing_ok=True)


def _created() -> dt.datetime:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).replace(tzinfo=None) if epoch \
        else dt.datetime.now().replace(microsecond=0)
