"""Per input: read -> locate -> columns of normalized values, and nothing kept besides.

One input is independent of every other until consolidation, so this step runs file
by file: each workbook's grid and records are dropped as soon as its rows are columns
(a province's 1,000 workbooks are never in memory together), and large runs spread
the files over worker processes (see machinery). This module imports no pandas: a worker
starts fast and small."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from xl_addin.normalize import values as nz
from xl_addin.read.grid import ReadError, WorkbookData, read_workbook
from xl_addin.locate.headers import HeaderIndex, Table, locate
from xl_addin.model import InputResult, Issue
from xl_addin.declare.reference import ClusterList
from xl_addin.declare.spec import Specs, TableSpec

EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
MAX_TEXT = 2000   # characters; far above any real cell of these tables, far below a hostile one
META = ("input", "path", "sheet", "row", "tix", "formula", "long")
_MAYBE_FORMULA = re.compile(r"\x00[=\s]")


class _Unreadable:
    """A cell that holds something the field's type cannot read (三十 as an amount): not blank,
    not a value. One instance, across processes too."""
    __slots__ = ()

    def __repr__(self) -> str:
        return "UNREADABLE"

    def __reduce__(self):
        return "UNREADABLE"


UNREADABLE = _Unreadable()


@dataclass
class Located:
    input: int        # position of the input in the sorted input list
    path: str
    table: Table
    sheet_no: int = 0  # position of the sheet in its workbook


@dataclass
class Ingested:
    result: InputResult
    issues: list[Issue] = field(default_factory=list)
    located: dict[str, list[Located]] = field(default_factory=dict)
    columns: dict[str, dict[str, list]] = field(default_factory=dict)   # kind -> frame columns


def expand_inputs(paths: list[str | Path], suffixes=EXCEL_SUFFIXES) -> list[str]:
    """Files as given, folders expanded to the files inside with these suffixes (recursively;
    Excel's by default); sorted and de-duplicated so any order of the same inputs gives the same run."""
    found: dict[str, str] = {}
    for p in paths:
        p = Path(p)
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file() and f.suffix.lower() in suffixes and not f.name.startswith(("~$", ".")):
                    found.setdefault(str(f.resolve()), str(f))
        else:
            found.setdefault(str(p.resolve()) if p.exists() else str(p), str(p))
    return sorted(found.values())


def column_names(spec: TableSpec) -> list[str]:
    return [*META, "_key"] + [f"{f.id}{s}" for f in spec.fields for s in ("_raw", "_row", "")] + \
        [f"{f.id}_county" for f in spec.fields if f.type == "cluster"]


def _not_found_context(specs: Specs) -> dict:
    tables = "或".join(s.sheet for s in specs)
    need = "，".join(f"{s.sheet}需有" + "".join(f"“{s.header(f)}”" for f in (*s.identify_any[:1], *s.identify_all))
                    + "等列" for s in specs)
    return {"tables": tables, "signatures": need}


def ingest(i: int, path: str, clusters: ClusterList, specs: Specs, index: HeaderIndex,
           book: WorkbookData | None = None) -> Ingested:
    """One input as columns (tix counts this input's tables of the kind from 0)."""
    out = Ingested(InputResult(path), located={s.id: [] for s in specs})
    try:
        book = book or read_workbook(path)
    except ReadError as exc:
        out.result.status, out.result.reason = "rejected", exc.code
        out.issues.append(Issue(path, None, None, None, exc.code, context={"detail": exc.detail}))
        out.columns = {s.id: frame_columns(s, [], clusters) for s in specs}
        return out
    if book.has_macros:  # read as data only; say so, so the city does not open it carelessly
        out.issues.append(Issue(path, None, None, None, "input_has_macros"))
    for sheet_no, grid in enumerate(book.sheets):
        for table in locate(grid, index):
            out.located[table.kind].append(Located(i, path, table, sheet_no))
    if not any(out.located.values()):
        out.result.status, out.result.reason = "rejected", "table_not_found"
        out.issues.append(Issue(path, None, None, None, "table_not_found", context=_not_found_context(specs)))
    for spec in specs:
        out.columns[spec.id] = frame_columns(spec, out.located[spec.id], clusters)
        for loc in out.located[spec.id]:     # the columns have every value now
            loc.table.records = []
    return out


def frame_columns(spec: TableSpec, located: list[Located], clusters: ClusterList) -> dict[str, list]:
    """Column lists (not a dict per row: 80,000 rows x 40 columns as dicts would cost a few
    hundred MB for a moment): where each row came from, and per field the text as typed
    (`_raw`), the row the value came from (`_row`: inherited enterprise cells point at the
    block's first row) and the value its type reads (None: blank; UNREADABLE: not readable).
    Per row, `formula` names the fields holding formula text and `long` the fields cut at
    MAX_TEXT (with their length); both are almost always None."""
    records = [rec for loc in located for rec in loc.table.records]
    n = len(records)
    cols: dict[str, list] = {
        "input": [loc.input for loc in located for _ in loc.table.records],
        "path": [loc.path for loc in located for _ in loc.table.records],
        "sheet": [loc.table.sheet for loc in located for _ in loc.table.records],
        "row": [rec.row for rec in records],
        "tix": [tix for tix, loc in enumerate(located) for _ in loc.table.records],
        "formula": [None] * n,
        "long": [None] * n,
    }
    display = nz.display
    values: dict[str, list] = {}
    for f in spec.fields:
        vals = [rec.values.get(f.id) for rec in records]
        texts = [v for v in vals if type(v) is str]
        # (whole-column C-level tests; a text starting with a blank or "=" may be a formula)
        if texts and (max(map(len, texts)) > MAX_TEXT or _MAYBE_FORMULA.search("\x00" + "\x00".join(texts))):
            vals = _mark_formulas_and_long_text(f.id, vals, cols["formula"], cols["long"])
        values[f.id] = vals
        cols[f"{f.id}_raw"] = [None if v is None else (v.strip() or None) if type(v) is str else display(v)
                               for v in vals]
        cols[f"{f.id}_row"] = [rec.rows.get(f.id, rec.row) for rec in records]
    percent = {f.id: [f.id in rec.percent for rec in records] for f in spec.fields if f.type == "percent"}
    # a field that reads another's value (a cluster its county's, a default city) comes after it
    for f in sorted(spec.fields, key=lambda f: bool(f.default_from or f.derive) or f.type == "cluster"):
        cols[f.id] = _read_field(spec, f, values[f.id], cols, clusters, percent.get(f.id))
        if f.derive:
            cols[f.id] = _derived(f, cols)
    cols["_key"] = [nz.key(v) or None for v in values[spec.key]]
    return cols


def _read(parse, values: list, present: list) -> list:
    out = []
    for v, raw in zip(values, present):
        if raw is None:
            out.append(None)
        else:
            got = parse(v)
            out.append(UNREADABLE if got is None else got)
    return out


def _once(parse):
    """`parse`, each distinct text (with the same other arguments) parsed once: a county, a
    cluster or a category repeats down an enterprise's rows."""
    seen: dict = {}

    def parsed(v, *more):
        if type(v) is not str:
            return parse(v, *more)
        k = (v, *more)
        if k not in seen:
            seen[k] = parse(v, *more)
        return seen[k]
    return parsed


def _read_field(spec: TableSpec, f, values: list, cols: dict, clusters: ClusterList, pct: list | None) -> list:
    raw = cols[f"{f.id}_raw"]
    t = f.type
    if t in ("name", "text"):
        return list(raw)
    if t == "seq":
        return [None] * len(raw)
    if t == "amount":
        return _read(nz.amount, values, raw)
    if t == "percent":
        return [None if r is None else _or_unreadable(nz.percent(v, "%" if p else None))
                for v, r, p in zip(values, raw, pct)]
    if t == "date":
        return _read(nz.date, values, raw)
    if t == "enum":
        return _read(_once(lambda v: nz.choice(v, f.options, f.match)), values, raw)
    if t == "county":
        return _read(_once(clusters.match_county), values, raw)
    if t == "industry":
        return _read(_once(clusters.match_industry), values, raw)
    if t == "city":
        out = _read(_once(clusters.match_city), values, raw)
        if f.default_from:
            county_city = clusters.county_city
            out = [v if r is not None else county_city.get(c) if isinstance(c, str) else None
                   for v, r, c in zip(out, raw, cols[f.default_from])]
        return out
    if t == "cluster":
        county_field = spec.first_of("county")
        counties = cols[county_field] if county_field else [None] * len(raw)
        match = _once(lambda v, c: clusters.match_cluster(v, c if isinstance(c, str) else None))
        matched = [None if r is None else match(v, c) for v, r, c in zip(values, raw, counties)]
        cols[f"{f.id}_county"] = [m.county if m else None for m in matched]
        return [None if r is None else m.name if m else UNREADABLE for m, r in zip(matched, raw)]
    from xl_addin.normalize import codes        # code, phone, integer: the optional columns' readers
    return _read(codes.reader(t), values, raw)


def _derived(f, cols: dict) -> list:
    """A computed field's value where the row leaves it blank: the ratio of two amounts, in %."""
    if f.derive.get("fn") != "ratio":
        raise ValueError(f"unknown derivation {f.derive}")
    num, den = cols[f.derive["numerator"]], cols[f.derive["denominator"]]
    return [v if v is not None else round(n / d * 100, 2) if type(n) is float and type(d) is float and d > 0
            else None for v, n, d in zip(cols[f.id], num, den)]


def _or_unreadable(value):
    return UNREADABLE if value is None else value


def _mark_formulas_and_long_text(f: str, values: list, formula: list, long: list) -> list:
    """The field's values with text cut at MAX_TEXT; per row, the field joins `formula`
    when its text is a formula (leading blanks allowed) and `long` (with its length) when cut."""
    out = []
    for i, v in enumerate(values):
        if type(v) is str:
            if len(v) > MAX_TEXT:
                long[i] = {**(long[i] or {}), f: len(v)}
                v = v[:MAX_TEXT]
            if v.lstrip()[:1] == "=":
                formula[i] = (*(formula[i] or ()), f)
        out.append(v)
    return out
