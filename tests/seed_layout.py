"""附件1's 情况表 of the 2026 guide (seed 000), laid out as an official pastes it into Excel.

The seed prints each table as tab-led cells, one per line, rows separated by blank lines
(a header cell may break over lines: 所在县 / (市、区）). `seed_tables()` reads them back:
caption, unit line, header, template rows, the 备注 line. `write_seed_layout()` writes both
tables on one sheet under the document's title, as they appear in the seed, optionally
merged (the 备注 line across the table, enterprise cells down their rows), with a two-row
header, and with some template rows filled in."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

SEED = Path(__file__).parent / "fixtures" / "seed_000.txt"
TITLE = "XX企业/单位申报2026年度河北省重点特色产业集群“领跑者”企业培育项目情况表"


@dataclass
class SeedTable:
    caption: str
    unit: str
    header: list[str]
    rows: list[list[str | None]]
    note: str
    extra: dict = field(default_factory=dict)


def seed_tables(path: Path = SEED) -> list[SeedTable]:
    lines = path.read_text("utf-8").splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("表1.申报重点特色产业集群创新发展项目"))
    end = next(i for i, ln in enumerate(lines) if i > start and ln.strip() == "附件2")
    tables, i = [], start
    while i < end:
        caption = lines[i].strip()
        if not caption.startswith(("表1.", "表2.")):
            i += 1
            continue
        unit = next(ln.strip() for ln in lines[i + 1:] if ln.strip())
        j = lines.index(next(ln for ln in lines[i + 1:] if ln.strip().startswith("单位")), i + 1) + 1
        cells: list[str] = []
        while j < end and not lines[j].startswith("备注"):
            ln = lines[j]
            if ln.startswith("\t"):
                cells.append(ln[1:].strip())
            elif ln.strip() and cells:
                cells[-1] += "\n" + ln.strip()     # a header cell broken over lines
            j += 1
        width = next(k for k, c in enumerate(cells) if not c)        # the first data cell is blank
        header, body = cells[:width], cells[width:]
        rows = [[c or None for c in body[k:k + width]] for k in range(0, len(body) - width + 1, width)]
        tables.append(SeedTable(caption, unit, header, rows, lines[j].strip()))
        i = j + 1
    return tables


def write_seed_layout(path: Path, filled: dict[int, list[dict[int, object]]] | None = None,
                      merged: bool = False, two_row_header: bool = False) -> dict:
    """Both tables on one sheet. filled: table number (0, 1) -> {template row index: {column:
    value}} replacing cells of those template rows. Returns where each table's rows went."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "情况表"
    ws.append([TITLE])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=10)
    where: dict = {}
    for t, table in enumerate(seed_tables()):
        width = len(table.header)
        ws.append([table.caption])
        ws.append([table.unit])
        first_header = ws.max_row + 1
        if two_row_header:
            top, under = _two_rows(table.header)
            ws.append(top)
            ws.append(under)
            for c, (a, b) in enumerate(zip(top, under), start=1):
                if a and not b:
                    ws.merge_cells(start_row=first_header, start_column=c, end_row=first_header + 1, end_column=c)
            for c1, c2 in _groups(top, under):
                ws.merge_cells(start_row=first_header, start_column=c1, end_row=first_header, end_column=c2)
        else:
            ws.append(table.header)
        rows_at = []
        for k, row in enumerate(table.rows):
            values = list(row)
            for c, v in (filled or {}).get(t, {}).get(k, {}).items():
                values[c] = v
            ws.append(values)
            rows_at.append(ws.max_row)
        block = [r for k, r in enumerate(rows_at) if k in (filled or {}).get(t, {})]
        if merged and len(block) > 1 and block == list(range(block[0], block[-1] + 1)):
            for c in range(1, 5):
                ws.merge_cells(start_row=block[0], start_column=c, end_row=block[-1], end_column=c)
        ws.append([table.note])
        if merged:
            ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=width)
        where[t] = {"rows": rows_at, "note": ws.max_row, "header": first_header}
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return where


_GROUPS = {"单价": "金额（万元）", "总价": "金额（万元）", "投资金额": "投资情况", "占股比例%": "投资情况"}


def _two_rows(header: list[str]) -> tuple[list, list]:
    """A grouping cell over the amount columns (金额（万元） over 单价 and 总价, 投资情况 over
    投资金额 and 占股比例%); the other headers span both rows."""
    top, under = [], []
    for h in header:
        group = _GROUPS.get(h)
        if group:
            top.append(group if not top or top[-1] != group and group not in top else None)
            under.append(h)
        else:
            top.append(h)
            under.append(None)
    return top, under


def _groups(top: list, under: list) -> list[tuple[int, int]]:
    out = []
    for c, v in enumerate(top, start=1):
        if v in _GROUPS.values():
            end = c
            while end < len(top) and top[end] is None and under[end]:
                end += 1
            out.append((c, end))
    return out
