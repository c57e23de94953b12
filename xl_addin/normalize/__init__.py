"""Normalize: typed values from what officials type; per input, records become columns (ingest)."""
