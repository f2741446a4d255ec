"""Where a batch converts on the stack's HiveServer2, whose engine is Tez on YARN (the stack's
default): a batch alone in its run, above `spread_alone_min_mib`, runs as Tez DAGs in the pooled
session's containers, over every core; batches side by side, and small ones, run inside
HiveServer2 as MapReduce in local mode (bench/RESULTS.md measured both)."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import fastavro
import pytest
from avro_ingest.hooks.hdfs import AvroIngestHdfsHook
from avro_ingest.hooks.hive import AvroIngestHiveHook
from avro_ingest.parquet.footer import footer_length, read_footer

from .conftest import Area
from .dag_runner import run_dag
from .test_dag_end_to_end import SCHEMA_A, clicks, loads_of, table_rows
from .test_on_yarn import parquet_files
from .test_stack_script import STACK

pytestmark = pytest.mark.integration

STATE = Path(os.environ.get("AVRO_INGEST_STACK_STATE", STACK.parent / ".state"))


@pytest.fixture
def area(airflow_db: None, test_area: Area) -> dict[str, Any]:
    engine = AvroIngestHiveHook().query("SET hive.execution.engine")
    assert engine == [("hive.execution.engine=tez",)], "the stack must run tez-yarn (its default)"
    return test_area.params()


def tez_dags_naming(batch_id: str) -> list[Path]:
    """The Tez DAGs that named the batch. A Tez application master writes one log a DAG
    (syslog_dag_*) into its container's folder under the NodeManager's logs, with the DAG's
    name (its statement) and the folders it reads."""
    logs = sorted((STATE / "yarn" / "logs").glob("application_*/container_*/syslog_dag_*"))
    return [p for p in logs if batch_id in p.read_text(encoding="utf-8", errors="replace")]


def write_big_avro(path: str, name: str = "Click", rows: int = 25_000) -> None:
    """About 2.5 MiB uncompressed, so above a 1 MiB threshold."""
    buffer = io.BytesIO()
    records = [{**c, "url": f"https://example.org/{'x' * 80}/{c['id']}"} for c in clicks(0, rows)]
    fastavro.writer(buffer, fastavro.parse_schema({**SCHEMA_A, "name": name}), records)
    AvroIngestHdfsHook().write_bytes(path, buffer.getvalue())


def test_a_batch_alone_in_its_run_converts_and_verifies_on_tez_on_yarn(
    area: dict[str, Any],
) -> None:
    landing, database = area["landing_path"], area["database"]
    write_big_avro(f"{landing}/clicks.avro")

    run, values = run_dag(area | {"spread_alone_min_mib": 1, "row_check": "scan"})

    assert run.state == "success", values["_states"]
    (result,) = loads_of(values)[0]["results"]
    batch_id = result["batch_id"]
    # The INSERT read the batch's staging folder in a Tez DAG, and the verifying COUNT(*) ran
    # as another: read before any query of this test's own, which would name the batch too.
    dags = tez_dags_naming(batch_id)
    assert len(dags) >= 2, dags
    assert any(f"_staging/{batch_id}" in p.read_text(errors="replace") for p in dags), dags
    assert table_rows(database, "click") == 25_000
    sample = AvroIngestHiveHook().query(
        f"SELECT id, CAST(`at` AS STRING) FROM `{database}`.`click` WHERE id = 301"
    )
    assert sample == [(301, "2023-11-14 22:13:20.301")]
    assert result["records_expected"] == 25_000
    # Tez leaves one Parquet file a task (the merge settings are MapReduce's), Snappy (the
    # table's property), with every row.
    folder = (
        f"{area['target_root']}/{database}/click/ingest_date={result['partition']['ingest_date']}"
        f"/batch_id={batch_id}"
    )
    hdfs = AvroIngestHdfsHook()
    rows = 0
    for path, size in parquet_files(folder):
        length = footer_length(path, size, hdfs.read_range(path, size - 8, 8))
        footer = read_footer(path, hdfs.read_range(path, size - 8 - length, length))
        assert footer.codecs == {"SNAPPY"}, path
        rows += footer.rows
    assert rows == 25_000
    archive = hdfs.list_files(f"{landing}/_archive", recursive=True)
    assert [e.name for e in archive if e.name.endswith(".avro")] == ["clicks.avro"]


def test_batches_side_by_side_and_a_small_one_alone_convert_inside_hiveserver2(
    area: dict[str, Any],
) -> None:
    landing = area["landing_path"]
    # Two tables of the same size: neither is alone, so both stay inside HiveServer2.
    write_big_avro(f"{landing}/clicks.avro", "Click")
    write_big_avro(f"{landing}/taps.avro", "Tap")

    run, values = run_dag(area | {"spread_alone_min_mib": 1, "row_check": "scan"})

    assert run.state == "success", values["_states"]
    batch_ids = [r["batch_id"] for load in loads_of(values) for r in load["results"]]
    assert len(batch_ids) == 2
    for batch_id in batch_ids:
        assert tez_dags_naming(batch_id) == [], batch_id

    # One small batch alone, under the default spread_alone_min_mib: inside HiveServer2 too.
    write_big_avro(f"{landing}/more-clicks.avro", "Click", rows=500)
    run, values = run_dag(area | {"row_check": "scan"})

    assert run.state == "success", values["_states"]
    ((small,),) = [load["results"] for load in loads_of(values)]
    assert tez_dags_naming(small["batch_id"]) == []
    assert table_rows(area["database"], "click") == 25_500
    assert table_rows(area["database"], "tap") == 25_000
