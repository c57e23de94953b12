"""Reference lists read like any table (data/lists/*.toml): the headers are found wherever
the list puts them, template and note rows are skipped, and each row gives a list entry."""
from __future__ import annotations

import re

from xl_addin.normalize.codes import uscc
from xl_addin.read.grid import WorkbookData
from xl_addin.locate.headers import HeaderIndex, locate
from xl_addin.normalize.values import display
from xl_addin.declare.spec import load_lists


def read_list(book: WorkbookData, list_name: str) -> list[dict]:
    """Entries of one list: name, and uscc, cluster, year or register_no where given."""
    spec = load_lists()[list_name]
    index = HeaderIndex(type(load_lists())((spec,)))
    out = []
    for grid in book.sheets:
        for table in locate(grid, index):
            for rec in table.records:
                name = display(rec.values.get("name"))
                if not name:
                    continue
                entry = {"name": name}
                if rec.values.get("uscc") is not None:
                    entry["uscc"] = uscc(rec.values["uscc"]) or display(rec.values["uscc"])
                for f in ("cluster", "register_no"):
                    if rec.values.get(f) is not None:
                        entry[f] = display(rec.values[f])
                year = re.search(r"(19|20)\d\d", display(rec.values.get("year")) or "")
                if year:
                    entry["year"] = int(year.group(0))
                out.append(entry)
    return out
