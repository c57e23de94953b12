"""Per-enterprise 真实性声明 and 情况表 (附件1/附件2 of the enterprise's application), pre-filled."""
from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.text import WD_ALIGN_PARAGRAPH

from ..normalize import key
from ..rules import Rules
from .docx_common import (HEADING_FONT, SIZE_3, SIZE_4, TITLE_FONT, official_page, page_number_footer, paragraph,
                          safe_filename, save, table)
from .docx_report import PART1, PART2, WIDTHS1, WIDTHS2, part_rows

PROJECT = {"table1": "特色产业集群创新发展", "table2": "特色产业集群企业股权投资奖励"}
TABLE_TITLE = {"table1": "表1.申报重点特色产业集群创新发展项目", "table2": "表2.申报特色产业集群企业股权投资奖励项目"}
BLANK = "______"


def _materials(kind: str, ent: dict) -> list[str]:
    """The 附件3 checklist for the project type, with counts the enterprise fills in."""
    n = len(ent["items"])
    if kind == "table1":
        items = ["企业营业执照（组织机构代码证）复印件", "2024年度经会计师事务所审计并完成报备赋码的财务审计报告",
                 f"{n}台（套）设备的采购合同、发票和付款电子凭证（或银行转账单据）复印件"]
        if ent.get("category") == "营收前三":
            items.insert(2, "县级集群管理部门出具的企业2024年度营业收入在集群内排名前3证明")
    else:
        items = ["企业营业执照（组织机构代码证）复印件", "有关股权投资事项的董事会、股东会决议，企业章程及修正案",
                 f"与{n}家投资机构签订的股权投资协议", "股权投资后的市场监管注册登记变更材料",
                 "投资机构营业执照（组织机构代码证）复印件", "投资机构的私募基金管理人登记证书（复印件）",
                 "股权投资机构开展投资的投委会（股东会/董事会/合伙人/出资人）等决议", "投资机构投资款划拨证明"]
    return [f"{k}. {text}，共{BLANK}份" for k, text in enumerate(items, start=1)]


def build_declaration(name: str, projects: dict[str, dict], rules: Rules) -> Document:
    doc = Document()
    official_page(doc.sections[0])
    page_number_footer(doc.sections[0])
    kinds = [k for k in ("table1", "table2") if k in projects]
    project_names = "、".join(PROJECT[k] for k in kinds)
    paragraph(doc, name, font=TITLE_FONT, size=SIZE_4, align=WD_ALIGN_PARAGRAPH.CENTER, line_pt=30)
    paragraph(doc, f"申报{rules.title}材料真实性声明", font=TITLE_FONT, size=SIZE_4,
              align=WD_ALIGN_PARAGRAPH.CENTER, line_pt=30, space_after=12)
    paragraph(doc, "省工业和信息化厅：")
    paragraph(doc, f"我单位本次申请{rules.title.replace('项目', '')}{project_names}项目，共提交{BLANK}项证明材料：",
              indent_chars=2)
    for kind in kinds:
        for line in _materials(kind, projects[kind]):
            paragraph(doc, line, indent_chars=2)
    paragraph(doc, f"我单位承诺上述材料全部真实有效，且此次申报的{project_names}项目，已按有关规定办理了核准或备案手续。"
                   "项目申报过程中提供的所有财务票据均是首次作为申报省级项目凭证依据，且未获得过省级各类资金补贴或奖励支持。"
                   "如有虚假，愿承担一切法律责任。", indent_chars=2)
    paragraph(doc, "特此声明。", indent_chars=2)
    paragraph(doc)
    paragraph(doc, "法定代表人签字：", indent_chars=2)
    paragraph(doc, "项目申请单位（公章）", align=WD_ALIGN_PARAGRAPH.RIGHT, right_chars=2)
    paragraph(doc, "年    月    日", align=WD_ALIGN_PARAGRAPH.RIGHT, right_chars=2)

    section = doc.add_section(WD_SECTION.NEW_PAGE)
    official_page(section, landscape=True)
    paragraph(doc, "附件1", font=HEADING_FONT, size=SIZE_3)
    paragraph(doc, f"{name}申报{rules.title.replace('项目', '').replace('河北省', '河北省重点')}项目情况表",
              font=TITLE_FONT, size=SIZE_4, align=WD_ALIGN_PARAGRAPH.CENTER, line_pt=30)
    for kind in kinds:
        columns, widths = (PART1[1:], WIDTHS1[1:]) if kind == "table1" else (PART2[1:], WIDTHS2[1:])
        paragraph(doc, TABLE_TITLE[kind], font=HEADING_FONT, size=SIZE_4, line_pt=26)
        paragraph(doc, "单位：万元", size=SIZE_4, align=WD_ALIGN_PARAGRAPH.RIGHT, line_pt=22)
        amount = "总价" if kind == "table1" else "投资金额"
        rows, merges, _ = part_rows([projects[kind]], ["序号"] + columns, amount)
        body = [r[1:] for r in rows]
        body[-1][0] = "合计"
        table(doc, columns, body, [(a, b, c - 1) for a, b, c in merges if c > 0 and c < 4], widths)
        paragraph(doc, line_pt=12)
    return doc


def write_declarations(data: dict, rules: Rules, out_dir: str | Path) -> list[Path]:
    """One .docx per accepted enterprise (both projects in one file when it has both)."""
    by_name: dict[str, dict] = {}
    for kind in ("table1", "table2"):
        for ent in data[kind]["enterprises"]:
            by_name.setdefault(key(ent["name"]), {"name": ent["name"], "projects": {}})["projects"][kind] = ent
    out_dir = Path(out_dir)
    written, used = [], set()
    for entry in by_name.values():
        stem = safe_filename(entry["name"])
        filename = f"{stem}_真实性声明及情况表.docx"
        n = 2
        while filename in used:
            filename, n = f"{stem}_{n}_真实性声明及情况表.docx", n + 1
        used.add(filename)
        written.append(save(build_declaration(entry["name"], entry["projects"], rules), out_dir / filename))
    return written
