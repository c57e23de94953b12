"""Build real workbooks with exact layouts for tests (.xlsx/.xlsm with openpyxl, .xls with xlwt)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

T1 = ["企业名称", "所在县（市）", "所属集群", "申报单位类别", "购置设备名称种类金额", "设备用途", "安装位置", "单价", "总价"]
T2 = ["企业名称", "所在地市", "所在县(市、区）", "所属集群", "股权投资机构名称", "签订股权协议时间", "投资金额",
      "占股比例%", "退出时间", "退出方式"]
LEADER = "“领跑者”企业"
TOP3 = "营收前三企业"
# Real clusters from the list (沧州).
RQ, RQ_CLUSTER = "任丘市", "任丘交通设备产业集群"
HJ, HJ_CLUSTER = "河间市", "河间汽车配件产业集群"


@dataclass
class Sheet:
    name: str
    rows: list[list]
    merges: list[str] = field(default_factory=list)      # "A4:A6"
    hidden: list[int] = field(default_factory=list)      # 1-based rows
    formats: dict[str, str] = field(default_factory=dict)  # "H5": "0%"


def t1_row(name=None, county=None, cluster=None, category=None, equipment="研发1：光谱仪",
           purpose="研发", location="一车间", unit=30, total=60):
    return [name, county, cluster, category, equipment, purpose, location, unit, total]


def t2_row(name=None, city=None, county=None, cluster=None, investor="1.冀财基金",
           date=dt.date(2023, 5, 8), amount=1000, share=5, exit_date=None, exit_method=None):
    return [name, city, county, cluster, investor, date, amount, share, exit_date, exit_method]


def write_xlsx(path: Path, sheets: list[Sheet]) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for sheet in sheets:
        ws = wb.create_sheet(sheet.name)
        for row in sheet.rows:
            ws.append(row)
        for ref in sheet.merges:
            ws.merge_cells(ref)
        for r in sheet.hidden:
            ws.row_dimensions[r].hidden = True
        for ref, fmt in sheet.formats.items():
            ws[ref].number_format = fmt
        # Literal text that starts with '=' must stay text, as Excel stores a quoted entry.
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def write_xls(path: Path, sheets: list[Sheet]) -> Path:
    import xlwt
    from openpyxl.utils.cell import coordinate_from_string, column_index_from_string, range_boundaries

    wb = xlwt.Workbook(encoding="utf-8")
    date_style = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    for sheet in sheets:
        ws = wb.add_sheet(sheet.name)
        merged_cells = set()
        for ref in sheet.merges:
            c1, r1, c2, r2 = range_boundaries(ref)
            top = sheet.rows[r1 - 1][c1 - 1] if c1 - 1 < len(sheet.rows[r1 - 1]) else None
            ws.write_merge(r1 - 1, r2 - 1, c1 - 1, c2 - 1, top)
            merged_cells |= {(r, c) for r in range(r1 - 1, r2) for c in range(c1 - 1, c2)}
        formats = {}
        for ref, fmt in sheet.formats.items():
            col, row = coordinate_from_string(ref)
            formats[(row - 1, column_index_from_string(col) - 1)] = xlwt.easyxf(num_format_str=fmt)
        for r, row in enumerate(sheet.rows):
            for c, value in enumerate(row):
                if (r, c) in merged_cells or value is None:
                    continue
                if isinstance(value, (dt.date, dt.datetime)):
                    ws.write(r, c, value, date_style)
                elif (r, c) in formats:
                    ws.write(r, c, value, formats[(r, c)])
                else:
                    ws.write(r, c, value)
        for r in sheet.hidden:
            ws.row(r - 1).hidden = True
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(str(path))
    return path


def write(path: Path, sheets: list[Sheet]) -> Path:
    return write_xls(path, sheets) if path.suffix == ".xls" else write_xlsx(path, sheets)


def codes(report, *, path=None) -> list[tuple]:
    """(code, sheet, row, column) of every issue, for exact assertions."""
    return [(i.code, i.sheet, i.row, i.column) for i in report.issues if path is None or i.path == str(path)]


def make_xlsm(path: Path, sheets: list[Sheet]) -> Path:
    """A real macro-enabled package: the workbook part declared as macroEnabled."""
    import zipfile

    tmp = write_xlsx(path.with_suffix(".tmp.xlsx"), sheets)
    with zipfile.ZipFile(tmp) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "[Content_Types].xml":
                data = data.replace(b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")
            dst.writestr(item, data)
    tmp.unlink()
    return path
