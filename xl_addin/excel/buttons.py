"""Handlers of the master workbook's buttons, called by macros/XlAddin.bas through
xlwings RunPython ("import xl_addin.excel.buttons as b; b.validate()").

Each takes the calling `xlwings.Book` (or finds it with `Book.caller()`), reads
the sheets' values, calls the same core as the command line, and writes the
results back as values. County workbooks picked by 汇总区县报表 are read as files
by the core; they are never opened in Excel, so none of their macros can run.
"""
from __future__ import annotations

import collections
import datetime as dt
import functools
import traceback
from pathlib import Path

from xl_addin.render import sheets
from xl_addin.consolidate.pipeline import missing_counties, run
from xl_addin.read.grid import SheetGrid, WorkbookData
from xl_addin.render.summary_xlsx import safe_text
from xl_addin.locate.headers import HeaderIndex
from xl_addin.declare.reference import default_clusters
from xl_addin.declare.rules import load_rules
from xl_addin.declare.spec import load_specs
from xl_addin.excel.workbooks import FILES_SHEET, OUTPUT_SHEETS, SUMMARY_SHEET, header_rows, input_specs

COLORS = {"error": "#FFC7CE", "warning": "#FFEB9C"}
TITLE = "领跑者申报"


def _table_sheets() -> list[str]:
    return [s.sheet for s in input_specs(load_specs())]


def _required_sheets() -> list[str]:
    return [*_table_sheets(), SUMMARY_SHEET, *OUTPUT_SHEETS]


def _header_rows() -> dict[str, int]:
    return header_rows(load_specs())


def _button(title: str):
    """Run a handler; an unexpected failure becomes a Chinese message box (with the reason),
    not a Python traceback in front of an official."""
    def wrap(fn):
        @functools.wraps(fn)
        def run_button(book=None):
            book = _caller(book)
            try:
                return fn(book)
            except Exception as exc:
                traceback.print_exc()
                missing = [n for n in _required_sheets() if n not in {s.name for s in book.sheets}]
                hint = (f"工作簿缺少工作表：{'、'.join(missing)}。请使用 workbooks/master.xlsm 原版主工作簿。"
                        if missing else "请把本提示截图发给技术支持。")
                _finish(book, title, f"操作未完成：{type(exc).__name__}: {exc}\n{hint}")
                return None
        return run_button
    return wrap


def _caller(book):
    if book is not None:
        return book
    import xlwings as xw

    return xw.Book.caller()


def _status(book, text: str | bool) -> None:
    """Excel's status bar; engines without one (the remote engine) simply skip it."""
    try:
        book.app.status_bar = text
    except NotImplementedError:
        pass


def _values(sheet) -> list[list]:
    last = sheet.used_range.last_cell
    values = sheet.range((1, 1), (last.row, last.column)).options(ndim=2).value
    return values or []


def _grid(sheet) -> SheetGrid:
    rows = {r: list(v) for r, v in enumerate(_values(sheet)) if any(x not in (None, "") for x in v)}
    return SheetGrid(sheet.name, rows, percent_cells=percent_cells(sheet, rows))


def percent_cells(sheet, rows: dict[int, list]) -> set[tuple[int, int]]:
    """Percentage cells holding a fraction in a percent format: typing "5%" into Excel stores
    0.05. The file readers see formats; here Excel is asked, for the few cells that need it."""
    specs = load_specs()
    index = HeaderIndex(specs)
    percent = {(s.id, f.id) for s in specs for f in s.fields if f.type == "percent"}
    cols = sorted({c for r in sorted(rows)[:30] for c, v in enumerate(rows[r]) if isinstance(v, str)
                   and any((k, f) in percent for k, f in index.fields(v).items())})
    found = set()
    for col in cols:
        for r, row in rows.items():
            value = row[col] if col < len(row) else None
            if isinstance(value, float) and 0 < value <= 1:
                try:
                    number_format = sheet.range((r + 1, col + 1)).number_format
                except NotImplementedError:     # the remote engine cannot read formats synchronously
                    return set()
                if number_format and "%" in number_format:
                    found.add((r, col))
    return found


def _book_data(book) -> WorkbookData:
    names = {s.name for s in book.sheets}
    return WorkbookData([_grid(book.sheets[n]) for n in _table_sheets() if n in names])


LEDGER_NAME = "台账.sqlite"


def _ledger(book, rules, create: bool = False):
    """The ledger beside the workbook (台账.sqlite), when there is one (or `create`)."""
    from xl_addin.ledger import Ledger

    path = Path(book.fullname).parent / LEDGER_NAME
    if not (create or path.exists()):
        return None
    ledger = Ledger.open(path)
    ledger.year = int(rules.raw["round"].get("year", 9999))
    return ledger


def _run_book(book, files: list[str] | None = None):
    """The core on the picked files, or on the book's own table sheets when none are given;
    with the ledger beside the workbook when there is one."""
    rules = load_rules()
    ledger = _ledger(book, rules)
    try:
        if not files:
            return run([], rules, books={book.name: _book_data(book)}, ledger=ledger), rules

        def progress(i: int, n: int, path: str) -> None:
            _status(book, f"正在读取第 {i}/{n} 个文件：{Path(path).name}")

        return run(files, rules, progress=progress, ledger=ledger), rules
    finally:
        if ledger is not None:
            ledger.close()


def _write_table(book, name: str, rows: list[list]) -> None:
    """Replace the rows under the sheet's header with `rows` (values only, never formulas)."""
    sheet = book.sheets[name]
    first = _header_rows()[name] + 1
    last = sheet.used_range.last_cell
    if last.row >= first:
        sheet.range((first, 1), (last.row, max(last.column, 1))).clear_contents()
    if rows:
        width = max(len(r) for r in rows)
        sheet.range((first, 1)).value = [[_cell(v) for v in r] + [None] * (width - len(r)) for r in rows]


def _cell(value):
    """Text as Excel accepts it (summary_xlsx.safe_text), and text Excel would read as a
    formula with a leading apostrophe."""
    if isinstance(value, str):
        value = safe_text(value)
        return "'" + value if value[:1] in ("=", "+", "-", "@") else value
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime.combine(value, dt.time())
    return value


def _mark(book, report) -> int:
    """Colour each bad cell of 表1/表2 and put the messages in its note; clear old marks first."""
    by_cell = collections.defaultdict(list)
    tables, rows_of = _table_sheets(), _header_rows()
    for issue in report.issues:
        if issue.path == book.name and issue.sheet in tables and issue.cell:
            by_cell[(issue.sheet, issue.cell)].append(issue)
    names = {s.name for s in book.sheets}
    for name in tables:
        if name not in names:
            continue
        sheet = book.sheets[name]
        last = sheet.used_range.last_cell
        if last.row > rows_of[name]:
            sheet.range((rows_of[name] + 1, 1), (last.row, last.column)).color = None
        for note in list(sheet.notes):
            note.delete()
    for (name, cell), issues in by_cell.items():
        rng = book.sheets[name][cell]
        worst = "error" if any(i.severity == "error" for i in issues) else "warning"
        rng.color = COLORS[worst]
        rng.add_note("\n".join(f"{'错误' if i.severity == 'error' else '警告'}：{i.message}" for i in issues))
    return len(by_cell)


def _counts(report) -> str:
    s = report.summary
    return (f"申报单位 {s['units']} 个，项目 {s['projects']} 个（创新发展 {s['innovation_projects']}，"
            f"股权投资 {s['equity_projects']}）；错误 {len(report.errors)} 处，警告 {len(report.warnings)} 处。")


def _finish(book, title: str, text: str) -> None:
    _status(book, False)
    book.app.alert(text, title=f"{TITLE} - {title}")


def _summary_rows(report) -> list[list]:
    """汇总表: each table's part, one under the other, each with its header and 合计."""
    rows: list[list] = []
    for spec in sheets.shown(report):
        part = sheets.part(spec, report.enterprises[spec.id])
        rows += ([[]] if rows else []) + [[spec.summary.part], part.columns, *part.rows]
    return rows


@_button("校验")
def validate(book):
    """校验: check the rows of 表1/表2, colour bad cells, fill 问题清单."""
    _status(book, "正在校验表1、表2……")
    report, _ = _run_book(book)
    cells = _mark(book, report)
    _write_table(book, OUTPUT_SHEETS[1], sheets.issue_rows(report))
    rows = sum(i.rows_read for i in report.inputs)
    _finish(book, "校验", f"已校验 {rows} 行。{_counts(report)}\n有问题的单元格 {cells} 个已标色，"
                         "原因见单元格批注和“问题清单”。")
    return report


@_button("计算合计与补助")
def compute(book):
    """计算合计与补助: the summary and the subsidy estimate from 表1/表2."""
    _status(book, "正在计算合计与补助……")
    report, _ = _run_book(book)
    _mark(book, report)
    _write_table(book, SUMMARY_SHEET, _summary_rows(report))
    subsidies = sheets.subsidy_rows(report)
    _write_table(book, OUTPUT_SHEETS[0], subsidies)
    _write_table(book, OUTPUT_SHEETS[1], sheets.issue_rows(report))
    total = subsidies[-1][10]
    _finish(book, "计算合计与补助",
            f"{_counts(report)}\n测算补助合计 {total:.2f} 万元（仅供参考），见“汇总表”“补助测算”。")
    return report


def picked_files(book) -> list[str]:
    """Paths written to the hidden _files sheet by the VBA file picker."""
    names = {s.name for s in book.sheets}
    if FILES_SHEET not in names:
        return []
    return [str(r[0]).strip() for r in _values(book.sheets[FILES_SHEET]) if r and r[0] and str(r[0]).strip()]


@_button("汇总区县报表")
def consolidate(book):
    """汇总区县报表: consolidate the picked county workbooks into the summary sheets."""
    files = picked_files(book)
    if not files:
        _finish(book, "汇总区县报表", "没有选择要汇总的区县工作簿。")
        return None
    report, rules = _run_book(book, files)
    _status(book, "正在写入汇总结果……")
    _write_table(book, SUMMARY_SHEET, _summary_rows(report))
    _write_table(book, OUTPUT_SHEETS[0], sheets.subsidy_rows(report))
    _write_table(book, OUTPUT_SHEETS[1], sheets.issue_rows(report))
    missing = missing_counties(report, default_clusters())
    inputs = sheets.input_rows(report)
    if report.city:
        inputs += [[], [f"{report.city}市未报送的县（市、区）", "、".join(missing) or "无"]]
    _write_table(book, OUTPUT_SHEETS[2], inputs)
    # The official 附表 with its merges and print set-up, ready to print and stamp, beside the workbook.
    from xl_addin.render.summary_xlsx import write_summary

    summary = write_summary(report, Path(book.fullname).parent / f"{report.city or ''}市汇总表.xlsx",
                            title=rules.summary_title)
    rejected = sum(1 for i in report.inputs if i.status != "ok")
    _finish(book, "汇总区县报表", f"已汇总 {len(report.inputs)} 个文件（拒收 {rejected} 个）。{_counts(report)}\n"
                              f"结果见“汇总表”“补助测算”“问题清单”“报送情况”；可打印的附表已保存为：{summary}")
    return report


@_button("生成推荐报告")
def report(book):
    """生成推荐报告: the 附件2 report (.docx) beside the workbook."""
    from xl_addin.render.docx_report import write_report

    files = picked_files(book)
    _status(book, "正在生成推荐报告……")
    result, rules = _run_book(book, files or None)
    if not result.city:
        _finish(book, "生成推荐报告", "无法确定设区市：请先汇总区县报表，或在表1、表2中填写所在县。")
        return None
    folder = Path(book.fullname).parent
    out = folder / f"{result.city}市推荐报告.docx"
    path = write_report(result.to_dict(), rules, result.city, out)
    _finish(book, "生成推荐报告", f"已生成推荐报告：{path}\n{_counts(result)}")
    return path


def list_kind(path: str) -> str:
    """Which list a file is, by its name: 培育库 -> pool, 基金/管理人 -> funds, else leaders."""
    name = Path(path).name
    return "pool" if "培育库" in name else "funds" if ("基金" in name or "管理人" in name) else "leaders"


@_button("导入名单")
def import_lists(book):
    """导入名单: the picked list files into 台账.sqlite beside the workbook."""
    import re

    from xl_addin.read.csv_reader import read_any
    from xl_addin.read.grid import ReadError
    from xl_addin.declare.lists import read_list

    files = picked_files(book)
    if not files:
        _finish(book, "导入名单", "没有选择名单文件。")
        return None
    ledger = _ledger(book, load_rules(), create=True)
    names = {"leaders": "“领跑者”企业名单", "pool": "培育库名单", "funds": "私募基金管理人名单"}
    done = []
    try:
        for f in files:
            kind = list_kind(f)
            year = re.search(r"(19|20)\d\d", Path(f).name)
            try:
                rows = read_list(read_any(f), kind)
            except ReadError as exc:
                done.append(f"{Path(f).name}：无法读取（{exc.detail or exc.code}）")
                continue
            n = ledger.import_list(kind, rows, int(year.group(0)) if year else None, Path(f).name)
            done.append(f"{Path(f).name}：{names[kind]} {n} 行")
    finally:
        ledger.close()
    _finish(book, "导入名单", "已导入台账：\n" + "\n".join(done))
    return done


@_button("记录获批轮次")
def record_round(book):
    """记录获批轮次: the last summary beside the workbook, recorded as this round in the ledger."""
    from xl_addin.render.summary_xlsx import read_embedded_report
    from xl_addin.declare.spec import load_specs

    rules = load_rules()
    folder = Path(book.fullname).parent
    summaries = sorted(folder.glob("*市汇总表.xlsx"), key=lambda p: p.stat().st_mtime)
    data = read_embedded_report(summaries[-1]) if summaries else None
    if data is None:
        _finish(book, "记录获批轮次", "本文件夹中没有汇总表（××市汇总表.xlsx）。请先点“汇总区县报表”。")
        return None
    year = int(rules.raw["round"].get("year", 0))
    ledger = _ledger(book, rules, create=True)
    try:
        counts = ledger.record(data, year, load_specs(), summaries[-1].name)
    finally:
        ledger.close()
    _finish(book, "记录获批轮次", f"已把 {summaries[-1].name} 记为 {year} 年度获批轮次：股权投资项目 {counts['equity']} 个，"
                              f"发票 {counts['invoices']} 张，入库企业 {counts['pool']} 家。")
    return counts
