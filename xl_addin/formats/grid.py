"""Read any workbook an official sends into plain grids of cell values.

A grid keeps what the core needs and nothing from the file's code: values
(cached results, never formulas), merged ranges, hidden rows, and the number
format of numeric cells formatted as percent. Macros are never run: openpyxl
and xlrd only parse XML/BIFF records.
"""
from __future__ import annotations

import datetime as dt
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

MAX_FILE_BYTES = 100 * 1024 * 1024          # a county workbook is a few hundred KB
MAX_UNCOMPRESSED_BYTES = 1024 * 1024 * 1024  # declared size of all zip members
MAX_RATIO = 200                              # zip bombs compress far better than any real sheet
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")


class ReadError(Exception):
    """The file cannot be read; code is a file-level issue code."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


@dataclass
class SheetGrid:
    name: str
    values: list[list[object]]                       # 0-based rows of cell values
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # 0-based inclusive
    hidden_rows: set[int] = field(default_factory=set)
    percent_cells: set[tuple[int, int]] = field(default_factory=set)

    def cell(self, r: int, c: int) -> object:
        row = self.values[r] if r < len(self.values) else ()
        return row[c] if c < len(row) else None


def _describe_other(head: bytes) -> str:
    text = head.lstrip(b"\xef\xbb\xbf").lstrip().lower()
    if not text:
        return "文件是空的"
    if text.startswith((b"<html", b"<!doctype", b"<table", b"<meta")):
        return "文件实际是网页（HTML），只是扩展名是 Excel 的"
    if text.startswith(b"<?xml"):
        return "文件实际是 XML 文本（可能是“XML 电子表格 2003”格式），不是 Excel 工作簿"
    if text.startswith(b"%pdf"):
        return "文件实际是 PDF"
    try:
        head.decode("utf-8")
        sample = head.decode("utf-8")
    except UnicodeDecodeError:
        try:
            sample = head.decode("gb18030")
        except UnicodeDecodeError:
            return "文件不是 Excel 工作簿（无法识别的格式）"
    if "," in sample or "\t" in sample:
        return "文件实际是 CSV/文本表格，只是扩展名是 Excel 的"
    return "文件实际是纯文本，不是 Excel 工作簿"


def sniff(path: Path) -> str:
    """'zip' (xlsx/xlsm), 'ole' (xls) by content, never by extension."""
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if head.startswith(ZIP_MAGIC):
        return "zip"
    if head.startswith(OLE_MAGIC):
        with open(path, "rb") as fh:
            if _ENCRYPTED_STREAM in fh.read(1 << 20):
                raise ReadError("file_encrypted")
        return "ole"
    raise ReadError("file_unreadable", _describe_other(head))


def read_grids(path: str | Path) -> list[SheetGrid]:
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ReadError("file_too_large", f"{size / 1024 / 1024:.0f} MB，超过 {MAX_FILE_BYTES // 1024 // 1024} MB")
        kind = sniff(path)
    except OSError as exc:
        raise ReadError("file_unreadable", f"打不开文件（{exc.strerror or exc}）") from exc
    return _read_xlsx(path) if kind == "zip" else _read_xls(path)


# --- .xlsx / .xlsm -------------------------------------------------------------
def _read_xlsx(path: Path) -> list[SheetGrid]:
    import openpyxl

    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise ReadError("file_unreadable", "文件已损坏（压缩包不完整），可能是邮件附件没有下载完") from exc
    names = {i.filename for i in infos}
    _guard_zip(infos)
    if "xl/workbook.xml" not in names:
        what = "Word 文档" if "word/document.xml" in names else "压缩包或其他 Office 文件"
        raise ReadError("file_unreadable", f"文件实际是{what}，不是 Excel 工作簿")
    try:
        wb = openpyxl.load_workbook(path, data_only=False, keep_links=False, rich_text=False)
        has_formulas = any(cell.data_type == "f" for ws in wb.worksheets for row in ws.iter_rows() for cell in row)
        # Cached results of formulas come from a second, value-only load, only when there are formulas.
        cached = openpyxl.load_workbook(path, data_only=True, keep_links=False) if has_formulas else None
    except ReadError:
        raise
    except Exception as exc:  # openpyxl raises many types for broken parts
        raise ReadError("file_unreadable", f"工作簿内容损坏（{type(exc).__name__}）") from exc
    grids = []
    for ws in wb.worksheets:
        values_ws = cached[ws.title] if cached is not None else None
        values: list[list[object]] = []
        percent: set[tuple[int, int]] = set()
        for r, row in enumerate(ws.iter_rows()):
            out = []
            for c, cell in enumerate(row):
                v = cell.value
                if cell.data_type == "f" and values_ws is not None:
                    result = values_ws.cell(r + 1, c + 1).value
                    v = result if result is not None else (v if isinstance(v, str) else str(v))
                if isinstance(v, (int, float)) and not isinstance(v, bool) and "%" in (cell.number_format or ""):
                    percent.add((r, c))
                elif isinstance(v, dt.time):
                    v = v.isoformat()
                out.append(v)
            values.append(out)
        merged = [(m.min_row - 1, m.min_col - 1, m.max_row - 1, m.max_col - 1) for m in ws.merged_cells.ranges]
        hidden = {i - 1 for i, d in ws.row_dimensions.items() if d.hidden}
        grids.append(SheetGrid(ws.title, values, merged, hidden, percent))
    wb.close()
    return grids


def _guard_zip(infos: list[zipfile.ZipInfo]) -> None:
    """Reject zip bombs from the declared sizes, before anything is decompressed."""
    total = sum(i.file_size for i in infos)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise ReadError("file_too_large", f"解压后约 {total / 1024 / 1024:.0f} MB")
    for i in infos:
        if i.file_size > 10 * 1024 * 1024 and i.file_size > MAX_RATIO * max(i.compress_size, 1):
            raise ReadError("file_too_large", f"其中 {i.filename} 压缩比异常（{i.file_size // max(i.compress_size, 1)} 倍）")


# --- legacy .xls ---------------------------------------------------------------
def _read_xls(path: Path) -> list[SheetGrid]:
    import xlrd

    try:
        book = xlrd.open_workbook(str(path), formatting_info=True, on_demand=True)
    except xlrd.XLRDError as exc:
        if "encrypt" in str(exc).lower():
            raise ReadError("file_encrypted") from exc
        raise ReadError("file_unreadable", f"旧版 .xls 文件无法解析（{exc}）") from exc
    except Exception as exc:
        raise ReadError("file_unreadable", f"旧版 .xls 文件已损坏（{type(exc).__name__}）") from exc
    grids = []
    for index in range(book.nsheets):
        sh = book.sheet_by_index(index)
        values: list[list[object]] = []
        percent: set[tuple[int, int]] = set()
        for r in range(sh.nrows):
            out = []
            for c in range(sh.ncols):
                cell = sh.cell(r, c)
                ctype, v = cell.ctype, cell.value
                if ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                    v = None
                elif ctype == xlrd.XL_CELL_DATE:
                    try:
                        v = xlrd.xldate_as_datetime(v, book.datemode)
                    except Exception:
                        pass
                elif ctype == xlrd.XL_CELL_ERROR:
                    v = xlrd.error_text_from_code.get(v, "#ERR")
                elif ctype == xlrd.XL_CELL_BOOLEAN:
                    v = bool(v)
                elif ctype == xlrd.XL_CELL_NUMBER:
                    fmt = book.format_map.get(book.xf_list[cell.xf_index].format_key)
                    if fmt is not None and "%" in fmt.format_str:
                        percent.add((r, c))
                out.append(v)
            values.append(out)
        merged = [(r1, c1, r2 - 1, c2 - 1) for r1, r2, c1, c2 in sh.merged_cells]
        hidden = {r for r, info in sh.rowinfo_map.items() if info.hidden}
        grids.append(SheetGrid(sh.name, values, merged, hidden, percent))
        book.unload_sheet(index)
    return grids
