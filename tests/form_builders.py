"""SME cluster 申报表 fixtures: a clean, complete set of answers; the Excel template filled
with openpyxl by row label; and the Word form laid out from seed 001's printed 附件1 itself
(its table rows as the seed prints them, ☐ marks, merged notes), filled as a county would."""
from __future__ import annotations

import re
from pathlib import Path

from xl_addin.forms.spec import label_key, load_form

SEED = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "001_b5087dda39711c52.txt"
YEARS = (2021, 2022, 2023)


def clean_answers() -> dict:
    """A complete form without a mistake (growth rates geometric, ratios computed)."""
    spec = load_form()
    a: dict = {}
    for item in spec.items:
        t = item.value_type
        if item.type == "years":
            a[item.id] = {y: {"count": 10 + k, "percent": 40.0 + k, "rate": 5.0, "number": 100.0 + 10 * k}[t]
                          for k, y in enumerate(YEARS)}
        elif t == "text":
            a[item.id] = f"{item.label[:6]}内容"
        elif t == "narrative":
            a[item.id] = f"{item.label[:8]}：开展了相关工作，成效明显。"
        elif t in ("number", "percent", "rate", "count") and not item.derive:
            a[item.id] = {"count": 12, "percent": 35.5, "rate": 8.5, "number": 25.5}[t]
        elif t == "choice":
            a[item.id] = item.options[-1] if "不适用" in item.options[-1] else item.options[0]
        elif t == "checks":
            a[item.id] = list(item.options[:2])
        elif t == "named_count":
            a[item.id] = {"count": 2, "names": "甲平台、乙平台"}
        elif t == "standards":
            a[item.id] = {y: {c: {"lead": 1, "join": 2} for c in item.extra["categories"]} for y in YEARS}
    a.update(name="任丘市汽车零部件产业", city="沧州", county="任丘市", founded="2008年", industry="汽车零部件",
             operator="任丘经济开发区管委会", authority="任丘市工业和信息化局", restricted="否", accidents="否",
             misconduct="否", industry_type="第二产业")
    a["output"] = {2021: 100.0, 2022: 110.0, 2023: 121.0}
    a["main_share"] = {2021: 50.0, 2022: 50.0, 2023: 50.0}
    a["enterprises"] = {2021: 200, 2022: 210, 2023: 220}
    a["smes"] = {2021: 190, 2022: 200, 2023: 200}
    a["employees"] = {2021: 9000, 2022: 9500, 2023: 10000}
    a["rd_staff"] = {2021: 900, 2022: 950, 2023: 1000}
    a.update(cloud_smes=80, platform_smes=100, patents=150)
    a["main_growth"] = 10.0                   # (121*50% / 100*50%)^(1/2) - 1
    a["cloud_ratio"], a["platform_ratio"], a["patents_per_10k"] = 40.0, 50.0, 150.0
    a["plan_text"] = "一、集群基本情况简介\n集群主导产业为汽车零部件。\n二、发展成效\n成效明显。"
    a["targets"] = {"output_growth": {"base": 10.0, "target": 12.0}, "quality_smes": {"base": 20, "target": 30},
                    "rd_target": {"base": 2.0, "target": 2.8}, "patents_target": {"base": 150, "target": 240},
                    "platform_target": {"base": 50.0, "target": 55.0}, "co2_target": {"base": 1.0, "target": 0.8},
                    "energy_target": {"base": 0.5, "target": 0.43},
                    "open_target": {"base": "开展国际合作", "target": "扩大合作"},
                    "governance_target": {"base": "完善服务", "target": "提升服务"}}
    return a


def fill_template(template: Path, answers: dict, out: Path) -> Path:
    """The Excel template filled by label: each item's row found by its label in column A."""
    import openpyxl

    spec = load_form()
    wb = openpyxl.load_workbook(template)
    seen: dict[str, int] = {}
    rows = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            v = row[0].value
            if isinstance(v, str):
                k = label_key(v)
                seen[k] = seen.get(k, 0) + 1
                rows.setdefault((k, seen[k]), (ws, row[0].row))
    for item in spec.items:
        value = answers.get(item.id)
        if value is None or item.derive and item.id not in answers.get("_typed", ()):
            continue
        if item.type == "standards":
            ws = wb[next(s.sheet for s in spec.sections if s.id == item.section)]
            for r in ws.iter_rows():
                if r[1].value in item.extra["categories"]:
                    cat = r[1].value
                    for k, y in enumerate(YEARS):
                        ws.cell(r[0].row, 3 + 3 * k, value[y][cat]["lead"])
                        ws.cell(r[0].row, 4 + 3 * k, value[y][cat]["join"])
            continue
        if item.type == "targets":
            ws = wb[next(s.sheet for s in spec.sections if s.id == item.section)]
            for r in ws.iter_rows():
                for row in item.extra["rows"]:
                    if r[1].value == row["indicator"] and r[0].value == row["direction"]:
                        ws.cell(r[0].row, 3, value[row["id"]]["base"])
                        ws.cell(r[0].row, 4, value[row["id"]]["target"])
            continue
        ws, r = rows[(label_key(item.label), item.occurrence)]
        if item.type == "years":
            for k, y in enumerate(YEARS):
                ws.cell(r, 2 + k, value[y])
        elif item.type == "checks":
            for option in value:
                for rr in range(r + 1, r + 1 + len(item.options)):
                    if ws.cell(rr, 1).value == option:
                        ws.cell(rr, 2, "是")
        elif item.type == "named_count":
            ws.cell(r, 2, value["count"])
            ws.cell(r, 3, value["names"])
        else:
            ws.cell(r, 2, value)
    wb.save(out)
    return out


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


def seed_word_form(answers: dict, out: Path, tick: str = "☑") -> Path:
    """The seed's 附件1 tables with the answers typed into the empty cell right of each label,
    ☐ turned to `tick` before each chosen option, and 数量：__个 名称：__ filled in."""
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
        _write_row(row, texts, width)
        if state.get("below"):                 # the seed leaves no row for these values: add one
            item_id, years = state.pop("below")
            extra = [[""]] * width
            for col, y in years.items():
                extra[col] = [str(answers[item_id][y])]
            _write_row(table.add_row(), extra, width)
    doc.save(out)
    return out


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
