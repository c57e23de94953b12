"""The derived values of a form, as declared (`derive = "cloud_smes / smes[2023] * 100"`):
one small expression language, evaluated on a record and written as an Excel formula.

Allowed: numbers, item ids, item[year] (a year of a years item), + - * /, and
cagr(x, from, to): the geometric mean growth in % from one year to another (说明 9:
年均增速取几何平均数, never the arithmetic mean). Anything else is an error on load."""
from __future__ import annotations

import ast
import operator
from typing import Callable

OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}
SYMBOLS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}


class ExprError(ValueError):
    pass


def parse(text: str) -> ast.expr:
    tree = ast.parse(text, mode="eval").body
    for node in ast.walk(tree):
        ok = isinstance(node, (ast.BinOp, ast.Name, ast.Constant, ast.Subscript, ast.Call, ast.Load,
                               *OPS)) and not (isinstance(node, ast.Call) and
                                               (not isinstance(node.func, ast.Name) or node.func.id != "cagr"))
        if not ok:
            raise ExprError(f"表达式“{text}”中不允许使用 {type(node).__name__}")
    return tree


def cagr(first: float, last: float, steps: int) -> float | None:
    """The geometric mean growth rate in %, or None when it cannot be computed."""
    if first is None or last is None or first <= 0 or last < 0 or steps <= 0:
        return None
    return ((last / first) ** (1 / steps) - 1) * 100


def _fold(text: str, item, number, growth, combine):
    """One walk of the expression for both backends: item(id, year) for a name (a year when
    subscripted or inside cagr), number(value), growth(at_last, at_first, steps) for cagr and
    combine(op, left, right) for + - * /."""
    def walk(node, year):
        if isinstance(node, ast.Constant):
            return number(node.value)
        if isinstance(node, ast.Name):
            return item(node.id, year)
        if isinstance(node, ast.Subscript):
            return item(node.value.id, int(node.slice.value))
        if isinstance(node, ast.Call):
            x, a, b = node.args
            y0, y1 = int(a.value), int(b.value)
            return growth(walk(x, y1), walk(x, y0), y1 - y0)
        return combine(type(node.op), walk(node.left, year), walk(node.right, year))
    return walk(parse(text), None)


def evaluate(text: str, value: Callable[[str, int | None], float | None]) -> float | None:
    """The expression's value; `value(item, year)` gives an item's number (None: blank)."""
    def combine(op, left, right):
        if left is None or right is None or (op is ast.Div and right == 0):
            return None
        return OPS[op](left, right)
    return _fold(text, value, float, lambda last, first, steps: cagr(first, last, steps), combine)


def excel(text: str, ref: Callable[[str, int | None], str]) -> str:
    """The expression as an Excel formula (no '='); `ref(item, year)` gives a cell reference.
    Blank inputs give a blank cell (IFERROR), like evaluate's None; rounded to 2 decimals (说明 2)."""
    body = _fold(text, ref, repr, lambda last, first, steps: f"((({last})/({first}))^(1/{steps})-1)*100",
                 lambda op, left, right: f"({left}{SYMBOLS[op]}{right})")
    return f'IFERROR(ROUND({body},2),"")'


def names(text: str) -> set[str]:
    return {n.id for n in ast.walk(parse(text)) if isinstance(n, ast.Name) and n.id != "cagr"}
