"""Airflow's real services (api-server, scheduler, dag-processor, triggerer, LocalExecutor),
started once per test session by stack/airflow_services.py, for the tests that drive them over
the REST API and in a browser."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from avro_ingest.hooks.hdfs import AvroIngestHdfsHook
from avro_ingest.hooks.hive import AvroIngestHiveHook

from stack.airflow_services import RestClient

ROOT = Path(__file__).resolve().parents[2]
PORT = os.environ.get("AVRO_INGEST_TEST_AIRFLOW_PORT", "28080")
URL = f"http://localhost:{PORT}"


# The DAG's own scheduled runs (every minute, not waiting for files) take a folder of their
# own, which stays empty except in the test of the schedule.
SCHEDULED = "/tmp/avro-ingest-tests/services-schedule"
SCHEDULED_DATABASE = "svc_schedule"
GRACE_SECONDS = 20


def services(command: str, home: str) -> None:
    env = os.environ | {
        "AVRO_INGEST_AIRFLOW_HOME": home,
        "AVRO_INGEST_AIRFLOW_PORT": PORT,
        "AVRO_INGEST_RETRY_DELAY_SECONDS": "2",
        "AVRO_INGEST_SCHEDULE": "* * * * *",
        "AVRO_INGEST_SCHEDULE_GRACE_SECONDS": str(GRACE_SECONDS),
        "AVRO_INGEST_WAIT_SECONDS": "0",
        "AVRO_INGEST_LANDING": f"{SCHEDULED}/landing",
        "AVRO_INGEST_DATABASE": SCHEDULED_DATABASE,
        "AVRO_INGEST_TARGET_ROOT": f"{SCHEDULED}/warehouse",
    }
    subprocess.run(
        [sys.executable, str(ROOT / "stack" / "airflow_services.py"), command],
        env=env,
        check=True,
        timeout=300,
    )


@dataclass(frozen=True)
class Services:
    rest: RestClient
    logs: Path

    def errors_since(self, since: float) -> list[str]:
        """Error-level lines the services logged after `since` (time.time())."""
        found = []
        for log in sorted(self.logs.glob("*.log")):
            for line in log.read_text(errors="replace").splitlines():
                stamp = re.match(r"(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)", line)
                if not stamp:
                    continue
                when = dt.datetime.fromisoformat(f"{stamp[1]}T{stamp[2]}+00:00").timestamp()
                if when >= since and re.search(r"\[(error|critical) *\]", line):
                    found.append(f"{log.name}: {line[:400]}")
        return found


def describe_runs(rest: RestClient, runs: list[dict[str, Any]]) -> str:
    """Each run's timing, its tasks' states and tries, and the last lines of the log of each
    task that failed or is waiting to retry: what a failed wait on the scheduler shows."""
    lines = []
    for run in runs:
        lines.append(
            f"{run['dag_run_id']}: {run['state']}, after {run['run_after']}, "
            f"started {run.get('start_date')}, ended {run.get('end_date')}"
        )
        for name, task in sorted(rest.tasks(run["dag_run_id"]).items()):
            lines.append(f"  {name}: {task['state']} (try {task['try_number']})")
            if task["state"] in ("failed", "up_for_retry") or name == "wait_for_complete_files":
                try:
                    tail = rest.log(run["dag_run_id"], name).splitlines()[-6:]
                except requests.HTTPError as error:  # a task not started has no log yet
                    tail = [f"(no log: {error})"]
                lines.extend(f"    | {line[:300]}" for line in tail)
    return "\n".join(lines)


@pytest.fixture(scope="session")
def services_up(request: pytest.FixtureRequest) -> Iterator[Services]:
    home = tempfile.mkdtemp(prefix="avro-ingest-services-")
    hdfs = AvroIngestHdfsHook()
    hdfs.delete(SCHEDULED, recursive=True)
    hdfs.makedirs(f"{SCHEDULED}/landing")
    services("up", home)
    try:
        yield Services(RestClient(URL), Path(home) / "logs")
    finally:
        if request.session.testsfailed == 0:  # the services' logs explain a failure: kept
            services("remove", home)
            shutil.rmtree(home, ignore_errors=True)
        else:
            services("down", home)
        hdfs.delete(SCHEDULED, recursive=True)
        AvroIngestHiveHook().run_statements(
            [f"DROP DATABASE IF EXISTS {SCHEDULED_DATABASE} CASCADE"]
        )


@pytest.fixture
def airflow(services_up: Services) -> RestClient:
    return services_up.rest
