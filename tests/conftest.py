"""Settings every test shares: an Airflow home of its own, and connections to the local stack.

Connections come from AIRFLOW_CONN_* variables, as users' deployments may supply them; they
match the stack's defaults (stack/stack.sh: WebHDFS on 9870, HiveServer2 on 10000, NOSASL).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

_AIRFLOW_HOME = tempfile.mkdtemp(prefix="avro-ingest-airflow-home-")
os.environ.setdefault("AIRFLOW_HOME", _AIRFLOW_HOME)
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "True")
_ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(_ROOT / "dags"))
os.environ.setdefault("AIRFLOW__CORE__PLUGINS_FOLDER", str(_ROOT / "plugins"))

# The server's mode and the clients' must agree: NOSASL <-> NOSASL, NONE <-> PLAIN (impyla).
HIVE_AUTH = os.environ.get("AVRO_INGEST_HIVE_AUTH", "NOSASL")
_HIVESERVER2_CLIENT_AUTH = {"NOSASL": "NOSASL", "NONE": "NONE"}[HIVE_AUTH]
_IMPYLA_CLIENT_AUTH = {"NOSASL": "NOSASL", "NONE": "PLAIN"}[HIVE_AUTH]

os.environ.setdefault(
    "AIRFLOW_CONN_WEBHDFS_DEFAULT",
    json.dumps({"conn_type": "webhdfs", "host": "localhost", "port": 9870, "login": "hive"}),
)
os.environ.setdefault(
    "AIRFLOW_CONN_HIVESERVER2_DEFAULT",
    json.dumps(
        {
            "conn_type": "hiveserver2",
            "host": "localhost",
            "port": 10000,
            "login": "hive",
            "schema": "default",
            "extra": {"auth_mechanism": _HIVESERVER2_CLIENT_AUTH},
        }
    ),
)
# impyla (what ImpalaHook uses) speaks the HiveServer2 protocol: here it is pointed at
# HiveServer2, since Impala does not run on our machines.
os.environ.setdefault(
    "AIRFLOW_CONN_IMPALA_ON_HIVESERVER2",
    json.dumps(
        {
            "conn_type": "impala",
            "host": "localhost",
            "port": 10000,
            "login": "hive",
            "extra": {"auth_mechanism": _IMPYLA_CLIENT_AUTH},
        }
    ),
)


@pytest.fixture(scope="session")
def airflow_db() -> None:
    """Airflow's metadata database (SQLite in the tests' Airflow home), migrated once."""
    subprocess.run(
        [str(Path(sys.executable).parent / "airflow"), "db", "migrate"],
        check=True,
        capture_output=True,
        env=os.environ.copy(),
    )
