"""Consolidate: checked rows into enterprises, the report, the subsidy estimate; the workers."""
from .pipeline import cities_of, missing_counties, run  # noqa: F401  (the library's entry point)
