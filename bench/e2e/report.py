"""bench/RESULTS.md and the plots, from one run's figures (run.py calls write(); the figures
of a run are also kept in bench/.work/e2e/results-<mode>.json, so that

    .venv/bin/python bench/e2e/report.py bench/.work/e2e/results-full.json

renders the page again without running anything)."""

# ruff: noqa: E501  (Markdown table rows)

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
MB = 1e6


def _f(x: Any, digits: int = 1) -> str:
    if x is None or x == "":
        return "–"
    if isinstance(x, float):
        return f"{x:,.{2 if abs(x) < 1 else digits}f}"
    if isinstance(x, int):
        return f"{x:,}"
    return str(x)


def _row(cells: list[Any]) -> str:
    return "| " + " | ".join(_f(c) if not isinstance(c, str) else c for c in cells) + " |"


def _mem(r: dict[str, Any], key: str) -> Any:
    return r.get("peak_mb", {}).get(key) or None


def _median(values: list[float]) -> float:
    return float(statistics.median(values))


def _targets(
    small: dict[str, Any],
    large: dict[str, Any],
    ss: dict[str, Any],
    sl: dict[str, Any],
    n_small: int,
    quick: bool,
    pairs: dict[str, Any] | None = None,
    pairs_large: dict[str, Any] | None = None,
) -> list[str]:
    """The targets' table (issue: the small set, the large file, the overhead, the worker)
    for one engine's runs of the DAG and the Spark runs beside them. With alternating pairs,
    the ratio to Spark, the CPU use and the overhead are judged from the pairs' median: one
    run against one Spark run is noise, and the first run meets a colder stack."""
    L = ["| Target | Measured | Met? |", "|---|---|---|"]
    add = L.append

    def target(name: str, measured: str, ok: bool, miss: str) -> None:
        add(f"| {name} | {measured} | {'yes' if ok else '**no**: ' + miss} |")

    def ratio(
        name: str, first: float, dag: float, spark: float, runs: dict[str, Any] | None, goal: float
    ) -> None:
        if runs:
            x = float(runs["median_ratio"])
            measured = (
                f"median {x:.2f}× of {len(runs['ratios'])} alternating pairs ("
                + ", ".join(f"{r:.2f}×" for r in runs["ratios"])
                + f"); the first run above {first:.2f}×"
            )
            at = min(range(len(runs["ratios"])), key=lambda k: abs(runs["ratios"][k] - x))
            dag, spark = runs["dag_seconds"][at], runs["spark_seconds"][at]  # the median pair
        else:
            x = first
            measured = f"{x:.2f}× ({dag} s against Spark's {spark} s)"
        target(
            name,
            measured,
            x >= goal,
            f"needs ≤ {spark / goal:.1f} s, {dag - spark / goal:.1f} s too slow",
        )

    if small:
        w = small["seconds"]
        target(
            f"{n_small} small files through the DAG ≤ 40 s",
            f"{w} s",
            w <= 40,
            f"{w - 40:.0f} s over ({w / 40:.1f}×)" + (" (quick mode: 200 files)" if quick else ""),
        )
        if ss:
            ratio("Small set ≥ 1.3× Spark", ss["seconds"] / w, w, ss["seconds"], pairs, 1.3)
    if large:
        w = large["seconds"]
        if sl:
            ratio("Large file ≥ 1.1× Spark", sl["seconds"] / w, w, sl["seconds"], pairs_large, 1.1)
        cpu = large.get("cpu_during_conversion")
        cpus = [c for c in (pairs_large or {}).get("cpu_during_conversion", []) if c is not None]
        if cpus:
            cpu = _median(cpus)
        if cpu is not None:
            target(
                "Both cores busy while the large file converts",
                f"{cpu:.0%} of both cores"
                + (
                    f" (median of the pairs: {', '.join(f'{c:.0%}' for c in cpus)})" if cpus else ""
                ),
                cpu >= 0.8,
                f"{cpu:.0%} (one core is 50%)",
            )
    for name, r, runs in (("small set", small, pairs), ("large file", large, pairs_large)):
        if r:
            share = r["overhead_share"]
            shares = (runs or {}).get("overhead_shares") or []
            measured = f"{share:.0%}"
            if shares:
                measured = (
                    f"median {_median(shares):.0%} of the pairs ("
                    + ", ".join(f"{x:.0%}" for x in shares)
                    + f"); the first run above {share:.0%}"
                )
                share = _median(shares)
            target(
                f"Overhead outside Hive < 10% of wall time ({name})",
                measured,
                share < 0.10,
                f"{share - 0.10:.0%} points over",
            )
    if small:
        worker = max(_mem(small, "worker") or 0, _mem(large, "worker") or 0)
        target(
            "Airflow worker peak memory < 500 MB",
            f"{worker} MB",
            worker < 500,
            f"{worker - 500:.0f} MB over",
        )
    return L


def _median_pair(pairs: list[dict[str, Any]], dag: str, spark: str) -> dict[str, Any]:
    """The pair whose Spark-over-DAG ratio is the median (the lower one of an even count)."""
    ranked = sorted(pairs, key=lambda p: p[spark]["seconds"] / p[dag]["seconds"])
    return ranked[(len(ranked) - 1) // 2]


ENGINE_NAMES = {
    "tez-yarn": "Tez on YARN",
    "mr": "MapReduce alone",
    "tez": "Tez in local mode",
}


def _engine_said(engine: str) -> str:
    """What a stack with this engine does with the pipeline's batches."""
    if engine == "tez-yarn":
        return (
            "HiveServer2 runs Tez on YARN, one Tez session open with its application master and "
            "one task container a core held; the pipeline converts a batch alone in its run "
            "(from `spread_alone_min_mib`) or above `local_mode_max_mib` there, and the others "
            "inside HiveServer2 as MapReduce in local mode"
        )
    return (
        "HiveServer2 runs MapReduce: a batch up to `local_mode_max_mib` inside itself in local "
        "mode, a larger one as a MapReduce job on YARN (no warm containers, so a lone batch "
        "stays local)"
    )


def _other_engine_section(part: dict[str, Any], n_small: int, quick: bool) -> list[str]:
    """The run's second part: the same DAG and data with HiveServer2 on the stack's other
    engine."""
    tez = part
    engine = part.get("engine", "tez-yarn")  # runs before the part named its engine: Tez
    L = [f"## The same run on {ENGINE_NAMES.get(engine, engine)}", ""]
    add = L.append
    at = tez["at"].replace("T", " ")[:16]
    first = tez.get("first") or {}
    add(
        f"After the runs above the stack was restarted with `AVRO_INGEST_HIVE_ENGINE={engine}` "
        f"({at} UTC, {_f(tez.get('restart_seconds'))} s): {_engine_said(engine)}. The same "
        "data, the same DAG, Spark again beside it, alternating; the stack went back afterwards "
        f"({_f(tez.get('restart_back_seconds'))} s)."
        + (
            f" The first run after the start, the 115 MB file: {first['seconds']} s "
            f"(Hive {first['hive_seconds']} s)."
            if first
            else ""
        )
    )
    add("")
    if tez.get("error"):
        add(f"**This part failed:** `{tez['error'][:500]}`")
        add("")
    pairs = tez.get("pairs") or []
    if not pairs:
        return L
    add(
        "| pair | DAG, small set | outside Hive | Spark | Spark over DAG "
        "| DAG, large file | CPU while converting | outside Hive | Spark | Spark over DAG |"
    )
    add("|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for k, pr in enumerate(pairs):
        ds, ss, dl, sl = pr["dag_small"], pr["spark_small"], pr["dag_large"], pr["spark_large"]
        cpu = dl.get("cpu_during_conversion")
        add(
            _row(
                [
                    str(k + 1),
                    f"{ds['seconds']} s",
                    f"{ds['overhead_share']:.0%}",
                    f"{ss['seconds']} s",
                    f"{ss['seconds'] / ds['seconds']:.2f}×",
                    f"{dl['seconds']} s",
                    f"{cpu:.0%}" if cpu is not None else "–",
                    f"{dl['overhead_share']:.0%}",
                    f"{sl['seconds']} s",
                    f"{sl['seconds'] / dl['seconds']:.2f}×",
                ]
            )
        )
    add("")
    small_pair = _median_pair(pairs, "dag_small", "spark_small")
    large_pair = _median_pair(pairs, "dag_large", "spark_large")
    hs2 = max(_mem(r, "hs2") or 0 for pr in pairs for r in (pr["dag_small"], pr["dag_large"]))
    add(
        f"The targets on {ENGINE_NAMES.get(engine, engine)}, from the pair with the median "
        "ratio for each shape "
        f"(pair {pairs.index(small_pair) + 1} for the small set, pair "
        f"{pairs.index(large_pair) + 1} for the large file). HiveServer2's peak in these runs: "
        f"{hs2} MB."
    )
    add("")
    L.extend(
        _targets(
            small_pair["dag_small"],
            large_pair["dag_large"],
            small_pair["spark_small"],
            large_pair["spark_large"],
            n_small,
            quick,
        )
    )
    add("")
    return L


def write(R: dict[str, Any], md: Path, plots: Path, plot_python: Path) -> None:
    v = R["versions"]
    quick = R["mode"] == "quick"
    small, large = R.get("dag_small", {}), R.get("dag_large", {})
    rs, rl = R.get("recipe_small", {}), R.get("recipe_large", {})
    ss, sl = R.get("spark_small", {}), R.get("spark_large", {})
    cs, cl = R.get("copy_small", {}), R.get("copy_large", {})
    n_small = small.get("files", 0)
    L: list[str] = []
    add = L.append
    add("# End-to-end benchmark: Avro on HDFS to Parquet tables")
    add("")
    add(
        f"Generated by `make bench` (`bench/e2e/run.py`{' --quick' if quick else ''}) on "
        f"{R['started'].replace('T', ' ').replace('+00:00', '')} UTC; the whole run took {R['total_seconds'] / 60:.1f} min."
        + (
            " **Quick mode: 200 small files and a 115 MB file stand in for the 1,000 files and "
            "the 1 GB file; the targets are about the full run.**"
            if quick
            else ""
        )
    )
    add("")
    add(
        f"- Machine: {v['cpu']}, {v['cores']} cores, {v['memory_gib']} GiB memory, Linux "
        f"{v['kernel']}. The stack (NameNode, DataNode, YARN's ResourceManager and "
        f"NodeManager, HiveServer2) runs on the same machine: {_engine_said(v.get('engine', 'mr'))}. "
        + (
            f"Load average (1 min) at the start and end of the run: "
            f"{R['load_average']['start']} and {R['load_average']['end']}. "
            if R.get("load_average")
            else ""
        )
        + "On this virtual machine figures vary by ±15% from run to run even when it is idle."
    )
    add(
        f"- Versions: Hadoop {v['hadoop']}, Hive {v['hive']}"
        + (f", Tez {v['tez']}" if v.get("tez") else "")
        + f", Apache Airflow {v['airflow']}, "
        f"Python {v['python']}, fastavro {v['fastavro']}, {v['java']}, avro-tools "
        f"{v['avro_tools']} (Maven Central), pyspark {v['pyspark']} with "
        "org.apache.spark:spark-avro_2.13:4.2.0."
    )
    add("")
    add("## Data")
    add("")
    add(
        "Generated with fastavro by `bench/e2e/generate.py` (cached in bench/.work, not timed): "
        "columns cycle through long, string (5–40 characters), double, int, boolean, "
        "[null, string], [null, long], timestamp-millis, date and decimal(12,2) on bytes, each "
        "with a `doc`; column 0 is a row id unique over the set. Longs, doubles, ints, times "
        "and dates are random per row over wide ranges; strings and decimals are drawn per row "
        "from 200,000 distinct values each. Small files alternate deflate and snappy; the "
        "large file is deflate."
    )
    add("")
    add("| Set | Files | Rows | Columns | Size | Codec | Generated in | Upload (`-put -t 4`) |")
    add("|---|--:|--:|--:|--:|---|--:|--:|")
    for key, info in R["sets"].items():
        spec = info["spec"]
        up = R["uploads"].get(key, {}).get("uploaded_seconds")
        add(
            _row(
                [
                    f"`{key}`",
                    info["files"],
                    info["rows"],
                    spec["columns"],
                    f"{info['bytes'] / MB:,.0f} MB",
                    spec["codec"],
                    f"{info['generated_seconds']} s",
                    f"{up} s" if up else "cached",
                ]
            )
        )
    add("")
    add("## Results")
    add("")
    add(
        "Wall time end to end for each contender, rows/s and MB/s of Avro input. Parquet "
        "files: files in the target folder afterwards. Peak memory: resident set, polled "
        "every 0.1 s."
    )
    add("")
    add(
        "| Contender | Small set: wall | rows/s | MB/s | Parquet files | Large file: wall | rows/s | MB/s | Parquet files | Peak memory |"
    )
    add("|---|--:|--:|--:|--:|--:|--:|--:|--:|---|")
    if rs:
        ext = rs.get("extrapolated")
        add(
            _row(
                [
                    f"Manual recipe ({rs['label']}{'; **extrapolated** ×' + str(round(n_small / rs['files'])) + ' to ' + str(n_small) if ext else ''})",
                    f"{rs['extrapolated_seconds']:,.0f} s{' (extrapolated)' if ext else ''}",
                    rs["rows_per_s"],
                    rs["mb_per_s"],
                    f"{rs['parquet_files']} for {rs['files']} files",
                    f"{rl['seconds']} s" if rl else "–",
                    rl.get("rows_per_s"),
                    rl.get("mb_per_s"),
                    rl.get("parquet_files"),
                    f"HiveServer2 {_mem(rs, 'hs2')} MB",
                ]
            )
        )
    if small:
        add(
            _row(
                [
                    "**Our DAG** (`dag.test()`, as a user runs it)",
                    f"**{small['seconds']} s**",
                    small["rows_per_s"],
                    small["mb_per_s"],
                    small["parquet_files"],
                    f"**{large['seconds']} s**" if large else "–",
                    large.get("rows_per_s"),
                    large.get("mb_per_s"),
                    large.get("parquet_files"),
                    f"Airflow worker {max(_mem(small, 'worker') or 0, _mem(large, 'worker') or 0)} MB; "
                    f"HiveServer2 {max(_mem(small, 'hs2') or 0, _mem(large, 'hs2') or 0)} MB",
                ]
            )
        )
    if ss:
        add(
            _row(
                [
                    f"Spark local[*] ({v['cores']} cores), JVM start included",
                    f"{ss['seconds']} s",
                    ss["rows_per_s"],
                    ss["mb_per_s"],
                    ss["parquet_files"],
                    f"{sl['seconds']} s" if sl else "–",
                    sl.get("rows_per_s"),
                    sl.get("mb_per_s"),
                    sl.get("parquet_files"),
                    f"driver {max(_mem(ss, 'child') or 0, _mem(sl, 'child') or 0)} MB",
                ]
            )
        )
    if cs:
        add(
            _row(
                [
                    "Ceiling: HDFS→HDFS copy (`hdfs dfs -cp -t 4`)",
                    f"{cs['seconds']} s",
                    cs["rows_per_s"],
                    cs["mb_per_s"],
                    "–",
                    f"{cl['seconds']} s" if cl else "–",
                    cl.get("rows_per_s"),
                    cl.get("mb_per_s"),
                    "–",
                    "–",
                ]
            )
        )
    add("")
    if rs:
        steps = ", ".join(f"{k} {val:.2f} s" for k, val in rs["steps_per_file"].items())
        add(
            f"The recipe per small file: {rs['per_file_seconds']} s ({steps}). "
            + (
                f"Its {n_small}-file figure is **an extrapolation** from {rs['files']} files "
                "(`--recipe-all` runs it on all of them). "
                if rs.get("extrapolated")
                else ""
            )
            + "The recipe's Hive statements go through one HiveServer2 session (a user with "
            "beeline would start a JVM per statement as well), and `head -c` reads the local "
            "copy of the file; both flatter it."
        )
        add("")
    wide_r, wide_d = R.get("recipe_wide", {}), R.get("dag_wide", {})
    if wide_r:
        add(
            f"500 columns ({wide_r['label']}): the recipe's `head -c 51200 | avro-tools getschema` "
            f"outcome: {'; '.join(wide_r['getschema_outcomes'])} (the header alone is larger than "
            "50 KB). To time the rest of the recipe, its later steps used the schema of the full "
            f"file (`getschema` on the whole file, {wide_r['getschema_full_file_fallback_seconds']} s "
            f"in all, not counted): {wide_r['per_file_seconds']} s per file, "
            f"{wide_r['rows_per_s']:,} rows/s. "
            + (
                f"Our DAG on the 20 wide files: {wide_d['seconds']} s, {wide_d['rows_per_s']:,} "
                f"rows/s, {wide_d['mb_per_s']} MB/s, {wide_d['parquet_files']} Parquet file(s)."
                if wide_d
                else ""
            )
        )
        add("")
    add("## Other figures")
    add("")
    sr = R.get("schema_reading", {})
    st = small.get("step_seconds", {})
    find_claim = sum(st.get(k, 0.0) for k in ("detect", "inspect", "claim"))
    add("| Figure | Value |")
    add("|---|---|")
    if sr:
        add(
            f"| Schema reading per file, ours (header reader over WebHDFS, median of {sr['files']}) | {sr['median_ms']} ms, {sr['bytes_per_file']:,} bytes read |"
        )
    if rs:
        add(
            f"| Schema reading per file, recipe (`head -c 51200` + avro-tools `getschema`) | {rs['steps_per_file']['getschema']} s, 51,200 bytes read |"
        )
    if small:
        add(
            f"| Find and claim {n_small} files (detect {st.get('detect', 0):.2f} s + read headers and counts {st.get('inspect', 0):.2f} s + claim by rename {st.get('claim', 0):.2f} s) | {find_claim:.2f} s |"
        )
        add(
            f"| Pipeline overhead outside Hive statements, small set | {small['overhead_seconds']} s of {small['seconds']} s = **{small['overhead_share']:.0%}** |"
        )
    if large:
        add(
            f"| Pipeline overhead outside Hive statements, large file | {large['overhead_seconds']} s of {large['seconds']} s = **{large['overhead_share']:.0%}** |"
        )
    if small:
        add(
            f"| Peak RSS of the Airflow worker process (dag.test runs the tasks in it) | {max(_mem(small, 'worker') or 0, _mem(large, 'worker') or 0)} MB |"
        )
        add(
            f"| Peak RSS of HiveServer2 during the DAG runs (-Xmx2g; MR local tasks run inside it) | {max(_mem(small, 'hs2') or 0, _mem(large, 'hs2') or 0)} MB |"
        )
    add(
        f"| DAG parse time (`DagBag(dag_folder=dags)`, fresh process, median of 3) | {R['dag_parse_seconds']} s |"
    )
    if R.get("airflow_warm_up_seconds") is not None:
        add(
            "| A first, untimed `dag.test()` run with nothing to do (Airflow starts its execution "
            "API inside the process on the first run; a deployed Airflow has it running) | "
            f"{R['airflow_warm_up_seconds']} s |"
        )
    add("")
    engines = R.get("engines") or []
    if engines:
        add("## Where a batch converts: inside HiveServer2 or on YARN")
        add("")
        add(
            "The runs above use the shipped settings, which choose per batch where it "
            "converts (`local_mode_max_mib`, `spread_alone_min_mib`). Here every batch is sent "
            "one way: all on YARN (`local_mode_max_mib=0`, the server's engine) or all inside "
            "HiveServer2 (MapReduce in local mode). CPU: the machine's mean use of all its cores "
            "while the conversions (`INSERT`) ran, sampled every 0.5 s."
        )
        add("")
        add("| Run | Wall | rows/s | Hive | Outside Hive | CPU while converting | Batches |")
        add("|---|--:|--:|--:|--:|--:|--:|")
        for r in [small, large, *engines]:
            if not r or "seconds" not in r:
                continue
            cpu = r.get("cpu_during_conversion")
            name = r["label"] if r in engines else f"{r['label']} (shipped settings)"
            add(
                _row(
                    [
                        name,
                        f"{r['seconds']} s",
                        r["rows_per_s"],
                        f"{r['hive_seconds']} s",
                        f"{r['overhead_seconds']} s ({r['overhead_share']:.0%})",
                        f"{cpu:.0%}" if cpu is not None else "–",
                        r["batches"],
                    ]
                )
            )
        add("")
    ep = R.get("engine_pairs")
    if ep:

        def _runs(seconds: list[float], cpu: list[Any]) -> str:
            return ", ".join(
                f"{t} s" + (f" ({c:.0%} CPU)" if c is not None else "")
                for t, c in zip(seconds, cpu, strict=True)
            )

        add(
            f"The large file again, each engine in turn {len(ep['yarn_seconds'])} times "
            f"({ep['at'].replace('T', ' ')[:16]} UTC): on YARN "
            + _runs(ep["yarn_seconds"], ep["yarn_cpu"])
            + "; in HiveServer2 "
            + _runs(ep["hiveserver2_seconds"], ep["hiveserver2_cpu"])
            + "."
        )
        add("")
    add("## Targets")
    add("")
    L.extend(_targets(small, large, ss, sl, n_small, quick, R.get("pairs"), R.get("pairs_large")))
    add("")
    pairs = R.get("pairs")
    if pairs:
        add(
            f"DAG against Spark on the small set, run alternately {len(pairs['ratios'])} times"
            + (f" ({pairs['at'].replace('T', ' ')[:16]} UTC)" if pairs.get("at") else "")
            + ": DAG "
            + ", ".join(f"{x} s" for x in pairs["dag_seconds"])
            + "; Spark "
            + ", ".join(f"{x} s" for x in pairs["spark_seconds"])
            + f"; Spark's time over the DAG's, median {pairs['median_ratio']}× (target 1.3×)."
        )
        add("")
    pairs_large = R.get("pairs_large")
    if pairs_large:
        add(
            f"The same on the large file, {len(pairs_large['ratios'])} times: DAG "
            + ", ".join(f"{x} s" for x in pairs_large["dag_seconds"])
            + "; Spark "
            + ", ".join(f"{x} s" for x in pairs_large["spark_seconds"])
            + f"; Spark's time over the DAG's, median {pairs_large['median_ratio']}× "
            "(target 1.1×)."
        )
        add("")
    other = R.get("other_engine") or R.get("tez_yarn")
    if other:
        L.extend(_other_engine_section(other, n_small, quick))
    add("## Where the time goes")
    add("")
    for label, d in (("small set", small), ("large file", large)):
        if not d:
            continue
        steps = ", ".join(f"{k} {val:.2f} s" for k, val in d["step_seconds"].items())
        hive = ", ".join(
            f"`{k}` {val:.2f} s" for k, val in list(d["hive_by_statement"].items())[:6]
        )
        add(
            f"- DAG, {label} ({d['seconds']} s wall): the run summary's steps: {steps}. Wall "
            f"time with a Hive statement running {d['hive_seconds']} s "
            f"({1 - d['overhead_share']:.0%}); by statement, summed over the "
            f"{d.get('batches', 1)} batch(es)' sessions (they overlap when batches load side "
            f"by side): {hive}. Outside Hive: {d['overhead_seconds']} s (DAG parse and "
            "dag.test's scheduling of the tasks, WebHDFS listing, header reads, claims by "
            "rename, archive)."
            + (
                " Airflow's task instances (start to end, seconds): "
                + ", ".join(f"{k} {val:.2f}" for k, val in d.get("task_seconds", {}).items())
                + "."
                if d.get("task_seconds")
                else ""
            )
        )
    add("")
    add(
        "Inside the INSERT, Hive decodes Avro rows and writes Parquet in map tasks: in "
        "HiveServer2 (local mode) one map task at a time on one core; on YARN one container "
        "per split, as many at once as the NodeManager's memory allows, after the 15-20 s it "
        "takes to start an application master. The merge step (a second job) comes after it. "
        "The copy ceiling shows that HDFS itself is not the limit."
    )
    add("")
    add("## Tuning alternatives")
    add("")
    tuning = R.get("tuning", [])
    base = next((t for t in tuning if "baseline" in t["label"] and "error" not in t), None)
    if base:
        add(
            f"Each one is a DAG run on the same {base['files']} small files "
            f"({base['rows']:,} rows, {base['bytes'] / MB:,.0f} MB), with correctness checked "
            "(rows verified and read back, sampled values). Session settings were added to "
            "those of `conversion_settings()` for the run only; the DAG's Params were passed as "
            "run configuration."
        )
        add("")
        add(
            "| Alternative | Wall | rows/s | vs shipped | Hive s | Batches | Parquet files | Verdict |"
        )
        add("|---|--:|--:|--:|--:|--:|--:|---|")
        for t in tuning:
            if "error" in t:
                add(f"| {t['label']} | failed | – | – | – | – | – | {t['error'][:120]} |")
                continue
            gain = base["seconds"] / t["seconds"]
            if t is base:
                verdict = "shipped"
            elif gain >= 1.10:
                verdict = "**faster**: recommended"
            elif gain <= 0.90:
                verdict = "slower: not kept"
            else:
                verdict = "within run-to-run noise (±10%): not kept"
            add(
                _row(
                    [
                        t["label"],
                        f"{t['seconds']} s",
                        t["rows_per_s"],
                        f"{gain:.2f}×",
                        t["hive_seconds"],
                        t["batches"],
                        t["parquet_files"],
                        verdict,
                    ]
                )
            )
        add("")
    add(
        "Measured outside this table: `mapreduce.local.map.tasks.maximum` above 1 (two local "
        "map tasks of one statement fail in Parquet's `DictionaryValuesWriter`: they share one "
        "plan in the JVM); Tez local mode, slower and unable to run two tasks at once "
        "([RESULTS-tez-local.md](RESULTS-tez-local.md), `bench/engine_trial.py`); header "
        "reads and claims run in parallel already (`header_read_threads`, 16), their time is "
        "the *inspect* and *claim* steps above."
    )
    add("")
    add("## Plots")
    add("")
    add("![Throughput against batch size](e2e/plots/throughput_vs_batch_size.png)")
    add("")
    add("![Throughput against file size](e2e/plots/throughput_vs_file_size.png)")
    add("")
    if R.get("failures"):
        add("## Correctness failures")
        add("")
        for f in R["failures"]:
            add(f"- {f}")
        add("")
    else:
        add(
            "Correctness: every contender's row count (read back with "
            "`hive.compute.query.using.stats=false`, or by Spark) equals the generated rows, and "
            "the sampled rows' values match the generator's, in this run."
        )
        add("")
    analysis = HERE / "ANALYSIS.md"
    if analysis.exists():
        add(analysis.read_text().strip())
        add("")
    md.write_text("\n".join(L))
    results_json = Path(R.get("_json", "")) if R.get("_json") else None
    tmp = results_json or (REPO / "bench" / ".work" / "e2e" / f"results-{R['mode']}.json")
    if plot_python.exists():
        subprocess.run([str(plot_python), str(HERE / "plot.py"), str(tmp), str(plots)], check=False)


if __name__ == "__main__":
    path = Path(sys.argv[1])
    data = json.loads(path.read_text())
    data["_json"] = str(path)
    write(
        data,
        REPO / "bench" / "RESULTS.md",
        HERE / "plots",
        REPO / "bench" / ".work" / "venv" / "bin" / "python",
    )
