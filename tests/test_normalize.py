import datetime as dt

import pytest

from xl_addin.normalize import values as nz
from xl_addin.locate.headers import is_placeholder_text
from xl_addin.declare.spec import load_specs
from xl_addin.declare.reference import default_clusters


@pytest.mark.parametrize("raw,expected", [
    (12, 12.0), (12.5, 12.5), ("12", 12.0), ("１２．５", 12.5), ("1,234.5", 1234.5), ("1，234.5", 1234.5),
    ("12万元", 12.0), ("12 万", 12.0), ("120000元", 12.0), (" 30 ", 30.0), ("¥50", 50.0),
    ("abc", None), ("", None), (None, None), (True, None), ("12万元整", None), (float("nan"), None),
])
def test_amount(raw, expected):
    assert nz.amount(raw) == expected


@pytest.mark.parametrize("raw,fmt,expected", [
    (5, None, 5.0), ("5%", None, 5.0), ("5 %", None, 5.0), ("５％", None, 5.0), (0.05, "0%", 5.0),
    (0.125, "0.00%", 12.5), ("12.5", None, 12.5), ("五", None, None), (None, None, None),
])
def test_percent(raw, fmt, expected):
    assert nz.percent(raw, fmt) == pytest.approx(expected) if expected is not None else nz.percent(raw, fmt) is None


@pytest.mark.parametrize("raw,expected", [
    (dt.datetime(2023, 5, 8, 0, 0), dt.date(2023, 5, 8)), (dt.date(2023, 5, 8), dt.date(2023, 5, 8)),
    (45054, dt.date(2023, 5, 8)), (45054.0, dt.date(2023, 5, 8)), ("45054", None),
    ("2023年5月8日", dt.date(2023, 5, 8)), ("2023.5.8", dt.date(2023, 5, 8)), ("2023/05/08", dt.date(2023, 5, 8)),
    ("2023-5-8", dt.date(2023, 5, 8)), ("２０２３年５月８日", dt.date(2023, 5, 8)), ("20230508", dt.date(2023, 5, 8)),
    (20230508, dt.date(2023, 5, 8)), ("2023 年 5 月 8 日", dt.date(2023, 5, 8)), ("2023-05-08 00:00:00", dt.date(2023, 5, 8)),
    ("2023年2月30日", None), ("（年月日）", None), ("2023年5月", None), (None, None), (12, None),
])
def test_date(raw, expected):
    assert nz.date(raw) == expected


@pytest.mark.parametrize("raw,expected", [
    ("“领跑者”企业", "领跑者"), ('"领跑者"企业', "领跑者"), ("领跑者企业", "领跑者"), ("领跑者", "领跑者"),
    ("「领跑者」企业", "领跑者"), ("营收前三企业", "营收前三"), ("营收前3企业", "营收前三"),
    ("营业收入前三", "营收前三"), ("营业收入排名前3", "营收前三"), ("头部企业", "营收前三"), ("集群头部企业", "营收前三"),
    ("“领跑者”企业/营收前三企业", None), ("龙头企业", None), ("", None), (None, None),
])
def test_enterprise_category(raw, expected):
    f = load_specs()["table1"].field("category")
    assert nz.choice(raw, f.options, f.match) == expected


@pytest.mark.parametrize("raw,expected", [
    ("研发1：光谱仪", "研发"), ("研发2:光谱仪", "研发"), ("试验1：试验箱", "试验"), ("检验检测1：测量机", "检验检测"),
    ("检测1：探伤机", "检验检测"), ("检验2：光谱仪", "检验检测"), ("先进生产设备1：加工中心", "先进生产设备"),
    ("生产设备1：机床", "先进生产设备"), (" 研发１：仪器", "研发"), ("光谱仪", None), ("", None),
])
def test_equipment_category(raw, expected):
    f = load_specs()["table1"].field("equipment")
    assert nz.choice(raw, f.options, f.match) == expected


@pytest.mark.parametrize("raw,expected", [
    ("任丘市", "任丘市"), ("任丘", "任丘市"), ("献县", "献县"), ("沧州市献县", "献县"), ("河北省沧州市任丘市", "任丘市"),
    ("赵县", "赵县"), ("赵", None), ("鹿泉", "鹿泉区"), ("鹿泉区", "鹿泉区"), (" 任 丘 市 ", "任丘市"),
    ("沧州经开区", "沧州经开区"), ("井陉矿区", "井陉矿区"), ("井陉", "井陉县"), ("不存在县", None),
])
def test_county_matching(raw, expected):
    assert default_clusters().match_county(raw) == expected


def test_cluster_matching_accepts_short_forms_and_checks_the_list():
    cl = default_clusters()
    assert cl.match_cluster("任丘交通设备产业集群").county == "任丘市"
    assert cl.match_cluster("任丘交通设备").name == "任丘交通设备产业集群"
    assert cl.match_cluster("元氏装备制造(新能源汽车零部件与机械设备)产业集群").no == 6
    assert cl.match_cluster("交通设备产业集群", county="任丘市").name == "任丘交通设备产业集群"
    assert cl.match_cluster("交通设备产业集群") is None
    assert cl.match_cluster("不存在的集群") is None
    assert len(cl.clusters) == 280 and cl.clusters[-1].name == "辛集玉米深加工产业集群"


def test_city_matching():
    cl = default_clusters()
    assert [cl.match_city(x) for x in ("沧州", "沧州市", "河北省沧州市", "定州市", "北京", "")] == \
        ["沧州", "沧州", "沧州", "定州", None, None]


def test_placeholder_text():
    assert all(is_placeholder_text(x) for x in ("研发1：XX仪器", "1.**", "…", "...", "xx公司", "（年月日）"))
    assert not any(is_placeholder_text(x) for x in ("研发1：光谱仪", "", None, "1.冀财基金", "2023年5月8日"))


def _exact_total(values):
    from decimal import ROUND_HALF_UP, Decimal
    return sum((Decimal(repr(float(v))) for v in values), Decimal(0)).quantize(Decimal("0.01"), ROUND_HALF_UP)


@pytest.mark.parametrize("values", [
    [0.1, 0.2], [0.29, 0.57, 1.15], [12.345, 0.005], [0.005, 0.005], [1e13 + 0.01, 1.0], [-3.1, 2.05],
    [float("nan"), 1.0], [1e-9], [], [99999999.99, 0.01],
])
def test_total_is_the_exact_sum_of_the_amounts_as_typed(values):
    from xl_addin.consolidate import subsidy
    result = subsidy.total(values)
    if values and values[0] != values[0]:
        assert result.is_nan()
    else:
        assert result == _exact_total(values) and str(result) == str(_exact_total(values))


def test_total_fast_path_matches_exact_decimals_on_random_amounts():
    import random

    from xl_addin.consolidate import subsidy
    rng = random.Random(7)
    for _ in range(3000):
        values = [round(rng.uniform(-1e6, 1e6), rng.choice([0, 1, 2, 2, 3, 6])) for _ in range(rng.randint(1, 12))]
        assert str(subsidy.total(values)) == str(_exact_total(values)), values
