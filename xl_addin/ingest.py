"""Per input: read -> locate -> columns of normalized values, and nothing kept besides.

One input is independent of every other until consolidation, so this step runs file
by file: each workbook's grid and records are dropped as soon as its rows are columns
(a province's 1,000 workbooks are never in memory together), and large runs spread
the files over worker processes. This module imports no pandas: a worker starts fast
and small."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from . import normalize as nz
from .formats.grid import ReadError, WorkbookData, read_workbook
from .locate import HEADERS, OPTIONAL_FIELDS, Table, locate
from .model import InputResult, Issue
from .reference import ClusterList

EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
MAX_TEXT = 2000   # characters; far above any real cell of these tables, far below a hostile one
KINDS = ("table1", "table2")
PARALLEL_FROM = 24          # inputs; below this a worker pool costs more than it saves
WORKERS_ENV = "XL_ADDIN_WORKERS"
Progress = Callable[[int, int, str], None]


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
    located: dict[str, list[Located]] = field(default_factory=lambda: {k: [] for k in KINDS})
    columns: dict[str, dict[str, list]] = field(default_factory=dict)   # kind -> frame columns


def expand_inputs(paths: list[str | Path]) -> list[str]:
    """Files as given, folders expanded to the Excel files inside (recursively);
    sorted and de-duplicated so any order of the same inputs gives the same run."""
    found: dict[str, str] = {}
    for p in paths:
        p = Path(p)
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file() and f.suffix.lower() in EXCEL_SUFFIXES and not f.name.startswith(("~$", ".")):
                    found.setdefault(str(f.resolve()), str(f))
        else:
            found.setdefault(str(p.resolve()) if p.exists() else str(p), str(p))
    return sorted(found.values())


def fields_of(kind: str) -> list[str]:
    return list(HEADERS[kind]) + list(OPTIONAL_FIELDS[kind])


def column_names(kind: str) -> list[str]:
    return ["input", "path", "sheet", "row", "tix", "share_pct", "formula", "long"] + \
        [f"{f}_{s}" for f in fields_of(kind) for s in ("raw", "row", "val")]


def ingest(i: int, path: str, clusters: ClusterList, book: WorkbookData | None = None) -> Ingested:
    """One input as columns (tix counts this input's tables of the kind from 0)."""
    out = Ingested(InputResult(path))
    try:
        book = book or read_workbook(path)
    except ReadError as exc:
        out.result.status, out.result.reason = "rejected", exc.code
        out.issues.append(Issue(path, None, None, None, exc.code, context={"detail": exc.detail}))
        out.columns = {kind: frame_columns(kind, [], clusters) for kind in KINDS}
        return out
    if book.has_macros:  # read as data only; say so, so the city does not open it carelessly
        out.issues.append(Issue(path, None, None, None, "input_has_macros"))
    for sheet_no, grid in enumerate(book.sheets):
        for table in locate(grid):
            out.located[table.kind].append(Located(i, path, table, sheet_no))
    if not any(out.located.values()):
        out.result.status, out.result.reason = "rejected", "table_not_found"
        out.issues.append(Issue(path, None, None, None, "table_not_found"))
    for kind in KINDS:
        out.columns[kind] = frame_columns(kind, out.located[kind], clusters)
        for loc in out.located[kind]:     # the columns have every value now
            loc.table.records = []
    return out


def frame_columns(kind: str, located: list[Located], clusters: ClusterList) -> dict[str, list]:
    """Column lists (not a dict per row: 80,000 rows x 40 columns as dicts would cost a few
    hundred MB for a moment): where each row came from, and per field the raw text as typed
    and the row the value came from (inherited enterprise cells point at the block's first
    row); then the normalized columns. Per row, `formula` names the fields holding formula
    text and `long` the fields cut at MAX_TEXT (with their length); both are almost always
    None. The cell values themselves are dropped once normalized."""
    records = [rec for loc in located for rec in loc.table.records]
    n = len(records)
    cols: dict[str, list] = {
        "input": [loc.input for loc in located for _ in loc.table.records],
        "path": [loc.path for loc in located for _ in loc.table.records],
        "sheet": [loc.table.sheet for loc in located for _ in loc.table.records],
        "row": [rec.row for rec in records],
        "tix": [tix for tix, loc in enumerate(located) for _ in loc.table.records],
        "share_pct": ["share" in rec.percent for rec in records],
        "formula": [None] * n,
        "long": [None] * n,
    }
    display = nz.display
    for f in fields_of(kind):
        values = [rec.values.get(f) for rec in records]
        if any(type(v) is str and (len(v) > MAX_TEXT or v[:1] == "=" or v[:1].isspace()) for v in values):
            values = _mark_formulas_and_long_text(f, values, cols["formula"], cols["long"])
        cols[f"{f}_raw"] = [None if v is None else (v.strip() or None) if type(v) is str else display(v)
                            for v in values]
        cols[f"{f}_row"] = [rec.rows.get(f, rec.row) for rec in records]
        cols[f"{f}_val"] = values
    _normalize(cols, kind, clusters)
    for f in fields_of(kind):
        del cols[f"{f}_val"]
    return cols


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


def _normalize(cols: dict[str, list], kind: str, clusters: ClusterList) -> None:
    cols["name"] = list(cols["name_raw"])
    cols["name_key"] = [nz.key(v) or None for v in cols["name_val"]]
    cols["county"] = [clusters.match_county(v) for v in cols["county_val"]]
    cols["city"] = [clusters.match_city(v) for v in cols["city_val"]]
    matched = [clusters.match_cluster(v, c) for v, c in zip(cols["cluster_val"], cols["county"])]
    cols["cluster"] = [m.name if m else None for m in matched]
    cols["cluster_county"] = [m.county if m else None for m in matched]
    if kind == "table1":
        cols["category"] = [nz.enterprise_category(v) for v in cols["category_val"]]
        cols["equip_cat"] = [nz.equipment_category(v) for v in cols["equipment_val"]]
        cols["unit_price"] = [nz.amount(v) for v in cols["unit_price_val"]]
        cols["total"] = [nz.amount(v) for v in cols["total_val"]]
    else:
        cols["amount"] = [nz.amount(v) for v in cols["amount_val"]]
        cols["share"] = [nz.percent(v, "%" if pct else None) for v, pct in zip(cols["share_val"], cols["share_pct"])]
        cols["agreement"] = [nz.date(v) for v in cols["agreement_date_val"]]
        cols["exit"] = [nz.date(v) for v in cols["exit_date_val"]]
        cols["founded"] = [nz.date(v) for v in cols["founded_val"]]


# --- many inputs -------------------------------------------------------------------------
_worker_clusters: ClusterList | None = None


def _worker_init(clusters: ClusterList) -> None:
    global _worker_clusters
    _worker_clusters = clusters


def _worker_ingest(job: tuple[int, str]) -> Ingested:
    return ingest(job[0], job[1], _worker_clusters)


def workers_for(inputs: int) -> int:
    """Worker processes for a run (0: in this process). XL_ADDIN_WORKERS overrides."""
    wanted = os.environ.get(WORKERS_ENV, "").strip()
    if wanted.isdigit():
        n = int(wanted)
    else:
        n = 0 if inputs < PARALLEL_FROM else min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                                                 else os.cpu_count() or 1, 8)
    return 0 if n < 2 or inputs < 2 else min(n, inputs)


@dataclass
class Started:
    """Files already handed to worker processes (see start)."""
    paths: list[str]
    results: Iterator[Ingested] | None
    pool: object = None

    def cancel(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)


def start(paths: list[str], clusters: ClusterList, books: dict[str, WorkbookData] | None = None) -> Started:
    """Hand the files of a large run to worker processes now, so the caller can do other work
    (the CLI imports pandas and pandera meanwhile); small runs are read later, in-process."""
    books = books or {}
    files = [(i, p) for i, p in enumerate(paths) if p not in books]
    pool, results = _pooled(files, clusters, workers_for(len(files))) if len(files) > 1 else (None, None)
    return Started(list(paths), results, pool)


def ingest_all(paths: list[str], clusters: ClusterList, books: dict[str, WorkbookData] | None = None,
               progress: Progress | None = None, started: Started | None = None) -> Iterator[Ingested]:
    """Ingested inputs in input order. Files go to a pool of worker processes when the run
    is large (the main process then never holds a grid); books already in memory, from
    the Excel buttons, are read here."""
    books = books or {}
    if started is None or started.paths != list(paths):
        if started is not None:
            started.cancel()           # started for other inputs: not these
        started = start(paths, clusters, books)
    done = 0

    def report(item: Ingested) -> Ingested:
        nonlocal done
        done += 1
        if progress:
            progress(done, len(paths), item.result.path)
        return item

    pending = started.results
    for i, path in enumerate(paths):
        if path in books:
            yield report(ingest(i, path, clusters, books[path]))
            continue
        item = None
        if pending is not None:
            try:
                item = next(pending)
            except Exception as exc:    # a worker died (killed, out of memory, or a script that
                if type(exc).__name__ != "BrokenProcessPool":   # starts runs without a __main__ guard)
                    raise
                pending = None          # finish in this process: same results, only slower
        yield report(item if item is not None else ingest(i, path, clusters))
    if started.results is not None:
        started.results.close()      # every result is in: shut the pool down now, not when collected


def _pooled(files: list[tuple[int, str]], clusters: ClusterList, workers: int):
    """(pool, results in input order), or (None, None) when the run stays in this process."""
    if workers < 2:
        return None, None
    import multiprocessing as mp
    import sys
    import threading
    from concurrent.futures import ProcessPoolExecutor

    # Linux, one thread: fork (instant, and the workers share the imported modules' memory).
    # Otherwise (Excel's or a progress bar's threads, Windows, macOS) workers start from a clean
    # interpreter that imports only this module.
    methods = mp.get_all_start_methods()
    if sys.platform.startswith("linux") and threading.active_count() == 1:
        method = "fork"
    else:
        method = "forkserver" if "forkserver" in methods else "spawn"
    context = mp.get_context(method)
    if method == "forkserver":
        context.set_forkserver_preload([__name__])
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_init, initargs=(clusters,))
    chunk = max(1, min(16, len(files) // (workers * 8)))

    try:
        results = pool.map(_worker_ingest, files, chunksize=chunk)    # submitted now: work starts
    except BaseException:
        pool.shutdown(cancel_futures=True)
        raise

    def drain() -> Iterator[Ingested]:
        with pool:
            yield from results
    return pool, drain()
