"""One result, one rendering layer: the rows of every sheet and document xl_addin writes,
as plain values, from the report and the table specs. SUMMARY.xlsx, the Word report, the
declarations and the Excel buttons all lay out these rows; only formats differ."""
from __future__ import annotations

import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from xl_addin.declare.catalogue import CATALOGUE
from xl_addin.model import Report

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

if TYPE_CHECKING:      # used where pandas is not imported (docx, workbooks)
    from xl_addin.consolidate.pipeline import Enterprise
    from xl_addin.declare.spec import TableSpec

OUTPUTS = tomllib.loads(resources.files("xl_addin.data").joinpath("outputs.toml").read_text("utf-8"))
DOCUMENTS = tomllib.loads(resources.files("xl_addin.data").joinpath("documents.toml").read_text("utf-8"))
SUBSIDY, ISSUES, INPUTS = (OUTPUTS[k]["columns"] for k in ("subsidy", "issues", "inputs"))


@dataclass
class Part:
    """One table's part of the summary: its columns, body rows, merge spans and 合计."""
    spec: "TableSpec"
    columns: list[str]          # headers, the row number first
    fields: list[str]           # field ids of the columns after the row number
    rows: list[list]            # body rows (values), then the 合计 row
    spans: list[tuple[int, int, int]]   # (first body row, last body row, column) merged down
    total: float | None
    merged: int                 # leading columns merged per enterprise (the row number included)
    has_total: bool = True      # the last row is the 合计 row

    @property
    def body(self) -> list[list]:
        return self.rows[:-1] if self.has_total else self.rows


def part_columns(spec: "TableSpec", province: bool = False) -> list[str]:
    ids = spec.summary.province_columns if province else spec.summary.columns
    return list(ids)


def part(spec: "TableSpec", enterprises: "list[Enterprise]", province: bool = False) -> Part:
    """The rows of one part from the run's enterprises."""
    return _part(spec, [(e.rows, e.estimate.base if e.estimate else None) for e in enterprises], province)


def part_from_json(spec: "TableSpec", enterprises: list[dict]) -> Part:
    """The same rows from REPORT.json's section of the table (its items)."""
    return _part(spec, [(e.get("items", []), e.get("total")) for e in enterprises], False)


def _part(spec: "TableSpec", blocks: list[tuple[list, object]], province: bool) -> Part:
    """Block cells on each enterprise's first row (merged over its rows), then 合计."""
    fields = part_columns(spec, province)
    nblock = 0
    while nblock < len(fields) and fields[nblock] in spec.summary.merged:
        nblock += 1
    headers = [spec.header(f) for f in fields]
    rest = headers[nblock:]
    rows, spans = [], []
    total = 0.0
    sample = next((items[0] for items, _ in blocks if items), None)
    take = sample.taker(rest) if hasattr(sample, "taker") else lambda item: [item.get(h) for h in rest]
    for no, (items, base) in enumerate(blocks, start=1):
        first = len(rows)
        block = [no] + [items[0].get(h) if items else None for h in headers[:nblock]]
        under = [None] * (nblock + 1)
        for k, item in enumerate(items):
            rows.append([*(block if k == 0 else under), *take(item)])
        if len(items) > 1:
            spans += [(first, len(rows) - 1, c) for c in range(nblock + 1)]
        total += float(base or 0)
    total = round(total, 2) if spec.amount else None
    if not spec.summary.no_total:
        rows.append([spec.summary.total] + [total if f == spec.amount else None for f in fields])
    return Part(spec, [spec.summary.number] + headers, fields, rows, spans, total, nblock + 1,
                not spec.summary.no_total)


def shown(report: Report) -> list["TableSpec"]:
    """The tables a summary shows: those with accepted enterprises; the cultivation parts (附表
    一 and 二) always, unless the run holds only another programme's list."""
    ents = report.enterprises
    others = [s for s in report.specs if not s.report.get("project") and ents[s.id]]
    projects = [s for s in report.specs if s.report.get("project")]
    if others and not any(ents[s.id] for s in projects):
        projects = []
    return [s for s in report.specs if s in projects or s in others]


def part_title(spec: "TableSpec", city: str | None) -> str:
    """The part's heading ({city} filled in: XXX市推荐…汇总表)."""
    return spec.summary.part.format(city=city or "XX")


def sheet_title(spec: "TableSpec", round_title: str, city: str | None) -> str:
    """A part sheet's title: the table's own ({city} filled in), else the round's summary title."""
    return spec.summary.title.format(city=city or "XX") if spec.summary.title else round_title


def conditions(report: Report, spec: "TableSpec") -> tuple[list[str], list[list]]:
    """The 条件核对 rows of a table: its condition columns, then one verdict per condition."""
    conf = spec.conditions
    fields = conf["columns"]
    cols = [spec.summary.number] + [spec.header(f) for f in fields] + [v["label"] for v in conf["verdicts"]]
    flagged = {(i.path, i.row, i.code) for i in report.issues}
    rows = []
    for no, ent in enumerate(report.enterprises[spec.id], start=1):
        item = ent.rows[0]
        row = [no] + [item.get(spec.header(f)) for f in fields]
        for v in conf["verdicts"]:
            value = item.get(spec.header(v["field"]))
            if v["code"] in report.checks_skipped:
                row.append("未核对（未导入名单）")
            elif (ent.source, ent.row, v["code"]) in flagged:
                row.append("不符合")
            elif value is None:
                row.append("未填写")
            else:
                row.append("符合")
        rows.append(row)
    return cols, rows


def materials(kind: str, category: str | None, items: int) -> list[str]:
    """The 附件3 checklist of one project (000 附件1 附件3), by its table and the enterprise's
    category, with its count of equipment items or investors."""
    text = DOCUMENTS["declaration"]
    lines = list(text["materials"].get(kind, []))
    extra = text.get("materials_by_category", {}).get(category or "", {}).get(kind, [])
    if extra:
        lines[-1:-1] = extra
    return [t.format(items=items) for t in lines]


def material_columns(report: Report) -> list[str]:
    """The documents of every project table (one column each, in the checklist's order)."""
    names = []
    for spec in report.specs:
        if spec.report.get("project"):
            for category in [None, *DOCUMENTS["declaration"].get("materials_by_category", {})]:
                names += materials(spec.id, category, "各")
    return list(dict.fromkeys(names))


def material_rows(report: Report) -> tuple[list[str], list[list]]:
    """材料核对: one row per accepted enterprise, one column per document; a document its
    project does not need is 不适用, the others are left to fill (已收/缺)."""
    documents = material_columns(report)
    at = {d: i for i, d in enumerate(documents)}
    rows = []
    for spec in report.specs:
        for ent in report.enterprises[spec.id] if spec.report.get("project") else ():
            needed = {at[d] for d in materials(spec.id, ent.category, "各")}
            category = next((o.text for f in spec.fields for o in f.options
                             if f.id == spec.enterprise.get("category") and o.value == ent.category), None)
            rows.append([len(rows) + 1, ent.name, spec.label, category or "—", len(ent.rows)]
                        + [None if i in needed else "不适用" for i in range(len(documents))])
    return documents, rows


def subsidy_rows(report: Report) -> list[list]:
    rows, base_sum, result_sum = [], 0.0, 0.0
    shown = OUTPUTS["subsidy"]["fields"]
    for spec in report.specs:
        if not spec.enterprise.get("subsidy"):
            continue
        options = {o.value: o.text for f in spec.fields for o in f.options}
        for ent in report.enterprises[spec.id]:
            e = ent.estimate
            basis = f"{e.source}{'；' + e.note if e.note else ''}"
            values = [options.get(ent.values.get(f), ent.values.get(f)) or "—" for f in shown]
            rows.append([len(rows) + 1, spec.label, ent.name, *values, float(e.base), float(e.rate), float(e.cap),
                         float(e.result), "是" if e.capped else "否", basis])
            base_sum += float(e.base)
            result_sum += float(e.result)
    total = [None] * len(SUBSIDY)
    total[0], total[7], total[10] = "合计", round(base_sum, 2), round(result_sum, 2)
    return rows + [total]


def issue_rows(report: Report) -> list[list]:
    return [[n, "错误" if i.severity == "error" else "警告", i.code, Path(i.path).name, i.sheet, i.cell,
             i.column, i.message] for n, i in enumerate(report.issues, start=1)]


def input_rows(report: Report) -> list[list]:
    rows = [[n, Path(inp.path).name, "已接收" if inp.status == "ok" else "已拒收",
             CATALOGUE[inp.reason].title if inp.reason else None, inp.rows_read, inp.rows_accepted,
             inp.rows_rejected, "、".join(inp.counties) or None] for n, inp in enumerate(report.inputs, start=1)]
    totals = [sum(getattr(i, a) for i in report.inputs) for a in ("rows_read", "rows_accepted", "rows_rejected")]
    return rows + [["合计", f"{len(report.inputs)} 个文件", None, None, *totals, None]]
