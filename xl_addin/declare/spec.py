"""The table declarations (data/tables/*.toml): one spec per official table.

A spec names the table, the header signature that identifies it, its fields in official
order (header, aliases, type, required, inherited, width, format, dropdown), its extra row
and enterprise checks, the enterprise key and summed amount, and the layout of its part of
the summary. Every stage iterates these declarations; no code names an official header."""
from __future__ import annotations

import functools
import os
import re
import sys
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

TABLES_ENV = "XL_ADDIN_TABLES"      # a folder of extra table specs (os.pathsep-separated)
TYPES = {"seq", "name", "text", "amount", "percent", "date", "enum", "county", "city", "cluster",
         "industry", "code", "phone", "integer"}
NUMBER_FORMATS = {"amount": "0.00", "percent": "0.00", "date": "yyyy-mm-dd", "integer": "0"}


class SpecError(ValueError):
    """A table spec that cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class Option:
    value: str                    # canonical value (REPORT.json)
    text: str                     # as the official tables print it
    patterns: tuple[re.Pattern, ...]


@dataclass(frozen=True)
class Field:
    id: str
    header: str
    aliases: tuple[str, ...]
    type: str
    required: bool = False
    inherited: bool = False
    official: bool = True         # a column of the official form (templates, JSON items)
    width: float | None = None
    number_format: str | None = None
    dropdown: str | None = None   # counties | cities | clusters | options
    invalid: str | None = None    # issue code when a present value cannot be read
    options: tuple[Option, ...] = ()
    match: str = "contains"       # enum: contains | prefix
    output: str = "value"         # value (canonical, else as typed) | raw (as typed)
    default_from: str | None = None
    options_from: str | None = None   # a rules entry listing the choices (the round's directions)
    derive: dict | None = None        # computed when blank: {fn = "ratio", numerator, denominator}
    zero_allowed: bool = False        # percent: 0 is a valid value (a share of 0 % is not)
    template: bool = False            # an optional column the county template offers

    @property
    def numeric(self) -> bool:
        return self.type in ("amount", "percent", "integer")


@dataclass(frozen=True)
class Check:
    code: str
    fn: str
    field: str
    args: dict[str, Any]


@dataclass(frozen=True)
class Summary:
    sheet: str
    part: str
    number: str
    total: str
    columns: tuple[str, ...]
    province_columns: tuple[str, ...]
    merged: frozenset[str]
    title: str | None = None      # the sheet's own title ({city}), instead of the round's
    no_total: bool = False        # a list without a 合计 row


@dataclass(frozen=True)
class TableSpec:
    id: str
    title: str
    sheet: str
    label: str
    unit: str | None
    source: str
    order: int
    identify_all: tuple[str, ...]
    identify_any: tuple[str, ...]
    fields: tuple[Field, ...]
    enterprise: dict[str, Any]
    report: dict[str, Any]
    summary: Summary
    checks: tuple[Check, ...] = ()
    enterprise_checks: tuple[Check, ...] = ()
    path: str = ""
    conditions: dict = field(default_factory=dict, compare=False)
    ledger: dict = field(default_factory=dict, compare=False)    # what an approved round records
    by_id: dict[str, Field] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self):
        self.by_id.update({f.id: f for f in self.fields})

    def field(self, field_id: str) -> Field:
        return self.by_id[field_id]

    def header(self, field_id: str) -> str:
        return self.by_id[field_id].header

    @property
    def key(self) -> str:
        return self.enterprise["key"]

    @property
    def amount(self) -> str | None:
        return self.enterprise.get("amount")

    @property
    def official(self) -> list[Field]:
        return [f for f in self.fields if f.official]

    def first_of(self, type_: str) -> str | None:
        return self._first.get(type_)

    @functools.cached_property
    def _first(self) -> dict[str, str]:
        """type -> the first field of that type (asked for on every row read)."""
        out: dict[str, str] = {}
        for f in self.fields:
            out.setdefault(f.type, f.id)
        return out

    @functools.cached_property
    def amount_fields(self) -> frozenset[str]:
        return frozenset(f.id for f in self.fields if f.type == "amount")


def _need(raw: dict, key: str, where: str):
    if key not in raw:
        raise SpecError(f"表格定义 {where} 缺少“{key}”。")
    return raw[key]


def _options(raw: list, match: str, where: str) -> tuple[Option, ...]:
    out = []
    for o in raw:
        value = _need(o, "value", where)
        texts = o.get("match", [value])
        pats = tuple(re.compile("^" + re.escape(t) if match == "prefix" else t) for t in texts)
        out.append(Option(value, o.get("text", value), pats))
    return tuple(out)


def parse_spec(raw: dict, path: str) -> TableSpec:
    where = Path(path).name
    fields = []
    for f in _need(raw, "field", where):
        fid = _need(f, "id", where)
        type_ = _need(f, "type", f"{where} {fid}")
        if type_ not in TYPES:
            raise SpecError(f"表格定义 {where}：字段 {fid} 的类型“{type_}”无法识别（可用：{'、'.join(sorted(TYPES))}）。")
        header = _need(f, "header", f"{where} {fid}")
        fields.append(Field(
            fid, header, tuple(f.get("aliases", [header])), type_, bool(f.get("required", False)),
            bool(f.get("inherited", False)), bool(f.get("official", True)), f.get("width"),
            f.get("number_format", NUMBER_FORMATS.get(type_)), f.get("dropdown"), f.get("invalid"),
            _options(f.get("options", []), f.get("match", "contains"), f"{where} {fid}"),
            f.get("match", "contains"), f.get("output", "value"), f.get("default_from"), f.get("options_from"),
            f.get("derive"), bool(f.get("zero_allowed", False)), bool(f.get("template", False))))
    ids = [f.id for f in fields]
    if len(set(ids)) != len(ids):
        raise SpecError(f"表格定义 {where}：字段 id 重复。")
    s = _need(raw, "summary", where)
    columns = tuple(s.get("columns", [f.id for f in fields if f.official and f.type != "seq"]))
    summary = Summary(s.get("sheet", raw.get("sheet", raw["id"])), s.get("part", raw.get("title", "")),
                      _need(s, "number", where), _need(s, "total", where), columns,
                      tuple(s.get("province_columns", columns)), frozenset(s.get("merged", [])),
                      s.get("title"), bool(s.get("no_total", False)))
    ident = _need(raw, "identify", where)
    spec = TableSpec(
        _need(raw, "id", where), _need(raw, "title", where), raw.get("sheet", raw["id"]),
        raw.get("label", raw["title"]), raw.get("unit"), raw.get("source", ""), int(raw.get("order", 99)),
        tuple(ident.get("all", [])), tuple(ident.get("any", [])), tuple(fields),
        dict(_need(raw, "enterprise", where)), dict(raw.get("report", {})), summary,
        tuple(Check(c["code"], c["fn"], c["field"], dict(c.get("args", {}))) for c in raw.get("check", [])),
        tuple(Check(c["code"], c["fn"], c["field"], dict(c.get("args", {})))
              for c in raw.get("enterprise_check", [])), path, dict(raw.get("conditions", {})),
        dict(raw.get("ledger", {})))
    known = set(ids)
    refs = [*spec.identify_all, *spec.identify_any, *columns, *summary.province_columns, *summary.merged,
            spec.key, *(c.field for c in spec.checks + spec.enterprise_checks)]
    refs += [v for k, v in spec.enterprise.items() if k in ("amount", "category", "founded", "dates")]
    for ref in refs:
        if ref not in known:
            raise SpecError(f"表格定义 {where} 引用了不存在的字段“{ref}”。")
    return spec


@dataclass(frozen=True)
class Specs:
    """The table specs of a run, in output order."""
    tables: tuple[TableSpec, ...]

    def __iter__(self):
        return iter(self.tables)

    def __getitem__(self, kind: str) -> TableSpec:
        for t in self.tables:
            if t.id == kind:
                return t
        raise KeyError(kind)

    def bind(self, rules) -> "Specs":
        """The specs with the choices their fields take from the rules table filled in."""
        import dataclasses

        tables = []
        for t in self.tables:
            fields = tuple(dataclasses.replace(f, options=choices(rules.get(f.options_from)))
                           if f.options_from else f for f in t.fields)
            tables.append(dataclasses.replace(t, fields=fields, by_id={}) if fields != t.fields else t)
        return Specs(tuple(tables))


def choices(texts: list[str]) -> tuple[Option, ...]:
    """Options read from a plain list of texts: each matches its own words, without quotes
    and without a trailing 发展 (“共享智造”发展 is typed 共享智造)."""
    from xl_addin.normalize.values import key

    out = []
    for text in texts:
        core = key(text)
        core = core[:-2] if core.endswith("发展") and len(core) > 3 else core
        out.append(Option(text, text, (re.compile(re.escape(core)),)))
    return tuple(out)


def _read(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"表格定义 {path.name} 格式有误：{exc}") from exc


def load_lists() -> Specs:
    """The specs of the reference lists the ledger imports (data/lists/*.toml)."""
    folder = resources.files("xl_addin.data").joinpath("lists")
    return Specs(tuple(parse_spec(tomllib.loads(p.read_text("utf-8")), str(p))
                       for p in sorted(folder.iterdir(), key=lambda p: p.name) if p.name.endswith(".toml")))


def load_specs(extra: list[str | Path] = ()) -> Specs:
    """The packaged table specs, plus spec files or folders in `extra` and XL_ADDIN_TABLES."""
    env = [p for p in os.environ.get(TABLES_ENV, "").split(os.pathsep) if p]
    return _load(tuple(str(p) for p in extra) + tuple(env))


@functools.lru_cache(maxsize=8)
def _load(extra: tuple[str, ...]) -> Specs:
    found: dict[str, TableSpec] = {}
    packaged = resources.files("xl_addin.data").joinpath("tables")
    sources = [(Path(str(p)), p.read_text("utf-8")) for p in sorted(packaged.iterdir(), key=lambda p: p.name)
               if p.name.endswith(".toml")]
    for item in extra:
        p = Path(item)
        files = sorted(p.glob("*.toml")) if p.is_dir() else [p]
        sources += [(f, f.read_text("utf-8")) for f in files]
    for path, text in sources:
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise SpecError(f"表格定义 {path.name} 格式有误：{exc}") from exc
        spec = parse_spec(raw, str(path))
        found[spec.id] = spec
    return Specs(tuple(sorted(found.values(), key=lambda t: (t.order, t.id))))
