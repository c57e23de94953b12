"""The 领跑者 recognition programme: county lists (004 附件2 layout) -> the city's 推荐汇总表,
with the recognition conditions (002 第七条) checked; one more declared table."""
from __future__ import annotations

import json
from pathlib import Path

import docx
import openpyxl
import pytest
from builders import HJ, HJ_CLUSTER, LEADER, T1, Sheet, t1_row, write
from click.testing import CliRunner

from xl_addin.cli import main

ROOT = Path(__file__).resolve().parents[1]
HEADER = ["序号", "企业名称", "统一社会信用代码", "所属行业", "申报类型", "申报方向", "具体专项条件", "联系人", "联系电话"]
CONDITIONS = ["所属集群", "营业收入（万元）", "研发费用（万元）", "研发投入占比%", "产业链上下游合作企业数"]
GOOD = "91110000600037341L"            # python-stdnum's own example of a valid code
TITLE = "XXX 市推荐“领跑者”企业培育及认定申报汇总表"
NOTE = ("注：申报类型分为入库培育和“领跑者”企业认定两种。申报方向分为资本助力发展、科技创新发展、专精特新发展、"
        "绿色低碳发展、质量品牌发展、智能制造发展6个方向，选择其中一个进行申报即可。")


def _good_code(n: int) -> str:
    """A valid code that differs from GOOD (stdnum computes the check digit)."""
    from stdnum.cn import uscc
    body = f"9113010{n:02d}MA0CL8X0"[:17]
    return body + uscc.calc_check_digit(body)


def seed_list(path: Path, rows: list[list], merges=()) -> Path:
    """004 附件2 as printed: title, header, the numbered rows 1 2 3 …, the 注 line."""
    return write(path, [Sheet("附件2", [[TITLE], HEADER + CONDITIONS, *rows, ["…"], [NOTE]], merges=list(merges))])


def test_the_seed_list_reads_as_zero_rows_while_empty(tmp_path):
    path = seed_list(tmp_path / "空表.xlsx", [[1], [2], [3]], merges=["A1:N1", "A7:N7"])
    from xl_addin.consolidate.pipeline import run
    report = run([path])
    assert report.issues == []
    assert (report.inputs[0].status, report.inputs[0].rows_read) == ("ok", 0)


@pytest.fixture
def county_lists(tmp_path):
    rq = seed_list(tmp_path / "in" / "任丘市.xlsx", [
        [1, "任丘甲机械有限公司", GOOD, "装备制造", "“领跑者”企业认定", "科技创新发展", "2023年获评省级企业技术中心",
         "张三", "0311-87903827", "任丘交通设备产业集群", 10000, 400, None, 5],                        # 3 same code as 河间庚
        [2, "任丘乙食品有限公司", _good_code(2), "食品业", "入库培育", "绿色低碳", None, "李四", "１３９ １２３４ ５６７８"],  # 4 ok
        [3, "任丘丙公司", "91110000600037342L", "装备制造", "入库", "科技创新发展", None, "王五", "13912345678"],  # 5 uscc
        [4, "任丘丁公司", _good_code(4), "纺织", "认定", "科技创新发展", None, "赵六", "12345"],     # 6 industry, phone, condition
        [5, "任丘戊公司", _good_code(5), "钢铁", "龙头企业", "专精特新发展", "x", "钱七", "13912345678"],  # 7 type, direction
        [6, "任丘己钢铁有限公司", _good_code(6), "钢铁", "认定", "“共享智造”发展", "共享工厂", "孙八", "13812345678",
         "任丘交通设备产业集群", 1000, 20, None, 2],                                                     # 8 mismatch, warnings
    ], merges=["A1:N1"])
    hj = seed_list(tmp_path / "in" / "河间市.xlsx", [
        [1, "河间庚公司", GOOD, "装备制造", "入库培育", "质量品牌发展", None, "周九", "0317-3456789"],        # 3 same code as 任丘甲
        [2, "河间辛汽配有限公司", _good_code(8), "装备制造", "认定", "资本助力发展", "深交所创业板2022年上市", "吴十",
         "13700001111", "河间汽车配件产业集群", 20000, 800, "4", 3],                                      # 4 ok
    ])
    t1 = write(tmp_path / "in" / "河间表1.xlsx", [Sheet("表1", [T1, t1_row("河间甲公司", HJ, HJ_CLUSTER, LEADER)])])
    return rq, hj, t1


def test_every_code_at_its_cell_and_the_accepted_list(tmp_path, county_lists):
    rq, hj, t1 = county_lists
    out, js = tmp_path / "SUMMARY.xlsx", tmp_path / "REPORT.json"
    res = CliRunner().invoke(main, ["consolidate", str(tmp_path / "in"), "--out", str(out), "--json", str(js),
                                    "--city", "沧州"])
    assert res.exit_code == 1, res.output
    data = json.loads(js.read_text("utf-8"))
    got = [(Path(i["path"]).name, i["code"], i["cell"]) for i in data["issues"]]
    assert got == [                     # the header is row 2, under the title
        ("任丘市.xlsx", "duplicate_enterprise", "C3"),           # its credit code is 河间庚公司's too
        ("任丘市.xlsx", "uscc_invalid", "C5"),
        ("任丘市.xlsx", "industry_unknown", "D6"), ("任丘市.xlsx", "required_missing", "G6"),
        ("任丘市.xlsx", "phone_invalid", "I6"),
        ("任丘市.xlsx", "application_type_invalid", "E7"), ("任丘市.xlsx", "direction_invalid", "F7"),
        ("任丘市.xlsx", "industry_cluster_mismatch", "D8"), ("任丘市.xlsx", "rd_ratio_below", "M8"),
        ("任丘市.xlsx", "partners_below", "N8"),
        ("河间市.xlsx", "duplicate_enterprise", "C3"),
    ]
    rec = data["recognition"]
    assert [e["name"] for e in rec["enterprises"]] == ["任丘乙食品有限公司", "河间辛汽配有限公司"]
    first = rec["enterprises"][0]
    assert (first["uscc"], first["industry"], first["type"], first["direction"], first["phone"]) == (
        _good_code(2), "食品", "入库培育", "绿色低碳发展", "13912345678")
    assert rec["counts"] == {"入库培育": 1, "认定": 1}
    assert "not_in_cultivation_pool" in data["checks_skipped"]          # no ledger given
    assert [e["name"] for e in data["table1"]["enterprises"]] == ["河间甲公司"]    # one folder, two programmes
    wb = openpyxl.load_workbook(out)
    ws = wb["推荐汇总表"]
    assert ws["A1"].value == "沧州市推荐“领跑者”企业培育及认定申报汇总表"
    assert [c.value for c in ws[4]] == HEADER
    assert [c.value for c in ws[5]][:5] == [1, "任丘乙食品有限公司", _good_code(2), "食品", "入库培育"]
    assert ws["E6"].value == "“领跑者”企业认定" and ws["A7"].value is None
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9 and ws.print_title_rows == "$4:$4"
    cond = [[c.value for c in r] for r in wb["条件核对"].iter_rows(min_row=2)]
    assert cond[0][-4:] == ["研发投入占比", "产业链上下游合作企业", "所属行业与集群", "已入“领跑者”企业培育库"]
    assert cond[2][1] == "河间辛汽配有限公司" and cond[2][-4:] == ["符合", "符合", "符合", "未核对（未导入名单）"]


def test_the_word_list_reads_back(tmp_path, county_lists):
    rq, hj, _ = county_lists
    out = tmp_path / "SUMMARY.xlsx"
    CliRunner().invoke(main, ["consolidate", str(rq), str(hj), "--out", str(out), "--city", "沧州"])
    doc_path = tmp_path / "汇总表.docx"
    res = CliRunner().invoke(main, ["report", str(out), "--city", "沧州", "--out", str(doc_path)])
    assert res.exit_code == 0, res.output
    doc = docx.Document(str(doc_path))
    assert doc.paragraphs[0].text == "沧州市推荐“领跑者”企业培育及认定申报汇总表"
    rows = [[c.text for c in r.cells] for r in doc.tables[0].rows]
    assert rows[0] == HEADER and len(rows) == 3
    assert rows[2][:5] == ["2", "河间辛汽配有限公司", _good_code(8), "装备制造", "“领跑者”企业认定"]
    assert doc.sections[0].orientation == 1          # landscape


def test_the_recognition_template_has_its_dropdowns():
    wb = openpyxl.load_workbook(ROOT / "workbooks" / "recognition_template.xlsx")
    ws = wb["推荐汇总表"]
    assert [c.value for c in ws[3]] == HEADER + CONDITIONS
    sources = {str(v.sqref).split(":")[0]: v.formula1 for v in ws.data_validations.dataValidation}
    lists = wb["集群名单"]
    def values(ref):
        col = ref.split("!$")[1][0]
        last = int(ref.rsplit("$", 1)[1])
        return [lists[f"{col}{r}"].value for r in range(2, last + 1)]
    assert values(sources["E4"]) == ["入库培育", "“领跑者”企业认定"]
    assert values(sources["F4"]) == ["科技创新发展", "“共享智造”发展", "数字化智能化发展", "绿色低碳发展", "质量品牌发展",
                                      "资本助力发展"]
    assert "装备制造" in values(sources["D4"]) and "纺织服装" in values(sources["D4"])
    guide = " ".join(str(c.value) for row in wb["说明"].iter_rows() for c in row if c.value)
    assert "资本助力发展" in guide and "佐证" in guide


def test_recognition_needs_the_cultivation_pool_when_one_is_loaded(tmp_path, county_lists):
    rq, hj, _ = county_lists
    pool = write(tmp_path / "培育库名单.xlsx", [Sheet("名单", [["序号", "企业名称", "统一社会信用代码"],
                                                        [1, "别的名字", _good_code(8)]])])
    db = tmp_path / "台账.sqlite"
    assert CliRunner().invoke(main, ["ledger", "import-pool", str(db), str(pool), "--year", "2024"]).exit_code == 0
    out = tmp_path / "R.json"
    CliRunner().invoke(main, ["validate", str(hj), "--ledger", str(db), "--json", str(out)])
    data = json.loads(out.read_text("utf-8"))
    assert "not_in_cultivation_pool" not in data["checks_skipped"]
    assert [(i["code"], i["cell"]) for i in data["issues"]] == []          # 河间辛: in the pool by its code
    CliRunner().invoke(main, ["validate", str(rq), "--ledger", str(db), "--json", str(out)])
    data = json.loads(out.read_text("utf-8"))
    assert ("not_in_cultivation_pool", "B3") in [(i["code"], i["cell"]) for i in data["issues"]]   # 任丘甲 (认定)
