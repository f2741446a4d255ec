"""A run killed at any step, and services that die or stop under a run, lose nothing and load
nothing twice: the run's retry (or the next run) finishes the work. Each run is a process of
its own, killed with SIGKILL where the OOM killer or a lost worker would; the services are
the local stack's, killed, stopped and put in safe mode for real."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from .impala_protocol import ImpalaCatalog, impala_service
from .invariants import (
    check_exactly_once,
    check_nothing_lost,
    deliver,
    files_under,
    sealed_folders,
)
from .pipeline_process import CRASH_POINTS
from .processes import fail, finish, start
from .stack_control import STACK, stack, stop

pytestmark = pytest.mark.integration


def killed_then_retried(area: dict[str, Any], point: str) -> dict[str, Any]:
    """Run 1 dies at `point`; its retry (the same run, a new attempt) runs to the end."""
    dying = start({"config": area, "run_id": "crash", "attempt": "try-1", "kill_at": point})
    dying.communicate(timeout=300)
    assert dying.returncode == -signal.SIGKILL, f"the run was not killed at {point}"
    code, outcome = finish(start({"config": area, "run_id": "crash", "attempt": "try-2"}))
    assert code == 0, outcome["failed"]
    return outcome


@pytest.mark.parametrize("point", CRASH_POINTS)
def test_a_run_killed_at_any_step_is_finished_by_its_retry(
    area: dict[str, Any], point: str
) -> None:
    landing = area["landing_paths"][0]
    landed = deliver(landing, 10)

    killed_then_retried(area, point)

    ended = check_exactly_once(landing, area["database"], landed)
    assert ended["archived"] == set(landed.files)
    assert not files_under(f"{landing}/_work"), "a schema file of the killed attempt is left"


def test_a_run_killed_during_the_impala_step_is_published_by_the_next_run(
    area: dict[str, Any],
) -> None:
    """The run dies while Impala is told of the new table: its batches are committed in Hive
    but not archived, and Impala never ran the statement. The next run finishes them, and
    Impala must hear of the table then, or its REFRESH fails for ever."""
    config = area | {"lease_seconds": 10}
    landing = config["landing_paths"][0]
    landed = deliver(landing, 10)
    impala = ImpalaCatalog(interrupt=re.compile(r"^INVALIDATE METADATA"))

    with impala_service(impala) as port:
        dying = start({"config": config, "run_id": "dies", "attempt": "1", "impala_port": port})
        while not impala.held.wait(timeout=0.5):
            assert dying.poll() is None, f"the run ended before the Impala step: {fail(dying)}"
        dying.kill()
        dying.communicate(timeout=60)
        impala.release.set()
        time.sleep(11)  # the dead run's lease lapses: its batches are anyone's to finish
        code, outcome = finish(start({"config": config, "run_id": "next", "impala_port": port}))

    assert code == 0, outcome
    ended = check_exactly_once(landing, area["database"], landed)
    assert ended["archived"] == set(landed.files)
    tables = {f"{r['database']}.{r['table']}" for load in outcome["loads"] for r in load["results"]}
    assert tables and tables <= impala.known
    partitions = sum(len(load["results"]) for load in outcome["loads"])
    stats = [s for s in impala.statements if s.startswith("COMPUTE INCREMENTAL STATS")]
    assert len(stats) == partitions == len(ended["batches"])


# --- services --------------------------------------------------------------------------------


@pytest.fixture
def stack_restored() -> Iterator[None]:
    """Whatever a test kills or stops, the stack is whole again afterwards."""
    yield
    subprocess.run(
        ["bash", str(STACK), "dfsadmin", "-safemode", "leave"], capture_output=True, timeout=60
    )
    stack("up")


def wait_until_loading(landing: str, timeout: float = 120) -> None:
    """Until a batch is sealed (its folder named `<claim>_<seal>`): the run is loading. One
    listing of `_staging`: a walk below it races the renames that seal and archive."""
    deadline = time.monotonic() + timeout
    while not sealed_folders(landing):
        assert time.monotonic() < deadline, "the run never started loading"
        time.sleep(0.2)


def live_tez_sessions() -> list[str]:
    port = os.environ.get("AVRO_INGEST_RESOURCEMANAGER_WEB_PORT", "8088")
    answer = requests.get(
        f"http://localhost:{port}/ws/v1/cluster/apps",
        params={"applicationTypes": "TEZ", "states": "NEW,NEW_SAVING,SUBMITTED,ACCEPTED,RUNNING"},
        timeout=10,
    )
    answer.raise_for_status()
    return [a["id"] for a in (answer.json().get("apps") or {}).get("app") or []]


def test_hiveserver2_killed_during_a_conversion_then_restarted(
    area: dict[str, Any], stack_restored: None
) -> None:
    landing = area["landing_paths"][0]
    landed = deliver(landing, 10)
    run = start({"config": area, "run_id": "hs2-dies", "attempt": "try-1"})
    wait_until_loading(landing)
    time.sleep(1.0)  # the INSERT is running
    stop("hiveserver2", signal.SIGKILL)
    assert "HiveServer2 unavailable" in fail(run)
    check_nothing_lost(landing, landed)

    stack("up")
    # The dead HiveServer2's Tez session no longer holds YARN's memory: only the new one's.
    assert len(live_tez_sessions()) == 1, live_tez_sessions()
    code, outcome = finish(start({"config": area, "run_id": "hs2-dies", "attempt": "try-2"}))
    assert code == 0, outcome["failed"]
    assert check_exactly_once(landing, area["database"], landed)["archived"] == set(landed.files)


def test_the_datanode_stopped_during_a_load_then_started(
    area: dict[str, Any], stack_restored: None
) -> None:
    landing = area["landing_paths"][0]
    landed = deliver(landing, 10)
    run = start({"config": area, "run_id": "dn-stops", "attempt": "try-1", "rename_delay": 0.1})
    wait_until_loading(landing)
    stop("datanode", signal.SIGTERM)
    error = fail(run)
    assert "unavailable" in error or "cluster failed" in error, error
    places = check_nothing_lost(landing, landed)
    assert not any(p.startswith("_quarantine/") for p in places.values())

    stack("up")
    code, outcome = finish(start({"config": area, "run_id": "dn-stops", "attempt": "try-2"}))
    assert code == 0, outcome["failed"]
    assert check_exactly_once(landing, area["database"], landed)["archived"] == set(landed.files)


def test_the_namenode_in_safe_mode_during_a_claim_then_restarted(
    area: dict[str, Any], stack_restored: None, tmp_path: Path
) -> None:
    landing = area["landing_paths"][0]
    landed = deliver(landing, 10)
    gate = tmp_path / "gate"
    gate.mkdir()
    run = start(
        {"config": area, "run_id": "nn-safe", "attempt": "try-1", "hold_renames_in": str(gate)}
    )
    deadline = time.monotonic() + 120
    while not (gate / "holding").exists():  # the manifest is written; no file renamed yet
        assert run.poll() is None, fail(run)
        assert time.monotonic() < deadline, "the run never claimed"
        time.sleep(0.1)
    stack("dfsadmin", "-safemode", "enter")
    (gate / "open").touch()
    error = fail(run)
    assert "HDFS unavailable" in error and "safe mode" in error, error
    check_nothing_lost(landing, landed)

    # The NameNode restarts (and leaves safe mode once its DataNode reports).
    stop("namenode", signal.SIGTERM)
    stack("up")
    code, outcome = finish(start({"config": area, "run_id": "nn-safe", "attempt": "try-2"}))
    assert code == 0, outcome["failed"]
    assert check_exactly_once(landing, area["database"], landed)["archived"] == set(landed.files)
