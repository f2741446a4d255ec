"""Pipeline runs as processes of their own (pipeline_process.py), started and awaited."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

# Every run a test started, so that one still running when its test failed is killed before
# the test's area is dropped under it.
_started: list[subprocess.Popen[str]] = []


def start(arguments: dict[str, Any]) -> subprocess.Popen[str]:
    env = os.environ | {"PYTHONPATH": f"{ROOT / 'plugins'}:{ROOT}"}
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.integration.pipeline_process", json.dumps(arguments)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _started.append(process)
    return process


def kill_leftovers() -> None:
    """Kill (and reap) the runs still going: their test has ended, by failing."""
    while _started:
        process = _started.pop()
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=60)


def finish(process: subprocess.Popen[str], timeout: float = 300) -> tuple[int, dict[str, Any]]:
    out, err = process.communicate(timeout=timeout)
    lines = [line for line in out.splitlines() if line.startswith("{")]
    assert lines, f"the run printed no outcome (exit {process.returncode}):\n{err[-3000:]}"
    return process.returncode, json.loads(lines[-1])


def fail(process: subprocess.Popen[str], timeout: float = 300) -> str:
    """Wait for a run that must fail (a service fault is raised, so the task retries); the
    end of its error output (the exception, which may quote a Java stack)."""
    _, err = process.communicate(timeout=timeout)
    assert process.returncode != 0, "the run did not fail"
    return err[-5000:]
