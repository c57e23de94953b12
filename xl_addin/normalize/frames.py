"""The columns of every input (see ingest) -> one pandas frame per table spec."""
from __future__ import annotations

import pandas as pd

INTEGERS = {"input", "row", "tix"}


def build_frame(spec, columns: dict[str, list]) -> pd.DataFrame:
    """Values stay Python objects (a field's value is None, what its type read, or UNREADABLE;
    no NaT/NaN inference from pandas); positions are integers. `columns` is emptied."""
    if not columns:
        from xl_addin.normalize.ingest import column_names
        columns = {c: [] for c in column_names(spec)}
    # Each list is let go once it is a Series (the caller passes the only reference), and the
    # frame keeps the Series' arrays instead of copying them into one block: at N = 1,000 the
    # frame's peak costs ~1 MB, not ~75 MB (lists, Series and block held at once; measured).
    names, data = list(columns), {}
    for c in names:
        v = columns.pop(c)
        data[c] = pd.Series(v, dtype="int64") if c in INTEGERS or c.endswith("_row") else pd.Series(v, dtype="object")
        del v
    return pd.DataFrame(data, columns=names, copy=False)
