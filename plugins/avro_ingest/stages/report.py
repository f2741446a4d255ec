"""The run summary: what was ingested, what was set aside and why, and how long each step took
(the task's return value, and a table in its log)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["render_summary", "summarise"]


def summarise(
    *,
    plan: Mapping[str, Any],
    loads: Sequence[Mapping[str, Any]],
    published: Sequence[Mapping[str, Any]],
    archived: Mapping[str, Any],
) -> dict[str, Any]:
    tables: dict[str, dict[str, Any]] = defaultdict(
        lambda: {
            "files": 0,
            "rows": 0,
            "bytes": 0,
            "batches": 0,
            "new_table": False,
            "schema_changes": [],
        }
    )
    step_seconds: dict[str, float] = dict(plan.get("step_seconds", {}))
    failed: list[dict[str, Any]] = []
    for load in loads:
        for result in load.get("results", []):
            row = tables[f"{result['database']}.{result['table']}"]
            row["files"] += result["files"]
            row["rows"] += result["rows_verified"] or 0
            row["bytes"] += result["bytes"]
            row["batches"] += 1
            row["new_table"] = row["new_table"] or result["new_table"]
            row["schema_changes"].extend(result.get("schema_changes", []))
        failed.extend(load.get("failed", []))
        for step, seconds in load.get("step_seconds", {}).items():
            step_seconds[step] = step_seconds.get(step, 0.0) + seconds
    quarantined = list(plan.get("quarantined", []))
    for load in loads:
        quarantined.extend(load.get("quarantined", []))
    for item in published:
        step_seconds["publish"] = step_seconds.get("publish", 0.0) + item.get("seconds", 0.0)
    step_seconds["archive"] = archived.get("seconds", 0.0)
    return {
        "dry_run": plan.get("dry_run", False),
        "tables": dict(tables),
        "files_ingested": sum(t["files"] for t in tables.values()),
        "rows_ingested": sum(t["rows"] for t in tables.values()),
        "bytes_ingested": sum(t["bytes"] for t in tables.values()),
        "quarantined": quarantined,
        "failed_batches": failed,
        "waiting_files": plan.get("waiting", 0),
        "archived_batches": archived.get("batches", []),
        "step_seconds": {k: round(v, 3) for k, v in step_seconds.items()},
    }


def render_summary(summary: Mapping[str, Any]) -> str:
    lines = ["table                                    files        rows          bytes  new"]
    for name, row in sorted(summary["tables"].items()):
        lines.append(
            f"{name:<40} {row['files']:>5} {row['rows']:>11} {row['bytes']:>14}  "
            f"{'yes' if row['new_table'] else 'no'}"
        )
    lines.append(
        f"{'total':<40} {summary['files_ingested']:>5} {summary['rows_ingested']:>11} "
        f"{summary['bytes_ingested']:>14}"
    )
    for name, row in sorted(summary["tables"].items()):
        if row.get("schema_changes"):
            lines.append(f"schema of {name}: {', '.join(row['schema_changes'])}")
    if summary["quarantined"]:
        lines.append(f"quarantined: {len(summary['quarantined'])} file(s)")
        for item in summary["quarantined"]:
            # The message names the file already.
            lines.append(f"  {item['reason']:<22} {item['message']}")
    if summary["failed_batches"]:
        lines.append(f"failed batches (sources stay in staging): {len(summary['failed_batches'])}")
        for item in summary["failed_batches"]:
            lines.append(f"  {item['batch_id']} ({item['table']}): {item['error']}")
    if summary["waiting_files"]:
        lines.append(f"not yet complete, left for a later run: {summary['waiting_files']} file(s)")
    lines.append(
        "step seconds: "
        + ", ".join(f"{step} {seconds:.2f}" for step, seconds in summary["step_seconds"].items())
    )
    if summary["dry_run"]:
        lines.append("dry run: nothing was moved, created or loaded")
    return "\n".join(lines)
