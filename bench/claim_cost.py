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
import sys
import tempfile
import threading
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
    profile: ThreadProfiles | None = None,
) -> dict[str, float | str]:
    hdfs = AvroIngestHdfsHook()
    root = f"/tmp/avro-ingest-bench/claim-{uuid.uuid4().hex[:8]}"
    land(hdfs, root, files, previous)
    config = IngestConfig(
        landing_paths=(f"{root}/landing",),
        quiet_period_seconds=0,
        load_duplicates=not ledger,
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
        "--reuse",
        metavar="ROOT",
        help="start from the files claimed by an earlier run kept with --keep (its root is "
        "printed), instead of writing new ones",
    )
    parser.add_argument("--keep", action="store_true", help="keep the last run's claimed files")
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
                previous = runs[-1]["root"] if runs else args.reuse
                runs.append(one(files, ledger=ledger, open_check=open_check, previous=previous))
                print(f"# {files} files: {runs[-1]['seconds']:.2f} s", flush=True)
            last = str(runs[-1]["root"])
            if args.profile:
                last = _profile(files, ledger, open_check, args.profile, last)
            if args.keep:
                print(f"# kept: --reuse {last}")
            else:
                AvroIngestHdfsHook().delete(last, recursive=True)
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


class ThreadProfiles:
    """cProfile in the calling thread and in every thread started while it is on (the plan's
    work runs in thread pools): one profiler per thread, their figures added up."""

    def __init__(self) -> None:
        self.profiles: list[cProfile.Profile] = []

    def _start_in_thread(self, *_: Any) -> None:
        sys.setprofile(None)
        profile = cProfile.Profile()
        self.profiles.append(profile)
        profile.enable()

    def enable(self) -> None:
        threading.setprofile(self._start_in_thread)
        self._start_in_thread()

    def disable(self) -> None:
        threading.setprofile(None)
        self.profiles[0].disable()

    def print(self, top: int) -> None:
        out = io.StringIO()
        stats = pstats.Stats(self.profiles[0], stream=out)
        for profile in self.profiles[1:]:
            stats.add(profile)
        stats.sort_stats("tottime").print_stats(top)
        print("\n".join("# " + line for line in out.getvalue().splitlines()))


def _profile(files: int, ledger: bool, open_check: bool, top: int, previous: str) -> str:
    """One more run with every thread under cProfile (slower than the timed runs), over the
    files the last timed run claimed; the root it leaves."""
    profiles = ThreadProfiles()
    run = one(files, ledger=ledger, open_check=open_check, previous=previous, profile=profiles)
    print(f"# under cProfile: {run['seconds']:.2f} s, CPU {run['cpu']:.2f} s")
    profiles.print(top)
    return str(run["root"])


if __name__ == "__main__":
    main()
