"""SUMMARY.xlsx prints: LibreOffice converts it, pages are A4 landscape, the header repeats."""
import re
import shutil
import subprocess

import pytest

from xl_addin.consolidate.pipeline import run
from xl_addin.examples import generate_city, write_county_workbook
from xl_addin.render.office import convert, soffice
from xl_addin.render.summary_xlsx import write_summary

pytestmark = pytest.mark.skipif(soffice() is None or shutil.which("pdftotext") is None,
                                reason="LibreOffice (soffice) or poppler-utils not installed")


def pdf_pages(pdf):
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "99", str(pdf)], capture_output=True, text=True).stdout
    return [(float(w), float(h)) for w, h in re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", info)]


def page_text(pdf, n):
    return subprocess.run(["pdftotext", "-layout", "-f", str(n), "-l", str(n), str(pdf), "-"],
                          capture_output=True, text=True).stdout


def test_summary_converts_to_landscape_a4_with_header_on_every_page(tmp_path):
    books = generate_city("沧州", seed=3)
    paths = [write_county_workbook(b, tmp_path / "in" / b.filename) for b in books]
    report = run(paths, city="沧州")
    assert sum(len(e.rows) for e in report.enterprises["table1"]) > 60   # enough rows for several pages
    summary = write_summary(report, tmp_path / "SUMMARY.xlsx")
    pdf = convert(summary, "pdf", tmp_path / "pdf")
    pages = pdf_pages(pdf)
    assert len(pages) >= 3
    for width, height in pages:  # A4 landscape is 842 x 595 points
        assert width == pytest.approx(841.9, abs=2) and height == pytest.approx(595.3, abs=2)
    first, second = page_text(pdf, 1), page_text(pdf, 2)
    assert "2026年度河北省特色产业集群" in first and "购置设备名称种类金额" in first
    # page 2 continues part 一: the header row is printed again above the rows
    assert "购置设备名称种类金额" in second and "序号" in second
    assert "2026年度河北省特色产业集群" not in second
