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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import fastavro

from avro_ingest.batch import BatchPlan, group_into_batches
from avro_ingest.claim import QuarantineRecord, claim_batch, quarantine, recover_staged_batches
from avro_ingest.config import IngestConfig
from avro_ingest.convert import (
    ConversionResult,
    PreparedTable,
    SchemaConflict,
    convert_batch,
    plan_for,
    prepare_table,
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
        parts=config.parallel_loads,
        min_part_bytes=config.min_parallel_batch_bytes,
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
            got = claim_batch(fs, batch, threads=config.header_read_threads)
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


@dataclass
class _BatchOutcome:
    result: ConversionResult | None = None
    failed: dict[str, Any] | None = None
    quarantined: list[dict[str, Any]] = field(default_factory=list)
    verify_seconds: float = 0.0


def _schema_runs(batches: Sequence[BatchPlan]) -> list[list[BatchPlan]]:
    """Consecutive batches with the same schema: each run needs the table prepared once, then
    its batches can load side by side."""
    runs: list[list[BatchPlan]] = []
    for batch in batches:
        if runs and runs[-1][0].fingerprint == batch.fingerprint:
            runs[-1].append(batch)
        else:
            runs.append([batch])
    return runs


def load_table(
    fs: FileSystem,
    hive: SqlRunner,
    table_group: dict[str, Any],
    config: IngestConfig,
    *,
    run_id: str,
) -> dict[str, Any]:
    """Convert and verify every batch of one target table. The table is created or evolved
    once per schema, then that schema's batches load `config.parallel_loads` at a time, each in
    its own HiveServer2 session and partition. A failing batch is reported and leaves its
    files in staging; the others go on. Raises only for transient errors (the task retries)."""
    table = table_group["table"]
    outcomes: list[_BatchOutcome] = []
    started = time.monotonic()
    batches = [BatchPlan.from_dict(data) for data in table_group["batches"]]
    with ThreadPoolExecutor(max_workers=max(1, config.parallel_loads)) as pool:
        for run in _schema_runs(batches):
            try:
                prepared = prepare_table(
                    hive, run[0], target_root=config.target_root, dry_run=config.dry_run
                )
            except SchemaConflict as conflict:
                outcomes.extend(
                    _BatchOutcome(quarantined=_set_aside_conflict(fs, batch, conflict, run_id))
                    for batch in run
                )
                continue
            except StatementFailed as error:
                outcomes.extend(_failed(batch, error) for batch in run)
                continue
            # The first batch reports what preparing the table did; the others found it ready.
            ready = PreparedTable(new_table=False, added_columns=(), statements=())
            outcomes.extend(
                pool.map(
                    lambda batch, table: _load_batch(fs, hive, batch, table, config, run_id),
                    run,
                    [prepared] + [ready] * (len(run) - 1),
                )
            )
    return {
        "table": table,
        "results": [o.result.to_dict() for o in outcomes if o.result is not None],
        "failed": [o.failed for o in outcomes if o.failed is not None],
        "quarantined": [moved for o in outcomes for moved in o.quarantined],
        # Wall time of the table's loads; verification overlaps other batches' conversions.
        "step_seconds": {
            "convert": time.monotonic() - started,
            "verify": sum(o.verify_seconds for o in outcomes),
        },
    }


def _failed(batch: BatchPlan, error: Exception) -> _BatchOutcome:
    log.error("batch %s failed: %s", batch.batch_id, error)
    table = f"{batch.database}.{batch.table}"
    return _BatchOutcome(failed={"batch_id": batch.batch_id, "table": table, "error": str(error)})


def _set_aside_conflict(
    fs: FileSystem, batch: BatchPlan, conflict: SchemaConflict, run_id: str
) -> list[dict[str, Any]]:
    moved = _quarantine_from_staging(
        fs,
        batch,
        {f.source: str(conflict) for f in batch.files},
        error_class="SchemaConflict",
        reason=SchemaConflict.reason,
        run_id=run_id,
    )
    fs.delete(batch.folder, recursive=True)
    return moved


def _load_batch(
    fs: FileSystem,
    hive: SqlRunner,
    batch: BatchPlan,
    table: PreparedTable,
    config: IngestConfig,
    run_id: str,
) -> _BatchOutcome:
    """Convert one batch (setting aside files Hive cannot decode) and verify its rows."""
    outcome = _BatchOutcome()
    if not config.dry_run:
        fs.write_bytes(schema_file(batch.landing, batch.batch_id), schema_json(batch))
    try:
        convert = partial(
            convert_batch,
            hive,
            table=table,
            parquet_file_size_bytes=config.parquet_file_size_bytes,
            dry_run=config.dry_run,
        )
        try:
            result = convert(batch)
        except StatementFailed as failure:
            # Hive decodes every value; our checks read only headers and block framing. Find
            # the files Avro cannot decode, set them aside, and load the rest once more.
            bad = _undecodable_files(fs, batch)
            if not bad:
                raise
            log.warning(
                "Hive failed on batch %s (%s); quarantining %d undecodable file(s)",
                batch.batch_id,
                failure,
                len(bad),
            )
            outcome.quarantined = _quarantine_from_staging(
                fs,
                batch,
                dict(bad),
                error_class="UndecodableFile",
                reason="undecodable",
                run_id=run_id,
            )
            batch = batch.without({source for source, _ in bad})
            if not batch.files:
                fs.delete(batch.folder, recursive=True)
                return outcome
            fs.write_bytes(
                manifest_path(batch.landing, batch.batch_id),
                json.dumps(batch.to_dict(), indent=1).encode(),
            )
            result = convert(batch)
        if not config.dry_run:
            started = time.monotonic()
            result.rows_verified = verify_counts(
                batch.batch_id, batch.records, count_partition_rows(hive, batch)
            )
            outcome.verify_seconds = time.monotonic() - started
    except (StatementFailed, VerificationFailed) as error:
        failed = _failed(batch, error)
        failed.quarantined = outcome.quarantined
        return failed
    outcome.result = result
    return outcome


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
