"""The workbook writer behind SUMMARY.xlsx, chosen by measurement.

Writing the summary is most of a consolidation's time, and the per-cell cost
is the writer's: rust_xlsxwriter (through the `rvgsrust-xlsxwriter` binding)
writes the same cells about four times faster than XlsxWriter (see
benchmarks/). Both come from the same design (the same author's Rust port),
so the summary code keeps XlsxWriter's API and this module maps the small part
it uses onto the Rust binding. XlsxWriter remains the fallback where the
binding has no wheel, or when XL_ADDIN_XLSX_ENGINE=xlsxwriter is set; a test
writes the summary with both and compares the files.
"""
from __future__ import annotations

import os
import re
import shutil
import struct
import zipfile
from pathlib import Path

ENGINE_ENV = "XL_ADDIN_XLSX_ENGINE"


def engine_name() -> str:
    wanted = os.environ.get(ENGINE_ENV, "").strip().lower()
    if wanted == "xlsxwriter":
        return "xlsxwriter"
    try:
        import rvgsrust_xlsxwriter  # noqa: F401
    except ImportError:
        if wanted == "rust":
            raise
        return "xlsxwriter"
    return "rust"


def open_workbook(path: str | Path, engine: str | None = None):
    """A workbook with XlsxWriter's API (the subset the summary uses)."""
    engine = engine or engine_name()
    if engine == "rust":
        return RustWorkbook(path)
    import xlsxwriter
    from xlsxwriter.worksheet import Worksheet

    class Sheet(Worksheet):
        def merge_cells(self, r1, c1, r2, c2, fmt=None):
            """Merge without a value: the caller writes the anchor cell afterwards."""
            self.merge_range(r1, c1, r2, c2, None, fmt)

        def data_validation_list(self, r1, c1, r2, c2, items):
            self.data_validation(r1, c1, r2, c2, {"validate": "list", "source": list(items)})

    class Book(xlsxwriter.Workbook):
        def add_worksheet(self, name=None, row_order=False):     # holds every cell: order is free
            return super().add_worksheet(name, worksheet_class=Sheet)

    return Book(str(path), {"strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False})


_ALIGN = {"center": "center", "right": "right", "left": "left"}
_VALIGN = {"vcenter": "vcenter", "top": "top", "bottom": "bottom"}


class RustWorkbook:
    def __init__(self, path: str | Path):
        import rvgsrust_xlsxwriter as rx

        self._rx, self._path = rx, str(path)
        self._wb = rx.Workbook()
        self._sheets: list[RustSheet] = []

    def set_properties(self, props: dict) -> None:
        self._wb.set_properties(title=props.get("title"), author=props.get("author"))

    def add_format(self, props: dict):
        f = self._rx.Format()
        for k, v in props.items():
            if k == "font_name":
                f = f.set_font_name(v)
            elif k == "font_size":
                f = f.set_font_size(v)
            elif k == "bold" and v:
                f = f.set_bold()
            elif k == "align":
                f = f.set_align(_ALIGN[v])
            elif k == "valign":
                f = f.set_vertical_align(_VALIGN[v])
            elif k == "border" and v:
                f = f.set_border("thin")
            elif k == "text_wrap" and v:
                f = f.set_text_wrap()
            elif k == "bg_color":
                f = f.set_background_color(v)
            elif k == "num_format":
                f = f.set_num_format(v)
            elif k == "font_color":
                f = f.set_font_color({"blue": "#0000FF"}.get(v, v))
            elif k == "underline" and v:
                f = f.set_underline()
            elif k == "locked" and not v:
                f = f.set_unlocked()
            else:
                raise ValueError(f"format property not mapped: {k}")
        return f

    def add_worksheet(self, name: str, row_order: bool = False) -> "RustSheet":
        """row_order: the caller writes rows top to bottom, so the sheet can stream them to
        disk (constant memory) instead of holding every cell until close()."""
        self._sheets.append(RustSheet(self._wb.add_worksheet(name, constant_memory=row_order), row_order, self._rx))
        return self._sheets[-1]

    def close(self, add_merges_now: bool = True) -> dict[str, list[tuple[int, int, int, int]]]:
        """Write the file. The merges streaming sheets could not make are added to it, or,
        with add_merges_now=False, returned (part -> ranges) for the caller's rewrite."""
        self._wb.close(self._path)
        merges = {f"xl/worksheets/sheet{i}.xml": s._merges for i, s in enumerate(self._sheets, 1) if s._merges}
        if merges and add_merges_now:
            add_merges(self._path, merges)
        return merges


class RustSheet:
    def __init__(self, ws, row_order: bool = False, rx=None):
        self._ws, self._rx = ws, rx
        self._row_order = row_order
        self._merges: list[tuple[int, int, int, int]] = []
        # write_row(r, c, values, fmt): the binding's own (a summary makes ~200,000 calls);
        # str stays str, never a formula; None is a formatted blank
        self.write_row = ws.write_row

    def merge_cells(self, r1, c1, r2, c2, fmt=None):
        """Merge without a value: the caller writes every cell of the range, anchor included.
        A streaming sheet cannot merge down rows it has not reached (the binding would write
        the blanks below first), so those merges are added to the file after it is written."""
        if self._row_order and r2 > r1:
            self._merges.append((r1, c1, r2, c2))
        else:
            self._ws.merge_range(r1, c1, r2, c2, "", fmt)

    def write_string(self, r, c, text, fmt=None):
        self._ws.write(r, c, str(text), fmt)       # the binding writes "=..." as a string, never a formula

    def write_number(self, r, c, value, fmt=None):
        self._ws.write(r, c, float(value), fmt)

    def write_blank(self, r, c, _value=None, fmt=None):
        self._ws.write(r, c, None, fmt)

    def write_datetime(self, r, c, value, fmt=None):
        self._ws.write_datetime_py(r, c, value, fmt)

    def merge_range(self, r1, c1, r2, c2, value, fmt=None):
        self._ws.merge_range(r1, c1, r2, c2, "" if value is None else str(value), fmt)

    def write_url(self, r, c, url: str, fmt=None, text=None, tip=None):
        if url.startswith("external:"):                  # XlsxWriter's local-file form
            url = "file:///" + url[len("external:"):].replace("\\", "/")
        self._ws.write_url(r, c, url, fmt, text, tip)

    def set_column(self, c1, c2, width, _fmt=None):
        for c in range(c1, c2 + 1):
            self._ws.set_column_width(c, width)

    def set_row(self, r, height, _fmt=None):
        """In whole pixels where the height is one (points × 4/3): the same XML, but after the
        binding's set_row_height a streaming sheet takes twice as long to close (measured:
        1.14 s against 0.53 s for part 一 at N = 1,000)."""
        pixels = height * 4 / 3
        if pixels.is_integer():
            self._ws.set_row_height_pixels(r, int(pixels))
        else:
            self._ws.set_row_height(r, height)

    def set_landscape(self):
        self._ws.set_landscape()

    def set_paper(self, size):
        self._ws.set_paper_size(size)

    def repeat_rows(self, first, last=None):
        self._ws.set_repeat_rows(first, first if last is None else last)

    def fit_to_pages(self, width, height):
        self._ws.set_print_fit_to_pages(width, height)

    def center_horizontally(self):
        self._ws.set_print_center_horizontally(True)

    def set_margins(self, left=0.7, right=0.7, top=0.75, bottom=0.75):
        self._ws.set_margins(left, right, top, bottom, 0.3, 0.3)

    def set_footer(self, text):
        self._ws.set_footer(text)

    def freeze_panes(self, r, c):
        self._ws.freeze_panes(r, c)

    def autofilter(self, r1, c1, r2, c2):
        self._ws.autofilter(r1, c1, r2, c2)

    def hide(self):
        self._ws.hide()

    def data_validation_list(self, r1, c1, r2, c2, items):
        dv = self._rx.DataValidation()
        dv.allow_list_strings(list(items))
        self._ws.add_data_validation(r1, c1, r2, c2, dv)


# Bytes per read and write of a copied part: each chunk is one zlib call, which releases
# Python's lock. Measured at N = 1,000 (the summary's write): 2 MB and 8 MB take the same
# time, and 2 MB holds 6 MB less at the write's peak.
CHUNK = 2 << 20
_END = b"</sheetData>"
_MERGE_CELLS = re.compile(rb'<mergeCells count="(\d+)">')


def _ref(r1: int, c1: int, r2: int, c2: int, letters: dict[int, str]) -> bytes:
    return f"{letters[c1]}{r1 + 1}:{letters[c2]}{r2 + 1}".encode()


def add_merges(path: str | Path, merges: dict[str, list[tuple[int, int, int, int]]]) -> None:
    """Add merged ranges to worksheet parts of a written .xlsx (see copy_part)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".merging")
    with zipfile.ZipFile(path) as src, new_package(tmp) as dst:
        for info in src.infolist():
            copy_part(src, info.filename, dst, merges.get(info.filename))
    os.replace(tmp, path)


def new_package(path: str | Path) -> zipfile.ZipFile:
    """A zip for copy_part: fast compression (the parts are written once, read rarely)."""
    return zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1)


def copy_part(src: zipfile.ZipFile, name: str, dst: zipfile.ZipFile,
              merges: list[tuple[int, int, int, int]] | None = None, as_name: str | None = None) -> None:
    """Copy the part `name` of `src` to `dst` (as `as_name`), adding merged ranges to a worksheet part: its
    XML is streamed through unchanged up to </sheetData>; the merges join the <mergeCells>
    element after it (created, in schema order, right after </sheetData> if the sheet has
    none). zlib releases Python's lock while it works, so this can run in a thread."""
    info, name = src.getinfo(name), as_name or name
    if _joinable(src, info, dst, name):
        if not merges and _copy_compressed(src, info, dst, name):
            return
        with _Deflating(dst, name, info.date_time) as wh:
            _merged_into(_Inflating(src, info), wh, merges)
        return
    # zip64 only where a part may need it: file-type sniffers read the first entries' headers
    big = info.file_size > 1 << 30
    with src.open(info) as fh, dst.open(name, "w", force_zip64=big) as wh:
        _merged_into(fh, wh, merges)


def _merged_into(fh, wh, merges: list[tuple[int, int, int, int]] | None) -> None:
    """Stream the part `fh` to `wh`, the merged ranges added after its </sheetData>."""
    from xl_addin.locate.headers import xl_col_to_name

    if not merges:
        shutil.copyfileobj(fh, wh, CHUNK)
        return
    tail, held = b"", b""       # held: the last bytes of the chunk before (</sheetData> may straddle two)
    while True:
        chunk = fh.read(CHUNK)
        if not chunk:
            tail = held
            break
        if len(chunk) <= len(_END):            # a short read: scan what is held with it
            chunk, held = held + chunk, b""
        joint = held + chunk[:len(_END)]
        at = joint.find(_END)
        if at >= 0:
            wh.write(joint[:at])
            tail = joint[at:] + chunk[len(_END):] + fh.read()
            break
        wh.write(held)
        at = chunk.find(_END)
        if at >= 0:
            wh.write(memoryview(chunk)[:at])
            tail = chunk[at:] + fh.read()         # what follows the cells is small
            break
        wh.write(memoryview(chunk)[:-len(_END)])  # (no copy of the chunk: a view)
        held = chunk[-len(_END):]
    letters = {c: xl_col_to_name(c) for r in {(r[1], r[3]) for r in merges} for c in r}
    cells = b"".join(b'<mergeCell ref="' + _ref(*r, letters) + b'"/>' for r in merges)
    found = _MERGE_CELLS.search(tail)
    if found:
        count = int(found.group(1)) + len(merges)
        end = tail.index(b"</mergeCells>", found.end())
        tail = (tail[:found.start()] + b'<mergeCells count="%d">' % count + tail[found.end():end]
                + cells + tail[end:])
    else:
        close = len(_END)
        tail = (tail[:close] + b'<mergeCells count="%d">' % len(merges) + cells + b"</mergeCells>"
                + tail[close:])
    wh.write(tail)


_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")     # a zip member's local header (APPNOTE 4.3.7)
_DST_NEEDS = ("fp", "_lock", "_writecheck", "filelist", "NameToInfo", "start_dir", "_writing")


try:        # ISA-L's deflate: the same format, 3-4x zlib's speed at level 1 (and a smaller result)
    from isal import isal_zlib as _zlib
except ImportError:         # (no wheel for this platform) zlib's
    import zlib as _zlib


def _joinable(src: zipfile.ZipFile, info: zipfile.ZipInfo, dst: zipfile.ZipFile, name: str) -> bool:
    """Whether the part can be copied by _copy_compressed or through _Inflating and _Deflating
    (both write into the archive as zipfile does, through its internals); else zipfile's own
    reader and writer, with zlib. Measured on part 一 at N = 1,000 (34 MB of XML): inflated and
    deflated again in 0.10 s with ISA-L, against 0.29 s with zlib."""
    return (info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) and not info.flag_bits & 0x1
            and max(info.file_size, info.compress_size) <= 1 << 30 and all(hasattr(dst, a) for a in _DST_NEEDS)
            and dst.mode == "w" and name not in dst.NameToInfo and hasattr(src, "fp"))


def _data_start(src: zipfile.ZipFile, info: zipfile.ZipInfo) -> int | None:
    """Where the member's data begins (after its local header, name and extra field), or None."""
    src.fp.seek(info.header_offset)
    head = src.fp.read(_LOCAL_HEADER.size)
    if len(head) != _LOCAL_HEADER.size or head[:4] != b"PK\x03\x04":
        return None
    fields = _LOCAL_HEADER.unpack(head)
    return info.header_offset + _LOCAL_HEADER.size + fields[-2] + fields[-1]


class _Inflating:
    """A member of a zip read as its text (read(n), read()), its CRC checked at the end."""

    def __init__(self, src: zipfile.ZipFile, info: zipfile.ZipInfo):
        start = _data_start(src, info)
        if start is None:
            raise zipfile.BadZipFile(f"{info.filename}: no local header")
        self.fp, self.info, self.left = src.fp, info, info.compress_size
        self.fp.seek(start)
        self.unpacker = _zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
        self.buffer, self.crc, self.size = b"", 0, 0

    def read(self, n: int = -1) -> bytes:
        while (n < 0 or len(self.buffer) < n) and self.left:
            raw = self.fp.read(min(max(CHUNK // 8, 1), self.left))     # (about CHUNK once inflated)
            if not raw:
                raise zipfile.BadZipFile(f"{self.info.filename}: truncated")
            self.left -= len(raw)
            data = self.unpacker.decompress(raw) if self.unpacker else raw
            if not self.left and self.unpacker:
                data += self.unpacker.flush()
            self.crc, self.size = _zlib.crc32(data, self.crc), self.size + len(data)
            self.buffer += data
        if not self.left and (self.crc != self.info.CRC or self.size != self.info.file_size):
            raise zipfile.BadZipFile(f"{self.info.filename}: bad CRC or size")
        out, self.buffer = (self.buffer, b"") if n < 0 else (self.buffer[:n], self.buffer[n:])
        return out



class _Deflating:
    """A new member of `dst` (a zip being written) deflated by _zlib at level 1, written as
    zipfile writes one to a file it can seek in: its header first, rewritten with the CRC and
    sizes at the end. The archive is the member's alone until then (zipfile's own rule)."""

    def __init__(self, dst: zipfile.ZipFile, name: str, date_time):
        self.dst, self.info = dst, zipfile.ZipInfo(name, date_time)
        self.info.compress_type = zipfile.ZIP_DEFLATED
        self.info.external_attr = 0o600 << 16
        self.info.CRC = self.info.compress_size = self.info.file_size = 0       # until the end
        self.packer = _zlib.compressobj(1, _zlib.DEFLATED, -15)
        self.crc = self.size = self.written = 0
        with dst._lock:
            if dst._writing:
                raise ValueError("the zip is being written already")
            dst._writecheck(self.info)
            if getattr(dst, "_seekable", True):
                dst.fp.seek(dst.start_dir)
            self.info.header_offset = dst.fp.tell()
            dst.fp.write(self.info.FileHeader(False))
            dst._writing, dst._didModify = True, True

    def write(self, data) -> None:
        self.crc, self.size = _zlib.crc32(data, self.crc), self.size + len(data)
        out = self.packer.compress(data)
        self.written += len(out)
        self.dst.fp.write(out)

    def __enter__(self):
        return self

    def __exit__(self, kind, *_) -> None:
        dst, info = self.dst, self.info
        try:
            if kind is not None:        # the caller failed: the archive is discarded (written to a temporary file)
                return
            out = self.packer.flush()
            dst.fp.write(out)
            info.CRC, info.file_size, info.compress_size = self.crc, self.size, self.written + len(out)
            if info.file_size > zipfile.ZIP64_LIMIT or info.compress_size > zipfile.ZIP64_LIMIT:
                raise zipfile.LargeZipFile(f"{info.filename}: too large for this writer")
            end = dst.fp.tell()
            dst.fp.seek(info.header_offset)
            dst.fp.write(info.FileHeader(False))
            dst.fp.seek(end)
            dst.filelist.append(info)
            dst.NameToInfo[info.filename] = info
            dst.start_dir = end
        finally:
            dst._writing = False


def _copy_compressed(src: zipfile.ZipFile, info: zipfile.ZipInfo, dst: zipfile.ZipFile, name: str) -> bool:
    """Copy a joinable part's compressed bytes as they are (its CRC and sizes with them), as
    zipfile itself writes a folder entry; False (nothing written) where its header is not
    found or the archive is being written: then the caller inflates and deflates it again.
    The unmerged sheets (补助测算, 材料核对, the rest) are not compressed twice: measured at
    N = 1,000, the write (min of 3 rounds) 3.74-4.20 s against 4.01-4.34."""
    start = _data_start(src, info)
    if start is None:
        return False
    src.fp.seek(start)
    out = zipfile.ZipInfo(name, info.date_time)
    out.compress_type, out.CRC = info.compress_type, info.CRC
    out.compress_size, out.file_size = info.compress_size, info.file_size
    out.external_attr = info.external_attr
    with dst._lock:
        if dst._writing:
            return False
        if getattr(dst, "_seekable", True):
            dst.fp.seek(dst.start_dir)
        out.header_offset = dst.fp.tell()
        dst._writecheck(out)
        dst._didModify = True
        dst.fp.write(out.FileHeader(False))
        left = info.compress_size
        while left:
            chunk = src.fp.read(min(CHUNK, left))
            if not chunk:
                raise zipfile.BadZipFile(f"{info.filename}: truncated")
            dst.fp.write(chunk)
            left -= len(chunk)
        dst.filelist.append(out)
        dst.NameToInfo[name] = out
        dst.start_dir = dst.fp.tell()
    return True


_STYLE_LISTS = [(b"numFmts", rb"<numFmt\b[^>]*/>"), (b"fonts", rb"<font\b.*?</font>|<font\s*/>"),
                (b"fills", rb"<fill\b.*?</fill>|<fill\s*/>"), (b"borders", rb"<border\b.*?</border>|<border\s*/>"),
                (b"cellXfs", rb"<xf\b[^>]*?/>|<xf\b.*?</xf>")]


def styles_extend(book: str | Path, part_of: str | Path) -> bool:
    """Whether every style index of the file `part_of` means the same in `book`: its number
    formats, fonts, fills, borders and cell formats are the first ones of `book`'s, in the
    same order (rust_xlsxwriter numbers styles in order of first use, so two workbooks
    whose sheets use formats in the same order agree)."""
    def lists(path) -> list[list[bytes]]:
        with zipfile.ZipFile(path) as z:
            xml = z.read("xl/styles.xml")
        out = []
        for tag, item in _STYLE_LISTS:
            found = re.search(rb"<" + tag + rb"\b[^>]*>(.*?)</" + tag + rb">", xml, re.S)
            out.append(re.findall(item, found.group(1), re.S) if found else [])
        return out
    return all(b[:len(a)] == a for a, b in zip(lists(part_of), lists(book)))

