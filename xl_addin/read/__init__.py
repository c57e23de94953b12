"""Generic file reading: any workbook (.xlsx/.xlsm/.xls/.csv) as grids of cell values, guarded against hostile files."""
