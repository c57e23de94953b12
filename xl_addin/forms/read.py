"""A form file as rows of cells, whatever it is: an Excel workbook (every sheet, cached
values of formulas) or a Word document (every table, merged cells once, and the
paragraphs). Nothing in a file is executed; locate reads the rows by label."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from ..locate import xl_col_to_name


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
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    out = Rows()
    for meta in book.sheets_metadata:
        if "Visible" not in str(meta.visible) or "Work" not in str(meta.typ):
            continue              # hidden sheets (helpers) and chart sheets hold no answers
        name = meta.name
        sheet = book.get_sheet_by_name(name)
        for r, values in enumerate(sheet.to_python(skip_empty_area=False), start=1):
            cells = [Cell(c, v, Where(name, r, f"{xl_col_to_name(c)}{r}")) for c, v in enumerate(values)
                     if not _blank(v)]
            if cells:
                out.rows.append(cells)
    return out


def _docx(path: Path) -> Rows:
    import docx
    from docx.oxml.ns import qn

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
            for r, row in enumerate(table.rows, start=1):
                cells, seen = [], set()
                for c, cell in enumerate(row.cells):
                    if id(cell._tc) in seen:
                        continue          # a merged cell: once, at its first column
                    seen.add(id(cell._tc))
                    text = cell.text.strip()
                    if text:
                        cells.append(Cell(c, text, Where(f"表格{n_table}", r, f"第{r}行第{c + 1}列")))
                if cells:
                    out.rows.append(cells)
    return out


def as_text(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (dt.date, dt.datetime)):
        return v.strftime("%Y-%m-%d")
    return str(v).strip()
