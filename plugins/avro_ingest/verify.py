"""Verify a loaded batch: its pending Parquet output's row count, counted by a scan, must equal
the sum of its files' Avro record counts (counted from the Avro blocks, independently of
Hive). Only then is the batch committed and its partition published."""

from __future__ import annotations

from avro_ingest.batch import BatchPlan
from avro_ingest.exceptions import AvroIngestError
from avro_ingest.layout import pending_table_name
from avro_ingest.plan import render_count_rows
from avro_ingest.ports import SqlRunner

__all__ = ["VerificationFailed", "count_pending_rows", "verify_counts"]

# Without this, Hive answers COUNT(*) from the statistics its INSERT just wrote.
SCAN_SETTINGS = {"hive.compute.query.using.stats": "false"}


class VerificationFailed(AvroIngestError):
    """Parquet and Avro disagree: the batch fails, its sources stay in staging."""

    reason = "row_count_mismatch"

    def __init__(self, batch_id: str, expected: int, got: int) -> None:
        self.batch_id = batch_id
        self.expected = expected
        self.got = got
        super().__init__(
            f"batch {batch_id}: Parquet has {got} rows, the Avro files hold {expected} records; "
            "nothing was published, its files stay in staging and nothing is archived"
        )


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
