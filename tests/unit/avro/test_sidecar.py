from __future__ import annotations

import pytest
from avro_ingest.avro.header import BytesRangeReader, read_header
from avro_ingest.avro.sidecar import check_reader_can_read, choose_schema
from avro_ingest.exceptions import InvalidSchema, SchemaMismatch

from ..helpers import write_avro


def rec(fields, name="R", **extra):
    return {"type": "record", "name": name, "fields": fields, **extra}


def f(name, typ, **extra):
    return {"name": name, "type": typ, **extra}


ENUM = {"type": "enum", "name": "E", "symbols": ["A", "B"]}

READABLE = {
    "identical": (rec([f("a", "int")]), rec([f("a", "int")])),
    "int to long": (rec([f("a", "int")]), rec([f("a", "long")])),
    "int to double": (rec([f("a", "int")]), rec([f("a", "double")])),
    "long to float": (rec([f("a", "long")]), rec([f("a", "float")])),
    "float to double": (rec([f("a", "float")]), rec([f("a", "double")])),
    "string to bytes": (rec([f("a", "string")]), rec([f("a", "bytes")])),
    "bytes to string": (rec([f("a", "bytes")]), rec([f("a", "string")])),
    "writer field dropped": (rec([f("a", "int"), f("b", "int")]), rec([f("a", "int")])),
    "reader field with default": (
        rec([f("a", "int")]),
        rec([f("a", "int"), f("b", "int", default=0)]),
    ),
    "field alias": (rec([f("old", "int")]), rec([f("new", "int", aliases=["old"])])),
    "record alias": (
        rec([f("a", "int")], name="Old"),
        rec([f("a", "int")], name="New", aliases=["Old"]),
    ),
    "namespace differs": (rec([f("a", "int")], name="x.R"), rec([f("a", "int")], name="y.R")),
    "enum superset": (rec([f("e", ENUM)]), rec([f("e", {**ENUM, "symbols": ["A", "B", "C"]})])),
    "enum with default": (
        rec([f("e", {**ENUM, "symbols": ["A", "B", "Z"]})]),
        rec([f("e", {**ENUM, "default": "A"})]),
    ),
    "writer union into reader union": (
        rec([f("a", ["null", "int"])]),
        rec([f("a", ["null", "long"])]),
    ),
    "plain into union": (rec([f("a", "int")]), rec([f("a", ["null", "int"])])),
    "union of readable branches into plain": (
        rec([f("a", ["int", "long"])]),
        rec([f("a", "long")]),
    ),
    "array items promoted": (
        rec([f("a", {"type": "array", "items": "int"})]),
        rec([f("a", {"type": "array", "items": "long"})]),
    ),
    "map values promoted": (
        rec([f("a", {"type": "map", "values": "float"})]),
        rec([f("a", {"type": "map", "values": "double"})]),
    ),
    "recursive": (
        rec([f("v", "int"), f("next", ["null", "R"])]),
        rec([f("v", "long"), f("next", ["null", "R"])]),
    ),
    "logical types ignored": (
        rec([f("a", {"type": "long", "logicalType": "timestamp-micros"})]),
        rec([f("a", "long")]),
    ),
}

MISMATCH = {
    "long to int": (rec([f("a", "long")]), rec([f("a", "int")]), "a", "long cannot be read as int"),
    "missing without default": (
        rec([f("a", "int")]),
        rec([f("a", "int"), f("b", "string")]),
        "b",
        "no default",
    ),
    "record name": (
        rec([f("a", "int")], name="A"),
        rec([f("a", "int")], name="B"),
        "",
        "names differ",
    ),
    "enum symbol": (
        rec([f("e", {**ENUM, "symbols": ["A", "B", "Z"]})]),
        rec([f("e", ENUM)]),
        "e",
        "['Z']",
    ),
    "fixed size": (
        rec([f("x", {"type": "fixed", "name": "F", "size": 4})]),
        rec([f("x", {"type": "fixed", "name": "F", "size": 8})]),
        "x",
        "writer 4, reader 8",
    ),
    "writer union branch unreadable": (
        rec([f("a", ["null", "string"])]),
        rec([f("a", "string")]),
        "a",
        "null cannot be read as string",
    ),
    "no reader branch": (
        rec([f("a", "boolean")]),
        rec([f("a", ["null", "int"])]),
        "a",
        "no branch",
    ),
    "nested": (
        rec([f("o", rec([f("i", "double")], name="In"))]),
        rec([f("o", rec([f("i", "float")], name="In"))]),
        "o.i",
        "double cannot be read as float",
    ),
    "array items": (
        rec([f("a", {"type": "array", "items": "string"})]),
        rec([f("a", {"type": "array", "items": "int"})]),
        "a[]",
        "string cannot be read as int",
    ),
}


@pytest.mark.parametrize("case", sorted(READABLE))
def test_readable(case):
    writer, reader = READABLE[case]
    check_reader_can_read(reader, writer)


@pytest.mark.parametrize("case", sorted(MISMATCH))
def test_mismatch_names_the_difference(case):
    writer, reader, field, words = MISMATCH[case]
    with pytest.raises(SchemaMismatch) as info:
        check_reader_can_read(reader, writer)
    assert info.value.field == field and info.value.reason == "schema_mismatch"
    assert words in str(info.value)


def test_invalid_sidecar_is_invalid_schema():
    with pytest.raises(InvalidSchema):
        check_reader_can_read({"type": "record", "name": "R", "fields": [{"name": "a"}]}, "int")


def test_choose_schema():
    writer = rec([f("a", "int")])
    header = read_header(BytesRangeReader(write_avro(writer, [{"a": 1}])))
    assert choose_schema(None, header) == writer
    sidecar = rec([f("a", "long"), f("b", "string", default="")])
    assert choose_schema(sidecar, header) == sidecar
    with pytest.raises(SchemaMismatch) as info:
        choose_schema(rec([f("a", "string")]), header, path="/in/x.avro")
    assert info.value.file == "/in/x.avro"
