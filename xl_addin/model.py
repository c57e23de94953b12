"""The report: inputs, issues, accepted enterprises per table. JSON-serialisable and the
single thing the CLI, the buttons, the web page and the 问题清单 sheet render."""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from xl_addin.declare.catalogue import CATALOGUE, ERROR, WARNING, render

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
SHOWN_VALUE = 80   # characters of a cell value quoted in a message


def shown(value: object) -> str | None:
    """A cell value as quoted in messages: no control characters (no terminal escapes), short."""
    if value is None:
        return None
    text = _CONTROL.sub(" ", str(value))
    return text if len(text) <= SHOWN_VALUE else text[:SHOWN_VALUE] + "…"


def _jsonable(value):
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value


@dataclass
class Issue:
    path: str
    sheet: str | None
    row: int | None
    column: str | None          # official header text
    code: str
    cell: str | None = None     # e.g. H7
    value: str | None = None
    context: dict[str, Any] = field(default_factory=dict)
    severity_of_rule: str | None = None   # a rule that sets its own (the cluster targets' 左右: a warning)

    def __post_init__(self):
        self.value = shown(self.value)
        self.context = {k: shown(v) if isinstance(v, str) else v for k, v in self.context.items()}

    @property
    def severity(self) -> str:
        return self.severity_of_rule or CATALOGUE[self.code].severity

    @property
    def where(self) -> str:
        """Excel: 表1!H7; a Word table: 表格3第5行第2列; or the sheet alone."""
        joint = "" if (self.cell or "").startswith("第") else "!"
        return f"{self.sheet}{joint}{self.cell}" if self.sheet and self.cell else (self.sheet or "")

    @property
    def message(self) -> str:
        return render(self.code, {"value": self.value or "", "column": self.column or "",
                                  "cell": self.where, **self.context})

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "sheet": self.sheet, "row": self.row, "column": self.column,
                "cell": self.cell, "code": self.code, "severity": self.severity,
                "message": self.message}


@dataclass
class InputResult:
    path: str
    status: str = "ok"                  # ok | rejected
    reason: str | None = None
    rows_read: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    counties: list[str] = field(default_factory=list)  # counties its rows name (for 报送情况)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("counties")
        return d


@dataclass
class Report:
    inputs: list[InputResult]
    issues: list[Issue]
    tables: dict[str, dict[str, Any]]            # kind -> its REPORT.json section
    summary: dict[str, int]
    city: str | None = None
    specs: Any = None                            # the table specs of the run
    enterprises: dict[str, Any] = field(default_factory=dict)  # accepted Enterprise objects, not serialised
    excluded: list[dict[str, Any]] = field(default_factory=list)  # enterprises read but not accepted
    # kind -> the official columns of an item; the JSON's per-item rows are made from the
    # enterprises' rows when serialised (a province's 80,000 items are not held twice)
    item_columns: dict[str, list[str]] = field(default_factory=dict)
    checks_skipped: list[str] = field(default_factory=list)
    optional_columns: dict[str, list[str]] = field(default_factory=dict)   # in an item only when filled

    def __getattr__(self, name: str):
        """report.table1: a table's section, by its kind."""
        tables = self.__dict__.get("tables") or {}
        if name in tables:
            return tables[name]
        raise AttributeError(name)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == ERROR]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == WARNING]

    def to_dict(self, items: bool = True) -> dict[str, Any]:
        out = {"inputs": [i.to_dict() for i in self.inputs], "issues": [i.to_dict() for i in self.issues]}
        out.update({kind: self._table(kind) if items else self.tables[kind] for kind in self.tables})
        out.update({"summary": self.summary, "excluded": self.excluded, "city": self.city,
                    "checks_skipped": self.checks_skipped})
        return out

    def _table(self, kind: str) -> dict[str, Any]:
        table = self.tables[kind]
        columns, ents = self.item_columns.get(kind), self.enterprises.get(kind)
        if columns is None or ents is None:
            return table
        optional = self.optional_columns.get(kind, [])
        return {**table, "enterprises": [
            {**d, "items": [{**{k: _jsonable(row[k]) for k in columns if k in row},
                             **{k: _jsonable(row[k]) for k in optional if row.get(k) is not None}} for row in e.rows]}
            for d, e in zip(table["enterprises"], ents)]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n"

    def flatten(self, keys=("path", "row", "column", "code")) -> list[list[Any]]:
        """Issues as plain lists, for tests: [[path, row, column, code], ...]."""
        return [[d[k] for k in keys] for d in (i.to_dict() for i in self.issues)]
