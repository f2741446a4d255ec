"""What a table costs beyond its data: 100 tables of 5 small files each through the DAG, under
Airflow's real services (scheduler, LocalExecutor, triggered over the REST API), on the local
stack.

Reports the run's wall time per table, each load task's duration, and the part of it that is
not the table's conversion statement (DDL, the row check, publishing, the task's own start).

    .venv/bin/python bench/table_cost.py --tables 100 --files 5
    .venv/bin/python bench/table_cost.py --tables 100 --files 5 --hours 2   # and the next hour
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


def land(hdfs: AvroIngestHdfsHook, landing: str, args: argparse.Namespace, hour: int) -> None:
    """Each table's files for one hour (names and row ids new each hour)."""
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(
            pool.map(
                lambda tp: hdfs.write_bytes(
                    f"{landing}/feed{tp[0]:03d}-h{hour}-{tp[1]}.avro",
                    avro_file(tp[0], hour * args.files + tp[1], args.rows),
                ),
                [(t, p) for t in range(args.tables) for p in range(args.files)],
            )
        )


def one_run(
    airflow: airflow_services.RestClient, conf: dict[str, Any], tables: int
) -> dict[str, Any]:
    """Trigger the DAG once and read back its tasks: the figures of one column."""
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
    beyond = [d - c for d, c in zip(durations, conversions, strict=True)]
    return {
        "run_id": run_id,
        "state": state,
        "rows": summary.get("rows_ingested"),
        "wall": wall,
        "per_table": wall / tables,
        "loads": len(durations),
        "task": statistics.mean(durations) if durations else 0.0,
        "convert": statistics.mean(conversions) if conversions else 0.0,
        "beyond_mean": statistics.mean(beyond) if beyond else 0.0,
        "beyond_median": statistics.median(beyond) if beyond else 0.0,
        "steps": {k: v / tables for k, v in summary.get("step_seconds", {}).items()},
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tables", type=int, default=100)
    parser.add_argument("--files", type=int, default=5)
    parser.add_argument("--rows", type=int, default=100)
    parser.add_argument(
        "--hours",
        type=int,
        default=1,
        help="runs in a row, each over new files for the same tables: the first creates the "
        "tables, the later ones are the hourly case (tables there, new partitions)",
    )
    args = parser.parse_args()
    hdfs, hive = AvroIngestHdfsHook(), AvroIngestHiveHook()
    root = f"/tmp/avro-ingest-bench/tables-{uuid.uuid4().hex[:8]}"
    database = f"bench_tables_{uuid.uuid4().hex[:6]}"
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
    runs = []
    for hour in range(args.hours):
        land(hdfs, f"{root}/landing", args, hour)
        runs.append(one_run(airflow, conf, args.tables))
    hdfs.delete(root, recursive=True)
    hive.run_statements([f"DROP DATABASE IF EXISTS `{database}` CASCADE"])
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    parallel = os.environ.get("AVRO_INGEST_AIRFLOW_PARALLELISM", "4")
    n = args.tables
    print(f"# {n} tables x {args.files} files x {args.rows} rows through the DAG, {stamp}")
    print(f"# {platform.node()}, {os.cpu_count()} cores, LocalExecutor, parallelism {parallel}")
    for run in runs:
        print(f"# run {run['run_id']}: {run['state']}, rows {run['rows']}")
    names = ["new tables" if i == 0 else f"hour {i + 1}, tables there" for i in range(len(runs))]
    print("| measure | " + " | ".join(names) + " |")
    print("| --- |" + " --: |" * len(runs))

    def row(label: str, values: list[float] | list[int]) -> None:
        cells = [str(v) if isinstance(v, int) else f"{v:.2f}" for v in values]
        print(f"| {label} | " + " | ".join(cells) + " |")

    row("run, trigger to end", [r["wall"] for r in runs])
    row("run per table (wall / tables)", [r["per_table"] for r in runs])
    row("load tasks", [r["loads"] for r in runs])
    row("load task per table (mean)", [r["task"] for r in runs])
    row("conversion per table (its Hive session, mean)", [r["convert"] for r in runs])
    row("**load task beyond its conversion, per table (mean)**", [r["beyond_mean"] for r in runs])
    row("the same, median", [r["beyond_median"] for r in runs])
    for step in runs[0]["steps"]:
        row(f"step {step}, per table", [r["steps"].get(step, 0.0) for r in runs])
    ok = all(r["state"] == "success" and r["rows"] == n * args.files * args.rows for r in runs)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
