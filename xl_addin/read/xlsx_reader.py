"""Read .xlsx/.xlsm with python-calamine (Rust: fast, no entity expansion, nothing executed).

Before calamine parses anything, every XML part is streamed once through a guard:
declared and actual decompressed sizes (zip bombs), DTD/entity declarations
(billion laughs), and the number of value cells (giant sheets). Calamine gives
values and merged ranges; what it cannot tell (percent formats, formulas with
no saved result, error literals) comes from a regex scan of the few sheets that
need it."""
from __future__ import annotations

import datetime as dt
import functools
import html
import re
import zipfile
from pathlib import Path, PurePosixPath
from xml.parsers import expat

from xl_addin.read.grid import ReadError, SheetGrid, WorkbookData

MAX_DECLARED_BYTES = 1024 * 1024 * 1024     # sum of declared sizes of all parts
MAX_PART_BYTES = 128 * 1024 * 1024          # actual decompressed size of one part
MAX_RATIO = 200                             # real sheets compress ~10x; bombs far more
MAX_VALUES = 500_000                        # value cells in all sheets (a county workbook has < 10,000)
CHUNK = 1 << 20
SHEET_CT = ("worksheet",)

_NS = r"(?:\w+:)?"
_CELL = re.compile(rb"<" + _NS.encode() + rb"c\b([^>]*?)(?:/>|>(.*?)</" + _NS.encode() + rb"c>)", re.S)
_REF = re.compile(rb'\br="([A-Z]{1,3})(\d+)"')
_STYLE = re.compile(rb'\bs="(\d+)"')
_TYPE = re.compile(rb'\bt="(\w+)"')
_FORMULA = re.compile(rb"<" + _NS.encode() + rb"f\b[^>]*?(?:/>|>(.*?)</" + _NS.encode() + rb"f>)", re.S)
_VALUE = re.compile(rb"<" + _NS.encode() + rb"v>(.*?)</" + _NS.encode() + rb"v>", re.S)
_QUOTED = re.compile(r'"[^"]*"|\\.')


def _col(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n - 1


class _Scan:
    """What the guard learns about one worksheet part while streaming it."""

    def __init__(self):
        self.values = 0
        self.needs_side_scan = False
        self.data: bytes | None = None


def _guard(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], sheet_parts: set[str],
           percent_styles: set[bytes]) -> dict[str, _Scan]:
    declared = sum(i.file_size for i in infos)
    if declared > MAX_DECLARED_BYTES:
        raise ReadError("file_too_large", f"解压后约 {declared / 1024 / 1024:.0f} MB")
    style_refs = [b's="' + s + b'"' for s in percent_styles]
    scans: dict[str, _Scan] = {}
    total_values = 0
    for info in infos:
        name = info.filename
        if not name.endswith((".xml", ".rels", ".vml")) or name.startswith(UNREAD_PARTS):
            continue
        if name in METADATA_PARTS and zf.getinfo(name) is info:
            continue             # read whole by _elements: size-checked, DTD refused (not a same-named twin)
        if info.file_size > 10 * 1024 * 1024 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise ReadError("file_too_large", f"其中 {name} 压缩比异常（{info.file_size // max(info.compress_size, 1)} 倍）")
        scan = _Scan() if name in sheet_parts else None
        kept: list[bytes] = []
        size, tail = 0, b""
        with zf.open(info) as fh:
            while True:
                chunk = fh.read(CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > MAX_PART_BYTES:
                    raise ReadError("file_too_large", f"其中 {name} 解压后超过 {MAX_PART_BYTES // 1024 // 1024} MB")
                window = tail + chunk
                if b"<!DOCTYPE" in window or b"<!ENTITY" in window:
                    raise ReadError("file_unreadable", "文件含有 XML 实体定义（DTD），可能是恶意构造的文件，已拒绝读取")
                if scan is not None:
                    found = chunk.count(b"<v>") + chunk.count(b"<is>")
                    scan.values += found
                    total_values += found
                    if total_values > MAX_VALUES:
                        raise ReadError("file_too_large", f"表格内容超过 {MAX_VALUES} 个单元格，不像区县报表")
                    if not scan.needs_side_scan and (b"<f" in window or b't="e"' in window
                                                     or any(ref in window for ref in style_refs)):
                        scan.needs_side_scan = True
                    kept.append(chunk)
                tail = chunk[-64:]
        if scan is not None:
            scan.data = b"".join(kept) if scan.needs_side_scan else None
            scans[name] = scan
    return scans


# Parts no reader here ever decompresses (calamine reads the workbook, its relationships,
# strings, styles and sheets): a bomb there is inert, and streaming each of them through the
# guard cost 0.3 ms of a county workbook's 3 ms read (measured).
UNREAD_PARTS = ("docProps/", "customXml/", "xl/theme/", "[Content_Types].xml", "_rels/.rels")
MAX_META_BYTES = 16 * 1024 * 1024           # workbook.xml, its rels, styles.xml: a few KB
METADATA_PARTS = {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml"}
CACHED_META_BYTES = 256 * 1024              # a template's parts are a few KB; the cache stays small


def _elements(zf: zipfile.ZipFile, name: str) -> tuple[tuple[str, str, dict[str, str]], ...] | None:
    """(tag, parent tag, attributes) of every element of a small XML part, in document
    order, names without namespaces; None when the part is absent. expat parses (C speed,
    whatever the encoding); a document type declaration, the carrier of entity expansion
    attacks, rejects the file before anything is expanded."""
    try:
        info = zf.getinfo(name)
    except KeyError:
        return None
    if info.file_size > MAX_META_BYTES:
        raise ReadError("file_too_large", f"其中 {name} 解压后超过 {MAX_META_BYTES // 1024 // 1024} MB")
    data = zf.read(name)
    return _parsed(name, data) if len(data) <= CACHED_META_BYTES else _parse(name, data)


@functools.lru_cache(maxsize=8)
def _parsed(name: str, data: bytes) -> tuple[tuple[str, str, dict[str, str]], ...]:
    """_parse, cached by content: the county workbooks of a run come from one template, and
    their styles and workbook parts are mostly byte for byte the same (a province's 1,000
    files: 0.4 ms of each file's 2.4 ms read)."""
    return _parse(name, data)


def _parse(name: str, data: bytes) -> tuple[tuple[str, str, dict[str, str]], ...]:
    out: list[tuple[str, str, dict[str, str]]] = []
    stack = [""]

    def start(tag: str, attrs: dict[str, str]) -> None:
        tag = tag.rsplit(" ", 1)[-1]
        out.append((tag, stack[-1], {k.rsplit(" ", 1)[-1]: v for k, v in attrs.items()}))
        stack.append(tag)

    def refuse(*_) -> None:
        raise ReadError("file_unreadable", "文件含有 XML 实体定义（DTD），可能是恶意构造的文件，已拒绝读取")

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = start
    parser.EndElementHandler = lambda _tag: stack.pop()
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    try:
        parser.Parse(data, True)
    except ReadError:
        raise
    except Exception as exc:
        raise ReadError("file_unreadable", f"工作簿结构损坏（{name}）") from exc
    return tuple(out)


def sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> part path, from workbook.xml and its relationships."""
    book, rels = _elements(zf, "xl/workbook.xml"), _elements(zf, "xl/_rels/workbook.xml.rels")
    if book is None or rels is None:
        return {}
    targets = {}
    for tag, _, attrs in rels:
        if tag == "Relationship":
            target = attrs.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
            targets[attrs.get("Id")] = str(PurePosixPath(path))
    return {attrs.get("name"): targets[attrs["id"]] for tag, _, attrs in book
            if tag == "sheet" and attrs.get("id") in targets}


def sheet_names(zf: zipfile.ZipFile) -> list[str]:
    """The workbook's sheet names, from workbook.xml alone (its relationships unread: half the
    cost of sheet_parts, for a look at every input of a run before it is read)."""
    return [attrs["name"] for tag, _, attrs in _elements(zf, "xl/workbook.xml") or () if tag == "sheet" and "name" in attrs]


def _percent_styles(zf: zipfile.ZipFile) -> set[bytes]:
    styles = _elements(zf, "xl/styles.xml")
    if styles is None:
        return set()
    custom = {attrs.get("numFmtId"): _QUOTED.sub("", attrs.get("formatCode", ""))
              for tag, _, attrs in styles if tag == "numFmt"}
    cell_xfs = [attrs.get("numFmtId", "0") for tag, parent, attrs in styles if tag == "xf" and parent == "cellXfs"]
    return {str(i).encode() for i, fmt in enumerate(cell_xfs) if fmt in ("9", "10") or "%" in custom.get(fmt, "")}


def _side_scan(data: bytes, percent_styles: set[bytes]):
    """(percent cells, replacement values) from the raw sheet XML."""
    percent, values = set(), {}
    for attrs, body in _CELL.findall(data):
        ref = _REF.search(attrs)
        if not ref:
            continue
        rc = (int(ref.group(2)) - 1, _col(ref.group(1)))
        typed = _TYPE.search(attrs)
        cell_type = typed.group(1) if typed else b"n"
        style = _STYLE.search(attrs)
        v = _VALUE.search(body) if body else None
        if style and style.group(1) in percent_styles and cell_type == b"n" and v:
            percent.add(rc)
        if cell_type == b"e" and v:
            values[rc] = html.unescape(v.group(1).decode("utf-8", "replace"))
        f = _FORMULA.search(body) if body else None
        if f and (v is None or not v.group(1).strip()):
            text = html.unescape(f.group(1).decode("utf-8", "replace")) if f.group(1) else "（共享公式）"
            values[rc] = "=" + text
    return percent, values


_PLAIN = {str, float, int, bool, dt.datetime, dt.date, type(None)}
_EMPTY_TO_NONE = {"": None}.get         # (v, v) -> None for "", else v: one C call per cell


def _python(value):
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return value


def read_xlsx(path: Path) -> WorkbookData:
    import python_calamine

    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            names = {i.filename for i in infos}
            if "xl/workbook.xml" not in names:
                what = "Word 文档" if "word/document.xml" in names else "压缩包或其他 Office 文件"
                raise ReadError("file_unreadable", f"文件实际是{what}，不是 Excel 工作簿")
            parts = sheet_parts(zf)
            percent_styles = _percent_styles(zf)
            scans = _guard(zf, infos, set(parts.values()), percent_styles)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as exc:
        raise ReadError("file_unreadable", "文件已损坏（压缩包不完整），可能是邮件附件没有下载完") from exc
    except RuntimeError as exc:  # a zip with encrypted members
        raise ReadError("file_encrypted") from exc
    has_macros = "xl/vbaProject.bin" in names or any(n.startswith("xl/macrosheets/") for n in names)
    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        sheets = []
        for meta in book.sheets_metadata:
            if meta.typ != python_calamine.SheetTypeEnum.WorkSheet:
                continue
            sheet = book.get_sheet_by_name(meta.name)
            rows: dict[int, list[object]] = {}
            if sheet.end is not None:
                # Stream rows (a used range of a million mostly empty rows stays cheap) and place
                # them from the end of the used range: where iter_rows starts differs by version.
                kept, count, width = [], 0, 0
                for raw in sheet.iter_rows():
                    if raw.count("") != len(raw):
                        # "" is None; of the rest only times need converting (rare): C-level passes
                        # over the row, no Python test per cell (a third of the rows' cost, measured)
                        values = list(map(_EMPTY_TO_NONE, raw, raw))
                        if not _PLAIN.issuperset(map(type, values)):
                            values = [v if type(v) in _PLAIN else _python(v) for v in values]
                        kept.append((count, values))
                    count, width = count + 1, len(raw)
                r0, c0 = sheet.end[0] + 1 - count, sheet.end[1] + 1 - width
                rows = {r0 + i: [None] * c0 + values for i, values in kept}
            merged = [(r1, c1, r2, c2) for (r1, c1), (r2, c2) in (sheet.merged_cell_ranges or [])]
            percent: set[tuple[int, int]] = set()
            scan = scans.get(parts.get(meta.name, ""))
            if scan is not None and scan.data is not None:
                percent, replace = _side_scan(scan.data, percent_styles)
                for (r, c), value in replace.items():
                    row = rows.setdefault(r, [])
                    row.extend([None] * (c + 1 - len(row)))
                    row[c] = value
            sheets.append(SheetGrid(meta.name, rows, merged, percent))
    except ReadError:
        raise
    except Exception as exc:   # CalamineError, XmlError, ZipError, PasswordError ...
        if type(exc).__name__ == "PasswordError":
            raise ReadError("file_encrypted") from exc
        raise ReadError("file_unreadable", f"工作簿内容损坏（{type(exc).__name__}）") from exc
    return WorkbookData(sheets, has_macros)
