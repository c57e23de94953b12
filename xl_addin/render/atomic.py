"""Atomic writes: never leave a half-written or damaged file where the user's was."""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Iterator

STALE_SECONDS = 600   # temp files of writers killed this long ago are removed


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(target: str | Path, backup: bool = True) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; on success fsync it and rename
    it over the target (keeping the previous file as TARGET.bak). On failure the
    temporary file is removed and the target is untouched."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale(target)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=f".tmp{target.suffix}", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    os.chmod(tmp, 0o666 & ~_umask())      # mkstemp makes 0600; the result is an ordinary file
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        if backup and target.exists():
            bak = target.with_name(target.name + ".bak")
            with contextlib.suppress(FileNotFoundError):
                bak.unlink()
            try:
                os.link(target, bak)   # the old inode lives on as .bak; no window without a target
            except OSError:
                shutil.copy2(target, bak)
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def _remove_stale(target: Path) -> None:
    """Temp files a killed writer left behind (never those of a writer still at work)."""
    now = time.time()
    for stale in target.parent.glob(f".{target.stem}.*.tmp{target.suffix}"):
        with contextlib.suppress(OSError):
            if now - stale.stat().st_mtime > STALE_SECONDS:
                stale.unlink()


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_text(target: str | Path, text: str, backup: bool = True) -> Path:
    with atomic_path(target, backup) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(target)
