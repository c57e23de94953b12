"""SME cluster 申报表 fixtures: the Word form laid out from seed 001's printed 附件1 itself (its
table rows as the seed prints them, ☐ marks, notes in cells), filled as a county would. The
clean answers and the Excel template filled by label are xl_addin.forms.examples (the demo's)."""
from __future__ import annotations

import re
from pathlib import Path

from xl_addin.forms.examples import example_answers, fill_template  # noqa: F401 (the tests' Excel forms)
from xl_addin.forms.spec import label_key, load_form

SEED = Path(__file__).parent / "fixtures" / "seed_001.txt"     # seed 001 as given (shared/seeds), copied
YEARS = (2021, 2022, 2023)


def clean_answers() -> dict:
    return example_answers()


# --- the Word form from the seed's own printed layout -------------------------------------

def seed_rows() -> list[object]:
    """附件1 of seed 001 as printed: headings (str) and table rows (lists of cell texts)."""
    text = SEED.read_text(encoding="utf-8")
    body = text[text.index("中小企业特色产业集群申报表\n"):text.index("附件 2")]
    out: list[object] = []
    for line in body.splitlines():
        if not line.strip() or set(line.strip()) <= set("-|"):
            continue
        if "\t" in line:
            cells = [c.strip() for c in line.split("\t")]
            out.append(cells)
        else:
            out.append(line.strip())
    return out


def _cell_text(raw: str) -> list[str]:
    raw = raw.replace('<input type="checkbox"/>', "☐")
    parts = re.findall(r"<p>(.*?)</p>", raw)
    return [p.strip() for p in parts] if parts else [raw]


def seed_word_form(answers: dict, out: Path, tick: str = "☑", merged: bool = False) -> Path:
    """The seed's 附件1 tables with the answers typed into the empty cell right of each label,
    ☐ turned to `tick` before each chosen option, and 数量：__个 名称：__ filled in. merged:
    as Word tables usually are, each cell merged with the empty cells right of it, and a label
    cell merged down over the rows whose first cell is empty (创新平台建设情况 over its three)."""
    import docx

    spec = load_form()
    by_key = {}
    for item in spec.items:
        for k in item.keys:
            by_key.setdefault(k, []).append(item)
    seen: dict[str, int] = {}
    doc = docx.Document()
    table, width, state = None, 0, {"years": {}}
    for entry in seed_rows():
        if isinstance(entry, str):
            table = None
            m = re.match(r"(集群名称|所属地区|集群运营管理机构)：", entry)
            if m and m.group(1) == "所属地区":
                entry = f"所属地区：{answers['city']}市{answers['county']}"
            doc.add_paragraph(entry)
            if entry.startswith("八、"):      # the county's plan goes under the heading
                for line in answers["plan_text"].split("\n"):
                    doc.add_paragraph(line)
            continue
        cells = [_cell_text(c) for c in entry]
        if table is None or len(cells) > width:
            table = doc.add_table(rows=0, cols=max(len(cells), 4))
            width = max(len(cells), 4)
        row = table.add_row()
        texts = [list(c) for c in cells] + [[""]] * (width - len(cells))
        _fill(texts, answers, by_key, seen, state, spec)
        if tick != "☑":
            texts = [[line.replace("☑", tick) for line in cell] for cell in texts]
        _write_row(row, texts, width)
        if merged:
            _merge_row(table, row, texts)
        if state.get("below"):                 # the seed leaves no row for these values: add one
            item_id, years = state.pop("below")
            extra = [[""]] * width
            for col, y in years.items():
                extra[col] = [str(answers[item_id][y])]
            _write_row(table.add_row(), extra, width)
    doc.save(out)
    return out


def _merge_row(table, row, texts) -> None:
    """Merge each filled cell with the empty ones right of it; an empty first cell with the
    first cell above it (a label spanning rows)."""
    filled = [bool("".join(t).strip()) for t in texts[:len(row.cells)]]
    c = 0
    while c < len(filled):
        end = c
        while end + 1 < len(filled) and not filled[end + 1] and filled[c]:
            end += 1
        if end > c:
            row.cells[c].merge(row.cells[end])
        c = end + 1
    if not filled[0] and len(table.rows) > 1:
        above = table.rows[len(table.rows) - 2].cells[0]
        if above.text.strip():
            above.merge(row.cells[0])


def _write_row(row, texts, width) -> None:
    for c, lines in enumerate(texts[:width]):
        cell = row.cells[c]
        cell.paragraphs[0].text = lines[0] if lines else ""
        for line in lines[1:]:
            cell.add_paragraph(line)


def _fill(texts: list[list[str]], answers: dict, by_key: dict, seen: dict, state: dict, spec) -> None:
    """Type the answers into one seed row (state carries the year columns and the open grids)."""
    flat = [" ".join(t) for t in texts]
    years = {c: int(m.group(1)) for c, t in enumerate(flat) if (m := re.fullmatch(r"\s*(20\d\d)\s*年\s*", t))}
    if len(years) >= 2:
        state["years"] = years
    cats = ("国际", "国家", "行业", "团体")
    if any(t in cats for t in flat):
        hits = [c for c, t in enumerate(flat) if t in cats]
        grid = answers["standards"]
        for n, c in enumerate(hits):
            texts[c + 1] = [str(grid[YEARS[n]][flat[c]]["lead"])]
            texts[c + 2] = [str(grid[YEARS[n]][flat[c]]["join"])]
        return
    if state.get("down") and len(years) == 1:
        c, y = next(iter(years.items()))
        texts[c + 1] = [str(answers[state["down"]][y])]
        return
    state["down"] = None
    if state.get("targets") is not None:
        if flat[0] in ("主导产业", "创新", "数字化", "绿色化", "开放合作", "治理和服务", "其它"):
            state["direction"] = flat[0]
        for row in state["targets"]:
            if len(flat) > 1 and flat[1] == row["indicator"] and row["direction"] == state.get("direction"):
                cells = answers["targets"][row["id"]]
                texts[2], texts[3] = [str(cells["base"])], [str(cells["target"])]
        return
    if "目标值" in "".join(flat):
        state["targets"] = spec.item("targets").extra["rows"]
        return
    for c, t in enumerate(flat):
        key = label_key(t.split("：")[0] if "：" in t and not t.startswith("<") else t)
        items = by_key.get(key) or by_key.get(label_key(t))
        if not items:
            continue
        seen[key] = seen.get(key, 0) + 1
        item = next((i for i in items if i.occurrence == seen[key]), items[0])
        value = answers.get(item.id)
        if value is None:
            continue
        if item.type == "years":
            if len(years) >= 2:                # 工业软件采购金额 | 2021 年 | …: the values go below
                state["below"] = (item.id, years)
            elif c + 1 < len(flat) and re.fullmatch(r"\s*20\d\d\s*年\s*", flat[c + 1]):
                state["down"] = item.id
                texts[c + 2] = [str(value[int(flat[c + 1].strip()[:4])])]
            else:
                for col, y in state["years"].items():
                    if col < len(texts) and col != c and not flat[col].strip():
                        texts[col] = [str(value[y])]
            continue
        if "☐" in t and item.type in ("choice", "checks"):
            target = c                         # the options share the label's cell
        else:
            target = next((k for k in range(c + 1, len(texts)) if "☐" in flat[k] or "数量" in flat[k]), None)
            if target is None:
                target = next((k for k in range(c + 1, len(texts)) if not flat[k].strip() or "个" in flat[k]), None)
        if target is None:
            continue
        if item.type in ("choice", "checks"):
            chosen = value if isinstance(value, list) else [value]
            texts[target] = [re.sub(r"☐\s*(" + "|".join(re.escape(o) for o in chosen) + ")", r"☑\1", line)
                             for line in texts[target]]
        elif item.type == "named_count":
            texts[target] = [f"数量：{value['count']}个 名称：{value['names']}"]
        else:
            texts[target] = [str(value)]
