from __future__ import annotations

import re
import struct
from datetime import datetime, timedelta
from decimal import Context, Decimal

import pytest
from avro_ingest.exceptions import InvalidSchema, TerminalError, UnsupportedAvroType
from avro_ingest.hive.quoting import identifier
from avro_ingest.hive.types import (
    HIVE_SESSION_SETTINGS,
    TYPE_TABLE,
    decimal_from_fixed,
    duration_from_fixed,
    map_record_schema,
    timestamp_from_micros,
    timestamp_from_millis,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from ..helpers import eval_hive


def rec(field_type, name: str = "a") -> dict:
    return {"type": "record", "name": "Top", "fields": [{"name": name, "type": field_type}]}


def inner(fields: list) -> dict:
    return {"type": "record", "name": "Inner", "fields": fields}


OK, ERR = "ok", "error"
DUR = "STRUCT<`months`:BIGINT,`days`:BIGINT,`milliseconds`:BIGINT>"


# One example per row of TYPE_TABLE: schema -> (ok, serde type, parquet type) | (error, reason)
def _nested(depth: int) -> dict[str, object]:
    """Records nested `depth` levels deep, a long at the bottom."""
    node: dict[str, object] = {
        "type": "record",
        "name": f"N{depth}",
        "fields": [{"name": "v", "type": "long"}],
    }
    for level in range(depth - 1, 0, -1):
        node = {"type": "record", "name": f"N{level}", "fields": [{"name": "i", "type": node}]}
    return node


ROWS: dict[str, tuple[object, tuple]] = {
    "null": (rec("null"), (OK, "VOID", "STRING")),
    "boolean": (rec("boolean"), (OK, "BOOLEAN", "BOOLEAN")),
    "int": (rec("int"), (OK, "INT", "INT")),
    "long": (rec("long"), (OK, "BIGINT", "BIGINT")),
    "float": (rec("float"), (OK, "FLOAT", "FLOAT")),
    "double": (rec("double"), (OK, "DOUBLE", "DOUBLE")),
    "bytes": (rec("bytes"), (OK, "BINARY", "BINARY")),
    "string": (rec("string"), (OK, "STRING", "STRING")),
    "enum": (rec({"type": "enum", "name": "E", "symbols": ["A", "B"]}), (OK, "STRING", "STRING")),
    "fixed": (rec({"type": "fixed", "name": "F", "size": 4}), (OK, "BINARY", "BINARY")),
    "array": (rec({"type": "array", "items": "int"}), (OK, "ARRAY<INT>", "ARRAY<INT>")),
    "map": (
        rec({"type": "map", "values": "long"}),
        (OK, "MAP<STRING,BIGINT>", "MAP<STRING,BIGINT>"),
    ),
    "record": (
        rec(inner([{"name": "X", "type": "int"}, {"name": "when", "type": "string"}])),
        (OK, "STRUCT<`x`:INT,`when`:STRING>", "STRUCT<`x`:INT,`when`:STRING>"),
    ),
    "record_no_fields": (rec(inner([])), (ERR, "empty_record")),
    "record_recursive": (
        rec(inner([{"name": "next", "type": ["null", "Inner"]}])),
        (ERR, "recursive_record"),
    ),
    "record_name_collision": (
        {
            "type": "record",
            "name": "T",
            "fields": [{"name": "id", "type": "int"}, {"name": "ID", "type": "int"}],
        },
        (ERR, "name_collision"),
    ),
    "top_level_not_record": ({"type": "array", "items": "int"}, (ERR, "top_level_not_record")),
    "union_nullable": (rec(["null", "int"]), (OK, "INT", "INT")),
    "union_single": (rec(["int"]), (OK, "INT", "INT")),
    "union_other": (rec(["string", "int"]), (ERR, "union_not_supported")),
    "decimal_bytes": (
        rec({"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}),
        (OK, "DECIMAL(10,2)", "DECIMAL(10,2)"),
    ),
    "decimal_fixed": (
        rec(
            {
                "type": "fixed",
                "name": "D",
                "size": 8,
                "logicalType": "decimal",
                "precision": 18,
                "scale": 4,
            }
        ),
        (OK, "BINARY", "DECIMAL(18,4)"),
    ),
    "decimal_invalid": (
        rec({"type": "bytes", "logicalType": "decimal", "precision": 39, "scale": 0}),
        (ERR, "decimal_precision"),
    ),
    "date": (rec({"type": "int", "logicalType": "date"}), (OK, "DATE", "DATE")),
    "time_millis": (rec({"type": "int", "logicalType": "time-millis"}), (OK, "INT", "INT")),
    "time_micros": (rec({"type": "long", "logicalType": "time-micros"}), (OK, "BIGINT", "BIGINT")),
    "timestamp_millis": (
        rec({"type": "long", "logicalType": "timestamp-millis"}),
        (OK, "TIMESTAMP", "TIMESTAMP"),
    ),
    "timestamp_micros": (
        rec({"type": "long", "logicalType": "timestamp-micros"}),
        (OK, "BIGINT", "TIMESTAMP"),
    ),
    "local_timestamp_millis": (
        rec({"type": "long", "logicalType": "local-timestamp-millis"}),
        (OK, "BIGINT", "TIMESTAMP"),
    ),
    "local_timestamp_micros": (
        rec({"type": "long", "logicalType": "local-timestamp-micros"}),
        (OK, "BIGINT", "TIMESTAMP"),
    ),
    "uuid": (rec({"type": "string", "logicalType": "uuid"}), (OK, "STRING", "STRING")),
    "duration": (
        rec({"type": "fixed", "name": "Dur", "size": 12, "logicalType": "duration"}),
        (OK, "BINARY", DUR),
    ),
    "hive_char": (
        rec({"type": "string", "logicalType": "char", "maxLength": 10}),
        (OK, "CHAR(10)", "CHAR(10)"),
    ),
    "hive_varchar": (
        rec({"type": "string", "logicalType": "varchar", "maxLength": 300}),
        (OK, "VARCHAR(300)", "VARCHAR(300)"),
    ),
    "nesting_too_deep": (rec(_nested(25)), (ERR, "too_deep")),
    "char_invalid": (
        rec({"type": "string", "logicalType": "varchar", "maxLength": 70000}),
        (ERR, "char_length"),
    ),
    "unknown_type": (rec({"type": "frobnicate"}), (ERR, "invalid_schema")),
    "unknown_logical": (
        rec({"type": "long", "logicalType": "timestamp-nanos"}),
        (OK, "BIGINT", "BIGINT"),
    ),
}


def test_every_table_row_has_an_example():
    assert list(ROWS) == list(TYPE_TABLE)


@pytest.mark.parametrize("key", list(TYPE_TABLE))
def test_type_table_row(key):
    rule = TYPE_TABLE[key]
    schema, expected = ROWS[key]
    if expected[0] == ERR:
        assert rule.terminal == expected[1]
        assert rule.impala_min is None
        with pytest.raises(TerminalError) as info:
            map_record_schema(schema, "/in/f.avro")
        assert info.value.reason == rule.terminal
        assert info.value.file == "/in/f.avro"
        return
    assert rule.terminal is None and rule.impala_min is not None
    (column,) = map_record_schema(schema)
    assert (column.hive.serde.sql, column.hive.parquet.sql) == expected[1:]
    if key != "unknown_logical":
        assert key in column.hive.rules
    # a conversion is declared exactly when the AvroSerDe type differs from the Parquet type
    has_conversion = column.hive.convert is not None
    assert has_conversion == (rule.conversion is not None) == (expected[1] != expected[2])
    assert column.hive.impala_min >= rule.impala_min


@pytest.mark.parametrize("union", [["null", "string"], ["string", "null"]])
def test_null_in_any_position_with_default(union):
    default = None if union[0] == "null" else "x"
    schema = {
        "type": "record",
        "name": "T",
        "fields": [{"name": "a", "type": union, "default": default}],
    }
    (column,) = map_record_schema(schema)
    assert column.hive.parquet.sql == "STRING" and column.hive.rules[0] == "union_nullable"


@pytest.mark.parametrize("union", [["null"], ["null", "int", "string"], ["int", "long"]], ids=str)
def test_other_unions_are_terminal(union):
    with pytest.raises(UnsupportedAvroType) as info:
        map_record_schema(rec(union))
    assert info.value.reason == "union_not_supported" and info.value.field == "a"


def test_a_union_of_one_branch_is_its_branch_and_hive_reads_it_so():
    schema = rec({"type": "array", "items": ["string"]})
    (column,) = map_record_schema(schema)
    assert column.hive.parquet.sql == "ARRAY<STRING>"
    assert "union_single" in column.hive.rules


def test_nested_conversion_rebuilds_struct_with_named_struct():
    schema = rec(
        inner(
            [
                {"name": "ts", "type": {"type": "long", "logicalType": "timestamp-micros"}},
                {"name": "n", "type": "int"},
            ]
        )
    )
    (column,) = map_record_schema(schema)
    select = column.hive.convert(identifier("a")).sql
    assert select == (
        "named_struct('ts', TIMESTAMP '1970-01-01 00:00:00' + INTERVAL (`a`.`ts` DIV 86400000000) "
        "DAY + INTERVAL (CAST(`a`.`ts` % 86400000000 AS DECIMAL(17,6)) / 1000000) SECOND, "
        "'n', `a`.`n`)"
    )


def test_nullable_struct_conversion_keeps_null_rows_null():
    schema = rec(["null", {"type": "fixed", "name": "Dur", "size": 12, "logicalType": "duration"}])
    (column,) = map_record_schema(schema)
    select = column.hive.convert(identifier("a")).sql
    assert select.startswith("CASE WHEN `a` IS NULL THEN NULL ELSE named_struct(")
    assert eval_hive(select, a=None) is None
    assert eval_hive(select, a=struct.pack("<III", 1, 2, 3)) == {
        "months": 1,
        "days": 2,
        "milliseconds": 3,
    }


def test_conversion_inside_array_keeps_raw_type_with_warning():
    schema = rec({"type": "array", "items": {"type": "long", "logicalType": "timestamp-micros"}})
    (column,) = map_record_schema(schema)
    assert column.hive.parquet.sql == "ARRAY<BIGINT>" and column.hive.convert is None
    assert len(column.hive.warnings) == 1 and "a[]" in column.hive.warnings[0]
    schema = rec(
        {
            "type": "map",
            "values": inner(
                [
                    {
                        "name": "d",
                        "type": {
                            "type": "fixed",
                            "name": "D",
                            "size": 4,
                            "logicalType": "decimal",
                            "precision": 9,
                        },
                    },
                ]
            ),
        }
    )
    (column,) = map_record_schema(schema)
    assert column.hive.parquet.sql == "MAP<STRING,STRUCT<`d`:BINARY>>"
    assert column.hive.impala_min == (4, 1)  # raw BINARY inside


def test_null_inside_array_is_terminal():
    with pytest.raises(UnsupportedAvroType) as info:
        map_record_schema(rec({"type": "array", "items": "null"}))
    assert info.value.reason == "unsupported_type" and info.value.field == "a[]"


def test_reserved_words_are_quoted_and_names_lowercased():
    schema = {
        "type": "record",
        "name": "T",
        "fields": [
            {"name": "Select", "type": "int"},
            {"name": "from", "type": inner([{"name": "Table", "type": "int"}])},
        ],
    }
    columns = map_record_schema(schema)
    assert [c.name for c in columns] == ["select", "from"]
    assert columns[1].hive.parquet.sql == "STRUCT<`table`:INT>"


def test_nested_name_collision_and_reused_named_types():
    with pytest.raises(UnsupportedAvroType) as info:
        map_record_schema(rec(inner([{"name": "x", "type": "int"}, {"name": "X", "type": "int"}])))
    assert info.value.reason == "name_collision" and info.value.field == "a"
    reused = {
        "type": "record",
        "name": "T",
        "fields": [
            {"name": "l", "type": inner([{"name": "v", "type": "int"}])},
            {"name": "r", "type": "Inner"},
        ],
    }
    assert [c.hive.parquet.sql for c in map_record_schema(reused)] == ["STRUCT<`v`:INT>"] * 2


@pytest.mark.parametrize(
    ("decimal", "ok"),
    [
        ({"type": "bytes", "precision": 38, "scale": 38}, True),
        ({"type": "bytes", "precision": 5, "scale": 6}, False),
        ({"type": "bytes", "precision": 0}, False),
        ({"type": "bytes", "precision": "10"}, False),
        ({"type": "fixed", "name": "F", "size": 16, "precision": 38}, True),
        ({"type": "fixed", "name": "F", "size": 4, "precision": 9}, True),
        ({"type": "fixed", "name": "F", "size": 4, "precision": 10}, False),
        ({"type": "fixed", "name": "F", "size": 20, "precision": 38, "scale": 10}, True),
    ],
)
def test_decimal_limits(decimal, ok):
    schema = rec({**decimal, "logicalType": "decimal"})
    if ok:
        assert map_record_schema(schema)[0].hive.parquet.sql.startswith("DECIMAL(")
    else:
        with pytest.raises(TerminalError) as info:
            map_record_schema(schema)
        assert info.value.reason in ("decimal_precision", "invalid_schema")


def test_logical_type_on_the_wrong_base_type_is_ignored():
    (column,) = map_record_schema(rec({"type": "string", "logicalType": "date"}))
    assert column.hive.parquet.sql == "STRING"
    (column,) = map_record_schema(
        rec({"type": "fixed", "name": "F", "size": 8, "logicalType": "duration"})
    )
    assert column.hive.parquet.sql == "BINARY"


def test_invalid_schemas_fastavro_accepts_are_invalid_schema():
    for schema in (
        {
            "type": "record",
            "name": "R",
            "fields": [{"name": "a", "type": "int"}, {"name": "a", "type": "int"}],
        },
        {"type": "record", "name": "R", "fields": [{"name": "a-b", "type": "int"}]},
        {"type": "record", "name": "R"},
        rec(["int", "int"]),
        rec([]),
    ):
        with pytest.raises(InvalidSchema):
            map_record_schema(schema)


def test_identifier_longer_than_128_is_terminal():
    with pytest.raises(TerminalError) as info:
        map_record_schema(rec("int", name="a" * 129))
    assert info.value.reason == "invalid_identifier"


# --- the conversion expressions, evaluated with Hive's semantics --------------------------------


def unscaled_bytes(value: int, size: int) -> bytes:
    return value.to_bytes(size, "big", signed=True)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), size=st.integers(1, 20))
def test_decimal_from_fixed_is_exact(data, size):
    max_precision = min(38, len(str(2 ** (8 * size - 1) - 1)) - 1)
    precision = data.draw(st.integers(1, max_precision))
    scale = data.draw(st.integers(0, precision))
    bound = 10**precision - 1
    unscaled = data.draw(
        st.one_of(st.integers(-bound, bound), st.sampled_from([-bound, bound, 0, -1]))
    )
    expr = decimal_from_fixed(identifier("x"), size, precision, scale).sql
    result = eval_hive(expr, x=unscaled_bytes(unscaled, size))
    assert Decimal(str(result)) == Decimal(unscaled).scaleb(-scale, Context(prec=100))


def test_decimal_from_fixed_text_is_stable():
    expr = decimal_from_fixed(identifier("x"), 2, 4, 2).sql
    assert expr == (
        "CAST(CONCAT(CAST(CASE WHEN CAST(conv(substr(hex(`x`), 1, 2), 16, 10) AS INT) >= 128 "
        "THEN -((255 - CAST(conv(substr(hex(`x`), 1, 2), 16, 10) AS DECIMAL(38,0))) * 256 + "
        "(255 - CAST(conv(substr(hex(`x`), 3, 2), 16, 10) AS DECIMAL(38,0))) * 1) - 1 "
        "ELSE CAST(conv(substr(hex(`x`), 1, 2), 16, 10) AS DECIMAL(38,0)) * 256 + "
        "CAST(conv(substr(hex(`x`), 3, 2), 16, 10) AS DECIMAL(38,0)) * 1 END AS STRING), 'E-2') "
        "AS DECIMAL(4,2))"
    )


def _java_div(a: int, b: int) -> int:
    """Hive's DIV on BIGINT: Java's division, truncating toward zero."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def _exact_seconds(seconds: Decimal) -> timedelta:
    micros = seconds.scaleb(6)
    assert micros == micros.to_integral_value(), f"{seconds} s is not whole microseconds"
    return timedelta(microseconds=int(micros))


def eval_timestamp(expr: str, **columns: int) -> datetime:
    """Evaluate a timestamp conversion: the epoch literal and INTERVAL ... DAY/SECOND become
    Python (TIMESTAMP is a zone-less wall time in Hive, as a naive datetime is), DIV and % get
    Java's truncating semantics, and the rest goes through eval_hive."""
    py = expr.replace("TIMESTAMP '1970-01-01 00:00:00'", "`epoch_`")
    py = re.sub(r"INTERVAL \(([^()]*)\) DAY", r"`days_`(\1)", py)
    py = re.sub(r"INTERVAL \((.*)\) SECOND", r"`seconds_`(\1)", py)
    py = re.sub(r"(`[a-z_]+`) DIV (\d+)", r"`div_`(\1, \2)", py)
    py = re.sub(r"(`[a-z_]+`) % (\d+)", r"`mod_`(\1, \2)", py)
    assert "INTERVAL" not in py and "DIV" not in py and "%" not in py, py
    result = eval_hive(
        py,
        epoch_=datetime(1970, 1, 1),
        days_=lambda n: timedelta(days=n),
        seconds_=_exact_seconds,
        div_=_java_div,
        mod_=lambda a, b: a - b * _java_div(a, b),
        **columns,
    )
    assert isinstance(result, datetime)
    return result


MICROS = [
    0,
    1,
    -1,
    86_400_000_000 - 1,
    -86_400_000_000,
    -86_400_000_001,
    1_700_000_000_123_456,
    -12_219_681_599_999_999,  # 1582-10-10T12:00:00.000001
    -62_135_596_800_000_000,  # 0001-01-01T00:00
    253_402_300_799_999_999,  # 9999-12-31T23:59:59.999999
]


@pytest.mark.parametrize("micros", MICROS)
def test_timestamp_from_micros(micros):
    got = eval_timestamp(timestamp_from_micros(identifier("t")).sql, t=micros)
    assert got == datetime(1970, 1, 1) + timedelta(microseconds=micros)


@pytest.mark.parametrize("millis", [0, 1, -1, 1_700_000_000_123, -62_135_596_800_000, -86_400_001])
def test_timestamp_from_millis(millis):
    got = eval_timestamp(timestamp_from_millis(identifier("t")).sql, t=millis)
    assert got == datetime(1970, 1, 1) + timedelta(milliseconds=millis)


@settings(max_examples=300, deadline=None)
@given(st.integers(-62_135_596_800_000_000, 253_402_300_799_999_999))
def test_timestamp_from_micros_over_hives_range(micros):
    got = eval_timestamp(timestamp_from_micros(identifier("t")).sql, t=micros)
    assert got == datetime(1970, 1, 1) + timedelta(microseconds=micros)


def test_timestamp_conversions_never_cast_a_number_to_timestamp():
    """Hive 4 refuses CAST(number AS TIMESTAMP) (hive.strict.timestamp.conversion), and one
    INTERVAL of seconds overflows beyond about 292 years: whole days go first."""
    for convert in (timestamp_from_micros, timestamp_from_millis):
        sql = convert(identifier("t")).sql
        assert "AS TIMESTAMP" not in sql
        assert sql.startswith("TIMESTAMP '1970-01-01 00:00:00' + INTERVAL (`t` DIV ")
    assert timestamp_from_millis(identifier("t")).sql == (
        "TIMESTAMP '1970-01-01 00:00:00' + INTERVAL (`t` DIV 86400000) DAY"
        " + INTERVAL (CAST(`t` % 86400000 AS DECIMAL(14,3)) / 1000) SECOND"
    )


def test_session_settings_are_the_ones_the_table_relies_on():
    assert HIVE_SESSION_SETTINGS == {
        "hive.avro.proleptic.gregorian.default": "true",
        "hive.avro.timestamp.legacy.conversion.enabled": "false",
        "hive.avro.timestamp.skip.conversion": "true",
        "hive.parquet.date.proleptic.gregorian": "true",
        "hive.parquet.write.int64.timestamp": "true",
        "hive.parquet.timestamp.time.unit": "micros",
    }
    for key in ("timestamp_millis", "timestamp_micros", "local_timestamp_micros"):
        assert TYPE_TABLE[key].impala_min == (3, 2)  # INT64 timestamps


@given(st.tuples(*[st.integers(0, 2**32 - 1)] * 3))
def test_duration_from_fixed(parts):
    got = eval_hive(duration_from_fixed(identifier("d")).sql, d=struct.pack("<III", *parts))
    assert got == dict(zip(("months", "days", "milliseconds"), parts, strict=True))


def test_nesting_up_to_the_limit_maps_and_one_more_level_is_set_aside():
    from avro_ingest.hive.types import MAX_NESTING_DEPTH

    (column,) = map_record_schema(rec(_nested(MAX_NESTING_DEPTH)))
    assert column.hive.parquet.sql.count("STRUCT<") == MAX_NESTING_DEPTH
    with pytest.raises(UnsupportedAvroType, match="more than 24 levels"):
        map_record_schema(rec({"type": "array", "items": _nested(MAX_NESTING_DEPTH)}))
