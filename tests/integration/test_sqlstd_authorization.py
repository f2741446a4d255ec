"""The pipeline's session settings on a cluster-shaped HiveServer2: SQL standard authorization
on, with Hive's default whitelist of settings a session may change (nothing appended).

A second HiveServer2 of the stack's Hive jars, on ports and a metastore of its own, started
with the authorization a secured cluster runs (a session's SET of anything outside the
whitelist fails with "Cannot modify ... at runtime")."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from avro_ingest.engine_errors import is_cluster_fault
from avro_ingest.exceptions import StatementFailed
from avro_ingest.hive.types import SETTINGS_OUTSIDE_SQLSTD_WHITELIST, SQLSTD_WHITELIST_APPEND
from avro_ingest.hooks.hive import AvroIngestHiveHook
from avro_ingest.stages.batch import BatchPlan
from avro_ingest.stages.convert import Placement, conversion_settings
from avro_ingest.stages.verify import scan_settings

from .stack_control import STACK

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SQLSTD = (
    "org.apache.hadoop.hive.ql.security.authorization.plugin.sqlstd.SQLStdHiveAuthorizerFactory"
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def authorized_hive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AvroIngestHiveHook]:
    folder = tmp_path_factory.mktemp("sqlstd-hiveserver2")
    port, web_port = _free_port(), _free_port()
    conf = {
        "hive.server2.thrift.port": port,
        "hive.server2.webui.port": web_port,
        "javax.jdo.option.ConnectionURL": (
            f"jdbc:derby:;databaseName={folder}/metastore;create=true"
        ),
        "hive.exec.local.scratchdir": folder / "scratch",
        "hive.server2.logging.operation.log.location": folder / "operation_logs",
        "hive.querylog.location": folder / "querylog",
        # The stack's engine is Tez on YARN: no pooled session of its own for this server.
        "hive.server2.tez.initialize.default.sessions": "false",
        "hive.security.authorization.enabled": "true",
        "hive.security.authorization.manager": SQLSTD,
        "hive.security.authenticator.manager": (
            "org.apache.hadoop.hive.ql.security.SessionStateUserAuthenticator"
        ),
    }
    arguments = [part for k, v in conf.items() for part in ("--hiveconf", f"{k}={v}")]
    log = (folder / "hiveserver2.log").open("w")
    server = subprocess.Popen(
        [
            "bash",
            str(STACK),
            "hive-java",
            "-Xmx1g",
            f"-Djava.io.tmpdir={folder}",
            f"-Dhive.log.dir={folder}",
            f"-Dderby.stream.error.file={folder}/derby.log",
            "org.apache.hive.service.server.HiveServer2",
            *arguments,
        ],
        cwd=folder,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    os.environ["AIRFLOW_CONN_HIVE_SQLSTD"] = json.dumps(
        {
            "conn_type": "hiveserver2",
            "host": "localhost",
            "port": port,
            "login": "etl",
            "schema": "default",
            "extra": {"auth_mechanism": "NOSASL"},
        }
    )
    hook = AvroIngestHiveHook(hiveserver2_conn_id="hive_sqlstd")
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, (folder / "hiveserver2.log").read_text()[-3000:]
            try:
                hook.query("SELECT 1")
                break
            except Exception:
                assert time.monotonic() < deadline, "the authorized HiveServer2 did not start"
                time.sleep(1)
        yield hook
    finally:
        server.terminate()
        server.wait(timeout=60)
        log.close()
        os.environ.pop("AIRFLOW_CONN_HIVE_SQLSTD", None)


def every_setting_the_pipeline_sets() -> dict[str, str]:
    small = BatchPlan("b", "/l", "d", "t", "fp", {}, "2026-12-04", ())
    placement = Placement(256 * 1024**2).settings(small)
    assert placement["hive.execution.engine"] == "mr"  # the pin a batch in HiveServer2 has
    return {**conversion_settings(256 * 1024**2, placement), **scan_settings(placement)}


def test_only_the_settings_the_readme_lists_are_refused(
    authorized_hive: AvroIngestHiveHook,
) -> None:
    refused: dict[str, str] = {}
    for name, value in every_setting_the_pipeline_sets().items():
        try:
            authorized_hive.run_statements([], settings={name: value})
        except StatementFailed as failure:
            refused[name] = failure.message
            # A refusal is the server's policy: retried, no file blamed.
            assert is_cluster_fault(failure.message, failure.causes), failure.message
    assert sorted(refused) == sorted(SETTINGS_OUTSIDE_SQLSTD_WHITELIST), refused
    for name, message in refused.items():
        assert f"Cannot modify {name} at runtime" in message
        # The pattern the README tells an administrator to append allows exactly these.
        assert re.fullmatch(SQLSTD_WHITELIST_APPEND, name)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert SQLSTD_WHITELIST_APPEND in readme
    for name in SETTINGS_OUTSIDE_SQLSTD_WHITELIST:
        assert name in readme


def test_a_conversion_session_reads_avro_and_writes_parquet_under_authorization(
    authorized_hive: AvroIngestHiveHook,
) -> None:
    """Everything whitelisted works in one session: the settings it may set, then a table."""
    probe = f"settings_probe_{os.getpid()}"
    allowed = {
        k: v
        for k, v in every_setting_the_pipeline_sets().items()
        if k not in SETTINGS_OUTSIDE_SQLSTD_WHITELIST
    }
    authorized_hive.run_statements(
        [
            f"CREATE TABLE default.{probe} (id BIGINT) STORED AS PARQUET "
            "TBLPROPERTIES ('parquet.compression'='SNAPPY')",
            f"INSERT INTO default.{probe} VALUES (1), (2)",
            f"DROP TABLE default.{probe}",
        ],
        settings=allowed,
    )
