"""Real workbooks with the layouts officials send: every variation of the reader."""
import datetime as dt

import pytest
from builders import HJ_CLUSTER, LEADER, RQ_CLUSTER, Sheet, codes, make_xlsm, write

from xl_addin.consolidate.pipeline import run

T1_MESSY_HEADER = ["企业 名称", "所在县\n（市）", "所属集群", "申报单位\n类别", "购置设备名称、种类、金额", "设备用途",
                   "安装 位置", "单价(万元)", "总价（万元）"]
T2_MESSY_HEADER = ["企业名称", "所在地市", "所在县\n(市、区）", "所属集群", "股权投资机构名称", "签订股权协议时间\n（年月日）",
                   "投资金额", "占股比例%", "退出时间", "退出方式"]


def messy_sheets():
    t1 = Sheet("任丘市上报材料", [
        ["2026年度任丘市申报重点特色产业集群创新发展项目汇总表"],
        ["单位：万元"],
        T1_MESSY_HEADER,
        ["任丘甲机械有限公司", "任丘", "任丘交通设备产业集群", LEADER, "研发1：光谱仪", "研发", "一车间", "30", "60"],
        [None, None, None, None, "试验1：试验箱", "试验", "二车间", "12万元", "24万元"],
        [None, None, None, None, "研发2：XX仪器", None, None, None, None],           # template placeholder
        [None, None, None, None, "检验检测1：三坐标测量机", "检测", "质检中心", 20, 20],  # hidden
        [None] * 9,                                                                   # blank row inside
        ["任丘乙电子有限公司", "任丘市", "任丘交通设备", "营收前3企业", "检测1：探伤机", "检测", "实验室", "５０", "１００"],
        [None, None, None, None, "研发1：热分析仪", "研发", "研发中心", 25, "1,000,000元"],
        [None, None, None, None, "…", None, None, None, None],                       # ellipsis placeholder
        ["合计", None, None, None, None, None, None, None, 329],
        ["备注：每家企业只填写申报项目对应的表格"],
    ], merges=["A4:A7", "B4:B7", "C4:C7", "D4:D7"], hidden=[7])
    t2 = Sheet("股权", [
        ["表2.申报特色产业集群企业股权投资奖励项目"],
        ["单位：万元"],
        T2_MESSY_HEADER,
        ["河间丙汽配有限公司", "沧州市", "河间", HJ_CLUSTER, "1.冀财基金", "2023年5月8日", 1000, 0.05, None, None],
        [None, None, None, None, "2.某资本", 45054, "500", "5 %", "2024.1.2", "股权转让"],
        [None, None, None, None, "3.**", "（年月日）", None, None, "（年月日）", None],
        ["合计", None, None, None, None, None, 1500],
    ], merges=["A4:A6"], formats={"H4": "0%"})
    return [t1, t2]


@pytest.mark.parametrize("suffix", [".xlsx", ".xlsm", ".xls"])
def test_messy_layout_is_read_exactly(tmp_path, suffix):
    path = tmp_path / f"county{suffix}"
    make_xlsm(path, messy_sheets()) if suffix == ".xlsm" else write(path, messy_sheets())
    report = run([path])
    assert codes(report) == []
    inp = report.inputs[0]
    # 5 Table 1 rows (placeholders, blank, 合计 and note rows are not data) + 2 Table 2 rows.
    assert (inp.status, inp.rows_read, inp.rows_accepted, inp.rows_rejected) == ("ok", 7, 7, 0)
    a, b = report.enterprises["table1"]
    assert (a.name, a.county, a.cluster, a.category) == ("任丘甲机械有限公司", "任丘市", RQ_CLUSTER, "领跑者")
    assert [r["单价"] for r in a.rows] == [30.0, 12.0, 20.0]
    assert [r["总价"] for r in a.rows] == [60.0, 24.0, 20.0]
    assert [r["购置设备名称种类金额"] for r in a.rows] == ["研发1：光谱仪", "试验1：试验箱", "检验检测1：三坐标测量机"]
    assert (b.name, b.county, b.cluster, b.category) == ("任丘乙电子有限公司", "任丘市", RQ_CLUSTER, "营收前三")
    assert [r["总价"] for r in b.rows] == [100.0, 100.0]  # "1,000,000元" is 100 万元
    assert [r["单价"] for r in b.rows] == [50.0, 25.0]
    assert report.table1["total"] == 304.0
    (c,) = report.enterprises["table2"]
    assert (c.name, c.city, c.county, c.cluster) == ("河间丙汽配有限公司", "沧州", "河间市", HJ_CLUSTER)
    assert [r["占股比例%"] for r in c.rows] == [5.0, 5.0]
    assert [r["签订股权协议时间"] for r in c.rows] == [dt.date(2023, 5, 8)] * 2
    assert [r["退出时间"] for r in c.rows] == [None, dt.date(2024, 1, 2)]
    assert report.table2["total"] == 1500.0


def test_sheet_holding_both_tables_one_after_the_other(tmp_path):
    t1, t2 = messy_sheets()
    both = Sheet("Sheet1", t1.rows + [[]] + t2.rows)
    report = run([write(tmp_path / "stacked.xlsx", [both])])
    assert report.inputs[0].rows_read == 7
    assert len(report.enterprises["table1"]) == 2 and len(report.enterprises["table2"]) == 1


def test_issue_positions_point_at_the_source_cell_of_inherited_values(tmp_path):
    t1 = Sheet("表1", [
        ["企业名称", "所在县（市）", "所属集群", "申报单位类别", "购置设备名称种类金额", "设备用途", "安装位置", "单价", "总价"],
        ["甲公司", "任丘市", "没有这个集群", LEADER, "研发1：光谱仪", "研发", "一车间", 30, 60],
        [None, None, None, None, "研发2：热分析仪", "研发", "一车间", 30, 60],
        [None, None, None, None, "研发3：色谱仪", "研发", "一车间", 30, 60],
    ], merges=["C2:C3"])
    report = run([write(tmp_path / "a.xlsx", [t1])])
    # One issue at the cell that holds the bad value; all three rows of the block are excluded.
    assert codes(report) == [("cluster_unknown", "表1", 2, "所属集群")]
    assert report.issues[0].cell == "C2"
    assert (report.inputs[0].rows_read, report.inputs[0].rows_rejected) == (3, 3)


def test_placeholder_rows_with_amounts_are_data(tmp_path):
    t1 = Sheet("表1", [
        ["企业名称", "所在县（市）", "所属集群", "申报单位类别", "购置设备名称种类金额", "设备用途", "安装位置", "单价", "总价"],
        ["甲公司", "任丘市", RQ_CLUSTER, LEADER, "研发1：XX仪器", "研发", "一车间", 30, 60],
    ])
    report = run([write(tmp_path / "a.xlsx", [t1])])
    assert report.inputs[0].rows_read == 1 and report.table1["total"] == 60.0


def test_only_the_untouched_template_counts_nothing(tmp_path):
    t1 = Sheet("表1", [
        ["企业名称", "所在县（市）", "所属集群", "申报单位类别", "购置设备名称种类金额", "设备用途", "安装位置", "单价", "总价"],
        [None, None, None, "“领跑者”企业/营收前三企业", "研发1：XX仪器", None, "**车间/**实验室的**设备上", None, None],
        [None, None, None, None, "研发2：XX仪器", None, None, None, None],
        [None, None, None, None, "…", None, None, None, None],
        [None, None, None, None, "先进生产设备1：XX设备（只针对“领跑者”企业申报）", None, None, None, None],
    ])
    report = run([write(tmp_path / "template.xlsx", [t1])])
    assert (report.inputs[0].status, report.inputs[0].rows_read) == ("ok", 0)
    assert report.issues == []


def test_formulas_use_cached_values_and_uncached_formulas_are_reported(tmp_path):
    import xlsxwriter
    from builders import T1

    path = tmp_path / "formulas.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("表1")
    ws.write_row(0, 0, T1)
    ws.write_row(1, 0, ["甲公司", "任丘市", RQ_CLUSTER, LEADER, "研发1：光谱仪", "研发", "一车间", 30])
    ws.write_formula(1, 8, "=H2*2", None, 60)          # saved by Excel/WPS: cached result present
    ws.write_row(2, 4, ["研发2：色谱仪", "研发", "一车间", 30])
    ws.write_formula(2, 8, "=H3*2", None, "")          # no cached result (as generators write)
    wb.close()
    report = run([path])
    assert codes(report) == [("amount_invalid", "表1", 3, "总价"), ("formula_text", "表1", 3, "总价")]
    assert [r["总价"] for r in report.enterprises["table1"][0].rows] == [60.0]


def test_header_words_beyond_the_official_text_and_unlabeled_subtotals(tmp_path):
    header = ["企业名称（盖章）", "所在县（市）", "所属集群", "申报单位类别", "购置设备名称及型号", "设备用途", "安装位置",
              "单价（万元/台）", "总价（万元）"]
    sheet = Sheet("表1", [header,
                          ["甲公司", "任丘市", RQ_CLUSTER, LEADER, "研发1：光谱仪", "研发", "一车间", 30, 60],
                          [None, None, None, None, "试验1：试验箱", "试验", "二车间", 20, 40],
                          [None] * 8 + [100],                                   # unlabeled block subtotal
                          ["乙公司", "任丘市", RQ_CLUSTER, LEADER, "研发1：色谱仪", "研发", "一车间", 80, 80],
                          [None] * 8 + [180]])                                  # unlabeled grand total
    report = run([write(tmp_path / "a.xlsx", [sheet])])
    assert codes(report) == []
    assert report.inputs[0].rows_read == 3 and report.table1["total"] == 180


def test_zip_bomb_and_oversized_files_are_rejected_before_reading(tmp_path):
    import time
    import zipfile

    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (300 * 1024 * 1024))
    start = time.monotonic()
    report = run([bomb])
    assert [(i.status, i.reason) for i in report.inputs] == [("rejected", "file_too_large")]
    assert time.monotonic() - start < 5
