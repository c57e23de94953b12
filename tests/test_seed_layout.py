"""The official layout from the seed itself (000 附件1 情况表): both tables on one sheet under
the document title, their captions and 单位 lines, the template rows (研发1：XX仪器, …, 1.**,
（年月日）) and the 备注 line after each table; merged as officials merge them, and with the
amount columns under a two-row grouping header."""
from __future__ import annotations

import datetime as dt

import pytest
from seed_layout import seed_tables, write_seed_layout

from xl_addin.consolidate.pipeline import run

LAYOUTS = [dict(merged=False, two_row_header=False), dict(merged=True, two_row_header=False),
           dict(merged=False, two_row_header=True), dict(merged=True, two_row_header=True)]
IDS = ["plain", "merged", "two-row-header", "merged+two-row-header"]


def test_the_seed_prints_both_tables_with_template_rows():
    t1, t2 = seed_tables()
    assert t1.header[4] == "购置设备名称种类金额" and len(t1.header) == 9 and len(t1.rows) == 12
    assert t2.header[2] == "所在县\n(市、区）" and len(t2.header) == 10 and len(t2.rows) == 3
    assert t1.note == t2.note == "备注：每家企业只填写申报项目对应的表格"


@pytest.mark.parametrize("layout", LAYOUTS, ids=IDS)
def test_the_empty_seed_layout_is_zero_rows_and_zero_issues(tmp_path, layout):
    path = tmp_path / "情况表.xlsx"
    write_seed_layout(path, **layout)
    report = run([path])
    assert report.issues == []
    inp = report.inputs[0]
    assert (inp.status, inp.rows_read, inp.rows_accepted, inp.rows_rejected) == ("ok", 0, 0, 0)


FILLED = {
    0: {0: {0: "任丘甲机械有限公司", 1: "任丘市", 2: "任丘交通设备产业集群", 3: "“领跑者”企业",
            4: "研发1：光谱仪", 5: "材料研究", 6: "一号车间", 7: 30, 8: 60},
        1: {4: "研发2：色谱仪", 5: "配方研发", 6: "研发中心", 7: 12.5, 8: 25}},
    1: {0: {0: "河间丙汽配有限公司", 1: "沧州", 2: "河间市", 3: "河间汽车配件产业集群", 4: "1.冀财基金",
            5: dt.datetime(2023, 5, 8), 6: 1000, 7: 5, 8: None}},
}


@pytest.mark.parametrize("layout", LAYOUTS, ids=IDS)
def test_the_filled_seed_layout_gives_exactly_the_filled_rows(tmp_path, layout):
    path = tmp_path / "情况表.xlsx"
    where = write_seed_layout(path, filled=FILLED, **layout)
    report = run([path])
    assert report.issues == []
    inp = report.inputs[0]
    assert (inp.rows_read, inp.rows_accepted, inp.rows_rejected) == (3, 3, 0)
    (ent,) = report.enterprises["table1"]
    assert (ent.name, ent.county, ent.category) == ("任丘甲机械有限公司", "任丘市", "领跑者")
    assert [r["总价"] for r in ent.rows] == [60.0, 25.0] and report.table1["total"] == 85.0
    (eq,) = report.enterprises["table2"]
    assert (eq.name, eq.city, eq.county, eq.rows[0]["投资金额"]) == ("河间丙汽配有限公司", "沧州", "河间市", 1000.0)
    assert where[0]["rows"][0] > where[0]["header"]


@pytest.mark.parametrize("layout", LAYOUTS, ids=IDS)
def test_a_planted_mistake_in_the_seed_layout_is_at_its_cell(tmp_path, layout):
    filled = {0: {**FILLED[0], 1: {**FILLED[0][1], 8: "二十五"}}, 1: {0: {**FILLED[1][0], 7: 150}}}
    path = tmp_path / "情况表.xlsx"
    where = write_seed_layout(path, filled=filled, **layout)
    report = run([path])
    r1, r2 = where[0]["rows"][1], where[1]["rows"][0]
    assert [(i.code, i.cell, i.column) for i in report.issues] == [
        ("amount_invalid", f"I{r1}", "总价"), ("share_out_of_range", f"H{r2}", "占股比例%")]
    inp = report.inputs[0]
    assert (inp.rows_read, inp.rows_accepted, inp.rows_rejected) == (3, 1, 2)
