"""SUMMARY.xlsx is the same file whichever writer engine writes it (rust_xlsxwriter binding or
XlsxWriter): values and types, formats, merges, hyperlinks, widths and print set-up."""
from __future__ import annotations

import openpyxl
import pytest

from xl_addin.consolidate.pipeline import run
from xl_addin.examples import generate_city, inject_mistakes, write_county_workbook
from xl_addin.render.summary_xlsx import write_summary


def _describe(path):
    wb = openpyxl.load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        cells = {}
        for row in ws.iter_rows():
            for c in row:
                link = c.hyperlink
                cells[c.coordinate] = (
                    c.value, c.data_type, c.number_format, c.font.b, c.font.name, c.font.color.rgb if c.font.color
                    else None, c.alignment.horizontal, c.alignment.vertical, c.alignment.wrap_text,
                    c.border.left.style, c.fill.fgColor.rgb if c.fill.fill_type else None,
                    # XlsxWriter writes relative link targets with "\\", the Rust writer with "/"
                    (link.target.replace("\\", "/"), link.location) if link else None)
        setup = ws.page_setup
        out[ws.title] = {
            "cells": cells, "merged": sorted(map(str, ws.merged_cells.ranges)),
            "widths": {k: round(d.width, 1) for k, d in ws.column_dimensions.items() if d.width},
            "print": (ws.print_title_rows, setup.orientation, setup.paperSize, setup.fitToWidth, setup.fitToHeight,
                      ws.sheet_properties.pageSetUpPr.fitToPage, ws.print_options.horizontalCentered,
                      ws.oddFooter.center.text, ws.freeze_panes, ws.auto_filter.ref,
                      round(ws.page_margins.left, 2), round(ws.page_margins.top, 2)),
        }
    return out


def test_both_engines_write_the_same_summary(tmp_path):
    pytest.importorskip("rvgsrust_xlsxwriter")
    books = generate_city("沧州", seed=5)
    inject_mistakes(books)
    paths = [write_county_workbook(b, tmp_path / "in" / b.filename) for b in books]
    report = run(paths)
    assert report.issues and any(i.cell for i in report.issues)       # 问题清单 has hyperlinks
    import gc
    rust = _describe(write_summary(report, tmp_path / "rust.xlsx", engine="rust"))
    assert gc.isenabled()                        # paused while writing, on again after
    xlsxwriter = _describe(write_summary(report, tmp_path / "xlsxwriter.xlsx", engine="xlsxwriter"))
    assert list(rust) == list(xlsxwriter)
    for sheet in rust:
        for part in ("merged", "widths", "print"):
            assert rust[sheet][part] == xlsxwriter[sheet][part], (sheet, part)
        diff = {k: (v, xlsxwriter[sheet]["cells"].get(k)) for k, v in rust[sheet]["cells"].items()
                if v != xlsxwriter[sheet]["cells"].get(k)}
        assert not diff, (sheet, list(diff.items())[:3])
    links = [c[-1] for c in rust["问题清单"]["cells"].values() if c[-1]]
    assert links and all(target and location for target, location in links)


def _parts(path) -> dict[str, bytes]:
    import zipfile
    with zipfile.ZipFile(path) as z:     # docProps/core.xml holds the time of writing
        return {i.filename: z.read(i.filename) for i in z.infolist() if i.filename != "docProps/core.xml"}


@pytest.fixture
def city_report(tmp_path):
    books = generate_city("沧州", seed=6)
    inject_mistakes(books)
    return run([write_county_workbook(b, tmp_path / "in" / b.filename) for b in books])


def test_odd_values_inside_part_one_are_written_cell_by_cell(tmp_path, city_report):
    """Rows whose values the fast path cannot take (found by their run's type check) are
    written one cell at a time, wherever they are: control characters removed, an empty
    text a blank, an integer a number."""
    from xl_addin.consolidate.pipeline import OfficialRow

    ents = [e for e in city_report.enterprises["table1"] if len(e.rows) > 1]
    ent = ents[len(ents) // 2]
    row = ent.rows[1]
    assert type(row) is OfficialRow            # the table's rows share one header index
    index = dict(row._index)
    values = list(row._values)
    values[index["设备用途"]], values[index["安装位置"]], values[index["单价"]] = "检\x07测", "", 7
    ent.rows[1] = OfficialRow(row._index, tuple(values))
    path = write_summary(city_report, tmp_path / "s.xlsx")
    ws = openpyxl.load_workbook(path)["汇总表（一）"]
    header = next(r for r in ws.iter_rows(values_only=True) if r[0] == "序号")
    col = {name: i for i, name in enumerate(header)}
    found = [r for r in ws.iter_rows(values_only=True) if r[col["设备用途"]] == "检测"]
    assert len(found) == 1
    assert found[0][col["安装位置"]] is None and found[0][col["单价"]] == 7


def test_a_summary_written_in_pieces_is_the_summary_written_whole(tmp_path, city_report, monkeypatch):
    """A province's summary is written as several workbooks at once and joined (every large
    sheet apart, see _write_split): the joined file has the same cells, formats, merges,
    widths and print set-up as the one written whole, and its style numbers agree."""
    pytest.importorskip("rvgsrust_xlsxwriter")
    import zipfile

    from xl_addin.render import summary_xlsx

    monkeypatch.setattr(summary_xlsx, "APART_FROM", 1)        # every part, 补助测算 and 材料核对 apart
    joined = []
    split = summary_xlsx._write_split
    monkeypatch.setattr(summary_xlsx, "_write_split", lambda s, path: joined.append(split(s, path)) or joined[-1])
    whole = write_summary(city_report, tmp_path / "whole.xlsx", engine="rust", split=False)
    pieces = write_summary(city_report, tmp_path / "pieces.xlsx", engine="rust", split=True)
    with zipfile.ZipFile(pieces) as z:
        assert z.testzip() is None
        names = z.namelist()
    assert len(names) == len(set(names))
    assert set(names) - {"docProps/core.xml"} == set(_parts(whole))
    a, b = _describe(whole), _describe(pieces)
    assert list(a) == list(b)
    for sheet in a:
        assert a[sheet] == b[sheet], sheet
    assert len(a["汇总表（一）"]["merged"]) > 10
    assert joined == [True]               # joined, not written whole after a disagreement


def test_merges_join_a_sheet_part_wherever_the_reads_cut_it(tmp_path, monkeypatch):
    """copy_part reads a part in chunks: </sheetData> inside a chunk, at its edge or split
    over two, the merges land right after it, once, and nothing else changes."""
    import zipfile

    from xl_addin.render import xlsx_engine

    xml = b'<worksheet><sheetData><row r="1"><c r="A1"/></row></sheetData><pageMargins left="1"/></worksheet>'
    want = xml.replace(b"</sheetData>", b'</sheetData><mergeCells count="1"><mergeCell ref="A1:A3"/></mergeCells>')
    for method in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        with zipfile.ZipFile(tmp_path / "src.zip", "w") as z:
            z.writestr("xl/worksheets/sheet1.xml", xml, method)
        for size in range(1, len(xml) + 2):
            monkeypatch.setattr(xlsx_engine, "CHUNK", size)
            with zipfile.ZipFile(tmp_path / "src.zip") as src, zipfile.ZipFile(tmp_path / "out.zip", "w") as out:
                xlsx_engine.copy_part(src, "xl/worksheets/sheet1.xml", out, [(0, 0, 2, 0)],
                                      as_name="xl/worksheets/sheet4.xml")
            with zipfile.ZipFile(tmp_path / "out.zip") as z:
                assert z.testzip() is None
                assert z.read("xl/worksheets/sheet4.xml") == want, (method, size)
                assert z.getinfo("xl/worksheets/sheet4.xml").compress_type == zipfile.ZIP_DEFLATED


def test_a_damaged_part_is_refused_while_it_is_copied(tmp_path):
    """The copy checks the source part's CRC as it inflates it: a damaged one raises, it is
    not passed on."""
    import zipfile

    from xl_addin.render import xlsx_engine

    xml = b"<worksheet><sheetData>" + b"<row/>" * 5000 + b"</sheetData></worksheet>"
    with zipfile.ZipFile(tmp_path / "src.zip", "w") as z:
        z.writestr("xl/worksheets/sheet1.xml", xml, zipfile.ZIP_STORED)
    data = bytearray((tmp_path / "src.zip").read_bytes())
    at = data.index(b"<row/>" * 10)
    data[at + 1] = ord("x")                                   # one byte of the stored part changed
    (tmp_path / "src.zip").write_bytes(bytes(data))
    with zipfile.ZipFile(tmp_path / "src.zip") as src, zipfile.ZipFile(tmp_path / "out.zip", "w") as out:
        with pytest.raises(zipfile.BadZipFile):
            xlsx_engine.copy_part(src, "xl/worksheets/sheet1.xml", out, [(0, 0, 2, 0)])



def test_parts_without_merges_are_copied_as_compressed_bytes(tmp_path):
    """A part that gains no merges keeps its compressed bytes (no second compression): the
    copy's CRC and sizes are the source's, the package tests clean, and a member zipfile
    cannot copy that way (bzip2 here) is decompressed and written again instead."""
    import os
    import zipfile

    from xl_addin.render import xlsx_engine

    xml = b"<worksheet><sheetData>" + b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (i, i, i)
                                               for i in range(1, 5000)) + b"</sheetData></worksheet>"
    with zipfile.ZipFile(tmp_path / "src.zip", "w") as z:
        z.writestr("xl/worksheets/sheet1.xml", xml, zipfile.ZIP_DEFLATED, 9)
        z.writestr("xl/media/随机.bin", os.urandom(5000), zipfile.ZIP_STORED)
        z.writestr("xl/other.xml", xml, zipfile.ZIP_BZIP2)
    with zipfile.ZipFile(tmp_path / "src.zip") as src, xlsx_engine.new_package(tmp_path / "out.zip") as out:
        for info in src.infolist():
            xlsx_engine.copy_part(src, info.filename, out, as_name="copy/" + info.filename)
    with zipfile.ZipFile(tmp_path / "src.zip") as src, zipfile.ZipFile(tmp_path / "out.zip") as out:
        assert out.testzip() is None
        for info in src.infolist():
            copied = out.getinfo("copy/" + info.filename)
            assert out.read(copied) == src.read(info)
            assert copied.CRC == info.CRC
            if info.compress_type == zipfile.ZIP_BZIP2:
                assert copied.compress_type == zipfile.ZIP_DEFLATED       # written again, level 1
            else:
                assert (copied.compress_type, copied.compress_size) == (info.compress_type, info.compress_size)


def test_dates_go_in_runs_and_odd_cells_of_a_date_column_one_by_one(tmp_path, city_report):
    """A date column's dates are written in runs with the date format; a date Excel cannot
    hold (before 1900) is written as its text, and text in a date column stays text: the
    summary is written, never a crash."""
    import datetime as dt

    from xl_addin.consolidate.pipeline import OfficialRow

    spec = next(s for s in city_report.specs if s.id == "table2")
    agreed, left = (spec.header(f) for f in spec.summary.columns if spec.field(f).type == "date")
    ents = city_report.enterprises["table2"]
    assert ents and all(isinstance(e.rows[0][agreed], dt.date) for e in ents)

    def change(ent, **values):
        row = ent.rows[0]
        new = list(row._values)
        for header, value in values.items():
            new[row._index[header]] = value
        ent.rows[0] = OfficialRow(row._index, tuple(new))

    change(ents[0], **{left: dt.date(1850, 1, 1)})
    change(ents[-1], **{agreed: "2023年底"})
    for engine in ("rust", "xlsxwriter"):
        path = write_summary(city_report, tmp_path / f"{engine}.xlsx", engine=engine)
        ws = openpyxl.load_workbook(path)["汇总表（二）"]
        header = next(r for r in ws.iter_rows() if r[0].value == "序号")
        col = {c.value: c.column - 1 for c in header}
        body = [r for r in ws.iter_rows(min_row=header[0].row + 1) if isinstance(r[0].value, (int, float))]
        cells = [r[col[agreed]] for r in body if r[col[agreed]].value is not None]
        assert sum(isinstance(c.value, dt.datetime) and c.number_format == "yyyy-mm-dd" for c in cells) == len(cells) - 1
        assert "2023年底" in [c.value for c in cells]
        assert "1850-01-01" in [r[col[left]].value for r in body]


def test_a_split_whose_styles_disagree_is_written_whole_with_every_row(tmp_path, city_report, monkeypatch):
    """When the pieces' styles disagree the summary is written again as one workbook, from the
    report: the rows the split dropped after writing a piece are all there."""
    pytest.importorskip("rvgsrust_xlsxwriter")
    from xl_addin.render import summary_xlsx, xlsx_engine

    monkeypatch.setattr(summary_xlsx, "APART_FROM", 1)
    monkeypatch.setattr(xlsx_engine, "styles_extend", lambda book, part_of: False)
    whole = write_summary(city_report, tmp_path / "whole.xlsx", engine="rust", split=False)
    again = write_summary(city_report, tmp_path / "again.xlsx", engine="rust", split=True)
    assert _describe(again) == _describe(whole)


def _helped_summary(tmp_path, city_report, monkeypatch, name):
    """The summary written in pieces with a helper process for the largest part, its rows sent
    in blocks of 7 (so blocks end inside enterprises); (file, the helpers started)."""
    pytest.importorskip("rvgsrust_xlsxwriter")
    from xl_addin.render import summary_xlsx, writer_process

    monkeypatch.setattr(summary_xlsx, "APART_FROM", 1)
    monkeypatch.setattr(summary_xlsx, "HELP_FROM", 1)
    monkeypatch.setattr(writer_process, "BLOCK", 7)
    started = []
    start = writer_process.start
    monkeypatch.setattr(writer_process, "start", lambda: started.append(start()) or started[-1])
    return write_summary(city_report, tmp_path / name, engine="rust", split=True), started


def test_helper_processes_write_the_largest_part_and_sheet_of_the_same_summary(tmp_path, city_report, monkeypatch):
    """The largest part is written by a second process (see writer_process), a block of rows at
    a time, and the largest other sheet by a third, whole: the summary is the one written
    whole, and the helpers have ended."""
    whole = write_summary(city_report, tmp_path / "whole.xlsx", engine="rust", split=False)
    helped, started = _helped_summary(tmp_path, city_report, monkeypatch, "helped.xlsx")
    assert len(started) == 2 and None not in started
    assert [h.reply[0] for h in started] == ["done", "done"]
    assert [h.process.poll() for h in started] == [0, 0]
    a, b = _describe(whole), _describe(helped)
    for sheet in a:
        assert a[sheet] == b[sheet], sheet
    assert len(b["汇总表（一）"]["merged"]) > 10


def test_a_helper_that_fails_leaves_the_part_to_this_process(tmp_path, city_report, monkeypatch):
    """A helper that cannot run (here: it starts a module that does not exist) costs the part
    nothing: this process writes it, and the summary is the same."""
    from xl_addin.render import writer_process

    monkeypatch.setattr(writer_process.Helper, "module", "xl_addin.no_such_module")
    whole = write_summary(city_report, tmp_path / "whole.xlsx", engine="rust", split=False)
    helped, started = _helped_summary(tmp_path, city_report, monkeypatch, "helped.xlsx")
    assert [h.reply[0] for h in started] == ["failed", "failed"]
    assert _describe(helped) == _describe(whole)


def test_the_embedded_report_is_json_as_the_standard_encoder_writes_it():
    """orjson writes the embedded REPORT.json (summary_xlsx.dump): the same compact text as
    json's encoder, non-ASCII kept, dates as ISO text; what orjson refuses goes through json."""
    import datetime as dt
    import json

    from xl_addin.render.summary_xlsx import dump

    value = {"名称": "甲公司", "amount": 12.5, "n": 3, "none": None, "day": dt.date(2025, 3, 1),
             "at": dt.datetime(2025, 3, 1, 8, 30), "rows": [(1.0, "台"), []], "big": 2 ** 70}
    expected = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=lambda v: v.isoformat())
    assert dump(value) == expected
    del value["big"]
    assert dump(value) == json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=lambda v: v.isoformat())


def test_the_thread_switch_interval_is_restored_when_the_last_writer_ends():
    """Summaries written at once (the page's threads) share the quicker switch interval; it
    is the caller's again only when the last of them has ended."""
    import sys

    from xl_addin.render.summary_xlsx import _quick_switching

    before = sys.getswitchinterval()
    outer, inner = _quick_switching(), _quick_switching()
    outer.__enter__()
    inner.__enter__()
    assert sys.getswitchinterval() == min(0.001, before)
    outer.__exit__(None, None, None)                 # the first to start ends first
    assert sys.getswitchinterval() == min(0.001, before)
    inner.__exit__(None, None, None)
    assert sys.getswitchinterval() == before
