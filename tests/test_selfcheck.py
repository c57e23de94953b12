"""The county template checks itself (issue 18): the committed template is filled with
openpyxl, recalculated by LibreOffice headless (saved as .xlsx, which stores the computed
values) and read back with python-calamine. Its 校验提示 column must show, row for row, what
`xl-addin validate` reports for every check the formulas cover; its dropdowns narrow to the
row's county and city; it prints only its filled rows."""
import datetime as dt
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from builders import HJ, HJ_CLUSTER, LEADER, RQ, RQ_CLUSTER, TOP3, t1_row, t2_row
from xl_addin.excel.selfcheck import FUNCTIONS, RULES_SHEET
from xl_addin.render.office import convert, recalculate, soffice
from xl_addin.declare.reference import default_clusters

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "workbooks" / "county_template.xlsx"
FIRST = 4                       # the first entry row (title, 单位/count, header above)

pytestmark = pytest.mark.skipif(soffice() is None or shutil.which("pdftotext") is None,
                                reason="LibreOffice (soffice) or poppler-utils not installed (.ci/run installs them)")

INV = dt.date(2025, 3, 1)       # an invoice date inside the 2026 window


def inv(row, number=None, date=INV):
    return row + [number, date]


# Table 1: (rows of one enterprise block, the codes planted on its first row, or per row of the
# block as {offset: codes}) — clean blocks plant nothing. Every row is its own enterprise, so no case disturbs another's total.
T1_CASES = [
    ([t1_row(None, RQ, RQ_CLUSTER, LEADER, unit=30, total=60)], {"required_missing"}),      # no name, no block yet
    ([inv(t1_row("清洁甲公司", RQ, RQ_CLUSTER, LEADER, "研发1：光谱仪", unit=30, total=60), "A001"),
      inv(t1_row(None, None, None, None, "试验1：振动台", unit=20, total=40), "A002")], set()),
    ([t1_row("清洁乙公司", HJ, HJ_CLUSTER, TOP3, "检验检测1：三坐标", unit=55, total=55)], set()),
    ([t1_row("文本金额公司", RQ, RQ_CLUSTER, LEADER, unit="30万元", total="1,050")], set()),   # read as 30 and 1050
    ([t1_row("简称公司", "任丘", "任丘交通设备", LEADER, unit=30, total=60)], set()),    # short forms the reader reads
    ([t1_row("简称错县公司", "河间", "任丘交通设备", LEADER, unit=30, total=60)], {"cluster_county_mismatch"}),
    ([t1_row("凑整公司", RQ, RQ_CLUSTER, LEADER, unit=10.1, total=10.1),                        # 10.1 + 39.9 = 50
      t1_row(None, None, None, None, "试验1：台", unit=39.9, total=39.9)], set()),
    ([t1_row("缺县公司", None, RQ_CLUSTER, LEADER, unit=30, total=60)], {"required_missing"}),
    ([t1_row("缺集群公司", RQ, None, LEADER, unit=30, total=60)], {"required_missing"}),
    ([t1_row("类别错公司", RQ, RQ_CLUSTER, "其他企业", unit=30, total=60)], {"enterprise_category_invalid"}),
    ([t1_row("设备错公司", RQ, RQ_CLUSTER, LEADER, "办公电脑1：笔记本", unit=30, total=60)],
     {"equipment_category_invalid"}),
    ([t1_row("生产设备公司", RQ, RQ_CLUSTER, TOP3, "先进生产设备1：冲压线", unit=40, total=80)],
     {"production_equipment_not_leader"}),
    ([t1_row("单价错公司", RQ, RQ_CLUSTER, LEADER, unit="三十", total=60)], {"amount_invalid"}),
    ([t1_row("负价公司", RQ, RQ_CLUSTER, LEADER, unit=30, total=-60)], {"amount_invalid"}),
    ([t1_row("总价小公司", RQ, RQ_CLUSTER, LEADER, unit=60, total=55)], {"total_less_than_unit_price"}),
    ([t1_row("无此集群公司", RQ, "任丘火星产业集群", LEADER, unit=30, total=60)], {"cluster_unknown"}),
    ([t1_row("错县公司", RQ, HJ_CLUSTER, LEADER, unit=30, total=60)], {"cluster_county_mismatch"}),
    ([t1_row("门槛公司", RQ, RQ_CLUSTER, LEADER, unit=30, total=30)], {"below_threshold"}),
    # a block whose first row fails: the second row alone is below the threshold, shown there
    ([t1_row("半错公司", RQ, RQ_CLUSTER, LEADER, "电脑", unit=30, total=60),
      t1_row(None, None, None, None, "研发2：仪器", unit=20, total=20)],
     {0: {"equipment_category_invalid"}, 1: {"below_threshold"}}),
    ([t1_row("缺设备公司", RQ, RQ_CLUSTER, LEADER, None, unit=30, total=60)], {"required_missing"}),
    ([inv(t1_row("发票早公司", RQ, RQ_CLUSTER, LEADER, unit=30, total=60), "B1", dt.date(2024, 7, 31))],
     {"invoice_date_outside_window"}),
    ([inv(t1_row("发票末日公司", RQ, RQ_CLUSTER, LEADER, unit=30, total=60), "B3", dt.datetime(2025, 7, 31, 15, 30))],
     set()),                                                                   # the window's last day, afternoon
    ([inv(t1_row("发票错公司", RQ, RQ_CLUSTER, LEADER, unit=30, total=60), "B2", "不详")], {"invoice_date_invalid"}),
    ([t1_row("大额公司", RQ, RQ_CLUSTER, LEADER, unit=20000, total=20000)], {"amount_unit_suspect"}),
    ([t1_row("排放公司", RQ, RQ_CLUSTER, LEADER, "检验检测1：烟气在线监测仪", unit=30, total=60)],
     {"excluded_equipment_suspect"}),
    ([t1_row("倍数公司", RQ, RQ_CLUSTER, LEADER, unit=30, total=70)], {"total_not_multiple"}),
]

D = dt.date(2023, 5, 8)
T2_CASES = [
    ([t2_row("清洁丙公司", "沧州市", RQ, RQ_CLUSTER, "冀财基金", D, 1000, 5)], set()),
    ([t2_row("清洁丁公司", "沧州", HJ, HJ_CLUSTER, "冀财基金", D, 800, 10, dt.date(2025, 1, 1), "回购")], set()),
    ([t2_row("文本日期公司", "沧州市", RQ, RQ_CLUSTER, "冀财基金", "2023年5月8日", 800, "10%", "2025.1.1", "回购")],
     set()),
    ([t2_row("缺机构公司", "沧州市", RQ, RQ_CLUSTER, None, D, 1000, 5)], {"required_missing"}),
    ([t2_row("协议早公司", "沧州市", RQ, RQ_CLUSTER, "冀财基金", dt.date(2022, 8, 9), 1000, 5)],
     {"agreement_date_too_early"}),
    ([t2_row("协议错公司", "沧州市", RQ, RQ_CLUSTER, "冀财基金", "不详", 1000, 5)], {"agreement_date_invalid"}),
    ([t2_row("零股公司", "沧州市", RQ, RQ_CLUSTER, "冀财基金", D, 1000, 0)], {"share_out_of_range"}),
    ([t2_row("超股公司", "沧州市", RQ, RQ_CLUSTER, "冀财基金", D, 1000, 150)], {"share_out_of_range"}),
    ([t2_row("退出早公司", "沧州市", RQ, RQ_CLUSTER, "冀财基金", D, 1000, 5, dt.date(2023, 1, 1), "回购")],
     {"exit_before_agreement"}),
    ([t2_row("地市错公司", "保定市", RQ, RQ_CLUSTER, "冀财基金", D, 1000, 5)], {"city_county_mismatch"}),
    ([t2_row("无此市公司", "火星市", RQ, RQ_CLUSTER, "冀财基金", D, 1000, 5)], {"city_unknown"}),
    ([t2_row("集群县错公司", "沧州市", RQ, HJ_CLUSTER, "冀财基金", D, 1000, 5)], {"cluster_county_mismatch"}),
    ([t2_row("零投资公司", "沧州市", RQ, RQ_CLUSTER, "冀财基金", D, 0, 5)], {"amount_invalid"}),
]


def fill(path: Path, tables: dict[str, list], merge_blocks: bool = False) -> Path:
    """The committed template with rows typed in from row 4 (blocks as given); with
    merge_blocks, the enterprise cells of each block merged down, as officials often do."""
    wb = openpyxl.load_workbook(TEMPLATE)
    for sheet, blocks in tables.items():
        ws, r = wb[sheet], FIRST
        for rows in blocks:
            for k, row in enumerate(rows):
                for c, v in enumerate(row):
                    ws.cell(r + k, c + 1, v)
            if merge_blocks and len(rows) > 1:
                for c in range(1, 5):
                    ws.merge_cells(start_row=r, end_row=r + len(rows) - 1, start_column=c, end_column=c)
            r += len(rows)
    wb.save(path)
    return path


def sheet_values(path: Path, sheet: str) -> list[list]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()


def hints(path: Path, sheet: str) -> dict[int, set[str]]:
    """Row -> the messages its 校验提示 cell shows."""
    rows = sheet_values(path, sheet)
    col = rows[2].index("校验提示")
    return {r + 1: set(str(row[col]).split("；")) for r, row in enumerate(rows[3:], start=3)
            if len(row) > col and row[col] not in ("", None)}


def messages(path: Path) -> dict[str, str]:
    """sheet!code:field -> the message, from the template's hidden 校验规则 sheet."""
    rows = sheet_values(path, RULES_SHEET)
    return {row[4]: row[5] for row in rows[1:] if len(row) > 5 and row[4]}


def validate(path: Path, tmp: Path) -> list[dict]:
    out = tmp / f"{path.stem}.json"
    proc = subprocess.run([sys.executable, "-m", "xl_addin.cli", "validate", str(path), "--json", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(out.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def checked(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("selfcheck")
    filled = fill(tmp / "任丘市.xlsx", {"表1": [b for b, _ in T1_CASES], "表2": [b for b, _ in T2_CASES]},
                  merge_blocks=True)
    return tmp, filled, recalculate(filled, tmp / "recalc")


def _planted(cases):
    """(row, codes) of every row of the cases."""
    r, out = FIRST, []
    for rows, codes in cases:
        per_row = codes if isinstance(codes, dict) else {0: codes}
        out += [(r + k, per_row.get(k, set())) for k in range(len(rows))]
        r += len(rows)
    return out


@pytest.mark.parametrize("sheet,cases", [("表1", T1_CASES), ("表2", T2_CASES)])
def test_each_planted_problem_shows_its_message_and_clean_rows_stay_empty(checked, sheet, cases):
    tmp, filled, recalced = checked
    shown, text = hints(recalced, sheet), messages(recalced)
    by_code: dict[str, set[str]] = {}
    for key, message in text.items():
        where, code = key.split(":")[0].split("!")
        if where == sheet:
            by_code.setdefault(code, set()).add(message)
    for r, codes in _planted(cases):
        got = shown.get(r, set())
        for code in codes:
            assert got & by_code[code], f"{sheet} row {r}: no message of {code} in {got}"
        if not codes:
            assert got == set(), f"{sheet} row {r} is clean but shows {got}"
        assert len(got) == len(codes) or codes == {"required_missing"}, (sheet, r, got)
    rows = sheet_values(recalced, sheet)
    total = sum(len(v) for v in shown.values())
    assert total >= sum(len(c) for _, c in _planted(cases))
    assert rows[1][0] == f"共发现 {total} 处问题"


def test_validate_reports_the_same_problems_on_the_same_rows(checked):
    """Parity: for every check the formulas cover, `xl-addin validate` and 校验提示 agree row
    by row; the planted cases exercise every covered check."""
    tmp, filled, recalced = checked
    text = messages(recalced)
    report = validate(filled, tmp)
    header_ids = _header_ids()
    expected: dict[tuple[str, int], set[str]] = {}
    for issue in report["issues"]:
        key = f"{issue['sheet']}!{issue['code']}:{header_ids[issue['sheet']].get(issue['column'])}"
        if key in text:
            expected.setdefault((issue["sheet"], issue["row"]), set()).add(text[key])
    shown = {(sheet, r): v for sheet in ("表1", "表2") for r, v in hints(recalced, sheet).items()}
    assert shown == expected
    planted = {c for cases in (T1_CASES, T2_CASES) for _, codes in _planted(cases) for c in codes}
    covered = {key.split(":")[0].split("!")[1] for key in text}
    assert covered <= planted | {"required_missing"}, covered - planted
    # the recalculated file (formulas with their values) reads exactly as the typed one
    assert _rows_and_issues(validate(recalced, tmp)) == _rows_and_issues(report)


def _rows_and_issues(report):
    return ([(i["rows_read"], i["rows_accepted"]) for i in report["inputs"]],
            sorted((i["sheet"], i["row"], i["code"]) for i in report["issues"]))


def _header_ids() -> dict[str, dict[str, str]]:
    from xl_addin.declare.spec import load_specs

    return {s.sheet: {f.header: f.id for f in s.fields} for s in load_specs()}


def test_an_empty_template_reads_as_no_rows_whatever_its_formulas_show(tmp_path):
    recalced = recalculate(TEMPLATE, tmp_path / "recalc")
    for sheet in ("表1", "表2"):
        assert sheet_values(recalced, sheet)[1][0] == "未发现问题"
        assert hints(recalced, sheet) == {}
    for path in (TEMPLATE, recalced):
        report = validate(path, tmp_path)
        assert report["issues"] == [] and report["inputs"][0]["rows_read"] == 0


def test_cluster_and_county_dropdowns_narrow_to_the_rows_county_and_city(tmp_path):
    """The list formulas of the data validations, evaluated by LibreOffice: a scratch sheet
    computes the same list (ROWS and INDEX of it) with the row's county (city) replaced."""
    wb = openpyxl.load_workbook(TEMPLATE)
    lists = {}
    for sheet, field in (("表1", "所属集群"), ("表2", "所在县(市、区）"), ("表2", "所属集群")):
        ws = wb[sheet]
        col = next(c.column_letter for c in ws[3] if c.value == field)
        dv = next(d for d in ws.data_validations.dataValidation if f"{col}4" in str(d.sqref).split(":")[0])
        lists[(sheet, field)] = dv.formula1
    clusters = default_clusters()
    cases = [("表1", "所属集群", RQ), ("表1", "所属集群", "正定县"), ("表1", "所属集群", ""),
             ("表2", "所在县(市、区）", "沧州"), ("表2", "所在县(市、区）", "邢台"), ("表2", "所属集群", HJ)]
    scratch = wb.create_sheet("测试")
    for i, (sheet, field, on) in enumerate(cases):
        # the reference the list reads (the row's county or city, a hidden helper cell)
        formula = lists[(sheet, field)]
        refs = set(re.findall(r"(?<![!$:A-Z])\$[A-Z]+4\b", formula))
        assert len(refs) == 1, formula
        col = 1 + 2 * i
        scratch.cell(1, col, on)
        expr = formula.replace(refs.pop(), f"测试!${openpyxl.utils.get_column_letter(col)}$1")
        scratch.cell(2, col, f"=ROWS({expr})")
        for k in range(1, 300):
            scratch.cell(2 + k, col, f'=IF({k}>ROWS({expr}),"",INDEX({expr},{k}))')
    filled = tmp_path / "dropdowns.xlsx"
    wb.save(filled)
    rows = sheet_values(recalculate(filled, tmp_path / "recalc"), "测试")
    for i, (sheet, field, on) in enumerate(cases):
        col = 2 * i
        got = [r[col] for r in rows[2:] if len(r) > col and r[col] not in ("", None)]
        assert int(rows[1][col]) == len(got)
        if field == "所属集群":
            want = [c.name for c in clusters.clusters if c.county == on] if on else [c.name for c in clusters.clusters]
        else:
            want = [c for c in clusters.counties if clusters.county_city[c] == on]
        assert got == want, (sheet, field, on)
        assert len(got) >= 1


def _pdf_pages(pdf: Path) -> list[tuple[str, str]]:
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "9999", str(pdf)], capture_output=True, text=True).stdout
    sizes = [ln.split("size:")[1].strip() for ln in info.splitlines() if ln.startswith("Page") and "size:" in ln]
    texts = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout.split("\f")
    return list(zip(sizes, texts))


def test_the_template_prints_its_filled_rows_on_a4_landscape_without_the_hints(tmp_path):
    t1 = [[t1_row(f"打印{i:02d}公司", RQ, RQ_CLUSTER, LEADER, f"研发{i}：仪器", unit=30, total=60)] for i in range(11)]
    t1.append([t1_row("打印错公司", RQ, RQ_CLUSTER, LEADER, "电脑", unit=30, total=60)])    # one message
    t2 = [[t2_row(f"打印{i:02d}股权公司", "沧州市", RQ, RQ_CLUSTER, "冀财基金", D, 1000, 5)] for i in range(12)]
    filled = fill(tmp_path / "print.xlsx", {"表1": t1, "表2": t2})
    assert hints(recalculate(filled, tmp_path / "recalc"), "表1")      # the message exists ...
    for path, rows in ((filled, 12), (TEMPLATE, 0)):
        copy = tmp_path / f"{path.stem}_copy.xlsx"
        shutil.copy(path, copy)
        pages = _pdf_pages(convert(copy, "pdf", tmp_path / f"pdf_{path.stem}"))
        text = "".join(t for _, t in pages)
        assert "校验提示" not in text and "设备名称应以" not in text and "_data" not in text  # ... not printed
        for title in ("表1.申报重点特色产业集群创新发展项目", "表2.申报特色产业集群企业股权投资奖励项目"):
            mine = [(size, t) for size, t in pages if title in t]
            assert 1 <= len(mine) <= (2 if rows else 1), (title, len(mine))
            for size, _ in mine:
                assert size == "841.89 x 595.304 pts (A4)", size
        if rows:
            assert all(f"打印{i:02d}公司" in text for i in range(11))


def test_formulas_use_only_functions_excel_wps_and_libreoffice_share():
    wb = openpyxl.load_workbook(TEMPLATE)
    used = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    used |= set(re.findall(r"([A-Z][A-Z0-9.]*)\(", cell.value))
        for dv in ws.data_validations.dataValidation:
            used |= set(re.findall(r"([A-Z][A-Z0-9.]*)\(", dv.formula1 or ""))
        for rng in ws.conditional_formatting:
            for rule in rng.rules:
                used |= {f for text in rule.formula for f in re.findall(r"([A-Z][A-Z0-9.]*)\(", text)}
    assert used and used <= set(FUNCTIONS), used - set(FUNCTIONS)
    assert not used & {"LET", "LAMBDA", "XLOOKUP", "FILTER", "TEXTJOIN", "IFS", "UNIQUE", "SORT", "CONCAT"}
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert all(f in readme for f in FUNCTIONS)
