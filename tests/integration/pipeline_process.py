"""One pipeline run in a process of its own, as a worker of a deployment runs the DAG's tasks:
plan and claim, load each table, archive, tear down, with the real hooks. Races, zombies and
crashes are staged by starting several of these at once, stopping and killing them.

    python -m tests.integration.pipeline_process '<json>'

The JSON holds `config` (IngestConfig fields), `run_id`, optionally `attempt`, `steps` (a
subset of plan, load, archive; all by default), `table_groups` (to load without planning, as
a retried load task does) and `rename_delay` (seconds each HDFS rename waits first, to widen
the windows between steps). It prints one JSON line: the run's outcome.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from typing import Any

from stack.airflow_env import configure


def main(arguments: dict[str, Any]) -> int:
    configure(tempfile.mkdtemp(prefix="avro-ingest-worker-"))
    from avro_ingest import pipeline
    from avro_ingest.config import IngestConfig
    from avro_ingest.hooks.hdfs import AvroIngestHdfsHook
    from avro_ingest.hooks.hive import AvroIngestHiveHook

    delay = float(arguments.get("rename_delay", 0))

    class SlowRenames(AvroIngestHdfsHook):
        def rename(self, source: str, destination: str) -> bool:
            time.sleep(delay)
            return super().rename(source, destination)

    hdfs = SlowRenames() if delay else AvroIngestHdfsHook()
    hive = AvroIngestHiveHook()
    config = IngestConfig.from_dict(arguments["config"])
    run_id, attempt = arguments["run_id"], arguments.get("attempt", "")
    steps = set(arguments.get("steps", ["plan", "load", "archive"]))
    outcome: dict[str, Any] = {"run_id": run_id, "attempt": attempt}
    groups = arguments.get("table_groups")
    plan: dict[str, Any] = {"tables": groups or []}
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
    if "archive" in steps:
        outcome["archive"] = pipeline.archive(hdfs, loads, plan)
    failed = [f for load in loads for f in load["failed"]]
    outcome["failed"] = failed
    print(json.dumps(outcome), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(json.loads(sys.argv[1])))
