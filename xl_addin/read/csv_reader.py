"""Read a .csv list (UTF-8, with or without BOM, or GBK/GB18030 as Excel saves it on Chinese
Windows) into a sheet grid, like any workbook."""
from __future__ import annotations

import csv
import io
from pathlib import Path

from xl_addin.read.grid import MAX_FILE_BYTES, ReadError, SheetGrid, WorkbookData, decode_text


def read_csv(path: str | Path) -> WorkbookData:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ReadError("file_unreadable", f"打不开文件（{exc.strerror or exc}）") from exc
    if len(data) > MAX_FILE_BYTES:
        raise ReadError("file_too_large", f"{len(data) / 1024 / 1024:.0f} MB")
    text = decode_text(data)
    if text is None:
        raise ReadError("file_unreadable", "CSV 文件的编码无法识别（应为 UTF-8 或 GBK）")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    rows = {}
    for r, row in enumerate(csv.reader(io.StringIO(text), dialect)):
        values = [v.strip() or None for v in row]
        if any(values):
            rows[r] = values
    return WorkbookData([SheetGrid(path.stem, rows)])


def read_any(path: str | Path) -> WorkbookData:
    """A .csv by its name, anything else as a workbook (by its content)."""
    if Path(path).suffix.lower() == ".csv":
        return read_csv(path)
    from xl_addin.read.grid import read_workbook
    return read_workbook(path)
