"""Builders for hostile workbooks (raw OOXML parts, so nothing sanitises them on the way)."""
from __future__ import annotations

import zipfile
from pathlib import Path

CONTENT_TYPES = ('<?xml version="1.0" encoding="UTF-8"?>'
                 '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                 '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                 '<Default Extension="xml" ContentType="application/xml"/>'
                 '<Override PartName="/xl/workbook.xml" '
                 'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                 '<Override PartName="/xl/worksheets/sheet1.xml" '
                 'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                 '</Types>')
ROOT_RELS = ('<?xml version="1.0" encoding="UTF-8"?>'
             '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
             '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
             'officeDocument" Target="xl/workbook.xml"/></Relationships>')
WORKBOOK = ('<?xml version="1.0" encoding="UTF-8"?>'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="表1" sheetId="1" r:id="rId1"/></sheets></workbook>')
WORKBOOK_RELS = ('<?xml version="1.0" encoding="UTF-8"?>'
                 '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                 '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                 'worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
SHEET_HEAD = '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
SHEET_TAIL = "</sheetData></worksheet>"


def inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def package(path: Path, sheet_xml_chunks, extra: dict[str, bytes] | None = None,
            workbook: str | bytes = WORKBOOK) -> Path:
    """Write a minimal workbook whose sheet1.xml is streamed from the given chunks."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", ROOT_RELS)
        z.writestr("xl/workbook.xml", workbook)
        z.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            for chunk in sheet_xml_chunks:
                fh.write(chunk.encode("utf-8"))
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return path


def billion_laughs(path: Path) -> Path:
    entities = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">'
                                          for i in range(1, 10)]
    doctype = '<?xml version="1.0"?><!DOCTYPE worksheet [' + "".join(entities) + "]>"
    return package(path, [doctype, SHEET_HEAD, '<row r="1">', inline("A1", "&lol9;"), "</row>", SHEET_TAIL])


def million_rows(path: Path, rows: int = 1_000_000) -> Path:
    def chunks():
        yield SHEET_HEAD
        for start in range(1, rows + 1, 10_000):
            yield "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>'
                          for r in range(start, min(start + 10_000, rows + 1)))
        yield SHEET_TAIL
    return package(path, chunks())


def zip_bomb(path: Path) -> Path:
    """300 MB of zeros in a 300 KB workbook."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            for _ in range(300):
                fh.write(b"\0" * (1 << 20))
    return path
