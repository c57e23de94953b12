"""Legacy .xls (BIFF8) through xlrd, with merged cells and percent formats."""
from __future__ import annotations

import struct
from pathlib import Path

from xl_addin.read.grid import ReadError, SheetGrid, WorkbookData


def _has_macros(path: Path) -> bool:
    """VBA storage, or an Excel 4 macro sheet (BOUNDSHEET type 1) in the Workbook stream."""
    import olefile

    try:
        with olefile.OleFileIO(str(path)) as ole:
            if any(entry[0] in ("_VBA_PROJECT_CUR", "Macros") for entry in ole.listdir(streams=True, storages=True)):
                return True
            name = "Workbook" if ole.exists("Workbook") else "Book" if ole.exists("Book") else None
            data = ole.openstream(name).read() if name else b""
    except Exception:
        return False
    pos = 0
    while pos + 4 <= len(data):
        rtype, size = struct.unpack_from("<HH", data, pos)
        if rtype == 0x0085 and size >= 6 and data[pos + 4 + 5] == 0x01:   # BOUNDSHEET, macro sheet
            return True
        if rtype == 0x000A:   # EOF of the workbook globals
            break
        pos += 4 + size
    return False


def read_xls(path: Path) -> WorkbookData:
    import xlrd

    try:
        book = xlrd.open_workbook(str(path), formatting_info=True, on_demand=True)
    except xlrd.XLRDError as exc:
        if "encrypt" in str(exc).lower():
            raise ReadError("file_encrypted") from exc
        raise ReadError("file_unreadable", f"旧版 .xls 文件无法解析（{exc}）") from exc
    except Exception as exc:
        raise ReadError("file_unreadable", f"旧版 .xls 文件已损坏（{type(exc).__name__}）") from exc
    sheets = []
    try:
        for index in range(book.nsheets):
            sh = book.sheet_by_index(index)
            rows: dict[int, list[object]] = {}
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
                    elif isinstance(v, str) and not v.strip():
                        v = None
                    out.append(v)
                if any(v is not None for v in out):
                    rows[r] = out
            merged = [(r1, c1, r2 - 1, c2 - 1) for r1, r2, c1, c2 in sh.merged_cells]
            sheets.append(SheetGrid(sh.name, rows, merged, percent))
            book.unload_sheet(index)
    except Exception as exc:
        raise ReadError("file_unreadable", f"旧版 .xls 文件已损坏（{type(exc).__name__}）") from exc
    return WorkbookData(sheets, _has_macros(path))
