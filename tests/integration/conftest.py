"""Fixtures over the real local stack (make stack-up). A test here fails, never skips, when the
stack is down: `make test` starts it, so a missing stack is a broken set-up."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from airflow.providers.apache.hdfs.hooks.webhdfs import WebHDFSHook
from airflow.providers.apache.hive.hooks.hive import HiveServer2Hook

from .processes import kill_leftovers

# Airflow's services, started once per session by the tests that use them.
from .services import airflow, services_up  # noqa: F401

WEBHDFS_PORT = os.environ.get("AVRO_INGEST_NAMENODE_HTTP_PORT", "9870")
WEBHDFS_PING = f"http://localhost:{WEBHDFS_PORT}/webhdfs/v1/?op=GETFILESTATUS&user.name=hive"


@pytest.fixture(scope="session", autouse=True)
def _stack_is_up() -> None:
    try:
        requests.get(WEBHDFS_PING, timeout=5).raise_for_status()
    except requests.RequestException as error:
        pytest.fail(f"the local stack is not up ({error}); start it with `make stack-up`")


@pytest.fixture(scope="session")
def webhdfs() -> WebHDFSHook:
    return WebHDFSHook()


@pytest.fixture(scope="session")
def hive() -> HiveServer2Hook:
    return HiveServer2Hook()


@pytest.fixture
def hdfs_folder(webhdfs: WebHDFSHook) -> Iterator[str]:
    """A fresh HDFS folder for one test, removed afterwards."""
    client = webhdfs.get_conn()
    folder = f"/tmp/avro-ingest-tests/{uuid.uuid4().hex[:12]}"
    client.makedirs(folder)
    yield folder
    client.delete(folder, recursive=True)


@dataclass(frozen=True)
class Area:
    """A landing folder, target root and Hive database of one test's own."""

    root: str
    landing: str
    database: str
    target_root: str

    def params(self) -> dict[str, Any]:
        """The trigger form's values for a run over this area that takes files at once."""
        return {
            "landing_path": self.landing,
            "database": self.database,
            "target_root": self.target_root,
            "quiet_period_seconds": 0,
            "wait_seconds": 0,
        }


@pytest.fixture
def test_area() -> Iterator[Area]:
    """A fresh area on the stack, dropped (database) and removed (folders) afterwards."""
    from avro_ingest.hooks.hdfs import AvroIngestHdfsHook
    from avro_ingest.hooks.hive import AvroIngestHiveHook

    hdfs = AvroIngestHdfsHook()
    key = uuid.uuid4().hex[:10]
    root = f"/tmp/avro-ingest-tests/area-{key}"
    hdfs.makedirs(f"{root}/landing")
    yield Area(root, f"{root}/landing", f"it_{key}", f"{root}/warehouse")
    kill_leftovers()
    AvroIngestHiveHook().run_statements([f"DROP DATABASE IF EXISTS it_{key} CASCADE"])
    hdfs.delete(root, recursive=True)


@pytest.fixture
def area(test_area: Area) -> dict[str, Any]:
    """The settings of a run over the test's area, as a JSON-ready dict (IngestConfig fields)."""
    return {
        "landing_paths": [test_area.landing],
        "database": test_area.database,
        "target_root": test_area.target_root,
        "quiet_period_seconds": 0,
        "max_files_per_batch": 8,
    }
