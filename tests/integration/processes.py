"""Pipeline runs as processes of their own (pipeline_process.py), started and awaited."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def start(arguments: dict[str, Any]) -> subprocess.Popen[str]:
    env = os.environ | {"PYTHONPATH": f"{ROOT / 'plugins'}:{ROOT}"}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.integration.pipeline_process", json.dumps(arguments)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


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
