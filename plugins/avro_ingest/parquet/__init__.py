"""Parquet files as written: what their footers say, read without an engine."""
