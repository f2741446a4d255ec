"""Every row of the type table on the real stack: Avro written with fastavro to HDFS, converted
by the statements hive/tables.py renders (temporary Avro table over the file and its .avsc, the
partitioned Parquet table, INSERT OVERWRITE of a pending table over one partition's directory
with the conversions, then the partition published) through
HiveServer2, read back from the Parquet table and compared with what was written. DESCRIBE
of both tables must show the AvroSerDe and Parquet types the table predicts.

One wide schema holds every case (one field each), so the whole table costs one temporary
Avro table, one Parquet table and one INSERT. Each case is still its own test: if the wide
load fails, the cases are loaded again in halves until the failure lands on the case that
has it.

Time-zone semantics checked here (docs/type-table.md): `timestamp-millis` and
`timestamp-micros` are instants and read back as their UTC wall time, whatever offset the
writer's datetime had; `local-timestamp-*` are wall times and read back unchanged; neither
depends on the session's time zone. Days are counted on the proleptic Gregorian calendar, as
Avro specifies. The stack runs HiveServer2 with -Duser.timezone=UTC.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import os
import struct
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import fastavro
import pytest
from avro_ingest.exceptions import StatementFailed, TerminalError
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
from avro_ingest.hive.types import HIVE_SESSION_SETTINGS, MAX_NESTING_DEPTH, TYPE_TABLE
from avro_ingest.hooks.hdfs import AvroIngestHdfsHook
from avro_ingest.hooks.hive import AvroIngestHiveHook
from avro_ingest.stages.batch import BatchPlan
from avro_ingest.stages.convert import (
    Placement,
    conversion_settings,
    parse_describe,
    reader_schema,
)

# As the pipeline converts a small batch: inside HiveServer2, whatever the server's engine.
IN_HIVESERVER2 = Placement(256 * 1024**2).settings(
    BatchPlan("b", "/l", "d", "t", "fp", {}, "2026-12-04", ())
)
pytestmark = pytest.mark.integration

NAMENODE = f"hdfs://localhost:{os.environ.get('AVRO_INGEST_NAMENODE_RPC_PORT', '8020')}"
DATABASE = "default"
PARTITION = {"ingest_date": "2026-11-24"}
ROWS = 6
UTC = dt.UTC
IST = dt.timezone(dt.timedelta(hours=5, minutes=30))
PST = dt.timezone(dt.timedelta(hours=-8))

# --- how a written value reads back ------------------------------------------------------------


def wall(t: dt.datetime) -> str:
    """Hive's text of a TIMESTAMP: the UTC wall time of an aware datetime, a naive one as is;
    fractional seconds without trailing zeros."""
    if t.tzinfo is not None:
        t = t.astimezone(UTC).replace(tzinfo=None)
    text = f"{day(t)} {t.hour:02d}:{t.minute:02d}:{t.second:02d}"
    if t.microsecond:
        text += "." + f"{t.microsecond:06d}".rstrip("0")
    return text


def day(d: dt.date) -> str:
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d}"


def f32(x: float) -> float:
    """The float a FLOAT column holds (fastavro writes 32 bits)."""
    return float(struct.unpack("<f", struct.pack("<f", x))[0])


def decimal_text(scale: int) -> Callable[[Decimal], str]:
    """Hive shows a DECIMAL(p,s) with exactly s digits after the point."""
    return lambda d: f"{d:.{scale}f}"


def dec(unscaled: int, scale: int) -> Decimal:
    """unscaled * 10^-scale, exactly (Decimal arithmetic would round to 28 digits)."""
    return Decimal(f"{unscaled}E-{scale}")


def unscaled(d: Decimal, scale: int) -> int:
    sign, digits, exponent = d.as_tuple()
    assert isinstance(exponent, int) and exponent + scale >= 0
    value = int("".join(map(str, digits))) * 10 ** (exponent + scale)
    return -value if sign else value


def micros(t: dt.datetime) -> int:
    """What a raw timestamp-micros (BIGINT) holds."""
    delta = t - dt.datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def millis_of_day(t: dt.time) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * 1000 + t.microsecond // 1000


def micros_of_day(t: dt.time) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000 + t.microsecond


def duration(months: int, days: int, ms: int) -> bytes:
    return struct.pack("<III", months, days, ms)


def duration_json(value: bytes) -> dict[str, int]:
    months, days, ms = struct.unpack("<III", value)
    return {"months": months, "days": days, "milliseconds": ms}


def as_json(text: str | None) -> Any:
    """A complex value as HiveServer2 sends it (JSON text); decimals stay exact."""
    return None if text is None else json.loads(text, parse_float=Decimal)


def same(x: Any) -> Any:
    return x


@dataclass(frozen=True)
class Probe:
    """One thing to read from the Parquet column: a select expression ({c} is the column), the
    value expected for a written value, and how to read the answer (None: as pyhive gives it;
    a JSON column is parsed)."""

    sql: str
    expect: Callable[[Any], Any]
    json: bool = False
    if_null: Any = None  # expected where the written value is NULL

    def expected(self, value: Any) -> Any:
        return self.if_null if value is None else self.expect(value)


@dataclass(frozen=True)
class Case:
    """One field of the wide schema: the type-table row it stands for, its Avro type, ROWS
    written values, the AvroSerDe type and the Parquet column type DESCRIBE must show (Hive's
    spelling, lower case), and what to read back."""

    name: str
    row: str
    avro: Any
    values: Sequence[Any]
    serde: str
    parquet: str
    probes: Sequence[Probe] = ()
    warns: bool = False  # the plan warns that a nested value keeps its AvroSerDe type

    def all_probes(self) -> Sequence[Probe]:
        return self.probes or default_probes(self.parquet)


def default_probes(parquet: str) -> list[Probe]:
    if parquet in ("boolean", "int", "bigint", "double", "string", "void") or parquet.startswith(
        ("char", "varchar")
    ):
        return [Probe("{c}", same)]
    if parquet == "float":
        # HiveServer2 sends a FLOAT as the double of its shortest text (3.4028235E38); widened
        # in Hive first, the 32-bit value arrives unchanged.
        return [Probe("CAST({c} AS DOUBLE)", f32)]
    if parquet == "timestamp":
        return [Probe("CAST({c} AS STRING)", wall)]
    if parquet == "date":
        return [Probe("CAST({c} AS STRING)", day)]
    if parquet == "binary":
        return [Probe("hex({c})", lambda b: b.hex().upper())]
    if parquet.startswith("decimal("):
        scale = int(parquet.rstrip(")").split(",")[1])
        return [Probe("CAST({c} AS STRING)", decimal_text(scale))]
    raise AssertionError(f"no default probe for {parquet}: give the case its probes")


def null_or(values: Sequence[Any], *nulls: int) -> list[Any]:
    """`values` with None at the given row indexes (the nullable variant of a case)."""
    return [None if i in nulls else v for i, v in enumerate(values)]


def fixed_decimal(name: str, size: int, precision: int, scale: int) -> dict[str, Any]:
    return {
        "type": "fixed",
        "name": name,
        "size": size,
        "logicalType": "decimal",
        "precision": precision,
        "scale": scale,
    }


def bytes_decimal(precision: int, scale: int) -> dict[str, Any]:
    return {"type": "bytes", "logicalType": "decimal", "precision": precision, "scale": scale}


def logical(base: str, name: str) -> dict[str, Any]:
    return {"type": base, "logicalType": name}


# --- the values ------------------------------------------------------------------------------

MAX38 = 10**38 - 1
INSTANTS = [  # timestamp-millis (millisecond values) and timestamp-micros
    dt.datetime(1970, 1, 1, tzinfo=UTC),
    dt.datetime(1969, 12, 31, 23, 59, 59, 999000, tzinfo=UTC),
    dt.datetime(2024, 2, 29, 12, 34, 56, 789000, tzinfo=IST),  # 07:04:56.789 UTC
    dt.datetime(1582, 10, 10, 12, 0, 0, 1000, tzinfo=UTC),  # in the Julian/Gregorian gap
    dt.datetime(1, 1, 1, 0, 0, 0, tzinfo=UTC),
    dt.datetime(9999, 12, 31, 15, 59, 59, 999000, tzinfo=PST),  # 23:59:59.999 UTC
]
MICRO_INSTANTS = [
    dt.datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
    dt.datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    dt.datetime(2024, 2, 29, 12, 34, 56, 123456, tzinfo=IST),
    dt.datetime(1582, 10, 10, 12, 0, 0, 1, tzinfo=UTC),
    dt.datetime(1, 1, 1, 0, 0, 0, tzinfo=UTC),
    dt.datetime(9999, 12, 31, 15, 59, 59, 999999, tzinfo=PST),
]
WALL_TIMES = [  # local-timestamp-*: no zone at all
    dt.datetime(1970, 1, 1),
    dt.datetime(1969, 12, 31, 23, 59, 59, 999000),
    dt.datetime(2024, 3, 31, 2, 30, 0, 5000),  # a wall time that does not exist in Europe
    dt.datetime(1000, 6, 15, 8, 0, 0, 1000),
    dt.datetime(1, 1, 1),
    dt.datetime(9999, 12, 31, 23, 59, 59, 999000),
]
WALL_TIMES_MICROS = [t + dt.timedelta(microseconds=i * 7 % 1000) for i, t in enumerate(WALL_TIMES)]
DATES = [
    dt.date(1970, 1, 1),
    dt.date(1969, 12, 31),
    dt.date(1582, 10, 10),  # does not exist on the hybrid calendar
    dt.date(1582, 10, 4),
    dt.date(1, 1, 1),
    dt.date(9999, 12, 31),
]
STRINGS = ["", "plain", "ünïcödé 😀 中文", "quote ' \" back\\slash", "tab\tnew\nline", "x" * 5000]

NESTED = {
    "type": "record",
    "name": "Nested",
    "fields": [
        {"name": "Select", "type": "string"},
        {"name": "from", "type": ["null", "long"], "default": None},
        {"name": "at", "type": logical("long", "timestamp-micros")},
        {"name": "amount", "type": fixed_decimal("Amount20", 9, 20, 4)},
        {
            "name": "inner",
            "type": {
                "type": "record",
                "name": "Deep",
                "fields": [
                    {"name": "d", "type": logical("int", "date")},
                    {"name": "wall", "type": logical("long", "local-timestamp-millis")},
                    {"name": "raw", "type": "bytes"},
                ],
            },
        },
    ],
}
NESTED_VALUES = [
    {
        "Select": s,
        "from": f,
        "at": at,
        "amount": amount,
        "inner": {"d": d, "wall": w, "raw": raw},
    }
    for s, f, at, amount, d, w, raw in zip(
        [*STRINGS[:5], "end"],
        [None, 0, -(2**63), 2**63 - 1, None, 42],
        MICRO_INSTANTS,
        [
            Decimal("0.0000"),
            Decimal("-0.0001"),
            Decimal("9999999999999999.9999"),
            Decimal("-9999999999999999.9999"),
            Decimal("1.5000"),
            Decimal("-123.4560"),
        ],
        DATES,
        WALL_TIMES,
        [b"", b"\x00", b"\xff\xfe", "ü".encode(), bytes(range(256)), b"raw"],
        strict=True,
    )
]


def nested_json(v: dict[str, Any]) -> dict[str, Any]:
    """The Parquet struct as JSON: converted fields as their Parquet types (the BINARY field is
    probed apart, as hex; HiveServer2 sends BINARY inside JSON as raw bytes)."""
    return {
        "select": v["Select"],
        "from": v["from"],
        "at": wall(v["at"]),
        "amount": v["amount"],
        "inner": {"d": day(v["inner"]["d"]), "wall": wall(v["inner"]["wall"])},
    }


NESTED_JSON_SQL = (
    "named_struct('select', {c}.`select`, 'from', {c}.`from`, 'at', CAST({c}.`at` AS STRING), "
    "'amount', {c}.`amount`, 'inner', named_struct('d', CAST({c}.`inner`.`d` AS STRING), "
    "'wall', CAST({c}.`inner`.`wall` AS STRING)))"
)
NESTED_PARQUET = (
    "struct<select:string,from:bigint,at:timestamp,amount:decimal(20,4),"
    "inner:struct<d:date,wall:timestamp,raw:binary>>"
)
NESTED_SERDE = (
    "struct<select:string,from:bigint,at:bigint,amount:binary,"
    "inner:struct<d:date,wall:bigint,raw:binary>>"
)

ITEM = {
    "type": "record",
    "name": "Item",
    "fields": [
        {"name": "name", "type": "string"},
        {"name": "at", "type": logical("long", "timestamp-micros")},
        {"name": "price", "type": bytes_decimal(10, 2)},
    ],
}


def item(name: str, at: dt.datetime, price: str) -> dict[str, Any]:
    return {"name": name, "at": at, "price": Decimal(price)}


def item_json(v: dict[str, Any]) -> dict[str, Any]:
    """Inside arrays and maps a timestamp-micros keeps its AvroSerDe type: BIGINT micros."""
    return {"name": v["name"], "at": micros(v["at"]), "price": v["price"]}


ITEMS = [
    [],
    [item("", MICRO_INSTANTS[0], "0.00")],
    [item("a", MICRO_INSTANTS[1], "-0.01"), item("ü😀", MICRO_INSTANTS[2], "99999999.99")],
    [item("old", MICRO_INSTANTS[4], "-99999999.99")],
    [item("x", MICRO_INSTANTS[5], "1.10")] * 3,
    [item("y", MICRO_INSTANTS[3], "12.34")],
]
RAW_DECIMAL = fixed_decimal("RawDecimal", 4, 9, 2)


def unscaled_hex(d: Decimal, size: int, scale: int) -> str:
    return unscaled(d, scale).to_bytes(size, "big", signed=True).hex().upper()


def enum(name: str) -> dict[str, Any]:
    return {"type": "enum", "name": name, "symbols": ["RED", "GREEN", "_blue", "Z9"]}


def fixed(name: str, size: int) -> dict[str, Any]:
    return {"type": "fixed", "name": name, "size": size}


D38_10 = [
    dec(0, 10),
    dec(-1, 10),
    dec(MAX38, 10),
    dec(-MAX38, 10),
    Decimal("1234567890123456789012345678.9012345678"),
    Decimal("-1.5000000000"),
]
D38_0 = [
    Decimal(0),
    Decimal(-1),
    Decimal(MAX38),
    Decimal(-MAX38),
    Decimal(2**64),
    Decimal(-(2**63)),
]
D38_38 = [dec(n, 38) for n in (0, -1, MAX38, -MAX38, 5 * 10**37, -(10**37))]
D9_2 = [
    Decimal("0.00"),
    Decimal("-0.01"),
    Decimal("9999999.99"),
    Decimal("-9999999.99"),
    Decimal("1234567.89"),
    Decimal("-0.99"),
]
D2_1 = [Decimal(x) for x in ("0.0", "-0.1", "9.9", "-9.9", "1.0", "-1.0")]
D18_4 = [
    Decimal("0.0000"),
    Decimal("-0.0001"),
    Decimal("99999999999999.9999"),
    Decimal("-99999999999999.9999"),
    Decimal("0.5000"),
    Decimal("-7.0000"),
]
UUIDS = [uuid.UUID(int=0), uuid.UUID(int=2**128 - 1), *(uuid.UUID(int=i * 7919) for i in range(4))]

CASES: list[Case] = [
    Case("c_null", "null", "null", [None] * ROWS, "void", "string"),
    Case("c_boolean", "boolean", "boolean", [True, False] * 3, "boolean", "boolean"),
    Case(
        "c_boolean_null",
        "union_nullable",
        ["null", "boolean"],
        null_or([True, False] * 3, 0, 5),
        "boolean",
        "boolean",
    ),
    Case("c_int", "int", "int", [0, -1, 1, -(2**31), 2**31 - 1, 123456789], "int", "int"),
    Case(
        "c_int_single", "union_single", ["int"], [0, -1, 7, -(2**31), 2**31 - 1, 42], "int", "int"
    ),
    Case(
        "c_int_null",
        "union_nullable",
        ["int", "null"],
        [None, 0, None, -(2**31), 2**31 - 1, 7],
        "int",
        "int",
    ),
    Case(
        "c_long",
        "long",
        "long",
        [0, -1, 2**53 + 1, -(2**63), 2**63 - 1, 1_700_000_000_123_456],
        "bigint",
        "bigint",
    ),
    Case(
        "c_float",
        "float",
        "float",
        [0.0, -1.5, 3.4028234663852886e38, 1.401298464324817e-45, math.inf, 0.1],
        "float",
        "float",
    ),
    Case(
        "c_double",
        "double",
        "double",
        [0.0, -1e-300, 1.7976931348623157e308, 5e-324, -math.inf, math.pi],
        "double",
        "double",
    ),
    Case(
        "c_double_null",
        "union_nullable",
        ["null", "double"],
        [None, 0.1, -0.0, None, 2.5, 1e100],
        "double",
        "double",
    ),
    Case(
        "c_bytes",
        "bytes",
        "bytes",
        [b"", b"\x00", bytes(range(256)), "ü😀".encode(), b"\xff" * 3, b"plain"],
        "binary",
        "binary",
    ),
    Case(
        "c_bytes_null",
        "union_nullable",
        ["null", "bytes"],
        [None, b"", b"\x00", None, b"a", b"b"],
        "binary",
        "binary",
    ),
    Case("c_string", "string", "string", STRINGS, "string", "string"),
    Case(
        "c_string_null",
        "union_nullable",
        ["string", "null"],
        null_or(STRINGS, 1, 4),
        "string",
        "string",
    ),
    Case(
        "c_enum",
        "enum",
        enum("Colour"),
        ["RED", "GREEN", "_blue", "Z9", "RED", "_blue"],
        "string",
        "string",
    ),
    Case(
        "c_enum_null",
        "union_nullable",
        ["null", enum("Colour2")],
        [None, "GREEN", None, "Z9", "RED", "_blue"],
        "string",
        "string",
    ),
    Case(
        "c_fixed",
        "fixed",
        fixed("Four", 4),
        [
            b"\x00" * 4,
            b"\xff" * 4,
            b"abcd",
            b"\x80\x00\x00\x01",
            "üü".encode(),
            b"\x01\x02\x03\x04",
        ],
        "binary",
        "binary",
    ),
    Case(
        "c_fixed_null",
        "union_nullable",
        ["null", fixed("One", 1)],
        [None, b"\x00", b"\xff", None, b"a", b"\x80"],
        "binary",
        "binary",
    ),
    Case(
        "c_array_string",
        "array",
        {"type": "array", "items": "string"},
        [[], [""], ["a", "ü😀", "quote \" ' \\"], ["x"] * 5, ["tab\tnew\nline"], STRINGS[:3]],
        "array<string>",
        "array<string>",
        [Probe("{c}", same, json=True), Probe("size({c})", len)],
    ),
    Case(
        "c_array_nullable_items",
        "array",
        {"type": "array", "items": ["null", "long"]},
        [[None], [], [1, None, -(2**63)], [2**63 - 1], [None, None], [0]],
        "array<bigint>",
        "array<bigint>",
        [Probe("{c}", same, json=True)],
    ),
    Case(
        "c_array_null",
        "union_nullable",
        ["null", {"type": "array", "items": "int"}],
        [None, [], [1, 2, 3], None, [-(2**31)], [0]],
        "array<int>",
        "array<int>",
        [Probe("{c}", same, json=True)],
    ),
    Case(
        "c_array_record",
        "array",
        {"type": "array", "items": ITEM},
        ITEMS,
        "array<struct<name:string,at:bigint,price:decimal(10,2)>>",
        "array<struct<name:string,at:bigint,price:decimal(10,2)>>",
        [Probe("{c}", lambda v: [item_json(i) for i in v], json=True)],
        warns=True,
    ),
    Case(
        "c_map_string",
        "map",
        {"type": "map", "values": "string"},
        [
            {},
            {"": ""},
            {"k": "v", "ü": "😀", "q": "' \""},
            {"a": "1", "b": "2"},
            {"x": ""},
            {"n": "m"},
        ],
        "map<string,string>",
        "map<string,string>",
        [Probe("{c}", same, json=True), Probe("size({c})", len)],
    ),
    Case(
        "c_map_long_null",
        "map",
        {"type": "map", "values": ["null", "long"]},
        [{"a": None}, {}, {"min": -(2**63), "max": 2**63 - 1}, {"z": 0}, {"n": None, "o": 1}, {}],
        "map<string,bigint>",
        "map<string,bigint>",
        [Probe("{c}", same, json=True)],
    ),
    Case(
        "c_map_record",
        "map",
        {"type": "map", "values": "Item"},
        [{f"k{j}": i for j, i in enumerate(items)} for items in ITEMS],
        "map<string,struct<name:string,at:bigint,price:decimal(10,2)>>",
        "map<string,struct<name:string,at:bigint,price:decimal(10,2)>>",
        [Probe("{c}", lambda v: {k: item_json(i) for k, i in v.items()}, json=True)],
        warns=True,
    ),
    Case(
        "c_map_decimal_fixed",
        "map",
        {"type": "map", "values": RAW_DECIMAL},
        [{"v": d} for d in D9_2],
        "map<string,binary>",
        "map<string,binary>",
        [Probe("hex({c}['v'])", lambda v: unscaled_hex(v["v"], 4, 2))],
        warns=True,
    ),
    Case(
        "c_record",
        "record",
        NESTED,
        NESTED_VALUES,
        NESTED_SERDE,
        NESTED_PARQUET,
        [
            Probe(NESTED_JSON_SQL, nested_json, json=True),
            Probe("hex({c}.`inner`.`raw`)", lambda v: v["inner"]["raw"].hex().upper()),
            Probe("CAST({c}.`amount` AS STRING)", lambda v: f"{v['amount']:.4f}"),
        ],
    ),
    Case(
        "c_record_null",
        "union_nullable",
        ["null", "Nested"],
        null_or(NESTED_VALUES, 0, 3),
        NESTED_SERDE,
        NESTED_PARQUET,
        [
            Probe(
                f"CASE WHEN {{c}} IS NULL THEN NULL ELSE {NESTED_JSON_SQL} END",
                nested_json,
                json=True,
            ),
            Probe("{c} IS NULL", lambda v: False, if_null=True),
        ],
    ),
    Case(
        "c_decimal_bytes_38_10",
        "decimal_bytes",
        bytes_decimal(38, 10),
        D38_10,
        "decimal(38,10)",
        "decimal(38,10)",
    ),
    Case(
        "c_decimal_bytes_38_0",
        "decimal_bytes",
        bytes_decimal(38, 0),
        D38_0,
        "decimal(38,0)",
        "decimal(38,0)",
    ),
    Case(
        "c_decimal_bytes_null",
        "union_nullable",
        ["null", bytes_decimal(9, 2)],
        null_or(D9_2, 0, 4),
        "decimal(9,2)",
        "decimal(9,2)",
    ),
    Case(
        "c_decimal_fixed_38_10",
        "decimal_fixed",
        fixed_decimal("F16", 16, 38, 10),
        D38_10,
        "binary",
        "decimal(38,10)",
    ),
    Case(
        "c_decimal_fixed_38_38",
        "decimal_fixed",
        fixed_decimal("F16s38", 16, 38, 38),
        D38_38,
        "binary",
        "decimal(38,38)",
    ),
    Case(
        "c_decimal_fixed_20_38_0",
        "decimal_fixed",
        fixed_decimal("F20", 20, 38, 0),
        D38_0,
        "binary",
        "decimal(38,0)",
    ),
    Case(
        "c_decimal_fixed_4_9_2",
        "decimal_fixed",
        fixed_decimal("F4", 4, 9, 2),
        D9_2,
        "binary",
        "decimal(9,2)",
    ),
    Case(
        "c_decimal_fixed_1_2_1",
        "decimal_fixed",
        fixed_decimal("F1", 1, 2, 1),
        D2_1,
        "binary",
        "decimal(2,1)",
    ),
    Case(
        "c_decimal_fixed_null",
        "union_nullable",
        ["null", fixed_decimal("F8", 8, 18, 4)],
        null_or(D18_4, 2, 5),
        "binary",
        "decimal(18,4)",
    ),
    Case("c_date", "date", logical("int", "date"), DATES, "date", "date"),
    Case(
        "c_date_null",
        "union_nullable",
        ["null", logical("int", "date")],
        null_or(DATES, 0),
        "date",
        "date",
    ),
    Case(
        "c_time_millis",
        "time_millis",
        logical("int", "time-millis"),
        [
            dt.time(0),
            dt.time(23, 59, 59, 999000),
            dt.time(12, 0, 0, 1000),
            dt.time(0, 0, 0, 1000),
            dt.time(1, 2, 3),
            dt.time(13, 14, 15, 160000),
        ],
        "int",
        "int",
        [Probe("{c}", millis_of_day)],
    ),
    Case(
        "c_time_micros",
        "time_micros",
        logical("long", "time-micros"),
        [
            dt.time(0),
            dt.time(23, 59, 59, 999999),
            dt.time(12, 0, 0, 1),
            dt.time(0, 0, 0, 1),
            dt.time(1, 2, 3),
            dt.time(13, 14, 15, 161718),
        ],
        "bigint",
        "bigint",
        [Probe("{c}", micros_of_day)],
    ),
    Case(
        "c_timestamp_millis",
        "timestamp_millis",
        logical("long", "timestamp-millis"),
        INSTANTS,
        "timestamp",
        "timestamp",
    ),
    Case(
        "c_timestamp_millis_null",
        "union_nullable",
        ["null", logical("long", "timestamp-millis")],
        null_or(INSTANTS, 1),
        "timestamp",
        "timestamp",
    ),
    Case(
        "c_timestamp_micros",
        "timestamp_micros",
        logical("long", "timestamp-micros"),
        MICRO_INSTANTS,
        "bigint",
        "timestamp",
    ),
    Case(
        "c_timestamp_micros_null",
        "union_nullable",
        [logical("long", "timestamp-micros"), "null"],
        null_or(MICRO_INSTANTS, 0, 3),
        "bigint",
        "timestamp",
    ),
    Case(
        "c_local_timestamp_millis",
        "local_timestamp_millis",
        logical("long", "local-timestamp-millis"),
        WALL_TIMES,
        "bigint",
        "timestamp",
    ),
    Case(
        "c_local_timestamp_micros",
        "local_timestamp_micros",
        logical("long", "local-timestamp-micros"),
        WALL_TIMES_MICROS,
        "bigint",
        "timestamp",
    ),
    Case(
        "c_local_timestamp_micros_null",
        "union_nullable",
        ["null", logical("long", "local-timestamp-micros")],
        null_or(WALL_TIMES_MICROS, 2),
        "bigint",
        "timestamp",
    ),
    Case(
        "c_uuid",
        "uuid",
        logical("string", "uuid"),
        UUIDS,
        "string",
        "string",
        [Probe("{c}", str)],
    ),
    Case(
        "c_duration",
        "duration",
        {"type": "fixed", "name": "Dur", "size": 12, "logicalType": "duration"},
        [
            duration(0, 0, 0),
            duration(1, 2, 3),
            duration(2**32 - 1, 2**32 - 1, 2**32 - 1),
            duration(2**31, 2**31 - 1, 2**31 + 1),
            duration(12, 0, 86_400_000),
            duration(0, 365, 1),
        ],
        "binary",
        "struct<months:bigint,days:bigint,milliseconds:bigint>",
        [Probe("{c}", duration_json, json=True)],
    ),
    Case(
        "c_duration_null",
        "union_nullable",
        ["null", "Dur"],
        [None, duration(1, 2, 3), None, duration(2**32 - 1, 0, 0), duration(0, 0, 1), None],
        "binary",
        "struct<months:bigint,days:bigint,milliseconds:bigint>",
        [Probe("{c}", duration_json, json=True)],
    ),
    Case(
        "c_char",
        "hive_char",
        {"type": "string", "logicalType": "char", "maxLength": 5},
        ["", "a", "abcde", "ü😀", "a b", "abcdefg"],
        "char(5)",
        "char(5)",
        # CHAR semantics: padded with spaces to its length; AvroSerDe cuts a longer value
        # (Hive, the writer of this extension, never writes one).
        [Probe("{c}", lambda v: v[:5].ljust(5))],
    ),
    Case(
        "c_varchar",
        "hive_varchar",
        {"type": "string", "logicalType": "varchar", "maxLength": 300},
        ["", "a ", "ü😀" * 150, "x" * 300, " lead", "y" * 301],
        "varchar(300)",
        "varchar(300)",
        [Probe("{c}", lambda v: v[:300])],
    ),
    Case(
        "c_unknown_logical",
        "unknown_logical",
        logical("long", "timestamp-nanos"),
        [0, -1, 2**63 - 1, -(2**63), 1_700_000_000_123_456_789, 1],
        "bigint",
        "bigint",
    ),
    Case(
        "c_misplaced_logical",
        "unknown_logical",
        logical("string", "date"),
        ["2024-01-01", "", "not a date", "ü", "0", "x"],
        "string",
        "string",
    ),
]


# Rows that cannot become a column: build_plan must refuse them with the row's reason.
def _arrays_of_long(depth: int) -> Any:
    node: Any = "long"
    for _ in range(depth):
        node = {"type": "array", "items": node}
    return node


TERMINAL_SCHEMAS: dict[str, Any] = {
    "record_no_fields": {
        "type": "record",
        "name": "T",
        "fields": [{"name": "a", "type": {"type": "record", "name": "Empty", "fields": []}}],
    },
    "record_recursive": {
        "type": "record",
        "name": "Node",
        "fields": [{"name": "v", "type": "int"}, {"name": "next", "type": ["null", "Node"]}],
    },
    "record_name_collision": {
        "type": "record",
        "name": "T",
        "fields": [{"name": "Amount", "type": "int"}, {"name": "amount", "type": "long"}],
    },
    "top_level_not_record": {"type": "map", "values": "string"},
    "union_other": {
        "type": "record",
        "name": "T",
        "fields": [{"name": "a", "type": ["null", "int", "string"]}],
    },
    "nesting_too_deep": {
        "type": "record",
        "name": "T",
        "fields": [{"name": "a", "type": _arrays_of_long(MAX_NESTING_DEPTH + 1)}],
    },
    "char_invalid": {
        "type": "record",
        "name": "T",
        "fields": [{"name": "a", "type": {"type": "string", "logicalType": "char"}}],
    },
    "unknown_type": {
        "type": "record",
        "name": "T",
        "fields": [{"name": "a", "type": {"type": "frobnicate"}}],
    },
    "decimal_invalid": {
        "type": "record",
        "name": "T",
        "fields": [{"name": "a", "type": fixed_decimal("F", 4, 10, 2)}],
    },
}

# --- loading through the rendered statements --------------------------------------------------


def schema_of(cases: Sequence[Case]) -> dict[str, Any]:
    return {
        "type": "record",
        "name": "TypeTable",
        "namespace": "avro_ingest.tests",
        "fields": [{"name": "id", "type": "int"}]
        + [{"name": c.name, "type": c.avro} for c in cases],
    }


def records_of(cases: Sequence[Case]) -> list[dict[str, Any]]:
    return [{"id": i, **{c.name: c.values[i] for c in cases}} for i in range(ROWS)]


def normal(hive_type: str) -> str:
    return hive_type.replace("`", "").replace(" ", "").lower()


@dataclass
class Loaded:
    """What came back from one load: DESCRIBE of both tables and the probes' answers."""

    plan: TablePlan | None = None
    serde_types: dict[str, str] = field(default_factory=dict)
    parquet_types: dict[str, str] = field(default_factory=dict)
    answers: dict[str, list[list[Any]]] = field(default_factory=dict)  # case -> rows -> probes
    error: str | None = None


class Loader:
    def __init__(self, hdfs: AvroIngestHdfsHook, hive: AvroIngestHiveHook, folder: str) -> None:
        self.hdfs, self.hive, self.folder = hdfs, hive, folder
        self.tables: list[str] = []
        self.single: dict[str, Loaded] = {}
        self.wide: Loaded | None = None

    def load(
        self, cases: Sequence[Case], tag: str, more_settings: dict[str, str] | None = None
    ) -> Loaded:
        loaded = Loaded()
        schema = schema_of(cases)
        base = f"{self.folder}/{tag}"
        buffer = io.BytesIO()
        fastavro.writer(buffer, fastavro.parse_schema(schema), records_of(cases))
        self.hdfs.write_bytes(f"{base}/landing/part-0.avro", buffer.getvalue())
        # The schema file as the pipeline writes it (convert.reader_schema).
        self.hdfs.write_bytes(f"{base}/schema.avsc", json.dumps(reader_schema(schema)).encode())
        avro_table, parquet_table = f"type_table_avro_{tag}", f"type_table_parquet_{tag}"
        pending_table = f"type_table_pending_{tag}"
        self.tables += [avro_table, parquet_table, pending_table]
        partition_dir = f"{NAMENODE}{base}/parquet/ingest_date={PARTITION['ingest_date']}"
        plan = build_plan(schema, partition_columns=tuple(PARTITION))
        loaded.plan = plan
        statements = [
            render_create_avro_temp_table(
                DATABASE,
                avro_table,
                f"{NAMENODE}{base}/landing",
                f"{NAMENODE}{base}/schema.avsc",
            ),
            render_create_parquet_table(plan, DATABASE, parquet_table, f"{NAMENODE}{base}/parquet"),
            # As the pipeline loads: into a pending table over the partition's directory,
            # then the partition is published.
            render_create_parquet_pending_table(plan, DATABASE, pending_table, partition_dir),
            render_insert_overwrite_table(plan, DATABASE, pending_table, DATABASE, avro_table),
            render_add_partition(plan, DATABASE, parquet_table, PARTITION, partition_dir),
        ]
        settings = {
            **conversion_settings(64 * 1024**2, IN_HIVESERVER2),
            **HIVE_SESSION_SETTINGS,
            **(more_settings or {}),
        }
        try:
            self.hive.run_statements(statements, settings=settings)
            loaded.serde_types = dict(
                parse_describe(self.hive.query(f"DESCRIBE `{DATABASE}`.`{avro_table}`")).columns
            )
            loaded.parquet_types = dict(
                parse_describe(self.hive.query(f"DESCRIBE `{DATABASE}`.`{parquet_table}`")).columns
            )
            selects = ["`id`"] + [
                p.sql.replace("{c}", f"`{c.name}`") for c in cases for p in c.all_probes()
            ]
            # No ORDER BY: a plain projection is answered by a fetch task, without a job.
            rows = self.hive.query(
                f"SELECT {', '.join(selects)} FROM `{DATABASE}`.`{parquet_table}` "
                f"WHERE `ingest_date` = '{PARTITION['ingest_date']}'",
                settings=more_settings,
            )
        except StatementFailed as error:
            loaded.error = error.message
            return loaded
        rows.sort(key=lambda r: r[0])
        assert [r[0] for r in rows] == list(range(ROWS)), "rows lost or duplicated"
        position = 1
        for c in cases:
            width = len(c.all_probes())
            loaded.answers[c.name] = [list(r[position : position + width]) for r in rows]
            position += width
        return loaded

    def result(self, case: Case) -> Loaded:
        """The wide load's answer for a case. If the wide load failed, the cases are loaded again
        in halves, and halves of the failing halves, until each case has an answer of a load
        that worked or the error of its own load alone."""
        assert self.wide is not None
        if self.wide.error is None:
            return self.wide
        if not self.single:
            self.split(CASES)
        return self.single[case.name]

    def split(self, cases: Sequence[Case]) -> None:
        needed = {n for c in cases for n in NEEDS.get(c.name, ())}
        schema_cases = [c for c in CASES if c in cases or c.name in needed]
        loaded = self.load(schema_cases, f"{uuid.uuid4().hex[:8]}_{len(cases)}")
        if loaded.error is None or len(cases) == 1:
            self.single.update((c.name, loaded) for c in cases)
            return
        half = len(cases) // 2
        self.split(cases[:half])
        self.split(cases[half:])


# Cases that refer to a named type defined by another case need that case in their schema.
NEEDS = {
    "c_record_null": ("c_record",),
    "c_map_record": ("c_array_record",),
    "c_duration_null": ("c_duration",),
}


@pytest.fixture(scope="module")
def loader() -> Iterator[Loader]:
    hdfs, hive = AvroIngestHdfsHook(), AvroIngestHiveHook()
    folder = f"/tmp/avro-ingest-tests/type-table-{uuid.uuid4().hex[:12]}"
    hdfs.makedirs(folder)
    loader = Loader(hdfs, hive, folder)
    loader.wide = loader.load(CASES, uuid.uuid4().hex[:8])
    try:
        yield loader
    finally:
        hive.run_statements([render_drop_table(DATABASE, t) for t in loader.tables])
        hdfs.delete(folder, recursive=True)


# --- the tests ---------------------------------------------------------------------------------


def test_cases_cover_every_row_of_the_type_table() -> None:
    column_rows = {c.row for c in CASES}
    for key, rule in TYPE_TABLE.items():
        if rule.terminal is None:
            assert key in column_rows, f"no case for type-table row {key}"
        else:
            assert key in TERMINAL_SCHEMAS, f"no terminal schema for type-table row {key}"
    assert all(len(c.values) == ROWS for c in CASES)
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("key", list(TERMINAL_SCHEMAS))
def test_terminal_rows_are_refused_by_the_plan(key: str) -> None:
    with pytest.raises(TerminalError) as info:
        build_plan(TERMINAL_SCHEMAS[key], "/landing/t.avro")
    assert info.value.reason == TYPE_TABLE[key].terminal
    assert info.value.file == "/landing/t.avro"


def test_the_wide_load_succeeded(loader: Loader) -> None:
    assert loader.wide is not None
    if loader.wide.error is not None:
        pytest.fail(f"Hive refused the wide load: {loader.wide.error}", pytrace=False)
    # Data columns only: parse_describe leaves out the partition column (ingest_date).
    assert list(loader.wide.parquet_types) == ["id", *(c.name for c in CASES)]


def loaded_for(loader: Loader, case: Case) -> Loaded:
    loaded = loader.result(case)
    if loaded.error is not None:
        pytest.fail(f"Hive refused the load of {case.name}: {loaded.error}", pytrace=False)
    return loaded


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_column_types(loader: Loader, case: Case) -> None:
    loaded = loaded_for(loader, case)
    assert loaded.plan is not None
    (column,) = [c for c in loaded.plan.columns if c.name == case.name]
    rule = TYPE_TABLE[case.row]
    assert case.row in column.rules or case.row == "unknown_logical"
    # What AvroSerDe shows, as the type table predicts it ...
    assert loaded.serde_types[case.name] == normal(column.serde_type.sql) == case.serde
    # ... and what the Parquet table holds: the table's Parquet column.
    assert loaded.parquet_types[case.name] == normal(column.parquet_type.sql) == case.parquet
    if rule.conversion is not None:
        assert column.select.sql != f"`{case.name}`", "the row's conversion was not applied"
    warned = any(w.startswith(case.name) for w in loaded.plan.warnings)
    assert warned == case.warns


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_values_read_back_equal_values_written(loader: Loader, case: Case) -> None:
    loaded = loaded_for(loader, case)
    got = [
        [as_json(a) if p.json else a for a, p in zip(answers, case.all_probes(), strict=True)]
        for answers in loaded.answers[case.name]
    ]
    expected = [[p.expected(v) for p in case.all_probes()] for v in case.values]
    for row, (g, e) in enumerate(zip(got, expected, strict=True)):
        assert g == e, f"row {row}: wrote {case.values[row]!r}"


def test_without_the_session_settings_old_dates_move(loader: Loader) -> None:
    """Why HIVE_SESSION_SETTINGS exists (the reading half; the Parquet half is in its
    comment): without it Hive 4.0.1 reads the dates and timestamp-millis of an Avro file
    without `writer.proleptic` metadata (any writer but Hive) on the hybrid calendar."""
    assert loader.wide is not None and loader.wide.error is None, "the wide load failed"
    avro_table = next(t for t in loader.tables if t.startswith("type_table_avro_"))
    query = (
        "SELECT CAST(`c_date` AS STRING), CAST(`c_timestamp_millis` AS STRING) "
        f"FROM `{DATABASE}`.`{avro_table}` WHERE `id` = 3 OR `id` = 4"
    )
    assert DATES[3:5] == [dt.date(1582, 10, 4), dt.date(1, 1, 1)]
    assert INSTANTS[3:5] == [
        dt.datetime(1582, 10, 10, 12, 0, 0, 1000, tzinfo=UTC),
        dt.datetime(1, 1, 1, tzinfo=UTC),
    ]
    assert sorted(loader.hive.query(query), reverse=True) == [
        ("1582-09-24", "1582-10-20 12:00:00.001"),
        ("0001-01-03", "0001-01-03 00:00:00"),
    ]
    assert sorted(loader.hive.query(query, settings=dict(HIVE_SESSION_SETTINGS)), reverse=True) == [
        ("1582-10-04", "1582-10-10 12:00:00.001"),
        ("0001-01-01", "0001-01-01 00:00:00"),
    ]


TIME_CASES = [
    "c_date",
    "c_timestamp_millis",
    "c_timestamp_micros",
    "c_local_timestamp_millis",
    "c_local_timestamp_micros",
    "c_record",
]


def test_the_session_time_zone_changes_nothing(loader: Loader) -> None:
    """The same load in a session whose time zone is not UTC gives the same values: the
    conversions are arithmetic on zone-less wall times, the AvroSerDe shows instants in UTC
    (hive.avro.timestamp.skip.conversion) and INT64 Parquet timestamps are not adjusted."""
    assert loader.wide is not None and loader.wide.error is None, "the wide load failed"
    cases = [c for c in CASES if c.name in TIME_CASES]
    elsewhere = loader.load(
        cases, f"{uuid.uuid4().hex[:8]}_zone", {"hive.local.time.zone": "America/St_Johns"}
    )
    assert elsewhere.error is None, elsewhere.error
    for name in TIME_CASES:
        assert elsewhere.answers[name] == loader.wide.answers[name], name
