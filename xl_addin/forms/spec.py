"""The form declarations (data/forms/*.toml): sections of items named by row label."""
from __future__ import annotations

import functools
import re
import sys
from dataclasses import dataclass, field
from importlib import resources

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

NUMERIC = {"number", "percent", "rate", "count"}
_PAREN = re.compile(r"[（(][^（()）]*[)）]")
_DROP = re.compile(r"[\s（()）:：“”\"'‘’]+")


def label_key(text: object) -> str:
    """A label as compared: without spaces, brackets and what they hold (units and notes),
    colons and quotes. 总产值（亿元） -> 总产值."""
    s = str(text or "")
    prev = None
    while prev != s:
        prev, s = s, _PAREN.sub("", s)
    return _DROP.sub("", s).replace("其中", "", 1) if s.startswith("其中") else _DROP.sub("", s)


@dataclass(frozen=True)
class Item:
    id: str
    label: str
    type: str
    section: str
    aliases: tuple[str, ...] = ()
    occurrence: int = 1
    of: str | None = None                 # years: the type of each year's value
    options: tuple[str, ...] = ()
    max: int | None = None
    derive: str | None = None
    source: str | None = None
    unit: str | None = None
    group: str | None = None
    layout: str | None = None
    required: bool = True
    extra: dict = field(default_factory=dict, compare=False)   # standards/targets declarations

    def target_columns(self) -> list[str]:
        return [c.format(**self.extra) for c in self.extra.get("columns", [])]

    @property
    def keys(self) -> set[str]:
        return {label_key(t) for t in (self.label, *self.aliases)}

    @property
    def value_type(self) -> str:
        return self.of if self.type == "years" else self.type

    @property
    def numeric(self) -> bool:
        return self.value_type in NUMERIC


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    sheet: str
    items: tuple[Item, ...]
    required: bool = True
    raw: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class FormSpec:
    id: str
    title: str
    source: str
    years: tuple[int, ...]
    sections: tuple[Section, ...]
    identify: tuple[str, ...]
    yes: tuple[str, ...]
    no: tuple[str, ...]
    region: str = ""
    year_header: str = ""
    intro: tuple[tuple[str, ...], ...] = ()  # 附件4's 集群简介: sentences (alternatives) with {output} …
    summary: dict = field(default_factory=dict, compare=False)     # 附件4's layout
    cover: tuple[tuple[str, str], ...] = ()    # the Word form's cover lines (label, value template)
    issuer: str = ""

    @property
    def items(self) -> list[Item]:
        return [i for s in self.sections for i in s.items]

    def item(self, item_id: str) -> Item:
        return next(i for i in self.items if i.id == item_id)


_ITEM_KEYS = {"id", "label", "type", "aliases", "occurrence", "of", "options", "max", "derive", "source", "unit",
              "group", "layout", "required", "note", "added"}


@functools.lru_cache(maxsize=4)
def load_form(name: str = "cluster") -> FormSpec:
    raw = tomllib.loads(resources.files("xl_addin.data").joinpath(f"forms/{name}.toml").read_text("utf-8"))
    sections = []
    for s in raw["section"]:
        required = s.get("required", True)
        items = []
        for it in s.get("item", []):
            kind = it["type"]
            items.append(Item(
                id=it["id"], label=it["label"], type=kind, section=s["id"], aliases=tuple(it.get("aliases", ())),
                occurrence=it.get("occurrence", 1), of=it.get("of"), options=tuple(it.get("options", ())),
                max=it.get("max"), derive=it.get("derive"), source=it.get("source"), unit=it.get("unit"),
                group=it.get("group"), layout=it.get("layout"),
                required=it.get("required", required and kind != "checks"),
                extra={k: v for k, v in it.items() if k not in _ITEM_KEYS}))
        sections.append(Section(s["id"], s["title"], s["sheet"], tuple(items), required,
                                {k: v for k, v in s.items() if k != "item"}))
    return FormSpec(raw["id"], raw["title"], raw["source"], tuple(raw["years"]), tuple(sections),
                    tuple(raw["identify"]), tuple(raw["yes"]), tuple(raw["no"]), raw.get("region", ""), raw.get("year_header", ""),
                    tuple(tuple(t) if isinstance(t, list) else (t,) for t in raw.get("intro", ())),
                    raw.get("summary", {}), tuple(tuple(c) for c in raw.get("cover", ())), raw.get("issuer", ""))
