"""Find Table 1 and Table 2 in sheet grids and turn their rows into records.

Officials' workbooks have any sheet name, titles and captions above the header,
header text with odd brackets, spaces and line breaks, merged or blank
enterprise cells, template placeholder rows, 合计 rows, notes and blank rows.
This module knows the layout of the official tables and nothing about rules.
"""
from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from dataclasses import dataclass, field


from .normalize import is_blank, is_placeholder_text, key

# field -> official header text, in official order; optional fields after.
TABLE1_FIELDS = {
    "name": "企业名称", "county": "所在县（市）", "cluster": "所属集群", "category": "申报单位类别",
    "equipment": "购置设备名称种类金额", "purpose": "设备用途", "location": "安装位置",
    "unit_price": "单价", "total": "总价",
}
TABLE2_FIELDS = {
    "name": "企业名称", "city": "所在地市", "county": "所在县(市、区）", "cluster": "所属集群",
    "investor": "股权投资机构名称", "agreement_date": "签订股权协议时间", "amount": "投资金额",
    "share": "占股比例%", "exit_date": "退出时间", "exit_method": "退出方式",
}
OPTIONAL_FIELDS = {"table1": {"city": "所在地市"}, "table2": {"founded": "成立时间"}}
HEADERS = {"table1": TABLE1_FIELDS, "table2": TABLE2_FIELDS}

# Enterprise cells a continuation row may leave blank (inherit from the block's first row).
INHERITED = {"table1": ("name", "city", "county", "cluster", "category"),
             "table2": ("name", "city", "county", "cluster", "founded")}
AMOUNT_FIELDS = {"unit_price", "total", "amount", "share"}

_ALIASES = {
    "seq": ["序号", "编号"],
    "name": ["企业名称", "企业全称", "单位名称", "申报单位名称", "申报单位", "企业单位名称", "申报企业名称", "申报企业"],
    "county": ["所在县市", "所在县市区", "所在县", "县市", "县市区", "所在县区", "县区", "所属县市区", "所属县市", "所属县"],
    "cluster": ["所属集群", "集群名称", "所属产业集群", "所属特色产业集群", "产业集群", "集群"],
    "category": ["申报单位类别", "单位类别", "企业类别", "申报类别", "申报单位类型", "申报类型"],
    "equipment": ["购置设备名称种类金额", "购置设备名称种类", "购置设备名称", "设备名称种类金额", "设备名称种类",
                  "设备名称", "购置设备"],
    "purpose": ["设备用途", "用途"],
    "location": ["安装位置", "安装地点", "设备安装位置"],
    "unit_price": ["单价", "设备单价"],
    "total": ["总价", "设备总价", "总金额", "金额", "合计金额"],
    "city": ["所在地市", "所在市", "地市", "设区市", "所属地市", "所在设区市", "所属市"],
    "investor": ["股权投资机构名称", "投资机构名称", "股权投资机构", "投资机构", "投资方名称", "投资方"],
    "agreement_date": ["签订股权协议时间", "股权协议签订时间", "协议签订时间", "签订协议时间", "签订时间", "签约时间"],
    "amount": ["投资金额", "投资额", "股权投资金额", "投资总额"],
    "share": ["占股比例", "持股比例", "股权比例", "占股比"],
    "exit_date": ["退出时间", "退出日期"],
    "exit_method": ["退出方式"],
    "founded": ["成立时间", "成立日期", "企业成立时间", "企业成立日期", "注册时间"],
}
_HEADER_STRIP = re.compile(r"[\s()（）\[\]【】<>《》、，,:：;；%％/\\\-—_·．.\"'“”‘’]")
ALIAS_INDEX = {alias: f for f, aliases in _ALIASES.items() for alias in aliases}
# For headers with extra words ("企业名称盖章", "设备名称及型号"): longest alias that starts the header,
# indexed by first character (every data cell of every sheet is tried as a header).
_PREFIXES: dict[str, list[str]] = {}
for _alias in sorted(ALIAS_INDEX, key=len, reverse=True):
    _PREFIXES.setdefault(_alias[:1], []).append(_alias)

_TOTAL_WORDS = ("合计", "总计", "小计", "累计")
_NOTE_HEADS = ("备注", "注:", "注：", "说明:", "说明：", "填表说明", "填报说明", "填表人", "填报人", "联系人",
               "联系电话", "审核人", "负责人", "制表", "单位负责人")
_CAPTION = re.compile(r"^(单位[:：]|表\s*[12一二]|附表|附件|[一二]、)")


def xl_col_to_name(col: int) -> str:
    """0 -> 'A', 27 -> 'AB' (here rather than from a writer package: locate is on every click's path)."""
    name = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        name = chr(65 + rem) + name
    return name


def header_key(text: object) -> str:
    """'所在县\n(市、区）' -> '所在县市区'; '单价（万元）' -> '单价'."""
    k = _HEADER_STRIP.sub("", unicodedata.normalize("NFKC", str(text)))
    for tail in ("万元", "元", "年月日"):
        if k.endswith(tail) and len(k) > len(tail) + 1:
            k = k[: -len(tail)]
    return k


@functools.lru_cache(maxsize=8192)
def header_field(text: str) -> str | None:
    k = header_key(text)
    if k in ALIAS_INDEX:
        return ALIAS_INDEX[k]
    if len(k) > 12:  # a sentence, not a header
        return None
    return next((ALIAS_INDEX[a] for a in _PREFIXES.get(k[:1], ()) if k.startswith(a)), None)


def map_header(row: list[object]) -> dict[str, int]:
    mapped: dict[str, int] = {}
    for c, value in enumerate(row):
        if isinstance(value, str):
            f = header_field(value)
            if f and f not in mapped:
                mapped[f] = c
    return mapped


def table_kind(mapped: dict[str, int]) -> str | None:
    if {"investor", "amount"} <= mapped.keys() and ("name" in mapped or "agreement_date" in mapped):
        return "table2"
    if {"equipment", "total"} <= mapped.keys() and ("name" in mapped or "unit_price" in mapped):
        return "table1"
    return None


@dataclass
class Record:
    row: int                                   # 1-based source row
    values: dict[str, object]                  # field -> raw value
    rows: dict[str, int]                       # field -> 1-based row the value came from
    percent: set[str] = field(default_factory=set)  # fields whose numeric cell is percent-formatted


@dataclass
class Table:
    kind: str                                  # table1 | table2
    sheet: str
    header_row: int                            # 1-based
    columns: dict[str, str]                    # field -> column letter
    records: list[Record]

    def cell(self, field_name: str, row: int) -> str | None:
        letter = self.columns.get(field_name)
        return f"{letter}{row}" if letter else None


def _merged_fill(grid) -> dict[tuple[int, int], tuple[object, int]]:
    """(top-left value, top row) for every non-anchor cell inside a merged range."""
    fill: dict[tuple[int, int], tuple[object, int]] = {}
    for r1, c1, r2, c2 in grid.merged:
        if (r2 - r1 + 1) * (c2 - c1 + 1) > 100_000:  # absurd merges from hostile files
            continue
        top = grid.cell(r1, c1)
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                if (r, c) != (r1, c1):
                    fill[(r, c)] = (top, r1)
    return fill


def _first_text(row: list[object]) -> str:
    for v in row:
        if not is_blank(v):
            return key(v)
    return ""


def _is_column_numbers(nums: list[object]) -> bool:
    """A row '1 2 3 4 …' under the header that numbers the columns (nums: its non-blank values)."""
    return len(nums) >= 4 and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in nums) \
        and [int(v) for v in nums] == list(range(int(nums[0]), int(nums[0]) + len(nums)))


def _is_unlabeled_sum(values: dict[str, object], amount_field: str, sums: tuple[float, ...]) -> bool:
    """A row holding nothing but a number equal to the block's or the table's running sum."""
    value = values.get(amount_field)
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return False
    if any(not is_blank(v) for f, v in values.items() if f != amount_field):
        return False
    return any(s and abs(value - s) < 0.005 for s in sums)


def classify(kind: str, values: dict[str, object], row: list[object]) -> str:
    """data | blank | total | note | caption | placeholder"""
    # not is_blank(v), inlined: this runs for every row of every table
    present = {f: v for f, v in values.items() if v is not None and (v.strip() if type(v) is str else v == v)}
    if not present:
        return "blank"
    first = _first_text(row)
    # Only the leading cell (or the name cell) marks a 合计 row: "总计" in 设备用途 is data.
    if first.startswith(_TOTAL_WORDS) or key(present.get("name", "")).startswith(_TOTAL_WORDS):
        return "total"
    if first.startswith(_NOTE_HEADS) and len(present) <= 2:
        return "note"
    if len(present) == 1 and _CAPTION.match(first):
        return "caption"
    if _is_column_numbers(list(present.values())):
        return "caption"
    amount_fields = ("unit_price", "total") if kind == "table1" else ("amount",)
    has_amount = any(isinstance(present.get(f), (int, float)) or
                     (isinstance(present.get(f), str) and re.search(r"\d", present[f]))
                     for f in amount_fields)
    if not has_amount and any(is_placeholder_text(v) for v in present.values() if isinstance(v, str)):
        return "placeholder"
    if not has_amount and set(present) <= {"category"} :
        return "placeholder"  # a lone untouched category cell from the template
    return "data"


def locate(grid) -> list[Table]:
    """All Table 1 / Table 2 regions of one sheet, in sheet order."""
    headers: list[tuple[int, str, dict[str, int]]] = []
    for r in grid.order:
        row = grid.rows[r]
        if sum(isinstance(v, str) for v in row) < 3:
            continue
        mapped = map_header(row)
        kind = table_kind(mapped)
        if kind:
            headers.append((r, kind, mapped))
    if not headers:
        return []
    fill = _merged_fill(grid)
    tables = []
    for i, (hr, kind, mapped) in enumerate(headers):
        end = headers[i + 1][0] if i + 1 < len(headers) else (grid.order[-1] + 1)
        fields = {f: c for f, c in mapped.items()
                  if f in HEADERS[kind] or f in OPTIONAL_FIELDS[kind]}
        table = Table(kind, grid.name, hr + 1, {f: xl_col_to_name(c) for f, c in fields.items()}, [])
        block: Record | None = None
        amount_field = "total" if kind == "table1" else "amount"
        block_sum = table_sum = 0.0
        first, last = bisect.bisect_right(grid.order, hr), bisect.bisect_left(grid.order, end)
        field_cols = list(fields.items())
        percent_cells = grid.percent_cells
        for r in grid.order[first:last]:
            row = grid.rows[r]
            width = len(row)
            values, sources = {}, {}
            for f, c in field_cols:
                v, src = row[c] if c < width else None, r
                if v is None and fill and f not in AMOUNT_FIELDS and (r, c) in fill:
                    v, src = fill[(r, c)]
                if isinstance(v, str) and not v.strip():
                    v = None
                values[f], sources[f] = v, src + 1
            # values are None or non-blank here (blank text became None above); NaN is blank too
            if not any(v is not None and v == v and sources[f] == r + 1 for f, v in values.items()):
                continue   # nothing of its own: merged enterprise cells over an empty row
            if classify(kind, values, row) != "data":
                continue
            if _is_unlabeled_sum(values, amount_field, (block_sum, table_sum)):
                continue
            rec = Record(r + 1, values, sources,
                         {f for f, c in field_cols if (r, c) in percent_cells} if percent_cells else set())
            name = values.get("name")
            continuation = block is not None and (
                is_blank(name) or (sources.get("name") != r + 1 and key(name) == key(block.values.get("name"))))
            if continuation:
                for f in INHERITED[kind]:
                    if f in values and is_blank(values[f]):
                        rec.values[f] = block.values[f]
                        rec.rows[f] = block.rows[f]
            elif not is_blank(name):
                block, block_sum = rec, 0.0
            value = values.get(amount_field)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                block_sum += value
                table_sum += value
            table.records.append(rec)
        tables.append(table)
    return tables
