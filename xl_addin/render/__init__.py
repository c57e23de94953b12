"""Render: the official documents written (SUMMARY.xlsx, the Word report and declarations), atomically."""
