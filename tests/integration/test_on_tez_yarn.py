"""Conversion and verification on Tez on YARN, Hive 4's default engine on a cluster and the
fastest one measured here (bench/RESULTS.md, "Tez on YARN"). A second stack of its own, on spare
ports, runs HiveServer2 with AVRO_INGEST_HIVE_ENGINE=tez-yarn: a pooled Tez session whose
application master and task containers are YARN's. The running stack is not touched."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from avro_ingest.hooks.hdfs import AvroIngestHdfsHook
from avro_ingest.hooks.hive import AvroIngestHiveHook

from .conftest import Area
from .dag_runner import run_dag
from .test_dag_end_to_end import SCHEMA_A, clicks, loads_of, table_rows, write_avro
from .test_on_yarn import parquet_files
from .test_stack_script import SPARE_PORTS, SPARE_YARN_PORTS, run_stack

pytestmark = pytest.mark.integration

TEZ_STACK = {**SPARE_PORTS, **SPARE_YARN_PORTS, "AVRO_INGEST_HIVE_ENGINE": "tez-yarn"}
RESOURCEMANAGER = f"http://localhost:{SPARE_YARN_PORTS['AVRO_INGEST_RESOURCEMANAGER_WEB_PORT']}"


@pytest.fixture(scope="module")
def tez_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    state = tmp_path_factory.mktemp("tez-yarn") / "state"
    env = {**TEZ_STACK, "AVRO_INGEST_STACK_STATE": str(state)}
    # Tez's jars first, in a step of their own: on a new machine they come from Maven Central.
    jars = run_stack("jars", **env)
    assert jars.returncode == 0, jars.stdout[-3000:] + jars.stderr[-3000:]
    started = run_stack("up", **env)
    try:
        assert started.returncode == 0, started.stdout[-3000:] + started.stderr[-3000:]
        yield state
    finally:
        run_stack("down", **env)


@pytest.fixture
def tez_connections(tez_stack: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Airflow connections (stack/airflow_env.py) pointed at the Tez stack's ports."""
    for name, port in (
        ("AIRFLOW_CONN_WEBHDFS_DEFAULT", SPARE_PORTS["AVRO_INGEST_NAMENODE_HTTP_PORT"]),
        ("AIRFLOW_CONN_HIVESERVER2_DEFAULT", SPARE_PORTS["AVRO_INGEST_HIVESERVER2_PORT"]),
        ("AIRFLOW_CONN_IMPALA_ON_HIVESERVER2", SPARE_PORTS["AVRO_INGEST_HIVESERVER2_PORT"]),
    ):
        monkeypatch.setenv(name, json.dumps({**json.loads(os.environ[name]), "port": int(port)}))


@pytest.fixture
def area(tez_connections: None, airflow_db: None, test_area: Area) -> dict[str, Any]:
    return test_area.params()


def yarn_apps() -> list[dict[str, Any]]:
    answer = requests.get(f"{RESOURCEMANAGER}/ws/v1/cluster/apps", timeout=10)
    answer.raise_for_status()
    return list((answer.json().get("apps") or {}).get("app") or [])


def test_a_batch_converts_and_verifies_on_tez_on_yarn(area: dict[str, Any]) -> None:
    landing, database = area["landing_path"], area["database"]
    write_avro(f"{landing}/clicks-1.avro", SCHEMA_A, clicks(0, 300))
    write_avro(f"{landing}/clicks-2.avro", SCHEMA_A, clicks(300, 200))
    hive = AvroIngestHiveHook()
    assert hive.query("SET hive.execution.engine") == [("hive.execution.engine=tez",)]

    run, values = run_dag(area | {"row_check": "scan"})

    assert run.state == "success", values["_states"]
    assert table_rows(database, "click") == 500
    sample = hive.query(
        f"SELECT id, url, CAST(`at` AS STRING) FROM `{database}`.`click` WHERE id = 301"
    )
    assert sample == [(301, "https://example.org/1", "2023-11-14 22:13:20.001")]
    (result,) = loads_of(values)[0]["results"]
    assert result["records_expected"] == 500
    # The statements ran as DAGs of Tez sessions on YARN; no MapReduce job was started.
    apps = yarn_apps()
    assert {a["applicationType"] for a in apps} == {"TEZ"}, apps
    assert all(a["finalStatus"] in ("UNDEFINED", "SUCCEEDED") for a in apps), apps
    # Tez leaves one Parquet file a task (the merge settings are MapReduce's): all 500 rows.
    folder = (
        f"{area['target_root']}/{database}/click/ingest_date={result['partition']['ingest_date']}"
        f"/batch_id={result['batch_id']}"
    )
    assert parquet_files(folder)
    # Both sources were archived, by rename.
    archive = AvroIngestHdfsHook().list_files(f"{landing}/_archive", recursive=True)
    archived = sorted(e.name for e in archive if e.name.endswith(".avro"))
    assert len(archived) == 2 and all("clicks-" in name for name in archived), archived
