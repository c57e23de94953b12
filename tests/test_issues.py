"""Every row-level, enterprise-level and warning code of the spec, with exact positions."""
import datetime as dt

import pytest
from builders import HJ, HJ_CLUSTER, LEADER, RQ, RQ_CLUSTER, T1, T2, TOP3, Sheet, codes, t1_row, t2_row, write

from xl_addin.consolidate.pipeline import run


def t1_sheet():
    ok = dict(county=RQ, cluster=RQ_CLUSTER, category=LEADER)
    return Sheet("表1", [
        ["表1.申报重点特色产业集群创新发展项目"],
        ["单位：万元"],
        T1,
        t1_row("好企业", **ok),                                                          # 4 accepted
        t1_row("缺总价公司", **ok, total=None),                                           # 5
        t1_row("类别错公司", RQ, RQ_CLUSTER, "龙头企业"),                                  # 6
        t1_row("设备错公司", **ok, equipment="光谱仪"),                                     # 7
        t1_row("前三公司", RQ, RQ_CLUSTER, TOP3, "先进生产设备1：数控机床", unit=80, total=80),  # 8
        t1_row("单价错公司", **ok, unit="三十"),                                            # 9
        t1_row("总价负数公司", **ok, total=-60),                                            # 10
        t1_row("总价小公司", **ok, unit=80, total=60),                                      # 11
        t1_row("集群错公司", RQ, "不存在产业集群", LEADER),                                 # 12
        t1_row("县不符公司", RQ, HJ_CLUSTER, LEADER),                                       # 13
        t1_row("元公司", **ok, unit=300000, total=300000),                                 # 14 warning
        t1_row("排放公司", **ok, equipment="检测1：烟气在线监测系统", unit=60, total=60),     # 15 warning
        t1_row("倍数公司", **ok, unit=30, total=70),                                        # 16 warning
        t1_row("=1+1公司", **ok),                                                          # 17 warning
        t1_row("小公司", **ok, unit=20, total=20),                                          # 18 below threshold
        t1_row(equipment="研发2：色谱仪", unit=10, total=10),                               # 19
        t1_row("混合公司", **ok),                                                          # 20
        t1_row(category=TOP3, equipment="研发2：色谱仪"),                                   # 21 mixed
        t1_row("剔除后不足公司", **ok, unit=40, total=40),                                   # 22
        t1_row(equipment="研发2：色谱仪", unit=40, total="四十"),                           # 23 amount_invalid
    ])


def t2_sheet():
    ok = dict(city="沧州", county=HJ, cluster=HJ_CLUSTER)
    return Sheet("表2", [
        ["表2.申报特色产业集群企业股权投资奖励项目"],
        ["单位：万元"],
        T2,
        t2_row("股权好公司", **ok),                                                          # 4
        t2_row("城市错公司", "北京市", HJ, HJ_CLUSTER),                                      # 5
        t2_row("县市不符公司", "石家庄", HJ, HJ_CLUSTER),                                     # 6
        t2_row("日期错公司", **ok, date="去年五月"),                                          # 7
        t2_row("日期早公司", **ok, date=dt.date(2022, 8, 9)),                                 # 8
        t2_row("退出早公司", **ok, exit_date=dt.date(2023, 1, 1), exit_method="回购"),         # 9
        t2_row("比例大公司", **ok, share=150),                                                # 10
        t2_row("比例零公司", **ok, share="0%"),                                               # 11
        t2_row("金额错公司", **ok, amount="一千万"),                                          # 12
        t2_row("缺机构公司", **ok, investor=None),                                            # 13
        t2_row("集群错公司二", "沧州", HJ, "河间不存在产业集群"),                               # 14
        t2_row("日期刚好公司", **ok, date=dt.date(2022, 8, 10)),                              # 15 accepted
        t2_row("集群县不符公司", "沧州", RQ, HJ_CLUSTER),                                      # 16
    ])


EXPECTED_T1 = [
    ("required_missing", "表1", 5, "总价"),
    ("enterprise_category_invalid", "表1", 6, "申报单位类别"),
    ("equipment_category_invalid", "表1", 7, "购置设备名称种类金额"),
    ("production_equipment_not_leader", "表1", 8, "购置设备名称种类金额"),
    ("amount_invalid", "表1", 9, "单价"),
    ("amount_invalid", "表1", 10, "总价"),
    ("total_less_than_unit_price", "表1", 11, "总价"),
    ("cluster_unknown", "表1", 12, "所属集群"),
    ("cluster_county_mismatch", "表1", 13, "所属集群"),
    ("amount_unit_suspect", "表1", 14, "单价"),
    ("excluded_equipment_suspect", "表1", 15, "购置设备名称种类金额"),
    ("total_not_multiple", "表1", 16, "总价"),
    ("formula_text", "表1", 17, "企业名称"),
    ("below_threshold", "表1", 18, "总价"),
    ("mixed_enterprise_category", "表1", 21, "申报单位类别"),
    ("below_threshold", "表1", 22, "总价"),
    ("amount_invalid", "表1", 23, "总价"),
]
EXPECTED_T2 = [
    ("city_unknown", "表2", 5, "所在地市"),
    ("city_county_mismatch", "表2", 6, "所在地市"),
    ("agreement_date_invalid", "表2", 7, "签订股权协议时间"),
    ("agreement_date_too_early", "表2", 8, "签订股权协议时间"),
    ("exit_before_agreement", "表2", 9, "退出时间"),
    ("share_out_of_range", "表2", 10, "占股比例%"),
    ("share_out_of_range", "表2", 11, "占股比例%"),
    ("amount_invalid", "表2", 12, "投资金额"),
    ("required_missing", "表2", 13, "股权投资机构名称"),
    ("cluster_unknown", "表2", 14, "所属集群"),
    ("cluster_county_mismatch", "表2", 16, "所属集群"),
]


@pytest.fixture(params=[".xlsx", ".xls"])
def bad_report(request, tmp_path):
    path = write(tmp_path / f"county{request.param}", [t1_sheet(), t2_sheet()])
    return path, run([path])


def test_every_code_at_its_exact_row_and_column(bad_report):
    path, report = bad_report
    assert codes(report) == EXPECTED_T1 + EXPECTED_T2


def test_cells_and_messages_name_what_to_fix(bad_report):
    path, report = bad_report
    by_code = {(i.code, i.row): i for i in report.issues}
    assert by_code[("amount_invalid", 9)].cell == "H9"
    assert "“三十”" in by_code[("amount_invalid", 9)].message and "表1!H9" in by_code[("amount_invalid", 9)].message
    assert by_code[("mixed_enterprise_category", 21)].cell == "D21"
    assert "营收前三企业" in by_code[("mixed_enterprise_category", 21)].message
    assert "河间市" in by_code[("cluster_county_mismatch", 13)].message
    assert by_code[("exit_before_agreement", 9)].cell == "I9"
    assert all(i.message and "{" not in i.message for i in report.issues)


def test_exclusion_semantics_and_row_accounting(bad_report):
    path, report = bad_report
    inp = report.inputs[0]
    # Table 1: 21 data rows; accepted: 好企业, 元公司, 排放公司, 倍数公司, =1+1公司 (warnings never exclude).
    # Table 2: 13 data rows; accepted: 股权好公司, 退出早公司? no (error), 日期刚好公司.
    assert inp.rows_read == 20 + 13
    assert inp.rows_accepted == 5 + 2
    assert inp.rows_read == inp.rows_accepted + inp.rows_rejected
    names = [e.name for e in report.enterprises["table1"]]
    assert sorted(names) == sorted(["好企业", "元公司", "排放公司", "倍数公司", "=1+1公司"])
    assert [e.name for e in report.enterprises["table2"]] == ["股权好公司", "日期刚好公司"]
    assert report.table1["total"] == 60 + 300000 + 60 + 70 + 60


def test_duplicate_enterprise_in_two_inputs_is_an_error_on_every_occurrence(tmp_path):
    a = write(tmp_path / "任丘.xlsx", [Sheet("表1", [T1, t1_row("重复公司", RQ, RQ_CLUSTER, LEADER),
                                                   t1_row("独有公司", RQ, RQ_CLUSTER, LEADER)])])
    b = write(tmp_path / "河间.xlsx", [Sheet("Sheet1", [["标题"], T1, t1_row("重复 公司", HJ, HJ_CLUSTER, LEADER)])])
    report = run([a, b])
    assert [(i.path, i.code, i.row, i.column) for i in report.issues] == [
        (str(a), "duplicate_enterprise", 2, "企业名称"), (str(b), "duplicate_enterprise", 3, "企业名称")]
    assert [e.name for e in report.enterprises["table1"]] == ["独有公司"]
    assert [(i.rows_read, i.rows_accepted, i.rows_rejected) for i in report.inputs] == [(2, 1, 1), (1, 0, 1)]


def test_first_row_without_enterprise_name_is_required_missing(tmp_path):
    sheet = Sheet("表1", [T1, t1_row(None, RQ, RQ_CLUSTER, LEADER), t1_row(equipment="研发2：色谱仪"),
                          t1_row("乙公司", RQ, RQ_CLUSTER, LEADER)])
    report = run([write(tmp_path / "a.xlsx", [sheet])])
    # Row 3 has no block above to inherit from: all four enterprise cells are missing.
    assert codes(report) == [("required_missing", "表1", 2, "企业名称")] + [
        ("required_missing", "表1", 3, h) for h in ("企业名称", "所在县（市）", "所属集群", "申报单位类别")]
    assert (report.inputs[0].rows_read, report.inputs[0].rows_accepted) == (3, 1)


def test_same_enterprise_in_table1_and_table2_is_not_a_duplicate(tmp_path):
    a = write(tmp_path / "a.xlsx", [Sheet("表1", [T1, t1_row("两项公司", HJ, HJ_CLUSTER, LEADER)])])
    b = write(tmp_path / "b.xlsx", [Sheet("表2", [T2, t2_row("两项公司", "沧州", HJ, HJ_CLUSTER)])])
    report = run([a, b])
    assert report.issues == []
    assert report.summary == {"units": 1, "projects": 2, "innovation_projects": 1, "equity_projects": 1}


def test_rules_file_changes_behaviour_without_code(tmp_path):
    from xl_addin.declare.rules import load_rules

    packaged = load_rules()
    custom = tmp_path / "rules.toml"
    from importlib import resources
    original = resources.files("xl_addin.data").joinpath("rules.toml").read_text("utf-8")
    custom.write_text(original.replace("min_total = 50", "min_total = 100")
                      .replace('agreement_after = 2022-08-09', 'agreement_after = 2023-06-01'), "utf-8")
    rules = load_rules(custom)
    assert (packaged.min_total, rules.min_total) == (50, 100)
    path = write(tmp_path / "c.xlsx", [Sheet("表1", [T1, t1_row("甲公司", RQ, RQ_CLUSTER, LEADER)]),
                                       Sheet("表2", [T2, t2_row("乙公司", "沧州", HJ, HJ_CLUSTER)])])
    assert codes(run([path])) == []
    assert codes(run([path], rules)) == [("below_threshold", "表1", 2, "总价"),
                                         ("agreement_date_too_early", "表2", 2, "签订股权协议时间")]
