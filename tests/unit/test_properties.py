"""Property tests: any schema maps to a plan or a TerminalError; counts agree with fastavro."""

from __future__ import annotations

import io
import itertools
from typing import Any

from avro_ingest.avro.blocks import count_records
from avro_ingest.avro.header import read_header
from avro_ingest.exceptions import TerminalError
from avro_ingest.hive.tables import (
    build_plan,
    render_create_parquet_table,
    render_insert_overwrite_table,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .helpers import CountingReader, fastavro_count, write_avro

PRIMITIVES = ["null", "boolean", "int", "long", "float", "double", "bytes", "string"]
LOGICAL = [
    {"type": "int", "logicalType": "date"},
    {"type": "int", "logicalType": "time-millis"},
    {"type": "long", "logicalType": "time-micros"},
    {"type": "long", "logicalType": "timestamp-millis"},
    {"type": "long", "logicalType": "timestamp-micros"},
    {"type": "long", "logicalType": "local-timestamp-millis"},
    {"type": "long", "logicalType": "local-timestamp-micros"},
    {"type": "string", "logicalType": "uuid"},
    {"type": "long", "logicalType": "something-new"},
    {"type": "string", "logicalType": "date"},  # wrong base type: ignored
]
FIELD_NAMES = st.sampled_from(
    ["a", "b", "A", "select", "from", "Table", "x_1", "_y", "ts", "value"]
)


@st.composite
def decimal_type(draw: st.DrawFn) -> dict[str, Any]:
    precision = draw(st.integers(-1, 45))
    scale = draw(st.integers(-1, 45))
    if draw(st.booleans()):
        return {"type": "bytes", "logicalType": "decimal", "precision": precision, "scale": scale}
    return {
        "type": "fixed",
        "name": "placeholder",
        "size": draw(st.integers(0, 20)),
        "logicalType": "decimal",
        "precision": precision,
        "scale": scale,
    }


def type_strategy(depth: int) -> st.SearchStrategy[Any]:
    leaves = st.one_of(
        st.sampled_from(PRIMITIVES),
        st.sampled_from(LOGICAL),
        decimal_type(),
        st.just({"type": "enum", "name": "placeholder", "symbols": ["A", "B"]}),
        st.builds(
            lambda n: {"type": "fixed", "name": "placeholder", "size": n}, st.integers(0, 16)
        ),
        st.just({"type": "fixed", "name": "placeholder", "size": 12, "logicalType": "duration"}),
        st.just("SELF"),  # reference to the enclosing record: recursion
    )
    if depth == 0:
        return leaves
    inner = type_strategy(depth - 1)
    return st.one_of(
        leaves,
        st.builds(lambda t: {"type": "array", "items": t}, inner),
        st.builds(lambda t: {"type": "map", "values": t}, inner),
        st.lists(inner, min_size=0, max_size=3).map(list),  # unions, valid or not
        record_strategy(depth - 1),
    )


def record_strategy(depth: int, min_fields: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(
        lambda fields: {
            "type": "record",
            "name": "placeholder",
            "fields": [{"name": n, "type": t} for n, t in fields],
        },
        st.lists(st.tuples(FIELD_NAMES, type_strategy(depth)), min_size=min_fields, max_size=4),
    )


def name_types(schema: Any) -> Any:
    """Give every named type a unique name; turn SELF into a reference to the innermost record."""
    counter = itertools.count()

    def walk(node: Any, enclosing: str | None) -> Any:
        if node == "SELF":
            return enclosing or "int"
        if isinstance(node, list):
            return [walk(n, enclosing) for n in node]
        if not isinstance(node, dict):
            return node
        node = dict(node)
        if node.get("name") == "placeholder":
            node["name"] = f"T{next(counter)}"
        if node["type"] == "record":
            node["fields"] = [{**f, "type": walk(f["type"], node["name"])} for f in node["fields"]]
        elif node["type"] == "array":
            node["items"] = walk(node["items"], enclosing)
        elif node["type"] == "map":
            node["values"] = walk(node["values"], enclosing)
        return node

    return walk(schema, None)


# Mostly records (the interesting case), sometimes anything at all.
_RECORDS = record_strategy(3, min_fields=1)
_ANYTHING = type_strategy(2)
ANY_SCHEMA = st.integers(0, 9).flatmap(lambda i: _RECORDS if i < 8 else _ANYTHING).map(name_types)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ANY_SCHEMA)
def test_mapping_never_crashes(schema):
    try:
        plan = build_plan(schema, "/in/random.avro")
    except TerminalError as exc:
        assert exc.reason and exc.file == "/in/random.avro"
        return
    assert plan.columns
    create = render_create_parquet_table(plan, "lake", "t", "/lake/t")
    insert = render_insert_overwrite_table(plan, "lake", "t", "s", "tmp")
    assert all(f"`{c.name}`" in create for c in plan.columns)
    assert insert.count(" AS `") >= len(plan.columns)


VALUE_TYPES: dict[str, st.SearchStrategy[Any]] = {
    "boolean": st.booleans(),
    "int": st.integers(-(2**31), 2**31 - 1),
    "long": st.integers(-(2**63), 2**63 - 1),
    "double": st.floats(allow_nan=False),
    "string": st.text(max_size=40),
    "bytes": st.binary(max_size=40),
}


@st.composite
def schema_and_rows(draw: st.DrawFn) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    fields, strategies = [], {}
    for i in range(draw(st.integers(1, 5))):
        base = draw(st.sampled_from(sorted(VALUE_TYPES)))
        shape = draw(st.sampled_from(["plain", "nullable", "array", "map"]))
        value = VALUE_TYPES[base]
        if shape == "plain":
            typ, strat = base, value
        elif shape == "nullable":
            typ, strat = ["null", base], st.none() | value
        elif shape == "array":
            typ, strat = {"type": "array", "items": base}, st.lists(value, max_size=5)
        else:
            typ, strat = (
                {"type": "map", "values": base},
                st.dictionaries(st.text(max_size=5), value, max_size=5),
            )
        fields.append({"name": f"f{i}", "type": typ})
        strategies[f"f{i}"] = strat
    rows = draw(st.lists(st.fixed_dictionaries(strategies), max_size=60))
    return {"type": "record", "name": "R", "fields": fields}, rows


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    schema_and_rows(),
    st.sampled_from(["null", "deflate", "snappy", "zstandard"]),
    st.integers(1, 3000),
)
def test_count_equals_fastavro_and_header_reads_are_bounded(case, codec, sync_interval):
    schema, rows = case
    data = write_avro(schema, rows, codec=codec, sync_interval=sync_interval)
    reader = CountingReader(data)
    header = read_header(reader, initial=1024)
    assert header.bytes_read == reader.bytes_returned <= max(1024, 2 * header.header_length)
    assert count_records(io.BytesIO(data), header) == fastavro_count(data) == len(rows)
    build_plan(header.schema)  # these schemas are all storable
