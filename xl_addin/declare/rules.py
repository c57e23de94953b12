"""The rules table (data/rules.toml): every threshold, rate, cap and date of a round."""
from __future__ import annotations

import datetime as dt
import difflib
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_RULES = "rules.toml"


class RulesError(ValueError):
    """A rules file that cannot be used; the message is for officials."""


@dataclass(frozen=True)
class Subsidy:
    rate: float
    cap: float
    source: str


@dataclass(frozen=True)
class Rules:
    raw: dict[str, Any]
    path: str

    # --- typed accessors: one place that knows the TOML layout -------------
    @property
    def title(self) -> str:
        return self.raw["round"]["title"]

    @property
    def guide(self) -> str:
        return self.raw["round"].get("guide", self.title + "申报指南")

    @property
    def summary_title(self) -> str:
        return self.raw["round"]["summary_title"]

    @property
    def window(self) -> tuple[dt.date, dt.date]:
        w = self.raw["equipment_window"]
        return w["start"], w["end"]

    @property
    def min_total(self) -> float:
        return float(self.raw["threshold"]["min_total"])

    @property
    def production_only_for(self) -> tuple[str, ...]:
        return tuple(self.raw["production_equipment"]["only_for"])

    def subsidy(self, category: str) -> Subsidy:
        s = self.raw["subsidy"][category]
        return Subsidy(float(s["rate"]), float(s["cap"]), s["source"])

    @property
    def agreement_after(self) -> dt.date:
        return self.raw["equity"]["agreement_after"]

    @property
    def equity(self) -> dict[str, Any]:
        return self.raw["equity"]

    @property
    def excluded_keywords(self) -> tuple[str, ...]:
        return tuple(self.raw["excluded_equipment"]["keywords"])

    @property
    def unit_price_suspect_above(self) -> float:
        return float(self.raw["amount_unit"]["unit_price_above"])

    def get(self, dotted: str) -> Any:
        """An entry by its dotted name, as table specs refer to it: "equity.agreement_after"."""
        node: Any = self.raw
        for part in dotted.split("."):
            node = node[part]
        return node

    def required(self, spec) -> set[str]:
        """The required fields of a table in this round: the round's own list ([required]
        lists headers or field ids), else the spec's."""
        listed = self.raw.get("required", {}).get(spec.id)
        if listed is None:
            return {f.id for f in spec.fields if f.required}
        by_header = {f.header: f.id for f in spec.fields}
        return {by_header.get(h, h) for h in listed}


_REQUIRED_KEYS = {
    "round": ["title", "summary_title"],
    "equipment_window": ["start", "end"],
    "threshold": ["min_total"],
    "production_equipment": ["only_for"],
    "subsidy": ["领跑者", "营收前三"],
    "equity": ["agreement_after", "rate", "cap", "startup_cap", "startup_years"],
    "excluded_equipment": ["keywords"],
    "amount_unit": ["unit_price_above"],
}
RULE_ARGS = ("allowed", "limit", "keywords", "window")   # check args that name a rules entry


def load_rules(path: str | Path | None = None, specs=None) -> Rules:
    """Load the packaged rules, or a round's own rules file, checked against the table specs."""
    try:
        if path is None:
            text = resources.files("xl_addin.data").joinpath(DEFAULT_RULES).read_text("utf-8")
            origin = "内置规则 rules.toml"
        else:
            text = Path(path).read_text("utf-8")
            origin = str(path)
        raw = tomllib.loads(text)
    except FileNotFoundError as exc:
        raise RulesError(f"找不到规则文件：{path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"规则文件 {path or DEFAULT_RULES} 格式有误：{exc}") from exc
    missing = [f"[{sec}] {key}" for sec, keys in _REQUIRED_KEYS.items() for key in keys
               if key not in raw.get(sec, {})]
    if missing:
        raise RulesError(f"规则文件 {origin} 缺少以下设置：" + "、".join(missing))
    for key in ("start", "end"):
        if not isinstance(raw["equipment_window"][key], dt.date):
            raise RulesError(f"规则文件 {origin}：equipment_window.{key} 应为日期，如 2024-08-01")
    if not isinstance(raw["equity"]["agreement_after"], dt.date):
        raise RulesError(f"规则文件 {origin}：equity.agreement_after 应为日期，如 2022-08-09")
    rules = Rules(raw=raw, path=origin)
    if specs is None:
        from xl_addin.declare.spec import load_specs
        specs = load_specs()
    check_against(rules, specs)
    return rules


def _closest(word: str, valid: list[str]) -> str:
    close = difflib.get_close_matches(word, valid, n=1, cutoff=0.3)
    return f"；最接近的是“{close[0]}”" if close else ""


def check_against(rules: Rules, specs) -> None:
    """Every header, field, table and entry the rules table and the specs refer to exists."""
    by_id = {s.id: s for s in specs}
    for table, listed in rules.raw.get("required", {}).items():
        if table == "source":
            continue
        if table not in by_id:
            raise RulesError(f"规则文件 {rules.path}：[required] 中的表格“{table}”不存在{_closest(table, list(by_id))}。")
        spec = by_id[table]
        valid = [f.header for f in spec.fields] + [f.id for f in spec.fields]
        for h in listed:
            if h not in valid:
                raise RulesError(f"规则文件 {rules.path}：[required] {table} 中的“{h}”不是{spec.sheet}的列"
                                 f"{_closest(h, [f.header for f in spec.fields])}。请按表头原文填写。")
    for spec in specs:
        for c in spec.checks + spec.enterprise_checks:
            for arg in RULE_ARGS:
                if arg in c.args:
                    try:
                        rules.get(c.args[arg])
                    except (KeyError, TypeError):
                        raise RulesError(f"规则文件 {rules.path} 缺少表格 {spec.sheet} 的检查 {c.code} 所需的设置"
                                         f"“{c.args[arg]}”。") from None
        category = spec.enterprise.get("category")
        if spec.enterprise.get("subsidy") == "by_category" and category:
            values = [o.value for o in spec.field(category).options]
            for name in rules.raw.get("subsidy", {}):
                if name not in values:
                    raise RulesError(f"规则文件 {rules.path}：[subsidy.\"{name}\"] 不是{spec.header(category)}的选项"
                                     f"{_closest(name, values)}。")
            only = rules.raw.get("production_equipment", {}).get("only_for", [])
            for name in only:
                if name not in values:
                    raise RulesError(f"规则文件 {rules.path}：production_equipment.only_for 中的“{name}”不是"
                                     f"{spec.header(category)}的选项{_closest(name, values)}。")
