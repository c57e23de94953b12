"""A form file as rows of cells, whatever it is: an Excel workbook (every sheet, cached
values of formulas) or a Word document (every table, merged cells once, and the
paragraphs). Nothing in a file is executed; locate reads the rows by label."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from xl_addin.locate.headers import xl_col_to_name


@dataclass(frozen=True)
class Where:
    """Where a value is: sheet and cell for Excel; 表格 n, row and column for Word."""
    sheet: str
    row: int | None = None
    cell: str | None = None


@dataclass
class Cell:
    col: int
    value: object
    where: Where


@dataclass
class Rows:
    rows: list[list[Cell]] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)     # the Word text outside tables, in order


class FormReadError(Exception):
    def __init__(self, code: str, detail: str = ""):
        super().__init__(detail or code)
        self.code, self.detail = code, detail


def _percent(v):
    """35.5% typed into Excel is 0.355 in a percent-formatted cell: the form wants 35.5."""
    return round(v * 100, 10) if isinstance(v, (int, float)) and not isinstance(v, bool) else v


def _formula(v) -> bool:
    return isinstance(v, str) and v.lstrip().startswith("=")


def _blank(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def read_rows(path: str | Path) -> Rows:
    path = Path(path)
    try:
        if path.suffix.lower() == ".docx":
            return _docx(path)
        return _xlsx(path)
    except FormReadError:
        raise
    except Exception as exc:    # a damaged or foreign file: rejected with its reason, the run goes on
        raise FormReadError("file_unreadable", f"{type(exc).__name__}: {exc}") from exc


def _xlsx(path: Path) -> Rows:
    """Through the tables' own reader: the same guards (size, zip bombs, value count), the
    cached values of formulas, .xls too."""
    from xl_addin.read.grid import ReadError, read_workbook

    try:
        book = read_workbook(path)
    except ReadError as exc:
        raise FormReadError(exc.code, exc.detail) from exc
    out = Rows()
    for grid in book.sheets:
        for r in grid.order:
            # a formula the file holds no value for (saved by a program that does not calculate)
            # reads as blank: its value is computed again from the inputs, never evaluated
            cells = [Cell(c, _percent(v) if (r, c) in grid.percent_cells else v,
                          Where(grid.name, r + 1, f"{xl_col_to_name(c)}{r + 1}"))
                     for c, v in enumerate(grid.rows[r]) if not _blank(v) and not _formula(v)]
            if cells:
                out.rows.append(cells)
    return out


MAX_DOCX_BYTES = 50 * 1024 * 1024     # uncompressed; a real 申报表 is well under 5 MB


def sheet_names(path: str | Path) -> list[str]:
    """An .xlsx/.xlsm's sheet names, from its workbook part alone (nothing else is read),
    parsed as the reader parses it (size-checked, no DTD)."""
    import zipfile

    from xl_addin.read.grid import ReadError
    from xl_addin.read import xlsx_reader

    try:
        with zipfile.ZipFile(path) as z:
            return xlsx_reader.sheet_names(z)
    except (OSError, zipfile.BadZipFile, ReadError, RuntimeError, ValueError):
        return []


def _docx(path: Path) -> Rows:
    import docx
    from docx.oxml.ns import qn

    import zipfile

    with zipfile.ZipFile(path) as z:
        if sum(i.file_size for i in z.infolist()) > MAX_DOCX_BYTES:
            raise FormReadError("file_too_large", f"解压后超过 {MAX_DOCX_BYTES // 1024 // 1024} MB")
    document = docx.Document(str(path))
    out = Rows()
    n_table = 0
    body = document.element.body
    for child in body.iterchildren():
        if child.tag == qn("w:p"):
            text = "".join(t.text or "" for t in child.iter(qn("w:t"))).strip()
            if text:
                out.paragraphs.append(text)
        elif child.tag == qn("w:tbl"):
            n_table += 1
            table = docx.table.Table(child, document)
            # sets of the cell elements themselves (lxml keeps one proxy per element while it is
            # referenced: ids of proxies let go would be reused by other cells)
            above: set = set()
            for r, row in enumerate(table.rows, start=1):
                cells, seen = [], set()
                for c, cell in enumerate(row.cells):
                    tc = cell._tc
                    if tc in seen or tc in above:
                        seen.add(tc)
                        continue          # a merged cell: once, at its first column and row
                    seen.add(tc)
                    text = cell.text.strip()
                    if text:
                        cells.append(Cell(c, text, Where(f"表格{n_table}", r, f"第{r}行第{c + 1}列")))
                above = seen
                if cells:
                    out.rows.append(cells)
    return out


def as_text(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (dt.date, dt.datetime)):
        return v.strftime("%Y-%m-%d")
    return str(v).strip()
