"""How a target table follows a batch whose schema differs from the table's columns: one
declared policy (`EVOLUTION_TABLE`, which the README shows) and the comparison that applies it.
Pure: the table's columns come from DESCRIBE, the batch's from its plan.

Columns are matched by name, never by position: Hive reads Parquet columns by name, so each
partition keeps the columns its batch had, and a column a batch lacks reads NULL. Impala does
the same when readers set PARQUET_FALLBACK_SCHEMA_RESOLUTION=name (see the README).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final, Literal

from avro_ingest.exceptions import SchemaConflict
from avro_ingest.hive.quoting import SqlFragment, compose, identifier, join, number_literal
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
    ("int", "float"): compose("FLOAT"),
    ("int", "double"): compose("DOUBLE"),
    ("bigint", "float"): compose("FLOAT"),
    ("bigint", "double"): compose("DOUBLE"),
    ("float", "double"): compose("DOUBLE"),
}
_PRIMITIVES: Final[dict[str, SqlFragment]] = {
    name: compose(sql)
    for name, sql in (
        ("tinyint", "TINYINT"),
        ("smallint", "SMALLINT"),
        ("int", "INT"),
        ("bigint", "BIGINT"),
        ("float", "FLOAT"),
        ("double", "DOUBLE"),
        ("boolean", "BOOLEAN"),
        ("string", "STRING"),
        ("binary", "BINARY"),
        ("date", "DATE"),
        ("timestamp", "TIMESTAMP"),
    )
}
_SIZED = re.compile(r"(decimal|char|varchar)\((\d+)(?:,(\d+))?\)")

# A Hive type as a tree: a primitive's name, or (kind, children) for struct (fields as
# (name, type) pairs), array (element) and map (key, value).
HiveType = Any


class _Changed(Exception):
    """A nested difference the policy does not follow: the path inside the column."""


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
        "int to long, float or double; long to float or double; float to double",
        "the column is widened (`CHANGE COLUMN ... CASCADE`); earlier files read as the wider type",
        "conflict",
        "conflict",
    ),
    PolicyRow(
        "the reverse (an older schema after a newer one)",
        "the batch is written in the table's wider type",
        "conflict",
        "the batch is written in the table's wider type",
    ),
    PolicyRow(
        "a field added to a nested record (a struct column, array elements)",
        "the column's type gains the field (`CHANGE COLUMN ... CASCADE`); earlier rows read NULL",
        "conflict",
        "conflict",
    ),
    PolicyRow(
        "a field added to the records of a map's values",
        "the same, at the end only: Hive 4 reads a map's value records by position",
        "conflict",
        "conflict",
    ),
    PolicyRow(
        "a nested field missing (an older schema)",
        "its rows read NULL (in map values: conflict)",
        "conflict",
        "its rows read NULL (in map values: conflict)",
    ),
    PolicyRow(
        "a field that held nulls made required, with no default",
        "conflict (rows loaded before could not be read with the new schema)",
        "conflict",
        "conflict",
    ),
    PolicyRow(
        "new enum symbols",
        "nothing to do: an enum is a STRING column",
        "nothing to do",
        "nothing to do",
    ),
    PolicyRow(
        "any other change of type (string to int, another decimal scale, another logical type, "
        "a nested field's type changed, a map's value records reordered)",
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
    # Top-level fields nullable in any schema the table loaded, this batch's included.
    nullable: frozenset[str] = frozenset()

    @property
    def changes(self) -> list[str]:
        """What changed in the table, in words (the summary and the table's history)."""
        return [f"added {name}" for name in self.add] + [
            f"{'extended' if '<' in kind.sql else 'widened'} {name} to {kind.sql}"
            for name, kind in self.widen
        ]


def _normalise(hive_type: str) -> str:
    return hive_type.replace("`", "").replace(" ", "").lower()


def _fields(schema: Any) -> list[Mapping[str, Any]]:
    if not isinstance(schema, Mapping):
        return []
    return [f for f in schema.get("fields", ()) if isinstance(f, Mapping)]


def _is_nullable(kind: Any) -> bool:
    return isinstance(kind, list) and "null" in kind


def nullable_fields(schema: Any) -> frozenset[str]:
    """Top-level fields a record schema lets be null."""
    return frozenset(str(f["name"]).lower() for f in _fields(schema) if _is_nullable(f["type"]))


def _made_required(schema: Any, nullable: frozenset[str], have: Mapping[str, str]) -> str | None:
    """A field the table has held nulls for that the schema makes required with no default:
    rows written before could not be read with it (Avro's resolution)."""
    aliases = _aliases(schema)
    for f in _fields(schema):
        name = str(f["name"]).lower()
        column = (
            name if name in have else next((a for a in aliases.get(name, ()) if a in have), name)
        )
        if column in nullable and not _is_nullable(f["type"]) and "default" not in f:
            return column
    return None


def _aliases(schema: Any) -> dict[str, tuple[str, ...]]:
    """Field name -> its aliases (lower case), for a record schema."""
    if not isinstance(schema, Mapping):
        return {}
    return {
        str(f["name"]).lower(): tuple(str(a).lower() for a in f.get("aliases", ()))
        for f in schema.get("fields", ())
        if isinstance(f, Mapping)
    }


def parse_type(text: str) -> HiveType:
    """A normalised Hive type (lower case, no spaces or backticks) as a tree."""
    node, end = _parse(text, 0)
    if end != len(text):
        raise ValueError(f"not a Hive type: {text!r}")
    return node


def _parse(text: str, at: int) -> tuple[HiveType, int]:
    for kind in ("struct<", "array<", "map<"):
        if text.startswith(kind, at):
            at += len(kind)
            children: list[Any] = []
            while True:
                if kind == "struct<":
                    colon = text.index(":", at)
                    name = text[at:colon]
                    child, at = _parse(text, colon + 1)
                    children.append((name, child))
                else:
                    child, at = _parse(text, at)
                    children.append(child)
                if text[at] == ">":
                    return (kind[:-1], tuple(children)), at + 1
                at += 1  # the comma
    end = at
    while end < len(text) and text[end] not in ",>":
        end += 1 if text[end] != "(" else text.index(")", end) - end + 1
    return text[at:end], end


def _merge(table: HiveType, batch: HiveType, path: str, *, map_value: bool = False) -> HiveType:
    """The type that holds both the table's rows and the batch's (nested additions only)."""
    if table == batch:
        return table
    if isinstance(table, tuple) and isinstance(batch, tuple) and table[0] == batch[0]:
        kind = table[0]
        if kind == "array":
            return ("array", (_merge(table[1][0], batch[1][0], f"{path}[]"),))
        if kind == "map":
            if table[1][0] != batch[1][0]:
                raise _Changed(f"{path} keys")
            value = _merge(table[1][1], batch[1][1], f"{path}{{}}", map_value=True)
            return ("map", (table[1][0], value))
        had = dict(table[1])
        got = dict(batch[1])
        if map_value and [n for n, _ in batch[1]][: len(had)] != list(had):
            raise _Changed(f"{path} (its fields must keep their order, new ones at the end)")
        fields = [
            (name, _merge(kind_, got[name], f"{path}.{name}") if name in got else kind_)
            for name, kind_ in table[1]
        ]
        fields += [(name, kind_) for name, kind_ in batch[1] if name not in had]
        return ("struct", tuple(fields))
    raise _Changed(path)


def render_type(node: HiveType) -> SqlFragment:
    """A type tree as SQL, every field name through the quoting helper."""
    if isinstance(node, str):
        if node in _PRIMITIVES:
            return _PRIMITIVES[node]
        sized = _SIZED.fullmatch(node)
        if sized is None:
            raise ValueError(f"no SQL for the Hive type {node!r}")
        numbers = [number_literal(int(n)) for n in sized.groups()[1:] if n is not None]
        if sized[1] == "decimal":
            return compose("DECIMAL({p},{s})", p=numbers[0], s=numbers[1])
        if sized[1] == "char":
            return compose("CHAR({n})", n=numbers[0])
        return compose("VARCHAR({n})", n=numbers[0])
    kind, children = node
    if kind == "array":
        return compose("ARRAY<{t}>", t=render_type(children[0]))
    if kind == "map":
        return compose("MAP<{k},{v}>", k=render_type(children[0]), v=render_type(children[1]))
    fields = join((compose("{n}:{t}", n=identifier(n), t=render_type(t)) for n, t in children), ",")
    return compose("STRUCT<{f}>", f=fields)


def _nested(table_type: str, batch_type: str, name: str) -> SqlFragment | None:
    """The column's new type when a nested record gained fields (None: nothing to change);
    SchemaConflict when the nested difference is not one the policy follows."""
    try:
        merged = _merge(parse_type(table_type), parse_type(batch_type), name)
    except _Changed as where:
        raise SchemaConflict(
            f"field {name} is {table_type} in the table but {batch_type} in the batch's schema "
            f"(at {where})"
        ) from None
    return None if merged == parse_type(table_type) else render_type(merged)


def evolve(
    plan: TablePlan,
    table: Sequence[tuple[str, str]] | None,
    *,
    mode: Mode = "evolve",
    schema: Any = None,
    nullable: frozenset[str] = frozenset(),
) -> Evolution:
    """Compare a batch's plan with the table's (name, type) columns (None: no table yet) and
    the fields the table has held nulls for. Raises SchemaConflict naming the field, the
    table's type and the batch's type."""
    if table is None:
        return Evolution(plan, nullable=nullable_fields(schema))
    have = dict(table)
    required = _made_required(schema, nullable, have)
    if required is not None:
        raise SchemaConflict(
            f"field {required} held nulls in the table but is required, with no default, in "
            "the batch's schema"
        )
    aliases = _aliases(schema)
    batch_names = {c.name for c in plan.columns}
    columns: list[ColumnPlan] = []
    add: list[str] = []
    widen: list[tuple[str, SqlFragment]] = []
    renames: dict[str, str] = {}
    for column in plan.columns:
        name = column_name = column.name
        if name not in have:
            renamed = [a for a in aliases.get(name, ()) if a in have and a not in batch_names]
            if renamed:
                name = renamed[0]
                column = replace(column, name=name)  # the select list aliases it to `name`
                renames[column_name] = name
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
        elif mode == "freeze":
            raise SchemaConflict(
                f"field {name} is {table_type} in the table but {want} in the batch's schema "
                "(schema changes: freeze)"
            )
        elif (table_type, want) in _WIDER and mode == "evolve":
            widen.append((name, _WIDER[(table_type, want)]))
            columns.append(column)
        elif (want, table_type) in _WIDER:
            wider = _WIDER[(want, table_type)]
            cast = compose("CAST({e} AS {t})", e=column.select, t=wider)
            columns.append(replace(column, parquet_type=wider, select=cast))
        elif "<" in table_type and "<" in want and table_type.split("<")[0] == want.split("<")[0]:
            merged = _nested(table_type, want, name)
            if merged is not None and mode != "evolve":
                raise SchemaConflict(
                    f"field {name} is {table_type} in the table but {want} in the batch's "
                    f"schema (schema changes: {mode})"
                )
            if merged is not None:
                widen.append((name, merged))
            columns.append(column)
        else:
            raise SchemaConflict(
                f"field {name} is {table_type} in the table but {want} in the batch's schema"
                + ("" if mode == "evolve" else f" (schema changes: {mode})")
            )
    missing = [n for n in have if n not in {c.name for c in columns}]
    if missing and mode == "freeze":
        raise SchemaConflict(f"column {missing[0]} ({have[missing[0]]}) is not in the schema")
    loaded = {c.name for c in columns}
    held_nulls = {renames.get(n, n) for n in nullable_fields(schema)} & loaded
    return Evolution(
        replace(plan, columns=tuple(columns)), tuple(add), tuple(widen), nullable | held_nulls
    )
