"""Write the city (or province) summary workbook: the official 附表 layout plus
补助测算, 问题清单 and 报送情况. Every input string is written with write_string
(never as a formula); amounts are numbers, totals are values."""
from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import os
import re
import sys
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from xl_addin.render import sheets, writer_process
from xl_addin.consolidate.machinery import collector_paused
from xl_addin.model import Report
from xl_addin.declare.reference import ClusterList, default_clusters
from xl_addin.render.atomic import atomic_path

SUBSIDY_SHEET, ISSUES_SHEET, INPUTS_SHEET = (sheets.OUTPUTS[k]["sheet"] for k in ("subsidy", "issues", "inputs"))
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


class Writer:
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
        elif isinstance(value, (dt.date, dt.datetime)) and value.year < 1900:    # no Excel date: as typed
            ws.write_string(r, c, value.isoformat(), f)
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

    def register(self, ws) -> None:
        """Use every format once, in one order, on the sheet's first cell (its title replaces
        them): styles are numbered in order of first use, so workbooks that begin with this
        number them alike and their sheets can be joined into one (see _write_split)."""
        for f in self.f.values():
            ws.write_blank(0, 0, None, f)

    def layout(self, fmts: list[str]) -> "_Layout":
        return _Layout(self, fmts)

    def page(self, ws, header_row: int, ncols: int, widths: list[float]):
        a4_landscape(ws, header_row)
        ws.freeze_panes(header_row + 1, 0)
        for c, w in enumerate(widths[:ncols]):
            ws.set_column(c, c, w)

    def heading(self, ws, title: str, part: str, unit_caption: str, ncols: int, unit: str | None) -> int:
        ws.merge_range(0, 0, 0, ncols - 1, title, self.f["title"])
        ws.set_row(0, 30)
        ws.merge_range(1, 0, 1, ncols - 1, part, self.f["part"])
        if unit:
            ws.merge_range(2, 0, 2, ncols - 3, unit_caption, self.f["caption"])
            ws.merge_range(2, ncols - 2, 2, ncols - 1, f"单位：{unit}", self.f["unit"])
        else:
            ws.merge_range(2, 0, 2, ncols - 1, unit_caption, self.f["caption"])
        return 3


NUMERIC = {"money", "pct", "int", "total_money"}
_DATES = (dt.date, dt.datetime)


def _holds(fmt: str) -> str:
    """What a fast run of cells in this format holds: numbers, dates or text (blanks in each)."""
    return "number" if fmt in NUMERIC else "date" if fmt == "date" else "text"


def _plain_number(v) -> bool:
    return type(v) is float or v is None


def _plain_date(v) -> bool:
    return v is None or type(v) in _DATES and v.year >= 1900       # (Excel has no date before 1900)


def _plain_text(v) -> bool:
    return v is None or (type(v) is str and v != "" and len(v) <= MAX_CELL_TEXT and v.isprintable())


PLAIN = {"number": _plain_number, "date": _plain_date, "text": _plain_text}


def _irregular(rows: list[list], holds: list[str]) -> set[int]:
    """The indexes of the rows holding a value a _Layout must write cell by cell, found a
    column at a time with C-level calls (measured at N = 1,000: part 一's rows in 0.9 s
    against 1.5 s checked run by run); only a column that fails is looked at value by value."""
    odd: set[int] = set()
    # one C-level transposition (a comprehension per column costs 4x as much: measured)
    columns = zip(*rows) if len(set(map(len, rows))) == 1 else ([row[c] for row in rows] for c in range(len(holds)))
    for held, col in zip(holds, columns):
        types = set(map(type, col))
        if held == "number" and types <= {float, type(None)}:
            continue
        if held == "date" and all(map(_plain_date, col)):
            continue
        if held == "text" and types <= {str, type(None)} and "" not in col:
            texts = list(filter(None, col))
            if all(map(str.isprintable, texts)) and max(map(len, texts), default=0) <= MAX_CELL_TEXT:
                continue
        plain = PLAIN[held]
        odd.update(k for k, v in enumerate(col) if not plain(v))
    return odd


class _Layout:
    """The formats of one kind of row, as runs of adjacent cells with the same format.
    A run whose values have the expected types (numbers in a numeric format, dates in the
    date format; printable text or blanks otherwise) goes to the writer in one call: the
    per-call and per-cell Python costs decide the time of a province's summary. Anything
    else (booleans, text in an amount or a date column, control characters) goes cell by
    cell, as Writer.cell writes it (a date column's odd cells in the text format)."""

    def __init__(self, w: Writer, fmts: list[str]):
        self.w, self.fmts = w, fmts
        self.slow = ["text" if name == "date" else name for name in fmts]
        self.runs: list[tuple[int, int, str, object]] = []      # (first, end, held, format)
        self.holds = [_holds(name) for name in fmts]
        for c, name in enumerate(fmts):
            if c and name == fmts[c - 1]:
                first, _, held, fmt = self.runs[-1]
                self.runs[-1] = (first, c + 1, held, fmt)
            else:
                self.runs.append((c, c + 1, _holds(name), w.f[name]))

    def write(self, ws, r: int, values: list, checked: bool = False) -> None:
        """checked: every value is known to be of its format's type (see _irregular)."""
        if checked:
            for first, end, _, fmt in self.runs:
                ws.write_row(r, first, values[first:end], fmt)
            return
        for first, end, held, fmt in self.runs:
            run = values[first:end]
            if all(map(PLAIN[held], run)):
                ws.write_row(r, first, run, fmt)
            else:
                self.w.row(ws, r, run, self.slow[first:end], first)


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


def _widths(p: "sheets.Part") -> list[float]:
    """The spec's width of a column, else its text's (header and the first 2,000 rows), 8 to 24."""
    out = []
    sample = p.rows[:2000]
    for c, head in enumerate(p.columns):
        width = p.spec.field(p.fields[c - 1]).width if c else None
        if width:
            out.append(float(width))
            continue
        longest = max([text_width(head)] + [text_width(r[c] or "") for r in (sample[:-1] if p.has_total else sample)])
        out.append(min(max(longest + 2, 8), 24))
    return out


def _part(w: Writer, ws, title: str, caption: str, p: "sheets.Part", city: str | None = None) -> None:
    """Written top to bottom, a row at a time (the sheet streams to disk: a province's
    80,000 rows never sit in memory as cells); the enterprise cells (the leading columns)
    are merged over their rows, and the cells under them are bordered blanks."""
    widths = _numbered(p)
    sheet = PartSheet(w, ws, title, caption, p, city)
    sheet.rows(p.body, p.spans)
    sheet.end(p.rows[-1] if p.has_total else None, widths)


def _numbered(p: "sheets.Part") -> list[float]:
    """The part's row numbers as the cells hold them (floats: a run of numbers goes to the
    writer in one call), and its column widths, measured on those."""
    for values in p.body:
        if values[0] is not None:
            values[0] = float(values[0])
    return _widths(p)


class PartSheet:
    """A part's sheet written in blocks of body rows (all at once here, or a block at a time
    by a helper process; see writer_process): the heading and header first, then the rows,
    then the 合计 row and the page set-up."""

    def __init__(self, w: Writer, ws, title: str, caption: str, p: "sheets.Part", city: str | None = None):
        """p: the part (its rows are not read here)."""
        self.w, self.ws, self.spec, self.ncols, nblock = w, ws, p.spec, len(p.columns), p.merged
        self.fields = p.fields
        spec = p.spec
        self.header = w.heading(ws, sheets.sheet_title(spec, title, city), sheets.part_title(spec, city), caption,
                                self.ncols, spec.unit)
        ws.set_row(self.header, 33)     # 44 pixels (see RustSheet.set_row)
        for c, name in enumerate(p.columns):
            w.cell(ws, self.header, c, name, "head")
        kinds = [spec.field(f) for f in p.fields]
        self.block_fmts = ["int"] + ["text" if f.id == spec.key else "center" for f in kinds[:nblock - 1]]
        item_fmts = ["money" if f.type in ("amount", "percent") else "int" if f.type == "integer"
                     else "date" if f.type == "date" else "text" for f in kinds[nblock - 1:]]
        self.first_row = w.layout(self.block_fmts + item_fmts)
        self.next_row = w.layout(["text"] * nblock + item_fmts)
        self.next = self.header + 1          # the sheet row of the next body row

    def rows(self, body: list[list], spans: list[tuple[int, int, int]]) -> None:
        """The next body rows, numbered as _numbered leaves them; spans: (first, last, column)
        merged down, counted from the block's first row (a span may end in a later block)."""
        w, ws, first_row, next_row = self.w, self.ws, self.first_row, self.next_row
        ends = {a: b for a, b, c in spans if c == 0}
        odd = _irregular(body, [a if a != "text" else b for a, b in zip(first_row.holds, next_row.holds)]) \
            if body else set()
        r = self.next
        for k, values in enumerate(body):
            if k in ends:
                for c, fmt in enumerate(self.block_fmts):
                    ws.merge_cells(r + k, c, r + ends[k], c, w.f[fmt])
            (first_row if values[0] is not None else next_row).write(ws, r + k, values, k not in odd)
        self.next += len(body)

    def end(self, total: list | None, widths: list[float]) -> None:
        if total is not None:
            self.w.row(self.ws, self.next, [total[0]] + [None if v is None else float(v) for v in total[1:]],
                       ["total"] + ["total_money" if f == self.spec.amount else "total" for f in self.fields])
        self.w.page(self.ws, self.header, self.ncols, widths)


def _subsidy_sheet(w: Writer, ws, subsidy_rows: list[list]) -> None:
    out = sheets.OUTPUTS["subsidy"]
    cols = out["columns"]
    ws.merge_range(0, 0, 0, len(cols) - 1, out["title"], w.f["title"])
    for c, name in enumerate(cols):
        w.cell(ws, 1, c, name, "head")
    fmts = ["int", "center", "text", "center", "center", "text", "center", "money", "pct", "money",
            "money", "center", "text"]
    *rows, total = subsidy_rows
    layout = w.layout(fmts)
    for values in rows:
        values[0] = float(values[0])
    odd = _irregular(rows, layout.holds) if rows else set()
    for r, values in enumerate(rows, start=2):
        layout.write(ws, r, values, r - 2 not in odd)
    r = len(rows) + 2
    ws.write_string(r, 0, total[0], w.f["total"])
    for c in range(1, len(cols)):
        if total[c] is None:
            ws.write_blank(r, c, None, w.f["total"])
        else:
            ws.write_number(r, c, total[c], w.f["total_money"])
    w.page(ws, 1, len(cols), out["widths"])


def issues_sheet(w: Writer, ws, report: Report, out_dir: Path) -> None:
    out = sheets.OUTPUTS["issues"]
    cols = out["columns"]
    ws.merge_range(0, 0, 0, len(cols) - 1, out["title"], w.f["title"])
    for c, name in enumerate(cols):
        w.cell(ws, 1, c, name, "head")
    for n, values in enumerate(sheets.issue_rows(report), start=1):
        r, issue = n + 1, report.issues[n - 1]
        w.cell(ws, r, 0, n, "int")
        w.cell(ws, r, 1, values[1], "error" if issue.severity == "error" else "warning")
        w.cell(ws, r, 2, values[2])
        target = _link(issue, out_dir)
        if target and n < 65000:
            ws.write_url(r, 3, target, w.f["link"], safe_text(values[3]), tip="打开报送文件并定位到该单元格")
        else:
            w.cell(ws, r, 3, values[3])
        for c in range(4, len(cols)):
            w.cell(ws, r, c, values[c])
    ws.autofilter(1, 0, max(1, len(report.issues) + 1), len(cols) - 1)
    w.page(ws, 1, len(cols), out["widths"])


def _materials_sheet(w: Writer, ws, documents: list[str], rows: list[list]) -> None:
    """材料核对: one row per accepted enterprise, one column per document (不适用 where its
    project needs none), with a 已收/缺/不适用 dropdown to fill."""
    out = sheets.OUTPUTS["materials"]
    cols = out["columns"] + documents
    ws.merge_range(0, 0, 0, len(cols) - 1, out["title"], w.f["title"])
    ws.set_row(1, 90)
    for c, name in enumerate(cols):
        w.cell(ws, 1, c, name, "head")
    first = len(out["columns"])
    layout = w.layout(["int", "text", "center", "center", "int"] + ["center"] * len(documents))
    for values in rows:
        values[0], values[4] = float(values[0]), float(values[4])
    odd = _irregular(rows, layout.holds) if rows else set()
    for r, values in enumerate(rows, start=2):
        layout.write(ws, r, values, r - 2 not in odd)
    ws.data_validation_list(2, first, len(rows) + 1, len(cols) - 1, out["choices"])
    w.page(ws, 1, len(cols), out["widths"] + [out["document_width"]] * len(documents))


def _materials(w: Writer, ws, data: tuple[list[str], list[list]]) -> None:
    _materials_sheet(w, ws, *data)


def _conditions_sheet(w: Writer, ws, report: Report, spec) -> None:
    """条件核对: per accepted enterprise, the condition columns and each condition's verdict
    (符合, 不符合 when its check reported the row, 未填写 without the data, 未核对 when the check
    did not run)."""
    cols, verdicts = sheets.conditions(report, spec)
    ws.merge_range(0, 0, 0, len(cols) - 1, f"{spec.label}条件核对", w.f["title"])
    for c, name in enumerate(cols):
        w.cell(ws, 1, c, name, "head")
    for r, values in enumerate(verdicts, start=2):
        w.row(ws, r, values, ["int"] + ["text"] * (len(cols) - 1))
    w.page(ws, 1, len(cols), [6] + [min(max(text_width(c) + 2, 10), 30) for c in cols[1:]])


@functools.lru_cache(maxsize=4096)
def _relative(path: str, out_dir: Path) -> str:
    """An input's path relative to the summary's folder (resolved once per input, not per issue)."""
    try:
        return os.path.relpath(Path(path).resolve(), out_dir.resolve())
    except ValueError:  # another drive on Windows
        return str(Path(path).resolve())


def _link(issue, out_dir: Path) -> str | None:
    rel = _relative(issue.path, out_dir)
    in_sheet = issue.sheet and issue.cell and not Path(issue.path).suffix.lower() == ".docx"   # a Word form: the file
    anchor = f"#'{issue.sheet.replace(chr(39), chr(39) * 2)}'!{issue.cell}" if in_sheet else ""
    target = f"external:{rel}{anchor}"
    return target if len(target) < 250 else None


def inputs_sheet(w: Writer, ws, report: Report, clusters: ClusterList | None, missing: bool = True) -> None:
    """报送情况: a row per input, the totals, and (missing) the counties or cities that sent nothing."""
    out = sheets.OUTPUTS["inputs"]
    cols = out["columns"]
    ws.merge_range(0, 0, 0, len(cols) - 1, out["title"], w.f["title"])
    for c, name in enumerate(cols):
        w.cell(ws, 1, c, name, "head")
    *rows, total = sheets.input_rows(report)
    for r, values in enumerate(rows, start=2):
        for c, v in enumerate(values):
            w.cell(ws, r, c, v, "int" if isinstance(v, int) else "text")
    r = len(rows) + 2
    for c, v in enumerate(total):
        w.cell(ws, r, c, v, "int" if isinstance(v, int) else "total")
    if not missing:
        w.page(ws, 1, len(cols), out["widths"])
        return
    r += 2
    from xl_addin.consolidate.pipeline import cities_of, missing_counties   # (loads pandas: not at import)

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
    w.cell(ws, r, 0, out["missing_columns"][0], "head")
    w.cell(ws, r, 1, label, "head")
    if not missing:
        w.cell(ws, r + 1, 1, "无")
    for n, name in enumerate(missing, start=1):
        w.cell(ws, r + n, 0, n, "int")
        w.cell(ws, r + n, 1, name)
    w.page(ws, 1, len(cols), out["widths"])


REPORT_SHEET = "_xl_addin"      # hidden: the run's REPORT.json, for `xl-addin report`
REPORT_CHUNK = 30000             # characters per cell (Excel's limit is 32,767)


SPLIT_FROM = 20_000      # rows of the first part from which the summary is written as several workbooks at once
APART_FROM = 2_000       # body rows from which a sheet of a split summary is a workbook of its own
HELP_FROM = 20_000       # body rows from which a part of a split summary is written by a helper process


@dataclass
class _Summary:
    report: Report
    clusters: ClusterList
    title: str
    caption: str
    province: bool
    out_dir: Path
    shown: list          # the table specs whose parts the summary shows, in sheet order


def write_summary(report: Report, path: str | Path, clusters: ClusterList | None = None,
                  title: str = "2026年度河北省特色产业集群“领跑者”企业培育推荐项目汇总表",
                  engine: str | None = None, split: bool | None = None) -> Path:
    """The summary workbook: each table's official part, then 补助测算, 问题清单 and 报送情况,
    and the run's own result (REPORT.json, compressed) on a hidden sheet. split: write the
    large sheets as workbooks of their own at once, then join them (None: when the first
    part is large; see _write_split)."""
    from xl_addin.render.xlsx_engine import engine_name

    from xl_addin.consolidate.pipeline import cities_of

    path = Path(path)
    province = len(cities_of(report)) > 1
    who = "河北省" if province else f"{report.city}市" if report.city else ""
    caption = f"填报单位：{who}工业和信息化局" if who and not province else "汇总范围：各设区市（含定州、辛集）"
    shown = sheets.shown(report)
    summary = _Summary(report, clusters or default_clusters(), title, caption, province, path.parent, shown)
    engine = engine or engine_name()
    if split is None:
        split = bool(shown) and _body_rows(report, shown[0]) >= SPLIT_FROM and not shown[0].summary.no_total
    with atomic_path(path) as tmp, collector_paused(), _quick_switching():
        if not (split and engine == "rust" and _write_split(summary, tmp)):
            _write(summary, tmp, engine)
    return path


@dataclass
class _Sheet:
    """One sheet of the summary: its name, its rows (made when first needed, dropped once
    written) and how to write them."""
    name: str
    write: Callable[[Writer, object, object], None]        # (writer, worksheet, data)
    make: Callable[[], object] = lambda: None
    rows: int = 0                                          # body rows
    cut: Callable[[object], object] | None = None          # the data cut after its first body row
    #                                                        (given: the sheet can be written apart)
    data: object = None                                    # made already (take() hands it over once)

    def take(self) -> object:
        data = self.make() if self.data is None else self.data
        self.data = None        # the caller holds it while it writes: a province's rows, once
        return data


def _cut(part: "sheets.Part", upto: int) -> "sheets.Part":
    return sheets.Part(part.spec, part.columns, part.fields, part.rows[:upto] + (part.rows[-1:] if part.has_total else []),
                       [x for x in part.spans if x[1] < upto], part.total, part.merged, part.has_total)


def _body_rows(report: Report, spec) -> int:
    return sum(len(e.rows) for e in report.enterprises[spec.id])


def _sheets(s: _Summary) -> list[_Sheet]:
    """The summary's sheets in order: each table's part, 补助测算, 材料核对, 条件核对, 问题清单,
    报送情况 and the hidden REPORT.json. Each sheet's rows are made from the report when it
    is written (again, if a split has to be written whole)."""
    report = s.report
    out = [_Sheet(spec.summary.sheet, lambda w, ws, part: _part(w, ws, s.title, s.caption, part, report.city),
                  functools.partial(sheets.part, spec, report.enterprises[spec.id], s.province),
                  _body_rows(report, spec), lambda part: _cut(part, 1))
           for spec in s.shown]
    subsidised = [spec for spec in s.shown if spec.enterprise.get("subsidy")]
    if subsidised:
        out.append(_Sheet(SUBSIDY_SHEET, _subsidy_sheet, lambda: sheets.subsidy_rows(report),
                          sum(len(report.enterprises[spec.id]) for spec in subsidised), lambda rows: rows[:1] + rows[-1:]))
    projects = sum(len(report.enterprises[spec.id]) for spec in report.specs if spec.report.get("project"))
    if projects:
        out.append(_Sheet(sheets.OUTPUTS["materials"]["sheet"], _materials,
                          lambda: sheets.material_rows(report), projects, lambda data: (data[0], data[1][:1])))
    for spec in report.specs:
        if spec.conditions and report.enterprises[spec.id]:
            out.append(_Sheet(spec.conditions["sheet"], functools.partial(
                lambda w, ws, _, spec: _conditions_sheet(w, ws, report, spec), spec=spec)))
    out.append(_Sheet(ISSUES_SHEET, lambda w, ws, _: issues_sheet(w, ws, report, s.out_dir)))
    out.append(_Sheet(INPUTS_SHEET, lambda w, ws, _: inputs_sheet(w, ws, report, s.clusters)))
    out.append(_Sheet(REPORT_SHEET, lambda w, ws, _: _report_sheet(ws, report)))
    return out


def _write(s: _Summary, path: Path, engine: str, plan: list[_Sheet] | None = None, only: int | None = None,
           register: bool = False):
    """The summary workbook, or (only) its sheet k alone, returned unclosed. register: the
    workbook numbers its styles as every workbook of a split does (Writer.register)."""
    wb, w = open_book(path, engine, s.title)
    for k, sheet in enumerate(plan or _sheets(s)):
        if only is not None and k != only:
            continue
        ws = wb.add_worksheet(sheet.name, row_order=True)
        if register and (k == 0 or only is not None):
            w.register(ws)
        sheet.write(w, ws, sheet.take())
    if only is not None:
        return wb
    wb.close()
    return None


def open_book(path: str | Path, engine: str, title: str | None = None):
    """(workbook, its Writer): a new summary workbook with the writer's formats."""
    from xl_addin.render.xlsx_engine import open_workbook

    wb = open_workbook(path, engine)
    wb.set_properties({"title": title, "author": "xl_addin", "created": _created()})
    return wb, Writer(wb)


def _helped(s: _Summary, plan: list[_Sheet], apart: list[int]) -> list[int]:
    """The sheets helper processes write (see writer_process): the largest part and the largest
    other sheet that can be sent whole (its writer a function pickle sends by name), each if it
    has HELP_FROM rows. Measured at N = 1,000 (many small enterprises): the write in 5.1 s with
    one helper (the part) against 6.0 with none; with the second (补助测算) and the one-write
    feeder, the CLI's run 13.7-14.4 s against 14.3-16.1 (4 alternating rounds), the tree's peak
    263 MB against 258 (the sheet's rows leave this process at once, as this process would have
    held them while writing them; waiting behind the part in one helper, they cost 45 MB)."""
    import pickle

    def sendable(k: int) -> bool:
        try:
            pickle.dumps(plan[k].write)
        except (pickle.PicklingError, AttributeError, TypeError):
            return False
        return True

    parts = [k for k in apart if k < len(s.shown)]
    others = [k for k in apart if k >= len(s.shown) and sendable(k)]
    return [max(group, key=lambda k: plan[k].rows) for group in (parts, others)
            if group and max(plan[k].rows for k in group) >= HELP_FROM]


_switching = {"depth": 0, "interval": 0.0, "lock": threading.Lock()}


@contextlib.contextmanager
def _quick_switching():
    """Python's thread switch interval at 1 ms (5 by default) for the block: a thread that
    copies a part gets the lock back sooner after each zlib call while this one writes (part
    一's copy took 0.2-0.6 s against 0.6-0.8, in noisy single runs; with ISA-L, the write's
    min of 3 rounds 3.13-3.97 s against 3.68-4.02). Counted, so that summaries written at once
    in several threads (the page) restore the interval only when the last one ends."""
    with _switching["lock"]:
        if not _switching["depth"]:
            _switching["interval"] = sys.getswitchinterval()
            sys.setswitchinterval(min(0.001, _switching["interval"]))
        _switching["depth"] += 1
    try:
        yield
    finally:
        with _switching["lock"]:
            _switching["depth"] -= 1
            if not _switching["depth"]:
                sys.setswitchinterval(_switching["interval"])


def _write_split(s: _Summary, path: Path) -> bool:
    """Write the summary as several workbooks at once; False (a file to overwrite) when their
    styles disagree, and the caller writes it as one. Most of the writer's time is compressing,
    which the Rust binding and zlib do without holding Python's lock: so each large sheet (the
    parts, 补助测算, 材料核对) is written as a workbook of its own, then closed and copied (with
    its merges) into the summary file in a thread, while this thread goes on with the next;
    the last workbook holds every sheet, the large ones cut after their first body row, and gives
    the summary its other parts (a package's parts are found by name, in any order). Every
    workbook uses the writer's formats first, in one order (Writer.register), so their style
    numbers agree; this is checked, not assumed. Measured at N = 1,000 on the many-small-
    enterprises corpus: 5.0 s against 6.2 s with the first part alone apart, 8 s as one."""
    import zipfile
    from concurrent.futures import ThreadPoolExecutor

    from xl_addin.render.xlsx_engine import copy_part, new_package, styles_extend

    plan = _sheets(s)
    apart = [k for k, sheet in enumerate(plan) if sheet.cut and sheet.rows >= APART_FROM]
    if not apart:
        return False
    files = {k: path.with_name(f"{path.name}.{k}") for k in apart}
    rest = path.with_name(path.name + ".rest")
    sheet_part = "xl/worksheets/sheet{}.xml".format
    helpers = {k: writer_process.start() for k in _helped(s, plan, apart)}
    try:
        # (a thread per helper waits for its reply; two close and copy what this process wrote)
        with new_package(path) as out, ThreadPoolExecutor(2 + len(helpers)) as pool:
            lock = threading.Lock()         # one part at a time into the summary's zip

            def copy(k: int, merges: dict) -> None:
                with zipfile.ZipFile(files[k]) as src, lock:
                    copy_part(src, sheet_part(1), out, merges.get(sheet_part(1)), as_name=sheet_part(k + 1))

            def helped_into_summary(k: int) -> None:
                try:
                    merges = helpers[k].result()
                except RuntimeError:        # the helper failed: this process writes the sheet after all
                    again = [dataclasses.replace(plan[k], data=None)]       # (its rows made anew)
                    merges = _write(s, files[k], "rust", again, only=0, register=True).close(add_merges_now=False)
                copy(k, merges)

            done = []
            for k in sorted(apart, key=lambda k: helpers.get(k) is None):          # the helpers' first
                plan[k].data = full = plan[k].take()
                helper = helpers.get(k)
                if helper is not None:
                    if k < len(s.shown):        # a part: in blocks of rows
                        helper.write_part(files[k], s.title, s.caption, full, s.report.city, _numbered(full))
                    else:
                        helper.write_sheet(files[k], plan[k].name, plan[k].write, full)
                    done.append(pool.submit(helped_into_summary, k))
                else:
                    book = _write(s, files[k], "rust", plan, only=k, register=True)
                    done.append(pool.submit(lambda book, k: copy(k, book.close(add_merges_now=False)), book, k))
                plan[k].data = plan[k].cut(full)      # the whole rows are dropped: the last workbook needs one
                del full
            _write(s, rest, "rust", plan, register=True)
            for job in done:
                job.result()
            if not all(styles_extend(rest, files[k]) for k in apart):
                return False
            taken = {sheet_part(k + 1) for k in apart}
            with zipfile.ZipFile(rest) as src:
                for info in src.infolist():
                    if info.filename not in taken:
                        copy_part(src, info.filename, out)
        return True
    finally:
        for helper in helpers.values():
            if helper is not None:
                helper.stop()
        for f in (rest, *files.values()):
            f.unlink(missing_ok=True)


def _report_sheet(ws, report: Report) -> None:
    """REPORT.json, zlib-compressed and base64-encoded, in column A: `xl-addin report` reads
    the run's own result back instead of reading the summary as county input. The items go
    as rows of values under their headers (a province's 80,000 items as dicts would take
    the writer a second more: measured 1.1 s against 0.3 s)."""
    import base64
    import zlib

    packer, parts = zlib.compressobj(1), []

    def put(text: str) -> None:
        parts.append(packer.compress(text.encode("utf-8")))

    # written a block of enterprises at a time (json's C encoder runs only whole: one dumps per
    # block), so a province's JSON never sits in memory whole
    put(dump(report.to_dict(items=False))[:-1] + ',"_items":{')
    for n, kind in enumerate(k for k in report.tables if k in report.item_columns):
        columns = report.item_columns[kind] + report.optional_columns.get(kind, [])
        put(("," if n else "") + dump(kind) + ':{"columns":' + dump(columns) + ',"optional":'
            + dump(report.optional_columns.get(kind, [])) + ',"rows":[')
        ents = report.enterprises[kind]
        sample = next((e.rows[0] for e in ents if e.rows), None)
        take = sample.taker(columns) if hasattr(sample, "taker") else lambda row: [row.get(h) for h in columns]
        for at in range(0, len(ents), 2000):
            block = [[take(row) for row in e.rows] for e in ents[at:at + 2000]]
            put(("," if at else "") + dump(block)[1:-1])
        put("]}")
    put("}}")
    parts.append(packer.flush())
    text = base64.b64encode(b"".join(parts)).decode("ascii")
    for r, at in enumerate(range(0, len(text), REPORT_CHUNK)):
        ws.write_string(r, 0, text[at:at + REPORT_CHUNK])
    ws.hide()


def read_embedded_report(path: str | Path) -> dict | None:
    """The REPORT.json a summary written by xl_addin carries, or None (a hand-made summary)."""
    import base64
    import json
    import zlib

    import python_calamine

    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        if REPORT_SHEET not in book.sheet_names:
            return None
        rows = book.get_sheet_by_name(REPORT_SHEET).to_python()
        text = "".join(str(r[0]) for r in rows if r and r[0])
        data = json.loads(zlib.decompress(base64.b64decode(text)).decode("utf-8"))
    except Exception:
        return None
    for kind, items in data.pop("_items", {}).items():
        columns, optional = items["columns"], set(items.get("optional", []))
        for ent, rows in zip(data[kind]["enterprises"], items["rows"]):
            ent["items"] = [{h: v for h, v in zip(columns, row) if v is not None or h not in optional} for row in rows]
    return data


def dump(value) -> str:
    """Compact JSON text, non-ASCII as is (orjson: the embedded report's 80,000 items at N =
    1,000 in 0.03 s against 0.28 s with json; json for what orjson refuses, an integer beyond
    64 bits)."""
    import orjson

    try:
        return orjson.dumps(value, default=_iso).decode("utf-8")
    except orjson.JSONEncodeError:
        import json
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_iso)


def _iso(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def _created() -> dt.datetime:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).replace(tzinfo=None) if epoch \
        else dt.datetime.now().replace(microsecond=0)
