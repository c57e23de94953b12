"""Row rules (declared here, executed lazily by pandera) and enterprise checks.

Each row rule is a named function returning a boolean Series that is True where
a row passes. Rules are declared once with the issue code and the field the
issue points at; `row_schema` turns them into a pandera DataFrameSchema whose
lazy validation collects every failure. Failure indexes map back to rows.
"""
from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from typing import Callable

import pandas as pd
import pandera.pandas as pa

from .catalogue import CATALOGUE, ERROR
from .locate import HEADERS, OPTIONAL_FIELDS
from .reference import ClusterList
from .rules import Rules


@dataclass
class Ctx:
    rules: Rules
    clusters: ClusterList


@dataclass(frozen=True)
class RowRule:
    code: str
    field: str
    tables: tuple[str, ...]
    passes: Callable[[pd.DataFrame, Ctx], pd.Series]
    context: Callable[[pd.Series, Ctx], dict] | None = None

    @property
    def name(self) -> str:
        return f"{self.code}|{self.field}"


ROW_RULES: list[RowRule] = []
_T1, _T2, _BOTH = ("table1",), ("table2",), ("table1", "table2")


def row_rule(code: str, field: str, tables=_BOTH, context=None):
    def register(fn):
        ROW_RULES.append(RowRule(code, field, tables, fn, context))
        return fn
    return register


def present(df: pd.DataFrame, field: str) -> pd.Series:
    return df[f"{field}_raw"].notna()


# --- required ---------------------------------------------------------------
def _required_rule(field: str) -> Callable:
    return lambda df, ctx: present(df, field)


for _kind, _headers in HEADERS.items():
    for _field in _headers:
        ROW_RULES.append(RowRule("required_missing", _field, (_kind,), _required_rule(_field)))


# --- table 1 ----------------------------------------------------------------
@row_rule("enterprise_category_invalid", "category", _T1)
def category_known(df, ctx):
    return ~present(df, "category") | df["category"].notna()


@row_rule("equipment_category_invalid", "equipment", _T1)
def equipment_category_known(df, ctx):
    return ~present(df, "equipment") | df["equip_cat"].notna()


@row_rule("production_equipment_not_leader", "equipment", _T1)
def production_only_for_leader(df, ctx):
    allowed = set(ctx.rules.production_only_for)
    return (df["equip_cat"] != "先进生产设备") | df["category"].isna() | df["category"].isin(allowed)


def _amount_rule(field: str, column: str) -> Callable:
    return lambda df, ctx: ~present(df, field) | (df[column] > 0)


for _field, _column, _tables in (("unit_price", "unit_price", _T1), ("total", "total", _T1),
                                 ("amount", "amount", _T2)):
    ROW_RULES.append(RowRule("amount_invalid", _field, _tables, _amount_rule(_field, _column)))


def _amounts_ctx(row, ctx):
    return {"total": _fmt(row["total"]), "unit_price": _fmt(row["unit_price"])}


@row_rule("total_less_than_unit_price", "total", _T1, context=_amounts_ctx)
def total_not_below_unit_price(df, ctx):
    valid = (df["unit_price"] > 0) & (df["total"] > 0)
    return ~valid | (df["total"] >= df["unit_price"] - 1e-9)


# --- places (both tables) ---------------------------------------------------
def _cluster_hint(row, ctx):
    near = ctx.clusters.suggest_cluster(row["cluster_raw"])
    return {"hint": f"（最接近的是“{near}”）" if near else ""}


@row_rule("cluster_unknown", "cluster", context=_cluster_hint)
def cluster_known(df, ctx):
    return ~present(df, "cluster") | df["cluster"].notna()


def _cluster_county_ctx(row, ctx):
    county = row["cluster_county"]
    return {"expected": f"{ctx.clusters.county_city.get(county, '')}{county}", "county": row["county_raw"]}


@row_rule("cluster_county_mismatch", "cluster", context=_cluster_county_ctx)
def cluster_in_county(df, ctx):
    return df["cluster"].isna() | ~present(df, "county") | (df["county"] == df["cluster_county"])


@row_rule("city_unknown", "city")
def city_known(df, ctx):
    return ~present(df, "city") | df["city"].notna()


def _city_county_ctx(row, ctx):
    county = row["county"]
    city = ctx.clusters.county_city.get(county) if county else None
    return {"county": row["county_raw"], "expected": f"（它属于{city}）" if city else ""}


@row_rule("city_county_mismatch", "city", context=_city_county_ctx)
def county_in_city(df, ctx):
    county_city = df["county"].map(ctx.clusters.county_city)
    return df["city"].isna() | ~present(df, "county") | (county_city == df["city"])


# --- table 2 ----------------------------------------------------------------
@row_rule("share_out_of_range", "share", _T2)
def share_in_range(df, ctx):
    return ~present(df, "share") | ((df["share"] > 0) & (df["share"] <= 100))


@row_rule("agreement_date_invalid", "agreement_date", _T2)
def agreement_date_valid(df, ctx):
    return ~present(df, "agreement_date") | df["agreement"].notna()


@row_rule("agreement_date_too_early", "agreement_date", _T2,
          context=lambda row, ctx: {"limit": ctx.rules.agreement_after.isoformat(), "value": row["agreement"]})
def agreement_after_limit(df, ctx):
    after = ctx.rules.agreement_after
    return pd.Series([d is None or d > after for d in df["agreement"]], index=df.index)


@row_rule("exit_before_agreement", "exit_date", _T2,
          context=lambda row, ctx: {"agreement": row["agreement"], "value": row["exit"]})
def exit_not_before_agreement(df, ctx):
    return pd.Series([e is None or a is None or e >= a for e, a in zip(df["exit"], df["agreement"])],
                     index=df.index)


# --- warnings ---------------------------------------------------------------
@row_rule("amount_unit_suspect", "unit_price", _T1,
          context=lambda row, ctx: {"limit": _fmt(ctx.rules.unit_price_suspect_above)})
def unit_price_plausible(df, ctx):
    return ~(df["unit_price"] > ctx.rules.unit_price_suspect_above)


def _keyword(text, ctx) -> str | None:
    """The first excluded keyword (in the rules' order) in the text, ignoring case."""
    if not isinstance(text, str):
        return None
    upper = text.upper()
    return next((k for k in ctx.rules.excluded_keywords if k.upper() in upper), None)


@functools.lru_cache(maxsize=8)
def _any_keyword(keywords: tuple[str, ...]) -> re.Pattern | None:
    """One pattern for 'some keyword occurs' (the same test as _keyword, one pass per cell)."""
    return re.compile("|".join(re.escape(k.upper()) for k in keywords)) if keywords else None


def _excluded_rule(field: str) -> Callable:
    def passes(df, ctx):
        pattern = _any_keyword(tuple(ctx.rules.excluded_keywords))
        if pattern is None:
            return pd.Series(True, index=df.index)
        search = pattern.search
        return pd.Series([not (isinstance(t, str) and search(t.upper())) for t in df[f"{field}_raw"]],
                         index=df.index)
    return passes


for _field in ("equipment", "purpose"):
    ROW_RULES.append(RowRule("excluded_equipment_suspect", _field, _T1, _excluded_rule(_field),
                             (lambda f: lambda row, ctx: {"keyword": _keyword(row[f"{f}_raw"], ctx)})(_field)))


@row_rule("total_not_multiple", "total", _T1, context=_amounts_ctx)
def total_is_multiple(df, ctx):
    valid = (df["unit_price"] > 0) & (df["total"] >= df["unit_price"])
    ratio = (df["total"] / df["unit_price"]).where(valid, 1.0)
    return ~valid | ((ratio - ratio.round()).abs() < 1e-6)


def _fields_rule(column: str, field: str) -> Callable:
    """Passes where the row's `column` (a collection of field names, or None) lacks `field`."""
    def passes(df, ctx):
        marks = df[column]
        if not marks.notna().any():              # nearly always: one vectorized test for the lot
            return pd.Series(True, index=df.index)
        return pd.Series([m is None or field not in m for m in marks], index=df.index)
    return passes


def _formula_rule(field: str) -> Callable:
    return _fields_rule("formula", field)      # ingest names the fields whose text starts with "="


def _length_rule(field: str) -> Callable:
    return _fields_rule("long", field)         # ingest names the fields cut at MAX_TEXT, with length


def _length_ctx(field: str) -> Callable:
    from .ingest import MAX_TEXT
    return lambda row, ctx: {"length": int(row["long"][field]), "limit": MAX_TEXT}


for _kind in HEADERS:
    for _field in list(HEADERS[_kind]) + list(OPTIONAL_FIELDS[_kind]):
        ROW_RULES.append(RowRule("formula_text", _field, (_kind,), _formula_rule(_field)))
        ROW_RULES.append(RowRule("text_truncated", _field, (_kind,), _length_rule(_field), _length_ctx(_field)))


# --- execution ----------------------------------------------------------------
def _fmt(x) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    return f"{x:.2f}".rstrip("0").rstrip(".") if isinstance(x, float) else str(x)


def rules_for(kind: str, rules: Rules, severity: str) -> list[RowRule]:
    required = {f for f, header in HEADERS[kind].items() if header in rules.required(kind)}
    chosen = []
    for rule in ROW_RULES:
        if kind not in rule.tables or CATALOGUE[rule.code].severity != severity:
            continue
        if rule.code == "required_missing" and rule.field not in required:
            continue
        chosen.append(rule)
    return chosen


def row_schema(kind: str, ctx: Ctx, severity: str) -> pa.DataFrameSchema:
    return pa.DataFrameSchema(
        checks=[pa.Check(lambda df, r=rule: r.passes(df, ctx), name=rule.name, ignore_na=False)
                for rule in rules_for(kind, ctx.rules, severity)],
        name=f"{kind}:{severity}")


def row_failures(df: pd.DataFrame, kind: str, ctx: Ctx) -> list[tuple[RowRule, object]]:
    """(rule, frame index) for every failing row, errors and warnings, in rule order."""
    if df.empty:
        return []
    by_name = {r.name: r for r in ROW_RULES if kind in r.tables}
    failures: list[tuple[RowRule, object]] = []
    for severity in (ERROR, "warning"):
        try:
            row_schema(kind, ctx, severity).validate(df, lazy=True)
        except pa.errors.SchemaErrors as exc:
            cases = exc.failure_cases[["check", "index"]].drop_duplicates()
            for check, index in cases.itertuples(index=False):
                rule = by_name.get(check)
                if rule is None or pd.isna(index):  # a check that crashed: pandera reports it by its own name
                    raise RuntimeError(f"rule check failed to run: {check}") from exc
                failures.append((rule, index))
    return failures
