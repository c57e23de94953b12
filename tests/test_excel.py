"""The Excel edge: the committed master workbook and county template, their VBA project,
buttons and ribbon (fired in LibreOffice), and the button handlers (run through
xlwings' remote engine on payloads built from the real master workbook)."""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from builders import HJ, LEADER, RQ, RQ_CLUSTER, TOP3, t1_row, t2_row

from xl_addin.excel import vba, workbooks
from xl_addin.declare.spec import load_specs

ROOT = Path(__file__).resolve().parents[1]
MASTER = ROOT / "workbooks" / "master.xlsm"
COUNTY = ROOT / "workbooks" / "county_template.xlsx"
HANDLERS = "import xl_addin.excel.buttons as b; b."
EXPECTED_COMMANDS = {"ImportLists": "import_lists()", "RecordRound": "record_round()",
                     "ValidateRows": "validate()", "ComputeTotals": "compute()",
                     "ConsolidateCounties": "consolidate()", "GenerateReport": "report()"}


def _cells(path: Path) -> dict:
    wb = openpyxl.load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        out[ws.title] = {
            "values": [[c for c in row] for row in ws.iter_rows(values_only=True)],
            "merged": sorted(str(r) for r in ws.merged_cells.ranges),
            "validations": sorted((str(v.sqref), v.formula1) for v in ws.data_validations.dataValidation),
            "freeze": ws.freeze_panes, "protected": ws.protection.sheet, "state": ws.sheet_state,
            "print_titles": ws.print_title_rows, "orientation": ws.page_setup.orientation,
            "paper": ws.page_setup.paperSize,
        }
    return out


def _vml_macros(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        return sorted(m for n in z.namelist() if n.endswith(".vml")
                      for m in _between(z.read(n).decode(), "<x:FmlaMacro>", "</x:FmlaMacro>"))


def _between(text: str, start: str, end: str) -> list[str]:
    return [part.split(end)[0] for part in text.split(start)[1:]]


def _olevba_modules(path: Path) -> dict[str, str]:
    from oletools.olevba import VBA_Parser

    parser = VBA_Parser(str(path))
    try:
        return {name.rsplit(".", 1)[0]: code for _, _, name, code in parser.extract_macros()}
    finally:
        parser.close()


def _code(text: str) -> str:
    """Module code without Attribute lines or the .cls header, line endings normalised."""
    module = vba.parse_source("x", text)
    return module.code.replace("\r\n", "\n").strip("\n")


# --- the committed files -------------------------------------------------------------

def test_committed_workbooks_are_current(tmp_path):
    """`xl-addin build-workbooks` reproduces the committed files: same cells, validations,
    print set-up, buttons, ribbon and VBA sources (rebuild and commit when this fails)."""
    out = tmp_path / "wb"
    subprocess.run([sys.executable, "-m", "xl_addin.cli", "build-workbooks", "--out", str(out)], check=True,
                   capture_output=True)
    for name in ("master.xlsm", "county_template.xlsx"):
        assert _cells(out / name) == _cells(ROOT / "workbooks" / name), f"{name} is stale"
        assert _vml_macros(out / name) == _vml_macros(ROOT / "workbooks" / name)
    assert _olevba_modules(out / "master.xlsm") == _olevba_modules(MASTER)
    with zipfile.ZipFile(MASTER) as z, zipfile.ZipFile(out / "master.xlsm") as rebuilt:
        assert z.read("customUI/customUI.xml").decode() == workbooks.ribbon_xml()
        assert z.read("xl/vbaProject.bin") == rebuilt.read("xl/vbaProject.bin")
    # and the build itself is byte-for-byte reproducible
    again = tmp_path / "again"
    workbooks.build_all(again)
    assert (again / "master.xlsm").read_bytes() == (out / "master.xlsm").read_bytes()


def test_olevba_extracts_exactly_our_macros_and_the_pinned_xlwings_module():
    import xlwings

    modules = _olevba_modules(MASTER)
    ours = {p.stem: p.read_text(encoding="ascii") for p in (ROOT / "macros").glob("*.bas")}
    xw_root = Path(xlwings.__file__).parent
    expected = dict(ours)
    expected["xlwings"] = (xw_root / "xlwings.bas").read_text(encoding="cp1252")
    expected["Dictionary"] = (xw_root / "addin" / "Dictionary.cls").read_text(encoding="cp1252")
    with_code = {name: code for name, code in modules.items() if _code(code)}
    assert set(with_code) == set(expected)
    for name, text in expected.items():
        assert _code(with_code[name]) == _code(text), name
    assert f'XLWINGS_VERSION As String = "{xlwings.__version__}"' in with_code["xlwings"]
    # the other modules are the empty document modules of the workbook and its sheets
    documents = set(modules) - set(with_code)
    assert documents == {"ThisWorkbook"} | {f"Sheet{i}" for i in range(1, len(workbooks.MASTER_SHEETS) + 1)}
    for path in (ROOT / "macros").glob("*.bas"):
        path.read_bytes().decode("ascii")    # ASCII only


def test_vba_compression_round_trips_through_oletools():
    from oletools.olevba import decompress_stream

    samples = [b"", b"a", b"abcabcabcabc" * 700, os.urandom(9000), bytes(range(256)) * 40,
               (ROOT / "macros" / "XlAddin.bas").read_bytes() * 5]
    for data in samples:
        assert bytes(decompress_stream(bytearray(vba.compress(data)))) == data


def test_master_and_county_layout():
    master, county = _cells(MASTER), _cells(COUNTY)
    assert list(master) == workbooks.MASTER_SHEETS
    assert list(county) == workbooks.COUNTY_SHEETS
    for book in (master, county):
        t1, t2 = book["表1"], book["表2"]
        for sheet in (t1, t2):      # the county template's count of problems on the left of 单位
            assert [v for v in sheet["values"][1] if v and not v.startswith("=IF(SUM(")] == ["单位：万元"]
        assert list(t1["values"][2][:9]) == [f.header for f in load_specs()["table1"].official]
        assert list(t2["values"][2][:10]) == [f.header for f in load_specs()["table2"].official]
        for sheet in (t1, t2):
            assert sheet["freeze"] == "B4" and sheet["protected"]
            assert sheet["print_titles"] == "$1:$3" and sheet["orientation"] == "landscape" and sheet["paper"] == 9
        sources = dict((ref.split(":")[0], f) for ref, f in t1["validations"])
        assert sources["B4"].startswith("集群名单!$G$2")
        # the county template narrows 所属集群 to the row's county (tests/test_selfcheck.py)
        assert sources["C4"].startswith("集群名单!$D$2" if book is master else "IF(COUNTIF(集群名单!")
        assert sources["D4"] == "集群名单!$I$2:$I$3"
        assert len([r for r in book["集群名单"]["values"][1:] if r[3]]) == 280
    assert master["_files"]["state"] == "hidden"
    assert master["xlwings.conf"]["values"][0][:2] == ["INTERPRETER_WIN", "python"]
    # the county template carries no macros
    with zipfile.ZipFile(COUNTY) as z:
        assert not [n for n in z.namelist() if "vba" in n.lower()]


# --- LibreOffice: the buttons and the ribbon are bound to existing Subs ----------------

def _system_python_with_uno() -> str | None:
    for exe in ("/usr/bin/python3", shutil.which("python3")):
        if exe and subprocess.run([exe, "-c", "import uno"], capture_output=True).returncode == 0:
            return exe
    return None


@pytest.mark.skipif(_system_python_with_uno() is None or not shutil.which("soffice"),
                    reason="LibreOffice with python3-uno not installed (.ci/run installs it)")
def test_libreoffice_fires_every_button_and_ribbon_action(tmp_path):
    exe = _system_python_with_uno()
    with zipfile.ZipFile(MASTER) as z:
        ribbon = z.read("customUI/customUI.xml").decode()
    actions = _between(ribbon, 'onAction="', '"')
    book = tmp_path / "master.xlsm"
    shutil.copy(MASTER, book)
    proc = subprocess.run([exe, str(ROOT / "tests" / "lo_buttons.py"), str(book), json.dumps(actions)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["errors"] == []
    assert out["sheets"] == workbooks.MASTER_SHEETS
    assert {"XlAddin", "XlAddinDialogs", "xlwings", "Dictionary"} <= set(out["modules"])
    subs = set(out["subs"]["XlAddin"])
    # every button: bound to a Sub that exists, and that Sub passes the exact command
    by_caption = {b.caption: b for b in workbooks.BUTTONS}
    assert len(out["buttons"]) == 6 + 2 + 2 + 2 + 2   # 说明, 表1, 表2, 推荐汇总表, 汇总表
    for button in out["buttons"]:
        spec = by_caption[button["label"]]
        assert button["scripts"] == [f"vnd.sun.star.script:VBAProject.XlAddin.{spec.sub}"
                                     "?language=Basic&location=document"]
        assert spec.sub in subs
        assert button["recorded"] == [HANDLERS + EXPECTED_COMMANDS[spec.sub] + "\n"]
    assert {(b["sheet"], b["label"]) for b in out["buttons"]} >= {("表1", "校验"), ("汇总表", "汇总区县报表")}
    # every ribbon action: an existing callback, passing the same command as its button
    assert sorted(actions) == sorted(b.ribbon for b in workbooks.BUTTONS)
    for b in workbooks.BUTTONS:
        assert b.ribbon in subs
        assert out["ribbon"][b.ribbon] == HANDLERS + EXPECTED_COMMANDS[b.sub] + "\n"
    # the file picker's choice reached the hidden sheet the handler reads
    assert out["files"][:2] == ["C:\\counties\\a.xlsx", "C:\\counties\\b.xlsx"]


# --- the handlers, through xlwings' remote engine --------------------------------------

def _json_value(v):
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if isinstance(v, dt.date):
        return f"{v.isoformat()}T00:00:00.000Z"
    return "" if v is None else v


def remote_book(path: Path, fills: dict[str, list[list]], name: str = "master.xlsm", drop: tuple[str, ...] = ()):
    """An xlwings remote-engine Book from a real workbook, with `fills` written under the
    header of the named sheets (as officials would type them)."""
    os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
    import xlwings as xw

    wb = openpyxl.load_workbook(path)
    for sheet, rows in fills.items():
        ws = wb[sheet]
        first = 4 if sheet in ("表1", "表2") else 2
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                ws.cell(first + r, c + 1, v)
    sheets = []
    for ws in wb.worksheets:
        if ws.title in drop:
            continue
        values = [[_json_value(v) for v in row] for row in ws.iter_rows(values_only=True)] or [[""]]
        sheets.append({"name": ws.title, "values": values, "pictures": [], "tables": [], "notes": []})
    payload = {"client": "Office.js", "version": xw.__version__,
               "book": {"name": name, "active_sheet_index": 1, "selection": "A1"},
               "names": [], "sheets": sheets}
    book = xw.Book(json=payload)
    book.set_mock_caller()
    return book


def _actions(book, func: str, sheet: str | None = None) -> list[dict]:
    names = [s.name for s in book.sheets]
    return [a for a in book.json()["actions"] if a["func"] == func
            and (sheet is None or a["sheet_position"] == names.index(sheet))]


def _written(book, sheet: str) -> list[list]:
    values = _actions(book, "setValues", sheet)
    assert values, f"nothing written to {sheet}"
    return values[-1]["values"]


GOOD_T1 = [t1_row("沧州任丘甲公司", RQ, RQ_CLUSTER, LEADER, "研发1：光谱仪", unit=30, total=60),
           t1_row(None, None, None, None, "试验1：振动台", unit=20, total=40)]
BAD_T1 = [t1_row("河间乙公司", HJ, RQ_CLUSTER, "营收前三企业", "先进生产设备1：冲压线", unit=40, total=80)]
GOOD_T2 = [t2_row("任丘丙公司", "沧州市", RQ, RQ_CLUSTER, "1.冀财基金", dt.date(2023, 5, 8), 1000, 5)]


def test_validate_button_colours_bad_cells_and_fills_the_issue_list():
    from xl_addin.excel import buttons

    book = remote_book(MASTER, {"表1": GOOD_T1 + BAD_T1, "表2": GOOD_T2})
    report = buttons.validate()
    codes = sorted(i.code for i in report.issues)
    assert codes == ["cluster_county_mismatch", "production_equipment_not_leader"]
    colours = [(a["start_row"], a["start_column"], a["args"][0]) for a in _actions(book, "setRangeColor", "表1")]
    # first the data area is cleared, then row 6 (0-based 5) is marked: 所属集群 (C) and 设备名称 (E)
    assert colours[0][2] is None
    assert sorted(colours[1:]) == [(5, 2, "#FFC7CE"), (5, 4, "#FFC7CE")]
    notes = {a["args"][0]: a["args"][1] for a in _actions(book, "addNote")}
    assert set(notes) == {"$C$6", "$E$6"}
    assert "河间市" in notes["$C$6"] and notes["$C$6"].startswith("错误：")
    issues = _written(book, "问题清单")
    assert [row[2] for row in issues] == ["cluster_county_mismatch", "production_equipment_not_leader"]
    assert {(row[3], row[4], row[5]) for row in issues} == {("master.xlsm", "表1", "C6"), ("master.xlsm", "表1", "E6")}
    alert = _actions(book, "alert")[-1]["args"]
    assert "已校验 4 行" in alert[0] and "错误 2 处" in alert[0] and alert[1].endswith("校验")


def test_compute_button_writes_summary_totals_and_subsidies():
    from xl_addin.excel import buttons

    book = remote_book(MASTER, {"表1": GOOD_T1 + BAD_T1, "表2": GOOD_T2})
    buttons.compute()
    summary = _written(book, "汇总表")
    assert summary[0][0] == "一、申报特色产业集群创新发展项目"
    assert summary[1][:3] == ["序号", "企业名称", "所在县（市）"]
    assert summary[2][:5] == [1, "沧州任丘甲公司", RQ, RQ_CLUSTER, LEADER]
    assert summary[2][5] == "研发1：光谱仪" and summary[3][5] == "试验1：振动台"
    total1 = next(r for r in summary if r[0] == "合计")
    assert total1[9] == 100.0                      # the bad enterprise is excluded
    part2 = summary.index(next(r for r in summary if r[0] == "二、申报特色产业集群企业股权投资奖励项目"))
    assert summary[part2 + 2][:2] == [1, "任丘丙公司"]
    assert summary[-1][0] == "合计" and summary[-1][7] == 1000.0
    subsidy = _written(book, "补助测算")
    by_name = {r[2]: r for r in subsidy if r[2]}
    assert by_name["沧州任丘甲公司"][7:11] == [100.0, 0.2, 500.0, 20.0]
    assert by_name["任丘丙公司"][10] == 20.0       # 2% of 1000
    assert subsidy[-1][0] == "合计" and subsidy[-1][10] == 40.0
    assert "测算补助合计 40.00 万元" in _actions(book, "alert")[-1]["args"][0]


def test_untrusted_text_reaches_the_sheets_as_plain_text(tmp_path, monkeypatch):
    """A county file with a formula-like text and a control character (written with XlsxWriter,
    which stores both): the sheets get plain text, the same as SUMMARY.xlsx does."""
    import xlsxwriter

    from xl_addin.excel import buttons

    county = tmp_path / "任丘市.xlsx"
    wb = xlsxwriter.Workbook(str(county))
    ws = wb.add_worksheet("表1")
    for r, row in enumerate([[f.header for f in load_specs()["table1"].official], t1_row("沧州任丘甲公司", RQ, RQ_CLUSTER, LEADER, "研发1：光\x07谱仪",
                                                  "=cmd|' /C calc'!A0", unit=30, total=60)]):
        for c, v in enumerate(row):
            ws.write_string(r, c, v) if isinstance(v, str) else ws.write_number(r, c, v)
    wb.close()
    monkeypatch.chdir(tmp_path)
    book = remote_book(MASTER, {"_files": [[str(county)]]})
    buttons.consolidate()
    item = _written(book, "汇总表")[2]
    assert item[5] == "研发1：光谱仪"                  # control character removed
    assert item[6] == "'=cmd|' /C calc'!A0"           # shown as text, never run as a formula


def test_consolidate_button_reads_picked_files_never_the_book(tmp_path, monkeypatch):
    from xl_addin.examples import generate_city, write_county_workbook
    from xl_addin.excel import buttons

    paths = []
    for county in generate_city("沧州", seed=7)[:3]:
        paths.append(str(write_county_workbook(county, tmp_path / f"{county.county}.xlsx")))
    paths.append(str(tmp_path / "missing.xlsx"))
    monkeypatch.chdir(tmp_path)        # the remote engine's book has no folder: "beside" is the cwd
    book = remote_book(MASTER, {"_files": [[p] for p in paths]})
    buttons.consolidate()
    inputs = _written(book, "报送情况")
    status = {r[1]: r[2] for r in inputs[:4]}
    assert status == {Path(p).name: "已拒收" if p.endswith("missing.xlsx") else "已接收" for p in paths}
    assert inputs[4][0] == "合计" and inputs[4][1] == "4 个文件"
    assert inputs[-1][0] == "沧州市未报送的县（市、区）"
    summary = _written(book, "汇总表")
    names = [r[1] for r in summary if isinstance(r[0], int)]
    assert names, "no enterprise in 汇总表"
    issues = _written(book, "问题清单")
    assert any(r[2] == "file_unreadable" and r[3] == "missing.xlsx" for r in issues)
    assert "已汇总 4 个文件（拒收 1 个）" in _actions(book, "alert")[-1]["args"][0]
    # and the printable 附表 beside the workbook holds the same enterprises
    part1 = summary[:next(i for i, r in enumerate(summary) if r[0] == "合计")]
    printable = openpyxl.load_workbook(tmp_path / "沧州市汇总表.xlsx")["汇总表（一）"]
    printed = [r[1] for r in printable.iter_rows(min_row=5, values_only=True) if isinstance(r[0], (int, float))]
    assert printed == [r[1] for r in part1 if isinstance(r[0], int)] and printed
    assert "沧州市汇总表.xlsx" in _actions(book, "alert")[-1]["args"][0]


def test_report_button_writes_the_docx_beside_the_workbook(tmp_path, monkeypatch):
    from docx import Document

    from xl_addin.excel import buttons

    monkeypatch.chdir(tmp_path)        # the remote engine's book has no folder: "beside" is the cwd
    book = remote_book(MASTER, {"表1": GOOD_T1, "表2": GOOD_T2})
    path = buttons.report()
    assert Path(path).resolve() == (tmp_path / "沧州市推荐报告.docx").resolve()
    text = "\n".join(p.text for p in Document(path).paragraphs)
    assert "沧州" in text
    assert "已生成推荐报告" in _actions(book, "alert")[-1]["args"][0]


def test_a_handler_failure_is_a_chinese_message_not_a_traceback():
    from xl_addin.excel import buttons

    book = remote_book(MASTER, {"表1": GOOD_T1}, drop=("问题清单",))
    assert buttons.validate() is None
    message = _actions(book, "alert")[-1]["args"][0]
    assert message.startswith("操作未完成") and "缺少工作表：问题清单" in message


# --- the county template round-trips --------------------------------------------------

def test_county_template_filled_with_openpyxl_consolidates_without_issues(tmp_path):
    wb = openpyxl.load_workbook(COUNTY)
    rows = {"表1": GOOD_T1 + [t1_row("任丘丁公司", RQ, RQ_CLUSTER, TOP3, "检验检测1：三坐标", unit=55, total=55)],
            "表2": GOOD_T2}
    for sheet, data in rows.items():
        for r, row in enumerate(data):
            for c, v in enumerate(row):
                wb[sheet].cell(4 + r, c + 1, v)
    filled = tmp_path / "任丘市.xlsx"
    wb.save(filled)
    out = tmp_path / "SUMMARY.xlsx"
    proc = subprocess.run([sys.executable, "-m", "xl_addin.cli", "consolidate", str(filled), "--out", str(out),
                           "--json", str(tmp_path / "REPORT.json")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads((tmp_path / "REPORT.json").read_text(encoding="utf-8"))
    assert report["issues"] == []
    assert report["summary"] == {"units": 3, "projects": 3, "innovation_projects": 2, "equity_projects": 1}
    assert report["inputs"][0]["rows_read"] == 4 and report["inputs"][0]["rows_accepted"] == 4


# --- print: both workbooks convert to PDF, table sheets on A4 landscape ---------------

@pytest.mark.skipif(not shutil.which("soffice") or not shutil.which("pdftotext"),
                    reason="LibreOffice (soffice) or poppler-utils not installed (.ci/run installs them)")
def test_workbooks_print_on_a4_landscape_with_the_header_on_every_page(tmp_path):
    from xl_addin.render.office import convert

    wb = openpyxl.load_workbook(COUNTY)
    long = [t1_row(f"企业{i:03d}", RQ, RQ_CLUSTER, LEADER, f"研发{i}：设备", unit=30, total=60) for i in range(150)]
    for r, row in enumerate(long):
        for c, v in enumerate(row):
            wb["表1"].cell(4 + r, c + 1, v)
    filled = tmp_path / "county_filled.xlsx"
    wb.save(filled)
    for source in (filled, MASTER):
        copy = tmp_path / source.name
        if source != copy:
            shutil.copy(source, copy)
        pdf = convert(copy, "pdf", tmp_path / f"pdf_{source.stem}")
        pages = _pdf_pages(pdf)
        tables = [p for p in pages if "安装位置" in p["text"] or "退出方式" in p["text"]]
        assert len(tables) >= 2
        for page in tables:
            assert page["size"] == "841.89 x 595.304 pts (A4)", page["size"]    # A4 landscape
    # the filled 表1 spans several pages; its header is printed on each
    pages = _pdf_pages(tmp_path / "pdf_county_filled" / "county_filled.pdf")
    table1 = [p["text"] for p in pages if "企业0" in p["text"] or "企业1" in p["text"]]
    assert len(table1) >= 3
    for text in table1:
        assert "购置设备名称种类金额" in text and "申报重点特色产业集群创新发展项目" in text


def _pdf_pages(pdf: Path) -> list[dict]:
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "9999", str(pdf)], capture_output=True, text=True).stdout
    sizes = [ln.split("size:")[1].strip() for ln in info.splitlines() if ln.startswith("Page") and "size:" in ln]
    texts = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout.split("\f")
    return [{"size": size, "text": text} for size, text in zip(sizes, texts)]


def test_a_share_typed_as_percent_in_excel_counts_as_that_percent():
    """Typing "5%" into Excel stores 0.05 in a percent-formatted cell. The COM engine (Windows
    Excel, not available here) reports each cell's number format; a minimal stand-in for its
    Sheet gives the formats, and the core then reads 0.05 as 5 %."""
    from xl_addin.excel import buttons

    class Cell:
        def __init__(self, fmt):
            self.number_format = fmt

    class Sheet:
        name = "表2"

        def __init__(self, formats):
            self.formats = formats

        def range(self, cell):
            return Cell(self.formats.get(cell, "General"))

    header = {2: ["企业名称", "所在地市", "所在县(市、区）", "所属集群", "股权投资机构名称", "签订股权协议时间", "投资金额",
                  "占股比例%"]}
    rows = {**header, 3: ["甲", "沧州", RQ, RQ_CLUSTER, "1.基金", dt.datetime(2023, 5, 8), 1000.0, 0.05],
            4: [None, None, None, None, "2.基金", dt.datetime(2023, 6, 8), 500.0, 0.5],
            5: [None, None, None, None, "3.基金", dt.datetime(2023, 7, 8), 500.0, 7.0]}
    found = buttons.percent_cells(Sheet({(4, 8): "0.00%"}), rows)
    assert found == {(3, 7)}                      # 0.05 in a "0.00%" cell; 0.5 is "General"; 7 needs no look
    from xl_addin.consolidate.pipeline import run
    from xl_addin.read.grid import SheetGrid, WorkbookData

    report = run([], books={"master.xlsm": WorkbookData([SheetGrid("表2", rows, percent_cells=found)])})
    (ent,) = report.enterprises["table2"]
    assert [r["占股比例%"] for r in ent.rows] == [5.0, 0.5, 7.0]


def test_ledger_buttons_import_lists_record_the_round_and_the_checks_use_it(tmp_path, monkeypatch):
    """导入名单 and 记录获批轮次 write 台账.sqlite beside the workbook; 校验 then uses it."""
    from xl_addin.excel import buttons
    from xl_addin.ledger import Ledger

    monkeypatch.chdir(tmp_path)        # the remote engine's book has no folder: "beside" is the cwd
    listed = tmp_path / "2024年领跑者企业名单.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["序号", "企业名称"])
    wb.active.append([1, "沧州任丘甲公司"])
    wb.save(listed)
    book = remote_book(MASTER, {"_files": [[str(listed)]]})
    assert buttons.import_lists() == ["2024年领跑者企业名单.xlsx：“领跑者”企业名单 1 行"]
    assert Ledger.open(tmp_path / "台账.sqlite").show()["lists"] == {"leaders": [{"year": 2024, "rows": 1}]}
    book = remote_book(MASTER, {"表1": GOOD_T1 + [t1_row("未认定公司", RQ, RQ_CLUSTER, LEADER)], "表2": GOOD_T2})
    report = buttons.validate()
    assert [(i.code, i.cell) for i in report.issues] == [("leader_not_registered", "D6")]
    assert buttons.record_round(book) is None            # no summary beside the workbook yet
    from xl_addin.consolidate.pipeline import run
    from xl_addin.render.summary_xlsx import write_summary
    county = tmp_path / "任丘市.xlsx"
    from builders import T2, Sheet, write
    write(county, [Sheet("表2", [T2, GOOD_T2[0]])])
    write_summary(run([county]), tmp_path / "沧州市汇总表.xlsx")
    assert buttons.record_round(book) == {"equity": 1, "invoices": 0, "pool": 0}
    assert "2026 年度获批轮次" in _actions(book, "alert")[-1]["args"][0]
