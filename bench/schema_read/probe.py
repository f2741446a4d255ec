"""Read one local file's header in a new Python process and print what it cost, as JSON.

run.py starts this script to compare a cold Python process with a cold JVM running the
recipe: the time includes the interpreter start and the imports, like the recipe's JVM start.

    .venv/bin/python bench/schema_read/probe.py FILE
"""

from __future__ import annotations

import json
import sys
import time

from avro_ingest.avro.header import LocalRangeReader, read_header


def main(path: str) -> None:
    started = time.perf_counter()
    header = read_header(LocalRangeReader(path), path)
    elapsed = time.perf_counter() - started
    print(json.dumps({"bytes_read": header.bytes_read, "read_seconds": elapsed}))


if __name__ == "__main__":
    main(sys.argv[1])
