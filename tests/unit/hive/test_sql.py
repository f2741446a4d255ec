from __future__ import annotations

import pytest
from avro_ingest.hive import sql
from avro_ingest.hive.quoting import identifier, qualified, string_literal
from avro_ingest.hive.sql import render, sql_dir, template_names, template_placeholders

EXPECTED_TEMPLATES = {
    "count_rows.sql": {"table"},
    "alter_table_add_columns.sql": {"table", "columns"},
    "create_database.sql": {"database"},
    "describe_table.sql": {"table"},
    "show_partitions.sql": {"table"},
    "show_tables_like.sql": {"database", "pattern"},
    "show_databases_like.sql": {"pattern"},
    "create_avro_temp_table.sql": {"table", "location", "schema_url"},
    "create_parquet_table.sql": {"table", "columns", "partition_columns", "location"},
    "drop_table.sql": {"table"},
    "impala_compute_incremental_stats.sql": {"table", "partition_spec"},
    "impala_invalidate_metadata.sql": {"table"},
    "impala_refresh_partition.sql": {"table", "partition_spec"},
    "insert_overwrite_table.sql": {"table", "select_list", "source"},
    "create_parquet_pending_table.sql": {"table", "columns", "location"},
    "add_partition.sql": {"table", "partition_spec", "location"},
    "alter_table_change_column.sql": {"table", "column", "type"},
    "set_table_property.sql": {"table", "key", "value"},
    "show_table_properties.sql": {"table"},
}


def test_templates_and_their_placeholders():
    assert sql_dir() == sql.Path(sql.__file__).resolve().parents[3] / "sql"
    assert template_names() == sorted(EXPECTED_TEMPLATES)
    for name, placeholders in EXPECTED_TEMPLATES.items():
        assert template_placeholders(name) == placeholders, name


@pytest.mark.parametrize("name", sorted(EXPECTED_TEMPLATES))
def test_every_template_renders_with_fragments(name):
    values = {p: identifier(f"v_{p}") for p in EXPECTED_TEMPLATES[name]}
    sql = render(name, **values)
    assert "{{" not in sql and "--" not in sql and not sql.endswith(";")
    for p in EXPECTED_TEMPLATES[name]:
        assert f"`v_{p}`" in sql


@pytest.mark.parametrize("name", sorted(EXPECTED_TEMPLATES))
def test_a_raw_string_cannot_reach_a_template(name):
    placeholders = sorted(EXPECTED_TEMPLATES[name])
    values = {p: identifier("ok") for p in placeholders}
    values[placeholders[0]] = "x; DROP TABLE lake.events"  # type: ignore[assignment]
    with pytest.raises(TypeError, match=rf"{{{{ {placeholders[0]} }}}}"):
        render(name, **values)


def test_missing_and_extra_placeholders():
    with pytest.raises(KeyError, match="missing values for \\['location'"):
        render("create_avro_temp_table.sql", table=identifier("t"), schema_url=string_literal("u"))
    with pytest.raises(KeyError, match="unexpected values \\['extra'\\]"):
        render("drop_table.sql", table=identifier("t"), extra=identifier("x"))


def test_template_names_are_checked():
    with pytest.raises(ValueError):
        render("../etc/passwd")
    with pytest.raises(FileNotFoundError):
        render("nope.sql")


def test_drop_table_text():
    assert render("drop_table.sql", table=qualified("stage", "tmp_x")) == (
        "DROP TABLE IF EXISTS `stage`.`tmp_x`"
    )


def test_sql_dir_env_override(tmp_path, monkeypatch):
    (tmp_path / "drop_table.sql").write_text("-- doc\nDROP TABLE {{ table }} PURGE\n")
    monkeypatch.setenv("AVRO_INGEST_SQL_DIR", str(tmp_path))
    assert sql_dir() == tmp_path
    assert render("drop_table.sql", table=identifier("t")) == "DROP TABLE `t` PURGE"
