"""Tables declared as data: no table knowledge in code, a new table is one spec file, and
the rules table is checked against the specs on load."""
from __future__ import annotations

import json
import re
from pathlib import Path

import docx
import openpyxl
import pytest
from builders import Sheet, write
from click.testing import CliRunner

from xl_addin.declare.catalogue import CATALOGUE, MissingPlaceholder, render
from xl_addin.cli import main
from xl_addin.declare.rules import RulesError, load_rules
from xl_addin.declare.spec import load_specs

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
SOURCES = sorted((ROOT / "xl_addin").rglob("*.py"))


def test_no_official_header_text_in_code():
    headers = {f.header for s in load_specs([FIXTURES / "contact_list.toml"]) for f in s.fields}
    assert {"购置设备名称种类金额", "股权投资机构名称", "签订股权协议时间", "所在县(市、区）", "所在县（市）"} <= headers
    from xl_addin.forms.spec import load_form    # and the SME cluster form's row labels
    headers |= {i.label for i in load_form().items if len(i.label) >= 4}
    found = [(p.name, h) for p in SOURCES for h in headers if h in p.read_text("utf-8")]
    assert found == []


def test_no_code_branches_on_a_table_kind():
    pattern = re.compile(r"""["'](table1|table2)["']|kind\s*==""")
    found = [(p.name, m.group(0)) for p in SOURCES for m in pattern.finditer(p.read_text("utf-8"))]
    assert found == []


def _contacts(path: Path) -> Path:
    return write(path, [Sheet("名单", [
        ["企业联系人名单"],
        ["序号", "企业名称", "统一社会信用代码", "联系人", "联系电话"],
        [1, "甲公司", "91110000600037341L", "张三", "0311-87903827"],
        [2, "乙公司", "91110000600037342L", "李四", "13912345678"],          # bad check digit
        [3, "丙公司", "91110000600037341L", None, "１３９ １２３４ ５６７８"],   # no contact
        [4, None, None, None, None],
        ["注：联系电话填手机号或固定电话"],
    ])])


def test_a_third_table_is_one_spec_file(tmp_path):
    src = _contacts(tmp_path / "in" / "名单.xlsx")
    out, js = tmp_path / "SUMMARY.xlsx", tmp_path / "REPORT.json"
    res = CliRunner().invoke(main, ["consolidate", str(src), "--out", str(out), "--json", str(js),
                                    "--tables", str(FIXTURES / "contact_list.toml")])
    assert res.exit_code == 1, res.output
    data = json.loads(js.read_text("utf-8"))
    assert [(i["code"], i["cell"], i["column"]) for i in data["issues"]] == [
        ("uscc_invalid", "C4", "统一社会信用代码"), ("required_missing", "D5", "联系人")]
    assert [e["name"] for e in data["contacts"]["enterprises"]] == ["甲公司"]
    assert data["contacts"]["enterprises"][0]["phone"] == "0311-87903827"
    assert data["inputs"][0]["rows_read"] == 3 and data["inputs"][0]["rows_accepted"] == 1
    ws = openpyxl.load_workbook(out)["联系人名单"]
    assert ws["A2"].value == "企业联系人名单"
    assert [c.value for c in ws[4]] == ["序号", "企业名称", "统一社会信用代码", "联系人", "联系电话"]
    assert [c.value for c in ws[5]] == [1, "甲公司", "91110000600037341L", "张三", "0311-87903827"]
    assert ws.page_setup.orientation == "landscape" and ws.print_title_rows == "$4:$4"
    doc_path = tmp_path / "名单.docx"
    res = CliRunner().invoke(main, ["report", str(out), "--city", "沧州", "--out", str(doc_path),
                                    "--tables", str(FIXTURES / "contact_list.toml")])
    assert res.exit_code == 0, res.output
    table = docx.Document(str(doc_path)).tables[0]
    rows = [[c.text for c in r.cells] for r in table.rows]
    assert rows[0] == ["序号", "企业名称", "统一社会信用代码", "联系人", "联系电话"]
    assert rows[1] == ["1", "甲公司", "91110000600037341L", "张三", "0311-87903827"]


def test_rules_naming_an_unknown_header_is_a_clear_error(tmp_path):
    from importlib import resources
    original = resources.files("xl_addin.data").joinpath("rules.toml").read_text("utf-8")
    bad = tmp_path / "rules.toml"
    bad.write_text(original + '\n[required]\ntable1 = ["企业名称", "所在县(市)"]\n', "utf-8")
    with pytest.raises(RulesError, match="“所在县\\(市\\)”不是表1的列；最接近的是“所在县（市）”"):
        load_rules(bad)
    bad.write_text(original + '\n[required]\ntabel1 = ["企业名称"]\n', "utf-8")
    with pytest.raises(RulesError, match="最接近的是“table1”"):
        load_rules(bad)
    bad.write_text(original.replace('only_for = ["领跑者"]', 'only_for = ["领跑者企业"]'), "utf-8")
    with pytest.raises(RulesError, match="最接近的是“领跑者”"):
        load_rules(bad)
    good = tmp_path / "good.toml"
    good.write_text(original + '\n[required]\ntable1 = ["企业名称", "单价"]\n', "utf-8")
    spec = load_specs()["table1"]
    assert load_rules(good).required(spec) == {"name", "unit_price"}


def test_a_placeholder_without_a_value_fails_in_tests():
    with pytest.raises(MissingPlaceholder):
        render("below_threshold", {"name": "甲公司"})
    # every code renders with the context its checks give (the suite runs with strict messages)
    assert all(c.template for c in CATALOGUE.values())
