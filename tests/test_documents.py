"""The recommendation report, the declarations and PDFs: read back what was written."""
import json
import re
import shutil
import subprocess

import openpyxl
import pytest
from click.testing import CliRunner
from docx import Document

from xl_addin.cli import main
from xl_addin.examples import generate_city, inject_mistakes, write_county_workbook
from xl_addin.render.office import soffice

needs_office = pytest.mark.skipif(soffice() is None or shutil.which("pdftotext") is None,
                                  reason="LibreOffice (soffice) or poppler-utils not installed")


@pytest.fixture(scope="module")
def consolidated(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("city")
    books = generate_city("沧州", seed=5, counties=5)
    inject_mistakes(books)
    for b in books:
        write_county_workbook(b, tmp / "in" / b.filename)
    res = CliRunner().invoke(main, ["consolidate", str(tmp / "in"), "--out", str(tmp / "SUMMARY.xlsx"),
                                    "--json", str(tmp / "REPORT.json"), "--city", "沧州"])
    assert res.exit_code == 1, res.output
    return tmp, json.loads((tmp / "REPORT.json").read_text("utf-8"))


def report_docx(tmp, source, *extra):
    out = tmp / f"报告_{source.stem}.docx"
    res = CliRunner().invoke(main, ["report", str(source), "--city", "沧州", "--out", str(out),
                                    "--date", "2026-11-22", *extra])
    assert res.exit_code == 0, res.output
    return out


def all_text(doc):
    texts = [p.text for p in doc.paragraphs]
    texts += [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join(texts)


def table_rows(table):
    """Distinct cell texts per row (merged cells repeat in python-docx)."""
    return [[c.text for c in row.cells] for row in table.rows]


@pytest.mark.parametrize("source", ["REPORT.json", "SUMMARY.xlsx"])
def test_report_counts_and_table_come_from_the_consolidated_data(consolidated, source):
    tmp, data = consolidated
    doc = Document(str(report_docx(tmp, tmp / source)))
    s = data["summary"]
    title = doc.paragraphs[0].text
    assert title == "沧州市工业和信息化局关于推荐2026年度河北省特色产业集群“领跑者”企业培育项目的报告"
    body = next(p.text for p in doc.paragraphs if p.text.startswith("按照"))
    assert f"{s['units']}个单位申报的" in body and f"“领跑者”企业培育项目{s['projects']}个" in body
    assert f"创新发展项目{s['innovation_projects']}个" in body and f"股权投资奖励项目{s['equity_projects']}个" in body
    assert "2026年11月22日" in [p.text for p in doc.paragraphs]
    text = all_text(doc)
    assert not re.search(r"XX|\*\*", text)

    part1, part2 = doc.tables[:2]
    wb = openpyxl.load_workbook(tmp / "SUMMARY.xlsx")
    for table, sheet, amount_col in ((part1, "汇总表（一）", 9), (part2, "汇总表（二）", 7)):
        ws = wb[sheet]
        header = [c.value for c in ws[4]]
        rows = table_rows(table)
        assert rows[0] == header
        body_rows = [[c.value for c in r] for r in ws.iter_rows(min_row=5, max_row=ws.max_row)]
        assert len(rows) - 1 == len(body_rows)                      # same rows, 合计 included
        assert rows[-1][0] == "合计" and float(rows[-1][amount_col]) == pytest.approx(body_rows[-1][amount_col])
        docx_numbers = [row[0] for row in rows[1:-1] if row[0]]
        xlsx_numbers = [str(int(r[0])) for r in body_rows[:-1] if r[0] is not None]   # 1 or 1.0 by writer
        assert list(dict.fromkeys(docx_numbers)) == xlsx_numbers       # 序号 once per enterprise
        assert [float(r[amount_col]) for r in rows[1:-1]] == pytest.approx([r[amount_col] for r in body_rows[:-1]])
    assert float(table_rows(part1)[-1][9]) == pytest.approx(data["table1"]["total"])
    assert float(table_rows(part2)[-1][7]) == pytest.approx(data["table2"]["total"])


def test_report_appendix_lists_excluded_enterprises(consolidated):
    tmp, data = consolidated
    doc = Document(str(report_docx(tmp, tmp / "REPORT.json", "--appendix")))
    assert any("未列入推荐的企业及原因" in p.text for p in doc.paragraphs)
    excluded = table_rows(doc.tables[2])
    assert [r[1] for r in excluded[1:]] == [e["name"] for e in data["excluded"]]
    assert "未达申报门槛" in "\n".join(r[4] for r in excluded)


def test_declarations_one_file_per_accepted_enterprise(consolidated):
    tmp, data = consolidated
    out = tmp / "声明"
    res = CliRunner().invoke(main, ["declarations", str(tmp / "in"), "--out", str(out)])
    assert res.exit_code == 0, res.output
    names = {e["name"] for k in ("table1", "table2") for e in data[k]["enterprises"]}
    files = sorted(out.glob("*.docx"))
    assert sorted(f.name for f in files) == sorted(f"{n}_真实性声明及情况表.docx" for n in names)
    ent = data["table1"]["enterprises"][0]
    doc = Document(str(out / f"{ent['name']}_真实性声明及情况表.docx"))
    assert doc.paragraphs[0].text == ent["name"]
    assert any("特此声明" in p.text for p in doc.paragraphs)
    rows = table_rows(doc.tables[0])
    assert [r[4] for r in rows[1:-1]] == [i["购置设备名称种类金额"] for i in ent["items"]]
    assert rows[-1][0] == "合计" and float(rows[-1][-1]) == pytest.approx(ent["total"])
    eq = data["table2"]["enterprises"][0]
    rows = table_rows(Document(str(out / f"{eq['name']}_真实性声明及情况表.docx")).tables[0])
    assert [r[4] for r in rows[1:-1]] == [i["股权投资机构名称"] for i in eq["items"]]


@needs_office
def test_report_converts_to_pdf_with_title_and_counts_on_page_one(consolidated):
    tmp, data = consolidated
    docx = report_docx(tmp, tmp / "REPORT.json")
    res = CliRunner().invoke(main, ["pdf", str(docx), "--out", str(tmp / "pdf")])
    assert res.exit_code == 0, res.output
    pdf = tmp / "pdf" / (docx.stem + ".pdf")
    page1 = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True, text=True).stdout
    flat = re.sub(r"\s+", "", page1)
    assert "关于推荐2026年度河北省特色产业集群“领跑者”企业培育项目的报告" in flat
    s = data["summary"]
    assert f"{s['units']}个单位" in flat and f"创新发展项目{s['innovation_projects']}个" in flat


def test_pdf_command_explains_when_libreoffice_is_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))   # no soffice on PATH
    monkeypatch.setattr("xl_addin.render.office.os.path.exists", lambda p: False)
    src = tmp_path / "a.xlsx"
    openpyxl.Workbook().save(src)
    res = CliRunner().invoke(main, ["pdf", str(src)])
    assert res.exit_code == 2 and "LibreOffice" in res.output
