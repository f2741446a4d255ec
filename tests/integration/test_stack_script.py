"""stack/stack.sh as a user meets it: a second `up` does nothing, and bad states give errors
that say what is wrong. Runs against the real stack and the cached jars (make stack-up)."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

STACK = Path(__file__).resolve().parents[2] / "stack" / "stack.sh"
# Ports for a second, throw-away stack, so the running one is not disturbed.
SPARE_PORTS = {
    "AVRO_INGEST_NAMENODE_RPC_PORT": "18020",
    "AVRO_INGEST_NAMENODE_HTTP_PORT": "19870",
    "AVRO_INGEST_DATANODE_DATA_PORT": "19866",
    "AVRO_INGEST_DATANODE_HTTP_PORT": "19864",
    "AVRO_INGEST_DATANODE_IPC_PORT": "19867",
    "AVRO_INGEST_HIVESERVER2_PORT": "20000",
    "AVRO_INGEST_HIVESERVER2_WEBUI_PORT": "20002",
}
SPARE_YARN_PORTS = {
    "AVRO_INGEST_RESOURCEMANAGER_PORT": "18032",
    "AVRO_INGEST_RESOURCEMANAGER_SCHEDULER_PORT": "18030",
    "AVRO_INGEST_RESOURCEMANAGER_TRACKER_PORT": "18031",
    "AVRO_INGEST_RESOURCEMANAGER_ADMIN_PORT": "18033",
    "AVRO_INGEST_RESOURCEMANAGER_WEB_PORT": "18088",
    "AVRO_INGEST_NODEMANAGER_PORT": "18041",
    "AVRO_INGEST_NODEMANAGER_LOCALIZER_PORT": "18040",
    "AVRO_INGEST_NODEMANAGER_WEB_PORT": "18042",
    "AVRO_INGEST_SHUFFLE_PORT": "23562",
}


def run_stack(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(STACK), *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def pids(state: Path) -> dict[str, str]:
    return {p.stem: p.read_text().strip() for p in (state / "run").glob("*.pid")}


def test_up_when_running_is_a_no_op() -> None:
    state = Path(os.environ.get("AVRO_INGEST_STACK_STATE", STACK.parent / ".state"))
    before = pids(state)
    result = run_stack("up")
    assert result.returncode == 0, result.stderr
    assert "already up" in result.stdout
    assert pids(state) == before
    assert set(before) == {"namenode", "datanode", "resourcemanager", "nodemanager", "hiveserver2"}


def test_up_with_another_engine_than_the_running_one_changes_nothing() -> None:
    # A running HiveServer2 reads its configuration again for each new session: an `up` that
    # re-rendered it for another engine would switch the engine under the running stack.
    state = Path(os.environ.get("AVRO_INGEST_STACK_STATE", STACK.parent / ".state"))
    running = (state / "run" / "hive-engine").read_text().strip()
    other = "tez-yarn" if running != "tez-yarn" else "mr"
    hive_site = (state / "conf" / "hive-site.xml").read_text()
    before = pids(state)
    result = run_stack("up", AVRO_INGEST_HIVE_ENGINE=other)
    assert result.returncode == 1
    assert (
        f"HiveServer2 runs with AVRO_INGEST_HIVE_ENGINE={running}, not {other}: "
        "run 'make stack-down' first" in result.stderr
    )
    assert (state / "conf" / "hive-site.xml").read_text() == hive_site
    assert pids(state) == before


def test_tez_on_yarn_without_yarn_is_refused() -> None:
    result = run_stack("up", AVRO_INGEST_HIVE_ENGINE="tez-yarn", AVRO_INGEST_YARN="off")
    assert result.returncode == 2
    assert "AVRO_INGEST_HIVE_ENGINE=tez-yarn needs AVRO_INGEST_YARN=on" in result.stderr


def test_status_reports_each_daemon_health_and_memory() -> None:
    result = run_stack("status")
    assert result.returncode == 0, result.stdout + result.stderr
    for daemon in ("namenode", "datanode", "resourcemanager", "nodemanager", "hiveserver2"):
        assert any(
            line.startswith(daemon) and "running" in line and "MB resident" in line
            for line in result.stdout.splitlines()
        ), result.stdout
    assert "hdfs         healthy" in result.stdout
    # YARN is healthy when its NodeManager registered, with the memory and vcores it offers.
    assert "yarn         healthy (1 active node(s), 6144 MB and" in result.stdout
    assert "hiveserver2  healthy" in result.stdout


def test_a_port_in_use_is_named_with_its_process(tmp_path: Path) -> None:
    # A second state folder on the default ports: the running stack holds them.
    result = run_stack("up", AVRO_INGEST_STACK_STATE=str(tmp_path / "state"))
    assert result.returncode == 1
    port = os.environ.get("AVRO_INGEST_NAMENODE_RPC_PORT", "8020")
    assert f"port {port}, needed by NameNode, is already in use by" in result.stderr
    assert '"java"' in result.stderr and "pid=" in result.stderr
    # Nothing was started or formatted for the second folder.
    assert pids(tmp_path / "state") == {}
    assert not (tmp_path / "state" / "dfs").exists()


def test_a_yarn_port_in_use_is_named_with_its_process(tmp_path: Path) -> None:
    # HDFS and Hive on spare ports, YARN on the running stack's.
    result = run_stack("up", AVRO_INGEST_STACK_STATE=str(tmp_path / "state"), **SPARE_PORTS)
    assert result.returncode == 1
    port = os.environ.get("AVRO_INGEST_RESOURCEMANAGER_PORT", "8032")
    assert f"port {port}, needed by ResourceManager, is already in use by" in result.stderr
    assert pids(tmp_path / "state") == {}


def test_a_nodemanager_that_cannot_register_says_why(tmp_path: Path) -> None:
    """A node offering less memory than the smallest container: the ResourceManager refuses
    its registration and the NodeManager shuts down. The error names it, with its log."""
    state = tmp_path / "state"
    try:
        result = run_stack(
            "up",
            AVRO_INGEST_STACK_STATE=str(state),
            AVRO_INGEST_STACK_TIMEOUT="90",
            AVRO_INGEST_YARN_MEMORY_MB="128",
            **SPARE_PORTS,
            **SPARE_YARN_PORTS,
        )
    finally:
        down = run_stack(
            "down", AVRO_INGEST_STACK_STATE=str(state), **SPARE_PORTS, **SPARE_YARN_PORTS
        )
    assert result.returncode == 1
    assert "nodemanager died during start" in result.stderr, result.stderr
    assert "doesn't satisfy minimum allocations" in result.stderr, result.stderr
    # Nothing is left running: the stack's down stops what the failed up started.
    assert "stopped resourcemanager" in down.stdout
    assert not any(p for p in pids(state))


def test_a_stale_pid_file_is_recovered(tmp_path: Path) -> None:
    state = tmp_path / "state"
    (state / "run").mkdir(parents=True)
    dead = subprocess.Popen(["true"])
    dead.wait()
    (state / "run" / "namenode.pid").write_text(f"{dead.pid}\n")
    result = run_stack(
        "status", AVRO_INGEST_STACK_STATE=str(state), **SPARE_PORTS, **SPARE_YARN_PORTS
    )
    assert f"removing stale pid file of namenode (pid {dead.pid} is not running)" in (
        result.stdout + result.stderr
    )
    assert any(line.split() == ["namenode", "stopped"] for line in result.stdout.splitlines()), (
        result.stdout
    )
    assert not (state / "run" / "namenode.pid").exists()
    # down after a crash: nothing of ours runs, and it says so instead of failing.
    down = run_stack("down", AVRO_INGEST_STACK_STATE=str(state), **SPARE_PORTS, **SPARE_YARN_PORTS)
    assert down.returncode == 0
    assert "namenode is not running" in down.stdout


def test_a_daemon_that_dies_at_start_shows_its_log(tmp_path: Path) -> None:
    state = tmp_path / "state"
    # A metadata folder that looks formatted but is garbage: the NameNode exits at start.
    version = state / "dfs" / "name" / "current" / "VERSION"
    version.parent.mkdir(parents=True)
    version.write_text("this is not a NameNode VERSION file\n")
    started = time.monotonic()
    try:
        result = run_stack(
            "up",
            AVRO_INGEST_STACK_STATE=str(state),
            AVRO_INGEST_STACK_TIMEOUT="90",
            **SPARE_PORTS,
            **SPARE_YARN_PORTS,
        )
    finally:
        run_stack("down", AVRO_INGEST_STACK_STATE=str(state), **SPARE_PORTS, **SPARE_YARN_PORTS)
    assert result.returncode == 1
    assert "namenode died during start" in result.stderr
    assert f"last lines of {state}/logs/namenode.log" in result.stderr
    assert "Exception" in result.stderr  # the daemon's own words, from its log
    assert time.monotonic() - started < 90, "it waited for the timeout instead of noticing"


def test_a_missing_jdk_says_which_package_to_install(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("JAVA_HOME", "AVRO_INGEST_JAVA_HOME")}
    result = subprocess.run(
        [str(STACK), "up"],
        env={**env, "AVRO_INGEST_JVM_DIR": str(tmp_path), "AVRO_INGEST_STACK_STATE": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "no JDK 17 found" in result.stderr
    assert "apt-get install -y openjdk-17-jdk-headless" in result.stderr


def test_missing_maven_says_which_package_to_install(tmp_path: Path) -> None:
    result = run_stack(
        "jars",
        AVRO_INGEST_CACHE=str(tmp_path / "empty-cache"),
        AVRO_INGEST_MVN="mvn-is-not-installed",
    )
    assert result.returncode == 1
    assert "Maven (mvn) is not installed" in result.stderr
    assert "apt-get install -y maven" in result.stderr
