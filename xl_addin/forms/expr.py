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


def evaluate(text: str, value: Callable[[str, int | None], float | None]) -> float | None:
    """The expression's value; `value(item, year)` gives an item's number (None: blank)."""
    def ev(node, year):
        if isinstance(node, ast.Constant):
            return float(node.value)
        if isinstance(node, ast.Name):
            return value(node.id, year)
        if isinstance(node, ast.Subscript):
            return value(node.value.id, int(node.slice.value))
        if isinstance(node, ast.Call):
            x, a, b = node.args
            y0, y1 = int(a.value), int(b.value)
            return cagr(ev(x, y0), ev(x, y1), y1 - y0)
        left, right = ev(node.left, year), ev(node.right, year)
        if left is None or right is None:
            return None
        if isinstance(node.op, ast.Div) and right == 0:
            return None
        return OPS[type(node.op)](left, right)
    return ev(parse(text), None)


def excel(text: str, ref: Callable[[str, int | None], str]) -> str:
    """The expression as an Excel formula (no '='); `ref(item, year)` gives a cell reference.
    Blank inputs give a blank cell (IFERROR), like evaluate's None; rounded to 2 decimals (说明 2)."""
    def ex(node, year):
        if isinstance(node, ast.Constant):
            return repr(node.value)
        if isinstance(node, ast.Name):
            return ref(node.id, year)
        if isinstance(node, ast.Subscript):
            return ref(node.value.id, int(node.slice.value))
        if isinstance(node, ast.Call):
            x, a, b = node.args
            y0, y1 = int(a.value), int(b.value)
            return f"((({ex(x, y1)})/({ex(x, y0)}))^(1/{y1 - y0})-1)*100"
        return f"({ex(node.left, year)}{SYMBOLS[type(node.op)]}{ex(node.right, year)})"
    return f'IFERROR(ROUND({ex(parse(text), None)},2),"")'


def names(text: str) -> set[str]:
    return {n.id for n in ast.walk(parse(text)) if isinstance(n, ast.Name) and n.id != "cagr"}
