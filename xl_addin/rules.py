"""The rules table (data/rules.toml): every threshold, rate, cap and date of a round."""
from __future__ import annotations

import datetime as dt
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

    def required(self, table: str) -> tuple[str, ...]:
        return tuple(self.raw["required"][table])


_REQUIRED_KEYS = {
    "round": ["title", "summary_title"],
    "equipment_window": ["start", "end"],
    "threshold": ["min_total"],
    "production_equipment": ["only_for"],
    "subsidy": ["领跑者", "营收前三"],
    "equity": ["agreement_after", "rate", "cap", "startup_cap", "startup_years"],
    "excluded_equipment": ["keywords"],
    "amount_unit": ["unit_price_above"],
    "required": ["table1", "table2"],
}


def load_rules(path: str | Path | None = None) -> Rules:
    """Load the packaged rules, or a round's own rules file."""
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
    return Rules(raw=raw, path=origin)
