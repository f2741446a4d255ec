"""What planning costs per file: `plan_run` (list, open-file check, inspect, duplicate ledger,
group, claim) over N small files on the local stack, with its step times, CPU and the growth
of the process's peak resident memory; with `--variants`, also without the duplicate ledger
(`load_duplicates`) and without either the ledger or the open-file check, to show their share.

    .venv/bin/python bench/claim_cost.py --files 1000 10000 --repeats 3
    .venv/bin/python bench/claim_cost.py --files 500 --variants
    .venv/bin/python bench/claim_cost.py --files 1000 --profile 25   # where the CPU goes
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import platform
import pstats
import resource
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from stack.airflow_env import configure

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


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def land(hdfs: AvroIngestHdfsHook, root: str, files: int, previous: str | None) -> None:
    """Put `files` new files in `root`/landing. Writing a small HDFS file waits for its block
    to close (up to a second under load), so a repeat reuses the files the previous run
    claimed: renamed out of its staging folders into a new root, with a new ledger."""
    with ThreadPoolExecutor(max_workers=16) as pool:
        if previous is None:
            list(
                pool.map(
                    lambda i: hdfs.write_bytes(f"{root}/landing/f{i:05d}.avro", small_file(i)),
                    range(files),
                )
            )
            return
        hdfs.makedirs(f"{root}/landing")
        staging = f"{previous}/landing/_staging"
        staged = [
            f"{staging}/{batch}/{name}"
            for batch in hdfs.client.list(staging)
            for name in hdfs.client.list(f"{staging}/{batch}")
            if name.endswith(".avro")
        ]
        assert len(staged) == files, (len(staged), files)
        moved = pool.map(
            lambda path: hdfs.rename(path, f"{root}/landing/{path.rsplit('/', 1)[1]}"), staged
        )
        assert all(moved)
    hdfs.delete(previous, recursive=True)


def one(
    files: int,
    *,
    ledger: bool,
    open_check: bool,
    previous: str | None = None,
    profile: cProfile.Profile | None = None,
    threads: int | None = None,
) -> dict[str, float | str]:
    hdfs = AvroIngestHdfsHook()
    root = f"/tmp/avro-ingest-bench/claim-{uuid.uuid4().hex[:8]}"
    land(hdfs, root, files, previous)
    config = IngestConfig(
        landing_paths=(f"{root}/landing",),
        quiet_period_seconds=0,
        load_duplicates=not ledger,
        **({"header_read_threads": threads} if threads else {}),
    )
    fs = AvroIngestHdfsHook() if open_check else NoOpenCheck()
    rss_before = _peak_rss_mb()
    started, cpu = time.perf_counter(), time.process_time()
    if profile is not None:
        profile.enable()
    plan = pipeline.plan_run(fs, config, run_id=f"bench-{uuid.uuid4().hex[:6]}")
    if profile is not None:
        profile.disable()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    claimed = sum(len(b["files"]) for t in plan["tables"] for b in t["batches"])
    assert claimed == files, (claimed, files)
    return {
        "root": root,
        "seconds": seconds,
        "cpu": cpu,
        "peak_growth_mb": _peak_rss_mb() - rss_before,
        "peak_mb": _peak_rss_mb(),
        **{f"step_{k}": v for k, v in plan["step_seconds"].items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, nargs="+", default=[1000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--variants", action="store_true")
    parser.add_argument(
        "--profile",
        type=int,
        metavar="N",
        default=0,
        help="after the timed runs, one more run under cProfile (all threads): its N costliest "
        "functions by own time",
    )
    args = parser.parse_args()
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(f"# plan_run over small files, {stamp}")
    print(
        f"# {platform.node()}, {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; peak RSS before the first run "
        f"{_peak_rss_mb():.0f} MB"
    )
    variants = [("default (open-file check + duplicate ledger)", True, True)]
    if args.variants:
        variants += [
            ("open check, no ledger (load_duplicates)", False, True),
            ("neither", False, False),
        ]
    print(
        "| files | variant | median s | per file | CPU s | steps (median run) | peak RSS growth "
        "| process peak RSS |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for files in args.files:
        for name, ledger, open_check in variants:
            runs: list[dict[str, Any]] = []
            for _ in range(args.repeats):
                previous = runs[-1]["root"] if runs else None
                runs.append(one(files, ledger=ledger, open_check=open_check, previous=previous))
                print(f"# {files} files: {runs[-1]['seconds']:.2f} s", flush=True)
            AvroIngestHdfsHook().delete(runs[-1]["root"], recursive=True)
            runs.sort(key=lambda r: r["seconds"])
            median = runs[len(runs) // 2]
            steps = ", ".join(
                f"{k.removeprefix('step_')} {v:.2f}"
                for k, v in median.items()
                if k.startswith("step_")
            )
            each = ", ".join(f"{r['seconds']:.2f}" for r in runs)
            print(
                f"| {files:,} | {name} | {median['seconds']:.2f} (runs {each}) | "
                f"{1000 * median['seconds'] / files:.2f} ms | {median['cpu']:.2f} | {steps} | "
                f"{max(r['peak_growth_mb'] for r in runs):.0f} MB | "
                f"{max(r['peak_mb'] for r in runs):.0f} MB |",
                flush=True,
            )
            if args.profile:
                _profile(files, ledger, open_check, args.profile)


def _profile(files: int, ledger: bool, open_check: bool, top: int) -> None:
    """One more run under cProfile, in one thread (cProfile sees only the thread that enables
    it): the CPU a file costs, not the wall time of the threaded runs."""
    profile = cProfile.Profile()
    run = one(files, ledger=ledger, open_check=open_check, profile=profile, threads=1)
    AvroIngestHdfsHook().delete(str(run["root"]), recursive=True)
    print(f"# under cProfile: {run['seconds']:.2f} s, CPU {run['cpu']:.2f} s")
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(top)
    print("\n".join("# " + line for line in out.getvalue().splitlines()))


if __name__ == "__main__":
    main()
