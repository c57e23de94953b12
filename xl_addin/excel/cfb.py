"""A minimal [MS-CFB] compound-file writer (version 3, 512-byte sectors).

olefile reads compound files but cannot create them, and no maintained PyPI
package writes them, so this is the small part we need: a tree of storages and
streams, the mini stream for streams under 4096 bytes, FAT and MiniFAT, and
directory siblings as a valid red-black tree. Files stay far below the size
that would need DIFAT sectors (~7 MB)."""
from __future__ import annotations

import struct
from dataclasses import dataclass, field

SECTOR, MINI_SECTOR, MINI_CUTOFF = 512, 64, 4096
FREESECT, ENDOFCHAIN, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
_PER_FAT = SECTOR // 4


@dataclass
class _Entry:
    name: str
    entry_type: int                       # 1 storage, 2 stream, 5 root
    data: bytes = b""
    children: list["_Entry"] = field(default_factory=list)
    sid: int = 0
    left: int = NOSTREAM
    right: int = NOSTREAM
    child: int = NOSTREAM
    red: bool = False
    start: int = ENDOFCHAIN


def _sort_key(name: str) -> tuple[int, str]:
    # MS-CFB 2.6.4: shorter names first, then code-point order of the upper-cased names
    return len(name.encode("utf-16-le")), name.upper()


def _tree(entries: list[_Entry], depth: int, max_depth: int) -> int:
    """Balanced BST over sorted siblings; nodes on an incomplete last level are red,
    which keeps every root-to-leaf path at the same black height."""
    if not entries:
        return NOSTREAM
    mid = len(entries) // 2
    node = entries[mid]
    node.red = depth == max_depth
    node.left = _tree(entries[:mid], depth + 1, max_depth)
    node.right = _tree(entries[mid + 1:], depth + 1, max_depth)
    return node.sid


def _chain(fat: list[int], first: int, count: int) -> None:
    for i in range(count):
        fat[first + i] = first + i + 1 if i < count - 1 else ENDOFCHAIN


def write_compound_file(streams: dict[str, bytes]) -> bytes:
    """`streams` maps 'Storage/Stream' paths to bytes; returns the file's bytes."""
    root = _Entry("Root Entry", 5)
    for path, data in streams.items():
        node = root
        *dirs, leaf = path.split("/")
        for d in dirs:
            found = next((c for c in node.children if c.name == d and c.entry_type == 1), None)
            if found is None:
                found = _Entry(d, 1)
                node.children.append(found)
            node = found
        node.children.append(_Entry(leaf, 2, data))

    entries: list[_Entry] = []

    def number(e: _Entry) -> None:
        e.sid = len(entries)
        entries.append(e)
        for c in sorted(e.children, key=lambda x: _sort_key(x.name)):
            number(c)

    number(root)
    for e in entries:
        kids = sorted(e.children, key=lambda x: _sort_key(x.name))
        if kids:
            depth = (len(kids)).bit_length() - 1          # depth of the last level
            full = len(kids) == (1 << (depth + 1)) - 1
            e.child = _tree(kids, 0, depth if not full else -1)

    # Mini stream: small streams packed in 64-byte mini sectors.
    mini, minifat = bytearray(), []
    big = []
    for e in entries:
        if e.entry_type != 2:
            continue
        if len(e.data) < MINI_CUTOFF:
            if not e.data:
                continue
            e.start = len(minifat)
            n = -(-len(e.data) // MINI_SECTOR)
            minifat += [0] * n
            _chain(minifat, e.start, n)
            mini += e.data + bytes(n * MINI_SECTOR - len(e.data))
        else:
            big.append(e)

    def sectors(n_bytes: int) -> int:
        return -(-n_bytes // SECTOR)

    n_dir = sectors(len(entries) * 128)
    n_minifat = sectors(len(minifat) * 4)
    n_mini = sectors(len(mini))
    n_big = [sectors(len(e.data)) for e in big]
    n_data = n_dir + n_minifat + n_mini + sum(n_big)
    n_fat = 1
    while n_fat * _PER_FAT < n_fat + n_data:
        n_fat += 1
    if n_fat > 109:
        raise ValueError("compound file too large for this writer")

    fat = [FREESECT] * (n_fat * _PER_FAT)
    for i in range(n_fat):
        fat[i] = FATSECT
    at = n_fat
    dir_start = at
    _chain(fat, at, n_dir)
    at += n_dir
    minifat_start = at if n_minifat else ENDOFCHAIN
    _chain(fat, at, n_minifat)
    at += n_minifat
    root.start = at if n_mini else ENDOFCHAIN
    root.data = bytes(mini)
    _chain(fat, at, n_mini)
    at += n_mini
    for e, n in zip(big, n_big):
        e.start = at
        _chain(fat, at, n)
        at += n

    def pad(b: bytes) -> bytes:
        return b + bytes(-len(b) % SECTOR)

    body = bytearray()
    body += struct.pack(f"<{len(fat)}I", *fat)
    dir_bytes = bytearray()
    for e in entries:
        name = e.name.encode("utf-16-le")
        dir_bytes += struct.pack(
            "<64sHBBIII16sIQQIQ", name, len(name) + 2, e.entry_type, 0 if e.red else 1,
            e.left, e.right, e.child, bytes(16), 0, 0, 0,
            e.start if e.entry_type != 1 else 0, len(e.data) if e.entry_type != 1 else 0)
    while len(dir_bytes) % SECTOR:                      # unused entries
        dir_bytes += struct.pack("<64sHBBIII16sIQQIQ", b"", 0, 0, 0, NOSTREAM, NOSTREAM, NOSTREAM,
                                 bytes(16), 0, 0, 0, 0, 0)
    body += dir_bytes
    body += pad(struct.pack(f"<{len(minifat)}I", *minifat)) if minifat else b""
    body += pad(bytes(mini)) if mini else b""
    for e in big:
        body += pad(e.data)

    difat = list(range(n_fat)) + [FREESECT] * (109 - n_fat)
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII109I", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", bytes(16), 0x3E, 3, 0xFFFE, 9, 6,
        bytes(6), 0, n_fat, dir_start, 0, MINI_CUTOFF, minifat_start, n_minifat, ENDOFCHAIN, 0, *difat)
    return header + bytes(body)
