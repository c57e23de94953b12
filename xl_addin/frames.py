"""The columns of every input (see ingest) -> one pandas frame per table kind."""
from __future__ import annotations

import pandas as pd

FLOATS = {"unit_price", "total", "amount", "share"}
INFERRED = {"input", "row", "tix", "share_pct"}     # ints and bools (an explicit int64 cast is slow)


def build_frame(kind: str, columns: dict[str, list]) -> pd.DataFrame:
    """Raw values stay Python objects (no NaT/NaN inference from pandas); amounts are floats."""
    data = {}
    for c, values in columns.items():
        if c in FLOATS:
            data[c] = pd.Series(values, dtype="float64")
        elif c in INFERRED or c.endswith("_row"):
            data[c] = pd.Series(values) if values else pd.Series(values, dtype="int64")
        else:
            data[c] = pd.Series(values, dtype="object")
    return pd.DataFrame(data, columns=list(columns))
