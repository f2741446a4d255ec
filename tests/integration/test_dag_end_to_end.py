"""The real DAG, end to end on the local stack (dag.test(), no logical date): the shared Avro
corpus, reruns, a bad file inside a good batch, two schemas, and the dry run."""

from __future__ import annotations

import io
import json
import os
import time
from pathlib import Path
from typing import Any

import fastavro
import pytest
from avro_ingest.hive.naming import to_table_name
from avro_ingest.hooks.hdfs import AvroIngestHdfsHook
from avro_ingest.hooks.hive import AvroIngestHiveHook
from avro_ingest.stages.batch import BatchPlan
from avro_ingest.stages.claim import Owner, claim_batch

from tests.corpus_facts import CORPUS_DIR, EXPECTED

from .conftest import Area
from .dag_runner import run_dag

pytestmark = pytest.mark.integration


@pytest.fixture
def area(airflow_db: None, test_area: Area) -> dict[str, Any]:
    """A landing folder, database and target root of its own for one test."""
    return test_area.params()


def files_under(folder: str) -> set[str]:
    hdfs = AvroIngestHdfsHook()
    found: set[str] = set()
    for entry in hdfs.client.walk(folder):
        base, _, names = entry
        found.update(f"{base}/{n}" for n in names)
    return found


def table_rows(database: str, table: str) -> int:
    rows = AvroIngestHiveHook().query(
        f"SELECT COUNT(*) FROM `{database}`.`{table}`",
        settings={"hive.compute.query.using.stats": "false"},
    )
    return int(rows[0][0])


def write_avro(path: str, schema: dict[str, Any], records: list[dict[str, Any]]) -> bytes:
    buffer = io.BytesIO()
    fastavro.writer(buffer, fastavro.parse_schema(schema), records, codec="deflate")
    AvroIngestHdfsHook().write_bytes(path, buffer.getvalue())
    return buffer.getvalue()


def loads_of(values: dict[str, Any]) -> list[dict[str, Any]]:
    return [v for k, v in values.items() if k.startswith("load_table[") and ":" not in k]


def corpus_folder(relative: str) -> str:
    """One landing sub-folder per corpus file, so that with the `folder` table rule each file
    gets a table of its own: the corpus is about each file's conversion, not about schemas
    meeting in one table (test_batches_reruns_and_a_bad_file covers that)."""
    return relative.replace("/", "__").removesuffix(".avro").replace(".", "_").replace("-", "_")


def test_the_whole_corpus(area: dict[str, Any]) -> None:
    hdfs = AvroIngestHdfsHook()
    landing = area["landing_path"]
    for relative in EXPECTED:
        hdfs.write_bytes(
            f"{landing}/{corpus_folder(relative)}/{Path(relative).name}",
            (CORPUS_DIR / relative).read_bytes(),
        )

    # Some corpus files are byte-identical copies kept by two projects: here each file is about
    # its own conversion, so re-delivered content loads too.
    run, values = run_dag(area | {"table_name_rule": "folder", "load_duplicates": True})
    summary = values["run_summary"]
    assert run.state == "success", values["_states"]

    # Every landed file is in exactly one of archive or quarantine, and nowhere else.
    after = files_under(landing)
    assert not [p for p in after if "/_staging/" in p and p.endswith(".avro")]
    assert not [p for p in after if "/_" not in p], "files left in landing"
    archived = [p for p in after if "/_archive/" in p and p.endswith(".avro")]
    quarantined = [p for p in after if "/_quarantine/" in p and p.endswith(".avro")]
    assert len(archived) + len(quarantined) == len(EXPECTED)
    reasons = {
        json.loads(hdfs.read_range(p + ".reason.json", 0, 1 << 20))["source"]: p
        for p in quarantined
    }
    expected_rows: dict[str, int] = {}
    for relative, (outcome, detail) in EXPECTED.items():
        folder = corpus_folder(relative)
        landed_as = f"{landing}/{folder}/{Path(relative).name}"
        staged_as = f"{folder}__{Path(relative).name}"
        in_archive = [p for p in archived if p.endswith("/" + staged_as)]
        if outcome == "ddl":
            assert len(in_archive) == 1 and landed_as not in reasons, relative
            expected_rows[to_table_name(folder)] = int(detail)
        else:
            assert not in_archive and landed_as in reasons, relative
            reason = json.loads(hdfs.read_range(reasons[landed_as] + ".reason.json", 0, 1 << 20))
            assert reason["reason"] == detail, (relative, reason)
            assert (
                reason["run_id"] == run.run_id and relative.rsplit("/", 1)[-1] in reason["message"]
            )
            assert {"error_class", "message", "step", "time"} <= set(reason)

    # Parquet rows equal Avro records, per file's table, counted by a scan.
    for table, rows in expected_rows.items():
        assert table_rows(area["database"], table) == rows, table
    for load in loads_of(values):
        for result in load["results"]:
            assert result["rows_verified"] == result["records_expected"]
            assert result["new_table"]
    assert summary["rows_ingested"] == sum(expected_rows.values())
    assert len(summary["quarantined"]) == len(EXPECTED) - len(expected_rows)

    # Nothing temporary is left: no tmp_avro_ tables, no schema files.
    tables = {r[0] for r in AvroIngestHiveHook().query(f"SHOW TABLES IN `{area['database']}`")}
    assert not {t for t in tables if t.startswith("tmp_avro_")}
    assert not [p for p in after if "/_work/" in p]


SCHEMA_A = {
    "type": "record",
    "name": "Click",
    "fields": [
        {"name": "id", "type": "long"},
        {"name": "url", "type": "string"},
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    ],
}
SCHEMA_B = {
    "type": "record",
    "name": "Purchase",
    "fields": [
        {"name": "id", "type": "long"},
        {
            "name": "amount",
            "type": {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2},
        },
    ],
}


def clicks(start: int, n: int) -> list[dict[str, Any]]:
    return [
        {"id": start + i, "url": f"https://example.org/{i}", "at": 1_700_000_000_000 + i}
        for i in range(n)
    ]


def test_batches_reruns_and_a_bad_file(area: dict[str, str]) -> None:
    from decimal import Decimal

    landing = area["landing_path"]
    write_avro(f"{landing}/clicks-1.avro", SCHEMA_A, clicks(0, 300))
    write_avro(f"{landing}/clicks-2.avro", SCHEMA_A, clicks(300, 200))
    good = write_avro(f"{landing}/clicks-3.avro", SCHEMA_A, clicks(500, 100))
    # A copy cut short: a bad file inside the good batch.
    AvroIngestHdfsHook().write_bytes(f"{landing}/clicks-cut.avro", good[: len(good) - 20])
    write_avro(
        f"{landing}/purchases.avro",
        SCHEMA_B,
        [{"id": i, "amount": Decimal(i * 101) / 100} for i in range(50)],
    )
    AvroIngestHdfsHook().write_bytes(f"{landing}/empty.avro", b"")
    AvroIngestHdfsHook().write_bytes(f"{landing}/in-flight.avro._COPYING_", good)

    run, values = run_dag(area)
    assert run.state == "success", values["_states"]
    loads = {load["table"]: load for load in loads_of(values)}
    database = area["database"]
    # Two schemas make two groups; three files of one schema make one Hive statement.
    assert set(loads) == {f"{database}.click", f"{database}.purchase"}
    click_results = loads[f"{database}.click"]["results"]
    assert len(click_results) == 1 and click_results[0]["files"] == 3
    assert click_results[0]["new_table"]
    inserts = [s for s in click_results[0]["statements"] if s.startswith("INSERT OVERWRITE")]
    assert len(inserts) == 1
    assert table_rows(database, "click") == 600
    assert table_rows(database, "purchase") == 50
    # Few Parquet files: the merge step writes one file for the batch, not one per Avro file.
    partition = (
        f"{area['target_root']}/{database}/click/ingest_date="
        f"{click_results[0]['partition']['ingest_date']}/batch_id={click_results[0]['batch_id']}"
    )
    parquet_files = [
        p for p in files_under(partition) if not p.rsplit("/", 1)[-1].startswith((".", "_"))
    ]
    assert len(parquet_files) == 1, parquet_files
    reasons = {
        q["path"].rsplit("/", 1)[-1]: q["reason"] for q in values["run_summary"]["quarantined"]
    }
    assert reasons == {"clicks-cut.avro": "truncated", "empty.avro": "empty_file"}
    # The in-flight copy is left alone.
    assert AvroIngestHdfsHook().exists(f"{landing}/in-flight.avro._COPYING_")
    # Values arrive intact.
    sample = AvroIngestHiveHook().query(
        f"SELECT id, url, CAST(`at` AS STRING) FROM `{database}`.`click` WHERE id = 301"
    )
    assert sample == [(301, "https://example.org/1", "2023-11-14 22:13:20.001")]

    # Each loaded table is announced as an asset event, for downstream DAGs.
    from airflow.models.asset import AssetEvent
    from airflow.settings import Session
    from sqlalchemy import select

    uris = {
        e.asset.uri for e in Session().scalars(select(AssetEvent)) if e.source_run_id == run.run_id
    }
    hive_port = os.environ.get("AVRO_INGEST_HIVESERVER2_PORT", "10000")
    assert f"hive://localhost:{hive_port}/{database}/click" in uris

    # A rerun with nothing new adds nothing.
    run, values = run_dag(area)
    assert table_rows(database, "click") == 600

    # A batch committed and published whose archive step never happened (its run died): once
    # that run's lease has lapsed, the next run rolls it forward. Publishing again adds no row.
    hdfs = AvroIngestHdfsHook()
    archived = [f for f in hdfs.list_folders(f"{landing}/_archive")]
    batch_folders = [b for day in archived for b in hdfs.list_folders(day)]
    click_batch = next(b for b in batch_folders if b.endswith(click_results[0]["batch_id"]))
    hdfs.makedirs(f"{landing}/_committed")
    assert hdfs.rename(click_batch, f"{landing}/_committed/{click_results[0]['batch_id']}")
    time.sleep(11)
    run, values = run_dag(area | {"lease_seconds": 10})
    assert run.state == "success", values["_states"]
    assert table_rows(database, "click") == 600
    assert hdfs.exists(click_batch), values  # archived again


SCHEMA_A_MICROS = {
    **SCHEMA_A,
    "fields": [
        *SCHEMA_A["fields"][:2],
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-micros"}},
    ],
}


def test_a_big_table_loads_as_parallel_batches_and_logical_types_stay_apart(
    area: dict[str, Any],
) -> None:
    landing = area["landing_path"]
    for k in range(4):
        write_avro(f"{landing}/clicks-{k}.avro", SCHEMA_A, clicks(k * 300, 300))
    # Same fields and Avro types, but microseconds: must not be read with the others' schema.
    micros = [r | {"at": r["at"] * 1000 + 7} for r in clicks(5000, 10)]
    write_avro(f"{landing}/clicks-micros.avro", SCHEMA_A_MICROS, micros)

    run, values = run_dag(area | {"parallel_loads": 2, "min_parallel_batch_mib": 0})
    assert run.state == "success", values["_states"]
    (load,) = loads_of(values)
    results = sorted(load["results"], key=lambda r: r["files"])
    assert [r["files"] for r in results] == [1, 2, 2]
    assert all(r["rows_verified"] == r["records_expected"] for r in results)
    assert len({r["batch_id"] for r in results}) == 3
    # The two halves of the millisecond files ran at the same time, each in its own session.
    first, second = (r for r in results if r["files"] == 2)
    assert first["started_at"] < second["finished_at"]
    assert second["started_at"] < first["finished_at"]
    # Exactly one batch created the table (Impala gets INVALIDATE METADATA once).
    assert sum(r["new_table"] for r in results) == 1
    assert table_rows(area["database"], "click") == 1210
    sample = AvroIngestHiveHook().query(
        f"SELECT id, CAST(`at` AS STRING) FROM `{area['database']}`.`click` "
        "WHERE id IN (1, 5001) ORDER BY id"
    )
    assert sample == [(1, "2023-11-14 22:13:20.001"), (5001, "2023-11-14 22:13:20.001007")]


def test_a_run_without_complete_files_is_skipped_and_changes_nothing(
    area: dict[str, Any],
) -> None:
    landing = area["landing_path"]
    AvroIngestHdfsHook().write_bytes(f"{landing}/in-flight.avro._COPYING_", b"Obj\x01")
    before = files_under(landing.rsplit("/", 1)[0])

    run, values = run_dag(area)

    assert run.state == "success", values["_states"]
    assert values["_states"]["wait_for_complete_files"] == "skipped"
    assert values["_states"]["plan_and_claim"] == "skipped"
    assert files_under(landing.rsplit("/", 1)[0]) == before
    databases = {r[0] for r in AvroIngestHiveHook().query("SHOW DATABASES")}
    assert area["database"] not in databases


def test_dry_run_changes_nothing(area: dict[str, str]) -> None:
    landing = area["landing_path"]
    write_avro(f"{landing}/clicks-1.avro", SCHEMA_A, clicks(0, 10))
    AvroIngestHdfsHook().write_bytes(f"{landing}/empty.avro", b"")
    before = files_under(area["landing_path"].rsplit("/", 1)[0])

    run, values = run_dag(area | {"dry_run": True})
    assert run.state == "success", values["_states"]
    assert files_under(area["landing_path"].rsplit("/", 1)[0]) == before
    databases = {r[0] for r in AvroIngestHiveHook().query("SHOW DATABASES")}
    assert area["database"] not in databases
    statements = [s for load in loads_of(values) for r in load["results"] for s in r["statements"]]
    assert any(s.startswith("INSERT OVERWRITE") for s in statements)
    assert values["run_summary"]["dry_run"] is True
    assert values["run_summary"]["tables"][f"{area['database']}.click"]["new_table"] is True

    # Once the table exists, a dry run says so: it reads the metastore, and changes nothing.
    run, values = run_dag(area)
    assert run.state == "success", values["_states"]
    write_avro(f"{landing}/clicks-2.avro", SCHEMA_A, clicks(10, 5))
    run, values = run_dag(area | {"dry_run": True})
    assert run.state == "success", values["_states"]
    assert values["run_summary"]["tables"][f"{area['database']}.click"]["new_table"] is False
    assert table_rows(area["database"], "click") == 10
    assert AvroIngestHdfsHook().exists(f"{landing}/clicks-2.avro")


def test_a_sidecar_schema_wins_and_is_checked_against_the_file(area: dict[str, Any]) -> None:
    landing = area["landing_path"]
    hdfs = AvroIngestHdfsHook()
    write_avro(f"{landing}/clicks.avro", SCHEMA_A, clicks(0, 40))
    # The sidecar adds a field with a default: it can read the file, and it wins.
    with_source = {
        **SCHEMA_A,
        "fields": [*SCHEMA_A["fields"], {"name": "source", "type": "string", "default": "web"}],
    }
    hdfs.write_bytes(f"{landing}/clicks.avsc", json.dumps(with_source).encode())
    # This sidecar declares `id` a string: Avro cannot resolve long -> string.
    write_avro(f"{landing}/other.avro", SCHEMA_A, clicks(100, 5))
    wrong = {**SCHEMA_A, "fields": [{"name": "id", "type": "string"}, *SCHEMA_A["fields"][1:]]}
    hdfs.write_bytes(f"{landing}/other.avsc", json.dumps(wrong).encode())

    run, values = run_dag(area)
    assert run.state == "success", values["_states"]
    rows = AvroIngestHiveHook().query(
        f"SELECT COUNT(*), MIN(source), MAX(source) FROM `{area['database']}`.`click`",
        settings={"hive.compute.query.using.stats": "false"},
    )
    assert rows == [(40, "web", "web")]
    (rejected,) = values["run_summary"]["quarantined"]
    assert rejected["path"].endswith("/other.avro")
    assert rejected["reason"] == "schema_mismatch" and "id" in rejected["message"]
    # The sidecar travelled with its file into the archive, hidden from Hive by its "_".
    archived = files_under(f"{landing}/_archive")
    assert [p for p in archived if p.endswith("/_clicks.avsc")]
    assert [p for p in archived if p.endswith("/clicks.avro")]


def test_a_count_mismatch_fails_the_batch_and_keeps_its_sources(area: dict[str, Any]) -> None:
    """A batch whose Parquet rows differ from its Avro records is not archived: here an earlier
    run's manifest (in staging) promises more records than its file holds."""
    landing = area["landing_path"]
    hdfs = AvroIngestHdfsHook()
    write_avro(f"{landing}/clicks.avro", SCHEMA_A, clicks(0, 30))
    run, values = run_dag(area | {"dry_run": True})
    (group,) = values["plan_and_claim"]
    (batch,) = group["batches"]
    # Claim it as an earlier run (gone: it holds no lease) would have, with a manifest that
    # says 31 records.
    batch["files"][0]["records"] = 31
    claim_batch(hdfs, BatchPlan.from_dict(batch), Owner("an-earlier-run"))

    run, values = run_dag(area)
    assert run.state == "failed"
    assert values["_states"]["run_summary"] == "failed"
    assert values["_states"]["drop_temporary_tables"] == "success"
    (failure,) = values["run_summary"]["failed_batches"]
    assert "Parquet has 30 rows, the Avro files hold 31 records" in failure["error"]
    staged = [p for p in files_under(f"{landing}/_staging") if p.endswith("/clicks.avro")]
    assert len(staged) == 1, "the source left staging"
    assert not hdfs.exists(f"{landing}/_archive")
    # The 30 unverified rows were never visible, and their output is gone; the new table,
    # which nothing was loaded into, is not left empty for readers (the retry makes it).
    assert not hdfs.exists(f"{area['target_root']}/{area['database']}/click/ingest_date=")
    tables = {r[0] for r in AvroIngestHiveHook().query(f"SHOW TABLES IN `{area['database']}`")}
    assert "click" not in tables
    assert not {t for t in tables if t.startswith("tmp_")}


def test_a_file_hive_cannot_decode_and_a_conflicting_schema_are_set_aside(
    area: dict[str, Any],
) -> None:
    """Our checks read headers and block framing only; a value Avro cannot decode is found when
    Hive fails, and that file alone is set aside. A schema that changes a column's type is a
    conflict for its whole batch. The other files load."""
    landing = area["landing_path"]
    hdfs = AvroIngestHdfsHook()
    notes = {
        "type": "record",
        "name": "Note",
        "fields": [{"name": "text", "type": ["null", "string"]}],
    }
    buffer = io.BytesIO()
    fastavro.writer(buffer, notes, [{"text": None}] * 50, codec="null")
    data = bytearray(buffer.getvalue())
    # Fifty records of one byte each (union branch 0); make the tenth say branch 5.
    body = data.index(bytes(50))
    data[body + 9] = 0x0A
    hdfs.write_bytes(f"{landing}/a/notes-bad.avro", bytes(data))
    write_avro(f"{landing}/a/notes-good.avro", notes, [{"text": f"n{i}"} for i in range(7)])
    # Same table (record name Note), but `text` becomes a long.
    other = {"type": "record", "name": "Note", "fields": [{"name": "text", "type": "long"}]}
    write_avro(f"{landing}/b/notes-long.avro", other, [{"text": 1}])

    run, values = run_dag(area)
    assert run.state == "success", values["_states"]
    reasons = {
        q["path"].rsplit("/", 1)[-1]: q["reason"] for q in values["run_summary"]["quarantined"]
    }
    assert reasons == {"notes-bad.avro": "undecodable", "notes-long.avro": "schema_conflict"}
    assert table_rows(area["database"], "note") == 7
    after = files_under(landing)
    assert not [p for p in after if "/_staging/" in p and p.endswith(".avro")]
    assert len([p for p in after if "/_quarantine/" in p and p.endswith(".reason.json")]) == 2
