"""One pipeline run in a process of its own, as a worker of a deployment runs the DAG's tasks:
plan and claim, load each table, archive, tear down, with the real hooks. Races, zombies and
crashes are staged by starting several of these at once, stopping and killing them.

    python -m tests.integration.pipeline_process '<json>'

The JSON holds `config` (IngestConfig fields), `run_id`, optionally `attempt`, `steps` (a
subset of plan, load, archive; all by default), `table_groups` (to load without planning, as
a retried load task does), `rename_delay` (seconds each HDFS rename waits first, to widen
the windows between steps), `hold_renames_in` (a local folder: the first file rename, a
claim's, waits there until the test opens it; see `hold`) and `impala_port` (a local Impala
protocol endpoint: the run publishes to it after loading, as the DAG's publish task does).
It prints one JSON line: the run's outcome.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
import threading
import time
from typing import Any

from stack.airflow_env import configure


def run_pipeline(
    hdfs: Any,
    hive: Any,
    config: Any,
    *,
    run_id: str,
    attempt: str = "",
    steps: frozenset[str] = frozenset({"plan", "load", "archive"}),
    table_groups: list[dict[str, Any]] | None = None,
    impala: Any = None,
) -> dict[str, Any]:
    """The DAG's steps in order, as its tasks call them."""
    from avro_ingest import pipeline
    from avro_ingest.stages.convert import ConversionResult
    from avro_ingest.stages.publish import publish_to_impala

    outcome: dict[str, Any] = {"run_id": run_id, "attempt": attempt}
    plan: dict[str, Any] = {"tables": table_groups or []}
    if "plan" in steps:
        plan = pipeline.plan_run(hdfs, config, run_id=run_id, attempt=attempt)
        outcome["plan"] = plan
    loads = []
    if "load" in steps:
        for group in plan["tables"]:
            loads.append(
                pipeline.load_table(hdfs, hive, group, config, run_id=run_id, attempt=attempt)
            )
        outcome["loads"] = loads
        pipeline.teardown(hdfs, hive, plan, loads)
    if impala is not None:
        results = [ConversionResult(**r) for load in loads for r in load["results"]]
        outcome["publish"] = publish_to_impala(results, impala.run)
    if "archive" in steps:
        outcome["archive"] = pipeline.archive(hdfs, loads)
    outcome["failed"] = [f for load in loads for f in load["failed"]]
    return outcome


# Where a run can die, in the order a run passes them. "during_conversion" kills the process
# while Hive runs the batch's INSERT (which HiveServer2 goes on running without it).
CRASH_POINTS = (
    "after_claim",
    "during_conversion",
    "before_verification",
    "before_commit",
    "before_publish",
    "before_archive",
)


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def arm(point: str) -> None:
    """Make this process die at `point` (see CRASH_POINTS)."""
    from avro_ingest import pipeline

    def dying_after(function: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            function(*args, **kwargs)
            _die()

        return wrapper

    def dying_before(function: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            _die()

        return wrapper

    def dying_during(function: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            threading.Timer(1.5, _die).start()
            return function(*args, **kwargs)

        return wrapper

    patches = {
        "after_claim": ("plan_run", dying_after),
        "during_conversion": ("convert_batch", dying_during),
        "before_verification": ("count_output_rows", dying_before),
        "before_commit": ("commit_batch", dying_before),
        "before_publish": ("publish_partition", dying_before),
        "before_archive": ("archive", dying_before),
    }
    name, wrap = patches[point]
    setattr(pipeline, name, wrap(getattr(pipeline, name)))


def hold(gate: str) -> None:
    """Wait at a file rename (the first is a claim's) until the test opens the gate: say
    `holding`, then wait for `open`, both files in the local folder `gate`."""
    with open(os.path.join(gate, "holding"), "a"):
        pass
    while not os.path.exists(os.path.join(gate, "open")):
        time.sleep(0.05)


def _impala(port: int | None) -> Any:
    """ImpalaHook on a connection to the Impala protocol endpoint at `port`."""
    if port is None:
        return None
    from airflow.providers.apache.impala.hooks.impala import ImpalaHook

    os.environ["AIRFLOW_CONN_IMPALA_UNDER_TEST"] = json.dumps(
        {"conn_type": "impala", "host": "127.0.0.1", "port": port, "extra": {}}
    )
    return ImpalaHook(impala_conn_id="impala_under_test")


def main(arguments: dict[str, Any]) -> int:
    # A run started by the tests shares their Airflow home (configure keeps what is set).
    configure(os.environ.get("AIRFLOW_HOME") or tempfile.mkdtemp(prefix="avro-ingest-worker-"))
    from avro_ingest.config import IngestConfig
    from avro_ingest.hooks.hdfs import AvroIngestHdfsHook
    from avro_ingest.hooks.hive import AvroIngestHiveHook

    delay = float(arguments.get("rename_delay", 0))
    if arguments.get("kill_at"):
        arm(arguments["kill_at"])

    gate = arguments.get("hold_renames_in")

    class SlowRenames(AvroIngestHdfsHook):
        def rename(self, source: str, destination: str) -> bool:
            if gate:
                hold(gate)
            time.sleep(delay)
            return super().rename(source, destination)

    outcome = run_pipeline(
        SlowRenames() if delay or gate else AvroIngestHdfsHook(),
        AvroIngestHiveHook(),
        IngestConfig.from_dict(arguments["config"]),
        run_id=arguments["run_id"],
        attempt=arguments.get("attempt", ""),
        steps=frozenset(arguments.get("steps", ["plan", "load", "archive"])),
        table_groups=arguments.get("table_groups"),
        impala=_impala(arguments.get("impala_port")),
    )
    print(json.dumps(outcome), flush=True)
    return 1 if outcome["failed"] else 0


if __name__ == "__main__":
    sys.exit(main(json.loads(sys.argv[1])))
