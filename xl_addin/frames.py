"""Records from located tables -> normalized pandas frames, one per table kind.

Each row keeps where it came from (path, sheet, row) and, per field, the raw
text as typed and the row the value came from (inherited enterprise cells point
at the block's first row)."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from . import normalize as nz
from .locate import HEADERS, OPTIONAL_FIELDS, Table
from .reference import ClusterList

MAX_TEXT = 2000   # characters; far above any real cell of these tables, far below a hostile one


@dataclass
class Located:
    input: int        # position of the input in the sorted input list
    path: str
    table: Table
    sheet_no: int = 0  # position of the sheet in its workbook


def fields_of(kind: str) -> list[str]:
    return list(HEADERS[kind]) + list(OPTIONAL_FIELDS[kind])


def build_frame(kind: str, located: list[Located], clusters: ClusterList) -> pd.DataFrame:
    fields = fields_of(kind)
    columns = ["input", "path", "sheet", "row", "tix", "share_pct"] + \
        [f"{f}_{s}" for f in fields for s in ("raw", "row", "val", "len")]
    # Column lists, not a dict per row: a province's 80,000 rows x 40 columns as row dicts
    # would cost a few hundred MB for a moment.
    cols: dict[str, list] = {c: [] for c in columns}
    base = [cols[c] for c in ("input", "path", "sheet", "row", "tix", "share_pct")]
    per_field = [(f, cols[f"{f}_raw"], cols[f"{f}_row"], cols[f"{f}_val"], cols[f"{f}_len"]) for f in fields]
    display = nz.display
    for tix, loc in enumerate(located):
        for rec in loc.table.records:
            for lst, v in zip(base, (loc.input, loc.path, loc.table.sheet, rec.row, tix, "share" in rec.percent)):
                lst.append(v)
            for f, raw, row, val, length in per_field:
                v = rec.values.get(f)
                if isinstance(v, str) and len(v) > MAX_TEXT:
                    length.append(len(v))
                    v = v[:MAX_TEXT]
                else:
                    length.append(None)
                raw.append((v.strip() or None) if isinstance(v, str) else display(v))   # display(), fast path
                row.append(rec.rows.get(f, rec.row))
                val.append(v)
    # raw values stay Python objects: no NaT/NaN inference from pandas
    df = pd.DataFrame({c: pd.Series(v, dtype="object") if c.endswith(("_val", "_raw", "_len")) or c in ("path", "sheet")
                       else pd.Series(v)      # ints and bools: inferred (an explicit int64 cast is slow)
                       for c, v in cols.items()}, columns=columns)
    if df.empty:
        return _typed_empty(df, kind)
    return _normalize(df, kind, clusters)


def _typed_empty(df: pd.DataFrame, kind: str) -> pd.DataFrame:
    extra = ["name", "name_key", "county", "cluster", "cluster_county", "city"] + (
        ["category", "equip_cat", "unit_price", "total"] if kind == "table1"
        else ["amount", "share", "agreement", "exit", "founded"])
    for col in extra:
        df[col] = pd.Series(dtype="object")
    return df


def _map(series: pd.Series, fn) -> pd.Series:
    return pd.Series([fn(v) for v in series], index=series.index, dtype="object")


def _normalize(df: pd.DataFrame, kind: str, clusters: ClusterList) -> pd.DataFrame:
    df["name"] = df["name_raw"]
    df["name_key"] = _map(df["name_val"], lambda v: nz.key(v) or None)
    df["county"] = _map(df["county_val"], clusters.match_county)
    df["city"] = _map(df["city_val"], clusters.match_city)
    matched = [clusters.match_cluster(v, c) for v, c in zip(df["cluster_val"], df["county"])]
    df["cluster"] = pd.Series([m.name if m else None for m in matched], index=df.index, dtype="object")
    df["cluster_county"] = pd.Series([m.county if m else None for m in matched], index=df.index, dtype="object")
    if kind == "table1":
        df["category"] = _map(df["category_val"], nz.enterprise_category)
        df["equip_cat"] = _map(df["equipment_val"], nz.equipment_category)
        df["unit_price"] = _map(df["unit_price_val"], nz.amount).astype("float64")
        df["total"] = _map(df["total_val"], nz.amount).astype("float64")
    else:
        df["amount"] = _map(df["amount_val"], nz.amount).astype("float64")
        df["share"] = pd.Series([nz.percent(v, "%" if pct else None)
                                 for v, pct in zip(df["share_val"], df["share_pct"])],
                                index=df.index, dtype="float64")
        df["agreement"] = _map(df["agreement_date_val"], nz.date)
        df["exit"] = _map(df["exit_date_val"], nz.date)
        df["founded"] = _map(df["founded_val"], nz.date)
    return df
