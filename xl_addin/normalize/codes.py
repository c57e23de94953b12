"""Readers of the coded field types: credit codes, phone numbers, whole counts.

Each takes a raw cell value and returns the canonical value, or None when it cannot be
read (the field's check then reports it at its cell)."""
from __future__ import annotations

import re

from xl_addin.normalize.values import key, nfkc

_PHONE_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_PHONE_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")


def uscc(value: object) -> str | None:
    """A unified social credit code valid by GB 32100-2015 (python-stdnum), upper case, no spaces."""
    from stdnum.cn import uscc as std

    text = key(value).upper()
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    try:
        return std.validate(text)
    except Exception:
        return None


def phone(value: object) -> str | None:
    """A mainland mobile number (11 digits) or a landline with its area code (0311-87903827);
    full-width digits and spaces are normalized first."""
    if isinstance(value, float) and value.is_integer():
        value = str(int(value))
    text = re.sub(r"[\s()（）]", "", nfkc(value)).replace("—", "-").replace("－", "-")
    if _PHONE_MOBILE.match(text.replace("-", "")) and not text.startswith("0"):
        return text.replace("-", "")
    if _PHONE_LANDLINE.match(text):
        digits = text.replace("-", "")
        area = 3 if digits[:2] in ("01", "02") else 4
        return text if "-" in text else f"{digits[:area]}-{digits[area:]}"
    return None


def integer(value: object) -> float | None:
    """A whole, non-negative count."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if float(value).is_integer() and value >= 0 else None
    text = key(value).replace(",", "")
    return float(int(text)) if text.isdigit() else None


_READERS = {"code": uscc, "phone": phone, "integer": integer}


def reader(type_: str):
    return _READERS[type_]
