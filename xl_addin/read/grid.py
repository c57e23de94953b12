"""Read any workbook an official sends into sparse grids of cell values.

A grid keeps what the core needs and nothing from the file's code: values
(cached results; a formula without a saved result keeps its text), merged
ranges, and which numeric cells are formatted as percent. Nothing in an input
is ever executed: the readers only parse XML/BIFF records.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

MAX_FILE_BYTES = 100 * 1024 * 1024          # a county workbook is a few hundred KB
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
    rows: dict[int, list[object]]                    # 0-based row -> cell values; only non-empty rows
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # 0-based inclusive
    percent_cells: set[tuple[int, int]] = field(default_factory=set)

    def __post_init__(self):
        self.order = sorted(self.rows)

    def row(self, r: int) -> list[object]:
        return self.rows.get(r, [])

    def cell(self, r: int, c: int) -> object:
        row = self.rows.get(r)
        return row[c] if row is not None and c < len(row) else None


@dataclass
class WorkbookData:
    sheets: list[SheetGrid]
    has_macros: bool = False


def decode_text(data: bytes) -> str | None:
    """Text as Chinese offices save it: UTF-8 (with or without BOM), else GBK/GB18030; None
    when it is neither."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


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
    sample = decode_text(head)
    if sample is None:
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


def read_workbook(path: str | Path) -> WorkbookData:
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ReadError("file_too_large", f"{size / 1024 / 1024:.0f} MB，超过 {MAX_FILE_BYTES // 1024 // 1024} MB")
        container = sniff(path)
    except OSError as exc:
        raise ReadError("file_unreadable", f"打不开文件（{exc.strerror or exc}）") from exc
    if container == "zip":
        from xl_addin.read.xlsx_reader import read_xlsx
        return read_xlsx(path)
    from xl_addin.read.xls_reader import read_xls
    return read_xls(path)


def read_grids(path: str | Path) -> list[SheetGrid]:
    return read_workbook(path).sheets
