from __future__ import annotations

import json

import pytest
from avro_ingest.exceptions import InvalidIdentifier, InvalidLiteral, UnsupportedAvroType
from avro_ingest.hive.tables import (
    build_plan,
    render_add_partition,
    render_count_rows,
    render_create_avro_temp_table,
    render_create_parquet_pending_table,
    render_create_parquet_table,
    render_drop_table,
    render_impala_compute_incremental_stats,
    render_impala_invalidate_metadata,
    render_impala_refresh_partition,
    render_insert_overwrite_table,
)

SCHEMA = {
    "type": "record",
    "name": "Event",
    "fields": [
        {"name": "id", "type": "long"},
        {"name": "Select", "type": ["null", "string"], "default": None},
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-micros"}},
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        {
            "name": "tags",
            "type": {"type": "array", "items": {"type": "long", "logicalType": "timestamp-micros"}},
        },
    ],
}
DAY = {"ingest_date": "2024-01-31", "batch_id": "c1_2"}
AT_SELECT = (
    "TIMESTAMP '1970-01-01 00:00:00' + INTERVAL (`at` DIV 86400000000) DAY"
    " + INTERVAL (CAST(`at` % 86400000000 AS DECIMAL(17,6)) / 1000000) SECOND"
)


def test_plan_columns():
    plan = build_plan(SCHEMA)
    assert [c.name for c in plan.columns] == ["id", "select", "at", "day", "tags"]
    assert [c.parquet_type.sql for c in plan.columns] == [
        "BIGINT",
        "STRING",
        "TIMESTAMP",
        "DATE",
        "ARRAY<BIGINT>",
    ]
    assert [c.serde_type.sql for c in plan.columns] == [
        "BIGINT",
        "STRING",
        "BIGINT",
        "DATE",
        "ARRAY<BIGINT>",
    ]
    assert plan.columns[2].select.sql == AT_SELECT
    assert plan.columns[0].select.sql == "`id`"
    assert plan.partition_columns == ("ingest_date", "batch_id")
    assert len(plan.warnings) == 1 and plan.warnings[0].startswith("tags[]")
    assert json.loads(json.dumps(plan.to_dict()))["columns"][2]["parquet_type"] == "TIMESTAMP"


def test_impala_check():
    plan = build_plan(SCHEMA)
    assert plan.impala_min == (3, 3)  # DATE
    assert plan.impala_issues((3, 3)) == []
    assert plan.impala_issues((3, 2)) == ["column day (DATE) needs Impala 3.3+"]
    # TIMESTAMP columns are written as Parquet INT64 timestamps (HIVE_SESSION_SETTINGS)
    assert plan.impala_issues((2, 12)) == [
        "column at (TIMESTAMP) needs Impala 3.2+",
        "column day (DATE) needs Impala 3.3+",
    ]


def test_create_avro_temp_table():
    sql = render_create_avro_temp_table("staging", "tmp_events_1", "/in/.claimed/x", "/in/x.avsc")
    assert sql == (
        "CREATE EXTERNAL TABLE `staging`.`tmp_events_1`\nSTORED AS AVRO\n"
        "LOCATION '/in/.claimed/x'\n"
        "TBLPROPERTIES ('avro.schema.url'='/in/x.avsc', 'external.table.purge'='false')"
    )


def test_create_parquet_table_and_insert():
    plan = build_plan(SCHEMA)
    create = render_create_parquet_table(plan, "lake", "events", "/lake/events")
    assert create == (
        "CREATE EXTERNAL TABLE IF NOT EXISTS `lake`.`events` (\n"
        "  `id` BIGINT,\n  `select` STRING,\n  `at` TIMESTAMP,\n  `day` DATE,\n"
        "  `tags` ARRAY<BIGINT>\n)\n"
        "PARTITIONED BY (`ingest_date` STRING, `batch_id` STRING)\nSTORED AS PARQUET\n"
        "LOCATION '/lake/events'\n"
        "TBLPROPERTIES ('parquet.compression'='SNAPPY')"
    )
    pending = render_create_parquet_pending_table(plan, "lake", "tmp_p", "/lake/events/d=1")
    assert pending.startswith("CREATE EXTERNAL TABLE `lake`.`tmp_p` (\n  `id` BIGINT,")
    assert "PARTITIONED" not in pending
    assert pending.endswith(
        "STORED AS PARQUET\nLOCATION '/lake/events/d=1'\n"
        "TBLPROPERTIES ('external.table.purge'='false', 'parquet.compression'='SNAPPY')"
    )
    insert = render_insert_overwrite_table(plan, "lake", "tmp_p", "staging", "tmp_1")
    assert insert.startswith("INSERT OVERWRITE TABLE `lake`.`tmp_p`\nSELECT `id` AS `id`,\n")
    assert f"{AT_SELECT} AS `at`" in insert
    assert insert.endswith("FROM `staging`.`tmp_1`")
    publish = render_add_partition(plan, "lake", "events", DAY, "/lake/events/d=1")
    assert publish == (
        "ALTER TABLE `lake`.`events` ADD IF NOT EXISTS PARTITION "
        "(`ingest_date`='2024-01-31', `batch_id`='c1_2') LOCATION '/lake/events/d=1'"
    )


def test_small_statements():
    assert render_drop_table("staging", "tmp_1") == "DROP TABLE IF EXISTS `staging`.`tmp_1`"
    assert render_count_rows("lake", "events") == "SELECT COUNT(*) FROM `lake`.`events`"
    assert (
        render_impala_invalidate_metadata("lake", "events") == "INVALIDATE METADATA `lake`.`events`"
    )
    assert render_impala_refresh_partition("lake", "events", DAY) == (
        "REFRESH `lake`.`events` PARTITION (`ingest_date`='2024-01-31', `batch_id`='c1_2')"
    )
    assert render_impala_compute_incremental_stats("lake", "events", DAY) == (
        "COMPUTE INCREMENTAL STATS `lake`.`events` "
        "PARTITION (`ingest_date`='2024-01-31', `batch_id`='c1_2')"
    )


@pytest.mark.parametrize("name", ["batch_id", "ingest_date", "BATCH_ID"])
def test_a_field_named_like_a_partition_column_is_refused_at_inspection(name: str):
    """Inspection and loading share one list of partition columns: a field that clashes with
    any of them is refused before the file is claimed (it was found only after, every run)."""
    schema = {**SCHEMA, "fields": [*SCHEMA["fields"], {"name": name, "type": "string"}]}
    with pytest.raises(UnsupportedAvroType) as info:
        build_plan(schema, "/in/x.avro")
    assert info.value.reason == "name_collision" and info.value.file == "/in/x.avro"


def test_custom_partition_column_and_clashes():
    plan = build_plan(SCHEMA, partition_columns=("dt",))
    assert "PARTITIONED BY (`dt` STRING)" in render_create_parquet_table(plan, "l", "e", "/l/e")
    with pytest.raises(ValueError):
        render_add_partition(plan, "l", "e", DAY, "/l/e")
    with pytest.raises(UnsupportedAvroType) as info:
        build_plan(SCHEMA, "/in/x.avro", partition_columns=("DAY",))
    assert info.value.reason == "name_collision" and info.value.file == "/in/x.avro"
    with pytest.raises(InvalidIdentifier):
        build_plan(SCHEMA, partition_columns=("bad-name",))


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: render_drop_table("lake", "x`; DROP DATABASE lake; --"), InvalidIdentifier),
        (lambda: render_create_avro_temp_table("s", "t", "/in/x'\n; DROP", "/s"), InvalidLiteral),
        (lambda: render_create_avro_temp_table("s", "t", "/in", "/s\x00"), InvalidLiteral),
        (
            lambda: render_impala_refresh_partition("l", "e", {"dt": "x'); DROP TABLE y; --\n"}),
            InvalidLiteral,
        ),
        (lambda: render_count_rows("l", "e`; DROP"), InvalidIdentifier),
        (
            lambda: render_add_partition(build_plan(SCHEMA), "l", "e", DAY, "/x'\x00"),
            InvalidLiteral,
        ),
    ],
)
def test_injection_through_any_argument_is_refused(call, error):
    with pytest.raises(error):
        call()


def test_quotes_in_values_stay_inside_the_literal():
    sql = render_impala_refresh_partition("l", "e", {"dt": "x'); DROP TABLE y; --"})
    assert sql == "REFRESH `l`.`e` PARTITION (`dt`='x\\'); DROP TABLE y; --')"


def test_plan_errors_carry_the_file():
    with pytest.raises(UnsupportedAvroType) as info:
        build_plan("int", "/in/ints.avro")
    assert info.value.file == "/in/ints.avro" and info.value.reason == "top_level_not_record"
