"""The one catalogue of issue codes (data/catalogue.toml): severity, level and the Chinese
message template. Templates use named placeholders filled from Issue.context; {cell},
{column} and {value} are always available."""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from importlib import resources

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ERROR, WARNING = "error", "warning"
STRICT_ENV = "XL_ADDIN_STRICT_MESSAGES"   # tests: a placeholder without a value is an error


@dataclass(frozen=True)
class Code:
    code: str
    severity: str
    level: str  # file | row | enterprise | city
    title: str
    template: str
    hint: str = ""      # the short form of the county template's formulas (校验提示)


def _load() -> dict[str, Code]:
    raw = tomllib.loads(resources.files("xl_addin.data").joinpath("catalogue.toml").read_text("utf-8"))
    return {code: Code(code, d["severity"], d["level"], d["title"], d["template"], d.get("hint", ""))
            for code, d in raw.items()}


CATALOGUE: dict[str, Code] = _load()
FILE_CODES = tuple(c.code for c in CATALOGUE.values() if c.level == "file")


class MissingPlaceholder(KeyError):
    pass


class _Context(dict):
    def __missing__(self, name: str) -> str:
        if os.environ.get(STRICT_ENV):
            raise MissingPlaceholder(f"message placeholder {{{name}}} has no value")
        return ""


def render(code: str, context: dict) -> str:
    return CATALOGUE[code].template.format_map(_Context(context))
