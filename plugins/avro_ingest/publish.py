"""Make loaded batches visible in Impala: INVALIDATE METADATA for a new table (or new
columns, which REFRESH does not see), REFRESH of just the partitions written, then
COMPUTE INCREMENTAL STATS on them. Pure: renders the statements; the operator runs them."""

from __future__ import annotations

from collections.abc import Sequence

from avro_ingest.convert import ConversionResult
from avro_ingest.plan import (
    render_impala_compute_incremental_stats,
    render_impala_invalidate_metadata,
    render_impala_refresh_partition,
)

__all__ = ["impala_statements"]


def impala_statements(results: Sequence[ConversionResult]) -> list[str]:
    statements: list[str] = []
    invalidated: set[tuple[str, str]] = set()
    for result in results:
        key = (result.database, result.table)
        if (result.new_table or result.added_columns) and key not in invalidated:
            statements.append(render_impala_invalidate_metadata(*key))
            invalidated.add(key)
    for result in results:
        key = (result.database, result.table)
        if key not in invalidated:
            statements.append(render_impala_refresh_partition(*key, result.partition))
        statements.append(render_impala_compute_incremental_stats(*key, result.partition))
    return statements
