"""File formats: the edges that read and write workbooks. The core never imports openpyxl."""
