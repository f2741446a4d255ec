"""Avro to Hive/Parquet type mapping: one declared table plus the walk that applies it.

`TYPE_TABLE` holds, for every Avro type and logical type, two columns of truth:

- `serde_type`: what Hive 4.0.1's AvroSerDe shows for it in the temporary Avro table (the
  table is declared with `avro.schema.url`, so Hive derives this; we only predict it);
- `parquet_type`: what the Parquet column must be, and, when the two differ, the name of the
  HiveQL conversion (in `CONVERSIONS` below) that the insert-select applies;

plus whether Impala can read the Parquet column (`impala_min`, for a plan-time check), or the
reason code of the terminal error when the type cannot be held at all. `verified` says
whether the AvroSerDe type was seen on Hive 4.0.1 or is read from Hive's source
(SchemaToTypeInfo) and still to be confirmed by an integration test.

The decisions and their reasons are in docs/adr/0001-type-table.md; docs/type-table.md is the
same table for the README (a unit test keeps them in step).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Final, TypeGuard

from avro_ingest.avro.schema import NormalSchema, describe, normalize
from avro_ingest.exceptions import AvroIngestError, UnsupportedAvroType
from avro_ingest.hive.quoting import (
    SqlFragment,
    compose,
    identifier,
    join,
    number_literal,
    string_literal,
)

__all__ = [
    "HIVE_SESSION_SETTINGS",
    "SETTINGS_OUTSIDE_SQLSTD_WHITELIST",
    "SQLSTD_WHITELIST_APPEND",
    "TYPE_TABLE",
    "HiveType",
    "MappedColumn",
    "TypeRule",
    "decimal_from_fixed",
    "duration_from_fixed",
    "map_record_schema",
    "rule_key",
    "timestamp_from_micros",
    "timestamp_from_millis",
    "type_table_markdown",
    "void_to_string",
]

ImpalaVersion = tuple[int, int]
ANY_IMPALA: Final = (1, 0)
COMPLEX_IMPALA: Final = (2, 3)  # STRUCT/ARRAY/MAP in Parquet, queried with nested syntax
DECIMAL_IMPALA: Final = (1, 4)
DATE_IMPALA: Final = (3, 3)
TIMESTAMP_IMPALA: Final = (3, 2)  # Parquet INT64 timestamps (HIVE_SESSION_SETTINGS)
BINARY_IMPALA: Final = (4, 1)  # before 4.1 declare the column STRING in Impala
MAX_DECIMAL_PRECISION: Final = 38
# Hive 4.0.1 compiles a statement over a deeply nested column in a time that about triples
# with every two levels (measured on the local stack: 24 levels 10 s, 26 levels 23 s, 28
# levels 69 s, 30 did not finish in 2 minutes and held a core of HiveServer2). Deeper
# schemas are set aside before the claim rather than left to hang a session.
MAX_NESTING_DEPTH: Final = 24


@dataclass(frozen=True)
class TypeRule:
    """One row of the type table."""

    key: str
    avro: str
    serde_type: str
    parquet_type: str
    conversion: str | None
    impala: str
    impala_min: ImpalaVersion | None
    terminal: str | None
    verified: bool
    why: str


def _row(
    key: str,
    avro: str,
    serde: str,
    parquet: str,
    impala_min: ImpalaVersion | None,
    impala: str,
    why: str,
    *,
    conversion: str | None = None,
    terminal: str | None = None,
    verified: bool = False,
) -> TypeRule:
    return TypeRule(
        key, avro, serde, parquet, conversion, impala, impala_min, terminal, verified, why
    )


_V = True  # seen on Hive 4.0.1 (DESCRIBE in tests/integration/test_type_table_on_hive.py)

TYPE_TABLE: Final[Mapping[str, TypeRule]] = MappingProxyType(
    {
        r.key: r
        for r in (
            _row(
                "null",
                '"null"',
                "VOID",
                "STRING",
                ANY_IMPALA,
                "yes (always NULL)",
                "Parquet has no void type; the column can only be NULL, so a NULL STRING "
                "keeps the field without inventing data",
                conversion="void_to_string",
                verified=_V,
            ),
            _row(
                "boolean",
                '"boolean"',
                "BOOLEAN",
                "BOOLEAN",
                ANY_IMPALA,
                "yes",
                "same type",
                verified=_V,
            ),
            _row("int", '"int"', "INT", "INT", ANY_IMPALA, "yes", "same type", verified=_V),
            _row("long", '"long"', "BIGINT", "BIGINT", ANY_IMPALA, "yes", "same type", verified=_V),
            _row("float", '"float"', "FLOAT", "FLOAT", ANY_IMPALA, "yes", "same type", verified=_V),
            _row(
                "double",
                '"double"',
                "DOUBLE",
                "DOUBLE",
                ANY_IMPALA,
                "yes",
                "same type",
                verified=_V,
            ),
            _row(
                "bytes",
                '"bytes"',
                "BINARY",
                "BINARY",
                BINARY_IMPALA,
                "Impala 4.1+",
                "same type; older Impala can map the column as STRING",
                verified=_V,
            ),
            _row(
                "string",
                '"string"',
                "STRING",
                "STRING",
                ANY_IMPALA,
                "yes",
                "same type. Silent change: bytes that are not valid UTF-8 are read as U+FFFD "
                "(Hive's AvroSerDe; the row count cannot see it)",
                verified=_V,
            ),
            _row(
                "enum",
                "enum",
                "STRING",
                "STRING",
                ANY_IMPALA,
                "yes",
                "AvroSerDe shows the symbol name",
                verified=_V,
            ),
            _row(
                "fixed",
                "fixed(n)",
                "BINARY",
                "BINARY",
                BINARY_IMPALA,
                "Impala 4.1+",
                "the size is not kept by Hive",
                verified=_V,
            ),
            _row(
                "array",
                "array<T>",
                "ARRAY<T>",
                "ARRAY<T'>",
                COMPLEX_IMPALA,
                "Impala 2.3+ (complex type)",
                "elements that need a conversion keep their AvroSerDe type, with a warning: "
                "Hive cannot rewrite array elements without exploding the rows",
                verified=_V,
            ),
            _row(
                "map",
                "map<T>",
                "MAP<STRING,T>",
                "MAP<STRING,T'>",
                COMPLEX_IMPALA,
                "Impala 2.3+ (complex type)",
                "Avro map keys are strings; values as for array elements",
                verified=_V,
            ),
            _row(
                "record",
                "record",
                "STRUCT<f:T,...>",
                "STRUCT<f:T',...>",
                COMPLEX_IMPALA,
                "Impala 2.3+ (complex type)",
                "nested fields that need a conversion are rebuilt with named_struct(...)",
                verified=_V,
            ),
            _row(
                "record_no_fields",
                "record with no fields",
                "-",
                "-",
                None,
                "-",
                "Hive and Parquet have no empty struct",
                terminal="empty_record",
            ),
            _row(
                "record_recursive",
                "record that contains itself",
                "-",
                "-",
                None,
                "-",
                "a Hive type is a finite tree; AvroSerDe rejects recursive schemas",
                terminal="recursive_record",
            ),
            _row(
                "record_name_collision",
                "record with fields equal ignoring case",
                "-",
                "-",
                None,
                "-",
                "Hive column and struct field names are case-insensitive",
                terminal="name_collision",
            ),
            _row(
                "top_level_not_record",
                "top-level schema that is not a record",
                "-",
                "-",
                None,
                "-",
                "AvroSerDe reads only files whose schema is a record (one column per field)",
                terminal="top_level_not_record",
            ),
            _row(
                "union_nullable",
                "[null, T] (null in any position)",
                "T",
                "T'",
                ANY_IMPALA,
                "as T",
                "every Hive column is nullable; AvroSerDe unwraps the union",
                verified=_V,
            ),
            _row(
                "union_single",
                "[T] (a union of one branch)",
                "T",
                "T'",
                ANY_IMPALA,
                "as T",
                "Hive would make it a uniontype; the schema Hive reads with says T (Avro "
                "resolves a one-branch union to its branch)",
                verified=_V,
            ),
            _row(
                "union_other",
                "any other union ([A, B], [null, A, B])",
                "UNIONTYPE<...>",
                "-",
                None,
                "-",
                "Hive's uniontype cannot be written to Parquet (apache/parquet-java issue 1415)",
                terminal="union_not_supported",
            ),
            _row(
                "decimal_bytes",
                "bytes decimal(p,s), p <= 38",
                "DECIMAL(p,s)",
                "DECIMAL(p,s)",
                DECIMAL_IMPALA,
                "yes",
                "same type. Silent change: the most negative 38-digit value, -10^38 + 1 read "
                "from decimal(38,0), comes out NULL (Hive's AvroSerDe, a plain table too)",
                verified=_V,
            ),
            _row(
                "decimal_fixed",
                "fixed(n) decimal(p,s), p <= 38",
                "BINARY",
                "DECIMAL(p,s)",
                DECIMAL_IMPALA,
                "yes",
                "AvroSerDe ignores decimal on fixed; the two's-complement bytes are decoded "
                "exactly in HiveQL",
                conversion="decimal_from_fixed",
                verified=_V,
            ),
            _row(
                "decimal_invalid",
                "decimal with p > 38, scale > p, or p too large for n",
                "-",
                "-",
                None,
                "-",
                "Hive's DECIMAL holds at most 38 digits; AvroSerDe fails on such a column",
                terminal="decimal_precision",
            ),
            _row(
                "date",
                "int date",
                "DATE",
                "DATE",
                DATE_IMPALA,
                "Impala 3.3+",
                "same type; days on the proleptic Gregorian calendar, in Avro and in Parquet "
                "(HIVE_SESSION_SETTINGS)",
                verified=_V,
            ),
            _row(
                "time_millis",
                "int time-millis",
                "INT",
                "INT",
                ANY_IMPALA,
                "yes",
                "Hive has no TIME type: milliseconds since midnight, lossless",
                verified=_V,
            ),
            _row(
                "time_micros",
                "long time-micros",
                "BIGINT",
                "BIGINT",
                ANY_IMPALA,
                "yes",
                "Hive has no TIME type: microseconds since midnight, lossless",
                verified=_V,
            ),
            _row(
                "timestamp_millis",
                "long timestamp-millis",
                "TIMESTAMP",
                "TIMESTAMP",
                TIMESTAMP_IMPALA,
                "Impala 3.2+ (INT64 timestamp)",
                "same type; an instant, shown as its UTC wall time (HIVE_SESSION_SETTINGS)",
                verified=_V,
            ),
            _row(
                "timestamp_micros",
                "long timestamp-micros",
                "BIGINT",
                "TIMESTAMP",
                TIMESTAMP_IMPALA,
                "Impala 3.2+ (INT64 timestamp)",
                "AvroSerDe shows BIGINT; an instant, converted exactly to its UTC wall time "
                "with microseconds",
                conversion="timestamp_from_micros",
                verified=_V,
            ),
            _row(
                "local_timestamp_millis",
                "long local-timestamp-millis",
                "BIGINT",
                "TIMESTAMP",
                TIMESTAMP_IMPALA,
                "Impala 3.2+ (INT64 timestamp)",
                "AvroSerDe 4.0.1 shows BIGINT; a wall time, converted exactly and never "
                "shifted by a time zone",
                conversion="timestamp_from_millis",
                verified=_V,
            ),
            _row(
                "local_timestamp_micros",
                "long local-timestamp-micros",
                "BIGINT",
                "TIMESTAMP",
                TIMESTAMP_IMPALA,
                "Impala 3.2+ (INT64 timestamp)",
                "AvroSerDe 4.0.1 shows BIGINT; a wall time, converted exactly and never "
                "shifted by a time zone",
                conversion="timestamp_from_micros",
                verified=_V,
            ),
            _row(
                "uuid",
                "string uuid",
                "STRING",
                "STRING",
                ANY_IMPALA,
                "yes",
                "same type",
                verified=_V,
            ),
            _row(
                "duration",
                "fixed(12) duration",
                "BINARY",
                "STRUCT<months:BIGINT,days:BIGINT,milliseconds:BIGINT>",
                COMPLEX_IMPALA,
                "Impala 2.3+ (complex type)",
                "three little-endian unsigned 32-bit counts; BIGINT holds them without sign "
                "trouble",
                conversion="duration_from_fixed",
                verified=_V,
            ),
            _row(
                "hive_char",
                "string char (Hive extension, maxLength n)",
                "CHAR(n)",
                "CHAR(n)",
                ANY_IMPALA,
                "yes",
                "written by Hive itself for CHAR columns; padded with spaces to n, and "
                "AvroSerDe cuts a longer value",
                verified=_V,
            ),
            _row(
                "hive_varchar",
                "string varchar (Hive extension, maxLength n)",
                "VARCHAR(n)",
                "VARCHAR(n)",
                ANY_IMPALA,
                "yes",
                "written by Hive itself for VARCHAR columns; AvroSerDe cuts a longer value",
                verified=_V,
            ),
            _row(
                "nesting_too_deep",
                "arrays, maps and records nested more than 24 levels deep",
                "-",
                "-",
                None,
                "-",
                "Hive's compile time about triples every two levels (28 levels: 69 s)",
                terminal="too_deep",
            ),
            _row(
                "char_invalid",
                "char or varchar without a maxLength Hive takes (CHAR 1..255, VARCHAR 1..65535)",
                "-",
                "-",
                None,
                "-",
                "AvroSerDe cannot declare the column",
                terminal="char_length",
            ),
            _row(
                "unknown_type",
                "a type name Avro does not define",
                "-",
                "-",
                None,
                "-",
                "not an Avro schema Hive or any reader can decode",
                terminal="invalid_schema",
            ),
            _row(
                "unknown_logical",
                "any other logicalType",
                "as the underlying type",
                "as the underlying type",
                ANY_IMPALA,
                "as the underlying type",
                "the Avro specification says to ignore unknown logical types; so does Hive",
                verified=_V,
            ),
        )
    }
)

# Session settings the table's semantics rest on: every session that reads the temporary Avro
# table and writes the Parquet table SETs them (convert.conversion_settings merges them in).
# Each was needed on Hive 4.0.1 for the values to come back as written
# (tests/integration/test_type_table_on_hive.py):
# - hive.avro.proleptic.gregorian.default: Avro files from writers other than Hive carry no
#   `writer.proleptic` metadata, and the AvroSerDe then reads `date` and `timestamp-millis` on
#   the hybrid Julian/Gregorian calendar: 0001-01-01 reads as 0001-01-03. Avro counts days on
#   the proleptic Gregorian calendar (as fastavro, java.time and Spark 3 do).
# - hive.avro.timestamp.legacy.conversion.enabled: the legacy (java.util) zone conversion moves
#   a `timestamp-millis` between 1582-10-05 and 1582-10-14 ten days later.
# - hive.avro.timestamp.skip.conversion: without `writer.time.zone` metadata the AvroSerDe
#   shows a `timestamp-millis` in the server JVM's time zone; skipped, every instant shows as
#   its UTC wall time whatever the server's zone, as the BIGINT conversions below give.
# - hive.parquet.date.proleptic.gregorian: Parquet DATE values on the proleptic calendar (by
#   default Hive writes hybrid-calendar days, and 1582-10-10 comes back as 1582-10-20).
# - hive.parquet.write.int64.timestamp, hive.parquet.timestamp.time.unit: TIMESTAMP columns as
#   INT64 TIMESTAMP(MICROS, isAdjustedToUTC=false), a wall time no reader shifts by a time zone.
#   The default INT96 goes through Julian day numbers, which move 1582-10-05..14 by ten days,
#   and Impala may shift INT96 by its own zone settings (HIVE-12767). Impala reads INT64
#   timestamps from 3.2 on (IMPALA-5050).
HIVE_SESSION_SETTINGS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "hive.avro.proleptic.gregorian.default": "true",
        "hive.avro.timestamp.legacy.conversion.enabled": "false",
        "hive.avro.timestamp.skip.conversion": "true",
        "hive.parquet.date.proleptic.gregorian": "true",
        "hive.parquet.write.int64.timestamp": "true",
        "hive.parquet.timestamp.time.unit": "micros",
    }
)

# A HiveServer2 with SQL standard authorization lets a session SET only what its whitelist
# (hive.security.authorization.sqlstd.confwhitelist, Hive's default list) allows. Of the
# pipeline's settings these are outside it: its administrator allows them by appending this
# pattern to hive.security.authorization.sqlstd.confwhitelist.append, or by setting them to
# these values in hive-site.xml. The README shows both; tests/integration checks the list.
SETTINGS_OUTSIDE_SQLSTD_WHITELIST: Final[tuple[str, ...]] = (
    "hive.avro.proleptic.gregorian.default",
    "hive.avro.timestamp.legacy.conversion.enabled",
    "hive.avro.timestamp.skip.conversion",
)
SQLSTD_WHITELIST_APPEND: Final[str] = "|".join(
    re.escape(name) for name in SETTINGS_OUTSIDE_SQLSTD_WHITELIST
)

# --- conversions: each HiveQL expression lives here and only here ------------------------------


def void_to_string(x: SqlFragment) -> SqlFragment:
    """A VOID column (Avro "null") as a NULL STRING."""
    return compose("CAST({x} AS STRING)", x=x)


def _timestamp_from_units(x: SqlFragment, per_second: int, digits: int) -> SqlFragment:
    """BIGINT units (per_second of them a second) since 1970-01-01T00:00 to TIMESTAMP, exactly.

    Hive 4 refuses CAST of a number to TIMESTAMP (hive.strict.timestamp.conversion is on by
    default), so the value is added to the epoch as two intervals: whole days (x DIV units per
    day), then the rest of the day as DECIMAL seconds (x % units per day, at most 11 digits,
    divided exactly). One interval of seconds cannot span the whole range: Hive's day-time
    interval overflows beyond about 292 years of seconds. DIV and % both truncate toward zero,
    so negative values (before 1970) come out right; NULL stays NULL. Hive's TIMESTAMP is a
    wall time without zone and the arithmetic is on that wall time, so the result does not
    depend on the server's or the session's time zone: the instant's UTC wall time.
    """
    per_day = number_literal(per_second * 86_400)
    rest = compose("DECIMAL({p},{s})", p=number_literal(11 + digits), s=number_literal(digits))
    return compose(
        "TIMESTAMP '1970-01-01 00:00:00' + INTERVAL ({x} DIV {d}) DAY"
        " + INTERVAL (CAST({x} % {d} AS {rest}) / {u}) SECOND",
        x=x,
        d=per_day,
        rest=rest,
        u=number_literal(per_second),
    )


def timestamp_from_micros(x: SqlFragment) -> SqlFragment:
    """BIGINT microseconds since 1970-01-01T00:00 to TIMESTAMP, exact to the microsecond."""
    return _timestamp_from_units(x, 1_000_000, 6)


def timestamp_from_millis(x: SqlFragment) -> SqlFragment:
    """BIGINT milliseconds since 1970-01-01T00:00 to TIMESTAMP, exact to the millisecond."""
    return _timestamp_from_units(x, 1_000, 3)


def _hex_byte(x: SqlFragment, index: int) -> SqlFragment:
    """Byte `index` (0-based) of BINARY x as a decimal number 0..255 (a STRING from conv)."""
    return compose(
        "conv(substr(hex({x}), {start}, 2), 16, 10)", x=x, start=number_literal(2 * index + 1)
    )


def decimal_from_fixed(x: SqlFragment, size: int, precision: int, scale: int) -> SqlFragment:
    """Decode a fixed(size) two's-complement big-endian decimal (AvroSerDe shows BINARY).

    unscaled = sum(byte_i * 256^k) for a non-negative number (first byte < 128), and
    -(sum((255 - byte_i) * 256^k)) - 1 for a negative one, so no intermediate value leaves
    DECIMAL(38,0) for any value that fits DECIMAL(38). Only the last 16 bytes carry value:
    a number with at most 38 digits is below 2^127, so bytes before them are sign extension.
    The scale is applied through the string form "<unscaled>E-<scale>", which is exact,
    unlike a DECIMAL division whose result scale Hive may reduce. (Only the branch taken can
    matter: where Hive computes both branches, as vectorized CASE may, the other one
    overflows to NULL, which Hive's decimal arithmetic returns instead of failing.)
    """
    start = max(0, size - 16)
    positive: list[SqlFragment] = []
    negative: list[SqlFragment] = []
    for index in range(start, size):
        weight = number_literal(256 ** (size - 1 - index))
        byte = _hex_byte(x, index)
        positive.append(compose("CAST({b} AS DECIMAL(38,0)) * {w}", b=byte, w=weight))
        negative.append(compose("(255 - CAST({b} AS DECIMAL(38,0))) * {w}", b=byte, w=weight))
    unscaled = compose(
        "CASE WHEN CAST({first} AS INT) >= 128 THEN -({neg}) - 1 ELSE {pos} END",
        first=_hex_byte(x, 0),
        neg=join(negative, " + "),
        pos=join(positive, " + "),
    )
    target = compose("DECIMAL({p},{s})", p=number_literal(precision), s=number_literal(scale))
    if scale == 0:
        return compose("CAST({u} AS {t})", u=unscaled, t=target)
    return compose(
        "CAST(CONCAT(CAST({u} AS STRING), {exp}) AS {t})",
        u=unscaled,
        exp=string_literal(f"E-{scale}"),
        t=target,
    )


def _u32le(x: SqlFragment, offset: int) -> SqlFragment:
    """Unsigned little-endian 32-bit integer at byte `offset` of BINARY x, as BIGINT."""
    parts = [
        compose("substr(hex({x}), {start}, 2)", x=x, start=number_literal(2 * (offset + i) + 1))
        for i in (3, 2, 1, 0)
    ]
    return compose("CAST(conv(concat({parts}), 16, 10) AS BIGINT)", parts=join(parts))


def duration_from_fixed(x: SqlFragment) -> SqlFragment:
    """fixed(12) duration (months, days, milliseconds: little-endian uint32) to a STRUCT."""
    return compose(
        "named_struct('months', {m}, 'days', {d}, 'milliseconds', {ms})",
        m=_u32le(x, 0),
        d=_u32le(x, 4),
        ms=_u32le(x, 8),
    )


# --- the walk --------------------------------------------------------------------------------

Convert = Callable[[SqlFragment], SqlFragment]


@dataclass(frozen=True)
class HiveType:
    """Result of mapping one Avro type.

    `serde` is the type AvroSerDe shows (in DDL syntax), `parquet` the Parquet column type,
    `convert` turns an expression of the serde type into one of the parquet type (None: the
    value is selected as is). `raw_writable` says whether the serde type itself can be written
    to Parquet (needed when a conversion is impossible, inside arrays and maps).
    """

    serde: SqlFragment
    parquet: SqlFragment
    convert: Convert | None
    impala_min: ImpalaVersion
    raw_impala_min: ImpalaVersion
    rules: tuple[str, ...]
    warnings: tuple[str, ...] = ()
    raw_writable: bool = True


@dataclass(frozen=True)
class MappedColumn:
    """A top-level field of the record: one column of the Avro and of the Parquet table."""

    name: str
    avro: str
    hive: HiveType
    doc: str | None = field(default=None)


def _t(sql: str) -> SqlFragment:
    """Type names are fixed words from this module's table, composed without placeholders."""
    return compose(sql)  # our own constants, never input


# The conversions plain rows name (TypeRule.conversion). The parametric rows (decimal on
# fixed, duration) call theirs with the type's parameters, in the walker.
_CONVERSIONS: Final[Mapping[str, Convert]] = MappingProxyType(
    {
        "void_to_string": void_to_string,
        "timestamp_from_micros": timestamp_from_micros,
        "timestamp_from_millis": timestamp_from_millis,
    }
)
_PLAIN = re.compile(r"[A-Z]+")


def _plain_rows() -> dict[str, TypeRule]:
    """Rows whose types are single words (no parameters, no nesting): the walker maps them
    from the table alone."""
    return {
        key: row
        for key, row in TYPE_TABLE.items()
        if row.terminal is None
        and _PLAIN.fullmatch(row.serde_type)
        and _PLAIN.fullmatch(row.parquet_type)
    }


_PLAIN_ROWS: Final[Mapping[str, TypeRule]] = MappingProxyType(_plain_rows())
# Which Impala reads a type written as it is (a conversion's input, when it cannot convert):
# the plain row that stores that type unchanged. VOID has none: it cannot be written.
_RAW_IMPALA: Final[Mapping[str, ImpalaVersion]] = MappingProxyType(
    {
        row.parquet_type: row.impala_min
        for row in _PLAIN_ROWS.values()
        if row.conversion is None and row.serde_type == row.parquet_type and row.impala_min
    }
)


def _from_table(key: str) -> HiveType:
    row = _PLAIN_ROWS[key]
    assert row.impala_min is not None
    raw = _RAW_IMPALA.get(row.serde_type)
    return HiveType(
        _t(row.serde_type),
        _t(row.parquet_type),
        _CONVERSIONS[row.conversion] if row.conversion else None,
        row.impala_min,
        raw or ANY_IMPALA,
        (key,),
        raw_writable=raw is not None,
    )


_LOGICAL_BASE: Final[dict[tuple[str, str], str]] = {
    # (logicalType, underlying type) -> rule key; any other pair is ignored (Avro spec)
    ("date", "int"): "date",
    ("time-millis", "int"): "time_millis",
    ("time-micros", "long"): "time_micros",
    ("timestamp-millis", "long"): "timestamp_millis",
    ("timestamp-micros", "long"): "timestamp_micros",
    ("local-timestamp-millis", "long"): "local_timestamp_millis",
    ("local-timestamp-micros", "long"): "local_timestamp_micros",
    ("uuid", "string"): "uuid",
    ("decimal", "bytes"): "decimal_bytes",
    ("decimal", "fixed"): "decimal_fixed",
    ("char", "string"): "hive_char",
    ("varchar", "string"): "hive_varchar",
}


def rule_key(node: dict[str, Any]) -> str:
    """The type-table row for a dereferenced, non-union node (before validity checks)."""
    kind = str(node["type"])
    logical = node.get("logicalType")
    if isinstance(logical, str):
        if logical == "duration" and kind == "fixed" and node.get("size") == 12:
            return "duration"
        key = _LOGICAL_BASE.get((logical, kind))
        if key is not None:
            return key
    return kind


class _Walker:
    def __init__(self, schema: NormalSchema) -> None:
        self.schema = schema
        self.stack: list[str] = []
        self.depth = 0  # arrays, maps and records entered

    def terminal(self, path: str, node: Any, rule: str, why: str) -> UnsupportedAvroType:
        """The error for a terminal row of the table: its reason is the row's."""
        reason = TYPE_TABLE[rule].terminal
        assert reason is not None, f"type-table row {rule} is not terminal"
        return UnsupportedAvroType(path, describe(node, self.schema.names), reason, why)

    def map(self, node: Any, path: str) -> HiveType:
        resolved = self.schema.deref(node)
        if isinstance(resolved, list):
            return self.union(resolved, path)
        key = rule_key(resolved)
        if key in _PLAIN_ROWS:
            return _from_table(key)
        if key == "decimal_bytes":
            p, s = self.decimal(resolved, path, None)
            dec = compose("DECIMAL({p},{s})", p=number_literal(p), s=number_literal(s))
            return HiveType(dec, dec, None, DECIMAL_IMPALA, DECIMAL_IMPALA, (key,))
        if key == "decimal_fixed":
            size = int(resolved["size"])
            p, s = self.decimal(resolved, path, size)
            dec = compose("DECIMAL({p},{s})", p=number_literal(p), s=number_literal(s))

            def convert(x: SqlFragment) -> SqlFragment:
                return decimal_from_fixed(x, size, p, s)

            return HiveType(_t("BINARY"), dec, convert, DECIMAL_IMPALA, BINARY_IMPALA, (key,))
        if key == "duration":
            struct = _t("STRUCT<`months`:BIGINT,`days`:BIGINT,`milliseconds`:BIGINT>")
            return HiveType(
                _t("BINARY"), struct, duration_from_fixed, COMPLEX_IMPALA, BINARY_IMPALA, (key,)
            )
        if key in ("hive_char", "hive_varchar"):
            return self.char(resolved, path, key)
        if key in ("array", "map", "record"):
            return self.nested(resolved, path, key)
        raise self.terminal(path, resolved, "unknown_type", f"unknown Avro type {key!r}")

    def nested(self, node: dict[str, Any], path: str, key: str) -> HiveType:
        """An array, map or record: one level deeper, within what Hive can compile."""
        self.depth += 1
        try:
            if self.depth > MAX_NESTING_DEPTH:
                raise self.terminal(
                    path,
                    node,
                    "nesting_too_deep",
                    f"nested more than {MAX_NESTING_DEPTH} levels deep (arrays, maps and "
                    "records); Hive takes too long to compile statements over such a column",
                )
            if key == "array":
                return self.collection(node["items"], f"{path}[]", "ARRAY<{t}>", "array")
            if key == "map":
                return self.collection(node["values"], f"{path}{{}}", "MAP<STRING,{t}>", "map")
            return self.record(node, path)
        finally:
            self.depth -= 1

    def decimal(self, node: dict[str, Any], path: str, size: int | None) -> tuple[int, int]:
        precision = node.get("precision")
        scale = node.get("scale", 0)
        problem = None
        if not _is_int(precision) or not _is_int(scale):
            problem = f"precision and scale must be integers, got {precision!r}, {scale!r}"
        elif not 1 <= precision <= MAX_DECIMAL_PRECISION:
            problem = f"precision {precision} is outside 1..{MAX_DECIMAL_PRECISION}"
        elif not 0 <= scale <= precision:
            problem = f"scale {scale} is outside 0..precision ({precision})"
        elif size is not None and precision > _max_fixed_precision(size):
            problem = (
                f"precision {precision} does not fit fixed({size}) "
                f"(at most {_max_fixed_precision(size)} digits)"
            )
        if problem is not None:
            raise self.terminal(path, node, "decimal_invalid", problem)
        assert isinstance(precision, int) and isinstance(scale, int)
        return precision, scale

    def char(self, node: dict[str, Any], path: str, key: str) -> HiveType:
        length = node.get("maxLength")
        limit, word = (255, "CHAR") if key == "hive_char" else (65535, "VARCHAR")
        if not _is_int(length) or not 1 <= length <= limit:
            raise self.terminal(
                path,
                node,
                "char_invalid",
                f"Hive {word} needs maxLength in 1..{limit}, got {length!r}",
            )
        assert isinstance(length, int)
        typ = compose(f"{word}({{n}})", n=number_literal(length))
        return HiveType(typ, typ, None, ANY_IMPALA, ANY_IMPALA, (key,))

    def union(self, branches: list[Any], path: str) -> HiveType:
        resolved = [self.schema.deref(b) for b in branches]
        others = [
            b
            for b, r in zip(branches, resolved, strict=True)
            if not (isinstance(r, dict) and r.get("type") == "null")
        ]
        if len(branches) == 1 and len(others) == 1:
            inner = self.map(others[0], path)
            return replace(inner, rules=("union_single", *inner.rules))
        if len(branches) >= 2 and len(others) == 1:
            inner = self.map(others[0], path)
            convert = inner.convert
            if convert is not None:
                inner_convert = convert

                def guarded(x: SqlFragment) -> SqlFragment:
                    # named_struct(...) of NULL fields is not NULL: keep NULL rows NULL.
                    return compose(
                        "CASE WHEN {x} IS NULL THEN NULL ELSE {c} END", x=x, c=inner_convert(x)
                    )

                convert = guarded
            return replace(inner, convert=convert, rules=("union_nullable", *inner.rules))
        raise self.terminal(
            path,
            branches,
            "union_other",
            "only [null, T] unions can be stored; Hive would make this a uniontype, which "
            "cannot be written to Parquet",
        )

    def collection(self, inner_node: Any, path: str, shape: str, key: str) -> HiveType:
        inner = self.map(inner_node, path)
        warnings = inner.warnings
        if inner.convert is None:
            parquet = inner.parquet
            impala = max(COMPLEX_IMPALA, inner.impala_min)
        elif inner.raw_writable:
            parquet = inner.serde
            impala = max(COMPLEX_IMPALA, inner.raw_impala_min)
            warnings = (
                *warnings,
                f"{path}: kept as {inner.serde.sql} (AvroSerDe type), not {inner.parquet.sql}: "
                f"Hive cannot convert the elements of an {key} in place",
            )
        else:
            raise UnsupportedAvroType(
                path,
                describe(inner_node, self.schema.names),
                "unsupported_type",
                f"AvroSerDe shows {inner.serde.sql}, which Parquet cannot store, and Hive cannot "
                f"convert the elements of an {key} in place",
            )
        fill = shape.replace("{t}", "{inner}")
        return HiveType(
            compose(fill, inner=inner.serde),
            compose(fill, inner=parquet),
            None,
            impala,
            max(COMPLEX_IMPALA, inner.raw_impala_min),
            (key, *inner.rules),
            warnings,
            raw_writable=inner.raw_writable,
        )

    def fields(self, node: dict[str, Any], path: str) -> list[tuple[str, HiveType]]:
        """Map the fields of a record (checks recursion, emptiness and name collisions)."""
        name = str(node["name"])
        if name in self.stack:
            raise self.terminal(path, node, "record_recursive", f"record {name} contains itself")
        fields = node["fields"]
        if not fields:
            raise self.terminal(path, node, "record_no_fields", f"record {name} has no fields")
        check_name_collisions([f["name"] for f in fields], path, node, self.schema)
        for f in fields:
            identifier(f["name"])  # fails early (terminal) on names Hive cannot take
        self.stack.append(name)
        try:
            return [(f["name"], self.map(f["type"], _join(path, f["name"]))) for f in fields]
        finally:
            self.stack.pop()

    def record(self, node: dict[str, Any], path: str) -> HiveType:
        mapped = self.fields(node, path)
        serde = join((compose("{n}:{t}", n=identifier(n), t=h.serde) for n, h in mapped), ",")
        parquet = join((compose("{n}:{t}", n=identifier(n), t=h.parquet) for n, h in mapped), ",")
        rules: list[str] = ["record"]
        warnings: list[str] = []
        for _, h in mapped:
            rules.extend(h.rules)
            warnings.extend(h.warnings)
        convert: Convert | None = None
        if any(h.convert is not None for _, h in mapped):

            def rebuild(x: SqlFragment) -> SqlFragment:
                parts = []
                for n, h in mapped:
                    member = compose("{x}.{n}", x=x, n=identifier(n))
                    value = h.convert(member) if h.convert is not None else member
                    parts.append(compose("{k}, {v}", k=string_literal(n.lower()), v=value))
                return compose("named_struct({parts})", parts=join(parts))

            convert = rebuild
        return HiveType(
            compose("STRUCT<{f}>", f=serde),
            compose("STRUCT<{f}>", f=parquet),
            convert,
            max([COMPLEX_IMPALA, *(h.impala_min for _, h in mapped)]),
            max([COMPLEX_IMPALA, *(h.raw_impala_min for _, h in mapped)]),
            tuple(rules),
            tuple(warnings),
            raw_writable=all(h.raw_writable for _, h in mapped),
        )


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _max_fixed_precision(size: int) -> int:
    """Digits a signed two's-complement number of `size` bytes always holds."""
    if size < 1:
        return 0
    return len(str(2 ** (8 * size - 1) - 1)) - 1


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def check_name_collisions(
    names: list[str], path: str, node: Any, schema: NormalSchema | None = None
) -> None:
    """Raise name_collision when two names are equal ignoring case (Hive lower-cases)."""
    seen: dict[str, str] = {}
    for name in names:
        other = seen.setdefault(name.lower(), name)
        if other != name:
            raise UnsupportedAvroType(
                path,
                describe(node, schema.names if schema else None),
                "name_collision",
                f"fields {other!r} and {name!r} are the same name in Hive (case-insensitive)",
            )


def map_record_schema(schema: object, path: str | None = None) -> list[MappedColumn]:
    """Map a top-level record schema to one MappedColumn per field.

    Raises InvalidSchema or UnsupportedAvroType (both terminal) with `file=path`; any schema
    gives either columns or a terminal error.
    """
    try:
        normal = normalize(schema)
        root = normal.deref(normal.root)
        if not (isinstance(root, dict) and root.get("type") == "record"):
            raise UnsupportedAvroType(
                "",
                describe(normal.root, normal.names),
                "top_level_not_record",
                "Hive's AvroSerDe reads only files whose schema is a record",
            )
        mapped = _Walker(normal).fields(root, "")
        return [
            MappedColumn(
                name=name.lower(),
                avro=describe(f["type"], normal.names),
                hive=hive,
                doc=f.get("doc") if isinstance(f.get("doc"), str) else None,
            )
            for (name, hive), f in zip(mapped, root["fields"], strict=True)
        ]
    except AvroIngestError as exc:
        raise exc.with_file(path) from None


def type_table_markdown() -> str:
    """TYPE_TABLE as a Markdown table (docs/type-table.md embeds it; a test keeps them equal)."""

    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")

    lines = [
        "| Avro | Hive 4.0.1 AvroSerDe type | Parquet column | conversion | Impala | "
        "terminal reason | AvroSerDe type seen | why |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for rule in TYPE_TABLE.values():
        lines.append(
            "| "
            + " | ".join(
                cell(x)
                for x in (
                    rule.avro,
                    rule.serde_type,
                    rule.parquet_type,
                    f"`{rule.conversion}`" if rule.conversion else "-",
                    rule.impala,
                    f"`{rule.terminal}`" if rule.terminal else "-",
                    "verified" if rule.verified else "from Hive source",
                    rule.why,
                )
            )
            + " |"
        )
    return "\n".join(lines) + "\n"
