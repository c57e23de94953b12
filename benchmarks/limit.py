"""The limit: import what the product must import, read every sheet of every file with
python-calamine, write the same rows once with XlsxWriter (constant memory). Nothing else."""
import sys

import pandas  # noqa: F401  (the product's import floor)
import pandera.pandas  # noqa: F401
import xlsxwriter
from python_calamine import CalamineWorkbook

out, files = sys.argv[1], sys.argv[2:]
rows = []
for path in files:
    wb = CalamineWorkbook.from_path(path)
    for name in wb.sheet_names:
        rows.extend(wb.get_sheet_by_name(name).to_python(skip_empty_area=True))
book = xlsxwriter.Workbook(out, {"constant_memory": True})
sheet = book.add_worksheet()
for r, row in enumerate(rows):
    sheet.write_row(r, 0, row)
book.close()
