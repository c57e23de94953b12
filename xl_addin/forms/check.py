"""The checks of one form record (001 附件2 填报说明 and 附件1 八's targets), as issues that
name the item and where it is; and the derived values (computed, never trusted as typed)."""
from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

from xl_addin.declare.catalogue import ERROR
from xl_addin.model import Issue
from xl_addin.declare.rules import Rules
from xl_addin.forms import expr
from xl_addin.forms.locate import Record
from xl_addin.forms.read import Where, as_text
from xl_addin.forms.spec import FormSpec, Item

NONE_WORDS = {"无", "没有", "暂无", "-", "—", "/", "／"}
# a number, with its unit when typed (35.5%、12个、200家、3项、1.5亿元)
_NUM = re.compile(r"^\s*([-+]?\d+(?:\.\d+)?)\s*(%|％|个|家|项|件|人|名|万元|亿元|万人|平方公里)?\s*$")


def blank(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip().strip("_"))


def number(v) -> float | None:
    """A typed number (text too: "12.5", "30%"); "无" reads as 0; None when not a number."""
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return None if math.isnan(v) else float(v)
    if isinstance(v, str):
        text = v.replace(",", "").replace("，", "").strip()
        if text in NONE_WORDS:
            return 0.0
        m = _NUM.match(text)
        return float(m.group(1)) if m else None
    return None


def decimals(v) -> int:
    text = repr(float(v)) if isinstance(v, (int, float)) else str(v).strip().rstrip("%％")
    try:
        exp = Decimal(text).normalize().as_tuple().exponent
    except InvalidOperation:
        return 0
    return max(0, -exp) if isinstance(exp, int) else 0


def fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}".rstrip("0").rstrip(".") if abs(x) < 1e15 else f"{x:g}"


class FormCheck:
    def __init__(self, rec: Record, spec: FormSpec, rules: Rules):
        self.rec, self.spec, self.rules = rec, spec, rules
        self.cfg = rules.get("cluster")
        self.issues: list[Issue] = []
        self.derived: dict[str, float | None] = {}

    # --- helpers ----------------------------------------------------------------------------
    def issue(self, item: Item, code: str, key=None, value=None, severity: str | None = None, **context) -> None:
        where = self.rec.where.get(key if key is not None else item.id) or self.rec.where.get(item.id) \
            or Where(None, None, None)
        self.issues.append(Issue(self.rec.path, where.sheet, where.row, item.label, code, where.cell,
                                 None if value is None else as_text(value), context, severity))

    def num(self, item_id: str, year: int | None = None) -> float | None:
        item = self.spec.item(item_id)
        if item.derive and year is None:
            return self.derived.get(item_id) if item_id in self.derived else number(self.rec.get(item_id))
        v = self.rec.get(item_id, year)
        if item.type == "years" and year is None:
            return None
        if item.type == "named_count":
            v = (v or {}).get("count")
        return number(v)

    # --- the checks ---------------------------------------------------------------------------
    def run(self) -> list[Issue]:
        for item in self.spec.items:
            self.item(item)
        for item in self.spec.items:
            if item.derive:
                self.derive(item)
        self.counts()
        self.targets()
        return self.issues

    def item(self, item: Item) -> None:
        if item.type in ("choice", "checks", "targets"):
            return
        if item.type == "years":
            for year in self.spec.years:
                self.value(item, self.rec.get(item.id, year), (item.id, year), year)
        elif item.type == "standards":
            grid = self.rec.get(item.id) or {}
            for year in self.spec.years:
                for cat in item.extra.get("categories", []):
                    for role in ("lead", "join"):
                        v = grid.get(year, {}).get(cat, {}).get(role)
                        self.value(item, v, (item.id, year, cat, role), year, numeric="count")
        elif item.type == "named_count":
            v = self.rec.get(item.id) or {}
            self.value(item, v.get("count"), item.id, None, numeric="count")
        elif item.type == "narrative":
            text = self.rec.get(item.id)
            if item.required and blank(text):
                self.issue(item, "required_missing")
            if isinstance(text, str) and item.max:
                length = len(re.sub(r"\s", "", text))
                if length > item.max:
                    self.issue(item, "text_too_long", value=text[:20], length=length, limit=item.max)
        elif not item.derive:
            self.value(item, self.rec.get(item.id), item.id, None)

    def value(self, item: Item, v, key, year, numeric: str | None = None) -> None:
        vtype = numeric or item.value_type
        if blank(v):
            if item.required and not item.derive:
                self.issue(item, "required_missing", key)
            return
        if vtype not in ("number", "percent", "rate", "count"):
            return
        x = number(v)
        if x is None:
            self.issue(item, "value_out_of_range", key, v)
            return
        if decimals(v) > self.cfg["decimals"]:
            self.issue(item, "decimals_exceed", key, v)
        bad = (vtype == "percent" and not 0 <= x <= 100) or (vtype in ("number", "count") and x < 0) or \
            (vtype == "count" and not float(x).is_integer())
        if bad:
            self.issue(item, "value_out_of_range", key, v)

    def derive(self, item: Item) -> None:
        """The computed value; a stated one that differs by more than the tolerance is flagged."""
        computed = expr.evaluate(item.derive, lambda i, y: self.num(i, y))
        computed = None if computed is None else round(computed, 2)
        self.derived[item.id] = computed
        stated = self.rec.get(item.id)
        if blank(stated) or computed is None:
            if blank(stated) and computed is None and item.required:
                self.issue(item, "required_missing")
            return
        x = number(stated)
        if x is None:
            self.issue(item, "value_out_of_range", value=stated)
            return
        if abs(x - computed) <= self.cfg["tolerance"] + 1e-9:
            return
        formula = self.formula(item)
        if "cagr(" in item.derive:
            mean = self.arithmetic_mean(item)
            hint = f"；所填值等于逐年增速的算术平均数 {fmt(mean)}%" if mean is not None and abs(mean - x) <= 0.01 else ""
            self.issue(item, "growth_rate_mismatch", value=fmt(x), computed=fmt(computed), formula=formula, hint=hint)
        else:
            self.issue(item, "ratio_mismatch", value=fmt(x), computed=fmt(computed), formula=formula,
                       source=item.source or "")

    def formula(self, item: Item) -> str:
        text = item.derive
        for name in sorted(expr.names(text), key=len, reverse=True):
            text = re.sub(rf"\b{name}\b", self.spec.item(name).label, text)
        text = text.replace(" * ", " × ").replace(" / ", " ÷ ")
        m = re.match(r"cagr\((.*), (\d{4}), (\d{4})\)$", text)
        if m:
            inner, a, b = m.groups()
            return f"（{b}年值 ÷ {a}年值）^(1/{int(b) - int(a)}) − 1，其中值 = {inner}"
        return text

    def arithmetic_mean(self, item: Item) -> float | None:
        """The mean of the yearly growth rates the cagr summarises (what 说明 9 forbids)."""
        m = re.match(r"cagr\((.*), (\d{4}), (\d{4})\)$", item.derive)
        if not m:
            return None
        inner, a, b = m.group(1), int(m.group(2)), int(m.group(3))
        values = [expr.evaluate(re.sub(r"\b([a-z_]+)\b(?!\[)", rf"\1[{y}]", inner), lambda i, y: self.num(i, y))
                  for y in range(a, b + 1)]
        if any(v is None or v <= 0 for v in values):
            return None
        rates = [(values[k + 1] / values[k] - 1) * 100 for k in range(len(values) - 1)]
        return sum(rates) / len(rates)

    def counts(self) -> None:
        for rule in self.cfg.get("at_most", []):
            item = self.spec.item(rule["value"])
            limit_text = rule["limit"]
            limit_item = self.spec.item(re.sub(r"\[.*\]$", "", limit_text))
            years = self.spec.years if item.type == "years" else [None]
            for year in years:
                v = self.num(item.id, year)
                lim = expr.evaluate(limit_text if "[" in limit_text or year is None else f"{limit_text}[{year}]",
                                    lambda i, y: self.num(i, y))
                if v is not None and lim is not None and v > lim + 1e-9:
                    key = (item.id, year) if year is not None else item.id
                    self.issue(item, "count_inconsistent", key, fmt(v), year=f"{year}年" if year else "",
                               other=limit_item.label, limit=fmt(lim))

    def targets(self) -> None:
        item = next((i for i in self.spec.items if i.type == "targets"), None)
        if item is None:
            return
        table = self.rec.get(item.id) or {}
        by, ty = item.extra["base_year"], item.extra["target_year"]
        steps = ty - by
        declared = {r["id"]: r for r in item.extra.get("rows", [])}
        for row_id, row in declared.items():
            cells = table.get(row_id) or {}
            if row["kind"] == "text":
                continue
            for k in ("base", "target"):
                v = cells.get(k)
                if blank(v):
                    if not (row["kind"] == "rate" and k == "base"):
                        self.issue(item, "required_missing", (item.id, row_id, k))
                elif number(v) is None:
                    self.issue(item, "value_out_of_range", (item.id, row_id, k), v)
        for rule in self.cfg.get("targets", []):
            row = declared.get(rule["item"])
            cells = table.get(rule["item"]) or {}
            base, target = number(cells.get("base")), number(cells.get("target"))
            if row is None or target is None:
                continue
            label = f"{row['direction']}·{row['indicator']}"
            detail = None
            if rule["test"] == "value":
                floor = rule.get("min", rule.get("about", 0) - rule.get("tolerance", 0))
                if target < floor - 1e-9:
                    detail = f"{ty}年目标值 {fmt(target)}%"
            elif base is not None and rule["test"] == "cagr":
                rate = expr.cagr(base, target, steps)
                if rate is not None and rate < rule["min"] - 1e-9:
                    detail = f"从{by}年基准值 {fmt(base)} 到{ty}年目标值 {fmt(target)}，年均增长 {fmt(rate)}%（几何平均）"
            elif base is not None and base > 0 and rule["test"] == "reduction":
                cut = (base - target) / base * 100
                if cut < rule["about"] - rule.get("tolerance", 0) - 1e-9:
                    detail = f"从 {fmt(base)} 降到 {fmt(target)}，降低 {fmt(cut)}%"
            elif base is not None and rule["test"] == "increase" and target <= base:
                detail = f"{ty}年目标值 {fmt(target)} 不高于{by}年基准值 {fmt(base)}"
            if detail:
                self.issues.append(_target_issue(self, item, rule, rule["item"], label, detail))


def _target_issue(check: FormCheck, item: Item, rule: dict, row_id: str, label: str, detail: str) -> Issue:
    where = check.rec.where.get((item.id, row_id, "target")) or check.rec.where.get(item.id) or Where(None)
    severity = rule.get("severity", ERROR)
    return Issue(check.rec.path, where.sheet, where.row, label, "target_below_requirement", where.cell,
                 None, {"detail": detail, "requirement": rule["requirement"]},
                 None if severity == ERROR else severity)


def check_record(rec: Record, spec: FormSpec, rules: Rules) -> tuple[list[Issue], dict]:
    c = FormCheck(rec, spec, rules)
    issues = c.run()
    return issues, c.derived
