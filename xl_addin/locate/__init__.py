"""Locate: find each declared table on a sheet by its header and read its rows as records."""
