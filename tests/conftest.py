"""Settings every test shares: an Airflow home of its own, and connections to the local stack
(stack/airflow_env.py)."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

import pytest

from stack.airflow_env import configure, migrate_metadata_db

_HOME = tempfile.mkdtemp(prefix="avro-ingest-airflow-home-")
atexit.register(shutil.rmtree, _HOME, ignore_errors=True)
configure(_HOME)
os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "True")


@pytest.fixture(scope="session")
def airflow_db() -> None:
    """Airflow's metadata database (SQLite in the tests' Airflow home), migrated once."""
    migrate_metadata_db()
