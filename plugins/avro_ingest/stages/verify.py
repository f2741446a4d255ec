"""Verify a loaded batch: its pending Parquet output's row count, counted by a scan, must equal
the sum of its files' Avro record counts (counted from the Avro blocks, independently of
Hive). Only then is the batch committed and its partition published."""

from __future__ import annotations

from avro_ingest.exceptions import VerificationFailed
from avro_ingest.hive.tables import render_count_rows
from avro_ingest.ports import SqlRunner
from avro_ingest.stages.batch import BatchPlan
from avro_ingest.stages.layout import pending_table_name

__all__ = ["count_pending_rows", "verify_counts"]

# Without this, Hive answers COUNT(*) from the statistics its INSERT just wrote.
SCAN_SETTINGS = {"hive.compute.query.using.stats": "false"}


def verify_counts(batch_id: str, expected: int, got: int) -> int:
    if expected != got:
        raise VerificationFailed(batch_id, expected, got)
    return got


def count_pending_rows(hive: SqlRunner, batch: BatchPlan) -> int:
    rows = hive.query(
        render_count_rows(batch.database, pending_table_name(batch.batch_id)),
        settings=SCAN_SETTINGS,
    )
    return int(rows[0][0])
