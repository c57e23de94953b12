"""The SME cluster programme (issue 17): the 申报表 filled in the Excel template and in a Word
form laid out from seed 001's printed 附件1, checked item by item at its location, exported
to Word and read back, and consolidated into 附件4's 推荐汇总表 within the city's quota."""
import copy
import json
import math
import subprocess
import sys
from pathlib import Path

import docx
import openpyxl
import pytest

from form_builders import clean_answers, fill_template, seed_word_form
from xl_addin.forms.consolidate import canonical, read_form
from xl_addin.forms.spec import label_key, load_form
from xl_addin.render.office import recalculate, soffice
from xl_addin.declare.reference import default_clusters
from xl_addin.declare.rules import load_rules

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "workbooks" / "cluster_form_template.xlsx"
SPEC = load_form()


def cli(*args):
    return subprocess.run([sys.executable, "-m", "xl_addin.cli", *map(str, args)], capture_output=True, text=True)


def read(path):
    rec, issues, derived = read_form(str(path), SPEC, load_rules(), default_clusters())
    return rec, issues, derived


def codes_at(issues):
    return {(i.code, i.sheet, i.cell) for i in issues}


def label_cell(path: Path, label: str, occurrence: int = 1, offset: int = 1, year_col: int | None = None):
    """(sheet, cell) of the value right of a label in the template, found in the file itself."""
    wb = openpyxl.load_workbook(path)
    n = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            if isinstance(row[0].value, str) and label_key(row[0].value) == label_key(label):
                n += 1
                if n == occurrence:
                    col = openpyxl.utils.get_column_letter(1 + (year_col if year_col is not None else offset))
                    return ws.title, f"{col}{row[0].row}"
    raise KeyError(label)


def word_cell(path: Path, label: str, occurrence: int = 1):
    """(表格n, 第r行第c列) of the cell right of a label in a Word form, found with python-docx."""
    d = docx.Document(str(path))
    n = 0
    for t_no, table in enumerate(d.tables, start=1):
        for r, row in enumerate(table.rows, start=1):
            cells = row.cells
            for c, cell in enumerate(cells):
                if label_key(cell.text) == label_key(label):
                    n += 1
                    if n == occurrence:
                        nxt = next(k for k in range(c + 1, len(cells)) if cells[k]._tc is not cell._tc)  # noqa
                        return f"表格{t_no}", f"第{r}行第{nxt + 1}列"
    raise KeyError(label)


@pytest.fixture()
def answers():
    return clean_answers()


# --- reading ------------------------------------------------------------------------------

def test_a_clean_form_reads_the_same_from_the_template_and_from_the_seeds_word_layout(tmp_path, answers):
    xlsx = fill_template(TEMPLATE, answers, tmp_path / "任丘.xlsx")
    word = seed_word_form(answers, tmp_path / "任丘.docx")
    (rx, ix, dx), (rw, iw, dw) = read(xlsx), read(word)
    assert ix == [] and iw == []
    a, b = canonical(rx, dx, SPEC), canonical(rw, dw, SPEC)
    # the seed's 附件1 has no 集群成立时间/主导产业 (the template adds them), and its 八 keeps
    # the template's own guidance under the county's plan
    differ = {k for k in a if a[k] != b[k]}
    assert differ == {"founded", "industry", "plan_text"}, {k: (a[k], b[k]) for k in differ}
    assert answers["plan_text"].split("\n")[0] in b["plan_text"]
    assert a["chain_work"] == b["chain_work"] == answers["chain_work"]
    assert a["city"] == b["city"] == "沧州" and a["county"] == b["county"] == "任丘市"


def test_units_typed_with_numbers_and_excel_percent_cells_read_as_the_number(tmp_path, answers):
    a = dict(answers, pct="12个", overseas="3 个")
    path = fill_template(TEMPLATE, a, tmp_path / "units.xlsx")
    wb = openpyxl.load_workbook(path)
    sheet, cell = label_cell(path, "集群中小企业数字化研发工具应用普及率 (%)")
    wb[sheet][cell].value, wb[sheet][cell].number_format = 0.355, "0.0%"     # typed as 35.5%
    wb.save(path)
    rec, issues, _ = read(path)
    assert issues == []
    assert number_of(rec, "digital_tools") == 35.5 and number_of(rec, "pct") == 12


def test_a_word_form_with_merged_cells_reads_the_same(tmp_path, answers):
    """Officials' Word tables merge a value across the empty cells after it and a label down
    its rows; the form reads as the unmerged one."""
    plain, merged = (seed_word_form(answers, tmp_path / f"{k}.docx", merged=k == "merged") for k in ("plain", "merged"))
    (rp, ip, dp), (rm, im, dm) = read(plain), read(merged)
    d = docx.Document(str(merged))
    assert any(len({c._tc for c in row.cells}) < len(row.cells) for t in d.tables for row in t.rows)
    assert im == ip == []
    assert canonical(rm, dm, SPEC) == canonical(rp, dp, SPEC)


def test_a_value_typed_after_its_label_in_the_same_cell_is_read():
    from xl_addin.forms.locate import locate_form
    from xl_addin.forms.read import Cell, Rows, Where

    rows = Rows([[Cell(0, "集群名称：任丘市汽车零部件产业", Where("表格1", 1, "第1行第1列"))],
                 [Cell(0, "集群占地面积(平方公里)：12.5", Where("表格1", 2, "第2行第1列"))],
                 [Cell(0, "集群名称： (XX(县、市、区)XX产业)", Where("表格2", 1, "第1行第1列")),
                  Cell(1, "另一名称", Where("表格2", 1, "第1行第2列"))]])
    rec = locate_form(rows, SPEC, "x.docx")
    assert rec.values["name"] == "任丘市汽车零部件产业" and rec.values["area"] == "12.5"


def test_checkbox_marks_other_than_the_tick_count_as_ticked(tmp_path, answers):
    for mark in ("■", "√"):
        rec, issues, _ = read(seed_word_form(answers, tmp_path / f"{ord(mark)}.docx", tick=mark))
        assert rec.values["industry_type"] == "第二产业"
        assert rec.values["services"] == ["信息服务", "创业辅导"]


# --- checks at their locations ----------------------------------------------------------------

def planted(answers):
    a = copy.deepcopy(answers)
    a["operator"] = None                                         # required_missing
    a["area"] = 12.345                                           # decimals_exceed
    a["output_share_county"][2022] = 120.0                       # value_out_of_range (a %)
    a["enterprises"][2021] = -5                                  # value_out_of_range (a count)
    a["smes"][2023] = 260                                        # count_inconsistent (> 220 enterprises)
    a["output"] = {2021: 100.0, 2022: 150.0, 2023: 180.0}        # main share 50 %: growth 50 % then 20 %
    a["main_growth"] = 35.0                                      # the arithmetic mean, not the geometric 34.16
    a["cloud_ratio"] = 45.0                                      # 80 / 260 = 30.77 %
    a["chain_text"] = "强" * 150 + " \n " + "链" * 51             # 201 characters without the whitespace
    a["collab_text"] = "无"                                      # "无" is an answer
    a["platforms_other"] = {"count": 0, "names": "无"}           # so is 0
    a["collab_work"] = []                                        # nothing ticked is an answer
    a["targets"]["output_growth"]["target"] = 8.0                # < 10 %
    a["targets"]["rd_target"] = {"base": 2.0, "target": 2.5}     # (2.5/2)^(1/3) - 1 = 7.72 % < 10 %
    a["targets"]["patents_target"] = {"base": 150, "target": 200}  # 10.06 % < 15 %
    a["targets"]["platform_target"]["target"] = 38.0             # not about 45 % (± 5): warning
    a["targets"]["co2_target"] = {"base": 1.0, "target": 0.9}    # 10 % < about 18 %: warning
    a["targets"]["quality_smes"] = {"base": 20, "target": 20}    # not increasing: warning
    a["_typed"] = ("main_growth", "cloud_ratio")                 # typed over the template's formulas
    return a


def test_each_code_is_reported_at_its_cell_of_the_excel_form(tmp_path, answers):
    path = fill_template(TEMPLATE, planted(answers), tmp_path / "任丘.xlsx")
    _, issues, derived = read(path)
    got = codes_at(issues)
    want = {
        ("required_missing", *label_cell(path, "集群运营管理机构")),
        ("decimals_exceed", *label_cell(path, "集群占地面积(平方公里)")),
        ("value_out_of_range", *label_cell(path, "集群总产值占所在县级行政区划产值比例（%）", year_col=2)),
        ("value_out_of_range", *label_cell(path, "集群企业数量", year_col=1)),
        ("count_inconsistent", *label_cell(path, "其中：集群中小企业数量", year_col=3)),
        ("growth_rate_mismatch", *label_cell(path, "近三年集群主导产业产值年均增速（%）")),
        ("ratio_mismatch", *label_cell(path, "集群中小企业上云比例 (%)")),
        ("text_too_long", *label_cell(path, "集群产业链强链补链情况")),
    }
    assert want <= got, want - got
    assert not any(i.code == "required_missing" and i.column in ("集群内产业链资源协同协作情况", "其他平台名称及数量")
                   for i in issues)
    targets = {(i.column, i.severity) for i in issues if i.code == "target_below_requirement"}
    assert targets == {("主导产业·近三年集群产值年均增速", "error"), ("创新·研发经费投入(亿元)", "error"),
                       ("创新·有效发明专利数量", "error"), ("数字化·工业互联网普及率", "warning"),
                       ("绿色化·二氧化碳排放量", "warning"), ("主导产业·优质中小企业数量", "warning")}
    target = next(i for i in issues if i.column == "创新·研发经费投入(亿元)")
    ws = openpyxl.load_workbook(path)[target.sheet]
    row = next(r[0].row for r in ws.iter_rows() if r[1].value == "研发经费投入(亿元)")
    assert target.cell == f"D{row}"                                       # its 2026 目标值 cell
    assert "7.72%" in target.message
    # the geometric mean against the hand-computed value; the arithmetic mean named as such
    assert derived["main_growth"] == round((math.sqrt(180 / 100) - 1) * 100, 2) == 34.16
    growth = next(i for i in issues if i.code == "growth_rate_mismatch")
    assert "34.16" in growth.message and "算术平均数 35%" in growth.message and "几何平均" in growth.message
    ratio = next(i for i in issues if i.code == "ratio_mismatch")
    assert "30.77" in ratio.message
    severity = {i.code: i.severity for i in issues if i.code != "target_below_requirement"}
    assert severity["decimals_exceed"] == "warning" and severity["growth_rate_mismatch"] == "error"


def test_each_code_is_reported_at_its_table_row_and_column_of_the_word_form(tmp_path, answers):
    a = planted(answers)
    a["operator"] = ""
    path = seed_word_form(a, tmp_path / "任丘.docx")
    _, issues, derived = read(path)
    got = codes_at(issues)
    for code, label in (("required_missing", "集群运营管理机构"), ("decimals_exceed", "集群占地面积(平方公里)"),
                        ("growth_rate_mismatch", "近三年集群主导产业产值年均增速（%）"),
                        ("ratio_mismatch", "集群中小企业上云比例 (%)"), ("text_too_long", "集群产业链强链补链情况")):
        assert (code, *word_cell(path, label)) in got, (code, label, sorted(got))
    assert derived["main_growth"] == 34.16
    assert any(i.code == "count_inconsistent" and i.cell.endswith("第4列") for i in issues)   # the 2023 column
    table, cell = word_cell(path, "集群总产值占所在县级行政区划产值比例（%）")        # its 2021 cell
    row = cell.split("行")[0]
    assert ("value_out_of_range", table, f"{row}行第3列") in got                         # the 2022 column
    d = docx.Document(str(path))
    where = next((f"表格{t}", f"第{r}行第4列") for t, tab in enumerate(d.tables, start=1)
                 for r, tr in enumerate(tab.rows, start=1) if tr.cells[1].text == "研发经费投入(亿元)")
    assert ("target_below_requirement", *where) in got                                   # its 2026 目标值


# --- Word export and round trip ----------------------------------------------------------------

def test_cluster_form_exports_the_word_form_that_reads_back_to_the_same_record(tmp_path, answers):
    xlsx = fill_template(TEMPLATE, answers, tmp_path / "任丘.xlsx")
    out = tmp_path / "申报表.docx"
    proc = cli("cluster-form", xlsx, "--out", out)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (rx, _, dx), (rw, iw, dw) = read(xlsx), read(out)
    assert iw == []
    assert canonical(rw, dw, SPEC) == canonical(rx, dx, SPEC)
    text = "\n".join(p.text for p in docx.Document(str(out)).paragraphs)
    assert "中小企业特色产业集群申报表" in text and "所属地区：沧州市任丘市" in text
    cells = [c.text for t in docx.Document(str(out)).tables for row in t.rows for c in row.cells]
    assert "10" in cells            # the computed 年均增速, written into the form
    assert "☑第二产业 ☐第三产业" in " ".join(cells) or any("☑第二产业" in c for c in cells)


# --- consolidation: 附件4 and the quota ---------------------------------------------------------

COUNTIES = ["任丘市", "河间市", "泊头市", "黄骅市", "献县"]


def forms_folder(tmp_path, answers, city, counties, word=()):
    folder = tmp_path / f"{city}_{len(counties)}"
    folder.mkdir()
    for county in counties:
        a = dict(answers, name=f"{county}特色产业", city=city, county=county)
        if county in word:
            seed_word_form(a, folder / f"{county}.docx")
        else:
            fill_template(TEMPLATE, a, folder / f"{county}.xlsx")
    return folder


def consolidate(tmp_path, folder):
    out, js = tmp_path / f"{folder.name}.xlsx", tmp_path / f"{folder.name}.json"
    proc = cli("consolidate", folder, "--out", out, "--json", js)
    return proc, out, json.loads(js.read_text(encoding="utf-8"))


def test_four_clusters_of_a_city_fill_the_summary_read_back_from_xlsx_and_docx(tmp_path, answers):
    folder = forms_folder(tmp_path, answers, "沧州", COUNTIES[:4], word=("河间市", "黄骅市"))
    proc, out, report = consolidate(tmp_path, folder)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not [i for i in report["issues"] if i["code"] == "quota_exceeded"]
    ws = openpyxl.load_workbook(out)["推荐汇总表"]
    rows = [[c for c in r] for r in ws.iter_rows(values_only=True)]
    head = next(k for k, r in enumerate(rows) if r[0] == "序号")
    assert rows[head] == tuple(SPEC.summary["columns"]) or list(rows[head]) == SPEC.summary["columns"]
    assert "2024年度河北省中小企业特色产业集群推荐汇总表" in [r[0] for r in rows[:head]]
    body = [r for r in rows[head + 1:] if r[0]]
    assert [r[1] for r in body] == sorted(f"{c}特色产业" for c in COUNTIES[:4])
    by_name = {r[1]: r for r in body}
    hj = by_name["河间市特色产业"]            # from the Word form: no 成立时间 or 主导产业 on 附件1
    rq = by_name["任丘市特色产业"]
    assert rq[2] == "任丘经济开发区管委会" and rq[3] == "沧州市任丘市" and rq[4] == "汽车零部件" and rq[5] == "2008年"
    assert hj[3] == "沧州市河间市" and hj[4] in (None, "")
    for r in body:
        assert len(r[6]) <= 300 and "2023年集群总产值121亿元" in r[6] and "中小企业200家" in r[6]
    word = docx.Document(str(out.with_suffix(".docx")))
    table = word.tables[0]
    assert [c.text for c in table.rows[0].cells] == SPEC.summary["columns"]
    assert [row.cells[1].text for row in table.rows[1:]] == [r[1] for r in body]
    assert all(c["accepted"] for c in report["clusters"]) and len(report["clusters"]) == 4
    cluster = report["clusters"][0]
    assert set(cluster) >= {"name", "city", "county", "operator", "industry", "founded", "intro", "indicators", "derived"}
    assert cluster["derived"]["main_growth"] == 10.0 and cluster["indicators"]["output"]["2023"] == 121.0
    issues = openpyxl.load_workbook(out)["问题清单"].max_row
    assert issues == 2                                  # title and header: no problem
    inputs = [r for r in openpyxl.load_workbook(out)["报送情况"].iter_rows(values_only=True)][2:-1]
    assert len(inputs) == 4 and all(r[2] == "已接收" for r in inputs)


def test_a_fifth_cluster_exceeds_the_quota_on_every_form_of_the_city(tmp_path, answers):
    folder = forms_folder(tmp_path, answers, "沧州", COUNTIES)
    proc, out, report = consolidate(tmp_path, folder)
    assert proc.returncode == 1
    quota = [i for i in report["issues"] if i["code"] == "quota_exceeded"]
    assert len(quota) == 5 and {Path(i["path"]).stem for i in quota} == set(COUNTIES)
    assert "5 个集群" in quota[0]["message"] and "4 个" in quota[0]["message"]
    assert len(report["clusters"]) == 5                  # nothing excluded: the city chooses
    listed = [r for r in openpyxl.load_workbook(out)["问题清单"].iter_rows(min_row=3, values_only=True)]
    assert [r[2] for r in listed] == ["quota_exceeded"] * 5 and {r[3] for r in listed} == {f"{c}.xlsx" for c in COUNTIES}


def test_dingzhou_may_recommend_two(tmp_path, answers):
    base = dict(answers, city="定州", county="定州市")
    folder = tmp_path / "定州"
    folder.mkdir()
    for n in range(3):
        fill_template(TEMPLATE, dict(base, name=f"定州市特色产业{n}"), folder / f"定州{n}.xlsx")
    proc, _, report = consolidate(tmp_path, folder)
    assert proc.returncode == 1
    assert len([i for i in report["issues"] if i["code"] == "quota_exceeded"]) == 3
    (folder / "定州2.xlsx").unlink()
    proc, _, report = consolidate(tmp_path, folder)
    assert proc.returncode == 0 and not report["issues"]


def test_a_damaged_form_is_rejected_with_a_reason_and_the_run_goes_on(tmp_path, answers):
    folder = forms_folder(tmp_path, answers, "沧州", COUNTIES[:1], word=())
    (folder / "坏.docx").write_bytes(b"PK\x03\x04 not a document")
    proc, _, report = consolidate(tmp_path, folder)
    assert proc.returncode == 1
    bad = next(i for i in report["inputs"] if i["path"].endswith("坏.docx"))
    assert bad["status"] == "rejected" and bad["reason"] == "file_unreadable"
    assert len(report["clusters"]) == 1


# --- the template ---------------------------------------------------------------------------

def test_the_template_has_a_sheet_per_section_dropdowns_and_formulas_for_derived_cells():
    wb = openpyxl.load_workbook(TEMPLATE)
    assert [s.sheet for s in SPEC.sections] == wb.sheetnames[1:]
    for item in SPEC.items:
        if item.derive:
            sheet, cell = label_cell(TEMPLATE, item.label)
            assert str(wb[sheet][cell].value).startswith("=IFERROR(ROUND("), item.id
    sheet, cell = label_cell(TEMPLATE, "主导产业所属产业类型")
    lists = {str(dv.sqref): dv.formula1 for dv in wb[sheet].data_validations.dataValidation}
    assert lists[cell] == '"第一产业,第二产业,第三产业"'
    basic = [r[0] for r in wb["一 基本情况"].iter_rows(values_only=True)]
    assert "集群成立时间" in basic and "主导产业" in basic


@pytest.mark.skipif(soffice() is None, reason="LibreOffice not installed (.ci/run installs it)")
def test_the_templates_formulas_compute_what_the_checks_compute(tmp_path, answers):
    a = dict(answers, output={2021: 100.0, 2022: 150.0, 2023: 180.0}, cloud_smes=77)
    path = recalculate(fill_template(TEMPLATE, a, tmp_path / "f.xlsx"), tmp_path / "recalc")
    rec, issues, derived = read(path)
    assert derived["main_growth"] == 34.16 and derived["cloud_ratio"] == 38.5
    assert number_of(rec, "main_growth") == 34.16 and number_of(rec, "cloud_ratio") == 38.5
    assert not [i for i in issues if i.code in ("growth_rate_mismatch", "ratio_mismatch")]


def number_of(rec, item_id):
    from xl_addin.forms.check import number
    return number(rec.values[item_id])
