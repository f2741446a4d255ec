"""What cutting one large Avro file into two costs on HDFS: the copy that converting a single
file side by side in two HiveServer2 sessions would need first (HDFS cannot split a file in
place, and a source is never changed).

The cut is right after the first sync marker past the middle, found with one range read, as
an Avro reader finds the start of its split. The two pieces are written at once, each streamed
from a range read of the file into a new file: bytes [0, cut), and the header followed by
bytes [cut, end). Both pieces are then checked: each is valid Avro block by block, and their
record counts add up to the file's.

    .venv/bin/python bench/split_cost.py \
        /bench/e2e/large-c50-f1-r3600000-deflate-b16000-s7-v1/files/large.avro --repeats 3
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

from stack import airflow_services
from stack.airflow_env import configure

configure(airflow_services.HOME)

from avro_ingest.avro.blocks import count_records  # noqa: E402
from avro_ingest.avro.header import read_header  # noqa: E402
from avro_ingest.hooks.hdfs import AvroIngestHdfsHook  # noqa: E402

CHUNK = 4 << 20
SEARCH = 32 << 20  # longer than any block the benchmark writes (about 4.5 MB)


def ranged(hdfs: AvroIngestHdfsHook, path: str, offset: int, length: int) -> Iterator[bytes]:
    with hdfs.client.read(path, offset=offset, length=length, chunk_size=CHUNK) as chunks:
        yield from chunks


def count(hdfs: AvroIngestHdfsHook, path: str) -> int:
    header = read_header(hdfs.range_reader(path), path)
    with hdfs.open_stream(path) as body:
        return count_records(body, header, path)


def split_once(hdfs: AvroIngestHdfsHook, path: str, folder: str) -> dict[str, float]:
    size = hdfs.status(path).size  # type: ignore[union-attr]
    started = time.monotonic()
    header = read_header(hdfs.range_reader(path), path)
    window = hdfs.read_range(path, size // 2, min(SEARCH, size - size // 2))
    at = window.find(header.sync_marker)
    if at < 0:
        raise SystemExit(f"no sync marker within {SEARCH} bytes past the middle of {path}")
    cut = size // 2 + at + len(header.sync_marker)
    head = hdfs.read_range(path, 0, header.header_length)
    found = time.monotonic()

    first, second = f"{folder}/piece-0.avro", f"{folder}/piece-1.avro"

    def write_first() -> None:
        hdfs.client.write(first, data=ranged(hdfs, path, 0, cut))

    def write_second() -> None:
        def body() -> Iterator[bytes]:
            yield head
            yield from ranged(hdfs, path, cut, size - cut)

        hdfs.client.write(second, data=body())

    with ThreadPoolExecutor(max_workers=2) as pool:
        for future in [pool.submit(write_first), pool.submit(write_second)]:
            future.result()
    written = time.monotonic()
    return {
        "find_cut": found - started,
        "copy": written - found,
        "total": written - started,
        "piece_rows": count(hdfs, first) + count(hdfs, second),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", help="an Avro file on HDFS")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    hdfs = AvroIngestHdfsHook()
    rows = count(hdfs, args.path)
    size = hdfs.status(args.path).size  # type: ignore[union-attr]
    runs = []
    for _ in range(args.repeats):
        folder = f"/tmp/avro-ingest-bench/split-{uuid.uuid4().hex[:8]}"
        try:
            runs.append(split_once(hdfs, args.path, folder))
        finally:
            hdfs.delete(folder, recursive=True)
    bad = [r for r in runs if r["piece_rows"] != rows]
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(f"# {args.path}: {size / 1e6:.0f} MB, {rows} records; {stamp}")
    print(f"# {platform.node()}, {platform.machine()}, {os.cpu_count()} cores")
    print("| run | find the cut s | copy both pieces s | total s | records in the pieces |")
    print("| --: | --: | --: | --: | --: |")
    for i, r in enumerate(runs, 1):
        print(
            f"| {i} | {r['find_cut']:.2f} | {r['copy']:.2f} | {r['total']:.2f} "
            f"| {int(r['piece_rows'])} |"
        )
    print(f"median total: {statistics.median(r['total'] for r in runs):.2f} s")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
