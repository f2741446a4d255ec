"""Airflow settings for running the DAG and its hooks against the local stack, in-process:
the tests, `make demo` and the benchmarks share them.

Connections come from AIRFLOW_CONN_* variables, as a deployment may supply them; they follow the
stack's defaults (WebHDFS on 9870, HiveServer2 on 10000) and its authentication mode
(AVRO_INGEST_HIVE_AUTH): server NOSASL <-> clients NOSASL; server NONE <-> PyHive NONE,
impyla PLAIN. Nothing already set in the environment is overridden.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_PYHIVE_AUTH = {"NOSASL": "NOSASL", "NONE": "NONE"}
_IMPYLA_AUTH = {"NOSASL": "NOSASL", "NONE": "PLAIN"}


def configure(airflow_home: str | os.PathLike[str]) -> None:
    auth = os.environ.get("AVRO_INGEST_HIVE_AUTH", "NOSASL")
    webhdfs_port = int(os.environ.get("AVRO_INGEST_NAMENODE_HTTP_PORT", "9870"))
    hive_port = int(os.environ.get("AVRO_INGEST_HIVESERVER2_PORT", "10000"))
    defaults = {
        "AIRFLOW_HOME": str(airflow_home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW_CONN_WEBHDFS_DEFAULT": json.dumps(
            {"conn_type": "webhdfs", "host": "localhost", "port": webhdfs_port, "login": "hive"}
        ),
        "AIRFLOW_CONN_HIVESERVER2_DEFAULT": json.dumps(
            {
                "conn_type": "hiveserver2",
                "host": "localhost",
                "port": hive_port,
                "login": "hive",
                "schema": "default",
                "extra": {"auth_mechanism": _PYHIVE_AUTH[auth]},
            }
        ),
        # impyla (what ImpalaHook uses) speaks the HiveServer2 protocol: pointed at
        # HiveServer2, since Impala does not run on our machines.
        "AIRFLOW_CONN_IMPALA_ON_HIVESERVER2": json.dumps(
            {
                "conn_type": "impala",
                "host": "localhost",
                "port": hive_port,
                "login": "hive",
                "extra": {"auth_mechanism": _IMPYLA_AUTH[auth]},
            }
        ),
    }
    for key, value in defaults.items():
        os.environ.setdefault(key, value)


def migrate_metadata_db() -> None:
    """Create or upgrade the metadata database of the configured Airflow home, with the
    `airflow` command of the running Python's environment."""
    done = subprocess.run(
        [str(Path(sys.executable).parent / "airflow"), "db", "migrate"],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
    )
    if done.returncode:
        raise SystemExit(f"`airflow db migrate` failed:\n{(done.stderr or done.stdout)[-3000:]}")
