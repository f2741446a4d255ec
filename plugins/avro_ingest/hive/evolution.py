"""How a target table follows a batch whose schema differs from the table's columns: one
declared policy (`EVOLUTION_TABLE`, which the README shows) and the comparison that applies it.
Pure: the table's columns come from DESCRIBE, the batch's from its plan.

Columns are matched by name, never by position: Hive reads Parquet columns by name, so each
partition keeps the columns its batch had, and a column a batch lacks reads NULL. Impala does
the same when readers set PARQUET_FALLBACK_SCHEMA_RESOLUTION=name (see the README).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final, Literal

from avro_ingest.exceptions import SchemaConflict
from avro_ingest.hive.quoting import SqlFragment, compose
from avro_ingest.hive.tables import ColumnPlan, TablePlan

__all__ = ["EVOLUTION_TABLE", "MODES", "Evolution", "Mode", "evolution_table_markdown", "evolve"]

Mode = Literal["evolve", "freeze", "discard_new_columns"]
MODES: Final[dict[str, str]] = {
    "evolve": "Follow compatible changes (the table below)",
    "freeze": "Any change of columns is a conflict",
    "discard_new_columns": "Keep the table's columns; drop new fields",
}

# Widenings Avro's resolution allows whose old Parquet files Hive reads under the wider type
# (proved on the local stack by tests/integration/test_schema_evolution.py). Lower-case Hive
# types, as DESCRIBE shows them.
_WIDER: Final[dict[tuple[str, str], SqlFragment]] = {
    ("int", "bigint"): compose("BIGINT"),
    ("float", "double"): compose("DOUBLE"),
}


@dataclass(frozen=True)
class PolicyRow:
    change: str
    evolve: str
    freeze: str
    discard_new_columns: str


EVOLUTION_TABLE: Final[tuple[PolicyRow, ...]] = (
    PolicyRow(
        "a new field, anywhere in the record",
        "a new column (`ADD COLUMNS ... CASCADE`); earlier rows read NULL",
        "conflict",
        "the field is not loaded",
    ),
    PolicyRow(
        "a field the table has is missing (an older schema, or a field removed)",
        "its rows read NULL",
        "conflict",
        "its rows read NULL",
    ),
    PolicyRow("fields in another order", "matched by name", "matched by name", "matched by name"),
    PolicyRow(
        "a field renamed, with its old name in `aliases`",
        "loaded into the old name's column",
        "loaded into the old name's column",
        "loaded into the old name's column",
    ),
    PolicyRow(
        "int to long, float to double",
        "the column is widened (`CHANGE COLUMN ... CASCADE`); earlier files read as the wider type",
        "conflict",
        "conflict",
    ),
    PolicyRow(
        "long to int, double to float (an older schema after a newer one)",
        "the batch is written in the table's wider type",
        "conflict",
        "the batch is written in the table's wider type",
    ),
    PolicyRow(
        "new enum symbols",
        "nothing to do: an enum is a STRING column",
        "nothing to do",
        "nothing to do",
    ),
    PolicyRow(
        "any other change of type (string to int, another decimal scale, another logical type, "
        "a changed nested record, array or map, int or long to float or double)",
        "conflict",
        "conflict",
        "conflict",
    ),
)


def evolution_table_markdown() -> str:
    """EVOLUTION_TABLE as the README shows it."""
    lines = [
        "| change | " + " | ".join(f"`{mode}`" for mode in MODES) + " |",
        "| --- | " + " | ".join("---" for _ in MODES) + " |",
    ]
    lines += [
        f"| {row.change} | {row.evolve} | {row.freeze} | {row.discard_new_columns} |"
        for row in EVOLUTION_TABLE
    ]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Evolution:
    """What the table and the batch need: columns to add, columns to widen (name, wider type),
    and the batch's plan with its columns named and typed as the table takes them."""

    plan: TablePlan
    add: tuple[str, ...] = ()
    widen: tuple[tuple[str, SqlFragment], ...] = ()

    @property
    def changes(self) -> list[str]:
        """What changed in the table, in words (the summary and the table's history)."""
        return [f"added {name}" for name in self.add] + [
            f"widened {name} to {kind.sql}" for name, kind in self.widen
        ]


def _normalise(hive_type: str) -> str:
    return hive_type.replace("`", "").replace(" ", "").lower()


def _aliases(schema: Any) -> dict[str, tuple[str, ...]]:
    """Field name -> its aliases (lower case), for a record schema."""
    if not isinstance(schema, Mapping):
        return {}
    return {
        str(f["name"]).lower(): tuple(str(a).lower() for a in f.get("aliases", ()))
        for f in schema.get("fields", ())
        if isinstance(f, Mapping)
    }


def evolve(
    plan: TablePlan,
    table: Sequence[tuple[str, str]] | None,
    *,
    mode: Mode = "evolve",
    schema: Any = None,
) -> Evolution:
    """Compare a batch's plan with the table's (name, type) columns (None: no table yet).
    Raises SchemaConflict naming the field, the table's type and the batch's type."""
    if table is None:
        return Evolution(plan)
    have = dict(table)
    aliases = _aliases(schema)
    batch_names = {c.name for c in plan.columns}
    columns: list[ColumnPlan] = []
    add: list[str] = []
    widen: list[tuple[str, SqlFragment]] = []
    for column in plan.columns:
        name = column.name
        if name not in have:
            renamed = [a for a in aliases.get(name, ()) if a in have and a not in batch_names]
            if renamed:
                name = renamed[0]
                column = replace(column, name=name)  # the select list aliases it to `name`
        want = _normalise(column.parquet_type.sql)
        if name not in have:
            if mode == "freeze":
                raise SchemaConflict(f"field {name} ({want}) is not a column of the table")
            if mode == "discard_new_columns":
                continue
            add.append(name)
            columns.append(column)
            continue
        table_type = have[name]
        if want == table_type:
            columns.append(column)
        elif (table_type, want) in _WIDER and mode == "evolve":
            widen.append((name, _WIDER[(table_type, want)]))
            columns.append(column)
        elif (want, table_type) in _WIDER and mode != "freeze":
            wider = _WIDER[(want, table_type)]
            cast = compose("CAST({e} AS {t})", e=column.select, t=wider)
            columns.append(replace(column, parquet_type=wider, select=cast))
        else:
            raise SchemaConflict(
                f"field {name} is {table_type} in the table but {want} in the batch's schema"
                + ("" if mode == "evolve" else f" (schema changes: {mode})")
            )
    missing = [n for n in have if n not in {c.name for c in columns}]
    if missing and mode == "freeze":
        raise SchemaConflict(f"column {missing[0]} ({have[missing[0]]}) is not in the schema")
    return Evolution(replace(plan, columns=tuple(columns)), tuple(add), tuple(widen))
