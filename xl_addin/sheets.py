"""The official column lists, and the summary's tables as plain rows of values for edges
that write values only (the Excel buttons). The SUMMARY.xlsx writer, the Word report
and the workbook templates lay out the same columns with their own formats."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .catalogue import CATALOGUE
from .model import Report
from .normalize import CATEGORY_TEXT

if TYPE_CHECKING:      # the column lists are used where pandas is not imported (docx, workbooks)
    from .consolidate import Enterprise

PART1 = ["序号", "企业名称", "所在县（市）", "所属集群", "申报单位类别", "购置设备名称种类金额",
         "设备用途", "安装位置", "单价", "总价"]
PART2 = ["序号", "企业名称", "所在地市", "所在县(市、区）", "所属集群", "股权投资机构名称",
         "签订股权协议时间", "投资金额", "占股比例%", "退出时间", "退出方式"]
PART1_TITLE = "一、申报特色产业集群创新发展项目"
PART2_TITLE = "二、申报特色产业集群企业股权投资奖励项目"
SUBSIDY = ["序号", "项目类型", "企业名称", "所在地市", "所在县（市、区）", "所属集群", "申报单位类别",
           "补助基数（万元）", "补助比例", "补助上限（万元）", "测算补助（万元）", "是否触及上限", "测算依据"]
ISSUES = ["序号", "严重程度", "问题代码", "文件", "工作表", "单元格", "列", "说明"]
INPUTS = ["序号", "文件", "状态", "原因", "读取行数", "接收行数", "剔除行数", "涉及县（市、区）"]
KIND_LABEL = {"table1": "创新发展项目", "table2": "股权投资奖励项目"}


def enterprise_values(ent: "Enterprise", number: int) -> dict:
    """The block cells of an enterprise (written once, merged over its rows)."""
    return {"序号": number, "企业名称": ent.name, "所在地市": ent.city, "所在县（市）": ent.county,
            "所在县(市、区）": ent.county, "所属集群": ent.cluster,
            "申报单位类别": CATEGORY_TEXT.get(ent.category)}


def part_rows(enterprises: "list[Enterprise]", columns: list[str], amount: str) -> list[list]:
    """Rows of one summary part: block cells on each enterprise's first row, then 合计."""
    rows, total = [], 0.0
    for no, ent in enumerate(enterprises, start=1):
        block = enterprise_values(ent, no)
        for i, item in enumerate(ent.rows):
            rows.append([block[c] if c in block and i == 0 else None if c in block else item.get(c)
                         for c in columns])
        total += float(ent.estimate.base)
    rows.append(["合计"] + [round(total, 2) if c == amount else None for c in columns[1:]])
    return rows


def subsidy_rows(report: Report) -> list[list]:
    rows, base_sum, result_sum = [], 0.0, 0.0
    for kind in ("table1", "table2"):
        for ent in report.enterprises[kind]:
            e = ent.estimate
            basis = f"{e.source}{'；' + e.note if e.note else ''}"
            rows.append([len(rows) + 1, KIND_LABEL[kind], ent.name, ent.city, ent.county, ent.cluster,
                         CATEGORY_TEXT.get(ent.category, "—"), float(e.base), float(e.rate), float(e.cap),
                         float(e.result), "是" if e.capped else "否", basis])
            base_sum += float(e.base)
            result_sum += float(e.result)
    total = [None] * len(SUBSIDY)
    total[0], total[7], total[10] = "合计", round(base_sum, 2), round(result_sum, 2)
    return rows + [total]


def issue_rows(report: Report) -> list[list]:
    return [[n, "错误" if i.severity == "error" else "警告", i.code, Path(i.path).name, i.sheet, i.cell,
             i.column, i.message] for n, i in enumerate(report.issues, start=1)]


def input_rows(report: Report) -> list[list]:
    rows = [[n, Path(inp.path).name, "已接收" if inp.status == "ok" else "已拒收",
             CATALOGUE[inp.reason].title if inp.reason else None, inp.rows_read, inp.rows_accepted,
             inp.rows_rejected, "、".join(inp.counties) or None] for n, inp in enumerate(report.inputs, start=1)]
    totals = [sum(getattr(i, a) for i in report.inputs) for a in ("rows_read", "rows_accepted", "rows_rejected")]
    return rows + [["合计", f"{len(report.inputs)} 个文件", None, None, *totals, None]]
