"""The columns of every input (see ingest) -> one pandas frame per table spec."""
from __future__ import annotations

import pandas as pd

INTEGERS = {"input", "row", "tix"}


def build_frame(spec, columns: dict[str, list]) -> pd.DataFrame:
    """Values stay Python objects (a field's value is None, what its type read, or UNREADABLE;
    no NaT/NaN inference from pandas); positions are integers."""
    if not columns:
        from xl_addin.normalize.ingest import column_names
        columns = {c: [] for c in column_names(spec)}
    data = {c: pd.Series(v, dtype="int64") if c in INTEGERS or c.endswith("_row") else pd.Series(v, dtype="object")
            for c, v in columns.items()}
    return pd.DataFrame(data, columns=list(columns))
