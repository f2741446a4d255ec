"""Plots of the end-to-end benchmark (run with the benchmark's virtualenv, which has
matplotlib): throughput against batch size and against file size.

    bench/.work/venv/bin/python bench/e2e/plot.py RESULTS.json PLOTS_DIR
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

R = json.loads(Path(sys.argv[1]).read_text())
out = Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)
MB = 1e6

# Throughput against batch size (files per Hive statement), the DAG on small files.
points = []
for t in R.get("tuning", []):
    if "error" in t or t.get("extra_settings") or t.get("split_folders"):
        continue
    per_batch = t["files"] / max(1, t["batches"])
    points.append((per_batch, t["rows_per_s"], t["mb_per_s"]))
if "dag_small" in R:
    d = R["dag_small"]
    points.append((d["files"] / max(1, d["batches"]), d["rows_per_s"], d["mb_per_s"]))
if "recipe_small" in R:
    r = R["recipe_small"]
    points.append((1, r["rows_per_s"], r["mb_per_s"]))
points.sort()
fig, ax = plt.subplots(figsize=(6.4, 4))
ax.plot([p[0] for p in points], [p[1] for p in points], "o-", label="rows/s")
for x, y, mbs in points:
    ax.annotate(f"{mbs:.2f} MB/s", (x, y), textcoords="offset points", xytext=(4, -12), fontsize=8)
ax.set_xscale("log")
ax.set_xlabel("files per batch (one Hive statement per batch; 1 = the recipe)")
ax.set_ylabel("rows/s, end to end")
ax.set_title("Small files (1,000 rows, 50 columns): throughput vs batch size")
ax.grid(True, which="both", alpha=0.3)
fig.tight_layout()
fig.savefig(out / "throughput_vs_batch_size.png", dpi=110)

# Throughput against file size: one file per run (the DAG, the recipe, Spark, the copy).
fig, ax = plt.subplots(figsize=(6.4, 4))
series: dict[str, list[tuple[float, float]]] = {}
for key, value in R.items():
    if not isinstance(value, dict) or "mb_per_s" not in value or "wide" in key:
        continue
    who = key.split("_")[0]
    size = value["bytes"] / max(1, value["files"]) / MB
    series.setdefault(who, []).append((size, value["mb_per_s"]))
names = {
    "dag": "our DAG",
    "recipe": "manual recipe",
    "spark": "Spark local[*]",
    "copy": "HDFS copy",
}
for who, pts in sorted(series.items()):
    pts.sort()
    ax.plot([p[0] for p in pts], [p[1] for p in pts], "o-", label=names.get(who, who))
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("Avro file size, MB (small-file runs: the mean size)")
ax.set_ylabel("MB/s of Avro, end to end")
ax.set_title("Throughput vs file size")
ax.grid(True, which="both", alpha=0.3)
ax.legend()
fig.tight_layout()
fig.savefig(out / "throughput_vs_file_size.png", dpi=110)
