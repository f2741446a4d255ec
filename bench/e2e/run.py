"""End-to-end benchmark: the manual recipe, the avro_ingest DAG, Spark and an HDFS copy, on the
same generated Avro files on the local stack (stack/stack.sh up), in one run.

    .venv/bin/python bench/e2e/run.py              # full: 1,000 small files and a ~1 GB file
    .venv/bin/python bench/e2e/run.py --quick      # 200 small files and a ~115 MB file
    options: --recipe-all (the recipe on every small file, not a sample of 20),
             --skip-spark, --skip-large, --other-pairs N (the full run's part on the stack's
             other engine: MapReduce alone on a Tez-on-YARN stack, and the reverse)

Writes bench/RESULTS.md, bench/e2e/plots/*.png and the raw figures to
bench/.work/e2e/results-<mode>.json. Correctness (row counts read back with
hive.compute.query.using.stats=false, and sampled values) is checked for every contender on
every run; a mismatch makes the run exit 1.
"""

# ruff: noqa: E501, S608  (statements from the benchmark's own names; Markdown rows)

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
WORK = REPO / "bench" / ".work" / "e2e"
WORK.mkdir(parents=True, exist_ok=True)
from stack.airflow_env import configure, migrate_metadata_db  # noqa: E402

configure(WORK / "airflow-home")
os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "True")
os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")
os.environ.pop("AVRO_INGEST_IMPALA_CONN_ID", None)  # Impala is left out of every contender

import psutil  # noqa: E402

from bench.e2e.generate import SetSpec, ensure_set, expected_row  # noqa: E402

STACK = REPO / "stack" / "stack.sh"
HS2_PID = REPO / "stack" / ".state" / "run" / "hiveserver2.pid"
BENCH_VENV = REPO / "bench" / ".work" / "venv"
HDFS_ROOT = "/bench/e2e"
PLOTS = HERE / "plots"
RESULTS_MD = REPO / "bench" / "RESULTS.md"
MB = 1e6
# The checks' read-backs count rows (no statistics) inside HiveServer2, whatever their size:
# on a Tez server, the recipe's check of 20 tables at once is one DAG over Tez's 120 counters,
# and a MapReduce job on YARN would wait for the memory Tez's session holds.
NO_STATS = {
    "hive.compute.query.using.stats": "false",
    "hive.execution.engine": "mr",
    "hive.exec.mode.local.auto": "true",
    "hive.exec.mode.local.auto.inputbytes.max": str(1 << 40),
    "hive.exec.mode.local.auto.input.files.max": str(2**31 - 1),
}
SAMPLE_COLUMNS = (
    "row_id", "account_id_001", "store_code_002", "amount_eur_003", "quantity_004",
    "is_gift_005", "coupon_006", "parent_id_007", "booked_at_008", "ship_date_009",
    "net_price_010",
)  # fmt: skip

TARGETS = {"small_s": 40, "large_s": 45, "vs_recipe": 80, "vs_spark": 1.1, "overhead": 0.10,
           "worker_mb": 500}  # fmt: skip

FAILURES: list[str] = []


def log(msg: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {msg}", flush=True)


def check(ok: bool, what: str) -> bool:
    if not ok:
        FAILURES.append(what)
        log(f"CHECK FAILED: {what}")
    return ok


# ---------------------------------------------------------------- stack helpers


def hdfs(*args: str, check_rc: bool = True) -> float:
    started = time.monotonic()
    proc = subprocess.run([str(STACK), "hdfs", *args], capture_output=True, text=True)
    if check_rc and proc.returncode != 0:
        raise RuntimeError(f"hdfs {' '.join(args)}: {proc.stderr[-2000:]}")
    return time.monotonic() - started


def hdfs_out(*args: str) -> str:
    return subprocess.run(
        [str(STACK), "hdfs", *args], capture_output=True, text=True, check=True
    ).stdout


_HIVE: Any = None
_FS: Any = None


def hive() -> Any:
    global _HIVE
    if _HIVE is None:
        from avro_ingest.hooks.hive import AvroIngestHiveHook

        _HIVE = AvroIngestHiveHook()
    return _HIVE


def fs() -> Any:
    global _FS
    if _FS is None:
        from avro_ingest.hooks.hdfs import AvroIngestHdfsHook

        _FS = AvroIngestHdfsHook()
    return _FS


def parquet_files(folder: str) -> int:
    if not fs().exists(folder):
        return 0
    return sum(
        1
        for e in fs().list_files(folder, recursive=True)
        if not e.path.rsplit("/", 1)[-1].startswith(("_", "."))
        and "/_" not in e.path.replace(folder, "")
        and "/." not in e.path.replace(folder, "")
    )


class Peak:
    """Peak resident memory, polled every 0.1 s, of HiveServer2, of this process (the Airflow
    worker: dag.test runs the tasks in it) and of an optional child process tree."""

    def __init__(self) -> None:
        self.hs2 = psutil.Process(int(HS2_PID.read_text().strip()))
        self.me = psutil.Process()
        self.child: psutil.Process | None = None
        self.peaks = {"hs2": 0, "worker": 0, "child": 0}
        # (time, busy share of all cores since the previous sample), for the CPU use while
        # Hive converts.
        self.cpu: list[tuple[float, float]] = []
        self._stop = threading.Event()

    def cpu_while(self, intervals: list[tuple[float, float]]) -> float | None:
        """The machine's mean CPU use (share of all cores) over the samples inside intervals."""
        inside = [busy for t, busy in self.cpu if any(a <= t <= b for a, b in intervals)]
        return round(sum(inside) / len(inside), 3) if inside else None

    def _poll(self) -> None:
        psutil.cpu_percent(interval=None)
        last_cpu = time.monotonic()
        while not self._stop.is_set():
            if time.monotonic() - last_cpu >= 0.5:
                self.cpu.append((time.monotonic(), psutil.cpu_percent(interval=None) / 100))
                last_cpu = time.monotonic()
            for key, proc in (("hs2", self.hs2), ("worker", self.me), ("child", self.child)):
                if proc is None:
                    continue
                try:
                    rss = proc.memory_info().rss
                    if key == "child":
                        rss += sum(c.memory_info().rss for c in proc.children(recursive=True))
                except psutil.Error:
                    continue
                self.peaks[key] = max(self.peaks[key], rss)
            time.sleep(0.1)

    def __enter__(self) -> Peak:
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()

    def mb(self) -> dict[str, float]:
        return {k: round(v / 2**20, 1) for k, v in self.peaks.items()}


def covered_seconds(intervals: list[tuple[float, float]]) -> float:
    """Length of the union of time intervals (wall time with at least one statement running)."""
    total, reach = 0.0, float("-inf")
    for start, end in sorted(intervals):
        if end > reach:
            total += end - max(start, reach)
            reach = end
    return total


def rates(rows: int, nbytes: int, seconds: float) -> dict[str, float]:
    return {
        "seconds": round(seconds, 2),
        "rows_per_s": round(rows / seconds) if seconds else 0,
        "mb_per_s": round(nbytes / MB / seconds, 2) if seconds else 0,
    }


def values_match(got: dict[str, Any], want: dict[str, Any]) -> bool:
    for name, expected in want.items():
        value = got.get(name)
        if expected is None or value is None:
            if expected is not value and not (expected is None and value in (None, "NULL")):
                return False
        elif name.startswith("net_price"):
            if Decimal(str(value)) != Decimal(str(expected)):
                return False
        elif name.startswith("booked_at"):
            if str(value).replace("T", " ")[:19] != str(expected)[:19]:
                return False
        elif name.startswith("amount_eur"):
            if abs(float(value) - float(expected)) > 1e-9:
                return False
        elif str(value).lower() != str(expected).lower():
            return False
    return True


def check_hive_table(label: str, table: str, spec: SetSpec, rows: int, ids: list[int]) -> None:
    got = int(hive().query(f"SELECT COUNT(*) FROM {table}", settings=NO_STATS)[0][0])
    check(got == rows, f"{label}: {got} rows in {table}, {rows} generated")
    from avro_ingest.hive.types import HIVE_SESSION_SETTINGS

    cols = ", ".join(SAMPLE_COLUMNS)
    found = hive().query(
        f"SELECT {cols} FROM {table} WHERE row_id IN ({','.join(map(str, ids))})",
        settings=dict(HIVE_SESSION_SETTINGS),
    )
    by_id = {r[0]: dict(zip(SAMPLE_COLUMNS, r, strict=True)) for r in found}
    for rid in ids:
        want = {k: v for k, v in expected_row(spec, rid).items() if k in SAMPLE_COLUMNS}
        check(
            rid in by_id and values_match(by_id[rid], want),
            f"{label}: values of row {rid} differ: {by_id.get(rid)} != {want}",
        )


def sample_ids(spec: SetSpec, files: int | None = None) -> list[int]:
    total = (files or spec.files) * spec.rows
    return sorted({0, total // 3 + 1, total - 1})


# ---------------------------------------------------------------- data on HDFS


def upload(spec: SetSpec, info: dict[str, Any]) -> dict[str, Any]:
    marker = f"{HDFS_ROOT}/{spec.key}/_uploaded"
    if fs().exists(marker):
        restore(spec)
        return {"uploaded_seconds": None}
    hdfs("-rm", "-r", "-f", "-skipTrash", f"{HDFS_ROOT}/{spec.key}")
    hdfs("-mkdir", "-p", f"{HDFS_ROOT}/{spec.key}")
    seconds = hdfs("-put", "-t", "4", str(spec.folder / "files"), f"{HDFS_ROOT}/{spec.key}/")
    fs().write_bytes(marker, json.dumps(info).encode())
    log(f"uploaded {spec.key}: {info['files']} files in {seconds:.1f} s")
    return {"uploaded_seconds": round(seconds, 1)}


def restore(spec: SetSpec) -> None:
    """Put files a DAG run archived (or left in sub-folders) back into the set's folder."""
    folder = f"{HDFS_ROOT}/{spec.key}/files"
    stray = [
        f"{base}/{name}"
        for base, _, names in fs().client.walk(folder)
        for name in names
        if name.endswith(".avro") and base.rstrip("/") != folder
    ]
    for start in range(0, len(stray), 400):
        hdfs("-mv", *stray[start : start + 400], folder + "/")
    for sub in fs().list_folders(folder):
        hdfs("-rm", "-r", "-f", "-skipTrash", sub)
    n = sum(1 for e in fs().list_files(folder) if e.path.endswith(".avro"))
    check(
        n == spec.files, f"{spec.key}: {n} files in {folder} after restore, {spec.files} expected"
    )


# ---------------------------------------------------------------- contenders


def run_recipe(
    spec: SetSpec, local_files: list[Path], label: str, full_schema: bool = False
) -> dict[str, Any]:
    """The manual recipe per file: head -c 50K | avro-tools getschema, put the .avsc, CREATE
    EXTERNAL TABLE ... STORED AS AVRO, CTAS STORED AS PARQUET, DROP the Avro table."""
    jar = subprocess.run([str(STACK), "env"], capture_output=True, text=True).stdout
    jar = re.search(r"AVRO_TOOLS_JAR=(.*)", jar).group(1)  # type: ignore[union-attr]
    db = f"bench_recipe_{spec.name}"
    root = f"{HDFS_ROOT}/recipe/{spec.key}"
    hdfs("-rm", "-r", "-f", "-skipTrash", root)
    stage = WORK / "recipe-stage" / spec.key
    shutil.rmtree(stage, ignore_errors=True)
    for i, f in enumerate(local_files):
        (stage / "src" / f"f{i:04d}").mkdir(parents=True)
        os.link(f, stage / "src" / f"f{i:04d}" / f.name)
    hdfs("-mkdir", "-p", f"{root}/schemas")
    hdfs("-put", "-t", "4", str(stage / "src"), f"{root}/")
    hive().run_statements([f"DROP DATABASE IF EXISTS {db} CASCADE"])
    hdfs("-rm", "-r", "-f", "-skipTrash", f"{root}/warehouse")
    hive().run_statements(
        [
            f"CREATE DATABASE {db} LOCATION '{root}/warehouse/ext' MANAGEDLOCATION '{root}/warehouse/managed'"
        ]
    )
    steps = {"getschema": 0.0, "put_avsc": 0.0, "create": 0.0, "ctas": 0.0, "drop": 0.0}
    outcomes: list[str] = []
    fallback_seconds = 0.0
    started = time.monotonic()
    with Peak() as peak:
        for i, f in enumerate(local_files):
            avsc = stage / f"f{i:04d}.avsc"
            t = time.monotonic()
            proc = subprocess.run(
                [
                    "bash",
                    "-c",
                    f"head -c 51200 '{f}' > '{stage}/cut.avro' && "
                    f"java -jar '{jar}' getschema '{stage}/cut.avro' > '{avsc}'",
                ],
                capture_output=True,
                text=True,
            )
            steps["getschema"] += time.monotonic() - t
            if proc.returncode != 0:
                err = re.search(r"(java\.\S+Exception)", proc.stderr)
                outcomes.append(f"fails: {err.group(1) if err else proc.stderr[-200:]}")
                t = time.monotonic()
                subprocess.run(
                    ["bash", "-c", f"java -jar '{jar}' getschema '{f}' > '{avsc}'"], check=True
                )
                fallback_seconds += time.monotonic() - t
            else:
                outcomes.append("schema printed")
            t = time.monotonic()
            hdfs("-put", "-f", str(avsc), f"{root}/schemas/")
            steps["put_avsc"] += time.monotonic() - t
            timings = hive().run_statements(
                [
                    f"CREATE EXTERNAL TABLE {db}.src_{i} STORED AS AVRO LOCATION '{root}/src/f{i:04d}' "
                    f"TBLPROPERTIES ('avro.schema.url'='hdfs://localhost:8020{root}/schemas/{avsc.name}')",
                    f"CREATE TABLE {db}.pq_{i} STORED AS PARQUET AS SELECT * FROM {db}.src_{i}",
                    f"DROP TABLE {db}.src_{i}",
                ]
            )
            for key, timing in zip(("create", "ctas", "drop"), timings, strict=True):
                steps[key] += timing.seconds
    wall = time.monotonic() - started - fallback_seconds
    n = len(local_files)
    rows = n * spec.rows
    nbytes = sum(f.stat().st_size for f in local_files)
    # correctness: every table's rows, and the sampled values of the first and last file
    union = " UNION ALL ".join(f"SELECT COUNT(*) c FROM {db}.pq_{i}" for i in range(n))
    got = sum(int(r[0]) for r in hive().query(f"SELECT * FROM ({union}) u", settings=NO_STATS))
    check(got == rows, f"recipe {label}: {got} rows, {rows} generated")
    first_id = (
        int(re.search(r"(\d+)", local_files[0].stem).group(1)) * spec.rows if spec.files > 1 else 0
    )  # type: ignore[union-attr]
    check_hive_table(
        f"recipe {label}", f"{db}.pq_0", spec, spec.rows, [first_id, first_id + spec.rows - 1]
    )
    files = parquet_files(f"{root}/warehouse")
    result = {
        "label": label,
        "files": n,
        "rows": rows,
        "bytes": nbytes,
        **rates(rows, nbytes, wall),
        "per_file_seconds": round(wall / n, 3),
        "steps_per_file": {k: round(v / n, 3) for k, v in steps.items()},
        "getschema_outcomes": sorted(set(outcomes)),
        "getschema_full_file_fallback_seconds": round(fallback_seconds, 2),
        "schema_from_full_file": bool(fallback_seconds),
        "parquet_files": files,
        "peak_mb": peak.mb(),
    }
    log(f"recipe {label}: {result['seconds']} s for {n} file(s), {result['steps_per_file']}")
    hive().run_statements([f"DROP DATABASE IF EXISTS {db} CASCADE"])
    return result


_HIVE_TIME: dict[str, list[tuple[str, float, float, float]]] = {"statements": []}
_EXTRA_SETTINGS: dict[str, str] = {}


def instrument() -> None:
    """Time every Hive statement the pipeline sends; add a variant's extra session settings."""
    from avro_ingest.hooks.hive import AvroIngestHiveHook
    from avro_ingest.stages import convert

    original = AvroIngestHiveHook._execute

    def timed(self: Any, cursor: Any, statement: str) -> None:
        t = time.monotonic()
        try:
            original(self, cursor, statement)
        finally:
            end = time.monotonic()
            # Batches load in parallel sessions: keep intervals, count overlapping time once.
            _HIVE_TIME["statements"].append((statement.split("(")[0][:60], end - t, t, end))

    AvroIngestHiveHook._execute = timed  # type: ignore[method-assign]
    shipped = convert.conversion_settings

    def settings(*args: Any) -> dict[str, str]:
        return {**shipped(*args), **_EXTRA_SETTINGS}

    convert.conversion_settings = settings  # type: ignore[assignment]


def prepare_airflow() -> None:
    """The benchmark's own Airflow metadata database, and the timing of Hive statements."""
    migrate_metadata_db()
    instrument()


def warm_up_airflow() -> float:
    """One run with nothing to do, untimed: dag.test() starts Airflow's execution API inside
    this process on its first run (about 5 s), which a deployed Airflow has running already."""
    from tests.integration.dag_runner import run_dag

    empty = f"{HDFS_ROOT}/warm-up-empty"
    fs().makedirs(empty)
    started = time.monotonic()
    run_dag({"landing_path": empty, "quiet_period_seconds": 0, "wait_seconds": 0})
    return time.monotonic() - started


# Every batch one way: on the server's engine on YARN, or inside HiveServer2 (MapReduce local
# mode); the shipped settings choose per batch (stages/convert.py, Placement).
ON_YARN = {"local_mode_max_mib": 0}
IN_HIVESERVER2 = {"local_mode_max_mib": 1 << 20, "spread_alone_min_mib": 0}


def run_dag_on(
    spec: SetSpec,
    label: str,
    *,
    extra: dict[str, str] | None = None,
    conf: dict[str, Any] | None = None,
    split_folders: int = 0,
    ids: list[int] | None = None,
) -> dict[str, Any]:
    from tests.integration.dag_runner import run_dag

    folder = f"{HDFS_ROOT}/{spec.key}/files"
    db = f"bench_dag_{spec.name}"
    target = f"{HDFS_ROOT}/warehouse/dag-{spec.key}"
    restore(spec)
    hive().run_statements([f"DROP DATABASE IF EXISTS {db} CASCADE"])
    hdfs("-rm", "-r", "-f", "-skipTrash", target)
    if split_folders:
        names = sorted(e.path for e in fs().list_files(folder) if e.path.endswith(".avro"))
        for k in range(split_folders):
            hdfs("-mkdir", "-p", f"{folder}/part{k}")
            group = names[k::split_folders]
            for start in range(0, len(group), 400):
                hdfs("-mv", *group[start : start + 400], f"{folder}/part{k}/")
    table = f"t_{spec.name}"
    run_conf = {
        "landing_path": folder,
        "database": db,
        "target_root": target,
        "quiet_period_seconds": 0,
        "wait_seconds": 0,
        "table_name_rule": "folder" if split_folders else "fixed",
        "fixed_table_name": table,
        **(conf or {}),
    }
    _EXTRA_SETTINGS.clear()
    _EXTRA_SETTINGS.update(extra or {})
    _HIVE_TIME["statements"] = []
    with Peak() as peak:
        started = time.monotonic()
        run, values = run_dag(run_conf)
        wall = time.monotonic() - started
    _EXTRA_SETTINGS.clear()
    summary = values.get("run_summary") or {}
    task_seconds: dict[str, float] = {}
    try:
        from airflow.settings import Session

        session = Session()
        tis = run.get_task_instances(session=session)
        for ti in tis:
            if ti.start_date and ti.end_date:
                task_seconds[ti.task_id] = (
                    task_seconds.get(ti.task_id, 0.0)
                    + (ti.end_date - ti.start_date).total_seconds()
                )
        firsts = [ti.start_date for ti in tis if ti.start_date]
        lasts = [ti.end_date for ti in tis if ti.end_date]
        if firsts and lasts:
            task_seconds["(first task start to last task end)"] = (
                max(lasts) - min(firsts)
            ).total_seconds()
    except Exception as error:  # the profile is a bonus; the run's figures stand without it
        log(f"task durations unavailable: {error}")
    statements = list(_HIVE_TIME["statements"])
    hive_seconds = covered_seconds([(start, end) for _, _, start, end in statements])
    inserts = [(start, end) for text, _, start, end in statements if text.startswith("INSERT")]
    rows = spec.files * spec.rows
    info = json.loads(fs().read_range(f"{HDFS_ROOT}/{spec.key}/_uploaded", 0, 1 << 20))
    check(run.state == "success", f"DAG {label}: run state {run.state}: {values.get('_states')}")
    check(
        summary.get("rows_ingested") == rows,
        f"DAG {label}: {summary.get('rows_ingested')} rows verified, {rows} generated",
    )
    tables = [f"{db}.part{k}" for k in range(split_folders)] if split_folders else [f"{db}.{table}"]
    if split_folders:
        got = sum(
            int(hive().query(f"SELECT COUNT(*) FROM {t}", settings=NO_STATS)[0][0]) for t in tables
        )
        check(got == rows, f"DAG {label}: {got} rows in the tables, {rows} generated")
    else:
        check_hive_table(f"DAG {label}", tables[0], spec, rows, ids or sample_ids(spec))
    loads = [v for k, v in values.items() if k.startswith("load_table[") and ":" not in k]
    batches = sum(len(load.get("results", [])) for load in loads)
    by_kind: dict[str, float] = {}
    for text, seconds, _, _ in statements:
        kind = " ".join(text.split()[:2]).upper()
        if kind.startswith("SET"):
            kind = "SET"
        by_kind[kind] = by_kind.get(kind, 0.0) + seconds
    result = {
        "label": label,
        "files": spec.files,
        "rows": rows,
        "bytes": info["bytes"],
        **rates(rows, info["bytes"], wall),
        "hive_seconds": round(hive_seconds, 2),
        "overhead_seconds": round(wall - hive_seconds, 2),
        "overhead_share": round((wall - hive_seconds) / wall, 3),
        "step_seconds": summary.get("step_seconds", {}),
        "task_seconds": {k: round(v, 2) for k, v in task_seconds.items()},
        "hive_by_statement": {
            k: round(v, 2) for k, v in sorted(by_kind.items(), key=lambda kv: -kv[1])
        },
        "batches": batches,
        "parquet_files": parquet_files(target),
        "peak_mb": peak.mb(),
        "cpu_during_conversion": peak.cpu_while(inserts),
        "extra_settings": extra or {},
        "conf": conf or {},
        "split_folders": split_folders,
    }
    log(
        f"DAG {label}: {result['seconds']} s, {result['rows_per_s']} rows/s, hive {hive_seconds:.1f} s, "
        f"steps {result['step_seconds']}, {result['parquet_files']} parquet files"
    )
    restore(spec)
    return result


def ensure_spark_ready() -> bool:
    py = BENCH_VENV / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(BENCH_VENV)], check=True)
    probe = subprocess.run([str(py), "-c", "import pyspark, matplotlib"], capture_output=True)
    if probe.returncode != 0:
        log("installing pyspark 4.2.0 and matplotlib into bench/.work/venv")
        subprocess.run(
            [str(py), "-m", "pip", "install", "--quiet", "pyspark==4.2.0", "matplotlib"], check=True
        )
    return True


def run_spark(spec: SetSpec, label: str) -> dict[str, Any]:
    source = f"hdfs://localhost:8020{HDFS_ROOT}/{spec.key}/files/*.avro"
    target = f"{HDFS_ROOT}/warehouse/spark-{spec.key}"
    hdfs("-rm", "-r", "-f", "-skipTrash", target)
    ids = sample_ids(spec)
    env = dict(os.environ, PYSPARK_PYTHON=str(BENCH_VENV / "bin" / "python"))
    with Peak() as peak:
        started = time.monotonic()
        proc = subprocess.Popen(
            [
                str(BENCH_VENV / "bin" / "python"),
                str(HERE / "spark_job.py"),
                source,
                f"hdfs://localhost:8020{target}",
                ",".join(map(str, ids)),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        peak.child = psutil.Process(proc.pid)
        out, err = proc.communicate()
        total = time.monotonic() - started
    if proc.returncode != 0:
        raise RuntimeError(f"spark: {err[-3000:]}")
    data = json.loads(out.strip().splitlines()[-1])
    wall = data["start_seconds"] + data["job_seconds"]  # without the read-back check
    rows = spec.files * spec.rows
    info = json.loads(fs().read_range(f"{HDFS_ROOT}/{spec.key}/_uploaded", 0, 1 << 20))
    check(data["rows"] == rows, f"Spark {label}: {data['rows']} rows, {rows} generated")
    by_id = {r["row_id"]: r for r in data["sample"]}
    for rid in ids:
        want = {k: v for k, v in expected_row(spec, rid).items() if k in SAMPLE_COLUMNS}
        check(rid in by_id and values_match(by_id[rid], want), f"Spark {label}: row {rid} differs")
    result = {
        "label": label,
        "files": spec.files,
        "rows": rows,
        "bytes": info["bytes"],
        **rates(rows, info["bytes"], wall),
        "jvm_start_seconds": round(data["start_seconds"], 2),
        "job_seconds": round(data["job_seconds"], 2),
        "process_seconds": round(total, 2),
        "parquet_files": parquet_files(target),
        "peak_mb": peak.mb(),
    }
    log(f"Spark {label}: {result['seconds']} s ({result['jvm_start_seconds']} s start)")
    return result


def run_copy(spec: SetSpec, label: str) -> dict[str, Any]:
    target = f"{HDFS_ROOT}/copy/{spec.key}"
    hdfs("-rm", "-r", "-f", "-skipTrash", target)
    hdfs("-mkdir", "-p", target)
    seconds = hdfs("-cp", "-t", "4", f"{HDFS_ROOT}/{spec.key}/files/*.avro", target + "/")
    copied = sum(e.size for e in fs().list_files(target))
    info = json.loads(fs().read_range(f"{HDFS_ROOT}/{spec.key}/_uploaded", 0, 1 << 20))
    check(copied == info["bytes"], f"copy {label}: {copied} bytes, {info['bytes']} expected")
    hdfs("-rm", "-r", "-f", "-skipTrash", target)
    rows = spec.files * spec.rows
    result = {
        "label": label,
        "files": spec.files,
        "rows": rows,
        "bytes": info["bytes"],
        **rates(rows, info["bytes"], seconds),
    }
    log(f"copy {label}: {seconds:.1f} s")
    return result


def schema_reading(spec: SetSpec, n: int = 20) -> dict[str, Any]:
    """Our header reader over WebHDFS on n files: time and bytes read per file."""
    from avro_ingest.avro.header import read_header

    folder = f"{HDFS_ROOT}/{spec.key}/files"
    paths = sorted(e.path for e in fs().list_files(folder) if e.path.endswith(".avro"))[:n]
    total_bytes = 0
    times = []
    for path in paths:
        reader = fs().range_reader(path)
        original = reader.read

        def counting(offset: int, length: int, _o: Any = original) -> bytes:
            nonlocal total_bytes
            data = _o(offset, length)
            total_bytes += len(data)
            return data

        reader.read = counting  # type: ignore[method-assign]
        t = time.monotonic()
        read_header(reader)
        times.append(time.monotonic() - t)
    times.sort()
    if not times:
        check(False, f"schema reading: no files in {folder}")
        return {}
    return {
        "files": len(paths),
        "median_ms": round(times[len(times) // 2] * 1000, 2),
        "bytes_per_file": total_bytes // max(1, len(paths)),
    }


def dag_parse_seconds() -> float:
    code = (
        "import time;from airflow.dag_processing.dagbag import DagBag;t=time.perf_counter();"
        f"b=DagBag(dag_folder={str(REPO / 'dags')!r});"
        "assert not b.import_errors, b.import_errors;print(time.perf_counter()-t)"
    )
    runs = []
    for _ in range(3):
        env = dict(os.environ, PYTHONPATH=str(REPO / "plugins"))
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
        )
        runs.append(float(out.stdout.strip().splitlines()[-1]))
    return round(sorted(runs)[1], 3)


# ---------------------------------------------------------------- main


def versions() -> dict[str, str]:
    def cmd(args: list[str]) -> str:
        p = subprocess.run(args, capture_output=True, text=True)
        return (
            (p.stdout + p.stderr).strip().splitlines()[0] if (p.stdout + p.stderr).strip() else "?"
        )

    import airflow
    import fastavro

    python = BENCH_VENV / "bin" / "python"
    spark = (  # a run without Spark (bench/count_after_claim.py) has no venv for it
        subprocess.run(
            [str(python), "-c", "import pyspark;print(pyspark.__version__)"],
            capture_output=True,
            text=True,
        ).stdout.strip()
        if python.exists()
        else "not installed"
    )
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        platform.processor(),
    )
    # The stack's versions from their one home, stack/versions.env.
    pins = dict(
        line.split("=", 1)
        for line in (REPO / "stack" / "versions.env").read_text().splitlines()
        if re.match(r"[A-Z_]+_VERSION=", line)
    )
    return {
        "python": platform.python_version(),
        "airflow": airflow.__version__,
        "fastavro": fastavro.__version__,
        "java": cmd(["java", "-version"]),
        "hadoop": pins["HADOOP_VERSION"],
        "hive": pins["HIVE_VERSION"],
        "tez": pins["TEZ_VERSION"],
        "avro_tools": pins["AVRO_TOOLS_VERSION"],
        "pyspark": spark or "not installed",
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "memory_gib": f"{psutil.virtual_memory().total / 2**30:.1f}",
        "kernel": platform.release(),
    }


def dag_spark_pairs(spec: SetSpec, n: int) -> dict[str, Any]:
    """The DAG and Spark on the same set, alternating, so both meet the same machine state."""
    dag, spark, dag_runs = [], [], []
    for k in range(n):
        what = f"{spec.files} small files" if spec.name == "small" else f"the {spec.name} file"
        dag_runs.append(run_dag_on(spec, f"{what}, pair {k + 1}"))
        dag.append(dag_runs[-1]["seconds"])
        spark.append(run_spark(spec, f"{what}, pair {k + 1}")["seconds"])
    ratios = [s / d for d, s in zip(dag, spark, strict=True)]
    return {
        "dag_seconds": dag,
        "spark_seconds": spark,
        # The targets are judged from the pairs, the first run being colder than the rest.
        "overhead_shares": [r["overhead_share"] for r in dag_runs],
        "cpu_during_conversion": [r.get("cpu_during_conversion") for r in dag_runs],
        "ratios": [round(r, 3) for r in ratios],
        "median_ratio": round(statistics.median(ratios), 3),
        "load_average": round(os.getloadavg()[0], 2),
    }


def engine_pairs(spec: SetSpec, n: int) -> dict[str, Any]:
    """The DAG on one set with every statement on YARN, then every statement in HiveServer2,
    alternating, so both engines meet the same machine state (the default threshold is set
    from these)."""
    yarn: list[dict[str, Any]] = []
    local: list[dict[str, Any]] = []
    for k in range(n):
        yarn.append(run_dag_on(spec, f"{spec.key}, all on YARN, pair {k + 1}", conf=ON_YARN))
        local.append(
            run_dag_on(spec, f"{spec.key}, all in HiveServer2, pair {k + 1}", conf=IN_HIVESERVER2)
        )
    return {
        "set": spec.key,
        "yarn_seconds": [r["seconds"] for r in yarn],
        "hiveserver2_seconds": [r["seconds"] for r in local],
        "yarn_cpu": [r.get("cpu_during_conversion") for r in yarn],
        "hiveserver2_cpu": [r.get("cpu_during_conversion") for r in local],
    }


def save_runs(name: str, runs: list[dict[str, Any]]) -> Path:
    """Alternating runs' figures, one file for each of the stack's engines (stack/stack.sh):
    NAME.json for MapReduce, NAME-ENGINE.json for another."""
    engine = stack_engine()
    path = WORK / (f"{name}.json" if engine == "mr" else f"{name}-{engine}.json")
    at = datetime.now(UTC).isoformat(timespec="minutes")
    path.write_text(json.dumps({"at": at, "engine": engine, "runs": runs}, indent=1, default=str))
    return path


def print_runs(runs: list[dict[str, Any]], *, per_pair: int) -> None:
    print("| pair | contender | wall s | Hive s | batches | outside Hive | CPU while converting |")
    print("| --: | --- | --: | --: | --: | --: | --: |")
    for i, r in enumerate(runs):
        cpu, share = r.get("cpu_during_conversion"), r.get("overhead_share")
        print(
            f"| {i // per_pair + 1} | {r['contender']} | {r['seconds']} "
            f"| {r.get('hive_seconds', '')} | {r.get('batches', '')} "
            f"| {'' if share is None else f'{share:.0%}'} | {'' if cpu is None else f'{cpu:.0%}'} |"
        )


def halves_pairs(n: int) -> int:
    """The best case for converting one large file on both cores of HiveServer2: the 1 GB
    file's rows as two files of half the rows, which the DAG converts as two batches side by
    side (two sessions, one map task each), against the 1 GB file in one batch and Spark on
    it, alternating. Splitting a real file would cost a copy on top; this leaves it out."""
    whole = SetSpec("large", 50, 1, 3_600_000)
    halves = SetSpec("large", 50, 2, 1_800_000)
    for spec in (whole, halves):
        upload(spec, ensure_set(spec))
    prepare_airflow()
    ensure_spark_ready()
    warm_up_airflow()
    runs: list[dict[str, Any]] = []
    for k in range(n):
        for label, spec in (("1 file, 1 batch", whole), ("2 half files, 2 batches", halves)):
            r = run_dag_on(
                spec, f"{label}, pair {k + 1}", conf=IN_HIVESERVER2 | {"parallel_loads": 2}
            )
            runs.append(r | {"contender": f"DAG, {label}"})
        runs.append(run_spark(whole, f"1 GB file, pair {k + 1}") | {"contender": "Spark, 1 file"})
    path = save_runs("halves", runs)
    print_runs(runs, per_pair=3)
    log(f"halves: {path}; failures: {FAILURES or 'none'}")
    return 1 if FAILURES else 0


def small_pairs(n: int) -> int:
    """The DAG and Spark on the 1,000 small files, alternating, on whatever engine the stack
    runs (save_runs); the full run's page is left as it is, since its engine table is
    MapReduce's."""
    spec = SetSpec("small", 50, 1000, 1000, "mixed")
    upload(spec, ensure_set(spec))
    prepare_airflow()
    if not ensure_spark_ready():
        log("Spark is not available")
        return 1
    warm_up_airflow()
    runs: list[dict[str, Any]] = []
    for k in range(n):
        runs.append(run_dag_on(spec, f"1000 small files, pair {k + 1}") | {"contender": "DAG"})
        runs.append(run_spark(spec, f"1000 small files, pair {k + 1}") | {"contender": "Spark"})
    path = save_runs("small-pairs", runs)
    print_runs(runs, per_pair=2)
    log(f"small pairs: {path}; failures: {FAILURES or 'none'}")
    return 1 if FAILURES else 0


def stack_engine() -> str:
    """The engine the running stack's HiveServer2 was started with (stack/stack.sh writes it)."""
    state = Path(os.environ.get("AVRO_INGEST_STACK_STATE", REPO / "stack" / ".state"))
    return (state / "run" / "hive-engine").read_text().strip()


def restart_stack(engine: str) -> float:
    """Stop the stack's daemons and start them again with Hive on `engine` (stack/stack.sh:
    HDFS keeps its data; `jars` fetches Tez's jars on a first run). Returns the seconds taken."""
    env = {**os.environ, "AVRO_INGEST_HIVE_ENGINE": engine}
    started = time.monotonic()
    for step in ("down", "jars", "up"):
        done = subprocess.run([str(STACK), step], env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"stack.sh {step} ({engine}): {done.stderr[-2000:]}")
    return round(time.monotonic() - started, 1)


def on_engine(
    engine: str, back_to: str, small: SetSpec, large: SetSpec, mid: SetSpec, pairs: int
) -> dict[str, Any]:
    """The same DAG and data with HiveServer2 on the stack's other engine, in the same run: the
    stack restarted with AVRO_INGEST_HIVE_ENGINE=`engine`, one run on the 115 MB file right
    after the start (its first statement meets a cold server), then the small set and the
    large file through the DAG and Spark, alternating, `pairs` times. The stack goes back to
    `back_to` at the end, also when a run fails."""
    out: dict[str, Any] = {"engine": engine, "at": datetime.now(UTC).isoformat(timespec="minutes")}
    try:
        out["restart_seconds"] = restart_stack(engine)
        log(f"{engine}: stack restarted in {out['restart_seconds']} s")
        out["first"] = run_dag_on(mid, "115 MB file, the first run after the start")
        out["pairs"] = []
        for k in range(pairs):
            out["pairs"].append(
                {
                    "dag_small": run_dag_on(
                        small, f"{small.files} small files, {engine}, pair {k + 1}"
                    ),
                    "spark_small": run_spark(small, f"{small.files} small files, pair {k + 1}"),
                    "dag_large": run_dag_on(large, f"large file, {engine}, pair {k + 1}"),
                    "spark_large": run_spark(large, f"large file, pair {k + 1}"),
                }
            )
    except Exception as error:  # the first part's figures stand; the page says what failed
        log(f"{engine} failed: {error}")
        FAILURES.append(f"{engine}: {str(error)[:300]}")
        out["error"] = str(error)[:1000]
    finally:
        out["restart_back_seconds"] = restart_stack(back_to)
    return out


def add_to_last_run(key: str, spec: SetSpec, measure: Any, *, spark: bool = False) -> int:
    """Run `measure(spec)` on the full set and add its figures, under `key`, to the last full
    run's page."""
    path = WORK / "results-full.json"
    R = json.loads(path.read_text())
    upload(spec, ensure_set(spec))
    prepare_airflow()
    if spark and not ensure_spark_ready():
        log("Spark is not available")
        return 1
    warm_up_airflow()
    R[key] = measure(spec) | {"at": datetime.now(UTC).isoformat(timespec="minutes")}
    path.write_text(json.dumps(R, indent=1, default=str))
    from bench.e2e import report

    report.write(R, RESULTS_MD, PLOTS, BENCH_VENV / "bin" / "python")
    log(f"{key}: {R[key]}; failures: {FAILURES or 'none'}")
    return 1 if FAILURES else 0


def main() -> int:
    parser = argparse.ArgumentParser(description="avro-ingest end-to-end benchmark")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="200 small files, a ~115 MB file, fewer recipe files, no tuning variants",
    )
    parser.add_argument("--recipe-all", action="store_true", help="the recipe on every small file")
    parser.add_argument("--skip-spark", action="store_true")
    parser.add_argument("--skip-large", action="store_true")
    parser.add_argument(
        "--pairs",
        type=int,
        default=3,
        metavar="N",
        help="then run the DAG and Spark on the small set, and on the large file, N times "
        "each, alternating (default 3; the targets are judged from them; 0 leaves them out)",
    )
    parser.add_argument(
        "--pairs-only",
        action="store_true",
        help="only the alternating pairs, added to the last full run's figures",
    )
    parser.add_argument(
        "--engine-pairs-only",
        type=int,
        default=0,
        metavar="N",
        help="only the large file on YARN, then in HiveServer2, N times, added to the last "
        "full run's figures",
    )
    parser.add_argument(
        "--halves-pairs",
        type=int,
        default=0,
        metavar="N",
        help="only the 1 GB file against its rows as two half files converting side by side, "
        "and Spark, N times, alternating (bench/.work/e2e/halves.json, or halves-ENGINE.json "
        "when the stack runs AVRO_INGEST_HIVE_ENGINE=ENGINE)",
    )
    parser.add_argument(
        "--small-pairs",
        type=int,
        default=0,
        metavar="N",
        help="only the 1,000 small files through the DAG and Spark, N times, alternating, on the "
        "stack's engine (bench/.work/e2e/small-pairs.json, or small-pairs-ENGINE.json on another)",
    )
    parser.add_argument(
        "--other-pairs",
        type=int,
        default=3,
        metavar="N",
        help="full run: then restart the stack on its other engine (MapReduce alone on a "
        "Tez-on-YARN stack, and the reverse) and run the DAG and Spark on the small set and the "
        "large file N times, alternating (0: leave it out)",
    )
    args = parser.parse_args()
    if args.small_pairs:
        return small_pairs(args.small_pairs)
    if args.halves_pairs:
        return halves_pairs(args.halves_pairs)
    if args.engine_pairs_only:
        n = args.engine_pairs_only
        return add_to_last_run(
            "engine_pairs", SetSpec("large", 50, 1, 3_600_000), lambda s: engine_pairs(s, n)
        )
    if args.pairs_only:
        n = max(1, args.pairs)
        return add_to_last_run(
            "pairs",
            SetSpec("small", 50, 1000, 1000, "mixed"),
            lambda s: dag_spark_pairs(s, n),
            spark=True,
        )
    mode = "quick" if args.quick else "full"
    run_started = time.monotonic()
    started_at = datetime.now(UTC)
    load_at_start = round(os.getloadavg()[0], 2)

    small = SetSpec("small", 50, 200 if args.quick else 1000, 1000, "mixed")
    tune = SetSpec("small", 50, 200, 1000, "mixed")  # the tuning set (= the quick small set)
    wide = SetSpec("wide", 500, 20, 1000, "mixed")
    mid = SetSpec("large", 50, 1, 400_000)
    large = mid if args.quick else SetSpec("large", 50, 1, 3_600_000)
    sets = [small, tune, wide] + ([] if args.skip_large else [mid, large])
    infos: dict[str, dict[str, Any]] = {}
    for spec in dict.fromkeys(sets):
        t = time.monotonic()
        infos[spec.key] = ensure_set(spec)
        log(
            f"data {spec.key}: {infos[spec.key]['bytes'] / MB:.0f} MB ({time.monotonic() - t:.0f} s)"
        )
    uploads = {}
    for spec in dict.fromkeys(sets):
        uploads[spec.key] = upload(spec, infos[spec.key])

    prepare_airflow()
    spark_ok = not args.skip_spark and ensure_spark_ready()
    engine = stack_engine()
    other = {"tez-yarn": "mr", "mr": "tez-yarn"}.get(engine)
    other_pairs = 0 if args.quick or args.skip_large or not spark_ok else args.other_pairs
    if other_pairs and other is None:
        log(f"the stack runs {engine}: the other engine's part of the run is left out")
        other_pairs = 0
    R: dict[str, Any] = {
        "mode": mode,
        "started": started_at.isoformat(timespec="minutes"),
        "versions": versions() | {"engine": engine},
        "sets": {k: v for k, v in infos.items()},
        "uploads": uploads,
    }
    R["airflow_warm_up_seconds"] = round(warm_up_airflow(), 2)
    log(f"Airflow warm-up run {R['airflow_warm_up_seconds']} s (not counted)")
    R["dag_parse_seconds"] = dag_parse_seconds()
    log(f"DAG parse {R['dag_parse_seconds']} s")

    # 1. the recipe
    local_small = sorted((small.folder / "files").glob("*.avro"))
    n_sample = 5 if args.quick else 20
    sample = (
        local_small if args.recipe_all else local_small[:: len(local_small) // n_sample][:n_sample]
    )
    R["recipe_small"] = run_recipe(small, sample, f"{len(sample)} of {small.files} small files")
    R["recipe_small"]["extrapolated_seconds"] = round(
        R["recipe_small"]["per_file_seconds"] * small.files, 1
    )
    R["recipe_small"]["extrapolated"] = len(sample) < small.files
    R["recipe_wide"] = run_recipe(
        wide,
        sorted((wide.folder / "files").glob("*.avro"))[: 1 if args.quick else 3],
        f"{1 if args.quick else 3} wide file(s) (500 columns)",
    )
    if not args.skip_large:
        R["recipe_large"] = run_recipe(large, [large.folder / "files" / "large.avro"], "large file")
    # 2. the DAG
    R["dag_small"] = run_dag_on(small, f"{small.files} small files")
    R["schema_reading"] = schema_reading(small)
    if not args.quick:
        R["dag_wide"] = run_dag_on(wide, "20 wide files (500 columns)")
    if not args.skip_large:
        # The 115 MB file first: as a lone batch it is the first statement on the server's
        # engine since the start, and meets its cold JVMs (a deployed server is warm).
        if large != mid:
            R["dag_mid"] = run_dag_on(mid, "115 MB file")
        R["dag_large"] = run_dag_on(large, "large file")
    # 2b. every batch one way: on the server's engine on YARN, or inside HiveServer2 (the
    # shipped settings choose per batch in the runs above).
    R["engines"] = [
        run_dag_on(small, f"{small.files} small files, all on YARN", conf=ON_YARN),
        run_dag_on(small, f"{small.files} small files, all in HiveServer2", conf=IN_HIVESERVER2),
    ]
    if not args.skip_large:
        R["engines"] += [
            run_dag_on(large, "large file, all on YARN", conf=ON_YARN),
            run_dag_on(large, "large file, all in HiveServer2", conf=IN_HIVESERVER2),
        ]
    # 3. Spark
    if spark_ok:
        R["spark_small"] = run_spark(small, f"{small.files} small files")
        if not args.skip_large and not args.quick:
            R["spark_large"] = run_spark(large, "large file")
    if spark_ok and args.pairs:
        R["pairs"] = dag_spark_pairs(small, args.pairs)
        if not args.skip_large and not args.quick:
            R["pairs_large"] = dag_spark_pairs(large, args.pairs)
    # 4. the ceiling
    R["copy_small"] = run_copy(small, f"{small.files} small files")
    if not args.skip_large:
        R["copy_large"] = run_copy(large, "large file")
    # 5. tuning alternatives, on the 200-file tuning set
    variants: list[tuple[str, dict[str, Any]]] = [
        ("shipped settings (baseline)", {}),
        (
            "no merge step (hive.merge.mapfiles/mapredfiles=false)",
            {"extra": {"hive.merge.mapfiles": "false", "hive.merge.mapredfiles": "false"}},
        ),
        (
            "vectorized reading of Avro rows (hive.vectorized.use.row.serde.deserialize=true)",
            {
                "extra": {
                    "hive.vectorized.execution.enabled": "true",
                    "hive.vectorized.use.row.serde.deserialize": "true",
                }
            },
        ),
        (
            "vectorization on, Hive's default (hive.vectorized.execution.enabled=true)",
            {"extra": {"hive.vectorized.execution.enabled": "true"}},
        ),
        (
            "one split per 256 MB (mapreduce.input.fileinputformat.split.minsize=268435456)",
            {
                "extra": {
                    "mapreduce.input.fileinputformat.split.minsize": "268435456",
                    "mapreduce.input.fileinputformat.split.maxsize": "268435456",
                }
            },
        ),
        (
            "two tables (two sub-folders, table_name_rule=folder): two conversions",
            {"split_folders": 2},
        ),
        ("batches of 50 files (max_files_per_batch=50)", {"conf": {"max_files_per_batch": 50}}),
        ("one batch at a time (parallel_loads=1)", {"conf": {"parallel_loads": 1}}),
        ("three batches at a time (parallel_loads=3)", {"conf": {"parallel_loads": 3}}),
    ]
    if args.quick:  # the tuning set is the small set: its run is the baseline; no variants
        variants = []
        R["tuning"] = [dict(R["dag_small"], label="shipped settings (baseline)")]
    R.setdefault("tuning", [])
    for name, kw in variants:
        try:
            R["tuning"].append(run_dag_on(tune, name, **kw))
        except Exception as error:  # a variant that fails is a result too
            log(f"variant {name} failed: {error}")
            R["tuning"].append({"label": name, "error": str(error)[:300]})
            restore(tune)
    # 6. the stack's other engine, in the same run. Last, so that no figure of the first part
    # comes right after a restart.
    if other_pairs and other:
        R["other_engine"] = on_engine(other, engine, small, large, mid, other_pairs)
    R["total_seconds"] = round(time.monotonic() - run_started, 1)
    R["load_average"] = {"start": load_at_start, "end": round(os.getloadavg()[0], 2)}
    R["failures"] = FAILURES
    (WORK / f"results-{mode}.json").write_text(json.dumps(R, indent=1, default=str))
    from bench.e2e import report

    report.write(R, RESULTS_MD, PLOTS, BENCH_VENV / "bin" / "python")
    log(f"done in {R['total_seconds']} s; failures: {FAILURES or 'none'}")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
