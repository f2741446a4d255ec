"""Make loaded batches visible in Impala: INVALIDATE METADATA for a new table (or a change of
its columns, which REFRESH does not see, or a batch finished by a later attempt, whose first
attempt may have died before Impala heard of the table), REFRESH of just the partitions
written, then COMPUTE INCREMENTAL STATS on them. Every statement is idempotent, so a retry
runs them all again."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from avro_ingest.hive.tables import (
    render_impala_compute_incremental_stats,
    render_impala_invalidate_metadata,
    render_impala_refresh_partition,
)
from avro_ingest.records import PublishOutcome
from avro_ingest.stages.convert import ConversionResult

__all__ = ["impala_statements", "publish_to_impala"]

log = logging.getLogger(__name__)


def impala_statements(results: Sequence[ConversionResult]) -> list[str]:
    statements: list[str] = []
    invalidated: set[tuple[str, str]] = set()
    for result in results:
        key = (result.database, result.table)
        stale = result.new_table or result.schema_changes or result.resumed
        if stale and key not in invalidated:
            statements.append(render_impala_invalidate_metadata(*key))
            invalidated.add(key)
    for result in results:
        key = (result.database, result.table)
        if key not in invalidated:
            statements.append(render_impala_refresh_partition(*key, result.partition))
        statements.append(render_impala_compute_incremental_stats(*key, result.partition))
    return statements


def publish_to_impala(
    results: Sequence[ConversionResult], run: Callable[[list[str]], Any] | None
) -> PublishOutcome:
    """Run the statements for `results` with `run` (the Impala hook's); with no Impala
    configured (`run` None) log what would have run."""
    statements = impala_statements([r for r in results if not r.dry_run])
    if not statements:
        log.info("nothing loaded: nothing to publish to Impala")
        return {"statements": [], "seconds": 0.0, "ran": False}
    if run is None:
        log.info(
            "no Impala connection configured (impala_conn_id): skipping %d statement(s): %s",
            len(statements),
            statements,
        )
        return {"statements": statements, "seconds": 0.0, "ran": False}
    started = time.monotonic()
    run(statements)
    return {"statements": statements, "seconds": time.monotonic() - started, "ran": True}
