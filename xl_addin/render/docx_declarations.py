"""Per-enterprise 真实性声明 and 情况表 (附件1/附件2 of the enterprise's application), pre-filled.
Texts and the 附件3 checklist are data/documents.toml; the tables follow their specs."""
from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.text import WD_ALIGN_PARAGRAPH

from xl_addin.normalize.values import key
from xl_addin.declare.rules import Rules
from xl_addin.declare.spec import Specs, load_specs
from xl_addin.render.docx_common import (HEADING_FONT, SIZE_3, SIZE_4, TITLE_FONT, official_page, page_number_footer, paragraph,
                          safe_filename, save)
from xl_addin.render.docx_report import DOCUMENTS, part_table

BLANK = "______"
TEXT = DOCUMENTS["declaration"]


def materials(kind: str, ent: dict) -> list[str]:
    """The 附件3 checklist of one project (the same list as 材料核对 of the summary)."""
    from xl_addin.render.sheets import materials as checklist
    return checklist(kind, ent.get("category"), len(ent.get("items", [])))


def build_declaration(name: str, projects: dict[str, dict], rules: Rules, specs: Specs) -> Document:
    doc = Document()
    official_page(doc.sections[0])
    page_number_footer(doc.sections[0])
    kinds = [s.id for s in specs if s.id in projects]
    names = "、".join(TEXT["projects"].get(k, specs[k].label) for k in kinds)
    values = {"round_title": rules.title, "round_plain": rules.title.replace("项目", ""), "projects": names,
              "blank": BLANK, "name": name,
              "round_key": rules.title.replace("项目", "").replace("河北省", "河北省重点")}
    paragraph(doc, name, font=TITLE_FONT, size=SIZE_4, align=WD_ALIGN_PARAGRAPH.CENTER, line_pt=30)
    paragraph(doc, TEXT["title"].format_map(values), font=TITLE_FONT, size=SIZE_4,
              align=WD_ALIGN_PARAGRAPH.CENTER, line_pt=30, space_after=12)
    paragraph(doc, TEXT["salutation"])
    paragraph(doc, TEXT["intro"].format_map(values), indent_chars=2)
    for kind in kinds:
        for k, line in enumerate(materials(kind, projects[kind]), start=1):
            paragraph(doc, f"{k}. {line}，共{BLANK}份", indent_chars=2)
    paragraph(doc, TEXT["pledge"].format_map(values), indent_chars=2)
    for line in TEXT["closing"]:
        paragraph(doc, line, indent_chars=2)
    for line in TEXT["sign"]:
        paragraph(doc, line, align=WD_ALIGN_PARAGRAPH.RIGHT, right_chars=2)

    section = doc.add_section(WD_SECTION.NEW_PAGE)
    official_page(section, landscape=True)
    paragraph(doc, "附件1", font=HEADING_FONT, size=SIZE_3)
    paragraph(doc, TEXT["annex_title"].format_map(values), font=TITLE_FONT, size=SIZE_4,
              align=WD_ALIGN_PARAGRAPH.CENTER, line_pt=30)
    for kind in kinds:
        spec = specs[kind]
        paragraph(doc, spec.title, font=HEADING_FONT, size=SIZE_4, line_pt=26)
        if spec.unit:
            paragraph(doc, f"单位：{spec.unit}", size=SIZE_4, align=WD_ALIGN_PARAGRAPH.RIGHT, line_pt=22)
        part_table(doc, spec, [projects[kind]], drop_number=True)
        paragraph(doc, line_pt=12)
    return doc


def write_declarations(data: dict, rules: Rules, out_dir: str | Path, specs: Specs | None = None) -> list[Path]:
    """One .docx per accepted enterprise (all its projects in one file)."""
    specs = specs or load_specs()
    by_name: dict[str, dict] = {}
    for spec in specs:
        if not spec.report.get("project") or spec.id not in data:
            continue
        for ent in data[spec.id]["enterprises"]:
            by_name.setdefault(key(ent["name"]), {"name": ent["name"], "projects": {}})["projects"][spec.id] = ent
    out_dir = Path(out_dir)
    written, used = [], set()
    for entry in by_name.values():
        stem = safe_filename(entry["name"])
        filename = f"{stem}_真实性声明及情况表.docx"
        n = 2
        while filename in used:
            filename, n = f"{stem}_{n}_真实性声明及情况表.docx", n + 1
        used.add(filename)
        written.append(save(build_declaration(entry["name"], entry["projects"], rules, specs), out_dir / filename))
    return written
