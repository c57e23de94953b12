"""Eligibility checks and the ledger: optional invoice and credit-code columns, the top-3
quota, lists imported from real files, earlier rounds recorded, and the ledger's integrity."""
from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest
from builders import HJ, HJ_CLUSTER, LEADER, RQ, RQ_CLUSTER, T1, T2, TOP3, Sheet, t1_row, t2_row, write
from click.testing import CliRunner
from stdnum.cn import uscc

from xl_addin.cli import main
from xl_addin.consolidate.pipeline import run
from xl_addin.ledger import Ledger

T1X = T1 + ["发票号码", "发票开具日期", "统一社会信用代码"]
T2X = T2 + ["统一社会信用代码"]
VALID = "91110000600037341L"                    # python-stdnum's own example
BAD_DIGIT = "91110000600037342L"                 # the same code with a wrong check digit


def code(n: int) -> str:
    body = f"91130100MA0C{n:04d}X"[:17]
    return body + uscc.calc_check_digit(body)


def t1x(name=None, county=None, cluster=None, category=None, invoice="FP001", day=dt.date(2025, 3, 1),
        credit=None, **kw):
    return t1_row(name, county, cluster, category, **kw) + [invoice, day, credit]


def invoke(*args):
    res = CliRunner().invoke(main, [str(a) for a in args])
    return res


def test_stdnum_examples_and_check_digit_errors():
    from xl_addin.normalize.codes import uscc as read
    assert read(VALID) == VALID and read("9111 0000 6000 3734 1l") == VALID
    assert read(BAD_DIGIT) is None and read("91110000600037341") is None and read("") is None


def test_new_codes_at_their_cells(tmp_path):
    path = write(tmp_path / "任丘.xlsx", [Sheet("表1", [
        T1X,
        t1x("甲公司", RQ, RQ_CLUSTER, LEADER, credit=VALID),                                     # 2 ok
        t1x("乙公司", RQ, RQ_CLUSTER, LEADER, invoice="FP009", day=dt.date(2024, 7, 31), credit=code(2)),  # 3 window
        t1x("丙公司", RQ, RQ_CLUSTER, LEADER, invoice="FP010", day="去年", credit=BAD_DIGIT),      # 4 invalid date, uscc
        t1x("丁公司", RQ, RQ_CLUSTER, LEADER, invoice="FP001", credit=code(4)),                     # 5 甲's invoice
        t1x(equipment="研发2：色谱仪", invoice="FP001"),                                           # 6 丁's second row
    ]), Sheet("表2", [T2X, t2_row("戊公司", "沧州", HJ, HJ_CLUSTER) + [VALID]])])
    report = run([path])
    got = [(i.code, i.cell) for i in report.issues]
    assert got == [("invoice_duplicate", "J2"), ("invoice_date_outside_window", "K3"),
                   ("invoice_date_invalid", "K4"), ("uscc_invalid", "L4"),
                   ("invoice_duplicate", "J5"), ("invoice_duplicate", "J6")]
    assert "丁公司" in report.issues[0].message and "甲公司" in report.issues[4].message
    # the same credit code in Table 1 and Table 2 is one enterprise with two projects, not a duplicate
    assert [e.name for e in report.enterprises["table2"]] == ["戊公司"]
    # the optional columns never reach the official 附表
    from xl_addin.render.summary_xlsx import write_summary
    ws = openpyxl.load_workbook(write_summary(report, tmp_path / "S.xlsx"))["汇总表（一）"]
    assert [c.value for c in ws[4]][-1] == "总价"


def test_one_credit_code_under_two_names_in_two_inputs_is_a_duplicate(tmp_path):
    a = write(tmp_path / "a.xlsx", [Sheet("表1", [T1X, t1x("甲公司", RQ, RQ_CLUSTER, LEADER, credit=VALID)])])
    b = write(tmp_path / "b.xlsx", [Sheet("表1", [T1X, t1x("甲有限公司", HJ, HJ_CLUSTER, LEADER, invoice="X9",
                                                          credit=VALID)])])
    report = run([a, b])
    assert [(Path(i.path).name, i.code, i.cell) for i in report.issues] == [
        ("a.xlsx", "duplicate_enterprise", "L2"), ("b.xlsx", "duplicate_enterprise", "L2")]


def test_top3_quota_goes_on_every_claimant(tmp_path):
    rows = [T1] + [t1_row(f"前三{n}公司", RQ, RQ_CLUSTER, TOP3) for n in range(4)] + \
        [t1_row("领跑公司", RQ, RQ_CLUSTER, LEADER), t1_row("别的集群公司", RQ, "任丘电子通讯设备产业集群", TOP3)]
    report = run([write(tmp_path / "a.xlsx", [Sheet("表1", rows)])])
    flagged = [i for i in report.issues if i.code == "top3_over_quota"]
    assert [(i.row, i.cell) for i in flagged] == [(r, f"D{r}") for r in range(2, 6)]
    assert "前三1公司、前三2公司、前三3公司" in flagged[0].message and "4 家" in flagged[0].message
    assert {e.name for e in report.enterprises["table1"]} == {"领跑公司", "别的集群公司"}


@pytest.fixture
def ledger_files(tmp_path):
    leaders_xlsx = write(tmp_path / "领跑者名单.xlsx", [Sheet("名单", [
        ["2024年度“领跑者”企业名单"], ["序号", "企业名称", "统一社会信用代码", "所属集群"],
        [1, "任丘甲机械有限公司", VALID, RQ_CLUSTER], [2, "河间乙有限公司", None, HJ_CLUSTER],
        ["注：以省工业和信息化厅公布为准"]])])
    funds_csv = tmp_path / "基金管理人.csv"
    funds_csv.write_bytes("序号,私募基金管理人名称,登记编号\n1,冀财基金管理有限公司,P1000001\n".encode("gbk"))
    return leaders_xlsx, funds_csv


def test_lists_from_xlsx_and_gbk_csv_decide_leaders_and_funds(tmp_path, ledger_files):
    leaders, funds = ledger_files
    db = tmp_path / "台账.sqlite"
    assert invoke("ledger", "import-leaders", db, leaders, "--year", "2024").exit_code == 0
    assert invoke("ledger", "import-funds", db, funds).exit_code == 0
    path = write(tmp_path / "in.xlsx", [Sheet("表1", [
        T1X,
        t1x("任丘甲机械有限公司 （改名）", RQ, RQ_CLUSTER, LEADER, credit=VALID),       # 2 on the list by its code
        t1x("河间乙有限公司", HJ, HJ_CLUSTER, LEADER, invoice="FP2"),                  # 3 on the list by its name
        t1x("未认定公司", RQ, RQ_CLUSTER, LEADER, invoice="FP3", credit=code(7)),      # 4 not on the list
    ]), Sheet("表2", [T2, t2_row("丙公司", "沧州", HJ, HJ_CLUSTER, "1.冀财基金管理有限公司"),
                      t2_row(investor="2.某某资本")])])
    out = tmp_path / "R.json"
    res = invoke("validate", path, "--ledger", db, "--json", out)
    data = json.loads(out.read_text("utf-8"))
    got = [(i["code"], i["cell"]) for i in data["issues"]]
    assert got == [("leader_not_registered", "D4"), ("investor_not_registered", "E3")]
    assert res.exit_code == 1
    assert data["checks_skipped"] == ["invoice_already_used", "equity_already_supported"]   # no round recorded
    assert "未进行的检查" in res.output
    info = Ledger.open(db).show()
    assert info["lists"] == {"funds": [{"year": None, "rows": 1}], "leaders": [{"year": 2024, "rows": 2}]}


def _round(tmp_path, name: str, year_rows: list, invoice: str) -> Path:
    return write(tmp_path / name, [Sheet("表1", [T1X, t1x("甲公司", RQ, RQ_CLUSTER, LEADER, invoice=invoice,
                                                            credit=VALID)]),
                                   Sheet("表2", [T2, *year_rows])])


def test_a_recorded_round_flags_the_next_one(tmp_path):
    db = tmp_path / "台账.sqlite"
    r2025 = _round(tmp_path / "2025", "a.xlsx", [t2_row("乙公司", "沧州", HJ, HJ_CLUSTER, "1.冀财基金",
                                                        date=dt.date(2023, 5, 8))], "FP-2025-1")
    rep = tmp_path / "2025.json"
    assert invoke("consolidate", r2025, "--out", tmp_path / "S25.xlsx", "--json", rep).exit_code == 0
    assert invoke("ledger", "record", db, rep, "--round", "2025").exit_code == 0
    assert invoke("ledger", "record", db, rep, "--round", "2025").exit_code == 0     # again: replaced, not doubled
    assert [(r["year"], r["equity"], r["invoices"]) for r in Ledger.open(db).show()["rounds"]] == [(2025, 1, 1)]
    r2026 = _round(tmp_path / "2026", "b.xlsx", [t2_row("乙公司", "沧州", HJ, HJ_CLUSTER, "1.冀财基金",
                                                        date=dt.date(2023, 5, 8)),
                                                 t2_row(investor="2.新基金", date=dt.date(2024, 1, 2))], "fp-2025-1")
    out = tmp_path / "R26.json"
    invoke("consolidate", r2026, "--out", tmp_path / "S26.xlsx", "--json", out, "--ledger", db)
    data = json.loads(out.read_text("utf-8"))
    assert [(i["code"], i["cell"]) for i in data["issues"]] == [
        ("invoice_already_used", "J2"), ("equity_already_supported", "E2")]
    assert "2025 年度" in data["issues"][1]["message"]
    # the 2025 round itself, consolidated again: only earlier rounds count
    rules = tmp_path / "rules2025.toml"
    from importlib import resources
    rules.write_text(resources.files("xl_addin.data").joinpath("rules.toml").read_text("utf-8")
                     .replace("year = 2026", "year = 2025"), "utf-8")
    out25 = tmp_path / "R25b.json"
    invoke("consolidate", r2025, "--out", tmp_path / "S25b.xlsx", "--json", out25, "--ledger", db, "--rules", rules)
    assert json.loads(out25.read_text("utf-8"))["issues"] == []


def test_files_that_are_not_ledgers_are_refused_untouched(tmp_path):
    text = tmp_path / "notes.sqlite"
    text.write_text("这不是数据库", "utf-8")
    newer = tmp_path / "newer.sqlite"
    db = sqlite3.connect(newer)
    db.execute("PRAGMA user_version = 99")
    db.execute("CREATE TABLE x (a)")
    db.commit()
    db.close()
    other = tmp_path / "other.sqlite"
    db = sqlite3.connect(other)
    db.execute("CREATE TABLE customers (a)")
    db.commit()
    db.close()
    broken = tmp_path / "broken.sqlite"
    broken.write_bytes(b"SQLite format 3\x00" + os.urandom(3000))
    for path, words in ((text, "不是台账文件"), (newer, "更新版本"), (other, "不是 xl_addin 的台账"), (broken, "损坏")):
        before = path.read_bytes()
        res = subprocess.run([sys.executable, "-m", "xl_addin.cli", "ledger", "show", str(path)],
                             capture_output=True, text=True)
        assert res.returncode == 2 and words in res.stderr, (path.name, res.stderr)
        assert path.read_bytes() == before


KILLER = """
import sys
from xl_addin.ledger import Ledger
ledger = Ledger.open(sys.argv[1])
n = 0
while True:
    n += 1
    rows = [{"name": f"企业{n}-{i}", "uscc": None} for i in range(3000)]
    ledger.import_list("leaders", rows, 2024)
    print(n, flush=True)
"""


def test_a_kill_during_import_leaves_the_ledger_whole(tmp_path):
    db = tmp_path / "台账.sqlite"
    ledger = Ledger.open(db)
    ledger.import_list("leaders", [{"name": "初始企业"}], 2024)
    ledger.close()
    rng = random.Random(7)
    for _ in range(6):
        proc = subprocess.Popen([sys.executable, "-c", KILLER, str(db)], stdout=subprocess.PIPE, text=True)
        time.sleep(rng.uniform(0.3, 1.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        check = sqlite3.connect(db)
        assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        counts = check.execute("SELECT COUNT(*), COUNT(DISTINCT substr(name, 1, instr(name, '-'))) FROM lists").fetchone()
        check.close()
        assert counts[0] in (1, 3000)          # the previous list whole, or the new one whole
        assert Ledger.open(db).show()["lists"]["leaders"][0]["rows"] == counts[0]


def test_two_processes_read_at_once(tmp_path, ledger_files):
    leaders, _ = ledger_files
    db = tmp_path / "台账.sqlite"
    invoke("ledger", "import-leaders", db, leaders, "--year", "2024")
    procs = [subprocess.Popen([sys.executable, "-m", "xl_addin.cli", "ledger", "show", str(db)],
                              stdout=subprocess.PIPE, text=True) for _ in range(4)]
    outs = [p.communicate()[0] for p in procs]
    assert all(p.returncode == 0 for p in procs) and all("2024年 2 行" in o for o in outs)


def test_materials_sheet_lists_each_enterprises_documents_with_a_dropdown(tmp_path):
    path = write(tmp_path / "a.xlsx", [Sheet("表1", [T1, t1_row("领跑公司", RQ, RQ_CLUSTER, LEADER),
                                                   t1_row("前三公司", RQ, RQ_CLUSTER, TOP3)]),
                                       Sheet("表2", [T2, t2_row("股权公司", "沧州", HJ, HJ_CLUSTER)])])
    from xl_addin.render.summary_xlsx import write_summary
    out = write_summary(run([path]), tmp_path / "S.xlsx")
    ws = openpyxl.load_workbook(out)["材料核对"]
    header = [c.value for c in ws[2]]
    rows = {r[1]: dict(zip(header, r)) for r in ws.iter_rows(min_row=3, values_only=True)}
    rank = next(h for h in header if h and "排名前3证明" in h)
    agreement = next(h for h in header if h and "股权投资协议" in h)
    assert rows["前三公司"][rank] is None and rows["领跑公司"][rank] == "不适用"    # only 营收前三 needs it
    assert rows["股权公司"][agreement] is None and rows["领跑公司"][agreement] == "不适用"
    assert any("营业执照" in h for h in header if h)
    (dv,) = ws.data_validations.dataValidation
    assert dv.formula1 == '"已收,缺,不适用"' and str(dv.sqref).startswith("F3")
    from xl_addin.render.docx_declarations import build_declaration
    from xl_addin.declare.rules import load_rules
    from xl_addin.declare.spec import load_specs
    doc = build_declaration("前三公司", {"table1": {"category": "营收前三", "items": [{}]}}, load_rules(), load_specs())
    assert any("排名前3证明" in p.text for p in doc.paragraphs)


RECORDER = """
import sys
from xl_addin.ledger import Ledger
from xl_addin.declare.spec import load_specs
ledger, specs = Ledger.open(sys.argv[1]), load_specs()
items = [{"股权投资机构名称": f"基金{i}", "签订股权协议时间": "2023-05-08"} for i in range(3000)]
data = {"table2": {"enterprises": [{"name": "甲公司", "items": items}]}}
while True:
    ledger.record(data, 2025, specs)
"""


def test_a_kill_during_record_leaves_the_round_whole(tmp_path):
    db = tmp_path / "台账.sqlite"
    Ledger.open(db).close()
    rng = random.Random(11)
    for _ in range(5):
        proc = subprocess.Popen([sys.executable, "-c", RECORDER, str(db)])
        time.sleep(rng.uniform(0.5, 1.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        check = sqlite3.connect(db)
        assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = check.execute("SELECT COUNT(*) FROM equity").fetchone()[0]
        rounds = check.execute("SELECT equity FROM rounds").fetchall()
        check.close()
        assert (rows, rounds) in ((0, []), (3000, [(3000,)]))     # nothing, or the round whole
