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

    return xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_numbers": False,
                                           "strings_to_urls": False})


_ALIGN = {"center": "center", "right": "right", "left": "left"}
_VALIGN = {"vcenter": "vcenter", "top": "top", "bottom": "bottom"}


class RustWorkbook:
    def __init__(self, path: str | Path):
        import rvgsrust_xlsxwriter as rx

        self._rx, self._path = rx, str(path)
        self._wb = rx.Workbook()

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

    def add_worksheet(self, name: str) -> "RustSheet":
        return RustSheet(self._wb.add_worksheet(name))

    def close(self) -> None:
        self._wb.close(self._path)


class RustSheet:
    def __init__(self, ws):
        self._ws = ws

    def write_string(self, r, c, text, fmt=None):
        self._ws.write(r, c, str(text), fmt)       # the binding writes "=..." as a string, never a formula

    def write_number(self, r, c, value, fmt=None):
        self._ws.write(r, c, float(value), fmt)

    def write_column(self, r, c, values, fmt=None):
        self._ws.write_column(r, c, values, fmt)     # str stays str, None is a formatted blank

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
