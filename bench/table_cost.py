"""What a table costs beyond its data: 100 tables of 5 small files each through the DAG, under
Airflow's real services (scheduler, LocalExecutor, triggered over the REST API), on the local
stack.

Reports the run's wall time per table, each load task's duration, and the part of it that is
not the table's conversion statement (DDL, the row check, publishing, the task's own start).

    .venv/bin/python bench/table_cost.py --tables 100 --files 5
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import statistics
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

from stack import airflow_services
from stack.airflow_env import configure

# The services' own Airflow home: the REST client and the hooks use its connections.
configure(airflow_services.HOME)

import fastavro  # noqa: E402
from avro_ingest.hooks.hdfs import AvroIngestHdfsHook  # noqa: E402
from avro_ingest.hooks.hive import AvroIngestHiveHook  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def schema(table: int) -> dict[str, Any]:
    return {
        "type": "record",
        "name": f"Feed{table:03d}",
        "fields": [
            {"name": "id", "type": "long"},
            {"name": "name", "type": "string"},
            {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        ],
    }


def avro_file(table: int, part: int, rows: int) -> bytes:
    buffer = io.BytesIO()
    records = [
        {"id": part * rows + i, "name": f"n{i}", "at": 1_700_000_000_000 + i} for i in range(rows)
    ]
    fastavro.writer(buffer, fastavro.parse_schema(schema(table)), records, codec="deflate")
    return buffer.getvalue()


def seconds_between(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tables", type=int, default=100)
    parser.add_argument("--files", type=int, default=5)
    parser.add_argument("--rows", type=int, default=100)
    args = parser.parse_args()
    hdfs, hive = AvroIngestHdfsHook(), AvroIngestHiveHook()
    root = f"/tmp/avro-ingest-bench/tables-{uuid.uuid4().hex[:8]}"
    database = f"bench_tables_{uuid.uuid4().hex[:6]}"
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(
            pool.map(
                lambda tp: hdfs.write_bytes(
                    f"{root}/landing/feed{tp[0]:03d}-{tp[1]}.avro", avro_file(*tp, args.rows)
                ),
                [(t, p) for t in range(args.tables) for p in range(args.files)],
            )
        )
    script = ROOT / "stack" / "airflow_services.py"
    subprocess.run([sys.executable, str(script), "up"], check=True)
    airflow = airflow_services.RestClient()
    conf = {
        "landing_path": f"{root}/landing",
        "database": database,
        "target_root": f"{root}/warehouse",
        "quiet_period_seconds": 0,
        "wait_seconds": 0,
    }
    started = time.monotonic()
    run_id = airflow.trigger(conf)
    state = airflow.wait(run_id, timeout=3600)
    wall = time.monotonic() - started
    summary = airflow.xcom(run_id, "run_summary") or {}
    tasks = airflow.tasks(run_id)
    loads = {
        int(name[len("load_table[") : -1]): t
        for name, t in tasks.items()
        if name.startswith("load_table[") and t["end_date"]
    }
    durations, conversions = [], []
    for index, task in sorted(loads.items()):
        durations.append(seconds_between(task["start_date"], task["end_date"]))
        outcome = airflow.xcom(run_id, "load_table", map_index=index) or {}
        # The conversion: the batch's session in Hive (its SETs, temporary tables, INSERT).
        conversions.append(sum(r.get("hive_seconds", 0.0) for r in outcome.get("results", [])))
    steps = summary.get("step_seconds", {})
    n = args.tables
    task = statistics.mean(durations) if durations else 0.0
    convert = statistics.mean(conversions) if conversions else 0.0
    beyond = [d - c for d, c in zip(durations, conversions, strict=True)]
    rows = summary.get("rows_ingested")
    hdfs.delete(root, recursive=True)
    hive.run_statements([f"DROP DATABASE IF EXISTS `{database}` CASCADE"])
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    parallel = os.environ.get("AVRO_INGEST_AIRFLOW_PARALLELISM", "4")
    print(f"# {n} tables x {args.files} files x {args.rows} rows through the DAG, {stamp}")
    print(f"# {platform.node()}, {os.cpu_count()} cores, run {run_id}: {state}, rows {rows}")
    print(f"# LocalExecutor, parallelism {parallel}")
    print("| measure | seconds |")
    print("| --- | --- |")
    print(f"| run, trigger to end | {wall:.1f} |")
    print(f"| run per table (wall / tables) | {wall / n:.2f} |")
    print(f"| load task per table (mean of {len(durations)}) | {task:.2f} |")
    print(f"| conversion per table (its Hive session, mean) | {convert:.2f} |")
    if beyond:
        mean, median = statistics.mean(beyond), statistics.median(beyond)
        print(f"| load task beyond its conversion, per table (mean) | {mean:.2f} |")
        print(f"| the same, median | {median:.2f} |")
    for step, seconds in steps.items():
        print(f"| step {step}, per table | {seconds / n:.2f} |")
    return 0 if state == "success" and rows == n * args.files * args.rows else 1


if __name__ == "__main__":
    sys.exit(main())
