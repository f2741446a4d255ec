"""A load task's DDL and metadata queries share one HiveServer2 session per thread; a
conversion's settings never reach it."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from avro_ingest.avro.blocks import fingerprint
from avro_ingest.exceptions import StatementFailed
from avro_ingest.hooks.hive import AvroIngestHiveHook
from avro_ingest.stages.batch import BatchPlan
from avro_ingest.stages.convert import prepare_table

from .conftest import Area

pytestmark = pytest.mark.integration


def setting(hive: AvroIngestHiveHook, name: str) -> str:
    return str(hive.query(f"SET {name}")[0][0])


def test_statements_without_settings_share_a_session_and_a_conversions_sets_stay_in_its_own() -> (
    None
):
    hive = AvroIngestHiveHook()
    with hive.reusing_sessions():
        hive.run_statements(["SET avro_ingest.test.shared_by=this-task"])
        assert setting(hive, "avro_ingest.test.shared_by") == "avro_ingest.test.shared_by=this-task"
        hive.run_statements(["SELECT 1"], settings={"hive.merge.smallfiles.avgsize": "12345"})
        assert (
            setting(hive, "hive.merge.smallfiles.avgsize") != "hive.merge.smallfiles.avgsize=12345"
        )

        # Another thread (a parallel load) gets a session of its own.
        seen: list[str] = []
        worker = threading.Thread(
            target=lambda: seen.append(setting(hive, "avro_ingest.test.shared_by"))
        )
        worker.start()
        worker.join()
        assert seen == ["avro_ingest.test.shared_by is undefined"]
        assert len(hive._shared) == 2
    assert hive._shared == {}
    # After the block, each statement has a session of its own again.
    assert "undefined" in setting(hive, "avro_ingest.test.shared_by")


def test_a_shared_session_that_breaks_is_replaced() -> None:
    hive = AvroIngestHiveHook()
    with hive.reusing_sessions():
        hive.query("SHOW DATABASES LIKE 'default'")
        conn, _ = hive._shared[threading.get_ident()]
        conn.close()  # as when HiveServer2 restarts under a task
        try:
            hive.query("SHOW DATABASES LIKE 'default'")
        except Exception as error:  # the task's retry would see a service fault
            assert type(error).__name__ == "ServiceUnavailable", error
        assert hive.query("SHOW DATABASES LIKE 'default'") == [("default",)]


def test_tables_of_a_new_database_prepared_at_once_in_separate_sessions_all_succeed(
    test_area: Area,
) -> None:
    """Two tables' loads of a run (or two runs) meet a database neither has made yet: both
    send CREATE DATABASE IF NOT EXISTS, and the metastore can fail the slower one while the
    other's is not yet committed. Each round here starts from a new database."""
    failures: list[str] = []
    databases = [f"{test_area.database}_{round_}" for round_ in range(10)]
    try:
        for database in databases:
            start = threading.Barrier(3)

            def prepare(table: str, database: str = database, start: Any = start) -> None:
                hive = AvroIngestHiveHook()
                start.wait()
                try:
                    prepare_table(
                        hive, one_batch(database, table), target_root=test_area.target_root
                    )
                except StatementFailed as error:
                    failures.append(f"{database}.{table}: {error}")

            workers = [
                threading.Thread(target=prepare, args=(t,)) for t in ("tick", "tock", "tack")
            ]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
        assert failures == []
    finally:
        AvroIngestHiveHook().run_statements(
            [f"DROP DATABASE IF EXISTS `{d}` CASCADE" for d in databases]
        )


def one_batch(database: str, table: str) -> BatchPlan:
    schema = {"type": "record", "name": "Tick", "fields": [{"name": "n", "type": "long"}]}
    return BatchPlan(
        batch_id="c0123456789abcdef",
        landing="/tmp/avro-ingest-tests/unused",
        database=database,
        table=table,
        fingerprint=fingerprint(schema),
        schema=schema,
        ingest_date="2026-12-04",
        files=(),
    )
