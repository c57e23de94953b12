"""File-level rejections, the command-line contract (exit codes, REPORT.json) and the demo."""
import json
import subprocess
import sys
import zipfile

import pytest
from builders import HJ, HJ_CLUSTER, LEADER, RQ, RQ_CLUSTER, T1, T2, Sheet, t1_row, t2_row, write
from click.testing import CliRunner

from xl_addin.cli import main
from xl_addin.consolidate.pipeline import run


def good(tmp_path, name="good.xlsx"):
    return write(tmp_path / name, [Sheet("表1", [T1, t1_row("甲公司", RQ, RQ_CLUSTER, LEADER)]),
                                   Sheet("表2", [T2, t2_row("乙公司", "沧州", HJ, HJ_CLUSTER)])])


def encrypted(tmp_path):
    from msoffcrypto.format.ooxml import OOXMLFile
    src = good(tmp_path, "plain.xlsx")
    out = tmp_path / "locked.xlsx"
    with open(src, "rb") as f, open(out, "wb") as o:
        OOXMLFile(f).encrypt("123456", o)
    src.unlink()
    return out


@pytest.mark.parametrize("name,content,reason,says", [
    ("html.xls", b"<html><body><table><tr><td>1</td></tr></table></body></html>", "file_unreadable", "网页"),
    ("csv.xls", "企业名称,总价\n甲公司,60\n".encode("gb18030"), "file_unreadable", "CSV"),
    ("empty.xlsx", b"", "file_unreadable", "空"),
    ("truncated.xlsx", None, "file_unreadable", "损坏"),
    ("word.xlsx", None, "file_unreadable", "Word"),
    ("noise.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "file_unreadable", ".xls"),
    ("notable.xlsx", None, "table_not_found", "表头"),
])
def test_bad_files_are_rejected_with_a_reason(tmp_path, name, content, reason, says):
    path = tmp_path / name
    if name == "truncated.xlsx":
        data = good(tmp_path, "whole.xlsx").read_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif name == "word.xlsx":
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("word/document.xml", "<w:document/>")
    elif name == "notable.xlsx":
        write(path, [Sheet("说明", [["请按模板填写"], ["联系人", "张三"]])])
    else:
        path.write_bytes(content)
    report = run([path, good(tmp_path)])
    bad = report.inputs[[i.path for i in report.inputs].index(str(path))]
    assert (bad.status, bad.reason, bad.rows_read) == ("rejected", reason, 0)
    (issue,) = [i for i in report.issues if i.path == str(path)]
    assert issue.code == reason and says in issue.message
    assert len(report.enterprises["table1"]) == 1  # the run went on


def test_encrypted_workbook_is_rejected(tmp_path):
    report = run([encrypted(tmp_path)])
    assert [(i.status, i.reason) for i in report.inputs] == [("rejected", "file_encrypted")]


def test_validate_exit_codes_and_report_json(tmp_path):
    runner = CliRunner()
    ok = runner.invoke(main, ["validate", str(good(tmp_path)), "--json", str(tmp_path / "r.json")])
    assert ok.exit_code == 0, ok.output
    data = json.loads((tmp_path / "r.json").read_text("utf-8"))
    assert {"inputs", "issues", "table1", "table2", "summary"} <= set(data)
    assert data["excluded"] == [] and data["city"] == "沧州"
    assert data["inputs"][0] == {"path": str(tmp_path / "good.xlsx"), "status": "ok", "reason": None,
                                 "rows_read": 2, "rows_accepted": 2, "rows_rejected": 0}
    ent = data["table1"]["enterprises"][0]
    assert (ent["name"], ent["county"], ent["cluster"], ent["category"], ent["rows"], ent["total"], ent["subsidy"]) == \
        ("甲公司", RQ, RQ_CLUSTER, "领跑者", 1, 60.0, 12.0)
    eq = data["table2"]["enterprises"][0]
    assert (eq["name"], eq["city"], eq["county"], eq["total"], eq["subsidy"]) == ("乙公司", "沧州", HJ, 1000.0, 20.0)
    assert data["summary"] == {"units": 2, "projects": 2, "innovation_projects": 1, "equity_projects": 1}

    bad = write(tmp_path / "bad.xlsx", [Sheet("表1", [T1, t1_row("丙公司", RQ, "无此集群", LEADER)])])
    res = runner.invoke(main, ["validate", str(bad), "--json", str(tmp_path / "b.json")])
    assert res.exit_code == 1
    issue = json.loads((tmp_path / "b.json").read_text("utf-8"))["issues"][0]
    assert {k: issue[k] for k in ("sheet", "row", "column", "code", "severity")} == \
        {"sheet": "表1", "row": 2, "column": "所属集群", "code": "cluster_unknown", "severity": "error"}
    assert "cluster_unknown" in res.output and "表1!C2" in res.output
    assert json.loads((tmp_path / "b.json").read_text("utf-8"))["excluded"] == [
        {"table": "table1", "name": "丙公司", "source": str(bad), "rows": 1, "reasons": ["cluster_unknown"]}]

    html = tmp_path / "only.xls"
    html.write_bytes(b"<html></html>")
    assert runner.invoke(main, ["validate", str(html)]).exit_code == 2      # nothing could be read
    assert runner.invoke(main, ["validate", str(tmp_path / "missing.xlsx")]).exit_code == 2
    empty = tmp_path / "empty_dir"
    empty.mkdir()
    assert runner.invoke(main, ["validate", str(empty)]).exit_code == 2
    assert runner.invoke(main, ["validate"]).exit_code == 2


def test_folder_inputs_are_expanded_and_lock_files_skipped(tmp_path):
    folder = tmp_path / "报表"
    good(folder, "a.xlsx")
    write(folder / "sub" / "b.xlsx", [Sheet("表1", [T1, t1_row("丁公司", HJ, HJ_CLUSTER, LEADER)])])
    (folder / "~$a.xlsx").write_bytes(b"lock")
    (folder / "说明.docx").write_bytes(b"not excel")
    report = run([folder])
    assert [i.path for i in report.inputs] == [str(folder / "a.xlsx"), str(folder / "sub" / "b.xlsx")]


def test_every_command_has_chinese_help():
    runner = CliRunner()
    for command in ("validate", "consolidate", "demo"):
        res = runner.invoke(main, [command, "--help"])
        assert res.exit_code == 0 and any("\u4e00" <= ch <= "\u9fff" for ch in res.output), command


def test_demo_console_script_builds_and_consolidates(tmp_path):
    res = subprocess.run([sys.executable, "-m", "xl_addin.cli", "demo", "--out", str(tmp_path / "demo")],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    data = json.loads((tmp_path / "demo" / "REPORT.json").read_text("utf-8"))
    found = {i["code"] for i in data["issues"]}
    assert {"below_threshold", "production_equipment_not_leader", "cluster_county_mismatch",
            "agreement_date_too_early", "amount_unit_suspect", "duplicate_enterprise"} <= found
    assert all(i["rows_read"] == i["rows_accepted"] + i["rows_rejected"] for i in data["inputs"])
    assert (tmp_path / "demo" / "SUMMARY.xlsx").exists()
    assert "SUMMARY.xlsx" in res.stdout


def test_console_script_ends_a_run_with_its_exit_code_and_all_output(tmp_path):
    """After a run the console script ends without the interpreter's teardown (cli.entry):
    the exit code, the printed lines and the files written must all still be there."""
    bad = write(tmp_path / "bad.xlsx", [Sheet("表1", [T1, t1_row("丙公司", RQ, RQ_CLUSTER, "不存在的类别")])])
    cli = [sys.executable, "-m", "xl_addin.cli"]
    res = subprocess.run([*cli, "consolidate", str(good(tmp_path)), str(bad), "--out", str(tmp_path / "S.xlsx"),
                          "--json", str(tmp_path / "R.json")], capture_output=True, text=True, timeout=120)
    assert res.returncode == 1, res.stderr
    assert res.stdout.rstrip().endswith(f"结果文件：{tmp_path / 'R.json'}")
    assert any(i["severity"] == "error" for i in json.loads((tmp_path / "R.json").read_text("utf-8"))["issues"])
    assert zipfile.ZipFile(tmp_path / "S.xlsx").testzip() is None
    res = subprocess.run([*cli, "validate", str(good(tmp_path, "g2.xlsx"))], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0 and "错误 0" in res.stdout, res.stdout + res.stderr
    res = subprocess.run([*cli, "validate", str(tmp_path / "none.xlsx")], capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and "找不到文件" in res.stderr
