"""What the exactly-once checks cost per file when planning: `plan_run` over N small files on
the local stack, with the duplicate ledger (two NameNode calls per file: a MKDIRS and an
exclusive RENAME) and without it (`load_duplicates`); both with the open-file check (one
GET_BLOCK_LOCATIONS per file), and a variant without either to show their share.

    .venv/bin/python bench/claim_cost.py --files 500 --repeats 2
"""

from __future__ import annotations

import argparse
import io
import platform
import statistics
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

from stack.airflow_env import configure  # noqa: E402

configure(tempfile.mkdtemp(prefix="avro-ingest-bench-"))

import fastavro  # noqa: E402
from avro_ingest import pipeline  # noqa: E402
from avro_ingest.config import IngestConfig  # noqa: E402
from avro_ingest.hooks.hdfs import AvroIngestHdfsHook  # noqa: E402

SCHEMA = {"type": "record", "name": "Tick", "fields": [{"name": "n", "type": "long"}]}


def small_file(i: int) -> bytes:
    buffer = io.BytesIO()
    fastavro.writer(buffer, SCHEMA, [{"n": j} for j in range(i % 50 + 1)])
    return buffer.getvalue()


class NoOpenCheck(AvroIngestHdfsHook):
    def under_construction(self, path: str) -> bool:
        return False


def one(files: int, *, ledger: bool, open_check: bool) -> float:
    hdfs = AvroIngestHdfsHook()
    root = f"/tmp/avro-ingest-bench/claim-{uuid.uuid4().hex[:8]}"
    for i in range(files):
        hdfs.write_bytes(f"{root}/landing/f{i:05d}.avro", small_file(i))
    config = IngestConfig(
        landing_paths=(f"{root}/landing",),
        quiet_period_seconds=0,
        load_duplicates=not ledger,
    )
    fs = AvroIngestHdfsHook() if open_check else NoOpenCheck()
    started = time.perf_counter()
    plan = pipeline.plan_run(fs, config, run_id=f"bench-{uuid.uuid4().hex[:6]}")
    seconds = time.perf_counter() - started
    claimed = sum(len(b["files"]) for t in plan["tables"] for b in t["batches"])
    assert claimed == files, (claimed, files)
    hdfs.delete(root, recursive=True)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(f"# plan_run over {args.files} small files, {stamp}")
    print(f"# {platform.node()}, {platform.machine()}, Python {platform.python_version()}")
    variants = [
        ("open check + ledger (default)", True, True),
        ("open check, no ledger (load_duplicates)", False, True),
        ("neither", False, False),
    ]
    for name, ledger, open_check in variants:
        runs = [one(args.files, ledger=ledger, open_check=open_check) for _ in range(args.repeats)]
        median = statistics.median(runs)
        print(
            f"{name:<42} median {median:6.2f} s  ({1000 * median / args.files:5.1f} ms/file; "
            f"runs {', '.join(f'{r:.2f}' for r in runs)})"
        )


if __name__ == "__main__":
    main()
