"""The pipeline's steps as plain functions over the service protocols (ports.py). Each Airflow
task calls one of them; each returns a JSON-ready dict for XCom.

    plan_run       detect closed, quiet files, read schemas and counts, set aside bad files
                   and re-deliveries, group by schema and table, claim each batch by rename,
                   and take over batches of runs that are gone
    load_table     for one target table: seal each batch, convert it (one INSERT each) where
                   readers do not look, verify, commit, publish its partition
    archive        move committed batch folders to _archive/<day>/ (one rename per batch)
    teardown       drop the temporary tables and delete the schema files, always

Each step that touches claimed batches keeps its run's lease fresh while it works; the
protocol that makes any interleaving of runs and attempts safe is in claim.py.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import fastavro

from avro_ingest.avro.header import check_codec_library
from avro_ingest.config import IngestConfig
from avro_ingest.engine_errors import is_cluster_fault
from avro_ingest.exceptions import (
    DECODE_ERRORS,
    EngineFault,
    EngineRejected,
    FileGone,
    NotParquet,
    RepeatedFailure,
    SchemaConflict,
    ServiceUnavailable,
    StatementFailed,
    TerminalError,
    TransientError,
    UndecodableFile,
    VerificationFailed,
    decode_error_message,
)
from avro_ingest.files import FileEntry
from avro_ingest.hive.tables import render_drop_table
from avro_ingest.ports import FileSystem, SqlRunner
from avro_ingest.records import (
    ArchiveOutcome,
    FailedBatch,
    LoadOutcome,
    PlanOutcome,
    SetAside,
    TableGroup,
    TeardownOutcome,
)
from avro_ingest.stages.batch import BatchPlan, StagedFile, group_into_batches, mark_alone
from avro_ingest.stages.claim import (
    COMMITTED,
    STAGED,
    Lease,
    Located,
    Manifest,
    Owner,
    QuarantineRecord,
    Sealed,
    archive_batch,
    claim_batches,
    commit_batch,
    find_batches,
    may_take,
    orphaned_batches,
    quarantine,
    record_counts,
    record_failure,
    record_seal,
    register_deliveries,
    register_delivery,
    remove_if_empty,
    seal_batch,
    split_batch,
    write_manifests,
)
from avro_ingest.stages.convert import (
    ALREADY_READY,
    ConversionResult,
    Placement,
    PreparedTable,
    convert_batch,
    drop_if_never_filled,
    partition_location,
    plan_for,
    prepare_table,
    publish_partition,
    record_schema_change,
    render_show_tables_like,
    schema_json,
    table_state,
)
from avro_ingest.stages.detect import detect
from avro_ingest.stages.inspection import Rejection, count_claimed, inspect_files
from avro_ingest.stages.layout import (
    claim_id_of,
    claim_of_temporary,
    claimed_sidecar,
    manifest_path,
    pending_table_name,
    schema_file,
    temp_table_name,
    work_folder,
)
from avro_ingest.stages.verify import count_output_rows, verify_counts

__all__ = ["archive", "load_table", "plan_run", "teardown"]

log = logging.getLogger(__name__)


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _set_aside(
    fs: FileSystem, rejection: Rejection, run_id: str, *, at: str | None = None
) -> SetAside | None:
    """Quarantine one file with its reason (`at`: where it is now, when the claim moved it
    from landing); the summary's entry for it, or None when it was gone already."""
    record = QuarantineRecord(
        source=at or rejection.entry.path,
        error_class=rejection.error_class,
        reason=rejection.reason,
        message=rejection.message,
        step=rejection.step,
        time=_utc_now().isoformat(),
        run_id=run_id,
        sidecar=rejection.sidecar,
    )
    target = quarantine(fs, rejection.landing, _utc_now().date().isoformat(), record)
    return None if target is None else {**rejection.to_dict(), "quarantined_to": target}


def _closed(
    fs: FileSystem, entries: Sequence[FileEntry], threads: int
) -> tuple[list[FileEntry], int]:
    """The entries whose writers have closed them, and how many are still open. HDFS lists an
    open file with its completed blocks' length and its creation time, so a file held open past
    the quiet period looks complete (and, while small, empty); only its block report tells."""
    if not entries:
        return [], 0

    def is_open(entry: FileEntry) -> bool | None:
        try:
            return fs.under_construction(entry.path)
        except FileGone:
            return None

    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        states = list(pool.map(is_open, entries))
    closed = [e for e, state in zip(entries, states, strict=True) if state is False]
    return closed, sum(1 for state in states if state)


def plan_run(
    fs: FileSystem, config: IngestConfig, *, run_id: str, attempt: str = ""
) -> PlanOutcome:
    """Detect, inspect, set bad files aside, and claim: the files this run will load, grouped
    by table, with the batches it takes over from runs that are gone."""
    owner = Owner(run_id, attempt)
    lease = (
        contextlib.nullcontext()
        if config.dry_run
        else Lease(fs, config.landing_paths, owner, config.lease_seconds)
    )
    with lease:
        return _plan_run(fs, config, owner)


def _plan_run(fs: FileSystem, config: IngestConfig, owner: Owner) -> PlanOutcome:
    now = _utc_now()
    day = now.date().isoformat()
    steps: dict[str, float] = {}
    threads = config.header_read_threads

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
        ready, still_open = _closed(fs, [*found.ready, *found.empty], threads)
        waiting += len(found.waiting) + still_open
        candidates.extend((landing, e, found.sidecars.get(e.path)) for e in ready if e.size)
        empties.extend(
            Rejection(
                e,
                landing,
                "EmptyFile",
                "empty_file",
                f"{e.path}: file is empty (0 bytes)",
                "detect",
                found.sidecars[e.path].path if e.path in found.sidecars else None,
            )
            for e in ready
            if not e.size
        )
    steps["detect"] = time.monotonic() - started

    infos, rejected, steps["inspect"] = inspect_files(
        fs,
        candidates,
        table_rule=config.table_name_rule,
        table_prefix=config.table_prefix,
        threads=threads,
        # A dry run claims nothing, so it reads every file now: its report is complete.
        count_after_claim_min_bytes=None if config.dry_run else config.count_after_claim_min_bytes,
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
    manifests_written = False
    if not config.dry_run and not config.load_duplicates:
        # The batches' manifests are written while the ledger is asked about each file (a
        # new HDFS file waits for its block report, up to 0.4 s); a duplicate stays in its
        # batch's manifest but is never renamed in, which sealing reads as claimed elsewhere.
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=1) as side:
            manifests = side.submit(write_manifests, fs, batches, owner, threads=threads)
            try:
                infos, duplicates = register_deliveries(fs, infos, owner, threads=threads)
            finally:
                manifests.result()
        manifests_written = True
        rejected += duplicates
        again = {d.entry.path for d in duplicates}
        batches = [batch.without(again) for batch in batches]
        steps["dedupe"] = time.monotonic() - started

    started = time.monotonic()
    quarantined: list[SetAside] = []
    claimed: list[BatchPlan] = []
    if config.dry_run:
        claimed = batches
        quarantined = [{**r.to_dict(), "would_move_to": "_quarantine"} for r in rejected]
    else:
        for rejection in rejected:
            if (entry := _set_aside(fs, rejection, owner.run_id)) is not None:
                quarantined.append(entry)
        planned_now = {batch.batch_id for batch in batches}
        adopted = [
            located
            for located in orphaned_batches(
                fs, config.landing_paths, owner, lease_seconds=config.lease_seconds
            )
            if located.batch_id not in planned_now  # this attempt's own, manifests written
        ]
        for located in adopted:
            log.info(
                "taking over batch %s of run %s (%s)",
                located.batch_id,
                located.manifest.run_id,
                "this run's earlier attempt"
                if located.manifest.owner == owner.token
                else "its lease has lapsed",
            )
            claimed.append(replace(located.manifest.batch, batch_id=located.batch_id))
        claimed.extend(
            got
            for got in claim_batches(
                fs, batches, owner, threads=threads, manifests_written=manifests_written
            )
            if got.files
        )
    steps["claim"] = time.monotonic() - started

    claimed = mark_alone(claimed)
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
        "run_id": owner.run_id,
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
                records = fastavro.reader(stream)  # type: ignore[arg-type]
                # A codec whose library is not installed says nothing about the file.
                check_codec_library(str(records.codec), file=staged.source)
                for _ in records:
                    pass
        except (ConnectionError, TimeoutError) as error:
            raise ServiceUnavailable("WebHDFS", f"reading {staged.staged}: {error}") from error
        except DECODE_ERRORS as error:
            bad.append((staged.source, decode_error_message(error)))
    return bad


def _quarantine_from_staging(
    fs: FileSystem,
    batch: BatchPlan,
    messages: dict[str, str],
    *,
    error_class: str,
    reason: str,
    run_id: str,
) -> list[SetAside]:
    """Set aside staged files of a batch (source path -> why), after Hive met them."""
    moved: list[SetAside] = []
    for staged in batch.files:
        if staged.source not in messages:
            continue
        rejection = Rejection(
            FileEntry(staged.source, staged.size, staged.mtime_ms),
            batch.landing,
            error_class,
            reason,
            f"{staged.source}: {messages[staged.source]}",
            "convert",
            claimed_sidecar(staged.staged) if staged.sidecar else None,
        )
        entry = _set_aside(fs, rejection, run_id, at=staged.staged)
        moved.append(entry or {**rejection.to_dict(), "quarantined_to": None})
    return moved


@dataclass
class _BatchOutcome:
    result: ConversionResult | None = None
    failed: FailedBatch | None = None
    quarantined: list[SetAside] = field(default_factory=list)
    returned: list[str] = field(default_factory=list)
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
    table_group: TableGroup,
    config: IngestConfig,
    *,
    run_id: str,
    attempt: str = "",
) -> LoadOutcome:
    """Load every batch of one target table. Each batch is first sealed by this attempt (see
    claim.py); the table is created or evolved once per schema, then that schema's batches
    load `config.parallel_loads` at a time, each in its own HiveServer2 session. A failing
    batch is reported and stays in staging; the others go on. Raises only for transient errors
    (the task retries)."""
    owner = Owner(run_id, attempt)
    planned = [BatchPlan.from_dict(data) for data in table_group["batches"]]
    if config.dry_run:
        return _load_sealed(fs, hive, table_group["table"], planned, [], config, owner)
    with Lease(fs, sorted({b.landing for b in planned}), owner, config.lease_seconds):
        sealed, outcomes = _take_batches(fs, hive, planned, config, owner)
        return _load_sealed(
            fs,
            hive,
            table_group["table"],
            [s.batch for s in sealed],
            outcomes,
            config,
            owner,
            {s.batch.batch_id: s for s in sealed},
        )


def _take_batches(
    fs: FileSystem,
    hive: SqlRunner,
    planned: Sequence[BatchPlan],
    config: IngestConfig,
    owner: Owner,
) -> tuple[list[Sealed], list[_BatchOutcome]]:
    """Seal each planned batch for this attempt, or roll a committed one forward; a batch that
    another live run holds, or that is gone, is reported as taken over."""
    found: dict[str, list[Located]] = defaultdict(list)
    claims = {claim_id_of(b.batch_id) for b in planned}
    for landing in sorted({b.landing for b in planned}):
        for located in find_batches(fs, landing, claims):
            found[claim_id_of(located.batch_id)].append(located)
    sealed: list[Sealed] = []
    outcomes: list[_BatchOutcome] = []
    for batch in planned:
        places = found.get(claim_id_of(batch.batch_id), [])
        committed = [p for p in places if p.state == COMMITTED]
        staged = [p for p in places if p.state == STAGED]
        if committed:
            outcomes.append(_roll_forward(hive, committed[0], config))
        elif not staged:
            outcomes.append(
                _taken_over(batch, "it is no longer in staging: another run took it over")
            )
        elif not may_take(fs, staged[0], owner, lease_seconds=config.lease_seconds):
            holder = staged[0].manifest.run_id
            outcomes.append(_taken_over(batch, f"run {holder} is loading it"))
        else:
            got = seal_batch(
                fs,
                staged[0],
                owner,
                location_of=lambda b: partition_location(config.target_root, b),
            )
            if got is None:
                outcomes.append(_taken_over(batch, "another attempt sealed it first"))
            elif got.batch.files and got.failures >= config.max_batch_failures:
                outcomes.append(_set_aside_repeated_failure(fs, got, owner))
            elif got.batch.files:
                # The manifest holds the batch as claimed; where it converts is this run's plan.
                sealed.append(replace(got, batch=replace(got.batch, alone=batch.alone)))
                if got.returned:
                    outcomes.append(_BatchOutcome(returned=list(got.returned)))
            else:
                remove_if_empty(fs, got.batch.folder)
                outcomes.append(_BatchOutcome(returned=list(got.returned)))
    return sealed, outcomes


def _set_aside_repeated_failure(fs: FileSystem, sealed: Sealed, owner: Owner) -> _BatchOutcome:
    batch = sealed.batch
    why = f"its batch failed to load {sealed.failures} times; the last error: {sealed.last_error}"
    log.error("batch %s: %s; setting its %d file(s) aside", batch.batch_id, why, len(batch.files))
    moved = _quarantine_from_staging(
        fs,
        batch,
        {f.source: why for f in batch.files},
        error_class=RepeatedFailure.__name__,
        reason=RepeatedFailure.reason,
        run_id=owner.run_id,
    )
    remove_if_empty(fs, batch.folder)
    return _BatchOutcome(quarantined=moved, returned=list(sealed.returned))


def _roll_forward(hive: SqlRunner, located: Located, config: IngestConfig) -> _BatchOutcome:
    """Finish a batch that was verified and committed but perhaps not published: registering
    its partition is idempotent, so whoever gets here first makes it visible. Its table is
    made again if it is gone (dropped as never filled by a run that raced this one)."""
    manifest = located.manifest
    batch = replace(manifest.batch, batch_id=located.batch_id)
    location = manifest.location or ""
    if table_state(hive, batch.database, batch.table) is None:
        prepare_table(hive, batch, target_root=config.target_root, mode=config.schema_changes)
    statement = publish_partition(hive, batch, location)
    log.info("batch %s was committed by run %s; published it", batch.batch_id, manifest.run_id)
    result = ConversionResult.of(
        batch,
        ALREADY_READY,
        location,
        statements=[statement],
        rows_verified=batch.records,
        resumed=True,
    )
    return _BatchOutcome(result=result)


def _taken_over(batch: BatchPlan, why: str) -> _BatchOutcome:
    message = f"batch {batch.batch_id} was taken over ({why}); this run did not load it"
    log.error("%s", message)
    return _BatchOutcome(failed=_failure(batch, message, taken_over=True))


def _load_sealed(
    fs: FileSystem,
    hive: SqlRunner,
    table: str,
    batches: Sequence[BatchPlan],
    outcomes: list[_BatchOutcome],
    config: IngestConfig,
    owner: Owner,
    seals: Mapping[str, Sealed] | None = None,
) -> LoadOutcome:
    started = time.monotonic()
    seals = seals or {}
    with ThreadPoolExecutor(max_workers=max(1, config.parallel_loads)) as pool:
        for run in _schema_runs(batches):
            # Each batch's sealed manifest and schema file are written while the table is
            # prepared: closing a new HDFS file can take a few hundred milliseconds, a good
            # part of a small table's load.
            writes = (
                []
                if config.dry_run
                else [pool.submit(_write_schema_file, fs, batch) for batch in run]
            )
            recorded = {
                batch.batch_id: pool.submit(record_seal, fs, seals[batch.batch_id])
                for batch in run
                if batch.batch_id in seals
            }
            try:
                try:
                    prepared = prepare_table(
                        hive,
                        run[0],
                        target_root=config.target_root,
                        dry_run=config.dry_run,
                        mode=config.schema_changes,
                    )
                finally:
                    for write in writes:
                        write.result()
                    lost = {batch_id for batch_id, ok in recorded.items() if not ok.result()}
                if prepared.changes and not config.dry_run:
                    record_schema_change(fs, config.target_root, run[0], prepared.changes)
            except SchemaConflict as conflict:
                outcomes.extend(
                    _BatchOutcome(quarantined=_set_aside_conflict(fs, batch, conflict, owner))
                    for batch in run
                )
                continue
            except StatementFailed as error:
                if is_cluster_fault(error.message, error.causes):
                    raise EngineFault(error) from error
                for batch in run:
                    if not config.dry_run:
                        record_failure(fs, batch, str(error))
                    outcomes.append(_failed(batch, error))
                continue
            outcomes.extend(
                _taken_over(batch, "another attempt sealed it first")
                for batch in run
                if batch.batch_id in lost
            )
            run = [batch for batch in run if batch.batch_id not in lost]
            if not run:
                continue
            # The first batch reports what preparing the table did; the others found it ready.
            loaded = pool.map(
                lambda batch, table: _load_batch(fs, hive, batch, table, config, owner),
                run,
                [prepared] + [prepared.again()] * (len(run) - 1),
            )
            done = [outcome for batch_outcomes in loaded for outcome in batch_outcomes]
            outcomes.extend(done)
            # Every file of a new table was set aside (or failed): no empty table is left for
            # readers, unless another run published into it meanwhile.
            nothing_loaded = not any(o.result for o in done)
            if (
                prepared.new_table
                and not config.dry_run
                and nothing_loaded
                and drop_if_never_filled(hive, run[0].database, run[0].table)
            ):
                log.warning("dropped %s: nothing was loaded into it", table)
    return {
        "table": table,
        "results": [o.result.to_dict() for o in outcomes if o.result is not None],
        "failed": [o.failed for o in outcomes if o.failed is not None],
        "quarantined": [moved for o in outcomes for moved in o.quarantined],
        "returned_to_landing": [path for o in outcomes for path in o.returned],
        # Wall time of the table's loads; verification overlaps other batches' conversions.
        "step_seconds": {
            "convert": time.monotonic() - started,
            "verify": sum(o.verify_seconds for o in outcomes),
        },
    }


def _failure(batch: BatchPlan, message: str, *, taken_over: bool = False) -> FailedBatch:
    failure: FailedBatch = {
        "batch_id": batch.batch_id,
        "landing": batch.landing,
        "database": batch.database,
        "table": f"{batch.database}.{batch.table}",
        "error": message,
    }
    if taken_over:
        failure["taken_over"] = True
    return failure


def _failed(batch: BatchPlan, error: Exception) -> _BatchOutcome:
    log.error("batch %s failed: %s", batch.batch_id, error)
    return _BatchOutcome(failed=_failure(batch, str(error)))


def _set_aside_conflict(
    fs: FileSystem, batch: BatchPlan, conflict: SchemaConflict, owner: Owner
) -> list[SetAside]:
    moved = _quarantine_from_staging(
        fs,
        batch,
        {f.source: str(conflict) for f in batch.files},
        error_class="SchemaConflict",
        reason=SchemaConflict.reason,
        run_id=owner.run_id,
    )
    remove_if_empty(fs, batch.folder)
    return moved


def _load_batch(
    fs: FileSystem,
    hive: SqlRunner,
    batch: BatchPlan,
    table: PreparedTable,
    config: IngestConfig,
    owner: Owner,
) -> list[_BatchOutcome]:
    try:
        return _convert_verify_commit(fs, hive, batch, table, config, owner)
    finally:
        if not config.dry_run:
            _drop_temporaries(fs, hive, batch)


def _write_schema_file(fs: FileSystem, batch: BatchPlan) -> None:
    fs.write_bytes(schema_file(batch.landing, batch.batch_id), schema_json(batch))


def _drop_temporaries(fs: FileSystem, hive: SqlRunner, batch: BatchPlan) -> None:
    """This attempt's temporary tables and schema file; never data (the tables are external
    and do not purge). A service fault here is left to the run's teardown task."""
    try:
        hive.run_statements(
            [
                render_drop_table(batch.database, temp_table_name(batch.batch_id)),
                render_drop_table(batch.database, pending_table_name(batch.batch_id)),
            ]
        )
        fs.delete(schema_file(batch.landing, batch.batch_id))
    except TransientError as error:
        log.warning("could not drop the temporary tables of %s: %s", batch.batch_id, error)


def _convert_verify_commit(
    fs: FileSystem,
    hive: SqlRunner,
    batch: BatchPlan,
    table: PreparedTable,
    config: IngestConfig,
    owner: Owner,
) -> list[_BatchOutcome]:
    """Convert one sealed batch into its pending output, verify its rows, commit it, and
    publish its partition. When Hive fails reading the batch's files, for a reason of the
    data, the files at fault are found and set aside and the rest loads (`_isolate`)."""
    location = partition_location(config.target_root, batch)
    if not config.dry_run and fs.status(schema_file(batch.landing, batch.batch_id)) is None:
        _write_schema_file(fs, batch)  # a part of a split batch, under its own id
    if not batch.uncounted or config.dry_run:
        return _convert_counted(fs, hive, batch, table, config, owner, location, None)
    # Its large files are read (counted, hashed, entered in the ledger) while Hive converts.
    with ThreadPoolExecutor(max_workers=1) as side:
        counting = side.submit(_count_claimed, fs, batch, config)
        return _convert_counted(fs, hive, batch, table, config, owner, location, counting)


def _convert_counted(
    fs: FileSystem,
    hive: SqlRunner,
    batch: BatchPlan,
    table: PreparedTable,
    config: IngestConfig,
    owner: Owner,
    location: str,
    counting: Future[_Counted] | None,
) -> list[_BatchOutcome]:
    """`_convert_verify_commit` once the batch's uncounted files are being read (`counting`):
    their counts are awaited after the conversion, before anything depends on them."""
    outcome = _BatchOutcome()
    try:
        try:
            result = convert_batch(
                hive,
                batch,
                table,
                location=location,
                parquet_file_size_bytes=config.parquet_file_size_bytes,
                placement=Placement.of(config),
                dry_run=config.dry_run,
            )
        except StatementFailed as failure:
            if is_cluster_fault(failure.message, failure.causes):
                raise EngineFault(failure) from failure
            if not _reads_the_files(failure):
                raise
            fs.delete(location, recursive=True)  # whatever the failed INSERT left
            if counting is not None:
                tally = counting.result()
                if tally.rejected or not tally.held:
                    return _set_aside_counted(fs, hive, tally, table, config, owner)
                batch = tally.batch
            return _isolate(fs, hive, batch, table, config, owner, failure)
        if config.dry_run:
            outcome.result = result
            return [outcome]
        if counting is not None:
            tally = counting.result()
            if tally.rejected or not tally.held:
                fs.delete(location, recursive=True)  # converted with a file set aside now
                return _set_aside_counted(fs, hive, tally, table, config, owner)
            batch = tally.batch
            result.records_expected = batch.records
        expected = batch.records
        if expected is None:  # counting fills every count before this: a bug, not bad data
            raise ValueError(f"batch {batch.batch_id} reached verification with uncounted files")
        started = time.monotonic()
        try:
            counted = count_output_rows(fs, hive, batch, location, config)
        except StatementFailed as failure:
            if is_cluster_fault(failure.message, failure.causes):
                raise EngineFault(failure) from failure
            raise
        rows = verify_counts(batch.batch_id, expected, counted)
        outcome.verify_seconds = time.monotonic() - started
    except (StatementFailed, VerificationFailed, NotParquet) as error:
        # Nothing of it is visible: its output is not a partition. Drop it; the files stay.
        if not config.dry_run:
            fs.delete(location, recursive=True)
            if not _holds(fs, batch):
                # Its files were moved away under it: another attempt sealed the batch.
                remove_if_empty(fs, batch.folder)  # Hive makes a table's missing location
                return [
                    _taken_over(
                        batch,
                        f"another attempt sealed it while this one was "
                        f"loading it; this attempt's load ended with: {error}",
                    )
                ]
            failures = record_failure(fs, batch, str(error))
            log.error(
                "batch %s failed (%d of %d tries before it is set aside)",
                batch.batch_id,
                failures,
                config.max_batch_failures,
            )
        return [_failed(batch, error)]
    if not _holds(fs, batch) or not commit_batch(fs, batch):
        remove_if_empty(fs, batch.folder)
        fs.delete(location, recursive=True)
        return [_taken_over(batch, "another attempt sealed it while this one was loading it")]
    result.statements.append(publish_partition(hive, batch, location))
    result.rows_verified = rows
    outcome.result = result
    return [outcome]


@dataclass(frozen=True)
class _Counted:
    """What reading a batch's uncounted files found."""

    batch: BatchPlan  # with the counts and content hashes of the files read
    rejected: dict[str, Rejection]  # source path -> why it is set aside
    held: bool = True  # False: another attempt sealed the batch meanwhile


def _count_claimed(fs: FileSystem, batch: BatchPlan, config: IngestConfig) -> _Counted:
    """Count and hash the batch's files that planning read only the header of, and enter each
    in its landing folder's ledger, as planning does for the others; then record the counts in
    the batch's manifest. A broken file or a re-delivery is rejected as planning would have."""

    def one(staged: StagedFile) -> tuple[StagedFile, Rejection | None] | None:
        entry = FileEntry(staged.source, staged.size, staged.mtime_ms)
        sidecar = claimed_sidecar(staged.staged) if staged.sidecar else None
        try:
            records, checksum = count_claimed(fs, staged.staged, source=staged.source)
        except FileGone:
            return None  # the folder moved: another attempt sealed the batch
        except TerminalError as error:
            reason = str(getattr(error, "reason", "error"))
            why = Rejection(entry, batch.landing, type(error).__name__, reason, str(error), "count")
            return staged, replace(why, sidecar=sidecar)
        if not config.load_duplicates:
            again = register_delivery(fs, batch.landing, entry, checksum, sidecar)
            if again is not None:
                return replace(staged, records=records), again
        return replace(staged, records=records, checksum=checksum), None

    files = batch.uncounted
    with ThreadPoolExecutor(max_workers=min(len(files), config.header_read_threads)) as pool:
        found = list(pool.map(one, files))
    read = {staged.source: staged for staged, _ in filter(None, found)}
    counted = replace(batch, files=tuple(read.get(f.source, f) for f in batch.files))
    rejected = {why.entry.path: why for _, why in filter(None, found) if why is not None}
    held = None not in found
    if held and not rejected:
        held = record_counts(fs, counted)
    return _Counted(counted, rejected, held)


def _set_aside_counted(
    fs: FileSystem,
    hive: SqlRunner,
    tally: _Counted,
    table: PreparedTable,
    config: IngestConfig,
    owner: Owner,
) -> list[_BatchOutcome]:
    """Set aside the files that reading them once claimed rejected, from staging, and load the
    rest of the batch as a batch of its own (its conversion included the rejected files)."""
    batch = tally.batch
    if not tally.held:
        remove_if_empty(fs, batch.folder)
        return [_taken_over(batch, "another attempt sealed it while this one read its files")]
    for rejection in tally.rejected.values():
        log.warning("batch %s: setting aside %s", batch.batch_id, rejection.message)
    quarantined: list[SetAside] = []
    for staged in batch.files:
        if (why := tally.rejected.get(staged.source)) is not None:
            moved = _set_aside(fs, why, owner.run_id, at=staged.staged)
            quarantined.append(moved or {**why.to_dict(), "quarantined_to": None})
    return _load_the_rest(fs, hive, batch, quarantined, table, config, owner)


def _load_the_rest(
    fs: FileSystem,
    hive: SqlRunner,
    batch: BatchPlan,
    quarantined: list[SetAside],
    table: PreparedTable,
    config: IngestConfig,
    owner: Owner,
) -> list[_BatchOutcome]:
    """Once files of a sealed batch are set aside (`quarantined`), load the rest as the batch,
    its manifest rewritten first; an emptied batch folder goes."""
    set_aside = [_BatchOutcome(quarantined=quarantined)]
    rest = batch.without({moved["path"] for moved in quarantined})
    if not rest.files:
        remove_if_empty(fs, batch.folder)
        return set_aside
    try:
        Manifest.for_owner(rest, owner, partition_location(config.target_root, rest)).write(fs)
    except FileGone:
        return [*set_aside, _taken_over(rest, "another attempt sealed it")]
    return set_aside + _convert_verify_commit(fs, hive, rest, table, config, owner)


def _reads_the_files(failure: StatementFailed) -> bool:
    """Whether the failed statement is the one that reads the batch's files (its INSERT):
    only then can a file be at fault. A failed CREATE or DROP is the batch's failure."""
    return failure.statement.lstrip().upper().startswith("INSERT")


def _isolate(
    fs: FileSystem,
    hive: SqlRunner,
    batch: BatchPlan,
    table: PreparedTable,
    config: IngestConfig,
    owner: Owner,
    failure: StatementFailed,
) -> list[_BatchOutcome]:
    """Hive failed reading a batch's files for a reason of the data. Set aside what Avro
    itself cannot decode; a file Hive fails on alone is set aside with Hive's own message;
    a larger batch is split in two and each half loads on its own, until the file(s) at
    fault are found. Each split is an ordinary sealed batch, so a crash leaves nothing lost."""
    undecodable = dict(_undecodable_files(fs, batch))
    rejected: dict[str, str] = {}
    if not undecodable and len(batch.files) == 1:
        rejected = {batch.files[0].source: f"Hive could not read it: {failure.engine_message}"}
    if undecodable or rejected:
        log.warning(
            "Hive failed on batch %s (%s); setting aside %d file(s)",
            batch.batch_id,
            failure.engine_message,
            len(undecodable) + len(rejected),
        )
        quarantined = _quarantine_from_staging(
            fs,
            batch,
            undecodable,
            error_class=UndecodableFile.__name__,
            reason=UndecodableFile.reason,
            run_id=owner.run_id,
        ) + _quarantine_from_staging(
            fs,
            batch,
            rejected,
            error_class=EngineRejected.__name__,
            reason=EngineRejected.reason,
            run_id=owner.run_id,
        )
        return _load_the_rest(fs, hive, batch, quarantined, table, config, owner)
    halves = split_batch(
        fs, batch, owner, location_of=lambda b: partition_location(config.target_root, b)
    )
    log.warning(
        "Hive failed on batch %s of %d files (%s); loading it as %s to find the file(s) at fault",
        batch.batch_id,
        len(batch.files),
        failure.engine_message,
        " and ".join(h.batch_id for h in halves),
    )
    outcomes: list[_BatchOutcome] = []
    for index, half in enumerate(halves):
        outcomes.extend(
            _load_batch(fs, hive, half, table if index == 0 else table.again(), config, owner)
        )
    return outcomes


def _holds(fs: FileSystem, batch: BatchPlan) -> bool:
    """Whether this attempt still holds its sealed batch: the folder with the manifest in it.
    (A folder without one is the empty location Hive made for a temporary table.)"""
    return fs.status(manifest_path(batch.landing, batch.batch_id)) is not None


def archive(fs: FileSystem, loads: Sequence[LoadOutcome]) -> ArchiveOutcome:
    """Move each published batch's folder from committed to _archive/<day>/ in one rename."""
    started = time.monotonic()
    day = _utc_now().date().isoformat()
    moved = []
    for load in loads:
        for result in load["results"]:
            if result["dry_run"] or result["rows_verified"] is None:
                continue
            target = archive_batch(fs, result["landing"], result["batch_id"], day)
            if target is not None:
                moved.append(target)
            else:
                log.info(
                    "batch %s was archived already (an earlier try, or another run)",
                    result["batch_id"],
                )
    return {"batches": moved, "seconds": time.monotonic() - started}


def teardown(
    fs: FileSystem, hive: SqlRunner, plan: PlanOutcome, loads: Sequence[LoadOutcome] = ()
) -> TeardownOutcome:
    """Drop the temporary tables and schema files of the batches this run planned, loaded or
    tried to, whatever happened: those of its own attempts, and those that an attempt killed
    mid-load left under an earlier seal of the same claim. A batch another live run took over
    is left to that run. Never a batch's data: the temporary tables do not own their files."""
    if plan.get("dry_run"):
        return {"dropped_tables": []}
    # Every batch this run planned, loaded or failed: each names its landing, database and id.
    batches: list[Mapping[str, Any]] = [b for t in plan.get("tables", []) for b in t["batches"]]
    batches += [r for load in loads for r in load["results"]]
    batches += [f for load in loads for f in load["failed"]]
    taken_over = {
        claim_id_of(f["batch_id"]) for load in loads for f in load["failed"] if f.get("taken_over")
    }
    claims = {
        (b["landing"], b["database"], claim_id_of(b["batch_id"]))
        for b in batches
        if claim_id_of(b["batch_id"]) not in taken_over
    }
    dropped: list[str] = []
    for landing, database, claim in sorted(claims):
        try:
            listed = hive.query(render_show_tables_like(database, f"tmp%{claim}%"))
        except StatementFailed:
            continue  # no such database: the run failed before it made one, so no tables
        names = sorted(str(row[0]) for row in listed if claim_of_temporary(str(row[0])) == claim)
        if names:
            hive.run_statements([render_drop_table(database, name) for name in names])
            dropped.extend(names)
        for entry in fs.list_files(work_folder(landing)):
            if entry.name.startswith(claim):
                fs.delete(entry.path)
    return {"dropped_tables": dropped}
