"""The pipeline's steps as plain functions over the service protocols (ports.py). Each Airflow
task calls one of them; each returns a JSON-ready dict for XCom.

    plan_run       detect complete files, read schemas and counts, quarantine bad files,
                   group by schema and table, claim each batch by rename
    load_table     for one target table: convert its batches (one INSERT each) and verify
    archive        move verified batch folders to _archive/<day>/ (one rename per batch)
    teardown       drop the temporary tables and delete the schema files, always
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import fastavro

from avro_ingest.batch import BatchPlan, group_into_batches
from avro_ingest.claim import QuarantineRecord, claim_batch, quarantine, recover_staged_batches
from avro_ingest.config import IngestConfig
from avro_ingest.convert import (
    ConversionResult,
    SchemaConflict,
    convert_batch,
    plan_for,
    schema_json,
)
from avro_ingest.detect import detect
from avro_ingest.inspect_files import Rejection, inspect_files
from avro_ingest.layout import (
    archive_folder,
    manifest_path,
    schema_file,
    staging_folder,
    temp_table_name,
)
from avro_ingest.plan import render_drop_table
from avro_ingest.ports import FileSystem, SqlRunner, StatementFailed
from avro_ingest.verify import VerificationFailed, count_partition_rows, verify_counts

__all__ = ["archive", "load_table", "plan_run", "teardown"]

log = logging.getLogger(__name__)


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _record(rejection: Rejection, run_id: str) -> QuarantineRecord:
    return QuarantineRecord(
        source=rejection.entry.path,
        error_class=rejection.error_class,
        reason=rejection.reason,
        message=rejection.message,
        step=rejection.step,
        time=_utc_now().isoformat(),
        run_id=run_id,
    )


def plan_run(fs: FileSystem, config: IngestConfig, *, run_id: str) -> dict[str, Any]:
    now = _utc_now()
    day = now.date().isoformat()
    steps: dict[str, float] = {}

    started = time.monotonic()
    candidates: list[tuple[str, Any, Any]] = []
    empties: list[Rejection] = []
    waiting = 0
    for landing in config.landing_paths:
        found = detect(
            fs.list_files(landing, recursive=config.recursive),
            now_ms=int(now.timestamp() * 1000),
            quiet_period_seconds=config.quiet_period_seconds,
            require_success_marker=config.require_success_marker,
        )
        waiting += len(found.waiting)
        candidates.extend((landing, e, found.sidecars.get(e.path)) for e in found.ready)
        empties.extend(
            Rejection(
                e,
                landing,
                "EmptyFile",
                "empty_file",
                f"{e.path}: file is empty (0 bytes)",
                "detect",
            )
            for e in found.empty
        )
    steps["detect"] = time.monotonic() - started

    infos, rejected, steps["inspect"] = inspect_files(
        fs,
        candidates,
        table_rule=config.table_name_rule,
        table_prefix=config.table_prefix,
        threads=config.header_read_threads,
    )
    rejected = empties + rejected
    batches = group_into_batches(
        infos,
        database=config.database,
        ingest_date=day,
        max_files=config.max_files_per_batch,
        max_bytes=config.max_bytes_per_batch,
    )

    started = time.monotonic()
    quarantined: list[dict[str, Any]] = []
    claimed: list[BatchPlan] = []
    if config.dry_run:
        claimed = batches
        quarantined = [r.to_dict() | {"would_move_to": "_quarantine"} for r in rejected]
    else:
        for rejection in rejected:
            target = quarantine(fs, rejection.landing, day, _record(rejection, run_id))
            if target is not None:
                quarantined.append(rejection.to_dict() | {"quarantined_to": target})
        claimed = recover_staged_batches(fs, config.landing_paths)
        if claimed:
            log.info("resuming %d batch(es) left in staging by an earlier run", len(claimed))
        for batch in batches:
            got = claim_batch(fs, batch)
            if got.files:
                claimed.append(got)
    steps["claim"] = time.monotonic() - started

    plan_issues: list[str] = []
    for batch in claimed:
        issues = plan_for(batch).impala_issues(config.impala_version_tuple)
        plan_issues.extend(f"{batch.database}.{batch.table}: {issue}" for issue in issues)
    for issue in plan_issues:
        log.warning("Impala %s cannot read %s", config.impala_version, issue)

    by_table: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for batch in claimed:
        by_table[f"{batch.database}.{batch.table}"].append(batch.to_dict())
    return {
        "run_id": run_id,
        "dry_run": config.dry_run,
        "tables": [{"table": name, "batches": group} for name, group in sorted(by_table.items())],
        "quarantined": quarantined,
        "waiting": waiting,
        "impala_issues": plan_issues,
        "step_seconds": steps,
    }


def _undecodable_files(fs: FileSystem, batch: BatchPlan) -> list[tuple[str, str]]:
    """Files of a batch that Avro itself cannot decode (used only after Hive failed)."""
    bad: list[tuple[str, str]] = []
    for staged in batch.files:
        try:
            with fs.open_stream(staged.staged) as stream:
                for _ in fastavro.reader(stream):  # type: ignore[arg-type]
                    pass
        except Exception as error:
            bad.append((staged.source, f"{type(error).__name__}: {error}"))
    return bad


def _quarantine_from_staging(
    fs: FileSystem,
    batch: BatchPlan,
    messages: dict[str, str],
    *,
    error_class: str,
    reason: str,
    run_id: str,
) -> list[dict[str, Any]]:
    """Set aside staged files of a batch (source path -> why), after Hive met them."""
    day = _utc_now().date().isoformat()
    moved = []
    for staged in batch.files:
        if staged.source not in messages:
            continue
        record = QuarantineRecord(
            source=staged.staged,
            error_class=error_class,
            reason=reason,
            message=f"{staged.source}: {messages[staged.source]}",
            step="convert",
            time=_utc_now().isoformat(),
            run_id=run_id,
        )
        moved.append(
            {
                "path": staged.source,
                "reason": reason,
                "message": record.message,
                "error_class": error_class,
                "step": "convert",
                "quarantined_to": quarantine(fs, batch.landing, day, record),
            }
        )
    return moved


def load_table(
    fs: FileSystem,
    hive: SqlRunner,
    table_group: dict[str, Any],
    config: IngestConfig,
    *,
    run_id: str,
) -> dict[str, Any]:
    """Convert and verify every batch of one target table, one after the other (one writer
    per table). A failing batch is reported and leaves its files in staging; the others go
    on. Raises only for transient errors (the task retries)."""
    results: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    quarantined: list[dict[str, Any]] = []
    steps = {"convert": 0.0, "verify": 0.0}
    for data in table_group["batches"]:
        batch = BatchPlan.from_dict(data)
        if not config.dry_run:
            fs.write_bytes(schema_file(batch.landing, batch.batch_id), schema_json(batch))
        try:
            result = _convert_with_culprits(fs, hive, batch, config, run_id, quarantined, steps)
        except SchemaConflict as conflict:
            quarantined.extend(
                _quarantine_from_staging(
                    fs,
                    batch,
                    {f.source: str(conflict) for f in batch.files},
                    error_class="SchemaConflict",
                    reason=SchemaConflict.reason,
                    run_id=run_id,
                )
            )
            fs.delete(batch.folder, recursive=True)
            continue
        except (StatementFailed, VerificationFailed) as error:
            log.error("batch %s failed: %s", batch.batch_id, error)
            failed.append(
                {"batch_id": batch.batch_id, "table": table_group["table"], "error": str(error)}
            )
            continue
        if result is not None:
            results.append(result.to_dict())
    return {
        "table": table_group["table"],
        "results": results,
        "failed": failed,
        "quarantined": quarantined,
        "step_seconds": steps,
    }


def _convert_with_culprits(
    fs: FileSystem,
    hive: SqlRunner,
    batch: BatchPlan,
    config: IngestConfig,
    run_id: str,
    quarantined: list[dict[str, Any]],
    steps: dict[str, float],
) -> ConversionResult | None:
    started = time.monotonic()
    try:
        result = convert_batch(
            hive,
            batch,
            target_root=config.target_root,
            parquet_file_size_bytes=config.parquet_file_size_bytes,
            dry_run=config.dry_run,
        )
    except StatementFailed as failure:
        # Hive decodes every value; our checks read only headers and block framing. Find the
        # files Avro cannot decode, set them aside, and load the rest once more.
        bad = _undecodable_files(fs, batch)
        if not bad:
            raise
        log.warning(
            "Hive failed on batch %s (%s); quarantining %d undecodable file(s)",
            batch.batch_id,
            failure,
            len(bad),
        )
        quarantined.extend(
            _quarantine_from_staging(
                fs,
                batch,
                dict(bad),
                error_class="UndecodableFile",
                reason="undecodable",
                run_id=run_id,
            )
        )
        batch = batch.without({source for source, _ in bad})
        if batch.files:
            fs.write_bytes(
                manifest_path(batch.landing, batch.batch_id),
                json.dumps(batch.to_dict(), indent=1).encode(),
            )
        else:
            fs.delete(batch.folder, recursive=True)
            return None
        result = convert_batch(
            hive,
            batch,
            target_root=config.target_root,
            parquet_file_size_bytes=config.parquet_file_size_bytes,
        )
    steps["convert"] += time.monotonic() - started
    if config.dry_run:
        return result
    started = time.monotonic()
    result.rows_verified = verify_counts(
        batch.batch_id, batch.records, count_partition_rows(hive, batch)
    )
    steps["verify"] += time.monotonic() - started
    return result


def archive(
    fs: FileSystem, loads: Sequence[dict[str, Any]], plan: dict[str, Any]
) -> dict[str, Any]:
    """Move each verified batch's folder to _archive/<day>/ in one rename."""
    started = time.monotonic()
    day = _utc_now().date().isoformat()
    landing_of = {b["batch_id"]: b["landing"] for group in plan["tables"] for b in group["batches"]}
    moved = []
    for load in loads:
        for result in load["results"]:
            if result["dry_run"] or result["rows_verified"] is None:
                continue
            landing = landing_of[result["batch_id"]]
            source = staging_folder(landing, result["batch_id"])
            target = archive_folder(landing, day, result["batch_id"])
            fs.makedirs(target.rsplit("/", 1)[0])
            if fs.rename(source, target):
                moved.append(target)
            elif fs.exists(target):
                moved.append(target)  # archived by an earlier try of this task
            else:
                raise RuntimeError(f"could not archive {source} to {target}")
    return {"batches": moved, "seconds": time.monotonic() - started}


def teardown(fs: FileSystem, hive: SqlRunner, plan: dict[str, Any]) -> dict[str, Any]:
    """Drop every temporary table and schema file of the run's batches, whatever happened."""
    dropped = []
    statements = []
    for group in plan.get("tables", []):
        for data in group["batches"]:
            statements.append(
                render_drop_table(data["database"], temp_table_name(data["batch_id"]))
            )
            path = schema_file(data["landing"], data["batch_id"])
            fs.delete(path)
            dropped.append(temp_table_name(data["batch_id"]))
    if statements and not plan.get("dry_run"):
        hive.run_statements(statements)
    return {"dropped_tables": dropped}
