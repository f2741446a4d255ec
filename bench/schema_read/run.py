"""Schema reading benchmark: our header reader against the `head -c 50K` + avro-tools recipe.

Files of about 1 MB, 100 MB and 1 GB with 10, 500 and 5,000 documented columns are generated
with fastavro (cached in bench/.work/schema_read/data, git-ignored; generation time is not
part of the benchmark) and copied to HDFS under /bench/schema_read. For every file, in one run:

- the recipe: `head -c 51200 FILE > cut.avro && java -jar avro-tools.jar getschema cut.avro`,
  timed end to end, with the JVM's peak RSS, its outcome and error line;
- ours, local: `read_header(LocalRangeReader(FILE))`, timed over many calls, with the bytes
  and reads it needed and its peak Python allocation (tracemalloc);
- ours, new process: the same in a fresh Python process (probe.py), timed end to end with its
  peak RSS, the fair comparison with a fresh JVM;
- ours, WebHDFS: `read_header(AvroIngestHdfsHook().range_reader(PATH))` against the local
  stack, with the bytes and OPEN requests it needed;
- correctness: the schema every reader returns must equal the one fastavro reads from the
  full file (and avro-tools `getschema` on the full file); a mismatch makes the run exit 1.

Needs the local stack (`stack/stack.sh up`) for avro-tools and HDFS. Writes
bench/RESULTS-schema-read.md and the raw numbers to bench/.work/schema_read/results.json.

    .venv/bin/python bench/schema_read/run.py            # all 9 files (~7 GB of disk)
    .venv/bin/python bench/schema_read/run.py --quick    # no 1 GB files, fewer repeats
    .venv/bin/python bench/schema_read/run.py --clean    # delete the generated files
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="bench-schema-read-airflow-"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault(
    "AIRFLOW_CONN_WEBHDFS_DEFAULT",
    json.dumps({"conn_type": "webhdfs", "host": "localhost", "port": 9870, "login": "hive"}),
)

import fastavro  # noqa: E402
from avro_ingest.avro.header import (  # noqa: E402
    LocalRangeReader,
    RangeReader,
    read_header,
    validate_schema,
)
from datagen import FileSpec, GeneratedFile, ensure_file  # noqa: E402
from fastavro.schema import parse_schema  # noqa: E402

WORK = REPO / "bench" / ".work" / "schema_read"
DATA = WORK / "data"
RESULTS_MD = REPO / "bench" / "RESULTS-schema-read.md"
RESULTS_JSON = WORK / "results.json"
HDFS_DIR = "/bench/schema_read"
STACK = REPO / "stack" / "stack.sh"
PROBE = Path(__file__).resolve().parent / "probe.py"
GNU_TIME = "/usr/bin/time"

RECIPE_CUT_BYTES = 51_200  # `head -c 50K`
TARGET_SPEEDUP = 100
COLUMNS = (10, 500, 5000)
SIZES = (("1MB", 1 << 20), ("100MB", 100 << 20), ("1GB", 1 << 30))


@dataclass(frozen=True)
class Settings:
    quick: bool
    recipe_repeats: int
    probe_repeats: int
    local_seconds: float  # time budget per file for ours, local
    local_max_calls: int
    hdfs_repeats: int
    use_hdfs: bool

    @classmethod
    def make(cls, *, quick: bool, use_hdfs: bool) -> Settings:
        if quick:
            return cls(quick, 3, 2, 0.3, 300, 5, use_hdfs)
        return cls(quick, 10, 3, 2.0, 2000, 20, use_hdfs)


@dataclass
class CountingReader:
    """A RangeReader that counts the reads (local reads or WebHDFS OPENs) it passes on."""

    inner: RangeReader
    reads: int = 0

    def read(self, offset: int, length: int) -> bytes:
        self.reads += 1
        return self.inner.read(offset, length)


@dataclass
class RecipeResult:
    seconds: list[float]
    ok: bool
    error: str | None
    peak_rss_bytes: int
    bytes_read: int
    schema_matches: bool | None  # None when the recipe failed


@dataclass
class OursResult:
    seconds: list[float]
    bytes_read: int
    reads: int
    schema_matches: bool
    peak_alloc_bytes: int | None = None  # tracemalloc, local only
    # Local only: median time of the schema's JSON decoding and of its validation by fastavro,
    # the two steps of read_header whose cost grows with the schema.
    json_seconds: float | None = None
    validate_seconds: float | None = None


@dataclass
class ProbeResult:
    seconds: list[float]
    peak_rss_bytes: int
    bytes_read: int


@dataclass
class FileResult:
    file: GeneratedFile
    recipe: RecipeResult
    local: OursResult
    probe: ProbeResult
    hdfs: OursResult | None
    avro_tools_full_ok: bool
    schema_ok: bool = field(init=False)

    def __post_init__(self) -> None:
        checks = [self.local.schema_matches, self.avro_tools_full_ok]
        if self.recipe.schema_matches is not None:
            checks.append(self.recipe.schema_matches)
        if self.hdfs is not None:
            checks.append(self.hdfs.schema_matches)
        self.schema_ok = all(checks)


# --- processes -------------------------------------------------------------------------------


def run_measured(argv: Sequence[str], stdout: Path, stderr: Path) -> tuple[int, int]:
    """Run `argv` to completion; return (exit status, its peak RSS in bytes).

    The peak comes from GNU time (%M), whose own small process forks the command: a child
    forked from this (large) Python process would inherit its RSS in ru_maxrss.
    """
    rss_file = stderr.with_suffix(".rss")
    with stdout.open("wb") as out, stderr.open("wb") as err:
        status = subprocess.run(
            [GNU_TIME, "-f", "%M", "-o", str(rss_file), *argv], stdout=out, stderr=err
        ).returncode
    lines = rss_file.read_text().split()
    return status, int(lines[-1]) * 1024  # KiB


def stack_env() -> dict[str, str]:
    output = subprocess.run([str(STACK), "env"], check=True, capture_output=True, text=True).stdout
    return dict(line.split("=", 1) for line in output.splitlines() if "=" in line)


def find_java() -> str:
    for home in (os.environ.get("AVRO_INGEST_JAVA_HOME"), os.environ.get("JAVA_HOME")):
        if home and Path(home, "bin", "java").exists():
            return str(Path(home, "bin", "java"))
    java = shutil.which("java")
    if java is None:
        raise SystemExit("no java on PATH; install a JDK 17 or set JAVA_HOME")
    return java


def first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def error_line(stderr: str) -> str:
    """The exception of a Java failure (the first line naming an exception or error)."""
    for line in stderr.splitlines():
        if re.search(r"(Exception|Error)\b", line) and " WARN " not in line:
            return line.strip().removeprefix('Exception in thread "main" ')[:160]
    return first_line(stderr)[:160]


# --- the measurements ------------------------------------------------------------------------


def same_schema(printed: Any, expected: Any) -> bool:
    """Equal after fastavro's parsing: avro-tools prints `name` and `namespace` apart where
    fastavro writes the full name; docs, defaults and logical types still count."""
    normalise = partial(parse_schema, _write_hint=False)
    return bool(normalise(printed) == normalise(expected))


def expected_schema(path: Path) -> Any:
    """The writer schema as fastavro reads it from the full file."""
    with path.open("rb") as handle:
        return fastavro.reader(handle).writer_schema


def measure_recipe(
    path: Path, expected: Any, java: str, jar: str, tmp: Path, repeats: int
) -> RecipeResult:
    cut = tmp / "cut.avro"
    out, err = tmp / "recipe.out", tmp / "recipe.err"
    seconds: list[float] = []
    peak = 0
    status = 0
    for _ in range(repeats):
        started = time.perf_counter()
        with cut.open("wb") as sink:
            subprocess.run(
                ["head", "-c", str(RECIPE_CUT_BYTES), str(path)], stdout=sink, check=True
            )
        status, rss = run_measured([java, "-jar", jar, "getschema", str(cut)], out, err)
        seconds.append(time.perf_counter() - started)
        peak = max(peak, rss)
    ok = status == 0
    matches: bool | None = None
    if ok:
        try:
            matches = same_schema(json.loads(out.read_text()), expected)
        except json.JSONDecodeError:
            ok = False
    return RecipeResult(
        seconds=seconds,
        ok=ok,
        error=None if ok else error_line(err.read_text(errors="replace")),
        peak_rss_bytes=peak,
        bytes_read=min(RECIPE_CUT_BYTES, path.stat().st_size),
        schema_matches=matches,
    )


def avro_tools_full_file(path: Path, expected: Any, java: str, jar: str, tmp: Path) -> bool:
    """avro-tools getschema on the whole file: does the tool agree with fastavro?"""
    out, err = tmp / "full.out", tmp / "full.err"
    status, _ = run_measured([java, "-jar", jar, "getschema", str(path)], out, err)
    if status != 0:
        return False
    return same_schema(json.loads(out.read_text()), expected)


def measure_local(path: Path, expected: Any, settings: Settings) -> OursResult:
    counting = CountingReader(LocalRangeReader(path))
    header = read_header(counting, str(path))
    raw = header.metadata["avro.schema"]

    tracemalloc.start()
    read_header(LocalRangeReader(path), str(path))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    # Each round times one whole call, then, on their own, the two schema steps the call
    # makes (JSON decoding, fastavro validation), so all three see the same conditions.
    whole: list[float] = []
    json_step: list[float] = []
    validate_step: list[float] = []
    started = time.perf_counter()
    while len(whole) < 10 or (
        time.perf_counter() - started < settings.local_seconds
        and len(whole) < settings.local_max_calls
    ):
        t0 = time.perf_counter_ns()
        read_header(LocalRangeReader(path), str(path))
        t1 = time.perf_counter_ns()
        schema = json.loads(raw.decode("utf-8"))
        t2 = time.perf_counter_ns()
        validate_schema(schema)
        t3 = time.perf_counter_ns()
        whole.append((t1 - t0) / 1e9)
        json_step.append((t2 - t1) / 1e9)
        validate_step.append((t3 - t2) / 1e9)
    return OursResult(
        seconds=whole,
        bytes_read=header.bytes_read,
        reads=counting.reads,
        schema_matches=header.schema == expected,
        peak_alloc_bytes=peak,
        json_seconds=median(json_step),
        validate_seconds=median(validate_step),
    )


def measure_probe(path: Path, tmp: Path, repeats: int) -> ProbeResult:
    out, err = tmp / "probe.out", tmp / "probe.err"
    seconds: list[float] = []
    peak = 0
    for _ in range(repeats):
        started = time.perf_counter()
        status, rss = run_measured([sys.executable, str(PROBE), str(path)], out, err)
        seconds.append(time.perf_counter() - started)
        if status != 0:
            raise RuntimeError(f"probe failed on {path}: {err.read_text()}")
        peak = max(peak, rss)
    return ProbeResult(
        seconds=seconds,
        peak_rss_bytes=peak,
        bytes_read=int(json.loads(out.read_text())["bytes_read"]),
    )


def measure_hdfs(hook: Any, remote: str, expected: Any, repeats: int) -> OursResult:
    counting = CountingReader(hook.range_reader(remote))
    header = read_header(counting, remote)  # also warms the client's connection
    seconds: list[float] = []
    for _ in range(repeats):
        before = time.perf_counter_ns()
        read_header(hook.range_reader(remote), remote)
        seconds.append((time.perf_counter_ns() - before) / 1e9)
    return OursResult(
        seconds=seconds,
        bytes_read=header.bytes_read,
        reads=counting.reads,
        schema_matches=header.schema == expected,
    )


# --- HDFS ------------------------------------------------------------------------------------


def make_hook() -> Any:
    from avro_ingest.hooks.hdfs import AvroIngestHdfsHook

    logging.getLogger("hdfs").setLevel(logging.WARNING)  # one INFO line per OPEN otherwise
    return AvroIngestHdfsHook()


def bare_open_seconds(hook: Any, remote: str, repeats: int) -> float:
    """Median time of one WebHDFS OPEN of 64 KiB through the hook, nothing decoded."""
    hook.read_range(remote, 0, 65536)
    seconds = []
    for _ in range(repeats):
        before = time.perf_counter_ns()
        hook.read_range(remote, 0, 65536)
        seconds.append((time.perf_counter_ns() - before) / 1e9)
    return statistics.median(seconds)


def ensure_on_hdfs(hook: Any, local: Path, remote: str) -> None:
    """Copy `local` to `remote` unless a file of the same size is already there."""
    status = hook.client.status(remote, strict=False)
    if status is not None and int(status["length"]) == local.stat().st_size:
        return
    print(f"  put {local.name} -> {remote}", flush=True)
    subprocess.run([str(STACK), "hdfs", "-mkdir", "-p", HDFS_DIR], check=True)
    subprocess.run([str(STACK), "hdfs", "-put", "-f", str(local), remote], check=True)


# --- report ----------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory_kib = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory_kib = int(line.split()[1])
    return {
        "cpu": cpu,
        "nproc": str(os.cpu_count()),
        "memory": f"{memory_kib / 1024**2:.1f} GiB",
        "kernel": platform.release(),
        "loadavg": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
    }


def versions(java: str, jar: str, env: dict[str, str]) -> dict[str, str]:
    java_version = first_line(
        subprocess.run([java, "-version"], capture_output=True, text=True).stderr
    )
    tools = subprocess.run([java, "-jar", jar], capture_output=True, text=True)
    tools_version = first_line(tools.stdout + tools.stderr)
    return {
        "python": platform.python_version(),
        "fastavro": fastavro.__version__,
        "java": java_version,
        "avro-tools": f"{tools_version} ({Path(jar).name}, Maven Central)",
        "hadoop": env.get("HADOOP_VERSION", "?"),
    }


def jvm_start(java: str, repeats: int, tmp: Path) -> float:
    """Median wall time of `java -version`: the bare JVM start."""
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        run_measured([java, "-version"], tmp / "jvm.out", tmp / "jvm.err")
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds)


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def fmt_bytes(value: int) -> str:
    return f"{value:,}"


def fmt_size(value: int) -> str:
    if value >= 1 << 30:
        return f"{value / (1 << 30):.2f} GiB"
    if value >= 1 << 20:
        return f"{value / (1 << 20):.1f} MiB"
    return f"{value / 1024:.0f} KiB"


def fmt_mib(value: int | None) -> str:
    return "n/a" if value is None else f"{value / (1 << 20):.1f}"


def fmt_ms(seconds: float) -> str:
    ms = seconds * 1000
    return f"{ms:.3f}" if ms < 1 else f"{ms:.2f}" if ms < 100 else f"{ms:.0f}"


def fmt_factor(value: float) -> str:
    return f"{value:,.0f}×"


def write_report(
    results: list[FileResult],
    settings: Settings,
    info: dict[str, Any],
    output: Path,
) -> None:
    rows_files = [
        "| File | Size | Columns | Header | Rows | Blocks | Generated in |",
        "|---|--:|--:|--:|--:|--:|--:|",
    ]
    rows_time = [
        "| File | Recipe, s: median (min–max) | Recipe outcome | Ours local, ms "
        "| of which JSON + validation, ms | Ours WebHDFS, ms | Ours new process, s "
        "| Speed-up local | Speed-up WebHDFS |",
        "|---|--:|---|--:|--:|--:|--:|--:|--:|",
    ]
    rows_bytes = [
        "| File | Header | Recipe bytes read | Ours local bytes read (reads) "
        "| Ours WebHDFS bytes read (OPENs) | Recipe JVM peak RSS, MiB "
        "| Ours peak allocation, MiB | Ours new process peak RSS, MiB | Schema check |",
        "|---|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    for result in results:
        gen, recipe, local, probe, hdfs = (
            result.file,
            result.recipe,
            result.local,
            result.probe,
            result.hdfs,
        )
        name = f"`{gen.path.name}`"
        recipe_s = median(recipe.seconds)
        outcome = "schema printed" if recipe.ok else f"**fails**: `{recipe.error}`"
        hdfs_ms = fmt_ms(median(hdfs.seconds)) if hdfs else "n/a"
        hdfs_factor = fmt_factor(recipe_s / median(hdfs.seconds)) if hdfs else "n/a"
        rows_files.append(
            f"| {name} | {fmt_size(gen.size)} | {gen.columns:,} | {fmt_bytes(gen.header_length)} "
            f"| {gen.rows:,} | {gen.blocks:,} | {gen.generation_seconds:.1f} s |"
        )
        schema_s = (local.json_seconds or 0) + (local.validate_seconds or 0)
        rows_time.append(
            f"| {name} | {recipe_s:.3f} ({min(recipe.seconds):.2f}–{max(recipe.seconds):.2f}) "
            f"| {outcome} | {fmt_ms(median(local.seconds))} | {fmt_ms(schema_s)} "
            f"| {hdfs_ms} | {median(probe.seconds):.3f} "
            f"| {fmt_factor(recipe_s / median(local.seconds))} | {hdfs_factor} |"
        )
        hdfs_bytes = f"{fmt_bytes(hdfs.bytes_read)} ({hdfs.reads})" if hdfs else "n/a"
        rows_bytes.append(
            f"| {name} | {fmt_bytes(gen.header_length)} | {fmt_bytes(recipe.bytes_read)} "
            f"| {fmt_bytes(local.bytes_read)} ({local.reads}) | {hdfs_bytes} "
            f"| {fmt_mib(recipe.peak_rss_bytes)} | {fmt_mib(local.peak_alloc_bytes)} "
            f"| {fmt_mib(probe.peak_rss_bytes)} | {'ok' if result.schema_ok else '**MISMATCH**'} |"
        )

    machine_info, version_info = info["machine"], info["versions"]
    run_kind = "quick run (`--quick`)" if settings.quick else "full run"
    lines = [
        "# Schema reading: header reader vs the `head -c 50K` + avro-tools recipe",
        "",
        f"Generated by `bench/schema_read/run.py` ({run_kind}) on {info['date']}; "
        f"the whole run took {info['run_minutes']:.1f} min.",
        "",
        f"- Machine: {machine_info['cpu']}, {machine_info['nproc']} cores (nproc), "
        f"{machine_info['memory']} memory, Linux {machine_info['kernel']}; the local stack "
        "(NameNode, DataNode, HiveServer2) ran on the same machine during the run, and the "
        "machine was not otherwise idle (load averages over 1, 5 and 15 min: "
        f"{machine_info['loadavg']} at the start, {info['loadavg_end']} at the end).",
        f"- Versions: Python {version_info['python']}, fastavro {version_info['fastavro']}, "
        f"{version_info['java']}, avro-tools: {version_info['avro-tools']}, "
        f"HDFS {version_info['hadoop']} (single DataNode, WebHDFS on localhost).",
        f"- JVM start alone (`java -version`, median): {info['jvm_start_seconds']:.3f} s."
        + (
            " One bare WebHDFS OPEN of 64 KiB through the hook (NameNode redirect, DataNode "
            f"read, nothing decoded), median: {info['bare_open_seconds'] * 1000:.1f} ms."
            if info["bare_open_seconds"] is not None
            else ""
        ),
        "",
        "## What was measured",
        "",
        f"- **Recipe**: `head -c {RECIPE_CUT_BYTES} FILE > cut.avro && java -jar "
        "avro-tools.jar getschema cut.avro`, wall time end to end, median of "
        f"{settings.recipe_repeats} runs; peak RSS of the JVM from GNU time (`%M`).",
        "- **Ours local**: `read_header(LocalRangeReader(FILE))` in a warm process, median "
        f"per call over {settings.local_seconds:g} s of rounds (at most "
        f"{settings.local_max_calls}); each round also times, on their own, the call's two "
        'schema steps, JSON decoding and fastavro validation ("of which" column, sum of '
        "their medians); peak allocation is tracemalloc's peak during one call.",
        "- **Ours new process**: `probe.py FILE`, a fresh Python process that imports the "
        "reader and reads one header, wall time end to end (interpreter start and imports "
        f"included, like the recipe's JVM start), median of {settings.probe_repeats}; peak RSS "
        "of that process.",
        "- **Ours WebHDFS**: `read_header(AvroIngestHdfsHook().range_reader(PATH))`, each "
        "read one WebHDFS OPEN with offset and length (NameNode redirect, then DataNode), "
        f"median of {settings.hdfs_repeats} calls after one warm-up call.",
        "- **Schema check**: the schema from ours (local and WebHDFS), from the recipe (when it "
        "succeeds) and from `avro-tools getschema` on the full file all equal the writer "
        "schema fastavro reads from the full file (avro-tools' output after fastavro's "
        "parsing, since it prints `name` and `namespace` apart where fastavro writes the full "
        "name; docs, defaults and logical types still count).",
        "- Speed-up = recipe time / ours time, per file. Times are wall-clock medians; files "
        "were in the page cache (as were HDFS' block files).",
        "",
        "## Files",
        "",
        "Generated with fastavro, deflate, every field documented (`doc` of about 110 "
        "characters), types cycling through long, string, double, int, boolean, "
        "[null, string] and timestamp-millis. A few distinct blocks are encoded and appended "
        "in turn until the file reaches its size; generation is not part of the benchmark.",
        "",
        *rows_files,
        "",
        "## Time per file",
        "",
        *rows_time,
        "",
        "## Bytes read and memory",
        "",
        *rows_bytes,
        "",
    ]
    output.write_text("\n".join(lines))


# --- main ------------------------------------------------------------------------------------


def specs(quick: bool) -> list[FileSpec]:
    sizes = SIZES[:2] if quick else SIZES
    return [FileSpec(columns, target, label) for columns in COLUMNS for label, target in sizes]


def clean(use_hdfs: bool) -> None:
    shutil.rmtree(DATA, ignore_errors=True)
    print(f"deleted {DATA}")
    if use_hdfs:
        make_hook().delete(HDFS_DIR, recursive=True)
        print(f"deleted hdfs://{HDFS_DIR}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="skip the 1 GB files, fewer repeats")
    parser.add_argument("--no-hdfs", action="store_true", help="skip the WebHDFS measurements")
    parser.add_argument("--clean", action="store_true", help="delete generated files and exit")
    parser.add_argument("--output", type=Path, default=RESULTS_MD, help="results Markdown file")
    args = parser.parse_args(argv)
    settings = Settings.make(quick=args.quick, use_hdfs=not args.no_hdfs)
    if args.clean:
        clean(settings.use_hdfs)
        return 0

    run_started = time.perf_counter()
    env = stack_env()
    jar = env["AVRO_TOOLS_JAR"]
    java = find_java()
    if not Path(GNU_TIME).exists():
        raise SystemExit(f"{GNU_TIME} is missing (peak RSS); install it: apt-get install -y time")
    hook = make_hook() if settings.use_hdfs else None

    files: list[GeneratedFile] = []
    for spec in specs(settings.quick):
        print(f"file {spec.name}", flush=True)
        generated = ensure_file(spec, DATA)
        files.append(generated)
        if hook is not None:
            ensure_on_hdfs(hook, generated.path, f"{HDFS_DIR}/{spec.name}")

    results: list[FileResult] = []
    with tempfile.TemporaryDirectory(prefix="bench-schema-read-") as tmp_name:
        tmp = Path(tmp_name)
        # Warm-up (not measured): page cache for the jar, the JVM's class data sharing.
        run_measured([java, "-jar", jar, "getschema", str(files[0].path)], tmp / "w", tmp / "e")
        info: dict[str, Any] = {
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": machine(),
            "versions": versions(java, jar, env),
            "jvm_start_seconds": jvm_start(java, settings.recipe_repeats, tmp),
            "bare_open_seconds": (
                bare_open_seconds(hook, f"{HDFS_DIR}/{files[0].path.name}", settings.hdfs_repeats)
                if hook is not None
                else None
            ),
        }
        for generated in files:
            print(f"measure {generated.path.name}", flush=True)
            expected = expected_schema(generated.path)
            recipe = measure_recipe(
                generated.path, expected, java, jar, tmp, settings.recipe_repeats
            )
            local = measure_local(generated.path, expected, settings)
            probe = measure_probe(generated.path, tmp, settings.probe_repeats)
            hdfs = (
                measure_hdfs(
                    hook, f"{HDFS_DIR}/{generated.path.name}", expected, settings.hdfs_repeats
                )
                if hook is not None
                else None
            )
            full_ok = avro_tools_full_file(generated.path, expected, java, jar, tmp)
            result = FileResult(generated, recipe, local, probe, hdfs, full_ok)
            results.append(result)
            print(
                f"  recipe {median(recipe.seconds):.3f} s ({'ok' if recipe.ok else recipe.error})"
                f" | ours local {median(local.seconds) * 1000:.3f} ms, {local.bytes_read:,} B"
                + (f" | WebHDFS {median(hdfs.seconds) * 1000:.2f} ms" if hdfs else "")
                + f" | schema {'ok' if result.schema_ok else 'MISMATCH'}",
                flush=True,
            )

    info["run_minutes"] = (time.perf_counter() - run_started) / 60
    info["loadavg_end"] = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    write_report(results, settings, info, args.output)
    RESULTS_JSON.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_JSON.write_text(
        json.dumps(
            {"settings": asdict(settings), "info": info, "results": [asdict(r) for r in results]},
            indent=2,
            default=str,
        )
        + "\n"
    )
    print(f"wrote {args.output} and {RESULTS_JSON}")
    return 0 if all(r.schema_ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
