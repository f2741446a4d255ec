"""Airflow's own services against the local stack, as users run them: api-server (REST API and
UI), scheduler, dag-processor and triggerer, with the LocalExecutor sized for a small machine.

    python stack/airflow_services.py up      start what is not running, wait until healthy
    python stack/airflow_services.py down    stop what this script started
    python stack/airflow_services.py status  say what runs and whether it is healthy

Settings (environment): AVRO_INGEST_AIRFLOW_HOME (default: stack/.state/airflow),
AVRO_INGEST_AIRFLOW_PORT (8080), AVRO_INGEST_AIRFLOW_USER / AVRO_INGEST_AIRFLOW_PASSWORD
(admin / admin: a local stack's UI login), AVRO_INGEST_AIRFLOW_PARALLELISM (4 task processes
at most), AVRO_INGEST_RETRY_DELAY_SECONDS (passed to the DAG). Logs go to <home>/logs. The
metadata database is a PostgreSQL server of the home's own (stack/airflow_db.py), started
before the services and stopped after them.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from stack import airflow_db  # noqa: E402
from stack.airflow_env import configure, migrate_metadata_db  # noqa: E402

SERVICES = ("api-server", "scheduler", "dag-processor", "triggerer")
HOME = Path(os.environ.get("AVRO_INGEST_AIRFLOW_HOME", ROOT / "stack" / ".state" / "airflow"))
PORT = int(os.environ.get("AVRO_INGEST_AIRFLOW_PORT", "8080"))
USER = os.environ.get("AVRO_INGEST_AIRFLOW_USER", "admin")
PASSWORD = os.environ.get("AVRO_INGEST_AIRFLOW_PASSWORD", "admin")
URL = f"http://localhost:{PORT}"


def environment() -> dict[str, str]:
    """The services' settings: the stack's connections (airflow_env), then these."""
    inherited = {k: v for k, v in os.environ.items() if k != "AIRFLOW__CORE__UNIT_TEST_MODE"}
    inherited["AIRFLOW_HOME"] = str(HOME)
    os.environ.clear()
    os.environ.update(inherited)
    configure(HOME)
    parallelism = os.environ.get("AVRO_INGEST_AIRFLOW_PARALLELISM", "4")
    settings = {
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        # PostgreSQL, as deployments run: SQLite's one writer at a time made the api-server
        # wait up to a minute for its lock while task processes started.
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": airflow_db.url(HOME),
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        # LocalExecutor starts `parallelism` worker processes (32 by default, ~150 MB each).
        "AIRFLOW__CORE__PARALLELISM": parallelism,
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USER}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(HOME / "passwords.json"),
        "AIRFLOW__API__PORT": str(PORT),
        "AIRFLOW__API__BASE_URL": URL,
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{URL}/execution/",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(HOME / "logs" / "tasks"),
        # New DAGs start unpaused, so a trigger is all a user (or a test) needs.
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "plugins"), str(ROOT)])),
    }
    return os.environ | settings


def _pid_file(service: str) -> Path:
    return HOME / "run" / f"{service}.pid"


def _running(service: str) -> int | None:
    path = _pid_file(service)
    if not path.exists():
        return None
    pid = int(path.read_text())
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        path.unlink()
        return None
    return pid


def health() -> dict[str, str]:
    try:
        with urllib.request.urlopen(f"{URL}/api/v2/monitor/health", timeout=5) as answer:
            found = json.load(answer)
    except (urllib.error.URLError, OSError, ValueError):
        return {}
    return {name: str(part.get("status")) for name, part in found.items()}


def healthy() -> bool:
    states = health()
    wanted = ("metadatabase", "scheduler", "triggerer", "dag_processor")
    return all(states.get(name) == "healthy" for name in wanted)


def up(timeout: float = 180) -> None:
    env = environment()
    os.environ.update(env)
    (HOME / "run").mkdir(parents=True, exist_ok=True)
    (HOME / "logs").mkdir(parents=True, exist_ok=True)
    (HOME / "passwords.json").write_text(json.dumps({USER: PASSWORD}))
    airflow_db.up(HOME)
    migrate_metadata_db()
    airflow = str(Path(sys.executable).parent / "airflow")
    for service in SERVICES:
        if _running(service):
            continue
        with open(HOME / "logs" / f"{service}.log", "ab") as log:
            process = subprocess.Popen(
                [airflow, service],
                env=env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: `down` stops its children too
            )
        _pid_file(service).write_text(str(process.pid))
    deadline = time.monotonic() + timeout
    while not healthy():
        dead = [s for s in SERVICES if not _running(s)]
        if dead:
            raise SystemExit(f"[airflow] {', '.join(dead)} exited; see {HOME / 'logs'}")
        if time.monotonic() > deadline:
            raise SystemExit(f"[airflow] not healthy after {timeout:.0f} s: {health()}")
        time.sleep(1)
    print(f"[airflow] up: UI and REST API at {URL}, login {USER} / {PASSWORD}")
    print(f"[airflow] logs: {HOME / 'logs'}")


def down() -> None:
    for service in SERVICES:
        pid = _running(service)
        if pid is None:
            continue
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
        deadline = time.monotonic() + 30
        while _running(service) and time.monotonic() < deadline:
            time.sleep(0.5)
        if _running(service):
            os.killpg(pid, signal.SIGKILL)
        _pid_file(service).unlink(missing_ok=True)
    airflow_db.down(HOME)
    print("[airflow] stopped")


def _log_line(part: Any) -> str:
    """A structured log record as one line: its message, then its other fields."""
    if not isinstance(part, dict):
        return str(part)
    quiet = {"event", "timestamp", "logger", "filename", "lineno", "ti_id"}
    fields = " ".join(f"{k}={v}" for k, v in part.items() if k not in quiet)
    return f"{part.get('level', '')} {part.get('event', '')} {fields}".strip()


class TriggerRefused(RuntimeError):
    """The REST API refused to start a run (for instance, a setting broke the form's rules)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"trigger refused ({status}): {detail}")
        self.status = status
        self.detail = detail


# How long a REST client waits for an answer: the api-server answers in well under a second,
# but on two busy cores a first request (its imports, a cold database) has taken tens.
REQUEST_TIMEOUT = 90


class RestClient:
    """Airflow's REST API, logged in as the local stack's user (JSON Web Token)."""

    def __init__(self, url: str = URL, user: str = USER, password: str = PASSWORD) -> None:
        import requests

        self.url = url
        answer = requests.post(
            f"{url}/auth/token",
            json={"username": user, "password": password},
            timeout=REQUEST_TIMEOUT,
        )
        answer.raise_for_status()
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"

    def get(self, path: str) -> Any:
        answer = self.session.get(f"{self.url}/api/v2{path}", timeout=REQUEST_TIMEOUT)
        answer.raise_for_status()
        return answer.json()

    def trigger(self, conf: dict[str, Any], dag_id: str = "avro_ingest") -> str:
        """A run with no logical date, as the UI's trigger form makes them; its run id."""
        answer = self.session.post(
            f"{self.url}/api/v2/dags/{dag_id}/dagRuns",
            json={"logical_date": None, "conf": conf},
            timeout=REQUEST_TIMEOUT,
        )
        if answer.status_code != 200:
            raise TriggerRefused(answer.status_code, answer.text)
        return str(answer.json()["dag_run_id"])

    def patch(self, path: str, body: dict[str, Any]) -> Any:
        answer = self.session.patch(f"{self.url}/api/v2{path}", json=body, timeout=REQUEST_TIMEOUT)
        answer.raise_for_status()
        return answer.json()

    def runs(self, dag_id: str = "avro_ingest") -> list[dict[str, Any]]:
        path = f"/dags/{dag_id}/dagRuns?limit=1000&order_by=-run_after"
        found: list[dict[str, Any]] = self.get(path)["dag_runs"]
        return found

    def manual_runs(self, dag_id: str = "avro_ingest") -> set[str]:
        """The ids of runs triggered by hand (the form, the REST API), not by the schedule."""
        return {r["dag_run_id"] for r in self.runs(dag_id) if r["run_type"] == "manual"}

    def log(self, run_id: str, task: str, dag_id: str = "avro_ingest") -> str:
        """The text of a task's last try's log (`task` as in `tasks`: `name` or `name[i]`)."""
        instance = self.tasks(run_id, dag_id)[task]
        path = (
            f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{instance['task_id']}/logs/"
            f"{max(instance['try_number'], 1)}?full_content=true&map_index={instance['map_index']}"
        )
        answer = self.session.get(
            f"{self.url}/api/v2{path}",
            headers={"Accept": "application/json"},
            timeout=REQUEST_TIMEOUT,
        )
        answer.raise_for_status()
        content = answer.json()["content"]
        return "\n".join(_log_line(part) for part in content)

    def state(self, run_id: str, dag_id: str = "avro_ingest") -> str:
        return str(self.get(f"/dags/{dag_id}/dagRuns/{run_id}")["state"])

    def tasks(self, run_id: str, dag_id: str = "avro_ingest") -> dict[str, dict[str, Any]]:
        """Task instances by task id (mapped ones as `task[index]`)."""
        found: list[dict[str, Any]] = []
        while True:  # a page holds at most 100 (the API's maximum page limit)
            page = self.get(
                f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances?limit=100&offset={len(found)}"
            )
            found.extend(page["task_instances"])
            if not page["task_instances"] or len(found) >= page["total_entries"]:
                break
        return {
            t["task_id"] if t["map_index"] < 0 else f"{t['task_id']}[{t['map_index']}]": t
            for t in found
        }

    def wait(
        self,
        run_id: str,
        *,
        timeout: float = 600,
        on_change: Callable[[str, dict[str, Any]], None] | None = None,
    ) -> str:
        """Poll until the run ends; `on_change(task, instance)` hears of each state change."""
        deadline = time.monotonic() + timeout
        seen: dict[str, str | None] = {}
        while True:
            state = self.state(run_id)
            if on_change is not None:
                for name, instance in sorted(self.tasks(run_id).items()):
                    if seen.get(name) != instance["state"]:
                        seen[name] = instance["state"]
                        on_change(name, instance)
            if state in ("success", "failed"):
                return state
            if time.monotonic() > deadline:
                raise TimeoutError(f"run {run_id} still {state} after {timeout:.0f} s")
            time.sleep(2)

    def xcom(
        self, run_id: str, task_id: str, dag_id: str = "avro_ingest", *, map_index: int = -1
    ) -> Any:
        """A task's return value, or None when it has none (skipped, or failed before it)."""
        path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries/return_value"
        answer = self.session.get(
            f"{self.url}/api/v2{path}", params={"map_index": map_index}, timeout=REQUEST_TIMEOUT
        )
        if answer.status_code == 404:
            return None
        answer.raise_for_status()
        return answer.json()["value"]


def status() -> None:
    for service in SERVICES:
        pid = _running(service)
        print(f"[airflow] {service:<14} {'pid ' + str(pid) if pid else 'not running'}")
    print(f"[airflow] health: {health() or 'no answer'}")


def remove() -> None:
    """Stop the services and their database, and remove the database's data."""
    down()
    airflow_db.remove(HOME)


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "status"
    {"up": up, "down": down, "status": status, "remove": remove}[command]()
