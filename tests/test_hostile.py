"""Hostile and broken inputs: nothing lost, nothing executed, nothing corrupted."""
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from builders import HJ, HJ_CLUSTER, LEADER, RQ, RQ_CLUSTER, T1, T2, Sheet, make_xlsm, t1_row, t2_row, write
from docx import Document
from hostile import billion_laughs, million_rows

from xl_addin.consolidate.pipeline import run
from xl_addin.render.summary_xlsx import write_summary

MEASURE = ("import resource, subprocess, sys, time; t = time.monotonic(); "
           "p = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
           "print(time.monotonic() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024, p.returncode)")


def measured_validate(tmp_path, *files):
    """Run `xl-addin validate` in a child process: (seconds, peak MB, exit code, REPORT.json)."""
    report = tmp_path / "r.json"
    out = subprocess.run([sys.executable, "-c", MEASURE, sys.executable, "-m", "xl_addin.cli", "validate",
                          *map(str, files), "--json", str(report)], capture_output=True, text=True, timeout=300)
    seconds, mb, code = out.stdout.split()
    return float(seconds), int(mb), int(code), json.loads(report.read_text("utf-8"))


def write_with_xlsxwriter(path, sheets):
    """XlsxWriter stores any string as a string cell, control characters included (escaped)."""
    import datetime as dt

    import xlsxwriter
    wb = xlsxwriter.Workbook(str(path))
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                if isinstance(v, str):
                    ws.write_string(r, c, v)
                elif isinstance(v, dt.date):
                    ws.write_datetime(r, c, dt.datetime.combine(v, dt.time()), wb.add_format({"num_format": "yyyy-mm-dd"}))
                elif v is not None:
                    ws.write_number(r, c, v)
    wb.close()
    return path


def good(tmp_path, name="good.xlsx"):
    return write(tmp_path / name, [Sheet("表1", [T1, t1_row("甲公司", RQ, RQ_CLUSTER, LEADER)])])


def test_billion_laughs_is_rejected_fast_without_expanding(tmp_path):
    seconds, mb, code, data = measured_validate(tmp_path, billion_laughs(tmp_path / "laughs.xlsx"), good(tmp_path))
    assert [(i["status"], i["reason"]) for i in data["inputs"]] == [("ok", None), ("rejected", "file_unreadable")]
    assert "实体" in data["issues"][-1]["message"]
    assert seconds < 10 and mb < 500 and code == 1


def test_zip_bomb_is_rejected_fast_and_small(tmp_path):
    from hostile import zip_bomb
    bomb = zip_bomb(tmp_path / "bomb.xlsx")        # 300 MB of zeros in 300 KB on disk
    seconds, mb, code, data = measured_validate(tmp_path, bomb)
    assert [(i["status"], i["reason"]) for i in data["inputs"]] == [("rejected", "file_too_large")]
    assert seconds < 5 and mb < 500 and code == 2


def test_a_bomb_in_a_part_no_reader_opens_is_inert(tmp_path):
    """The guard streams only the parts a reader decompresses (workbook, relationships,
    strings, styles, sheets): 300 MB of zeros in docProps/ are never inflated, and the
    county's table is read as usual, in the time and memory of an ordinary file."""
    path = good(tmp_path)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as z, \
            z.open("docProps/custom.xml", "w", force_zip64=True) as fh:
        for _ in range(300):
            fh.write(b"\0" * (1 << 20))
    seconds, mb, code, data = measured_validate(tmp_path, path)
    assert [(i["status"], i["rows_accepted"]) for i in data["inputs"]] == [("ok", 1)]
    assert seconds < 10 and mb < 300


def test_sheet_with_a_million_value_rows_is_refused_in_bounded_time(tmp_path):
    seconds, mb, code, data = measured_validate(tmp_path, million_rows(tmp_path / "million.xlsx"))
    assert [(i["status"], i["reason"]) for i in data["inputs"]] == [("rejected", "file_too_large")]
    assert seconds < 30 and mb < 500


def test_a_lone_cell_at_row_one_million_is_read(tmp_path):
    path = tmp_path / "far.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in (T1, t1_row("甲公司", RQ, RQ_CLUSTER, LEADER)):
        ws.append(row)
    ws.cell(1_000_000, 9, 77)
    wb.save(path)
    seconds, mb, code, data = measured_validate(tmp_path, path)
    (inp,) = data["inputs"]
    assert (inp["status"], inp["rows_read"], inp["rows_accepted"]) == ("ok", 2, 1)
    assert [(i["code"], i["row"]) for i in data["issues"]][0] == ("required_missing", 1_000_000)
    assert seconds < 30 and mb < 500


@pytest.mark.parametrize("part", ["xl/vbaProject.bin", "xl/macrosheets/sheet1.xml"])
def test_macros_are_reported_and_never_run(tmp_path, part):
    path = make_xlsm(tmp_path / "macro.xlsm", [Sheet("表1", [T1, t1_row("甲公司", RQ, RQ_CLUSTER, LEADER)])])
    with zipfile.ZipFile(path, "a") as z:
        z.writestr(part, b"Attribute VB_Name = \"Module1\"\nSub Auto_Open()\nShell \"calc\"\nEnd Sub\n")
    report = run([path])
    assert [(i.code, i.severity, i.row) for i in report.issues] == [("input_has_macros", "warning", None)]
    assert (report.inputs[0].status, report.inputs[0].rows_accepted) == ("ok", 1)
    assert report.table1["total"] == 60.0


@pytest.mark.parametrize("engine", ["rust", "xlsxwriter"])
def test_untrusted_text_is_stored_as_text_everywhere(tmp_path, engine):
    long_text = "很长的用途说明" * 1000
    nasty = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "#REF!", "控制\x07字符\x1b[31m", long_text]
    rows = [T1]
    for n, text in enumerate(nasty):
        rows.append(t1_row(f"企业{n}", RQ, RQ_CLUSTER, LEADER, f"研发1：{text[:50]}", text, "一车间"))
    path = write_with_xlsxwriter(tmp_path / "nasty.xlsx", {
        "表1": rows, "表2": [T2, t2_row("=HYPERLINK(\"http://evil\")", "沧州", HJ, HJ_CLUSTER)]})
    report = run([path])
    assert report.inputs[0].rows_accepted == len(nasty) + 1
    codes = {(i.code, i.row) for i in report.issues}
    assert ("formula_text", 2) in codes and ("text_truncated", 8) in codes
    assert all("\x1b" not in i.message and len(i.message) < 400 for i in report.issues)

    summary = write_summary(report, tmp_path / "SUMMARY.xlsx", engine=engine)
    wb = openpyxl.load_workbook(summary)
    from xl_addin.render.summary_xlsx import REPORT_SHEET
    texts = [c for ws in wb for row in ws.iter_rows() for c in row if isinstance(c.value, str)
             and ws.title != REPORT_SHEET]        # the run's own result, compressed: not input text
    assert all(c.data_type == "s" for c in texts)
    values = {c.value for c in texts}
    assert {"=cmd|' /C calc'!A0", "+1+1", "@SUM(A1)", "#REF!", "=HYPERLINK(\"http://evil\")"} <= values
    assert "控制字符[31m" in values                                     # control characters removed
    assert max(len(v) for v in values) <= 2000                          # long text truncated
    from xl_addin.render.docx_report import write_report
    from xl_addin.declare.rules import load_rules
    doc = Document(str(write_report(report.to_dict(), load_rules(), "沧州", tmp_path / "r.docx")))
    cells = {c.text for t in doc.tables for row in t.rows for c in row.cells}
    assert "=cmd|' /C calc'!A0" in cells and "#REF!" in cells


KILL_CHILD = """
import sys
from xl_addin.consolidate.pipeline import run
from xl_addin.render.summary_xlsx import write_summary
report = run([sys.argv[1]])
print("ready", flush=True)
write_summary(report, sys.argv[2])
"""


def _parts(path) -> dict[str, bytes]:
    """Every part of the package but the creation timestamp: a complete file equal to the
    previous one (or to the same summary written again, if the kill came after the rename)."""
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}


def test_killing_the_writer_never_damages_the_previous_file(tmp_path):
    from xl_addin.examples import generate_city, write_county_workbook

    books = generate_city("沧州", seed=9, per_county=(20, 25))
    for b in books:
        write_county_workbook(b, tmp_path / "in" / b.filename)
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1767225600"}
    target = tmp_path / "out" / "SUMMARY.xlsx"
    subprocess.run([sys.executable, "-c", KILL_CHILD, str(tmp_path / "in"), str(target)], env=env, check=True,
                   capture_output=True)
    original = _parts(target)
    assert openpyxl.load_workbook(target)["汇总表（一）"]["A1"].value
    kills_during_write = 0
    for attempt in range(12):
        child = subprocess.Popen([sys.executable, "-c", KILL_CHILD, str(tmp_path / "in"), str(target)], env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert child.stdout.readline().strip() == "ready"
        time.sleep(0.01 * attempt)      # from 'just started' to 'well into the write'
        temps = list(target.parent.glob(".SUMMARY.*.tmp.xlsx"))
        child.send_signal(signal.SIGKILL)
        child.wait()
        kills_during_write += bool(temps)
        assert _parts(target) == original, f"damaged after kill {attempt}"
        for stale in target.parent.glob(".SUMMARY.*.tmp.xlsx"):
            stale.unlink()
    assert kills_during_write >= 3   # the test really hit the writer mid-write


def _xls_streams(tmp_path) -> bytes:
    """The BIFF8 Workbook stream of a real .xls (xlwt) holding one clean Table 1 row."""
    import olefile
    from builders import write_xls

    path = write_xls(tmp_path / "plain.xls", [Sheet("表1", [T1, t1_row("甲公司", RQ, RQ_CLUSTER, LEADER)])])
    with olefile.OleFileIO(str(path)) as ole:
        return ole.openstream("Workbook").read()


def test_legacy_xls_with_a_vba_project_is_read_as_data_and_flagged(tmp_path):
    """An .xls whose compound file carries _VBA_PROJECT_CUR (as Excel saves macro workbooks):
    the rows are read, the macros are reported, nothing runs."""
    from xl_addin.excel.cfb import write_compound_file
    from xl_addin.excel.vba import Module, project_streams

    vba = project_streams([Module("ThisWorkbook", "workbook", 'Private Sub Workbook_Open()\n    Shell "calc"\nEnd Sub'),
                           Module("Sheet1", "sheet", "")])
    streams = {"Workbook": _xls_streams(tmp_path), **{f"_VBA_PROJECT_CUR/{k}": v for k, v in vba.items()}}
    path = tmp_path / "宏.xls"
    path.write_bytes(write_compound_file(streams))
    report = run([path])
    assert [(i.status, i.rows_read, i.rows_accepted) for i in report.inputs] == [("ok", 1, 1)]
    assert [i.code for i in report.issues] == ["input_has_macros"]


def test_password_protected_legacy_xls_is_rejected_as_encrypted(tmp_path):
    """BIFF8 encryption: a FILEPASS record (RC4) right after the globals' BOF, as Excel writes it."""
    import struct

    from xl_addin.excel.cfb import write_compound_file

    data = _xls_streams(tmp_path)
    rtype, size = struct.unpack_from("<HH", data, 0)
    assert rtype == 0x0809                                   # BOF
    filepass = struct.pack("<HHHHH", 0x002F, 54, 1, 1, 1) + bytes(48)   # RC4, version 1.1, salt/verifier
    path = tmp_path / "有密码.xls"
    path.write_bytes(write_compound_file({"Workbook": data[:4 + size] + filepass + data[4 + size:]}))
    report = run([path])
    assert [(i.status, i.reason) for i in report.inputs] == [("rejected", "file_encrypted")]
    assert "密码" in report.issues[0].message


def test_legacy_xls_with_a_lone_utf16_surrogate_is_rejected_not_a_crash(tmp_path):
    """A string that is not valid UTF-16 (half a surrogate pair) in a .xls: the file is rejected
    with a reason, and nothing downstream (summary, JSON) ever sees an unencodable string."""
    from builders import write_xls

    path = write_xls(tmp_path / "ok.xls", [Sheet("表1", [T1, t1_row("甲乙丙丁公司", RQ, RQ_CLUSTER, LEADER)])])
    data, marker = path.read_bytes(), "甲乙丙丁".encode("utf_16_le")
    assert data.count(marker) == 1
    bad = tmp_path / "坏字符.xls"
    bad.write_bytes(data.replace(marker, "甲".encode("utf_16_le") + b"\x00\xd8" + "丙丁".encode("utf_16_le")))
    report = run([bad, path])
    assert {Path(i.path).name: (i.status, i.reason) for i in report.inputs} == {
        "ok.xls": ("ok", None), "坏字符.xls": ("rejected", "file_unreadable")}
    write_summary(report, tmp_path / "SUMMARY.xlsx")
    json.loads(report.to_json())


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_entity_definitions_in_the_workbook_part_reject_the_file(tmp_path, encoding):
    """workbook.xml is parsed before anything else: a DTD there (in any encoding the XML parser
    reads, where a byte search for "<!ENTITY" would miss it) rejects the file unexpanded."""
    from hostile import SHEET_HEAD, SHEET_TAIL, WORKBOOK, inline, package

    from xl_addin.consolidate.pipeline import run
    doctype = '<!DOCTYPE workbook [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    text = WORKBOOK.replace('encoding="UTF-8"?>', f'encoding="{encoding.upper()}"?>' + doctype)
    bad = package(tmp_path / "dtd.xlsx", [SHEET_HEAD, '<row r="1">', inline("A1", "x"), "</row>", SHEET_TAIL],
                  workbook=text.encode(encoding))
    report = run([bad, good(tmp_path)])
    assert [(i.status, i.reason) for i in report.inputs] == [("rejected", "file_unreadable"), ("ok", None)]
    assert "实体" in report.issues[0].message


def test_a_template_part_parsed_once_is_checked_again_when_its_bytes_differ(tmp_path):
    """The workbook and styles parts are parsed once per content (counties share a template):
    the same bytes come from the cache, a DTD added to them is parsed, and refused, every time."""
    from hostile import SHEET_HEAD, SHEET_TAIL, WORKBOOK, inline, package

    from xl_addin.read.grid import ReadError
    from xl_addin.read.xlsx_reader import _parsed, read_xlsx
    sheet = [SHEET_HEAD, '<row r="1">', inline("A1", "x"), "</row>", SHEET_TAIL]
    first = package(tmp_path / "a.xlsx", sheet)
    second = package(tmp_path / "b.xlsx", sheet)
    doctype = '<!DOCTYPE workbook [<!ENTITY a "aaaaaaaaaa">]>'
    bad = package(tmp_path / "dtd.xlsx", sheet, workbook=WORKBOOK.replace("?>", "?>" + doctype, 1).encode())
    _parsed.cache_clear()
    read_xlsx(first)
    misses = _parsed.cache_info().misses
    assert read_xlsx(second).sheets[0].rows == read_xlsx(first).sheets[0].rows
    assert _parsed.cache_info().misses == misses and _parsed.cache_info().hits >= 2
    for _ in range(2):
        with pytest.raises(ReadError, match="实体"):
            read_xlsx(bad)
    padded = WORKBOOK.replace("</workbook>", "<!--" + "x" * 300_000 + "--></workbook>")
    cached = _parsed.cache_info().currsize
    assert read_xlsx(package(tmp_path / "big.xlsx", sheet, workbook=padded.encode())).sheets
    assert _parsed.cache_info().currsize == cached          # a large part is parsed, never kept
