"""The DAG under Airflow's real services (api-server, scheduler, dag-processor, triggerer,
LocalExecutor), started once for the session by stack/airflow_services.py and driven over the
REST API as a user or another system would: runs triggered with a form's conf, a run whose
sensor waits in the triggerer while another run goes ahead, a failing run that ends failed,
and a dry run that touches nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from avro_ingest.hooks.hdfs import AvroIngestHdfsHook
from avro_ingest.hooks.hive import AvroIngestHiveHook

from stack.airflow_services import RestClient

from .conftest import Area
from .invariants import check_exactly_once, deliver, files_under

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
PORT = os.environ.get("AVRO_INGEST_TEST_AIRFLOW_PORT", "28080")
URL = f"http://localhost:{PORT}"


def services(command: str, home: str) -> None:
    env = os.environ | {
        "AVRO_INGEST_AIRFLOW_HOME": home,
        "AVRO_INGEST_AIRFLOW_PORT": PORT,
        "AVRO_INGEST_RETRY_DELAY_SECONDS": "2",
        # The DAG's own scheduled runs wait on a folder of their own, which stays empty.
        "AVRO_INGEST_LANDING": "/tmp/avro-ingest-tests/services-schedule",
    }
    subprocess.run(
        [sys.executable, str(ROOT / "stack" / "airflow_services.py"), command],
        env=env,
        check=True,
        timeout=300,
    )


@pytest.fixture(scope="session")
def airflow() -> Iterator[RestClient]:
    home = tempfile.mkdtemp(prefix="avro-ingest-services-")
    services("up", home)
    try:
        yield RestClient(URL)
    finally:
        services("down", home)


@pytest.fixture
def area(test_area: Area) -> dict[str, Any]:
    return {
        "landing_path": test_area.landing,
        "database": test_area.database,
        "target_root": test_area.target_root,
        "quiet_period_seconds": 0,
        "wait_seconds": 0,
    }


def test_a_run_triggered_over_the_rest_api_loads_and_names_its_loads(
    airflow: RestClient, area: dict[str, Any]
) -> None:
    landed = deliver(area["landing_path"], 6)
    run_id = airflow.trigger(area)
    assert airflow.wait(run_id, timeout=400) == "success"
    ended = check_exactly_once(area["landing_path"], area["database"], landed)
    assert ended["archived"] == set(landed.files)
    tasks = airflow.tasks(run_id)
    # Mapped loads are named after their table, not numbered.
    assert sorted(
        t["rendered_map_index"] for k, t in tasks.items() if k.startswith("load_table[")
    ) == [
        f"{area['database']}.tick",
        f"{area['database']}.tock",
    ]
    assert tasks["all_steps_succeeded"]["state"] == "success"


def test_a_waiting_run_defers_and_does_not_block_another_run(
    airflow: RestClient, area: dict[str, Any]
) -> None:
    hdfs = AvroIngestHdfsHook()
    waiting_landing = area["landing_path"].replace("/landing", "/quiet")
    hdfs.makedirs(waiting_landing)
    waiting = airflow.trigger(
        area | {"landing_path": waiting_landing, "wait_seconds": 300, "database": "svc_wait"}
    )
    deadline = time.monotonic() + 120
    while airflow.tasks(waiting)["wait_for_complete_files"]["state"] != "deferred":
        assert time.monotonic() < deadline, "the sensor never deferred to the triggerer"
        time.sleep(1)
    # While the first run's sensor waits in the triggerer, another run goes ahead.
    landed = deliver(area["landing_path"], 4)
    other = airflow.trigger(area)
    assert airflow.wait(other) == "success"
    assert airflow.state(waiting) == "running"
    check_exactly_once(area["landing_path"], area["database"], landed)
    # A file arrives: the trigger fires, the waiting run loads it.
    arrived = deliver(waiting_landing, 1, prefix="late")
    assert airflow.wait(waiting) == "success"
    check_exactly_once(waiting_landing, "svc_wait", arrived)
    AvroIngestHiveHook().run_statements(["DROP DATABASE IF EXISTS svc_wait CASCADE"])


def test_a_failing_run_ends_failed(airflow: RestClient, area: dict[str, Any]) -> None:
    # A relative landing path: the sensor's settings are refused in every try.
    run_id = airflow.trigger(area | {"landing_path": "relative/landing", "wait_seconds": 60})
    assert airflow.wait(run_id) == "failed"
    tasks = airflow.tasks(run_id)
    assert tasks["wait_for_complete_files"]["state"] == "failed"
    assert tasks["wait_for_complete_files"]["try_number"] == 3  # it was retried
    assert tasks["plan_and_claim"]["state"] == "upstream_failed"
    # The summary still reports, and the run is failed all the same.
    assert tasks["run_summary"]["state"] == "success"
    assert tasks["all_steps_succeeded"]["state"] == "upstream_failed"


def test_a_dry_run_touches_nothing(airflow: RestClient, area: dict[str, Any]) -> None:
    landed = deliver(area["landing_path"], 3)
    before = sorted(files_under(area["landing_path"]))
    run_id = airflow.trigger(area | {"dry_run": True})
    assert airflow.wait(run_id, timeout=400) == "success"
    assert sorted(files_under(area["landing_path"])) == before
    databases = {r[0] for r in AvroIngestHiveHook().query("SHOW DATABASES")}
    assert area["database"] not in databases
    summary = airflow.xcom(run_id, "run_summary")
    assert summary["dry_run"] is True and set(landed.files)
