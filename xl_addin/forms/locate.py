"""Rows of cells -> one form record, by row labels.

A label cell names an item (its nth occurrence in the file for labels the form repeats,
such as a contact row); the item's value is in the cells after it, read by the item's type:
- a row of years (2021 年 | 2022 年 | 2023 年) sets the year columns for the rows below; a
  years item reads the cells of its row in those columns, or, laid out down (2021 年 |
  value on consecutive rows), the cell after each year;
- ☐ groups read the marks of their cell (☑/■/√ … ticked), or, in the Excel template, one
  row per option with a 是/☑ cell;
- 数量：3个 名称：… cells, the standards grid (category | 主持 | 参与 per year) and the
  target table (direction | indicator | base | target) have their own small readers.
Values are kept as typed (text or number); checks reads them. Every value keeps where it was."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from xl_addin.forms.read import Cell, Rows, Where, as_text
from xl_addin.forms.spec import FormSpec, Item, label_key

YEAR = re.compile(r"^\s*((?:19|20)\d\d)\s*年?\s*(?:度)?\s*$")
NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")


@dataclass
class Record:
    path: str
    values: dict = field(default_factory=dict)     # item id -> value; years: {year: value}
    where: dict = field(default_factory=dict)      # item id or (item id, year | option) -> Where
    found: set = field(default_factory=set)        # items whose label was found
    extra_targets: list = field(default_factory=list)   # target rows the form adds (……)

    def get(self, item_id: str, year: int | None = None):
        v = self.values.get(item_id)
        return v.get(year) if isinstance(v, dict) and year is not None else v


def _year(v) -> int | None:
    if isinstance(v, (int, float)) and not isinstance(v, bool) and 1990 <= v <= 2099 and float(v).is_integer():
        return int(v)
    m = YEAR.match(as_text(v)) if isinstance(v, str) else None
    return int(m.group(1)) if m else None


class _Locator:
    def __init__(self, spec: FormSpec, path: str):
        self.spec, self.rec = spec, Record(path)
        self.by_key: dict[str, list[Item]] = {}
        for item in spec.items:
            for k in item.keys:
                self.by_key.setdefault(k, []).append(item)
        self.seen: dict[str, int] = {}
        self.year_cols: dict[int, int] = {}
        self.down: Item | None = None          # a years item laid out down
        self.checks: Item | None = None        # a ☐ group read one option per row
        self.standards: Item | None = None
        self.targets: Item | None = None
        self.target_direction = None
        self.values_below: Item | None = None  # a years item whose years head its own row
        self.marks_item: Item | None = None    # the ☐ group read last (its options may go on below)

    # --- matching -----------------------------------------------------------------------
    def match(self, cell: Cell) -> Item | None:
        if not isinstance(cell.value, str):
            return None
        key = label_key(cell.value)
        if key not in self.by_key and ("：" in cell.value or ":" in cell.value):
            label = re.split("[：:]", cell.value, maxsplit=1)[0]
            if label_key(label) in self.by_key:
                key = label_key(label)
        items = self.by_key.get(key)
        if not items:
            return None
        n = self.seen.get(key, 0) + 1
        self.seen[key] = n
        item = next((i for i in items if i.occurrence == n), None)
        if item is None and len(items) == 1 and n > 1 and items[0].id in self.rec.found:
            return None                        # the same label again (a repeated caption): ignore
        return item or items[0]

    def match_only(self, cell: Cell) -> Item | None:
        """The item a cell labels, without counting it as seen."""
        if not isinstance(cell.value, str):
            return None
        items = self.by_key.get(label_key(re.split("[：:]", cell.value, maxsplit=1)[0])) or \
            self.by_key.get(label_key(cell.value))
        return items[0] if items else None

    def put(self, item: Item, value, where: Where, year=None) -> None:
        if year is None:
            self.rec.values[item.id] = value
            self.rec.where[item.id] = where
        else:
            self.rec.values.setdefault(item.id, {})[year] = value
            self.rec.where[(item.id, year)] = where
        self.rec.found.add(item.id)

    # --- rows -----------------------------------------------------------------------------
    def row(self, cells: list[Cell]) -> None:
        if self.targets and self._target_row(cells):
            return
        if self.standards and self._standards_row(cells):
            return
        self.standards = None
        if self.values_below:
            item, self.values_below = self.values_below, None
            if self._years_in(cells, item, labelled=False):
                return
        if self.down and self._down_row(cells):
            return
        self.down = None
        if self.checks and self._option_row(cells):
            return
        self.checks = None
        years = {c.col: y for c in cells if (y := _year(c.value))}
        if len(years) >= 2:
            self.year_cols = years
            first = cells[0]
            item = self.match(first) if first.col not in years else None
            if item is not None and item.type == "years":
                self.rec.found.add(item.id)
                self.values_below = item       # 工业软件采购金额 | 2021 年 | …: the values are below
            elif item is not None and item.type == "targets":
                self._start_targets(item, cells)
            if all(_year(c.value) or label_key(c.value) in (label_key(self.spec.year_header), "") for c in cells) \
                    or item is not None:
                return
        targets = self.spec_item("targets")
        if targets and any(label_key(c.value).endswith(targets.extra["ends"][-1]) for c in cells
                           if isinstance(c.value, str)):
            self._start_targets(targets, cells)
            return
        i, matched = 0, False
        while i < len(cells):
            item = self.match(cells[i])
            if item is None:
                i += 1
                continue
            matched = True
            i = self._value(item, cells, i)
        if not matched and self.marks_item is not None:
            # a ☐ group continued on the next row (the Word table broke across a page)
            item = self.marks_item
            ticked = self.ticked(item, " ".join(as_text(c.value) for c in cells))
            if ticked is None:
                self.marks_item = None
            elif item.type == "checks":
                self.rec.values[item.id] = list(dict.fromkeys([*(self.rec.values.get(item.id) or []), *ticked]))
        elif matched and not any(self.match_only(c) is self.marks_item for c in cells):
            self.marks_item = None

    def spec_item(self, item_type: str) -> Item | None:
        return next((i for i in self.spec.items if i.type == item_type), None)

    def _value(self, item: Item, cells: list[Cell], i: int) -> int:
        """Read the item labelled by cells[i]; the index of the next cell to look at."""
        rest = cells[i + 1:]
        label = cells[i]
        self.rec.found.add(item.id)
        inline = re.split("[：:]", label.value, maxsplit=1)[1] if re.search("[：:]", label.value) else ""
        if label_key(inline) and item.type in ("text", "narrative", "number", "percent", "rate", "count"):
            self.put(item, inline.strip(), label.where)      # “label：value” typed into one cell
            return i + 1
        if item.type == "years":
            if rest and _year(rest[0].value) and len(rest) >= 1:
                self.down = item               # 2021 年 | value, one year per row
                self._down_row(rest)
                return len(cells)
            self._years_in(cells, item, labelled=True)
            return len(cells)
        if item.type == "standards":
            self.standards = item
            self._standards_row(rest)
            return len(cells)
        if item.type == "targets":
            return len(cells)
        # the next label on the row ends this item's cells (contact | v | phone | v)
        stop = next((k for k, c in enumerate(rest) if isinstance(c.value, str) and label_key(c.value) in self.by_key),
                    len(rest))
        values = rest[:stop]
        where = values[0].where if values else Where(label.where.sheet, label.where.row,
                                                     _cell_name(label.where, label.col + 1))
        if item.type in ("choice", "checks"):
            text = " ".join([inline] + [as_text(c.value) for c in values]).strip()   # options may share the label's cell
            self.marks_item = item
            ticked = self.ticked(item, text)
            if ticked is None and item.type == "checks":
                self.checks = item             # one option per row below (the Excel template)
                self.put(item, [], where)
            elif ticked is None:
                self.put(item, text or None, where)     # typed, not marked: the option as text
            else:
                self.put(item, ticked if item.type == "checks" else (ticked[0] if ticked else None), where)
        elif item.type == "named_count":
            text = " ".join(as_text(c.value) for c in values)
            if _has_count_words(text):
                self.put(item, _named_count(text), where)
            else:                              # the template: 数量 and 名称 in cells of their own
                count = next((c.value for c in values if not isinstance(c.value, str) or NUMBER.fullmatch(c.value)), None)
                names = next((c.value for c in values if isinstance(c.value, str) and not NUMBER.fullmatch(c.value)), None)
                self.put(item, {"count": count, "names": names}, where)
        elif values:
            v = values[0].value
            if item.numeric and isinstance(v, str) and item.unit:
                v = v.replace("_", "").split(item.unit)[0].strip() or None
            self.put(item, v, where)
        else:
            self.put(item, None, where)
        return i + 1 + stop

    def _years_in(self, cells: list[Cell], item: Item, labelled: bool) -> bool:
        got = False
        for c in cells:
            year = self.year_cols.get(c.col)
            if year is not None and not (labelled and c is cells[0]):
                self.put(item, c.value, c.where, year)
                got = True
        for year in self.spec.years:           # blank years keep a place: the first cell of the row
            if (item.id, year) not in self.rec.where:
                self.rec.values.setdefault(item.id, {})[year] = None
                col = next((c for c, y in self.year_cols.items() if y == year), None)
                sheet, row = cells[0].where.sheet, cells[0].where.row
                self.rec.where[(item.id, year)] = Where(sheet, row, _cell_name(cells[0].where, col))
        return got

    def _down_row(self, cells: list[Cell]) -> bool:
        for k, c in enumerate(cells):
            if isinstance(c.value, str) and label_key(c.value) in self.by_key:
                return False                   # the next item's label: the years ended
            year = _year(c.value)
            if year is not None and year in self.spec.years:
                value = cells[k + 1] if k + 1 < len(cells) else None
                self.put(self.down, value.value if value else None, value.where if value else c.where, year)
                return True
        return False

    def _option_row(self, cells: list[Cell]) -> bool:
        item = self.checks
        key = label_key(cells[0].value)
        option = next((o for o in item.options if label_key(o) == key), None)
        if option is None:
            return False
        mark = as_text(cells[1].value) if len(cells) > 1 else ""
        if mark and any(mark.startswith(y) for y in self.spec.yes):
            self.rec.values[item.id].append(option)
        self.rec.where[(item.id, option)] = cells[1].where if len(cells) > 1 else cells[0].where
        return True

    def _standards_row(self, cells: list[Cell]) -> bool:
        item = self.standards
        cats = item.extra.get("categories", [])
        texts = [label_key(c.value) if isinstance(c.value, str) else None for c in cells]
        if item.extra.get("category_header") in texts or sum(bool(_year(c.value)) for c in cells) >= 2:
            return True                        # the grid's own header rows
        hits = [k for k, t in enumerate(texts) if t in cats]
        if not hits:
            return False
        value = self.rec.values.setdefault(item.id, {})
        by_col = {c.col: c for c in cells}
        for n, k in enumerate(hits):
            year = self.spec.years[n] if n < len(self.spec.years) else None
            if year is None:
                break
            cat, col = texts[k], cells[k].col
            for offset, role in enumerate(("lead", "join"), start=1):
                c = by_col.get(col + offset)       # 主持 and 参与 right of their 类别 (blank: no cell)
                value.setdefault(year, {}).setdefault(cat, {})[role] = c.value if c else None
                self.rec.where[(item.id, year, cat, role)] = c.where if c else Where(
                    cells[k].where.sheet, cells[k].where.row, _cell_name(cells[k].where, col + offset))
        self.rec.where.setdefault(item.id, cells[0].where)
        return True

    def _start_targets(self, item: Item, cells: list[Cell]) -> None:
        self.targets, self.target_sheet = item, cells[0].where.sheet
        self.rec.found.add(item.id)
        self.rec.where.setdefault(item.id, cells[0].where)
        self.rec.values.setdefault(item.id, {})
        heads = [label_key(c.value) if isinstance(c.value, str) else "" for c in cells]
        base, target = item.extra["ends"]
        self.target_cols = {"base": next((c.col for c, h in zip(cells, heads) if h.endswith(base)), None),
                            "target": next((c.col for c, h in zip(cells, heads) if h.endswith(target)), None)}

    def _target_row(self, cells: list[Cell]) -> bool:
        item = self.targets
        if cells[0].where.sheet != self.target_sheet:
            self.targets = None                # the table ended
            return False
        texts = [label_key(c.value) if isinstance(c.value, str) else None for c in cells]
        rows = item.extra.get("rows", [])
        directions = {label_key(r["direction"]) for r in rows} | set(item.extra.get("other_directions", []))
        if texts[0] and any(label_key(texts[0]).lstrip("0123456789.、").startswith(a) for a in item.extra.get("after", [])):
            self.targets = None
            return False
        by_col = {c.col: c for c in cells}
        labels = [c for c in cells if c.col not in self.target_cols.values()]
        if texts and texts[0] in directions:
            self.target_direction = texts[0]
            labels = labels[1:]
        indicator = labels[0] if labels else None
        if indicator is None:
            return True                        # a direction alone (its cell merged down)
        key = label_key(indicator.value) if isinstance(indicator.value, str) else ""
        row = next((r for r in rows if label_key(r["indicator"]) == key and
                    (self.target_direction is None or label_key(r["direction"]) == self.target_direction)), None)
        row = row or next((r for r in rows if label_key(r["indicator"]) == key), None)
        got = {k: by_col.get(col) for k, col in self.target_cols.items()}
        if row is None:
            if key and key not in ("……", "…"):
                self.rec.extra_targets.append({"indicator": as_text(indicator.value),
                                               **{k: c.value if c else None for k, c in got.items()}})
            return True
        value = self.rec.values[item.id].setdefault(row["id"], {})
        for k, c in got.items():
            value[k] = c.value if c else None
            self.rec.where[(item.id, row["id"], k)] = c.where if c else Where(
                indicator.where.sheet, indicator.where.row, _cell_name(indicator.where, self.target_cols[k]))
        return True

    # --- ☐ marks ---------------------------------------------------------------------------
    def ticked(self, item: Item, text: str) -> list[str] | None:
        """The options ticked in a cell's text, or None when it has no marks at all."""
        marks = "".join(re.escape(m) for m in (*self.spec.yes, *self.spec.no) if len(m) == 1 and m != "是")
        parts = re.findall(f"([{marks}])\\s*([^{marks}]*)", text)
        if not parts:
            return None
        out = []
        options = sorted(item.options, key=lambda o: -len(label_key(o)))
        for mark, label in parts:
            if mark not in self.spec.yes:
                continue
            key = label_key(label)
            option = next((o for o in item.options if label_key(o) == key), None) or \
                next((o for o in options if label_key(o) and label_key(o) in key), None)
            if option and option not in out:
                out.append(option)
        return out


def _cell_name(where: Where, col: int | None) -> str | None:
    if col is None or where.row is None:
        return where.cell
    if where.sheet.startswith("表格"):
        return f"第{where.row}行第{col + 1}列"
    from xl_addin.locate.headers import xl_col_to_name
    return f"{xl_col_to_name(col)}{where.row}"


def _has_count_words(text: str) -> bool:
    return "数量" in text or "名称" in text


def _named_count(text: str) -> dict:
    m = re.search(r"数量[：:]\s*_*\s*(\d+(?:\.\d+)?)", text) or re.match(r"\s*(\d+(?:\.\d+)?)\s*个", text)
    names = re.search(r"名称[：:]\s*(.*?)(?=数量[：:]|$)", text, re.S)
    name = names.group(1).strip().strip("_").strip() if names else None
    return {"count": float(m.group(1)) if m else None, "names": name or None}


def locate_form(rows: Rows, spec: FormSpec, path: str) -> Record:
    loc = _Locator(spec, path)
    for cells in rows.rows:
        loc.row(cells)
    rec = loc.rec
    _paragraphs(rows, spec, rec)
    return rec


def _paragraphs(rows: Rows, spec: FormSpec, rec: Record) -> None:
    """The Word form's cover lines (“label：value”, and the region line ____市____县) where the tables leave an
    item blank, and the plan (八's text between its heading and 九)."""
    titles = {label_key(s.title): s.id for s in spec.sections}
    labels = {k for i in spec.items for k in i.keys}
    current, bodies = None, {}
    for text in rows.paragraphs:
        if label_key(text) in titles:
            current = titles[label_key(text)]
            continue
        if current and label_key(text) not in labels:
            bodies.setdefault(current, []).append(text)
    for text in rows.paragraphs:
        label, sep, value = text.partition("：") if "：" in text else text.partition(":")
        value = value.strip().strip("_").strip()
        if not sep or not label_key(value):
            continue                           # an unfilled cover line: ____(XX…)____
        key = label_key(label)
        if spec.region and key == label_key(spec.region):
            m = re.match(r"_*(.+?市)_*(.+?)_*$", value)
            if m and m.group(1).strip("_ 市") and m.group(2).strip("_ ").split("(")[0].split("（")[0]:
                for item_id, v in (("city", m.group(1)), ("county", m.group(2))):
                    if rec.values.get(item_id) in (None, ""):
                        rec.values[item_id] = v.strip("_ ")
                        rec.where[item_id] = Where("封面", None, None)
                        rec.found.add(item_id)
            continue
        for item in spec.items:
            if key in item.keys and item.type == "text" and rec.values.get(item.id) in (None, ""):
                rec.values[item.id] = value
                rec.where[item.id] = Where("封面", None, None)
                rec.found.add(item.id)
    plan = next((i for i in spec.items if i.type == "narrative" and i.section == "plan"), None)
    if plan is not None and rec.values.get(plan.id) in (None, ""):
        section = next(s for s in spec.sections if s.id == plan.section)
        body = bodies.get(section.id)
        if body:
            rec.values[plan.id] = "\n".join(body)
            rec.where[plan.id] = Where(section.title, None, None)
            rec.found.add(plan.id)
