"""Property-based tests: messy generated workbooks never crash the run and lose nothing.

Profiles: 'ci' (default, fast) and 'thorough' (10,000 cases):
    XL_ADDIN_HYPOTHESIS=thorough python -m pytest tests/test_properties.py
"""
import os

import openpyxl
from builders import HJ, HJ_CLUSTER, RQ, RQ_CLUSTER, Sheet, write
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xl_addin.consolidate.pipeline import run

settings.register_profile("ci", max_examples=40, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.register_profile("thorough", max_examples=10_000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.load_profile(os.environ.get("XL_ADDIN_HYPOTHESIS", "ci"))

HEADERS = [
    ["企业名称", "所在县（市）", "所属集群", "申报单位类别", "购置设备名称种类金额", "设备用途", "安装位置", "单价", "总价"],
    ["企业 名称", "所在县\n(市)", "所属集群", "申报单位\n类别", "购置设备名称、种类、金额", "设备用途", "安装位置",
     "单价（万元）", "总价(万元)"],
]
PLACES = [(RQ, RQ_CLUSTER), ("任丘", "任丘交通设备"), (HJ, HJ_CLUSTER), (RQ, HJ_CLUSTER), ("某县", "无名产业集群")]
CATEGORIES = ["“领跑者”企业", "领跑者", "营收前3企业", "头部企业", "龙头企业", None]
PREFIXES = ["研发", "试验", "检验检测", "检测", "先进生产设备", "采购"]
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=12)
GARBAGE = st.one_of(TEXT, st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False))


def amount_forms(value):
    """Ways officials write an amount, all meaning `value` (万元, two decimals)."""
    text = f"{value:.2f}"
    return st.sampled_from([value, text, f"{value:,.2f}", f"{text}万元", f"{round(value * 10000)}元",
                            text.translate(str.maketrans("0123456789.", "０１２３４５６７８９．"))])


@st.composite
def messy_table1(draw):
    rows, truth, merges = [], {}, []
    for _ in range(draw(st.integers(0, 3))):                       # titles and captions
        rows.append([draw(st.sampled_from(["汇总表", "单位：万元", "表1.申报项目", None]))])
    rows.append(draw(st.sampled_from(HEADERS)))
    header_row = len(rows)
    data_rows = 0
    for e in range(draw(st.integers(0, 5))):
        county, cluster = draw(st.sampled_from(PLACES))
        category = draw(st.sampled_from(CATEGORIES))
        merge = draw(st.booleans())
        first = len(rows) + 1
        for k in range(draw(st.integers(1, 4))):
            rid = len(truth)
            unit = draw(st.integers(1, 40000)) / 100
            qty = draw(st.integers(1, 3))
            unit_cell = draw(st.one_of(amount_forms(unit), st.just("约五十"), st.none()))
            total_cell = draw(st.one_of(amount_forms(round(unit * qty, 2)), st.just("abc")))
            prefix = draw(st.sampled_from(PREFIXES))
            head = [f"企业{e}", county, cluster, category] if k == 0 or not merge and draw(st.booleans()) else [None] * 4
            if k and merge:
                head = [None] * 4
            purpose = draw(st.one_of(st.just("研发用途"), st.just("=1+1"), TEXT))
            rows.append(head + [f"{prefix}{k + 1}：仪器#{rid}", purpose, "车间", unit_cell, total_cell])
            truth[rid] = (unit, round(unit * qty, 2), unit_cell is not None)
            data_rows += 1
            if draw(st.integers(0, 5)) == 0:
                rows.append([None] * 4 + [draw(st.sampled_from(["研发9：XX仪器", "…", "..."])), None, None, None, None])
            if draw(st.integers(0, 6)) == 0:
                rows.append([])
        if merge and len(rows) + 1 - first > 1:
            merges += [f"{c}{first}:{c}{len(rows)}" for c in "ABCD"]
    if draw(st.booleans()):
        rows.append(["合计"] + [None] * 7 + [draw(GARBAGE)])
    for r in draw(st.lists(st.integers(0, len(rows) - 1), max_size=3)):   # garbage right of the table
        rows[r] = list(rows[r]) + [None] * (11 - len(rows[r])) + [draw(GARBAGE)]
    return Sheet(draw(st.sampled_from(["表1", "Sheet1", "任丘上报"])), rows, merges), truth, data_rows, header_row


@given(messy_table1())
def test_messy_workbooks_lose_nothing(tmp_path_factory, case):
    sheet, truth, data_rows, header_row = case
    path = write(tmp_path_factory.mktemp("prop") / "messy.xlsx", [sheet])
    report = run([path])                                                   # never raises
    (inp,) = report.inputs
    assert inp.status == "ok"
    assert inp.rows_read == data_rows
    assert inp.rows_read == inp.rows_accepted + inp.rows_rejected
    accepted = 0
    for ent in report.enterprises["table1"]:
        for row in ent.rows:
            rid = int(row["购置设备名称种类金额"].rsplit("#", 1)[1])
            unit, total, _ = truth[rid]
            assert abs(row["总价"] - total) < 1e-6 and abs(row["单价"] - unit) < 1e-6
            accepted += 1
    assert accepted == inp.rows_accepted
    ws = openpyxl.load_workbook(path)[sheet.name]
    for issue in report.issues:
        assert issue.sheet == sheet.name and header_row < issue.row <= ws.max_row
        assert issue.cell == f"{issue.cell.rstrip('0123456789')}{issue.row}"
        assert ws[issue.cell].value is not None or issue.code == "required_missing"
