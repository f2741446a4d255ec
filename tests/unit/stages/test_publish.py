from __future__ import annotations

from avro_ingest.stages.convert import ConversionResult
from avro_ingest.stages.publish import impala_statements


def result(
    batch: str, *, new: bool = False, added: list[str] | None = None, resumed: bool = False
) -> ConversionResult:
    return ConversionResult(
        batch_id=batch,
        landing="/landing",
        database="lake",
        table="click",
        partition={"ingest_date": "2026-11-26", "batch_id": batch},
        new_table=new,
        added_columns=added or [],
        schema_changes=[f"added {name}" for name in added or []],
        files=1,
        bytes=1,
        records_expected=1,
        resumed=resumed,
    )


def test_new_data_in_a_known_table_refreshes_only_its_partitions() -> None:
    spec = "PARTITION (`ingest_date`='2026-11-26', `batch_id`='{}')"
    assert impala_statements([result("b1"), result("b2")]) == [
        f"REFRESH `lake`.`click` {spec.format('b1')}",
        f"COMPUTE INCREMENTAL STATS `lake`.`click` {spec.format('b1')}",
        f"REFRESH `lake`.`click` {spec.format('b2')}",
        f"COMPUTE INCREMENTAL STATS `lake`.`click` {spec.format('b2')}",
    ]


def test_a_new_table_or_new_columns_invalidate_metadata_once() -> None:
    statements = impala_statements([result("b1", new=True), result("b2", added=["ref"])])
    assert statements[0] == "INVALIDATE METADATA `lake`.`click`"
    assert sum(s.startswith("INVALIDATE") for s in statements) == 1
    assert not [s for s in statements if s.startswith("REFRESH")]
    assert sum(s.startswith("COMPUTE INCREMENTAL STATS") for s in statements) == 2
    assert not [
        s for s in statements if "REFRESH `lake`.`click`;" in s or s == "REFRESH `lake`.`click`"
    ]


def test_a_batch_finished_by_a_later_attempt_invalidates_its_table() -> None:
    """The attempt that made the table may have died before Impala heard of it: a REFRESH
    alone would fail with "Table does not exist"."""
    statements = impala_statements([result("b1", resumed=True), result("b2")])
    assert statements[0] == "INVALIDATE METADATA `lake`.`click`"
    assert not [s for s in statements if s.startswith("REFRESH")]


def test_a_widened_column_invalidates_its_table() -> None:
    widened = result("b1")
    widened.schema_changes = ["widened hits to BIGINT"]
    assert impala_statements([widened])[0] == "INVALIDATE METADATA `lake`.`click`"
