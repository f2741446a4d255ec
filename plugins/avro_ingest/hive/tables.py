"""Plan the Hive tables for one Avro schema and render their statements. Pure: no I/O.

`build_plan` maps a record schema through the type table into a `TablePlan` (one
`ColumnPlan` per field, with the type AvroSerDe will show, the Parquet type, the select
expression that converts one into the other, and the Impala version needed to read it). The
`render_*` functions turn a plan and names into HiveQL/Impala statements through hive.sql;
every name and value passes avro_ingest.hive.quoting on the way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from avro_ingest.exceptions import AvroIngestError, UnsupportedAvroType
from avro_ingest.hive.quoting import (
    SqlFragment,
    compose,
    identifier,
    join,
    qualified,
    string_literal,
)
from avro_ingest.hive.sql import render
from avro_ingest.hive.types import ImpalaVersion, map_record_schema
from avro_ingest.stages.layout import PARTITION_COLUMNS

__all__ = [
    "DEFAULT_PARTITION_COLUMNS",
    "ColumnPlan",
    "TablePlan",
    "build_plan",
    "render_add_partition",
    "render_count_rows",
    "render_create_avro_temp_table",
    "render_create_parquet_pending_table",
    "render_create_parquet_table",
    "render_drop_table",
    "render_impala_compute_incremental_stats",
    "render_impala_invalidate_metadata",
    "render_impala_refresh_partition",
    "render_insert_overwrite_table",
]

DEFAULT_PARTITION_COLUMNS = PARTITION_COLUMNS


@dataclass(frozen=True)
class ColumnPlan:
    name: str
    avro: str
    serde_type: SqlFragment
    parquet_type: SqlFragment
    select: SqlFragment
    impala_min: ImpalaVersion
    rules: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "avro": self.avro,
            "serde_type": self.serde_type.sql,
            "parquet_type": self.parquet_type.sql,
            "select": self.select.sql,
            "impala_min": ".".join(map(str, self.impala_min)),
            "rules": list(self.rules),
        }


@dataclass(frozen=True)
class TablePlan:
    columns: tuple[ColumnPlan, ...]
    partition_columns: tuple[str, ...]
    warnings: tuple[str, ...]

    @property
    def impala_min(self) -> ImpalaVersion:
        return max(c.impala_min for c in self.columns)

    def impala_issues(self, version: ImpalaVersion) -> list[str]:
        """Columns an Impala of `version` cannot read (empty list: all readable)."""
        return [
            f"column {c.name} ({c.parquet_type.sql}) needs Impala "
            f"{'.'.join(map(str, c.impala_min))}+"
            for c in self.columns
            if c.impala_min > version
        ]

    def column_definitions(self) -> SqlFragment:
        return join(
            (compose("  {n} {t}", n=identifier(c.name), t=c.parquet_type) for c in self.columns),
            ",\n",
        )

    def select_list(self) -> SqlFragment:
        """Converted expressions, each aliased to its column name (CTAS takes the names)."""
        return join(
            (compose("{e} AS {n}", e=c.select, n=identifier(c.name)) for c in self.columns),
            ",\n  ",
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (XCom, logs)."""
        return {
            "columns": [c.to_dict() for c in self.columns],
            "partition_columns": list(self.partition_columns),
            "warnings": list(self.warnings),
        }


def build_plan(
    schema: object,
    path: str | None = None,
    *,
    partition_columns: Sequence[str] = DEFAULT_PARTITION_COLUMNS,
) -> TablePlan:
    """Plan the tables for a record schema. Raises a TerminalError (with file=path) when the
    schema cannot be held; the partition columns (STRING) must not clash with data columns."""
    try:
        mapped = map_record_schema(schema)
        partitions = tuple(p.lower() for p in partition_columns)
        for p in partitions:
            identifier(p)
        names = {m.name for m in mapped}
        clash = sorted(names & set(partitions))
        if clash or len(set(partitions)) != len(partitions):
            raise UnsupportedAvroType(
                clash[0] if clash else "",
                "record",
                "name_collision",
                f"partition columns {list(partitions)} clash with each other or with fields",
            )
        columns = []
        warnings: list[str] = []
        for m in mapped:
            column = identifier(m.name)
            select = m.hive.convert(column) if m.hive.convert is not None else column
            columns.append(
                ColumnPlan(
                    name=m.name,
                    avro=m.avro,
                    serde_type=m.hive.serde,
                    parquet_type=m.hive.parquet,
                    select=select,
                    impala_min=m.hive.impala_min,
                    rules=m.hive.rules,
                )
            )
            warnings.extend(m.hive.warnings)
        return TablePlan(tuple(columns), partitions, tuple(warnings))
    except AvroIngestError as exc:
        raise exc.with_file(path) from None


def _partition_spec(plan: TablePlan, partition: Mapping[str, str]) -> SqlFragment:
    """`k`='v', ... for exactly the plan's partition columns."""
    keys = tuple(k.lower() for k in partition)
    if set(keys) != set(plan.partition_columns) or len(keys) != len(plan.partition_columns):
        raise ValueError(
            f"partition values {sorted(partition)} do not match the plan's partition columns "
            f"{list(plan.partition_columns)}"
        )
    return _plain_partition_spec(partition, ", ")


def _plain_partition_spec(partition: Mapping[str, str], separator: str) -> SqlFragment:
    if not partition:
        raise ValueError("a partition needs at least one column")
    parts = [compose("{k}={v}", k=identifier(k), v=string_literal(v)) for k, v in partition.items()]
    return join(parts, " AND ") if separator == " AND " else join(parts, ", ")


def render_create_avro_temp_table(database: str, table: str, location: str, schema_url: str) -> str:
    return render(
        "create_avro_temp_table.sql",
        table=qualified(database, table),
        location=string_literal(location),
        schema_url=string_literal(schema_url),
    )


def render_create_parquet_table(plan: TablePlan, database: str, table: str, location: str) -> str:
    return render(
        "create_parquet_table.sql",
        table=qualified(database, table),
        columns=plan.column_definitions(),
        partition_columns=join(
            (compose("{n} STRING", n=identifier(p)) for p in plan.partition_columns), ", "
        ),
        location=string_literal(location),
    )


def render_create_parquet_pending_table(
    plan: TablePlan, database: str, table: str, location: str
) -> str:
    return render(
        "create_parquet_pending_table.sql",
        table=qualified(database, table),
        columns=plan.column_definitions(),
        location=string_literal(location),
    )


def render_insert_overwrite_table(
    plan: TablePlan, database: str, table: str, source_database: str, source_table: str
) -> str:
    return render(
        "insert_overwrite_table.sql",
        table=qualified(database, table),
        select_list=plan.select_list(),
        source=qualified(source_database, source_table),
    )


def render_add_partition(
    plan: TablePlan, database: str, table: str, partition: Mapping[str, str], location: str
) -> str:
    return render(
        "add_partition.sql",
        table=qualified(database, table),
        partition_spec=_partition_spec(plan, partition),
        location=string_literal(location),
    )


def render_drop_table(database: str, table: str) -> str:
    return render("drop_table.sql", table=qualified(database, table))


def render_count_rows(database: str, table: str) -> str:
    return render("count_rows.sql", table=qualified(database, table))


def render_impala_invalidate_metadata(database: str, table: str) -> str:
    return render("impala_invalidate_metadata.sql", table=qualified(database, table))


def render_impala_refresh_partition(database: str, table: str, partition: Mapping[str, str]) -> str:
    return render(
        "impala_refresh_partition.sql",
        table=qualified(database, table),
        partition_spec=_plain_partition_spec(partition, ", "),
    )


def render_impala_compute_incremental_stats(
    database: str, table: str, partition: Mapping[str, str]
) -> str:
    return render(
        "impala_compute_incremental_stats.sql",
        table=qualified(database, table),
        partition_spec=_plain_partition_spec(partition, ", "),
    )
