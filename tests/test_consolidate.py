"""Consolidation into the city summary: open SUMMARY.xlsx and check the cells."""
import datetime as dt
import json

import openpyxl
import pytest
import python_calamine
from builders import HJ, HJ_CLUSTER, LEADER, RQ, RQ_CLUSTER, T1, T2, TOP3, Sheet, t1_row, t2_row, write
from click.testing import CliRunner

from xl_addin.cli import main
from xl_addin.consolidate.pipeline import run
from xl_addin.examples import generate_city, write_county_workbook
from xl_addin.render.summary_xlsx import write_summary
from xl_addin.declare.reference import default_clusters

RQ2 = "任丘电子通讯设备产业集群"


def consolidate(tmp_path, inputs, *extra):
    out = tmp_path / "SUMMARY.xlsx"
    res = CliRunner().invoke(main, ["consolidate", *map(str, inputs), "--out", str(out),
                                    "--json", str(tmp_path / "REPORT.json"), *extra])
    assert res.exit_code in (0, 1), res.output
    return out, json.loads((tmp_path / "REPORT.json").read_text("utf-8")), res


def calamine_rows(path, sheet):
    return python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()


@pytest.fixture
def two_counties(tmp_path):
    hj = write(tmp_path / "in" / "河间.xlsx", [Sheet("表1", [
        ["河间市表1"], T1,
        t1_row("河间甲公司", HJ, HJ_CLUSTER, LEADER, "研发1：光谱仪", unit=30, total=60),
        t1_row(equipment="试验1：试验箱", unit=12.5, total=25),
        t1_row(equipment="先进生产设备1：加工中心", unit=100, total=100),
        t1_row("河间小公司", HJ, HJ_CLUSTER, LEADER, unit=10, total=10),          # below threshold
    ]), Sheet("表2", [T2, t2_row("河间丙公司", "沧州", HJ, HJ_CLUSTER, "1.冀财基金", amount=1000),
                       t2_row(investor="2.某资本", amount=500.5, share="3%")])])
    rq = write(tmp_path / "in" / "任丘.xlsx", [Sheet("Sheet1", [
        T1,
        t1_row("任丘乙公司", RQ, RQ_CLUSTER, TOP3, "检测1：探伤机", unit=1200, total=1200),   # cap 200 bites
        t1_row("=HYPERLINK(\"http://x\",\"点我\")", RQ, RQ2, LEADER, "研发1：=1+2", unit=80, total=80),
    ])])
    return [hj, rq]


def test_summary_cells_merges_and_totals(tmp_path, two_counties):
    out, data, res = consolidate(tmp_path, two_counties, "--city", "沧州")
    assert res.exit_code == 1  # the below-threshold enterprise is an error
    wb = openpyxl.load_workbook(out)
    ws = wb["汇总表（一）"]
    assert ws["A1"].value == "2026年度河北省特色产业集群“领跑者”企业培育推荐项目汇总表"
    assert ws["A2"].value == "一、申报特色产业集群创新发展项目"
    assert ws["I3"].value == "单位：万元" and ws["A3"].value == "填报单位：沧州市工业和信息化局"
    assert [c.value for c in ws[4]] == ["序号", "企业名称", "所在县（市）", "所属集群", "申报单位类别",
                                        "购置设备名称种类金额", "设备用途", "安装位置", "单价", "总价"]
    # 任丘 comes before 河间 in the cluster list; then order of appearance.
    assert [ws.cell(r, 1).value for r in range(5, 10)] == [1, 2, 3, None, None]
    assert [ws.cell(r, 2).value for r in (5, 6, 7)] == ["任丘乙公司", "=HYPERLINK(\"http://x\",\"点我\")", "河间甲公司"]
    merged = {str(m) for m in ws.merged_cells.ranges}
    assert {f"{c}7:{c}9" for c in "ABCDE"} <= merged
    assert not any(m.startswith(("A5:", "A6:")) for m in merged)  # one-row blocks are not merged
    assert [ws.cell(r, 10).value for r in range(5, 10)] == [1200, 80, 60, 25, 100]
    assert ws["A10"].value == "合计" and ws["J10"].value == 1465 and ws["J10"].data_type == "n"
    assert ws["J10"].value == pytest.approx(sum(e["total"] for e in data["table1"]["enterprises"]))
    assert ws["E5"].value == "营收前三企业" and ws["E7"].value == "“领跑者”企业"
    assert ws.print_title_rows == "$4:$4" and ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9

    ws2 = wb["汇总表（二）"]
    assert [c.value for c in ws2[4]][:4] == ["序号", "企业名称", "所在地市", "所在县(市、区）"]
    assert [ws2.cell(r, 6).value for r in (5, 6)] == ["1.冀财基金", "2.某资本"]
    assert ws2["G5"].value == dt.datetime(2023, 5, 8) and ws2["I6"].value == 3
    assert ws2["A7"].value == "合计" and ws2["H7"].value == pytest.approx(1500.5)
    assert "A5:A6" in {str(m) for m in ws2.merged_cells.ranges}

    # calamine sees the same figures (values, not formulas)
    rows = calamine_rows(out, "汇总表（一）")
    assert rows[9][0] == "合计" and rows[9][9] == 1465.0
    assert calamine_rows(out, "汇总表（二）")[6][7] == 1500.5


def test_input_text_starting_with_equals_stays_text_everywhere(tmp_path, two_counties):
    out, data, _ = consolidate(tmp_path, two_counties)
    wb = openpyxl.load_workbook(out)
    cells = [c for ws in wb for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("=")]
    assert "=HYPERLINK(\"http://x\",\"点我\")" in {c.value for c in cells}
    assert cells and all(c.data_type == "s" for c in cells)
    codes = [(i["code"], i["row"], i["column"]) for i in data["issues"] if i["code"] == "formula_text"]
    assert codes == [("formula_text", 3, "企业名称")]


def test_subsidy_sheet_problem_list_and_submissions(tmp_path, two_counties):
    out, data, _ = consolidate(tmp_path, two_counties, "--city", "沧州")
    wb = openpyxl.load_workbook(out)
    sub = wb["补助测算"]
    header = [c.value for c in sub[2]]
    assert header[:4] == ["序号", "项目类型", "企业名称", "所在地市"]
    rows = {sub.cell(r, 3).value: [c.value for c in sub[r]] for r in range(3, sub.max_row)}
    top3 = rows["任丘乙公司"]
    assert top3[7:12] == [1200, 0.2, 200, 200, "是"]
    assert rows["河间甲公司"][7:12] == [185, 0.2, 500, 37, "否"]
    assert rows["河间丙公司"][7:12] == [1500.5, 0.02, 500, 30.01, "否"]
    last = [c.value for c in sub[sub.max_row]]
    assert last[0] == "合计" and last[10] == pytest.approx(200 + 16 + 37 + 30.01)
    assert data["table1"]["subsidy"] + data["table2"]["subsidy"] == pytest.approx(last[10])

    issues = wb["问题清单"]
    listed = [[c.value for c in row] for row in issues.iter_rows(min_row=3)]
    assert [(r[2], r[3], r[4], r[5], r[6]) for r in listed] == [
        (i["code"], i["path"].split("/")[-1], i["sheet"], i["cell"], i["column"]) for i in data["issues"]]
    below = next(r for r in listed if r[2] == "below_threshold")
    assert below[1] == "错误" and (below[4], below[5]) == ("表1", "I6")
    link = issues.cell(3 + listed.index(below), 4).hyperlink
    assert link is not None and link.target.endswith("河间.xlsx") and link.location == "'表1'!I6"

    subs = [[c.value for c in row] for row in wb["报送情况"].iter_rows(min_row=3, max_row=4)]
    assert [(r[1], r[2], r[4], r[5], r[6], r[7]) for r in subs] == [
        ("任丘.xlsx", "已接收", 2, 2, 0, "任丘市"), ("河间.xlsx", "已接收", 6, 5, 1, "河间市")]
    texts = [c.value for row in wb["报送情况"].iter_rows() for c in row if isinstance(c.value, str)]
    expected_missing = [c for c in default_clusters().counties_of("沧州") if c not in ("任丘市", "河间市")]
    assert len(expected_missing) == 11
    assert all(c in texts for c in expected_missing) and "任丘市" in texts


@pytest.mark.parametrize("base,category,result,capped", [
    (2499.95, "领跑者", 499.99, False), (2500, "领跑者", 500, False), (2500.05, "领跑者", 500, True),
    (999.95, "营收前三", 199.99, False), (1000, "营收前三", 200, False), (1000.05, "营收前三", 200, True),
    (123.456, "领跑者", 24.69, False), (50, "营收前三", 10, False),
])
def test_equipment_subsidy_at_and_around_the_caps(tmp_path, base, category, result, capped):
    cat = LEADER if category == "领跑者" else TOP3
    path = write(tmp_path / "a.xlsx", [Sheet("表1", [T1, t1_row("甲公司", RQ, RQ_CLUSTER, cat, "研发1：仪器",
                                                                 unit=base, total=base)])])
    out, data, _ = consolidate(tmp_path, [path])
    ent = data["table1"]["enterprises"][0]
    assert (ent["subsidy"], ent["capped"]) == (result, capped)
    row = [c.value for c in openpyxl.load_workbook(out)["补助测算"][3]]
    assert row[10] == result and row[11] == ("是" if capped else "否")


@pytest.mark.parametrize("amount,founded,result,capped", [
    (24999.5, None, 499.99, False), (25000, None, 500, False), (25000.5, None, 500, True),
    (49999.5, dt.date(2022, 1, 1), 999.99, False), (50000.5, dt.date(2022, 1, 1), 1000, True),
    (50000.5, dt.date(2020, 1, 1), 500, True),             # founded more than two years before
    (30000, None, 500, True),                               # no founding date column: ordinary cap
])
def test_equity_reward_at_and_around_the_caps(tmp_path, amount, founded, result, capped):
    header = T2 + (["成立时间"] if founded else [])
    row = t2_row("甲公司", "沧州", HJ, HJ_CLUSTER, amount=amount, date=dt.date(2023, 5, 8)) + ([founded] if founded else [])
    path = write(tmp_path / "a.xlsx", [Sheet("表2", [header, row])])
    out, data, _ = consolidate(tmp_path, [path])
    ent = data["table2"]["enterprises"][0]
    assert (ent["subsidy"], ent["capped"]) == (result, capped)


def test_same_inputs_in_any_order_give_identical_report_and_cells(tmp_path):
    books = generate_city("沧州", seed=7, counties=4)
    paths = [write_county_workbook(b, tmp_path / "in" / b.filename) for b in books]
    outputs = []
    for n, order in enumerate([paths, paths[::-1], [paths[2], paths[0], paths[3], paths[1]]]):
        d = tmp_path / f"run{n}"
        d.mkdir()
        out, _, _ = consolidate(d, order)
        wb = openpyxl.load_workbook(out)
        cells = [[c.value for c in row] for ws in wb for row in ws.iter_rows()]
        outputs.append(((d / "REPORT.json").read_bytes(), cells))
    assert outputs[0][0] == outputs[1][0] == outputs[2][0]
    assert outputs[0][1] == outputs[1][1] == outputs[2][1]


def test_generated_city_totals_equal_the_generator(tmp_path):
    books = generate_city("沧州", seed=11)
    paths = [write_county_workbook(b, tmp_path / "in" / b.filename, text_dates=True) for b in books]
    out, data, res = consolidate(tmp_path, paths, "--city", "沧州")
    assert res.exit_code == 0 and data["issues"] == []
    expected = {p.name: p.total for b in books for p in b.table1}
    assert {e["name"]: e["total"] for e in data["table1"]["enterprises"]} == pytest.approx(expected)
    assert data["table1"]["total"] == pytest.approx(round(sum(expected.values()), 2))
    expected2 = {p.name: p.total for b in books for p in b.table2}
    assert {e["name"]: e["total"] for e in data["table2"]["enterprises"]} == pytest.approx(expected2)
    counties = [e["county"] for e in data["table1"]["enterprises"]]
    rank = default_clusters().county_rank
    assert counties == sorted(counties, key=rank.get)


def test_province_summary_from_city_summaries(tmp_path):
    cities = []
    for city, seed in (("沧州", 1), ("定州", 2)):
        books = generate_city(city, seed=seed, counties=2)
        paths = [write_county_workbook(b, tmp_path / city / b.filename) for b in books]
        report = run(paths, city=city)
        cities.append((report, write_summary(report, tmp_path / f"{city}_SUMMARY.xlsx")))
    # One city summary typed by hand in the official layout: one sheet, both parts, 序号, 合计.
    hand = write(tmp_path / "辛集_手工附表.xlsx", [Sheet("附表", [
        ["附表"], ["2026年度河北省特色产业集群“领跑者”企业培育推荐项目汇总表"], ["一、申报特色产业集群创新发展项目"],
        ["单位：万元"], ["序号"] + T1,
        [1, "辛集甲皮革有限公司", "辛集市", "辛集皮革服装产业集群", LEADER, "研发1：光谱仪", "研发", "实验室", 40, 80],
        [None, None, None, None, None, "试验1：试验箱", "试验", "实验室", 20, 20],
        ["合计", None, None, None, None, None, None, None, None, 100],
        ["二、申报特色产业集群企业股权投资奖励项目"], ["单位：万元"], ["序号"] + T2,
        [1, "辛集乙化工有限公司", "辛集", "辛集市", "辛集生物化工产业集群", "1.某基金", "2024年3月1日", 800, "10%", None, None],
        ["合计", None, None, None, None, None, None, 800],
    ], merges=["A6:A7", "B6:B7", "C6:C7", "D6:D7", "E6:E7"])])
    province = tmp_path / "province"
    province.mkdir()
    out, data, res = consolidate(province, [s for _, s in cities] + [hand])
    assert data["issues"] == []
    expected_t1 = sum(r.table1["total"] for r, _ in cities) + 100
    assert data["table1"]["total"] == pytest.approx(expected_t1)
    assert data["table2"]["total"] == pytest.approx(sum(r.table2["total"] for r, _ in cities) + 800)
    assert data["summary"]["innovation_projects"] == sum(r.summary["innovation_projects"] for r, _ in cities) + 1
    ws = openpyxl.load_workbook(out)["汇总表（一）"]
    assert [c.value for c in ws[4]][:4] == ["序号", "企业名称", "所在地市", "所在县（市）"]
    cities_col = [ws.cell(r, 3).value for r in range(5, ws.max_row) if ws.cell(r, 3).value]
    assert set(cities_col) == {"沧州", "定州", "辛集"}
    assert all(i["rows_read"] == i["rows_accepted"] for i in data["inputs"])
