"""The one path for data: read -> locate -> normalize -> validate -> consolidate.

`run()` is what the CLI, the Excel buttons and the tests call. It never raises
for bad input: a bad cell is an issue, a bad file is a rejected input."""
from __future__ import annotations

import collections
import contextlib
import gc
import operator
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

from . import subsidy
from .catalogue import CATALOGUE, ERROR
from .formats.grid import WorkbookData
from .frames import build_frame
from .ingest import KINDS, Located, Started, expand_inputs, ingest_all  # noqa: F401 (expand_inputs: API)
from .locate import HEADERS, OPTIONAL_FIELDS
from .model import InputResult, Issue, Report
from .normalize import CATEGORY_TEXT, key, missing
from .reference import ClusterList, default_clusters
from .rules import Rules, load_rules
from .validate import Ctx, row_failures

Progress = Callable[[int, int, str], None]


@dataclass
class Enterprise:
    kind: str
    name: str
    county: str | None
    city: str | None
    cluster: str | None
    source: str
    rows: list[Mapping] = field(default_factory=list)   # official header -> value, in source order
    category: str | None = None
    estimate: subsidy.Estimate | None = None

    @property
    def total(self):
        return self.estimate.base


def _row_issues(df: pd.DataFrame, kind: str, located: list[Located], ctx: Ctx,
                issues: list[Issue]) -> set:
    """Run row rules; add issues (one per source cell); return indexes of rows with errors."""
    excluded: set = set()
    seen: set = set()
    for rule, index in row_failures(df, kind, ctx):
        row = df.loc[index]
        src_row = int(row[f"{rule.field}_row"])
        table = located[int(row["tix"])].table
        ident = (row["path"], row["sheet"], src_row, rule.field, rule.code)
        if CATALOGUE[rule.code].severity == ERROR:
            excluded.add(index)
        if ident in seen:
            continue
        seen.add(ident)
        context = rule.context(row, ctx) if rule.context else {}
        value = context.pop("value", None) if "value" in context else row[f"{rule.field}_raw"]
        issues.append(Issue(row["path"], row["sheet"], src_row, _header(kind, rule.field), rule.code,
                            table.cell(rule.field, src_row), None if value is None else str(value), context))
    return excluded


def _header(kind: str, f: str) -> str:
    return HEADERS[kind].get(f) or OPTIONAL_FIELDS[kind][f]


def _enterprise_issues(df: pd.DataFrame, kind: str, excluded: set, located: list[Located],
                       rules: Rules, issues: list[Issue], totals: dict) -> set:
    """Threshold, mixed categories and duplicates on the rows left after row rules.
    Table 1 enterprise totals go into `totals` ((input, name key) -> total) for _enterprises:
    an enterprise that keeps its rows keeps all of them."""
    left = df[~df.index.isin(excluded) & df["name_key"].notna()]
    dropped: set = set()
    fields = ["name", "total", "category"] if kind == "table1" else ["name"]
    names = ["path", "sheet", "tix", "input", "name_key", "name"] + \
        (["category", "total"] if kind == "table1" else []) + [f"{f}_{s}" for f in fields for s in ("row", "raw")]
    col = {c: left[c].tolist() for c in names}
    index = left.index.tolist()
    category, path = col.get("category"), col["path"]

    def issue(rows: list[int], f: str, code: str, context: dict, at: int | None = None):
        at = rows[0] if at is None else at
        r = int(col[f"{f}_row"][at])
        cell = located[int(col["tix"][at])].table.cell(f, r)
        issues.append(Issue(path[at], col["sheet"][at], r, _header(kind, f), code, cell,
                            col[f"{f}_raw"][at], {"name": col["name"][at], **context}))
        dropped.update(index[j] for j in rows)

    groups = _positions(col["input"], col["name_key"])
    for rows in groups.values():
        if kind == "table1":
            categories = list(dict.fromkeys(category[j] for j in rows if category[j]))
            if len(categories) > 1:
                odd = next(j for j in rows if category[j] != categories[0])
                issue(rows, "category", "mixed_enterprise_category",
                      {"categories": "”和“".join(CATEGORY_TEXT[c] for c in categories)}, at=odd)
            total = totals[col["input"][rows[0]], col["name_key"][rows[0]]] = \
                subsidy.total([col["total"][j] for j in rows])
            if total < subsidy.money(rules.min_total):
                issue(rows, "total", "below_threshold", {"total": f"{total}", "threshold": f"{rules.min_total:g}"})
    by_name: dict[str, dict[str, list[int]]] = {}
    for (_, name_key), rows in groups.items():
        for j in rows:
            by_name.setdefault(name_key, {}).setdefault(path[j], []).append(j)
    for per_path in by_name.values():
        if len(per_path) < 2:
            continue
        for p, rows in per_path.items():
            others = "、".join(Path(o).name for o in per_path if o != p)
            issue(rows, "name", "duplicate_enterprise", {"others": others})
    return dropped


def _positions(*keys: list) -> dict[tuple, list[int]]:
    """Row positions grouped by the key columns, groups and rows in frame order (plain
    Python: the frames here are long and the groups tiny, where pandas' groupby is slowest)."""
    groups: dict[tuple, list[int]] = {}
    for i, k in enumerate(zip(*keys)):
        groups.setdefault(k, []).append(i)
    return groups


class OfficialRow(Mapping):
    """One accepted row: official header -> value. A tuple under a header index shared by
    every row of the table (a province's 80,000 rows as dicts would hold ~40 MB more)."""
    __slots__ = ("_index", "_values")

    def __init__(self, index: dict[str, int], values: tuple):
        self._index, self._values = index, values

    def __getitem__(self, header: str):
        return self._values[self._index[header]]

    def __iter__(self):
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)

    def __repr__(self) -> str:
        return f"OfficialRow({dict(self)!r})"


def row_getter(headers: list[str]) -> Callable[[Mapping], list]:
    """row -> [its values of `headers`], None where the row has no such header. Fast for
    the OfficialRows of one table (one shared header index: one lookup per row)."""
    index: dict | None = None
    take: Callable = tuple

    def get(row: Mapping) -> list:
        nonlocal index, take
        if type(row) is not OfficialRow:
            return [row.get(h) for h in headers]
        if row._index is not index:
            index = row._index
            at = [index.get(h) for h in headers]
            if None in at or len(at) < 2:
                take = lambda values: tuple(None if i is None else values[i] for i in at)  # noqa: E731
            else:
                take = operator.itemgetter(*at)
        return list(take(row._values))
    return get


def columns_of(rows: list[Mapping], headers: list[str]) -> Iterator[list]:
    """The values of each of `headers` over `rows`, a column at a time (None where a row has
    no such header): whole-table checks at C speed, one column in memory at a time."""
    index = rows[0]._index if rows and type(rows[0]) is OfficialRow else None
    shared = index is not None and all(type(row) is OfficialRow and row._index is index for row in rows)
    values = [row._values for row in rows] if shared else None
    for h in headers:
        if shared and h in index:
            yield list(map(operator.itemgetter(index[h]), values))
        else:
            yield [row.get(h) for row in rows]


def _official_rows(kind: str, df: pd.DataFrame, county_city: dict) -> list[OfficialRow]:
    """The accepted rows, in the official column order (then the derived columns): the raw
    text as typed, except the normalized county, cluster, category and amounts."""
    headers = list(HEADERS[kind].values())
    columns = [df[f"{f}_raw"].tolist() for f in HEADERS[kind]]       # raw text: str or None
    if kind == "table1":
        county = df["county"].tolist()
        columns.append([county_city.get(c) for c in county])
        headers.append("所在地市")
        derived = {"所在县（市）": county, "申报单位类别": [CATEGORY_TEXT[c] for c in df["category"].tolist()],
                   "单价": _numbers(df["unit_price"]), "总价": _numbers(df["total"]), "所属集群": df["cluster"].tolist()}
    else:
        columns.append(df["founded"].tolist())
        headers.append("成立时间")
        derived = {"所在地市": df["city"].tolist(), "所在县(市、区）": df["county"].tolist(),
                   "签订股权协议时间": df["agreement"].tolist(), "投资金额": _numbers(df["amount"]),
                   "占股比例%": _numbers(df["share"]), "所属集群": df["cluster"].tolist(),
                   "退出时间": [e or raw for e, raw in zip(df["exit"].tolist(), df["exit_date_raw"].tolist())]}
    index = {h: i for i, h in enumerate(headers)}
    for h, values in derived.items():
        columns[index[h]] = values
    return [OfficialRow(index, values) for values in zip(*columns)]


def _numbers(series: pd.Series) -> list[float | None]:
    return [None if v != v else v for v in series.astype("float64").tolist()]


def _enterprises(df: pd.DataFrame, kind: str, rules: Rules, clusters: ClusterList,
                 totals: dict) -> list[Enterprise]:
    out = []
    county_city = clusters.county_city
    official = _official_rows(kind, df, county_city)
    col = {c: df[c].tolist() for c in ("input", "name_key", "name", "county", "cluster", "path", "category",
                                        "total", "amount", "founded", "agreement") if c in df}
    for rows in _positions(col["input"], col["name_key"]).values():
        first = rows[0]
        county = col["county"][first]
        ent = Enterprise(kind, col["name"][first], county, county_city.get(county), col["cluster"][first],
                         col["path"][first], [official[j] for j in rows])
        if kind == "table1":
            ent.category = col["category"][first]
            total = totals.get((col["input"][first], col["name_key"][first]))
            if total is None:
                total = subsidy.total([col["total"][j] for j in rows])
            ent.estimate = subsidy.equipment(total, ent.category, rules)
        else:
            founded = next((col["founded"][j] for j in rows if col["founded"][j]), None)
            ent.estimate = subsidy.equity(subsidy.total([col["amount"][j] for j in rows]), founded,
                                          [col["agreement"][j] for j in rows if col["agreement"][j]], rules)
        out.append(ent)
    rank = clusters.county_rank
    # County in cluster-list order, then input order, then position in the input.
    order = {id(e): (rank.get(e.county, len(rank)), i) for i, e in enumerate(out)}
    return sorted(out, key=lambda e: order[id(e)])


def _table_json(kind: str, ents: list[Enterprise]) -> dict:
    items = []
    for e in ents:
        d = {"name": e.name}
        if kind == "table2":
            d["city"] = e.city
        d.update({"county": e.county, "cluster": e.cluster})
        if kind == "table1":
            d["category"] = e.category
        d.update({"rows": len(e.rows), "total": float(e.estimate.base), "subsidy": float(e.estimate.result),
                  "capped": e.estimate.capped, "source": e.source})     # items: Report.to_dict
        items.append(d)
    return {"enterprises": items,
            "total": float(sum((e.estimate.base for e in ents), subsidy.Decimal(0))),
            "subsidy": float(sum((e.estimate.result for e in ents), subsidy.Decimal(0)))}


def _excluded(frames: dict[str, pd.DataFrame], issues: list[Issue]) -> list[dict]:
    """Enterprises that were read but have no accepted row, with the error codes of their rows."""
    codes_in: dict[str, list[tuple]] = {}           # path -> [(row, code)] in issue order
    for i in issues:
        if i.severity == ERROR:
            codes_in.setdefault(i.path, []).append((i.row, i.code))
    out = []
    for kind, df in frames.items():
        if df.empty:
            continue
        cells = [c for c in (f"{f}_row" for f in ("name", "total", "amount", "category")) if c in df]
        named = df[df["name_key"].notna()]
        kept = set(zip(named.loc[named["accepted"], "path"], named.loc[named["accepted"], "name_key"]))
        left = named[~named["accepted"]]
        col = {c: left[c].tolist() for c in ("path", "name_key", "row", "name", *cells)}
        for (path, name_key), rows in _positions(col["path"], col["name_key"]).items():
            if (path, name_key) in kept:      # some of its rows made it into the summary
                continue
            at = {col["row"][j] for j in rows} | {int(col[c][j]) for j in rows for c in cells
                                                  if not missing(col[c][j])}
            reasons = list(dict.fromkeys(code for row, code in codes_in.get(path, ()) if row in at))
            out.append({"table": kind, "name": col["name"][rows[0]], "source": path, "rows": len(rows),
                        "reasons": reasons})
    return sorted(out, key=lambda e: (e["source"], e["table"]))


def _issue_order(issue: Issue, order: dict[str, int], sheet_no: dict, kind_of_column) -> tuple:
    return (order.get(issue.path, 0), issue.row is not None, sheet_no.get((issue.path, issue.sheet), 0),
            issue.row or 0, kind_of_column(issue), issue.code)


def run(inputs: list[str | Path], rules: Rules | None = None, clusters: ClusterList | None = None,
        city: str | None = None, progress: Progress | None = None,
        books: dict[str, WorkbookData] | None = None, started: Started | None = None) -> Report:
    """Consolidate workbook files (`inputs`) and already-read books (`books`, label -> data,
    e.g. the sheets of the open master workbook, passed by the Excel buttons). `started`:
    the same files already handed to workers by ingest.start."""
    with collector_paused():
        return _run(inputs, rules or load_rules(), clusters or default_clusters(), city, progress, books or {},
                    started)


@contextlib.contextmanager
def collector_paused():
    """Python's cyclic garbage collector off during a run. A province's run holds hundreds
    of thousands of containers (rows, columns, groups), and the collector would walk them
    again and again while finding nothing: the core's objects form no reference cycles, and
    reference counting frees them. Measured: a third of the post-ingest time at N = 1,000
    (and 0.1 s of writing its summary, which makes a list per row)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _run(inputs: list[str | Path], rules: Rules, clusters: ClusterList, city: str | None,
         progress: Progress | None, books: dict[str, WorkbookData], started: Started | None) -> Report:
    ctx = Ctx(rules, clusters)
    # inputs the caller expanded already, to start the workers, are not looked up again
    given = [str(p) for p in inputs]
    paths = (given if started is not None and given == started.paths else expand_inputs(inputs)) + list(books)
    issues: list[Issue] = []
    results: list[InputResult] = []
    located: dict[str, list[Located]] = {kind: [] for kind in KINDS}
    columns: dict[str, dict[str, list]] = {kind: {} for kind in KINDS}
    for item in ingest_all(paths, clusters, books, progress, started):
        results.append(item.result)
        issues.extend(item.issues)
        for kind in KINDS:
            cols, offset = item.columns[kind], len(located[kind])
            located[kind].extend(item.located[kind])
            if offset:
                cols["tix"] = [t + offset for t in cols["tix"]]
            for c, values in cols.items():
                columns[kind].setdefault(c, []).extend(values)

    frames, accepted = {}, {}
    for kind in KINDS:
        df = build_frame(kind, columns.pop(kind))
        excluded = _row_issues(df, kind, located[kind], ctx, issues)
        totals: dict = {}
        excluded |= _enterprise_issues(df, kind, excluded, located[kind], rules, issues, totals)
        df["accepted"] = ~df.index.isin(excluded)
        frames[kind] = df
        accepted[kind] = _enterprises(df[df["accepted"]], kind, rules, clusters, totals)

    by_path = {r.path: r for r in results}
    for df in frames.values():
        accepted_rows, counties = df["accepted"].tolist(), df["county"].tolist()
        for path, rows in _positions(df["path"].tolist()).items():
            r = by_path[path[0]]
            n, ok = len(rows), sum(accepted_rows[j] for j in rows)
            r.rows_read += n
            r.rows_accepted += ok
            r.rows_rejected += n - ok
            r.counties = sorted(set(r.counties) | {counties[j] for j in rows if counties[j]},
                                key=lambda c: clusters.county_rank.get(c, 0))

    order = {p: i for i, p in enumerate(paths)}
    sheet_no = {(loc.path, loc.table.sheet): loc.sheet_no for locs in located.values() for loc in locs}
    columns = [h for kind in HEADERS for h in list(HEADERS[kind].values()) + list(OPTIONAL_FIELDS[kind].values())]
    issues.sort(key=lambda i: _issue_order(i, order, sheet_no,
                                           lambda x: columns.index(x.column) if x.column in columns else -1))

    t1, t2 = accepted["table1"], accepted["table2"]
    units = {key(e.name) for e in t1 + t2}
    report = Report(
        inputs=results, issues=issues, table1=_table_json("table1", t1), table2=_table_json("table2", t2),
        summary={"units": len(units), "projects": len(t1) + len(t2),
                 "innovation_projects": len(t1), "equity_projects": len(t2)},
        city=city or _infer_city(t1 + t2, frames, clusters))
    report.enterprises = {"table1": t1, "table2": t2}
    report.item_columns = {kind: list(HEADERS[kind].values()) for kind in KINDS}
    report.excluded = _excluded(frames, issues)
    return report


def _infer_city(ents: list[Enterprise], frames: dict, clusters: ClusterList) -> str | None:
    cities = collections.Counter(e.city for e in ents if e.city)
    if not cities:
        for df in frames.values():
            cities.update(clusters.county_city[c] for c in df.get("county", []) if c)
    return cities.most_common(1)[0][0] if cities else None


def missing_counties(report: Report, clusters: ClusterList | None = None) -> list[str]:
    """Counties of the report's city that appear in no input (for 报送情况)."""
    clusters = clusters or default_clusters()
    if not report.city:
        return []
    sent = {c for r in report.inputs for c in r.counties}
    return [c for c in clusters.counties_of(report.city) if c not in sent]


def cities_of(report: Report) -> list[str]:
    return list(dict.fromkeys(e.city for kind in ("table1", "table2")
                              for e in report.enterprises[kind] if e.city))



