"""MapReduce local mode against Tez local mode for the pipeline's conversion statement.

Runs, through HiveServer2, what `load_table` runs for one batch: the pipeline's session settings
(`conversion_settings()`), an external AvroSerDe table over an HDFS folder, a partitioned
external Parquet table, `INSERT OVERWRITE TABLE ... PARTITION (...) SELECT *`, then
`SELECT COUNT(*)` with `hive.compute.query.using.stats=false`. Each run opens a new HiveServer2
session (as the DAG does), so a Tez run's time includes opening its Tez session.

The stack must already run with the engine under test (stack/stack.sh with
AVRO_INGEST_HIVE_ENGINE and AVRO_INGEST_TEZ_TASKS); this script only talks to it:

    python bench/engine_trial.py --label tez-2 --set small=/data/bench/small/files \
        --split-bytes small=33554432 --runs 2 --out results.jsonl

One JSON line per run: wall time of each statement, rows counted, failure (first line of the
error), Parquet files written, HiveServer2's peak RSS during the INSERT (polled every 0.1 s),
and the load average.
"""

# ruff: noqa: E501, S608  (statements from the benchmark's own names)
from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from impala.dbapi import connect

REPO = Path(__file__).resolve().parent.parent
from avro_ingest.stages.convert import conversion_settings, local_mode_settings  # noqa: E402


def webhdfs(url: str, path: str, op: str, method: str = "GET") -> dict:
    request = urllib.request.Request(
        f"{url}/webhdfs/v1{path}?op={op}&user.name=hive", method=method
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"{}")


def parquet_files(url: str, path: str) -> int:
    try:
        listing = webhdfs(url, path, "LISTSTATUS")["FileStatuses"]["FileStatus"]
    except urllib.error.HTTPError:
        return 0
    count = 0
    for entry in listing:
        if entry["type"] == "DIRECTORY":
            count += parquet_files(url, f"{path}/{entry['pathSuffix']}")
        elif not entry["pathSuffix"].startswith(("_", ".")):
            count += 1
    return count


class RssPoller:
    """Peak resident set of a process, polled every 0.1 s while running."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak_kb, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _rss_kb(self) -> int:
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_kb = max(self.peak_kb, self._rss_kb())
            time.sleep(0.1)

    def __enter__(self) -> RssPoller:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_kb = max(self.peak_kb, self._rss_kb())


def hs2_pid(state: str) -> int:
    return int(Path(state, "run", "hiveserver2.pid").read_text().strip())


def vm_hwm_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def cpu_busy_s() -> float:
    """CPU seconds the whole machine has spent busy (all cores), from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def proc_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used, from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(cursor, sql: str) -> float:
    started = time.perf_counter()
    cursor.execute(sql)
    return round(time.perf_counter() - started, 2)


def one_run(args, name: str, folder: str, split_bytes: int | None, run: int) -> dict:
    nn = f"hdfs://localhost:{args.namenode_port}"
    tag = f"{args.label.replace('-', '_')}_{name}_{run}"
    out_root = f"/data/out/{tag}"
    settings = {
        **conversion_settings(256 * 1024**2, local_mode_settings(1024**3)),
        "hive.merge.tezfiles": "true",
    }
    if split_bytes:
        settings["mapreduce.input.fileinputformat.split.maxsize"] = str(split_bytes)
        settings["tez.grouping.max-size"] = str(split_bytes)
        settings["tez.grouping.min-size"] = str(min(split_bytes, 16 * 1024**2))
    settings.update(dict(kv.split("=", 1) for kv in args.extra_set))
    result: dict = {
        "label": args.label,
        "set": name,
        "run": run,
        "split_bytes": split_bytes,
        "extra": args.extra_set,
        "loadavg_before": os.getloadavg(),
    }
    pid = hs2_pid(args.state)
    conn = connect(
        host="localhost", port=args.port, auth_mechanism="NOSASL", user="hive", timeout=3600
    )
    cursor = conn.cursor()
    try:
        for key, value in settings.items():
            cursor.execute(f"SET {key}={value}")
        src, dst = f"avro_{tag}", f"parquet_{tag}"
        cursor.execute(f"DROP TABLE IF EXISTS {src}")
        cursor.execute(f"DROP TABLE IF EXISTS {dst}")
        cursor.execute(
            f"CREATE EXTERNAL TABLE {src} STORED AS AVRO LOCATION '{nn}{folder}' "
            f"TBLPROPERTIES ('avro.schema.url'='{nn}{args.schema}', 'external.table.purge'='false')"
        )
        cursor.execute(f"DESCRIBE {src}")
        columns = ",\n".join(f"`{row[0]}` {row[1]}" for row in cursor.fetchall() if row[0])
        cursor.execute(
            f"CREATE EXTERNAL TABLE {dst} ({columns}) PARTITIONED BY (batch_id string) "
            f"STORED AS PARQUET LOCATION '{nn}{out_root}'"
        )
        try:
            busy, hs2_cpu, insert_started = cpu_busy_s(), proc_cpu_s(pid), time.perf_counter()
            with RssPoller(pid) as rss:
                result["insert_s"] = timed(
                    cursor,
                    f"INSERT OVERWRITE TABLE {dst} PARTITION (batch_id='b1') SELECT * FROM {src}",
                )
            result["insert_peak_rss_mb"] = round(rss.peak_kb / 1024, 1)
            # Cores HiveServer2 kept busy during the INSERT, and what everything else on the
            # machine (the other stack, other users, our HDFS) used meanwhile.
            hs2_used = proc_cpu_s(pid) - hs2_cpu
            result["insert_hs2_cores"] = round(hs2_used / result["insert_s"], 2)
            result["insert_other_cores"] = round(
                (cpu_busy_s() - busy - hs2_used) / result["insert_s"], 2
            )
            if args.warm:
                with RssPoller(pid) as rss:
                    result["insert_warm_s"] = timed(
                        cursor,
                        f"INSERT OVERWRITE TABLE {dst} PARTITION (batch_id='b1') SELECT * FROM {src}",
                    )
                result["insert_warm_peak_rss_mb"] = round(rss.peak_kb / 1024, 1)
            cursor.execute("SET hive.compute.query.using.stats=false")
            started = time.perf_counter()
            cursor.execute(f"SELECT COUNT(*) FROM {dst} WHERE batch_id='b1'")
            result["rows"] = cursor.fetchone()[0]
            result["count_s"] = round(time.perf_counter() - started, 2)
            result["failed"] = None
        except Exception as err:  # a failed run is a result
            result["failed_after_s"] = round(time.perf_counter() - insert_started, 2)
            result["failed"] = (
                str(err).strip().splitlines()[0][:400] if str(err).strip() else repr(err)
            )
        result["parquet_files"] = parquet_files(args.webhdfs, f"{out_root}/batch_id=b1")
        cursor.execute(f"DROP TABLE IF EXISTS {src}")
        cursor.execute(f"DROP TABLE IF EXISTS {dst}")
    finally:
        conn.close()
    result["hs2_vmhwm_mb"] = vm_hwm_mb(pid)
    result["loadavg_after"] = os.getloadavg()
    if not args.keep_output:
        with contextlib.suppress(urllib.error.HTTPError):
            webhdfs(args.webhdfs, out_root, "DELETE&recursive=true", method="DELETE")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--label", required=True)
    parser.add_argument("--set", action="append", required=True, help="NAME=HDFS_FOLDER")
    parser.add_argument("--split-bytes", action="append", default=[], help="NAME=BYTES")
    parser.add_argument(
        "--extra-set", action="append", default=[], help="KEY=VALUE session setting"
    )
    parser.add_argument("--schema", required=True, help="HDFS path of the .avsc")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--warm", action="store_true", help="repeat the INSERT in the same session")
    parser.add_argument("--keep-output", action="store_true")
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("AVRO_INGEST_HIVESERVER2_PORT", 10000))
    )
    parser.add_argument(
        "--namenode-port",
        type=int,
        default=int(os.environ.get("AVRO_INGEST_NAMENODE_RPC_PORT", 8020)),
    )
    parser.add_argument(
        "--webhdfs",
        default=f"http://localhost:{os.environ.get('AVRO_INGEST_NAMENODE_HTTP_PORT', 9870)}",
    )
    parser.add_argument(
        "--state", default=os.environ.get("AVRO_INGEST_STACK_STATE", str(REPO / "stack/.state"))
    )
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    splits = {k: int(v) for k, v in (s.split("=", 1) for s in args.split_bytes)}
    with open(args.out, "a") as out:
        for run in range(1, args.runs + 1):
            for spec in args.set:
                name, folder = spec.split("=", 1)
                result = one_run(args, name, folder, splits.get(name), run)
                print(json.dumps(result), flush=True)
                out.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
