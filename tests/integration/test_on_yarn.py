"""Conversion and verification as MapReduce jobs on YARN, on a HiveServer2 whose engine is
MapReduce: Hive's per-statement choice sends a statement whose input is above the run's
`local_mode_max_mib` to the ResourceManager, where its map tasks run in containers (new JVMs
on JDK 17), and keeps smaller ones inside HiveServer2. A second stack of its own, on spare
ports, runs HiveServer2 with AVRO_INGEST_HIVE_ENGINE=mr; the running stack is not touched."""

from __future__ import annotations

import io
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fastavro
import pytest
import requests
from avro_ingest.hooks.hdfs import AvroIngestHdfsHook
from avro_ingest.hooks.hive import AvroIngestHiveHook
from avro_ingest.parquet.footer import footer_length, read_footer

from .conftest import Area
from .dag_runner import run_dag
from .test_dag_end_to_end import SCHEMA_A, clicks, loads_of, table_rows, write_avro
from .test_stack_script import SPARE_PORTS, SPARE_YARN_PORTS, run_stack

pytestmark = pytest.mark.integration

MR_STACK = {**SPARE_PORTS, **SPARE_YARN_PORTS, "AVRO_INGEST_HIVE_ENGINE": "mr"}
RESOURCEMANAGER = f"http://localhost:{SPARE_YARN_PORTS['AVRO_INGEST_RESOURCEMANAGER_WEB_PORT']}"


@pytest.fixture(scope="module")
def mr_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    state = tmp_path_factory.mktemp("mr-yarn") / "state"
    env = {**MR_STACK, "AVRO_INGEST_STACK_STATE": str(state)}
    started = run_stack("up", **env)
    try:
        assert started.returncode == 0, started.stdout[-3000:] + started.stderr[-3000:]
        yield state
    finally:
        run_stack("down", **env)


@pytest.fixture
def mr_connections(mr_stack: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Airflow connections (stack/airflow_env.py) pointed at the MapReduce stack's ports."""
    for name, port in (
        ("AIRFLOW_CONN_WEBHDFS_DEFAULT", SPARE_PORTS["AVRO_INGEST_NAMENODE_HTTP_PORT"]),
        ("AIRFLOW_CONN_HIVESERVER2_DEFAULT", SPARE_PORTS["AVRO_INGEST_HIVESERVER2_PORT"]),
        ("AIRFLOW_CONN_IMPALA_ON_HIVESERVER2", SPARE_PORTS["AVRO_INGEST_HIVESERVER2_PORT"]),
    ):
        monkeypatch.setenv(name, json.dumps({**json.loads(os.environ[name]), "port": int(port)}))


@pytest.fixture
def area(mr_connections: None, airflow_db: None, test_area: Area) -> dict[str, Any]:
    assert AvroIngestHiveHook().query("SET hive.execution.engine") == [
        ("hive.execution.engine=mr",)
    ]
    return test_area.params()


def yarn_jobs_since(started_ms: int) -> dict[str, str]:
    """The YARN applications started since then: name -> final status. Hive names a job after
    its statement, the middle cut out (hive.jobname.length): the end names the batch's table."""
    answer = requests.get(
        f"{RESOURCEMANAGER}/ws/v1/cluster/apps",
        params={"startedTimeBegin": started_ms},
        timeout=10,
    )
    answer.raise_for_status()
    apps = (answer.json().get("apps") or {}).get("app") or []
    return {a["name"]: a["finalStatus"] for a in apps}


def jobs_of(jobs: dict[str, str], batch_id: str, statement: str) -> list[str]:
    return [name for name in jobs if name.startswith(statement) and batch_id[-8:] in name]


def parquet_files(folder: str) -> list[tuple[str, int]]:
    hdfs = AvroIngestHdfsHook()
    return [
        (e.path, e.size)
        for e in hdfs.list_files(folder, recursive=True)
        if not e.name.startswith(("_", "."))
    ]


def test_a_batch_converts_and_verifies_as_yarn_jobs(area: dict[str, Any]) -> None:
    landing, database = area["landing_path"], area["database"]
    write_avro(f"{landing}/clicks-1.avro", SCHEMA_A, clicks(0, 300))
    write_avro(f"{landing}/clicks-2.avro", SCHEMA_A, clicks(300, 200))
    started_ms = int(time.time() * 1000)

    run, values = run_dag(area | {"local_mode_max_mib": 0, "row_check": "scan"})

    assert run.state == "success", values["_states"]
    assert table_rows(database, "click") == 500
    sample = AvroIngestHiveHook().query(
        f"SELECT id, url, CAST(`at` AS STRING) FROM `{database}`.`click` WHERE id = 301"
    )
    assert sample == [(301, "https://example.org/1", "2023-11-14 22:13:20.001")]
    (result,) = loads_of(values)[0]["results"]
    jobs = yarn_jobs_since(started_ms)
    # The INSERT and the verifying COUNT(*) each ran as a YARN job, and succeeded there.
    assert jobs_of(jobs, result["batch_id"], "INSERT OVERWRITE"), jobs
    assert jobs_of(jobs, result["batch_id"], "SELECT COUNT(*)"), jobs
    assert set(jobs.values()) == {"SUCCEEDED"}, jobs
    # The containers wrote Snappy-compressed Parquet (the table's property), 500 rows.
    folder = (
        f"{area['target_root']}/{database}/click/ingest_date={result['partition']['ingest_date']}"
        f"/batch_id={result['batch_id']}"
    )
    hdfs = AvroIngestHdfsHook()
    rows = 0
    for path, size in parquet_files(folder):
        tail = hdfs.read_range(path, size - 8, 8)
        length = footer_length(path, size, tail)
        footer = read_footer(path, hdfs.read_range(path, size - 8 - length, length))
        assert footer.codecs == {"SNAPPY"}, path
        rows += footer.rows
    assert rows == 500


def test_only_the_statement_above_the_threshold_goes_to_yarn(area: dict[str, Any]) -> None:
    landing, database = area["landing_path"], area["database"]
    # About 2.5 MiB uncompressed: above a 1 MiB threshold. The other table's file is tiny.
    big = io.BytesIO()
    records = [{**c, "url": f"https://example.org/{'x' * 80}/{c['id']}"} for c in clicks(0, 25_000)]
    fastavro.writer(big, fastavro.parse_schema(SCHEMA_A), records, codec="null")
    AvroIngestHdfsHook().write_bytes(f"{landing}/clicks.avro", big.getvalue())
    tiny = {**SCHEMA_A, "name": "Tap"}
    write_avro(f"{landing}/taps.avro", tiny, clicks(0, 10))
    started_ms = int(time.time() * 1000)

    run, values = run_dag(area | {"local_mode_max_mib": 1})

    assert run.state == "success", values["_states"]
    assert table_rows(database, "click") == 25_000
    assert table_rows(database, "tap") == 10
    jobs = yarn_jobs_since(started_ms)
    # Only the big table's batch went to YARN; the tiny one ran inside HiveServer2.
    (click,) = next(v for v in loads_of(values) if v["table"].endswith(".click"))["results"]
    (tap,) = next(v for v in loads_of(values) if v["table"].endswith(".tap"))["results"]
    assert jobs_of(jobs, click["batch_id"], "INSERT OVERWRITE"), jobs
    assert not jobs_of(jobs, tap["batch_id"], ""), jobs
    assert set(jobs.values()) == {"SUCCEEDED"}, jobs
