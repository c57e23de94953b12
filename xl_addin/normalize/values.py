"""Turn what officials type into canonical values.

Every function takes one raw cell value (str, int, float, datetime, None)
and returns the canonical value or None when it cannot be understood.
Nothing here knows about files or positions.
"""
from __future__ import annotations

import datetime as dt
import functools
import math
import re
import unicodedata

_WS = re.compile(r"\s+")
_QUOTES = str.maketrans("", "", "\"'“”‘’「」『』")
# Excel's 1900 date system; serials below ~1954 or above ~2119 are not dates we expect.
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)
_SERIAL_RANGE = (20000, 80000)


def nfkc(value: object) -> str:
    """NFKC text with all whitespace (spaces, line breaks, full-width spaces) collapsed."""
    if missing(value):
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    return _WS.sub(" ", text).strip()


def key(value: object) -> str:
    """Identity key for names: NFKC, no whitespace, no quotes."""
    if isinstance(value, str):
        return _text_key(value)
    return "" if missing(value) else _text_key(str(value))     # (the row numbers before every name)


@functools.lru_cache(maxsize=65536)
def _text_key(value: str) -> str:        # names, counties and clusters repeat on every row
    return _WS.sub("", nfkc(value)).translate(_QUOTES)


def display(value: object) -> str | None:
    """Text as the official typed it, trimmed; None for empty cells."""
    if missing(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return as_date(value).isoformat()
    text = str(value).strip()
    return text or None


def missing(value: object) -> bool:
    """None, NaN or NaT (the last two are not equal to themselves)."""
    return value is None or value != value


def is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return value != value          # NaN / NaT


# --- amounts -----------------------------------------------------------------
_AMOUNT = re.compile(r"^([+-]?\d+(?:\.\d+)?|[+-]?\.\d+)(万元|万|元)?$")


def amount(value: object) -> float | None:
    """An amount in 万元: numbers, numbers stored as text, thousands separators,
    a 万元/万/元 suffix (元 is converted). None when not a number."""
    if missing(value) or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return None if math.isinf(value) else float(value)
    text = key(value).replace(",", "").replace("¥", "").replace("￥", "")
    match = _AMOUNT.match(text)
    if not match:
        return None
    number = float(match.group(1))
    return number / 10000 if match.group(2) == "元" else number


def percent(value: object, number_format: str | None = None) -> float | None:
    """A share in percent: 5, '5%', '5 %', or 0.05 in a percent-formatted cell all give 5."""
    if missing(value) or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        if math.isinf(value):
            return None
        return float(value) * 100 if number_format and "%" in number_format else float(value)
    text = key(value).replace("%", "")
    try:
        return float(text)
    except ValueError:
        return None


# --- dates -------------------------------------------------------------------
_DATE_TEXT = re.compile(r"^(\d{4})\s*[年./\-]\s*(\d{1,2})\s*[月./\-]\s*(\d{1,2})\s*[日号]?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def as_date(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def date(value: object) -> dt.date | None:
    """A date from a real date, an Excel serial, or text such as 2023年5月8日,
    2023.5.8, 2023/05/08, 2023-5-8, 20230508. None when not a valid date."""
    if missing(value) or isinstance(value, bool):
        return None
    if isinstance(value, (dt.datetime, dt.date)):
        return as_date(value)
    if isinstance(value, (int, float)):
        if _SERIAL_RANGE[0] <= value <= _SERIAL_RANGE[1]:
            return (_EXCEL_EPOCH + dt.timedelta(days=int(value))).date()
        value = str(int(value)) if float(value).is_integer() else str(value)
    text = nfkc(value)
    match = _DATE_TEXT.match(text) or _DATE_COMPACT.match(text)
    if not match:
        return None
    try:
        return dt.date(*(int(g) for g in match.groups()))
    except ValueError:
        return None


# --- choices -----------------------------------------------------------------
def choice(value: object, options, match: str = "contains") -> str | None:
    """The canonical value of the one option whose patterns match the typed text; None when
    none or more than one does (the template's untouched '“领跑者”企业/营收前三企业').
    match="prefix": the first option whose pattern starts the text (options longest first)."""
    text = key(value)
    if not text:
        return None
    if match == "prefix":
        return next((o.value for o in options if any(p.match(text) for p in o.patterns)), None)
    hits = [o.value for o in options if any(p.search(text) for p in o.patterns)]
    return hits[0] if len(hits) == 1 else None
