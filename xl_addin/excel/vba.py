"""Write a source-only VBA project (vbaProject.bin) without Excel.

The layout follows [MS-OVBA] and [MS-CFB]: a compound file holding PROJECT,
PROJECTwm and a VBA storage with `_VBA_PROJECT` (version 0xFFFF: no p-code,
so Office recompiles from source, as it does for xlwings' own standalone
quickstart), `dir` and one compressed stream per module. Only what a project
of plain modules needs is implemented; the readers in oletools/olefile and
LibreOffice read it back in the tests.
"""
from __future__ import annotations

import hashlib
import struct
import uuid
from dataclasses import dataclass

# -- MS-OVBA 2.4.1 compression -------------------------------------------------

_CHUNK = 4096


def _copy_token_layout(difference: int) -> tuple[int, int]:
    """(bit_count, maximum_length) for a copy token at `difference` bytes into the chunk."""
    bit_count = max((difference - 1).bit_length(), 4)
    return bit_count, (0xFFFF >> bit_count) + 3


def _compress_chunk(chunk: bytes) -> bytes:
    out = bytearray()
    pos, n = 0, len(chunk)
    heads: dict[bytes, list[int]] = {}
    while pos < n:
        flag_at, flag = len(out), 0
        out.append(0)
        for bit in range(8):
            if pos >= n:
                break
            best_len, best_off = 0, 0
            if pos > 0:
                _, max_len = _copy_token_layout(pos)
                for cand in reversed(heads.get(chunk[pos:pos + 3], [])[-64:]):
                    length = 0
                    limit = min(max_len, n - pos)
                    while length < limit and chunk[cand + length] == chunk[pos + length]:
                        length += 1
                    if length > best_len:
                        best_len, best_off = length, pos - cand
                        if length == limit:
                            break
            step = best_len if best_len >= 3 else 1
            if best_len >= 3:
                bit_count, _ = _copy_token_layout(pos)
                token = ((best_off - 1) << (16 - bit_count)) | (best_len - 3)
                out += struct.pack("<H", token)
                flag |= 1 << bit
            else:
                out.append(chunk[pos])
            for p in range(pos, pos + step):
                heads.setdefault(chunk[p:p + 3], []).append(p)
            pos += step
        out[flag_at] = flag
    return bytes(out)


def compress(data: bytes) -> bytes:
    """MS-OVBA CompressedContainer of `data`."""
    out = bytearray(b"\x01")
    for start in range(0, len(data), _CHUNK):
        chunk = data[start:start + _CHUNK]
        body = _compress_chunk(chunk)
        if len(body) > _CHUNK - 2 and len(chunk) == _CHUNK:   # incompressible: raw chunk
            out += struct.pack("<H", 0x3000 | (_CHUNK - 1)) + chunk
        else:
            out += struct.pack("<H", 0xB000 | (len(body) + 2 - 3)) + body
    return bytes(out)


# -- MS-OVBA 2.4.3 data encryption (CMG/DPB/GC in the PROJECT stream) -------------

def encrypt(data: bytes, project_id: str, seed: int) -> str:
    proj_key = sum(project_id.encode("ascii")) & 0xFF
    version_enc, proj_key_enc = seed ^ 2, seed ^ proj_key
    out = bytearray([seed, version_enc, proj_key_enc])
    unenc1, enc1, enc2 = proj_key, proj_key_enc, version_enc
    ignored = bytes(((seed & 6) // 2))
    for byte in ignored + struct.pack("<I", len(data)) + data:
        byte_enc = byte ^ ((enc2 + unenc1) & 0xFF)
        out.append(byte_enc)
        enc2, enc1, unenc1 = enc1, byte_enc, byte
    return out.hex().upper()


# -- modules and the project ------------------------------------------------------

DOC_WORKBOOK = "0{00020819-0000-0000-C000-000000000046}"
DOC_SHEET = "0{00020820-0000-0000-C000-000000000046}"
CLASS_BASE = "0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"
REFERENCES = [
    ("stdole", "*\\G{00020430-0000-0000-C000-000000000046}#2.0#0#C:\\Windows\\System32\\stdole2.tlb"
               "#OLE Automation"),
    ("Office", "*\\G{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}#2.0#0#C:\\Program Files\\Common Files\\"
               "Microsoft Shared\\OFFICE16\\MSO.DLL#Microsoft Office 16.0 Object Library"),
]


@dataclass
class Module:
    name: str
    role: str            # "module", "class", "workbook" or "sheet"
    code: str            # the body, without Attribute lines

    def stored_source(self) -> str:
        attrs = [f'Attribute VB_Name = "{self.name}"']
        if self.role in ("workbook", "sheet", "class"):
            base = {"workbook": DOC_WORKBOOK, "sheet": DOC_SHEET, "class": CLASS_BASE}[self.role]
            document = self.role != "class"
            attrs += [f'Attribute VB_Base = "{base}"', "Attribute VB_GlobalNameSpace = False",
                      "Attribute VB_Creatable = False",
                      f"Attribute VB_PredeclaredId = {'True' if document else 'False'}",
                      "Attribute VB_Exposed = True", "Attribute VB_TemplateDerived = False",
                      f"Attribute VB_Customizable = {'True' if document else 'False'}"]
        body = self.code.replace("\r\n", "\n").strip("\n")
        return "\r\n".join(attrs + body.split("\n")) + "\r\n"


def parse_source(name: str, text: str) -> Module:
    """A module from an exported .bas/.cls text: header and Attribute lines are dropped
    (they are regenerated), the code is kept as is."""
    lines = text.replace("\r\n", "\n").split("\n")
    role = "class" if lines and lines[0].startswith("VERSION 1.0 CLASS") else "module"
    if role == "class":
        lines = lines[lines.index("END") + 1:]
    code = [ln for ln in lines if not ln.startswith("Attribute VB_")]
    return Module(name, role, "\n".join(code))


def _rec(rid: int, data: bytes) -> bytes:
    return struct.pack("<HI", rid, len(data)) + data


def _dir_stream(modules: list[Module], codepage: int, project_name: str) -> bytes:
    enc = f"cp{codepage}"
    d = bytearray()
    d += _rec(0x01, struct.pack("<I", 3))                    # SYSKIND: 64-bit Windows, as xlwings' own file
    d += _rec(0x02, struct.pack("<I", 0x409)) + _rec(0x14, struct.pack("<I", 0x409))
    d += _rec(0x03, struct.pack("<H", codepage))
    d += _rec(0x04, project_name.encode(enc))
    d += _rec(0x05, b"") + _rec(0x40, b"")                     # doc string
    d += _rec(0x06, b"") + _rec(0x3D, b"")                     # help file
    d += _rec(0x07, struct.pack("<I", 0)) + _rec(0x08, struct.pack("<I", 0))
    d += struct.pack("<HIIH", 0x09, 4, 1, 0)                   # PROJECTVERSION 1.0
    d += _rec(0x0C, b"") + _rec(0x3C, b"")                     # constants
    for name, libid in REFERENCES:
        d += _rec(0x16, name.encode(enc)) + _rec(0x3E, name.encode("utf-16-le"))
        lib = libid.encode(enc)
        d += _rec(0x0D, struct.pack("<I", len(lib)) + lib + struct.pack("<IH", 0, 0))
    d += _rec(0x0F, struct.pack("<H", len(modules)))
    d += _rec(0x13, struct.pack("<H", 0xFFFF))
    for m in modules:
        d += _rec(0x19, m.name.encode(enc)) + _rec(0x47, m.name.encode("utf-16-le"))
        d += _rec(0x1A, m.name.encode(enc)) + _rec(0x32, m.name.encode("utf-16-le"))
        d += _rec(0x1C, b"") + _rec(0x48, b"")
        d += _rec(0x31, struct.pack("<I", 0))                   # source starts at offset 0
        d += _rec(0x1E, struct.pack("<I", 0))
        d += _rec(0x2C, struct.pack("<H", 0xFFFF))
        d += _rec(0x21 if m.role == "module" else 0x22, b"")
        d += _rec(0x2B, b"")
    d += _rec(0x10, b"")
    return bytes(d)


NOT_PROTECTED, NO_PASSWORD, VISIBLE = bytes(4), bytes(1), b"\xff"


def _project_stream(modules: list[Module], project_id: str, seed: bytes) -> bytes:
    lines = [f'ID="{project_id}"']
    for m in modules:
        if m.role in ("workbook", "sheet"):
            lines.append(f"Document={m.name}/&H00000000")
        else:
            lines.append(f"{'Class' if m.role == 'class' else 'Module'}={m.name}")
    lines += ['Name="VBAProject"', 'HelpContextID="0"', 'VersionCompatible32="393222000"',
              f'CMG="{encrypt(NOT_PROTECTED, project_id, seed[0])}"',
              f'DPB="{encrypt(NO_PASSWORD, project_id, seed[1])}"',
              f'GC="{encrypt(VISIBLE, project_id, seed[2])}"',
              "", "[Host Extender Info]",
              "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000", "", "[Workspace]"]
    lines += [f"{m.name}=0, 0, 0, 0, C" for m in modules]
    return ("\r\n".join(lines) + "\r\n").encode("ascii")


def project_streams(modules: list[Module], codepage: int = 1252,
                    project_name: str = "VBAProject") -> dict[str, bytes]:
    """The streams of a VBA project storage ('PROJECT', 'VBA/dir', ...); deterministic."""
    digest = hashlib.sha256("\0".join(m.name + m.code for m in modules).encode("utf-8")).digest()
    project_id = "{" + str(uuid.UUID(bytes=digest[:16])).upper() + "}"
    wm = b"".join(m.name.encode("ascii") + b"\0" + m.name.encode("utf-16-le") + b"\0\0" for m in modules)
    streams = {
        "PROJECT": _project_stream(modules, project_id, digest[16:19]),
        "PROJECTwm": wm + b"\0\0",
        "VBA/_VBA_PROJECT": b"\xcc\x61\xff\xff\x00\x01\x00",     # version 0xFFFF: no p-code
        "VBA/dir": compress(_dir_stream(modules, codepage, project_name)),
    }
    for m in modules:
        streams[f"VBA/{m.name}"] = compress(m.stored_source().encode(f"cp{codepage}"))
    return streams


def build_project(modules: list[Module], codepage: int = 1252, project_name: str = "VBAProject") -> bytes:
    """vbaProject.bin bytes for `modules` (the part an .xlsm carries)."""
    from xl_addin.excel.cfb import write_compound_file

    return write_compound_file(project_streams(modules, codepage, project_name))
