"""Example SME cluster forms (the demo's, and the tests' Excel forms): a complete set of
answers without a mistake, and the Excel template filled with them by row label."""
from __future__ import annotations

from pathlib import Path

from xl_addin.forms.spec import label_key, load_form


def example_answers(name: str = "任丘市汽车零部件产业", city: str = "沧州", county: str = "任丘市") -> dict:
    """A complete form without a mistake (growth rates geometric, ratios computed)."""
    spec = load_form()
    years = spec.years
    a: dict = {}
    for item in spec.items:
        t = item.value_type
        if item.type == "years":
            a[item.id] = {y: {"count": 10 + k, "percent": 40.0 + k, "rate": 5.0, "number": 100.0 + 10 * k}[t]
                          for k, y in enumerate(years)}
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
            a[item.id] = {y: {c: {"lead": 1, "join": 2} for c in item.extra["categories"]} for y in years}
    a.update(name=name, city=city, county=county, founded="2008年", industry="汽车零部件",
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
    a["plan_text"] = "一、集群基本情况简介\n集群以汽车零部件为主。\n二、发展成效\n成效明显。"
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
                    for k, y in enumerate(spec.years):
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
            for k, y in enumerate(spec.years):
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




def write_demo_forms(city: str, folder: Path, clusters=None) -> tuple[list[Path], list[str]]:
    """The demo's county forms for one city: the template filled for up to three counties
    (one typing the arithmetic mean as 年均增速, which 说明 9 forbids) and one exported to
    the Word 申报表, as counties send either."""
    import tempfile

    from xl_addin.declare.reference import default_clusters
    from xl_addin.declare.rules import load_rules
    from xl_addin.forms.consolidate import read_form
    from xl_addin.forms.docx_form import write_form
    from xl_addin.forms.template import build_form_template

    clusters = clusters or default_clusters()
    counties = list(dict.fromkeys(c.county for c in clusters.clusters if c.city == city))[:3]
    folder.mkdir(parents=True, exist_ok=True)
    spec = load_form()
    notes, paths = [], []
    with tempfile.TemporaryDirectory() as tmp:
        template = build_form_template(Path(tmp) / "template.xlsx")
        for n, county in enumerate(counties):
            cluster = next(c for c in clusters.clusters if c.county == county)
            a = example_answers(cluster.name.replace("集群", ""), city, county)
            a["industry"] = cluster.industry
            if n == 1:
                a["output"] = {2021: 100.0, 2022: 150.0, 2023: 180.0}
                a["main_growth"], a["_typed"] = 35.0, ("main_growth",)
                label = spec.item("main_growth").label
                notes.append(f"{county}：“{label}”填了算术平均数 35%（几何平均应为 34.16%）")
            path = fill_template(template, a, folder / f"{county}.xlsx")
            if n == 2:            # sent as the Word 申报表
                rec, _, derived = read_form(str(path), spec, load_rules(), clusters)
                word = write_form(rec, derived, spec, folder / f"{county}.docx")
                path.unlink()
                path = word
                notes.append(f"{county}：报送的是 Word 申报表")
            paths.append(path)
    return paths, notes
