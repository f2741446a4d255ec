"""Verify a loaded batch: its pending Parquet output's row count must equal the sum of its files'
Avro record counts (counted from the Avro blocks, independently of Hive). Only then is the batch
committed and its partition published.

The Parquet rows are counted one of two ways (the run's `row_check`): from the footers of the
files Hive wrote, read over HDFS (no Hive job: the row count each file's writer recorded, which
any Parquet reader trusts), or by a Hive `COUNT(*)` scan of the pending table."""

from __future__ import annotations

from avro_ingest.config import IngestConfig
from avro_ingest.exceptions import VerificationFailed
from avro_ingest.hive.tables import render_count_rows
from avro_ingest.parquet.footer import TAIL_BYTES, footer_length, read_footer
from avro_ingest.ports import FileSystem, SqlRunner
from avro_ingest.stages.batch import BatchPlan
from avro_ingest.stages.convert import Placement
from avro_ingest.stages.layout import pending_table_name

__all__ = [
    "count_footer_rows",
    "count_output_rows",
    "count_pending_rows",
    "scan_settings",
    "verify_counts",
]

# Enough for a footer of a few hundred columns in one read; a larger footer takes a second.
FOOTER_READ_BYTES = 64 * 1024


def verify_counts(batch_id: str, expected: int, got: int) -> int:
    if expected != got:
        raise VerificationFailed(batch_id, expected, got)
    return got


def count_output_rows(
    fs: FileSystem, hive: SqlRunner, batch: BatchPlan, location: str, config: IngestConfig
) -> int:
    if config.row_check == "scan":
        return count_pending_rows(hive, batch, Placement.of(config))
    return count_footer_rows(fs, location)


def scan_settings(placement: dict[str, str]) -> dict[str, str]:
    # Without hive.compute.query.using.stats=false, Hive answers from the statistics its
    # INSERT just wrote.
    return {"hive.compute.query.using.stats": "false", **placement}


def count_pending_rows(hive: SqlRunner, batch: BatchPlan, placement: Placement) -> int:
    rows = hive.query(
        render_count_rows(batch.database, pending_table_name(batch.batch_id)),
        settings=scan_settings(placement.settings(batch)),
    )
    return int(rows[0][0])


def count_footer_rows(fs: FileSystem, location: str) -> int:
    """The rows of every data file under `location`, from their footers. Names starting with
    "_" or "." are not data (Hive and every Parquet reader skip them)."""
    total = 0
    for entry in fs.list_files(location, recursive=True):
        relative = entry.path[len(location) :].strip("/")
        if any(part.startswith(("_", ".")) for part in relative.split("/")):
            continue
        total += _footer_rows(fs, entry.path, entry.size)
    return total


def _footer_rows(fs: FileSystem, path: str, size: int) -> int:
    start = max(0, size - FOOTER_READ_BYTES)
    tail = fs.read_range(path, start, size - start)
    length = footer_length(path, size, tail)
    if length + TAIL_BYTES <= len(tail):
        footer = tail[len(tail) - TAIL_BYTES - length : len(tail) - TAIL_BYTES]
    else:
        footer = fs.read_range(path, size - TAIL_BYTES - length, length)
    return read_footer(path, footer).rows
