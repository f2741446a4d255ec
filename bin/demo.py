"""`make demo`: land sample data on the local stack's HDFS, start Airflow's services, trigger
the avro_ingest DAG over the REST API as another system would, follow it, and print what it
did: the run summary and queries of the result. The services stay up, with the UI's address
printed; their logs and the tasks' go to files, not here.

Sample data: every file of the Avro corpus (tests/corpus, or $AVRO_CORPUS_DIR), plus
generated datasets of a realistic shape: 50 columns with nested fields and logical types, and
500 columns. Each dataset lands in its own folder; the DAG runs with the `folder` table rule.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import random
import subprocess
import sys
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
STATE = Path(os.environ.get("AVRO_INGEST_STACK_STATE", ROOT / "stack" / ".state"))
LANDING = "/data/demo/landing"
DATABASE = "demo"

sys.path[:0] = [str(ROOT / "plugins"), str(ROOT)]
# This process prints an account; the services' and tasks' logs go to their files.
os.environ["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "WARNING"
from stack import airflow_services  # noqa: E402
from stack.airflow_env import configure  # noqa: E402

configure(STATE / "airflow")

import fastavro  # noqa: E402
from avro_ingest.hive.quoting import qualified  # noqa: E402
from avro_ingest.hooks.hdfs import AvroIngestHdfsHook  # noqa: E402
from avro_ingest.hooks.hive import AvroIngestHiveHook  # noqa: E402
from avro_ingest.stages.report import render_summary  # noqa: E402

CORPUS = Path(os.environ.get("AVRO_CORPUS_DIR") or ROOT / "tests" / "corpus")


def orders_schema() -> dict[str, Any]:
    fields: list[dict[str, Any]] = [
        {"name": "order_id", "type": "long", "doc": "order number"},
        {"name": "order_uuid", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "placed_at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {
            "name": "shipped_at",
            "type": ["null", {"type": "long", "logicalType": "timestamp-micros"}],
        },
        {"name": "order_date", "type": {"type": "int", "logicalType": "date"}},
        {
            "name": "total",
            "type": {"type": "bytes", "logicalType": "decimal", "precision": 12, "scale": 2},
        },
        {
            "name": "status",
            "type": {"type": "enum", "name": "Status", "symbols": ["NEW", "PAID", "SHIPPED"]},
        },
        {
            "name": "customer",
            "type": {
                "type": "record",
                "name": "Customer",
                "fields": [
                    {"name": "id", "type": "long"},
                    {"name": "email", "type": ["null", "string"]},
                    {"name": "since", "type": {"type": "int", "logicalType": "date"}},
                ],
            },
        },
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "attributes", "type": {"type": "map", "values": "string"}},
    ]
    for i in range(len(fields), 50):
        kind = ["long", "double", "int", "boolean", ["null", "string"]][i % 5]
        fields.append({"name": f"metric_{i:02d}", "type": kind, "doc": f"metric {i}"})
    return {"type": "record", "name": "Order", "namespace": "shop", "fields": fields}


def order_row(rng: random.Random, n: int) -> dict[str, Any]:
    placed = dt.datetime(2026, 11, 1, tzinfo=dt.UTC) + dt.timedelta(
        seconds=rng.randrange(2_000_000)
    )
    row: dict[str, Any] = {
        "order_id": n,
        "order_uuid": str(uuid.UUID(int=rng.getrandbits(128))),
        "placed_at": placed,
        "shipped_at": None if n % 3 else placed + dt.timedelta(hours=30, microseconds=n),
        "order_date": placed.date(),
        "total": Decimal(rng.randrange(100, 10_000_000)) / 100,
        "status": ["NEW", "PAID", "SHIPPED"][n % 3],
        "customer": {
            "id": rng.randrange(1, 50_000),
            "email": None if n % 7 == 0 else f"user{rng.randrange(50_000)}@example.org",
            "since": dt.date(2020, 1, 1) + dt.timedelta(days=rng.randrange(2000)),
        },
        "tags": [rng.choice(["gift", "express", "b2b", "promo"]) for _ in range(n % 4)],
        "attributes": {"channel": rng.choice(["web", "app", "store"]), "n": str(n)},
    }
    for i in range(10, 50):
        row[f"metric_{i:02d}"] = [
            rng.randrange(-(2**40), 2**40),
            rng.random() * 1e6,
            rng.randrange(-(2**31), 2**31),
            rng.random() < 0.5,
            None if rng.random() < 0.2 else f"v{rng.randrange(10**9)}",
        ][i % 5]
    return row


def wide_schema() -> dict[str, Any]:
    fields = [
        {"name": f"c{i:03d}", "type": ["null", "double"], "doc": f"sensor {i}"} for i in range(500)
    ]
    return {"type": "record", "name": "Reading", "fields": fields}


def avro_bytes(schema: dict[str, Any], rows: list[dict[str, Any]], codec: str) -> bytes:
    buffer = io.BytesIO()
    fastavro.writer(buffer, fastavro.parse_schema(schema), rows, codec=codec)
    return buffer.getvalue()


def land_sample_data(hdfs: AvroIngestHdfsHook) -> int:
    rng = random.Random(20261126)
    landed = 0
    for f in range(4):
        rows = [order_row(rng, f * 2500 + i) for i in range(2500)]
        hdfs.write_bytes(
            f"{LANDING}/orders/orders-{f}.avro", avro_bytes(orders_schema(), rows, "deflate")
        )
        landed += 1
    for f in range(2):
        rows = [
            {f"c{i:03d}": None if rng.random() < 0.1 else rng.random() for i in range(500)}
            for _ in range(300)
        ]
        hdfs.write_bytes(
            f"{LANDING}/readings/readings-{f}.avro", avro_bytes(wide_schema(), rows, "snappy")
        )
        landed += 1
    hdfs.write_bytes(
        f"{LANDING}/orders/half-written.avro",
        avro_bytes(orders_schema(), [order_row(rng, 0)], "null")[:-9],
    )
    landed += 1
    if CORPUS.is_dir():
        for path in sorted(CORPUS.glob("*/*.avro")):
            folder = f"corpus_{path.parent.name}_{path.stem}".replace("-", "_").replace(".", "_")
            hdfs.write_bytes(f"{LANDING}/{folder}/{path.name}", path.read_bytes())
            landed += 1
    return landed


def main() -> int:
    hdfs = AvroIngestHdfsHook()
    hive = AvroIngestHiveHook()
    hdfs.delete("/data/demo", recursive=True)
    hive.run_statements([f"DROP DATABASE IF EXISTS {DATABASE} CASCADE"])
    landed = land_sample_data(hdfs)
    print(f"landed {landed} Avro files under hdfs://localhost:8020{LANDING}")
    subprocess.run([sys.executable, str(ROOT / "stack" / "airflow_services.py"), "up"], check=True)
    airflow = airflow_services.RestClient()
    conf = {
        "landing_path": LANDING,
        "database": DATABASE,
        "target_root": "/data/demo/warehouse",
        "table_name_rule": "folder",
        "quiet_period_seconds": 0,
        "wait_seconds": 0,
    }
    run_id = airflow.trigger(conf)
    print(f"triggered over the REST API: run {run_id}")

    def progress(task: str, instance: dict[str, Any]) -> None:
        if instance["state"] in ("success", "failed", "skipped", "upstream_failed"):
            name = instance.get("rendered_map_index") or task
            print(f"  {instance['end_date'][11:19]}  {name:<44} {instance['state']}")

    state = airflow.wait(run_id, timeout=1800, on_change=progress)
    print(f"run {run_id}: {state}")
    summary = airflow.xcom(run_id, "run_summary")
    if summary:
        print("\n" + render_summary(summary))
    settings = {"hive.compute.query.using.stats": "false"}
    orders = qualified(DATABASE, "orders").sql
    # Our own constant names, quoted by the project's helper: nothing from outside.
    by_status = "status, COUNT(*), SUM(total), MIN(placed_at), MAX(shipped_at)"
    nested = "order_id, customer.email, tags, attributes['channel']"
    queries = [
        f"SELECT {by_status} FROM {orders} GROUP BY status ORDER BY status",  # noqa: S608
        f"SELECT {nested} FROM {orders} WHERE order_id IN (1, 2, 3) ORDER BY order_id",  # noqa: S608
    ]
    for query in queries:
        print(f"\n{query}")
        for row in hive.query(query, settings=settings):
            print("  ", row)
    print(f"\nsources: hdfs://localhost:8020{LANDING}/_archive")
    print(f"set aside, each with <name>.reason.json: hdfs://localhost:8020{LANDING}/_quarantine")
    print(
        f"\nAirflow UI: {airflow_services.URL} (login {airflow_services.USER} / "
        f"{airflow_services.PASSWORD}); stop it with `make airflow-down`"
    )
    return 0 if state == "success" else 1


if __name__ == "__main__":
    sys.exit(main())
