"""Find the declared tables in sheet grids and turn their rows into records.

Officials' workbooks have any sheet name, titles and captions above the header, headers
on two rows (a grouping cell such as 金额（万元） over two amount columns), header text with odd
brackets, spaces and line breaks, merged or blank enterprise cells, template placeholder
rows, 合计 rows, notes merged across the table, and blank rows. This module knows those
layouts (data/layout.toml) and the tables' headers (their specs), and nothing about rules.
"""
from __future__ import annotations

import bisect
import functools
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from importlib import resources

from xl_addin.normalize.values import is_blank, key
from xl_addin.declare.spec import Specs, TableSpec

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_LAYOUT = tomllib.loads(resources.files("xl_addin.data").joinpath("layout.toml").read_text("utf-8"))
TOTAL_WORDS = tuple(_LAYOUT["total_words"])
NOTE_HEADS = tuple(_LAYOUT["note_heads"])
CAPTION = re.compile(_LAYOUT["caption"])
PLACEHOLDER = re.compile(_LAYOUT["placeholder"])
_HEADER_STRIP = re.compile(r"[\s()（）\[\]【】<>《》、，,:：;；%％/\\\-—_·．.\"'“”‘’]")


def xl_col_to_name(col: int) -> str:
    """0 -> 'A', 27 -> 'AB' (here rather than from a writer package: locate is on every click's path)."""
    name = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        name = chr(65 + rem) + name
    return name


def column_index(name: str) -> int:
    """'A' -> 0, 'AB' -> 27."""
    n = 0
    for ch in name:
        n = n * 26 + ord(ch) - 64
    return n - 1


def header_key(text: object) -> str:
    """Header text without spaces, brackets, punctuation or a unit: '县\n(市、区）' -> '县市区'."""
    k = _HEADER_STRIP.sub("", unicodedata.normalize("NFKC", str(text)))
    for tail in ("万元", "元", "年月日"):
        if k.endswith(tail) and len(k) > len(tail) + 1:
            k = k[: -len(tail)]
    return k


def is_placeholder_text(value: object) -> bool:
    """Template filler: contains XX or **, is an ellipsis, or （年月日）."""
    text = key(value)
    return bool(text) and bool(PLACEHOLDER.search(text))


class HeaderIndex:
    """Header text -> field, per table spec: each table has its own aliases (the application type of the
    recognition list is not Table 1's enterprise category)."""

    def __init__(self, specs: Specs):
        self.specs = specs
        self.exact: dict[str, list[tuple[str, str]]] = {}
        for spec in specs:
            for f in spec.fields:
                for alias in (f.header, *f.aliases):
                    k = header_key(alias)
                    if (spec.id, f.id) not in self.exact.setdefault(k, []):
                        self.exact[k].append((spec.id, f.id))
        # headers with extra words (a name header with 盖章, 及型号 after it): the longest alias that starts
        # the header, found by the first character (every text cell of every sheet is tried)
        self.prefixes: dict[str, list[str]] = {}
        for alias in sorted(self.exact, key=len, reverse=True):
            self.prefixes.setdefault(alias[:1], []).append(alias)
        self.fields = functools.lru_cache(maxsize=8192)(self._fields)

    def _fields(self, text: str) -> dict[str, str]:
        """spec id -> field id for one header text."""
        k = header_key(text)
        hits = self.exact.get(k)
        if hits is None and len(k) <= 12:          # longer: a sentence, not a header
            hits = self.exact.get(next((a for a in self.prefixes.get(k[:1], ()) if k.startswith(a)), ""))
        out: dict[str, str] = {}
        for spec_id, field_id in hits or ():
            out.setdefault(spec_id, field_id)
        return out

    def map_row(self, row: list[object]) -> dict[str, dict[str, int]]:
        """spec id -> {field: column} for the header cells of one row (first column wins)."""
        mapped: dict[str, dict[str, int]] = {}
        for c, value in enumerate(row):
            if isinstance(value, str):
                for spec_id, field_id in self.fields(value).items():
                    mapped.setdefault(spec_id, {}).setdefault(field_id, c)
        return mapped

    def identify(self, mapped: dict[str, dict[str, int]]) -> tuple[TableSpec, dict[str, int]] | None:
        """The spec whose signature the header satisfies with the most fields."""
        best = None
        for spec in self.specs:
            fields = mapped.get(spec.id, {})
            if all(f in fields for f in spec.identify_all) and (
                    not spec.identify_any or any(f in fields for f in spec.identify_any)):
                if best is None or len(fields) > len(best[1]):
                    best = (spec, fields)
        return best


@dataclass
class Record:
    row: int                                   # 1-based source row
    values: dict[str, object]                  # field -> raw value
    rows: dict[str, int]                       # field -> 1-based row the value came from
    percent: set[str] = field(default_factory=set)  # fields whose numeric cell is percent-formatted


@dataclass
class Table:
    kind: str                                  # the spec id
    sheet: str
    header_row: int                            # 1-based (the last header row)
    columns: dict[str, str]                    # field -> column letter
    records: list[Record]

    def cell(self, field_name: str, row: int) -> str | None:
        letter = self.columns.get(field_name)
        return f"{letter}{row}" if letter else None


def _merged_fill(grid) -> dict[tuple[int, int], tuple[object, int]]:
    """(top-left value, top row) for the cells below the anchor of a merged range, in the
    anchor's column: an enterprise's cells merged down its rows. Cells merged across (a
    note, a title or a part heading spanning the table) are blank: only the anchor speaks."""
    fill: dict[tuple[int, int], tuple[object, int]] = {}
    for r1, c1, r2, c2 in grid.merged:
        if r2 - r1 > 100_000 or c2 - c1 > 1000:   # absurd merges from hostile files
            continue
        top = grid.cell(r1, c1)
        for r in range(r1 + 1, r2 + 1):
            fill[(r, c1)] = (top, r1)
    return fill


def _across(grid) -> dict[tuple[int, int], int]:
    """(row, anchor column) -> last column, for the ranges merged across columns."""
    return {(r1, c1): c2 for r1, c1, r2, c2 in grid.merged if c2 > c1}


def _first_text(row: list[object]) -> str:
    for v in row:
        if not is_blank(v):
            return key(v)
    return ""


def _is_column_numbers(nums: list[object]) -> bool:
    """A row '1 2 3 4 …' under the header that numbers the columns (nums: its non-blank values)."""
    return len(nums) >= 4 and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in nums) \
        and [int(v) for v in nums] == list(range(int(nums[0]), int(nums[0]) + len(nums)))


def _is_unlabeled_sum(values: dict[str, object], amount_field: str | None, sums: tuple[float, ...]) -> bool:
    """A row holding nothing but a number equal to the block's or the table's running sum."""
    value = values.get(amount_field) if amount_field else None
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return False
    if any(not is_blank(v) for f, v in values.items() if f != amount_field):
        return False
    return any(s and abs(value - s) < 0.005 for s in sums)


def classify(spec: TableSpec, values: dict[str, object], row: list[object]) -> str:
    """data | blank | total | note | caption | placeholder"""
    seq = spec.first_of("seq")
    present = {f: v for f, v in values.items()
               if f != seq and v is not None and (v.strip() if type(v) is str else v == v)}
    if not present:
        return "blank"       # nothing, or a lone row number of an empty template row
    first = _first_text(row)
    # Only the leading cell (or the name cell) marks a 合计 row: "总计" in a purpose is data.
    if first.startswith(TOTAL_WORDS) or key(present.get(spec.key, "")).startswith(TOTAL_WORDS):
        return "total"
    if first.startswith(NOTE_HEADS) and (len(present) <= 3 or not _has_amount(spec, present)):
        return "note"
    if len(present) == 1 and CAPTION.match(first):
        return "caption"
    if len(present) >= 4 and _is_column_numbers(list(present.values())):
        return "caption"
    has_amount = _has_amount(spec, present)
    if not has_amount and any(is_placeholder_text(v) for v in present.values() if isinstance(v, str)):
        return "placeholder"
    if not has_amount and all(spec.field(f).type == "enum" and spec.field(f).inherited for f in present):
        return "placeholder"  # a lone choice cell of the template (“领跑者”企业/营收前三企业)
    return "data"


def _has_amount(spec: TableSpec, present: dict[str, object]) -> bool:
    for f in spec.amount_fields.intersection(present):
        v = present[f]
        if isinstance(v, (int, float)) or (isinstance(v, str) and re.search(r"\d", v)):
            return True
    return False


def _headers(grid, index: HeaderIndex, across: dict) -> list[tuple[int, int, TableSpec, dict[str, int]]]:
    """(first header row, last header row, spec, field -> column) of each table on the sheet."""
    out = []
    skip = -1
    for r in grid.order:
        if r <= skip:
            continue
        row = grid.rows[r]
        if sum(isinstance(v, str) for v in row) < 2:
            continue
        mapped = index.map_row(row)
        if not any(len(fields) >= 2 for fields in mapped.values()):
            continue                 # a data row (its texts are not headers): the common case
        below = grid.rows.get(r + 1)
        two_rows = False
        if below is not None:
            under = index.map_row(below)
            for spec_id, fields in under.items():
                top = mapped.setdefault(spec_id, {})
                # a grouping cell merged across (金额（万元）) yields to the headers under it
                for c1, c2 in ((c, across[(r, c)]) for c in range(len(row)) if (r, c) in across):
                    if any(c1 <= c <= c2 for c in fields.values()):
                        for f in [f for f, c in top.items() if c1 <= c <= c2]:
                            del top[f]
                used = set(top.values())
                for f, c in fields.items():
                    if f not in top and c not in used:
                        top[f] = c
                        two_rows = True
        found = index.identify(mapped)
        if found is None:
            continue
        spec, fields = found
        last = r
        if two_rows and below is not None and _header_only(below, index, spec):
            last = r + 1
        elif two_rows:          # the row below is data: a one-row header after all
            found = index.identify(index.map_row(row))
            if found is None:
                continue
            spec, fields = found
        out.append((r, last, spec, fields))
        skip = last
    return out


def _header_only(row: list[object], index: HeaderIndex, spec: TableSpec) -> bool:
    """Every text of the row is a header of the spec (or a unit caption): a header's second row."""
    texts = [v for v in row if not is_blank(v)]
    return bool(texts) and all(isinstance(v, str) and (spec.id in index.fields(v) or "元" in v) for v in texts)


def locate(grid, index: HeaderIndex) -> list[Table]:
    """All declared tables of one sheet, in sheet order."""
    across = _across(grid) if grid.merged else {}
    headers = _headers(grid, index, across)
    if not headers:
        return []
    fill = _merged_fill(grid)
    tables = []
    for i, (_, hr, spec, mapped) in enumerate(headers):
        end = headers[i + 1][0] if i + 1 < len(headers) else (grid.order[-1] + 1)
        table = Table(spec.id, grid.name, hr + 1, {f: xl_col_to_name(c) for f, c in mapped.items()}, [])
        block: Record | None = None
        amount_field = spec.amount
        numeric = {f.id for f in spec.fields if f.numeric}
        inherited = [f.id for f in spec.fields if f.inherited and f.id in mapped]
        name_field = spec.key
        block_sum = table_sum = 0.0
        first, last = bisect.bisect_right(grid.order, hr), bisect.bisect_left(grid.order, end)
        field_cols = list(mapped.items())
        percent_cells = grid.percent_cells
        for r in grid.order[first:last]:
            row = grid.rows[r]
            width = len(row)
            values, sources = {}, {}
            own = False       # a value of the row's own (not carried down a merge); NaN is blank
            for f, c in field_cols:
                v, src = row[c] if c < width else None, r
                if v is None and fill and f not in numeric and (r, c) in fill:
                    v, src = fill[(r, c)]
                if isinstance(v, str) and not v.strip():
                    v = None
                values[f], sources[f] = v, src + 1
                own = own or (v is not None and src == r and v == v)
            if not own:
                continue   # nothing of its own: merged enterprise cells over an empty row
            if classify(spec, values, row) != "data":
                continue
            if _is_unlabeled_sum(values, amount_field, (block_sum, table_sum)):
                continue
            rec = Record(r + 1, values, sources,
                         {f for f, c in field_cols if (r, c) in percent_cells} if percent_cells else set())
            name = values.get(name_field)
            continuation = block is not None and (
                is_blank(name) or (sources.get(name_field) != r + 1 and key(name) == key(block.values.get(name_field))))
            if continuation:
                for f in inherited:
                    if is_blank(values[f]):
                        rec.values[f] = block.values[f]
                        rec.rows[f] = block.rows[f]
            elif not is_blank(name):
                block, block_sum = rec, 0.0
            value = values.get(amount_field) if amount_field else None
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                block_sum += value
                table_sum += value
            table.records.append(rec)
        tables.append(table)
    return tables
