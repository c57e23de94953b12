"""The one path for data: read -> locate -> normalize -> check -> consolidate.

`run()` is what the CLI, the Excel buttons, the web page and the tests call. It never
raises for bad input: a bad cell is an issue, a bad file is a rejected input. It knows
the tables only through their specs."""
from __future__ import annotations

import collections
import datetime as dt
import operator
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from xl_addin.consolidate import subsidy
from xl_addin.declare.catalogue import CATALOGUE, ERROR
from xl_addin.read.grid import WorkbookData
from xl_addin.normalize.frames import build_frame
from xl_addin.normalize.ingest import UNREADABLE, Located, expand_inputs
from xl_addin.consolidate.machinery import PARALLEL_FROM, Progress, Started, collector_paused, ingest_all, release_memory
from xl_addin.model import InputResult, Issue, Report
from xl_addin.normalize.values import key, missing
from xl_addin.declare.reference import ClusterList, default_clusters
from xl_addin.declare.rules import Rules, load_rules
from xl_addin.declare.spec import Specs, TableSpec, load_specs
from xl_addin.check.validate import Ctx, row_failures


@dataclass
class Enterprise:
    kind: str
    name: str
    values: dict                                          # field id -> the block's value (first row)
    source: str
    rows: list[Mapping] = field(default_factory=list)    # official header -> value, in source order
    estimate: subsidy.Estimate | None = None
    row: int = 0                                          # its first row in the source sheet
    key: str | None = None                                # its name's identity key (values.key)

    county = property(lambda self: self.values.get("county"))
    city = property(lambda self: self.values.get("city"))
    cluster = property(lambda self: self.values.get("cluster"))
    category = property(lambda self: self.values.get("category"))

    @property
    def total(self):
        return self.estimate.base if self.estimate else None


def output_value(f, value, raw):
    """A field's value as the summary shows it: what its type read (a choice as the official
    tables print it), or the text as typed where it read nothing or the field keeps the text."""
    if f.output == "raw" or value is None or value is UNREADABLE:
        return raw
    if f.options:
        return next((o.text for o in f.options if o.value == value), raw)
    if isinstance(value, float) and f.type not in ("amount", "percent", "integer"):
        return raw
    return value


def _row_issues(df: pd.DataFrame, spec: TableSpec, located: list[Located], ctx: Ctx,
                issues: list[Issue]) -> set:
    """Run the row checks; add issues (one per source cell); return indexes of rows with errors."""
    excluded: set = set()
    seen: set = set()
    for rule, index in row_failures(df, spec, ctx):
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
        issues.append(Issue(row["path"], row["sheet"], src_row, spec.header(rule.field), rule.code,
                            _cell(spec, table, rule.field, src_row), None if value is None else str(value), context))
    return excluded


def _cell(spec: TableSpec, table, field_id: str, row: int) -> str | None:
    """The cell an issue points at; for a value computed from others, the first of those."""
    cell = table.cell(field_id, row)
    derive = spec.field(field_id).derive
    if cell is None and derive:
        cell = table.cell(derive["numerator"], row) or table.cell(derive["denominator"], row)
    return cell


def _positions(*keys: list) -> dict[tuple, list[int]]:
    """Row positions grouped by the key columns, groups and rows in frame order (plain
    Python: the frames here are long and the groups tiny, where pandas' groupby is slowest)."""
    groups: dict[tuple, list[int]] = {}
    for i, k in enumerate(zip(*keys)):
        groups.setdefault(k, []).append(i)
    return groups


def _enterprise_issues(df: pd.DataFrame, spec: TableSpec, excluded: set, located: list[Located],
                       ctx: Ctx, issues: list[Issue], totals: dict) -> set:
    """The spec's enterprise checks on the rows left after the row checks. The summed amount
    of each enterprise goes into `totals` ((input, key) -> total) for _enterprises: an
    enterprise that keeps its rows keeps all of them."""
    rules = ctx.rules
    left = df[~df.index.isin(excluded) & df["_key"].notna()]
    dropped: set = set()
    fields = dict.fromkeys(f for f in (spec.key, spec.amount, *(c.field for c in spec.enterprise_checks),
                                       *(c.args.get(a) for c in spec.enterprise_checks for a in ("group", "code_field")))
                           if f)
    names = ["path", "sheet", "tix", "input", "_key", f"{spec.key}_raw"] + \
        [c for f in fields for c in (f, f"{f}_row", f"{f}_raw")]
    col = {c: left[c].tolist() for c in dict.fromkeys(names)}
    for f in fields:
        col[f"{f}_name"] = col[f"{spec.key}_raw"]      # the enterprise a value belongs to, for messages
    index = left.index.tolist()
    path, name = col["path"], col[f"{spec.key}_raw"]

    def issue(rows: list[int], f: str, code: str, context: dict, at: int | None = None):
        at = rows[0] if at is None else at
        r = int(col[f"{f}_row"][at])
        cell = located[int(col["tix"][at])].table.cell(f, r)
        issues.append(Issue(path[at], col["sheet"][at], r, spec.header(f), code, cell,
                            col[f"{f}_raw"][at], {"name": name[at], **context}))
        dropped.update(index[j] for j in rows)

    groups = _positions(col["input"], col["_key"])
    amount = spec.amount
    for (inp, k), rows in groups.items():
        if amount:
            totals[inp, k] = subsidy.total([col[amount][j] for j in rows])
        for c in spec.enterprise_checks:
            if c.fn == "consistent":
                f = spec.field(c.field)
                values = list(dict.fromkeys(col[c.field][j] for j in rows if isinstance(col[c.field][j], str)))
                if len(values) > 1:
                    odd = next(j for j in rows if col[c.field][j] != values[0])
                    text = {o.value: o.text for o in f.options}
                    issue(rows, c.field, c.code, {"categories": "”和“".join(text.get(v, v) for v in values)}, at=odd)
            elif c.fn == "sum_at_least":
                limit = float(rules.get(c.args["limit"]))
                got = totals[inp, k] if c.field == amount else subsidy.total([col[c.field][j] for j in rows])
                if got < subsidy.money(limit):
                    issue(rows, c.field, c.code, {"total": f"{got}", "threshold": f"{limit:g}"})
    for c in spec.enterprise_checks:
        if c.fn == "unique_across_inputs":
            _duplicates(groups, col, c, issue)
        elif c.fn == "unique_code":
            _same_code(groups, col, c, issue, path)
        elif c.fn == "shared_across_enterprises":
            _shared(groups, col, c, issue, path)
        elif c.fn == "quota_per_group":
            _quota(groups, col, c, issue, spec, rules)
        elif c.fn == "on_ledger_list":
            if ctx.ledger is None or not ctx.ledger.has_list(c.args["list"]):
                if c.code not in ctx.skipped:
                    ctx.skipped.append(c.code)
                continue
            code_field = c.args.get("code_field")
            for rows in groups.values():
                j = rows[0]
                if col[c.field][j] != c.args["value"]:
                    continue
                code = col[code_field][j] if code_field else None
                if not ctx.ledger.on_list(c.args["list"], name[j], code if isinstance(code, str) else None):
                    issue(rows, c.field, c.code, {})
    return dropped


def _shared(groups: dict, col: dict, c, issue, path: list) -> None:
    """One value (an invoice number) on rows of two different enterprises: an error on each
    of those rows (several rows of one enterprise may share it)."""
    from xl_addin.ledger import invoice_key

    by_value: dict[str, dict[tuple, list[int]]] = {}
    for group, rows in groups.items():
        for j in rows:
            v = col[f"{c.field}_raw"][j]
            if v:
                by_value.setdefault(invoice_key(v), {}).setdefault(group, []).append(j)
    for owners in by_value.values():
        if len(owners) < 2:
            continue
        for group, rows in owners.items():
            others = "、".join(f"{col[f'{c.field}_name'][r[0]]}（{Path(path[r[0]]).name}）"
                              for g, r in owners.items() if g != group)
            for j in rows:
                issue([j], c.field, c.code, {"others": others})


def _quota(groups: dict, col: dict, c, issue, spec: TableSpec, rules: Rules) -> None:
    """More than `max` enterprises of one group (a cluster) claim `value` (营收前三): an error
    on every claimant, naming the others."""
    limit = int(rules.get(c.args["max"]))
    group_field = c.args["group"]
    claims: dict[str, list[list[int]]] = {}
    for rows in groups.values():
        j = rows[0]
        if col[c.field][j] == c.args["value"] and isinstance(col[group_field][j], str):
            claims.setdefault(col[group_field][j], []).append(rows)
    for group, claimants in claims.items():
        if len(claimants) <= limit:
            continue
        names = [col[f"{c.field}_name"][rows[0]] for rows in claimants]
        for rows, own in zip(claimants, names):
            others = "、".join(n for n in names if n != own)
            issue(rows, c.field, c.code, {"cluster": group, "count": len(claimants), "others": others, "max": limit})


def _same_code(groups: dict, col: dict, c, issue, path: list) -> None:
    """One code (a credit code) on two enterprises, in one input or two: an error on each."""
    by_code: dict[str, list[tuple]] = {}
    for group, rows in groups.items():
        code = next((col[c.field][j] for j in rows if isinstance(col[c.field][j], str)), None)
        if code:
            by_code.setdefault(code, []).append((group, rows))
    for entries in by_code.values():
        if len(entries) < 2:
            continue
        for group, rows in entries:
            others = "、".join(dict.fromkeys(f"{Path(path[r[0]]).name}（{col[f'{c.field}_raw'][r[0]]}）"
                                            for g, r in entries if g != group))
            issue(rows, c.field, c.code, {"others": others})


def _duplicates(groups: dict, col: dict, c, issue) -> None:
    """The same enterprise in two inputs: an error on every occurrence."""
    by_key: dict[str, dict[str, list[int]]] = {}
    path = col["path"]
    for (_, k), rows in groups.items():         # (one input: one path for all the group's rows)
        by_key.setdefault(k, {}).setdefault(path[rows[0]], []).extend(rows)
    for per_path in by_key.values():
        if len(per_path) < 2:
            continue
        for p, rows in per_path.items():
            others = "、".join(Path(o).name for o in per_path if o != p)
            issue(rows, c.field, c.code, {"others": others})


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

    def get(self, header: str, default=None):       # Mapping's own get goes through an exception
        i = self._index.get(header)
        return default if i is None else self._values[i]

    def take(self, headers: list[str]) -> list:
        """The values of `headers` (None where the row has none), in one call per row."""
        return [self._values[i] if i is not None else None for i in map(self._index.get, headers)]

    def taker(self, headers: list[str]):
        """take(headers) as a function of a row, the headers looked up once for the rows of
        this row's table: one C call per row (REPORT.json's 80,000 items at N = 1,000 in
        0.15 s, against 0.6 s through take)."""
        index, at = self._index, [self._index.get(h) for h in headers]
        if None in at or len(at) < 2:
            return lambda row: row.take(headers)
        if at == list(range(len(self._values))):
            return lambda row: row._values if row._index is index else row.take(headers)
        pick = operator.itemgetter(*at)
        return lambda row: pick(row._values) if row._index is index else row.take(headers)

    def __repr__(self) -> str:
        return f"OfficialRow({dict(self)!r})"


def _output_columns(spec: TableSpec, df: pd.DataFrame) -> dict[str, list]:
    """Field id -> the accepted rows' values as the summary shows them."""
    out = {}
    for f in spec.fields:
        if f.type == "seq":
            continue
        values, raw = df[f.id].tolist(), df[f"{f.id}_raw"].tolist()
        if f.output == "raw" or f.type in ("name", "text"):
            out[f.id] = raw
        elif f.type in ("amount", "percent"):
            out[f.id] = [v if type(v) is float else None for v in values]
        elif f.options:
            texts = {o.value: o.text for o in f.options}
            out[f.id] = [texts.get(v) or r for v, r in zip(values, raw)]
        elif f.type in ("county", "city", "cluster", "code", "phone"):
            out[f.id] = [v if type(v) is str else r for v, r in zip(values, raw)]
        else:       # (a date, a number or text is itself: output_value only for the rest)
            itself = (dt.date, dt.datetime, str, int) if not f.options and f.output != "raw" else ()
            out[f.id] = [v if type(v) in itself else output_value(f, v, r) for v, r in zip(values, raw)]
    return out


def _enterprises(df: pd.DataFrame, spec: TableSpec, rules: Rules, clusters: ClusterList,
                 totals: dict) -> list[Enterprise]:
    fields = [f for f in spec.fields if f.type != "seq"]
    outputs = _output_columns(spec, df)
    headers = [f.header for f in fields]
    index = {h: i for i, h in enumerate(headers)}
    official = [OfficialRow(index, values) for values in zip(*(outputs[f.id] for f in fields))] if len(df) else []
    col = {c: df[c].tolist() for c in ("input", "_key", "path", "row", f"{spec.key}_raw", *(f.id for f in fields))}
    scheme, amount = spec.enterprise.get("subsidy"), spec.amount
    dates = spec.enterprise.get("dates")
    out = []
    field_columns = [(f.id, col[f.id]) for f in fields]
    for rows in _positions(col["input"], col["_key"]).values():
        first = rows[0]
        # the block's cells: its first row's (locate has carried them down the block)
        values = {f: c[first] for f, c in field_columns}
        if UNREADABLE in values.values():
            values = {k: (None if v is UNREADABLE else v) for k, v in values.items()}
        ent = Enterprise(spec.id, col[f"{spec.key}_raw"][first], values, col["path"][first], [official[j] for j in rows],
                         row=col["row"][first], key=col["_key"][first])
        if amount:
            total = totals.get((col["input"][first], col["_key"][first]))
            amounts = [total] if total is not None else [col[amount][j] for j in rows]
            ent.estimate = subsidy.estimate(scheme, amounts, values,
                                            [col[dates][j] for j in rows if isinstance(col[dates][j], dt.date)]
                                            if dates else [], rules)
        out.append(ent)
    rank = clusters.county_rank
    # County in cluster-list order, then input order, then position in the input.
    order = {id(e): (rank.get(e.county, len(rank)), i) for i, e in enumerate(out)}
    return sorted(out, key=lambda e: order[id(e)])


def _json_value(v):
    if v is UNREADABLE:
        return None
    return v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v


def _table_json(spec: TableSpec, ents: list[Enterprise]) -> dict:
    items = []
    keys = [k for k in spec.report.get("enterprise", []) if k != spec.key]
    plain = (str, float, int, type(None))       # as JSON already (nearly every value)
    for e in ents:
        d = {"name": e.name}
        for k in keys:
            v = e.values.get(k)
            d[k] = v if type(v) in plain else _json_value(v)
        d["rows"] = len(e.rows)
        if e.estimate is not None:
            d.update({"total": float(e.estimate.base), "subsidy": float(e.estimate.result),
                      "capped": e.estimate.capped})
        d["source"] = e.source                                  # items: Report.to_dict
        items.append(d)
    out: dict = {"enterprises": items}
    counts = spec.report.get("counts")
    if counts:
        values = [o.value for o in spec.field(counts).options]
        out["counts"] = {v: sum(e.values.get(counts) == v for e in ents) for v in values}
    if spec.amount:
        out["total"] = float(sum((e.estimate.base for e in ents), subsidy.Decimal(0)))
        out["subsidy"] = float(sum((e.estimate.result for e in ents), subsidy.Decimal(0)))
    return out


def _excluded(specs: Specs, frames: dict[str, pd.DataFrame], issues: list[Issue]) -> list[dict]:
    """Enterprises that were read but have no accepted row, with the error codes of their rows."""
    codes_in: dict[str, list[tuple]] = {}           # path -> [(row, code)] in issue order
    for i in issues:
        if i.severity == ERROR:
            codes_in.setdefault(i.path, []).append((i.row, i.code))
    out = []
    for spec in specs:
        df = frames[spec.id]
        if df.empty:
            continue
        cells = [f"{f}_row" for f in dict.fromkeys([spec.key, spec.amount, *(c.field for c in spec.enterprise_checks)])
                 if f]
        named = df[df["_key"].notna()]
        kept = set(zip(named.loc[named["accepted"], "path"], named.loc[named["accepted"], "_key"]))
        left = named[~named["accepted"]]
        col = {c: left[c].tolist() for c in ("path", "_key", "row", f"{spec.key}_raw", *cells)}
        for (path, k), rows in _positions(col["path"], col["_key"]).items():
            if (path, k) in kept:      # some of its rows made it into the summary
                continue
            at = {col["row"][j] for j in rows} | {int(col[c][j]) for j in rows for c in cells
                                                  if not missing(col[c][j])}
            reasons = list(dict.fromkeys(code for row, code in codes_in.get(path, ()) if row in at))
            out.append({"table": spec.id, "name": col[f"{spec.key}_raw"][rows[0]], "source": path,
                        "rows": len(rows), "reasons": reasons})
    return sorted(out, key=lambda e: (e["source"], e["table"]))


def run(inputs: list[str | Path], rules: Rules | None = None, clusters: ClusterList | None = None,
        city: str | None = None, progress: Progress | None = None,
        books: dict[str, WorkbookData] | None = None, started: Started | None = None,
        specs: Specs | None = None, ledger=None) -> Report:
    """Consolidate workbook files (`inputs`) and already-read books (`books`, label -> data,
    e.g. the sheets of the open master workbook, passed by the Excel buttons). `started`:
    the same files already handed to workers by machinery.start. `ledger`: the lists and
    earlier rounds the eligibility checks need (checks that need one are skipped without)."""
    specs = specs or load_specs()
    rules = rules or load_rules(specs=specs)
    with collector_paused():
        report = _run(inputs, rules, clusters or default_clusters(), city, progress, books or {}, started,
                      specs.bind(rules), ledger)
    if len(report.inputs) >= PARALLEL_FROM:      # a large run: its frames are gone now
        release_memory()
    return report


def _run(inputs: list[str | Path], rules: Rules, clusters: ClusterList, city: str | None,
         progress: Progress | None, books: dict[str, WorkbookData], started: Started | None,
         specs: Specs, ledger) -> Report:
    ctx = Ctx(rules, clusters, ledger)
    # inputs the caller expanded already, to start the workers, are not looked up again
    given = [str(p) for p in inputs]
    paths = (given if started is not None and given == started.paths else expand_inputs(inputs)) + list(books)
    issues: list[Issue] = []
    results: list[InputResult] = []
    located: dict[str, list[Located]] = {s.id: [] for s in specs}
    columns: dict[str, dict[str, list]] = {s.id: {} for s in specs}
    for item in ingest_all(paths, clusters, specs, books, progress, started):
        results.append(item.result)
        issues.extend(item.issues)
        for spec in specs:
            cols, offset = item.columns[spec.id], len(located[spec.id])
            located[spec.id].extend(item.located[spec.id])
            if offset:
                cols["tix"] = [t + offset for t in cols["tix"]]
            for c, values in cols.items():
                columns[spec.id].setdefault(c, []).extend(values)

    frames, accepted = {}, {}
    for spec in specs:
        df = build_frame(spec, columns.pop(spec.id))
        excluded = _row_issues(df, spec, located[spec.id], ctx, issues)
        totals: dict = {}
        excluded |= _enterprise_issues(df, spec, excluded, located[spec.id], ctx, issues, totals)
        df["accepted"] = ~df.index.isin(excluded)
        frames[spec.id] = df
        accepted[spec.id] = _enterprises(df[df["accepted"]], spec, rules, clusters, totals)

    by_path = {r.path: r for r in results}
    for spec in specs:
        df = frames[spec.id]
        county = spec.first_of("county")
        accepted_rows = df["accepted"].tolist()
        counties = df[county].tolist() if county else [None] * len(df)
        for path, rows in _positions(df["path"].tolist()).items():
            r = by_path[path[0]]
            n, ok = len(rows), sum(accepted_rows[j] for j in rows)
            r.rows_read += n
            r.rows_accepted += ok
            r.rows_rejected += n - ok
            r.counties = sorted(set(r.counties) | {counties[j] for j in rows if isinstance(counties[j], str)},
                                key=lambda c: clusters.county_rank.get(c, 0))

    order = {p: i for i, p in enumerate(paths)}
    sheet_no = {(loc.path, loc.table.sheet): loc.sheet_no for locs in located.values() for loc in locs}
    headers = list(dict.fromkeys(f.header for s in specs for f in s.fields))
    position = {h: i for i, h in enumerate(headers)}
    issues.sort(key=lambda i: (order.get(i.path, 0), i.row is not None, sheet_no.get((i.path, i.sheet), 0),
                               i.row or 0, position.get(i.column, -1), i.code))

    projects = [s for s in specs if s.report.get("project")]
    # (the enterprises' keys, made where they were read: their names' keys again cost 0.1 s here)
    units = {e.key or key(e.name) for s in projects for e in accepted[s.id]}
    summary = {"units": len(units), "projects": sum(len(accepted[s.id]) for s in projects)}
    summary.update({s.report["summary_key"]: len(accepted[s.id]) for s in specs if s.report.get("summary_key")})
    report = Report(
        inputs=results, issues=issues, tables={s.id: _table_json(s, accepted[s.id]) for s in specs},
        summary=summary, city=city or _infer_city([e for s in specs for e in accepted[s.id]], frames, specs, clusters))
    report.specs = specs
    report.enterprises = accepted
    report.item_columns = {s.id: [f.header for f in s.official if f.type != "seq"] for s in specs}
    report.optional_columns = {s.id: [f.header for f in s.fields if f.template] for s in specs}
    report.excluded = _excluded(specs, frames, issues)
    report.checks_skipped = ctx.skipped
    return report


def _infer_city(ents: list[Enterprise], frames: dict, specs: Specs, clusters: ClusterList) -> str | None:
    cities = collections.Counter(e.city for e in ents if isinstance(e.city, str))
    if not cities:
        for spec in specs:
            county = spec.first_of("county")
            if county and county in frames[spec.id]:
                cities.update(clusters.county_city[c] for c in frames[spec.id][county] if isinstance(c, str))
    return cities.most_common(1)[0][0] if cities else None


def missing_counties(report: Report, clusters: ClusterList | None = None) -> list[str]:
    """Counties of the report's city that appear in no input (for 报送情况)."""
    clusters = clusters or default_clusters()
    if not report.city:
        return []
    sent = {c for r in report.inputs for c in r.counties}
    return [c for c in clusters.counties_of(report.city) if c not in sent]


def cities_of(report: Report) -> list[str]:
    return list(dict.fromkeys(e.city for ents in report.enterprises.values() for e in ents
                              if isinstance(e.city, str)))
