"""LibreOffice as a headless converter (PDF for printing and for checks)."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path


class OfficeMissing(RuntimeError):
    pass


def soffice() -> str | None:
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    for candidate in (r"C:\Program Files\LibreOffice\program\soffice.exe",
                      "/Applications/LibreOffice.app/Contents/MacOS/soffice"):
        if os.path.exists(candidate):
            return candidate
    return None


# LibreOffice keeps an .xlsx file's cached formula results unless told to recalculate on load.
RECALCULATE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse">
<value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse">
<value>0</value></prop></item>
</oor:items>
"""


def recalculate(path: str | Path, outdir: str | Path) -> Path:
    """The workbook recalculated by LibreOffice and saved as .xlsx (which stores the computed
    values, so any reader sees what Excel, WPS or LibreOffice would show)."""
    if Path(outdir).resolve() == Path(path).resolve().parent:
        raise ValueError("recalculate writes a file of the same name: give another folder")
    return convert(path, "xlsx", outdir, recalc=True)


def convert(path: str | Path, fmt: str = "pdf", outdir: str | Path | None = None, timeout: int = 180,
            recalc: bool = False) -> Path:
    """Convert with LibreOffice; returns the new file. A private profile keeps
    parallel runs (and a user's open LibreOffice) from interfering."""
    exe = soffice()
    if exe is None:
        raise OfficeMissing("未找到 LibreOffice（soffice）。请安装 LibreOffice，或在 Excel/WPS 中打开后“另存为 PDF”。")
    path = Path(path).resolve()
    outdir = Path(outdir or path.parent).resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="xl_addin_lo_") as profile:
        if recalc:
            (Path(profile) / "user").mkdir()
            (Path(profile) / "user" / "registrymodifications.xcu").write_text(RECALCULATE, encoding="utf-8")
        cmd = [exe, f"-env:UserInstallation={Path(profile).as_uri()}", "--headless", "--norestore",
               "--convert-to", fmt, "--outdir", str(outdir), str(path)]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    target = outdir / (path.stem + "." + fmt.split(":")[0])
    if res.returncode != 0 or not target.exists():
        raise RuntimeError(f"LibreOffice 转换失败：{res.stderr.strip() or res.stdout.strip()}")
    return target
