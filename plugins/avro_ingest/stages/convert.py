"""Convert one sealed batch to Parquet in Hive, in one session and with one INSERT for the
whole batch: a temporary AvroSerDe table over the batch's staging folder, and a pending
Parquet table over the directory that will become the batch's own partition. The target
table (created on first sight, or evolved) does not list that directory until the rows are
verified and the batch committed (`publish_partition`), so readers never see unverified rows.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Self

from avro_ingest.config import IngestConfig
from avro_ingest.exceptions import StatementFailed
from avro_ingest.hive.evolution import Evolution, Mode, evolve
from avro_ingest.hive.quoting import (
    SqlFragment,
    compose,
    identifier,
    join,
    qualified,
    string_literal,
)
from avro_ingest.hive.sql import render
from avro_ingest.hive.tables import (
    TablePlan,
    build_plan,
    render_add_partition,
    render_create_avro_temp_table,
    render_create_parquet_pending_table,
    render_create_parquet_table,
    render_drop_table,
    render_insert_overwrite_table,
)
from avro_ingest.hive.types import HIVE_SESSION_SETTINGS
from avro_ingest.ports import FileSystem, SqlRunner
from avro_ingest.stages.batch import BatchPlan
from avro_ingest.stages.layout import pending_table_name, schema_file, temp_table_name

__all__ = [
    "ALREADY_READY",
    "ConversionResult",
    "Placement",
    "PreparedTable",
    "TableState",
    "conversion_settings",
    "convert_batch",
    "drop_if_never_filled",
    "history_folder",
    "load_statements",
    "partition_location",
    "prepare_table",
    "publish_partition",
    "reader_schema",
    "record_schema_change",
    "table_statements",
    "target_location",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TableState:
    """An existing target table's data columns (name, normalised type), in order."""

    columns: tuple[tuple[str, str], ...]
    nullable: frozenset[str] = frozenset()  # fields that held nulls (NULLABLE_PROPERTY)


@dataclass
class ConversionResult:
    batch_id: str
    landing: str
    database: str
    table: str
    partition: dict[str, str]
    new_table: bool
    added_columns: list[str]
    files: int
    bytes: int
    records_expected: int | None  # None until its files counted once claimed are read
    rows_verified: int | None = None
    statements: list[str] = field(default_factory=list)
    hive_seconds: float = 0.0
    # When the batch's statements ran (Unix seconds): batches of a table may overlap.
    started_at: float | None = None
    finished_at: float | None = None
    dry_run: bool = False
    location: str | None = None  # the partition's directory
    # Finished by a later attempt than the one that loaded it, which may have died before
    # Impala heard of its table: the Impala step invalidates the table again.
    resumed: bool = False
    schema_changes: list[str] = field(default_factory=list)  # what this batch changed

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))

    @classmethod
    def of(cls, batch: BatchPlan, table: PreparedTable, location: str, **more: Any) -> Self:
        """The result of loading `batch` into a table that `table` made ready."""
        return cls(
            batch_id=batch.batch_id,
            landing=batch.landing,
            database=batch.database,
            table=batch.table,
            partition=batch.partition,
            new_table=table.new_table,
            added_columns=list(table.added_columns),
            schema_changes=list(table.changes),
            files=len(batch.files),
            bytes=batch.size,
            records_expected=batch.records,
            location=location,
            **more,
        )


def target_location(target_root: str, database: str, table: str) -> str:
    return f"{target_root}/{database}/{table}"


def history_folder(target_root: str, database: str, table: str) -> str:
    """Where the table's schema changes are kept, one small file each (readers skip `_`)."""
    return f"{target_location(target_root, database, table)}/_schema_history"


def record_schema_change(
    fs: FileSystem, target_root: str, batch: BatchPlan, changes: Sequence[str]
) -> str:
    """Keep, beside the table, what a batch changed in it and when."""
    now = dt.datetime.now(dt.UTC)
    path = (
        f"{history_folder(target_root, batch.database, batch.table)}/"
        f"{now.strftime('%Y%m%dT%H%M%S%fZ')}_{batch.batch_id}.json"
    )
    record = {"time": now.isoformat(), "batch_id": batch.batch_id, "changes": list(changes)}
    fs.write_bytes(path, json.dumps(record).encode())
    log.info("%s.%s: %s (batch %s)", batch.database, batch.table, changes, batch.batch_id)
    return path


def partition_location(target_root: str, batch: BatchPlan) -> str:
    """Where a batch's Parquet files go: the directory Hive would give its partition."""
    spec = "/".join(f"{k}={v}" for k, v in batch.partition.items())
    return f"{target_location(target_root, batch.database, batch.table)}/{spec}"


def local_mode_settings(max_bytes: int) -> dict[str, str]:
    """Hive's own per-statement choice of where a MapReduce job runs: inside HiveServer2 when
    its input is at most `max_bytes` (no job to start, one core), else on the cluster (YARN
    containers, in parallel). The file count does not decide: Hive combines small files into
    few splits, so many small files are still a small job."""
    return {
        "hive.exec.mode.local.auto": "true" if max_bytes > 0 else "false",
        "hive.exec.mode.local.auto.inputbytes.max": str(max_bytes),
        "hive.exec.mode.local.auto.input.files.max": str(2**31 - 1),
    }


@dataclass(frozen=True)
class Placement:
    """Where Hive runs a batch's statements: inside HiveServer2 (MapReduce local mode, one core,
    nothing to start) or on the server's own engine on YARN (every core). Batches converting
    side by side keep HiveServer2's cores busy; one batch alone keeps one (bench/RESULTS.md)."""

    local_mode_max_bytes: int
    spread_alone_min_bytes: int = 0

    @classmethod
    def of(cls, config: IngestConfig) -> Placement:
        return cls(config.local_mode_max_bytes, config.spread_alone_min_bytes)

    def in_hiveserver2(self, batch: BatchPlan) -> bool:
        if batch.size > self.local_mode_max_bytes:
            return False
        return not (batch.alone and 0 < self.spread_alone_min_bytes <= batch.size)

    def settings(self, batch: BatchPlan) -> dict[str, str]:
        settings = local_mode_settings(self.local_mode_max_bytes)
        if self.in_hiveserver2(batch):
            # Local mode is MapReduce's: a Tez server runs it for a session that asks for mr.
            # Otherwise the server's engine decides: a MapReduce server still keeps a job
            # under the limit local (Hive's own choice), as its YARN jobs start new JVMs.
            settings["hive.execution.engine"] = "mr"
        return settings


def conversion_settings(parquet_file_size_bytes: int, placement: dict[str, str]) -> dict[str, str]:
    """Session settings for a conversion: few Parquet files of about the target size (Hive
    merges small outputs in an extra step), run where `placement` (Placement.settings) says.
    Snappy is the output table's property."""
    return {
        **placement,
        # Exact dates and timestamps, whatever the server's defaults (see the type table).
        **HIVE_SESSION_SETTINGS,
        "hive.merge.mapfiles": "true",
        "hive.merge.mapredfiles": "true",
        "hive.merge.smallfiles.avgsize": str(parquet_file_size_bytes // 2),
        "hive.merge.size.per.task": str(parquet_file_size_bytes),
        "hive.exec.dynamic.partition": "false",
        # Statistics are Impala's job (COMPUTE INCREMENTAL STATS after publishing), and the
        # rows are counted by a scan: gathering them in Hive only lengthens the load. Table
        # statistics also keep a JSON entry naming every column in one metastore value,
        # which Derby's metastore caps at 32,672 characters (about 2,000 columns).
        "hive.stats.autogather": "false",
        "hive.stats.column.autogather": "false",
        # Avro is read a row at a time and Hive's Parquet writer takes rows, so a vectorized
        # plan turns each row into a column batch and back: a quarter of the conversion's
        # CPU in a profile (bench/RESULTS.md, "Why a row plan").
        "hive.vectorized.execution.enabled": "false",
        # The exception behind a failed MapReduce task ("return code 2") is logged at a
        # level the default EXECUTION operation log leaves out; the hook fetches this log
        # only when a statement fails.
        "hive.server2.logging.operation.level": "VERBOSE",
    }


def _normalise_type(hive_type: str) -> str:
    return hive_type.replace("`", "").replace(" ", "").lower()


# Top-level fields that were nullable in a schema the table loaded, comma-separated.
NULLABLE_PROPERTY = "avro_ingest.nullable_fields"


def render_set_nullable(database: str, table: str, fields: frozenset[str]) -> str:
    return render(
        "set_table_property.sql",
        table=qualified(database, table),
        key=string_literal(NULLABLE_PROPERTY),
        value=string_literal(",".join(sorted(fields))),
    )


def render_show_table_properties(database: str, table: str) -> str:
    return render("show_table_properties.sql", table=qualified(database, table))


def parse_nullable(rows: Sequence[tuple[Any, ...]]) -> frozenset[str]:
    for row in rows:
        if len(row) >= 2 and str(row[0]).strip() == NULLABLE_PROPERTY:
            return frozenset(n for n in str(row[1]).strip().split(",") if n)
    return frozenset()


def render_create_database(database: str) -> str:
    return render("create_database.sql", database=identifier(database))


def render_show_tables_like(database: str, table: str) -> str:
    return render(
        "show_tables_like.sql", database=identifier(database), pattern=string_literal(table)
    )


def render_describe_table(database: str, table: str) -> str:
    return render("describe_table.sql", table=qualified(database, table))


def render_change_column(database: str, table: str, column: str, kind: SqlFragment) -> str:
    return render(
        "alter_table_change_column.sql",
        table=qualified(database, table),
        column=identifier(column),
        type=kind,
    )


def render_add_columns(plan: TablePlan, database: str, table: str, names: Sequence[str]) -> str:
    wanted = set(names)
    columns = join(
        (
            compose("{n} {t}", n=identifier(c.name), t=c.parquet_type)
            for c in plan.columns
            if c.name in wanted
        ),
        ", ",
    )
    return render("alter_table_add_columns.sql", table=qualified(database, table), columns=columns)


def parse_describe(rows: Sequence[tuple[Any, ...]]) -> TableState:
    """DESCRIBE lists every column, partition columns included, then repeats the partition
    columns under '# Partition Information'; the data columns are the first list less those."""
    listed: list[tuple[str, str]] = []
    partition_names: set[str] = set()
    section = "columns"
    for row in rows:
        name = str(row[0] or "").strip()
        if name.startswith("# Partition Information"):
            section = "partitions"
            continue
        if not name or name.startswith("#"):
            continue
        if section == "columns":
            listed.append((name.lower(), _normalise_type(str(row[1] or ""))))
        else:
            partition_names.add(name.lower())
    return TableState(tuple(c for c in listed if c[0] not in partition_names))


def table_statements(
    batch: BatchPlan,
    plan: TablePlan,
    *,
    existing: TableState | None,
    target_root: str,
    mode: Mode = "evolve",
) -> tuple[list[str], Evolution]:
    """What the target table needs before the batch loads (created, columns added or
    widened), and the batch's columns as the table takes them (see hive/evolution.py)."""
    evolution = evolve(
        plan,
        existing.columns if existing else None,
        mode=mode,
        schema=batch.schema,
        nullable=existing.nullable if existing else frozenset(),
    )
    ddl = []
    if existing is None:
        location = target_location(target_root, batch.database, batch.table)
        ddl.append(render_create_parquet_table(plan, batch.database, batch.table, location))
    if evolution.add:
        ddl.append(render_add_columns(evolution.plan, batch.database, batch.table, evolution.add))
    ddl.extend(
        render_change_column(batch.database, batch.table, name, kind)
        for name, kind in evolution.widen
    )
    if evolution.nullable != (existing.nullable if existing else frozenset()):
        ddl.append(render_set_nullable(batch.database, batch.table, evolution.nullable))
    return ddl, evolution


def load_statements(
    batch: BatchPlan, plan: TablePlan, *, schema_url: str, location: str
) -> list[str]:
    """The temporary tables over the batch's staging folder and its pending output, and the one
    INSERT that converts the one into the other."""
    avro, parquet = temp_table_name(batch.batch_id), pending_table_name(batch.batch_id)
    return [
        render_drop_table(batch.database, avro),
        render_create_avro_temp_table(batch.database, avro, batch.folder, schema_url),
        render_drop_table(batch.database, parquet),
        render_create_parquet_pending_table(plan, batch.database, parquet, location),
        render_insert_overwrite_table(plan, batch.database, parquet, batch.database, avro),
    ]


def publish_partition(hive: SqlRunner, batch: BatchPlan, location: str) -> str:
    """Make a committed batch's rows visible: its directory becomes its partition."""
    statement = render_add_partition(
        plan_for(batch), batch.database, batch.table, batch.partition, location
    )
    hive.run_statements([statement])
    return statement


def plan_for(batch: BatchPlan) -> TablePlan:
    return build_plan(
        batch.schema,
        batch.files[0].source if batch.files else None,
        partition_columns=tuple(batch.partition),
    )


def render_show_partitions(database: str, table: str) -> str:
    return render("show_partitions.sql", table=qualified(database, table))


def drop_if_never_filled(hive: SqlRunner, database: str, table: str) -> bool:
    """Drop a target table that no batch was ever published into (a new table all of whose
    files were set aside): readers should not find an empty table that nothing will fill.
    External, so nothing but the metastore entry goes. True when it was dropped."""
    if hive.query(render_show_partitions(database, table)):
        return False
    hive.run_statements([render_drop_table(database, table)])
    return True


def render_show_databases_like(database: str) -> str:
    return render("show_databases_like.sql", pattern=string_literal(database))


def _named(rows: Sequence[tuple[Any, ...]], name: str) -> bool:
    """Whether a SHOW ... LIKE answer lists exactly `name` (LIKE's `_` matches any character)."""
    return any(str(row[0]).lower() == name.lower() for row in rows)


def table_state(hive: SqlRunner, database: str, table: str) -> TableState | None:
    """The existing table's columns, or None when there is no such table (or database). Only
    reads the metastore, so a dry run may ask too."""
    if not _named(hive.query(render_show_databases_like(database)), database):
        return None
    if not _named(hive.query(render_show_tables_like(database, table)), table):
        return None
    columns = parse_describe(hive.query(render_describe_table(database, table))).columns
    nullable = parse_nullable(hive.query(render_show_table_properties(database, table)))
    return TableState(columns, nullable)


@dataclass(frozen=True)
class PreparedTable:
    """The target table made ready for batches of one schema: what was found, what was run."""

    new_table: bool
    added_columns: tuple[str, ...]
    statements: tuple[str, ...]
    # The batch's columns as the table takes them (renamed, cast); None: as its schema says.
    plan: TablePlan | None = None
    changes: tuple[str, ...] = ()  # what changed in the table, in words

    def again(self) -> PreparedTable:
        """The same table for another batch of the same schema: ready, nothing to change."""
        return PreparedTable(new_table=False, added_columns=(), statements=(), plan=self.plan)


# A table that a batch found ready (a committed batch rolled forward, which does not convert).
ALREADY_READY = PreparedTable(new_table=False, added_columns=(), statements=())


def prepare_table(
    hive: SqlRunner,
    batch: BatchPlan,
    *,
    target_root: str,
    dry_run: bool = False,
    mode: Mode = "evolve",
) -> PreparedTable:
    """Create the database and the target table, or add the batch's new columns to it. Run
    once before loading batches of one schema, so that their INSERTs can run side by side.
    Raises SchemaConflict when the table cannot take the batch's columns."""
    plan = plan_for(batch)
    if dry_run:
        # What a real run would do: the table's state is read, nothing is changed.
        existing = table_state(hive, batch.database, batch.table)
        ddl, evolution = table_statements(
            batch, plan, existing=existing, target_root=target_root, mode=mode
        )
        statements = (render_create_database(batch.database), *ddl)
        return _prepared(existing is None, evolution, statements)
    _create_unless_there(
        hive,
        render_create_database(batch.database),
        lambda: _named(hive.query(render_show_databases_like(batch.database)), batch.database),
    )
    existing = table_state(hive, batch.database, batch.table)
    ddl, evolution = table_statements(
        batch, plan, existing=existing, target_root=target_root, mode=mode
    )
    if ddl and existing is None:
        created = _create_unless_there(
            hive, ddl[0], lambda: table_state(hive, batch.database, batch.table) is not None
        )
        if created and ddl[1:]:
            hive.run_statements(ddl[1:])  # what the table keeps about the schema it loaded
        if not created:
            # Another run created the table at the same moment: evolve it like any other.
            existing = table_state(hive, batch.database, batch.table)
            ddl, evolution = table_statements(
                batch, plan, existing=existing, target_root=target_root, mode=mode
            )
            if ddl:
                hive.run_statements(ddl)
    elif ddl:
        hive.run_statements(ddl)
    return _prepared(existing is None, evolution, tuple(ddl))


def _prepared(new: bool, evolution: Evolution, statements: tuple[str, ...]) -> PreparedTable:
    return PreparedTable(
        new_table=new,
        added_columns=evolution.add,
        statements=statements,
        plan=evolution.plan,
        changes=tuple(evolution.changes),
    )


# The metastore makes a new database's directory before it commits the database: a session
# whose CREATE failed in between finds nothing yet. How long the other may take to finish.
CREATE_RACE_SECONDS = 10.0


def _create_unless_there(hive: SqlRunner, statement: str, there: Callable[[], bool]) -> bool:
    """Run a CREATE ... IF NOT EXISTS; True if it created. Two sessions creating the same
    database or table at once can fail the slower one inside the metastore ("Unable to create
    database managed directory", AlreadyExistsException): if what it was to create is there
    now, or appears within CREATE_RACE_SECONDS, that is not a failure. Otherwise Hive's own
    error is raised."""
    try:
        hive.run_statements([statement])
    except StatementFailed:
        deadline = time.monotonic() + CREATE_RACE_SECONDS
        while not there():
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.5)
        return False
    return True


def convert_batch(
    hive: SqlRunner,
    batch: BatchPlan,
    table: PreparedTable,
    *,
    location: str,
    parquet_file_size_bytes: int,
    placement: Placement,
    dry_run: bool = False,
) -> ConversionResult:
    """Convert one batch into its pending Parquet output at `location` (the schema file must be
    on HDFS at layout.schema_file), in one session. The caller verifies the row count and
    publishes the partition. `table` tells whether this batch created or evolved the table,
    and holds the batch's columns as the table takes them."""
    plan = table.plan or plan_for(batch)
    statements = load_statements(
        batch, plan, schema_url=schema_file(batch.landing, batch.batch_id), location=location
    )
    result = ConversionResult.of(
        batch, table, location, statements=[*table.statements, *statements], dry_run=dry_run
    )
    if dry_run:
        return result
    started = time.monotonic()
    result.started_at = time.time()
    hive.run_statements(
        statements,
        settings=conversion_settings(parquet_file_size_bytes, placement.settings(batch)),
    )
    result.finished_at = time.time()
    result.hive_seconds = time.monotonic() - started
    log.info(
        "batch %s: %d files into %s.%s in %.1f s, %s",
        batch.batch_id,
        len(batch.files),
        batch.database,
        batch.table,
        result.hive_seconds,
        "inside HiveServer2" if placement.in_hiveserver2(batch) else "on the server's engine",
    )
    return result


# Hive makes each field's doc its column's comment, and the metastore holds a comment in 256
# characters (COLUMNS_V2.COMMENT in the embedded Derby metastore; others hold more): a longer
# doc fails the temporary table's CREATE.
METASTORE_COMMENT_CHARS = 256


def schema_json(batch: BatchPlan) -> bytes:
    """The temporary table's schema file: the batch's schema as Hive reads it."""
    return json.dumps(reader_schema(batch.schema)).encode()


def reader_schema(schema: Any) -> Any:
    """The schema Hive reads files of `schema` with: the same, with docs cut to what the
    metastore holds and each one-branch union `[T]` as `T` (Hive would make it a uniontype,
    which Parquet cannot hold; Avro resolves the files' `[T]` to a reader's `T`)."""
    return _for_hive(schema)


def _for_hive(node: Any) -> Any:
    if isinstance(node, list):
        return _for_hive(node[0]) if len(node) == 1 else [_for_hive(item) for item in node]
    if not isinstance(node, dict):
        return node
    # A default is data, symbols and aliases are names: left as they are. The fields list is
    # not a union: each field is rewritten, the list kept.
    cut = {
        key: value if key in ("default", "fields", "symbols", "aliases") else _for_hive(value)
        for key, value in node.items()
    }
    if "fields" in node and isinstance(node["fields"], list):
        cut["fields"] = [_for_hive(field) for field in node["fields"]]
    if isinstance(cut.get("doc"), str) and len(cut["doc"]) > METASTORE_COMMENT_CHARS:
        cut["doc"] = cut["doc"][: METASTORE_COMMENT_CHARS - 3] + "..."
    return cut
