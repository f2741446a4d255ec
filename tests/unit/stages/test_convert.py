from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest
from avro_ingest.exceptions import StatementFailed
from avro_ingest.hive.tables import TablePlan
from avro_ingest.stages import convert
from avro_ingest.stages.batch import BatchPlan, StagedFile
from avro_ingest.stages.convert import (
    Placement,
    TableState,
    conversion_settings,
    load_statements,
    parse_describe,
    partition_location,
    plan_for,
    prepare_table,
    table_state,
    table_statements,
)

SCHEMA = {
    "type": "record",
    "name": "Click",
    "fields": [{"name": "id", "type": "long"}, {"name": "url", "type": "string"}],
}
EVOLVED = {**SCHEMA, "fields": [*SCHEMA["fields"], {"name": "ref", "type": ["null", "string"]}]}

# What HiveServer2 answers to DESCRIBE of a table partitioned by ingest_date and batch_id.
DESCRIBE_ROWS = [
    ("id", "bigint", ""),
    ("url", "string", ""),
    ("ingest_date", "string", ""),
    ("batch_id", "string", ""),
    ("", None, None),
    ("# Partition Information", None, None),
    ("# col_name", "data_type", "comment"),
    ("ingest_date", "string", ""),
    ("batch_id", "string", ""),
]


def batch(schema: dict[str, object] = SCHEMA, files: int = 2) -> BatchPlan:
    return BatchPlan(
        batch_id="b0123456789abcde",
        landing="/data/landing",
        database="lake",
        table="click",
        fingerprint="f" * 64,
        schema=schema,
        ingest_date="2026-11-26",
        files=tuple(
            StagedFile(f"/data/landing/{i}.avro", f"/data/landing/_staging/b/{i}.avro", 10, 5)
            for i in range(files)
        ),
    )


def test_describe_of_a_partitioned_table_gives_the_data_columns_only() -> None:
    assert parse_describe(DESCRIBE_ROWS) == TableState((("id", "bigint"), ("url", "string")))


def statements_for(
    one: BatchPlan, plan: TablePlan, existing: TableState | None
) -> tuple[list[str], list[str]]:
    """What loading one batch alone sends: the table's DDL, then the batch's own statements."""
    ddl, evolution = table_statements(one, plan, existing=existing, target_root="/wh")
    location = partition_location("/wh", one)
    statements = load_statements(one, evolution.plan, schema_url="/s.avsc", location=location)
    return [*ddl, *statements], list(evolution.add)


def test_one_insert_for_the_whole_batch_and_create_only_for_a_new_table() -> None:
    new, _ = statements_for(batch(files=3), plan_for(batch()), None)
    # The table first (run once per schema), then the batch's own temporary tables (its Avro
    # files, its pending Parquet output) and the one INSERT.
    assert [s.split()[0] for s in new] == ["CREATE", "DROP", "CREATE", "DROP", "CREATE", "INSERT"]
    assert new[0].startswith("CREATE EXTERNAL TABLE IF NOT EXISTS `lake`.`click` (")
    # The output goes where the batch's partition will be, but the target table is not
    # written: readers see nothing until the partition is published after verification.
    assert "LOCATION '/wh/lake/click/ingest_date=2026-11-26/batch_id=b0123456789abcde'" in new[4]
    assert new[-1].startswith("INSERT OVERWRITE TABLE `lake`.`tmp_parquet_b0123456789abcde`")
    assert not any("`lake`.`click`" in s for s in new[1:])
    existing, added = statements_for(
        batch(EVOLVED), plan_for(batch(EVOLVED)), parse_describe(DESCRIBE_ROWS)
    )
    assert added == ["ref"]
    assert existing[0] == "ALTER TABLE `lake`.`click` ADD COLUMNS (`ref` STRING) CASCADE"
    assert sum(s.startswith("INSERT") for s in existing) == 1


def test_settings_keep_few_parquet_files_exact_dates_and_a_row_plan() -> None:
    settings = conversion_settings(256 * 1024**2, Placement(64 * 1024**2).settings(batch()))
    assert settings["hive.merge.size.per.task"] == str(256 * 1024**2)
    assert settings["hive.merge.mapfiles"] == "true"
    assert settings["hive.stats.column.autogather"] == "false"
    assert settings["hive.vectorized.execution.enabled"] == "false"


MIB = 1024**2


def sized(mib: int, *, alone: bool = False) -> BatchPlan:
    files = (StagedFile("/data/landing/0.avro", "/data/landing/_staging/b/0.avro", mib * MIB, 5),)
    return replace(batch(), files=files, alone=alone)


def test_a_small_batch_runs_in_hiveserver2_whatever_the_servers_engine() -> None:
    settings = Placement(64 * MIB).settings(sized(10))
    assert settings["hive.exec.mode.local.auto"] == "true"
    assert settings["hive.exec.mode.local.auto.inputbytes.max"] == str(64 * MIB)
    # Many small files are still a small job: only the bytes decide.
    assert int(settings["hive.exec.mode.local.auto.input.files.max"]) >= 1_000_000
    # Local mode is MapReduce's: a Tez server runs it only for a session that asks for mr.
    assert settings["hive.execution.engine"] == "mr"


def test_a_batch_above_the_limit_runs_on_the_servers_engine() -> None:
    settings = Placement(64 * MIB).settings(sized(65))
    assert "hive.execution.engine" not in settings
    everything_on_yarn = Placement(0).settings(sized(1))
    assert everything_on_yarn["hive.exec.mode.local.auto"] == "false"
    assert "hive.execution.engine" not in everything_on_yarn


def test_a_large_batch_alone_in_its_run_is_spread_and_one_beside_others_is_not() -> None:
    placement = Placement(1024 * MIB, spread_alone_min_bytes=64 * MIB)
    assert not placement.in_hiveserver2(sized(115, alone=True))
    assert placement.in_hiveserver2(sized(115, alone=False))
    assert placement.in_hiveserver2(sized(63, alone=True))  # too small to be worth a job
    # The server's engine decides; a MapReduce server still keeps it local under the limit.
    settings = placement.settings(sized(115, alone=True))
    assert "hive.execution.engine" not in settings
    assert settings["hive.exec.mode.local.auto.inputbytes.max"] == str(1024 * MIB)
    assert Placement(1024 * MIB, 0).in_hiveserver2(sized(900, alone=True))  # 0: never


class AnsweringHive:
    """Answers SHOW ... LIKE the way Hive 4 does: `_` in the pattern matches any character."""

    def __init__(self, databases: list[str], tables: list[str]) -> None:
        self.databases, self.tables = databases, tables
        self.asked: list[str] = []

    def query(self, statement: str, *, settings: object = None) -> list[tuple[str, ...]]:
        self.asked.append(statement)
        pattern = statement.rsplit("LIKE ", 1)[-1].strip("'").replace("_", ".")
        names = self.databases if statement.startswith("SHOW DATABASES") else self.tables
        if statement.startswith("DESCRIBE"):
            return [("id", "bigint", ""), ("url", "string", "")]
        return [(n,) for n in names if re.fullmatch(pattern, n)]

    def run_statements(self, statements: object, *, settings: object = None) -> list[object]:
        raise AssertionError("table_state only reads")


def test_a_similar_table_name_is_not_taken_for_the_table() -> None:
    # `ab1cd` exists; `ab_cd` does not, although LIKE 'ab_cd' lists `ab1cd`.
    hive = AnsweringHive(["lake"], ["ab1cd"])
    assert table_state(hive, "lake", "ab_cd") is None
    assert table_state(hive, "lake", "ab1cd") == TableState((("id", "bigint"), ("url", "string")))
    # No such database: no table, and no question that would fail.
    assert table_state(AnsweringHive(["lake2"], []), "lake", "t") is None


class RacedHive(AnsweringHive):
    """A metastore where another session created the database and the table just before this
    one: its CREATE statements fail the way Hive 4 fails the slower of two sessions."""

    def __init__(self) -> None:
        super().__init__(["lake"], [])
        self.ran: list[str] = []

    def run_statements(self, statements: object, *, settings: object = None) -> list[object]:
        for statement in statements:  # type: ignore[attr-defined]
            self.ran.append(statement)
            if statement.startswith("CREATE DATABASE"):
                raise StatementFailed(statement, "Unable to create database managed directory")
            if statement.startswith("CREATE EXTERNAL TABLE"):
                self.tables.append("click")
                raise StatementFailed(statement, "AlreadyExistsException(message:Table exists)")
        return []


def test_a_database_and_table_another_session_just_created_are_used_not_failed_on() -> None:
    hive = RacedHive()
    prepared = prepare_table(hive, batch(), target_root="/t")
    assert prepared.new_table is False
    assert [s.split(" (")[0] for s in hive.ran] == [
        "CREATE DATABASE IF NOT EXISTS `lake`",
        "CREATE EXTERNAL TABLE IF NOT EXISTS `lake`.`click`",
    ]


class CommittingHive(RacedHive):
    """The other session has made the database's directory but not yet committed it: the
    database is listed only from the third time it is asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.databases = []
        self.looked = 0

    def query(self, statement: str, *, settings: object = None) -> list[tuple[str, ...]]:
        if statement.startswith("SHOW DATABASES"):
            self.looked += 1
            if self.looked == 3:
                self.databases.append("lake")
        return super().query(statement, settings=settings)


def test_a_database_another_session_is_still_creating_is_waited_for_not_failed_on() -> None:
    hive = CommittingHive()
    prepared = prepare_table(hive, batch(), target_root="/t")
    assert prepared.new_table is False and hive.looked >= 3


def test_a_create_that_fails_for_another_reason_fails_with_hives_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(convert, "CREATE_RACE_SECONDS", 1.0)
    hive = RacedHive()
    hive.databases = []  # the database is not there after all
    with pytest.raises(StatementFailed, match="Unable to create database managed directory"):
        prepare_table(hive, batch(), target_root="/t")


def test_the_schema_hive_reads_with_cuts_docs_and_unwraps_one_branch_unions():
    from avro_ingest.stages.convert import METASTORE_COMMENT_CHARS, schema_json

    schema = {
        "type": "record",
        "name": "R",
        "doc": "d" * 300,
        "fields": [
            {"name": "a", "type": ["string"], "doc": "x" * 1000, "default": "y" * 400},
            {"name": "b", "type": {"type": "array", "items": ["long"]}},
            {"name": "c", "type": ["null", "long"], "doc": "short"},
            {"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["ONE"]}},
        ],
    }
    batch = BatchPlan("b1", "/l", "db", "t", "fp", schema, "2026-12-02", ())
    read = json.loads(schema_json(batch))
    a, b, c, e = read["fields"]
    assert len(a["doc"]) == len(read["doc"]) == METASTORE_COMMENT_CHARS
    assert a["type"] == "string" and a["default"] == "y" * 400
    assert b["type"]["items"] == "long"
    assert c == schema["fields"][2]
    assert e["type"]["symbols"] == ["ONE"]
