"""Subsidy estimates from the rules table. Money is Decimal, rounded half-up to 0.01 万元."""
from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from xl_addin.declare.rules import Rules

CENT = Decimal("0.01")


def money(x: float | Decimal) -> Decimal:
    """Round an amount in 万元 to two decimals, half up, without float artefacts."""
    return Decimal(repr(float(x))).quantize(CENT, ROUND_HALF_UP) if not isinstance(x, Decimal) \
        else x.quantize(CENT, ROUND_HALF_UP)


def total(values) -> Decimal:
    """Exact sum of amounts as typed (repr of each float), rounded to cents."""
    if len(values) == 1 and isinstance(values[0], Decimal):     # a sum already made
        return values[0].quantize(CENT, ROUND_HALF_UP)
    values = [float(v) for v in values]
    cents = [round(v * 100) for v in values if -1e12 < v < 1e12]
    if len(cents) == len(values) and all(c / 100 == v for c, v in zip(cents, values)):
        # whole cents, as amounts nearly always are: the float is the one nearest to c/100 and,
        # below 1e12, no other number of cents is as near, so repr(v) is exactly c/100
        return Decimal(sum(cents)).scaleb(-2).quantize(CENT, ROUND_HALF_UP)
    return sum((Decimal(repr(v)) for v in values), Decimal(0)).quantize(CENT, ROUND_HALF_UP)


@dataclass(frozen=True)
class Estimate:
    base: Decimal
    rate: Decimal
    cap: Decimal
    result: Decimal
    capped: bool
    source: str
    note: str = ""


@functools.lru_cache(maxsize=64)
def _terms(rate: float, cap: float) -> tuple[Decimal, Decimal, Decimal]:
    """A rule's rate and cap as Decimals (a province's 20,000 estimates share a few rules)."""
    c = Decimal(repr(float(cap)))
    return Decimal(repr(rate)), c, c.quantize(CENT)


def _estimate(base: Decimal, rate: float, cap: float, source: str, note: str = "") -> Estimate:
    r, c, shown = _terms(rate, cap)
    raw = base * r
    result = min(raw, c).quantize(CENT, ROUND_HALF_UP)
    return Estimate(base, r, shown, result, raw > c, source, note)


def equipment(base: Decimal, category: str, rules: Rules) -> Estimate:
    s = rules.subsidy(category)
    return _estimate(base, s.rate, s.cap, s.source)


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def is_startup(founded: dt.date | None, agreements: list[dt.date], years: int) -> bool:
    """Founded less than `years` before every investment in the project."""
    if founded is None or not agreements:
        return False
    return all(founded <= a < _add_years(founded, years) for a in agreements)


def equity(base: Decimal, founded: dt.date | None, agreements: list[dt.date], rules: Rules) -> Estimate:
    e = rules.equity
    if is_startup(founded, agreements, int(e["startup_years"])):
        return _estimate(base, e["rate"], e["startup_cap"], e["source_reward"],
                         f"初创企业（成立{e['startup_years']}年内获得投资）")
    return _estimate(base, e["rate"], e["cap"], e["source_reward"])


def estimate(scheme: str | None, amounts: list, values: dict, dates: list, rules: Rules) -> Estimate | None:
    """The estimate of one enterprise's project by the spec's scheme: `by_category` (the
    equipment rate and cap of the enterprise's category), `equity` (the reward, with the
    start-up cap when a founding date is given), or none."""
    base = total(amounts)
    if scheme == "by_category":
        return equipment(base, values["category"], rules)
    if scheme == "equity":
        return equity(base, values.get("founded"), dates, rules)
    return Estimate(base, Decimal(0), Decimal(0), Decimal(0), False, "")
