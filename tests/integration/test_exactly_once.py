"""Exactly once under overlap, on the real stack: whole runs racing in separate processes
(as two deployments or a backfill beside the scheduler would), zombie attempts stopped with
SIGSTOP while their retry runs, a run that died holding a claim, and a claim made by a run
whose lease lapsed. After each, every landed file is in exactly one place and each table
holds exactly the rows of its archived files (invariants.py)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from .invariants import check_exactly_once, deliver, files_under, sealed_folders
from .processes import finish, start

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def loaded_rows(outcome: dict[str, Any]) -> int:
    return sum(
        r["rows_verified"] or 0 for load in outcome.get("loads", []) for r in load["results"]
    )


def wait_for(condition: Any, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


# Every file read whole only once claimed, while Hive converts its batch (as large files are).
READ_ONCE_CLAIMED = {"count_after_claim_min_bytes": 0}
BOTH_WAYS = pytest.mark.parametrize(
    "settings",
    [
        pytest.param({}, id="counted-while-planning"),
        pytest.param(READ_ONCE_CLAIMED, id="read-once-claimed"),
    ],
)


@pytest.mark.parametrize(
    ("offsets", "rename_delay", "settings"),
    [
        pytest.param([0, 0], 0.0, {}, id="two-together"),
        pytest.param([0, 0], 0.3, {}, id="two-together-slow-renames"),
        pytest.param([0, 1, 2], 0.2, {}, id="three-staggered-slow-renames"),
        pytest.param([0, 6], 0.0, {}, id="second-starts-while-first-loads"),
        pytest.param([0, 0], 0.0, READ_ONCE_CLAIMED, id="two-together-read-once-claimed"),
    ],
)
def test_runs_racing_in_separate_processes_load_each_file_once(
    area: dict[str, Any], offsets: list[float], rename_delay: float, settings: dict[str, Any]
) -> None:
    area = area | settings
    landing = area["landing_paths"][0]
    landed = deliver(landing, 30)
    processes = []
    begin = time.monotonic()
    for index, offset in enumerate(offsets):
        time.sleep(max(0.0, begin + offset - time.monotonic()))
        processes.append(
            start(
                {
                    "config": area,
                    "run_id": f"race-{index}",
                    "rename_delay": rename_delay,
                }
            )
        )
    outcomes = [finish(p) for p in processes]
    # Live runs never take each other's batches: each ends green, having loaded what it claimed.
    for code, outcome in outcomes:
        assert code == 0, outcome["failed"]
    ended = check_exactly_once(landing, area["database"], landed)
    assert ended["archived"] == set(landed.files)
    assert sum(loaded_rows(o) for _, o in outcomes) == landed.records()
    batch_ids = [r["batch_id"] for _, o in outcomes for load in o["loads"] for r in load["results"]]
    assert len(batch_ids) == len(set(batch_ids)) == len(ended["batches"])


@BOTH_WAYS
def test_a_zombie_load_attempt_and_its_retry(
    area: dict[str, Any], settings: dict[str, Any]
) -> None:
    """The first attempt of a load is stopped just after it sealed its batch (its INSERT may be
    running in HiveServer2 all the same); its retry loads the batch; then the first attempt
    wakes up. It cannot commit, drops its output and says it was taken over."""
    landing = area["landing_paths"][0]
    landed = deliver(landing, 6)
    config = area | {"max_files_per_batch": 100} | settings
    code, planned = finish(start({"config": config, "run_id": "zombie", "steps": ["plan"]}))
    assert code == 0
    groups = planned["plan"]["tables"]
    first = start(
        {"config": config, "run_id": "zombie", "attempt": "load#1", "table_groups": groups}
    )
    wait_for(lambda: sealed_folders(landing), "the first attempt to seal a batch")
    os.kill(first.pid, signal.SIGSTOP)
    try:
        retry = start(
            {"config": config, "run_id": "zombie", "attempt": "load#2", "table_groups": groups}
        )
        code, outcome = finish(retry)
        assert code == 0, outcome["failed"]
    finally:
        os.kill(first.pid, signal.SIGCONT)
    code, zombie = finish(first)
    assert code == 1
    assert zombie["failed"] and all(f.get("taken_over") for f in zombie["failed"]), [
        f["error"] for f in zombie["failed"]
    ]
    assert all("was taken over" in f["error"] for f in zombie["failed"])
    ended = check_exactly_once(landing, area["database"], landed)
    assert ended["archived"] == set(landed.files)
    assert loaded_rows(outcome) == landed.records()


def test_a_zombie_plan_attempt_and_its_retry(area: dict[str, Any]) -> None:
    """The first attempt of plan-and-claim is stopped halfway through its renames; its retry
    takes over what it had claimed, claims the rest and loads everything. The first attempt
    wakes up: its remaining renames find nothing, and it loads nothing."""
    landing = area["landing_paths"][0]
    landed = deliver(landing, 10)
    config = area | {"max_files_per_batch": 100, "header_read_threads": 1}
    first = start({"config": config, "run_id": "zplan", "attempt": "plan#1", "rename_delay": 1.0})
    staged = lambda: [p for p in files_under(f"{landing}/_staging") if p.endswith(".avro")]  # noqa: E731
    wait_for(lambda: len(staged()) >= 2, "the first attempt to claim two files")
    os.kill(first.pid, signal.SIGSTOP)
    try:
        code, outcome = finish(start({"config": config, "run_id": "zplan", "attempt": "plan#2"}))
        assert code == 0, outcome["failed"]
    finally:
        os.kill(first.pid, signal.SIGCONT)
    code, zombie = finish(first)
    assert loaded_rows(zombie) == 0
    assert code == 1 and all(f.get("taken_over") for f in zombie["failed"])
    ended = check_exactly_once(landing, area["database"], landed)
    assert ended["archived"] == set(landed.files)
    assert loaded_rows(outcome) == landed.records()


@BOTH_WAYS
def test_a_run_that_died_holding_a_claim_is_taken_over_once_its_lease_lapses(
    area: dict[str, Any], settings: dict[str, Any]
) -> None:
    landing = area["landing_paths"][0]
    landed = deliver(landing, 8)
    config = area | {"lease_seconds": 10} | settings
    # A run claims, then dies before loading (only its plan step ran).
    code, dead = finish(start({"config": config, "run_id": "dead", "steps": ["plan"]}))
    assert code == 0 and dead["plan"]["tables"]
    # While its lease is fresh, another run leaves its batches alone.
    code, early = finish(start({"config": config, "run_id": "early"}))
    assert code == 0 and early["plan"]["tables"] == []
    time.sleep(11)
    code, late = finish(start({"config": config, "run_id": "late"}))
    assert code == 0, late["failed"]
    ended = check_exactly_once(landing, area["database"], landed)
    assert ended["archived"] == set(landed.files)
    assert loaded_rows(late) == landed.records()
