"""A load task's DDL and metadata queries share one HiveServer2 session per thread; a
conversion's settings never reach it."""

from __future__ import annotations

import threading

from avro_ingest.hooks.hive import AvroIngestHiveHook


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
