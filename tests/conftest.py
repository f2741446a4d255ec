"""Settings every test shares: an Airflow home of its own, and connections to the local stack.

Connections come from AIRFLOW_CONN_* variables, as users' deployments may supply them; they
match the stack's defaults (stack/stack.sh: WebHDFS on 9870, HiveServer2 on 10000, NOSASL).
"""

from __future__ import annotations

import json
import os
import tempfile

_AIRFLOW_HOME = tempfile.mkdtemp(prefix="avro-ingest-airflow-home-")
os.environ.setdefault("AIRFLOW_HOME", _AIRFLOW_HOME)
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "True")

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
