"""The local stack's daemons, stopped and started for real by the fault tests."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STACK = ROOT / "stack" / "stack.sh"
STATE = Path(os.environ.get("AVRO_INGEST_STACK_STATE", ROOT / "stack" / ".state"))


def pid_of(service: str) -> int:
    return int((STATE / "run" / f"{service}.pid").read_text())


def stop(service: str, sig: signal.Signals) -> None:
    """Send `sig` to a stack daemon and wait until it is gone (so `stack up` starts it again)."""
    pid = pid_of(service)
    os.kill(pid, sig)
    deadline = time.monotonic() + 60
    while _alive(pid):
        assert time.monotonic() < deadline, f"the {service} did not stop"
        time.sleep(0.2)


def stack(*arguments: str) -> None:
    subprocess.run(["bash", str(STACK), *arguments], check=True, capture_output=True, timeout=300)


def _alive(pid: int) -> bool:
    """Whether the process runs (a zombie child of ours would read as alive: reap it)."""
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass  # not our child: the stack script started it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
