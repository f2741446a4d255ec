"""The evolution policy, row by row (hive/evolution.py's EVOLUTION_TABLE)."""

from __future__ import annotations

from typing import Any

import pytest
from avro_ingest.exceptions import SchemaConflict
from avro_ingest.hive.evolution import EVOLUTION_TABLE, MODES, evolve
from avro_ingest.hive.tables import build_plan

TABLE = (("id", "bigint"), ("url", "string"), ("score", "float"), ("hits", "int"))


def schema(*fields: dict[str, Any]) -> dict[str, Any]:
    return {"type": "record", "name": "Click", "fields": list(fields)}


ID = {"name": "id", "type": "long"}
URL = {"name": "url", "type": "string"}
SCORE = {"name": "score", "type": "float"}
HITS = {"name": "hits", "type": "int"}
REF = {"name": "ref", "type": ["null", "string"], "default": None}


def run(record: dict[str, Any], mode: Any = "evolve"):  # type: ignore[no-untyped-def]
    return evolve(build_plan(record), TABLE, mode=mode, schema=record)


def columns(evolution: Any) -> dict[str, tuple[str, str]]:
    return {c.name: (c.parquet_type.sql, c.select.sql) for c in evolution.plan.columns}


def test_the_same_columns_change_nothing() -> None:
    evolution = run(schema(ID, URL, SCORE, HITS))
    assert evolution.add == () and evolution.widen == () and evolution.changes == []


def test_a_new_field_in_the_middle_becomes_a_new_column() -> None:
    evolution = run(schema(ID, REF, URL, SCORE, HITS))
    assert evolution.add == ("ref",)
    assert evolution.changes == ["added ref"]
    assert "ref" in columns(evolution)


def test_missing_fields_and_another_order_need_no_change() -> None:
    evolution = run(schema(HITS, ID))
    assert evolution.add == () and evolution.widen == ()
    assert list(columns(evolution)) == ["hits", "id"]


def test_int_to_long_and_float_to_double_widen_the_columns() -> None:
    evolution = run(schema(ID, URL, {**SCORE, "type": "double"}, {**HITS, "type": "long"}))
    assert [(name, kind.sql) for name, kind in evolution.widen] == [
        ("score", "DOUBLE"),
        ("hits", "BIGINT"),
    ]
    assert evolution.changes == ["widened score to DOUBLE", "widened hits to BIGINT"]


def test_an_older_narrower_schema_is_written_in_the_tables_type() -> None:
    evolution = run(schema({**ID, "type": "int"}, URL))
    assert columns(evolution)["id"] == ("BIGINT", "CAST(`id` AS BIGINT)")
    assert evolution.widen == ()


def test_a_renamed_field_with_its_old_name_as_alias_loads_into_the_old_column() -> None:
    evolution = run(schema(ID, {"name": "link", "type": "string", "aliases": ["url"]}))
    assert columns(evolution)["url"] == ("STRING", "`link`")
    assert evolution.add == ()


@pytest.mark.parametrize(
    ("field", "table_type", "batch_type"),
    [
        ({**URL, "type": "int"}, "string", "int"),
        ({**ID, "type": "string"}, "bigint", "string"),
        ({**SCORE, "type": "boolean"}, "float", "boolean"),
        (
            {**ID, "type": {"type": "long", "logicalType": "timestamp-millis"}},
            "bigint",
            "timestamp",
        ),
    ],
)
def test_any_other_change_is_a_conflict_naming_the_field_and_both_types(
    field: dict[str, Any], table_type: str, batch_type: str
) -> None:
    with pytest.raises(SchemaConflict) as conflict:
        run(schema(field))
    assert f"field {field['name']} is {table_type} in the table but {batch_type}" in str(conflict)


def test_freeze_refuses_any_change_of_columns() -> None:
    run(schema(ID, URL, SCORE, HITS), mode="freeze")
    for changed in (
        schema(ID, URL, SCORE, HITS, REF),
        schema(ID, URL, SCORE),
        schema(ID, URL, SCORE, {**HITS, "type": "long"}),
        schema({**ID, "type": "int"}, URL, SCORE, HITS),
    ):
        with pytest.raises(SchemaConflict):
            run(changed, mode="freeze")


def test_discard_new_columns_keeps_the_table_and_drops_new_fields() -> None:
    evolution = run(schema(ID, REF, URL), mode="discard_new_columns")
    assert evolution.add == () and "ref" not in columns(evolution)
    with pytest.raises(SchemaConflict, match="discard_new_columns"):
        run(schema(ID, {**HITS, "type": "long"}), mode="discard_new_columns")


def test_no_table_yet_takes_the_schema_as_it_is() -> None:
    plan = build_plan(schema(ID, URL))
    assert evolve(plan, None).plan == plan


def test_the_policy_table_has_a_column_for_each_mode() -> None:
    assert all(set(MODES) <= set(vars(row)) for row in EVOLUTION_TABLE)


NESTED = (("id", "bigint"), ("s", "struct<a:int,b:string>"), ("l", "array<struct<a:int>>"),
          ("m", "map<string,struct<a:int,b:string>>"))  # fmt: skip


def nested(**changed: Any) -> dict[str, Any]:
    s = changed.get(
        "s",
        {
            "type": "record",
            "name": "S",
            "fields": [{"name": "a", "type": "int"}, {"name": "b", "type": "string"}],
        },
    )
    items = changed.get(
        "l",
        {
            "type": "array",
            "items": {"type": "record", "name": "L", "fields": [{"name": "a", "type": "int"}]},
        },
    )
    m = changed.get(
        "m",
        {
            "type": "map",
            "values": {
                "type": "record",
                "name": "M",
                "fields": [{"name": "a", "type": "int"}, {"name": "b", "type": "string"}],
            },
        },
    )
    return schema(ID, {"name": "s", "type": s}, {"name": "l", "type": items}, {"name": "m", "type": m})  # fmt: skip  # noqa: E501


def run_nested(record: dict[str, Any], mode: Any = "evolve"):  # type: ignore[no-untyped-def]
    return evolve(build_plan(record), NESTED, mode=mode, schema=record)


def test_a_field_added_inside_a_record_or_array_elements_extends_the_column() -> None:
    evolution = run_nested(nested(
        s={"type": "record", "name": "S", "fields": [{"name": "a", "type": "int"},
           {"name": "c", "type": ["null", "string"]}, {"name": "b", "type": "string"}]},
        l={"type": "array", "items": {"type": "record", "name": "L", "fields": [
           {"name": "z", "type": "long"}, {"name": "a", "type": "int"}]}},
    ))  # fmt: skip
    assert [(n, t.sql) for n, t in evolution.widen] == [
        ("s", "STRUCT<`a`:INT,`b`:STRING,`c`:STRING>"),
        ("l", "ARRAY<STRUCT<`a`:INT,`z`:BIGINT>>"),
    ]
    assert evolution.changes[0] == "extended s to STRUCT<`a`:INT,`b`:STRING,`c`:STRING>"


def test_a_nested_field_missing_changes_nothing_but_not_in_a_maps_values() -> None:
    older = {"type": "record", "name": "S", "fields": [{"name": "b", "type": "string"}]}
    assert run_nested(nested(s=older)).widen == ()
    with pytest.raises(SchemaConflict, match=r"at m\{\}"):
        run_nested(nested(m={"type": "map", "values": {**older, "name": "M"}}))


def test_map_value_records_may_only_grow_at_the_end() -> None:
    grown = {"type": "map", "values": {"type": "record", "name": "M", "fields": [
        {"name": "a", "type": "int"}, {"name": "b", "type": "string"},
        {"name": "c", "type": "double"}]}}  # fmt: skip
    (change,) = run_nested(nested(m=grown)).widen
    assert change[1].sql == "MAP<STRING,STRUCT<`a`:INT,`b`:STRING,`c`:DOUBLE>>"
    reordered = {"type": "map", "values": {"type": "record", "name": "M", "fields": [
        {"name": "b", "type": "string"}, {"name": "a", "type": "int"}]}}  # fmt: skip
    with pytest.raises(SchemaConflict, match="keep their order"):
        run_nested(nested(m=reordered))


def test_a_nested_type_change_is_a_conflict_naming_where() -> None:
    changed = {"type": "record", "name": "S", "fields": [
        {"name": "a", "type": "string"}, {"name": "b", "type": "string"}]}  # fmt: skip
    with pytest.raises(SchemaConflict, match=r"field s is struct<a:int,b:string>.*\(at s\.a\)"):
        run_nested(nested(s=changed))


def test_freeze_and_discard_refuse_nested_additions_and_freeze_any_difference() -> None:
    grown = {"type": "record", "name": "S", "fields": [{"name": "a", "type": "int"},
             {"name": "b", "type": "string"}, {"name": "c", "type": "int"}]}  # fmt: skip
    older = {"type": "record", "name": "S", "fields": [{"name": "a", "type": "int"}]}
    for mode in ("freeze", "discard_new_columns"):
        with pytest.raises(SchemaConflict, match=mode):
            run_nested(nested(s=grown), mode=mode)
    with pytest.raises(SchemaConflict, match="freeze"):
        run_nested(nested(s=older), mode="freeze")
    assert run_nested(nested(s=older), mode="discard_new_columns").widen == ()


@pytest.mark.parametrize(
    "text",
    ["int", "decimal(10,2)", "varchar(20)", "struct<a:int,b:array<map<string,decimal(5,1)>>>"],
)
def test_a_type_renders_back_to_what_it_was_parsed_from(text: str) -> None:
    from avro_ingest.hive.evolution import parse_type, render_type

    assert render_type(parse_type(text)).sql.replace("`", "").lower() == text


def test_new_enum_symbols_change_nothing() -> None:
    colour = {"type": "enum", "name": "Colour", "symbols": ["RED", "GREEN"]}
    table = (("id", "bigint"), ("colour", "string"))
    grown = schema(ID, {"name": "colour", "type": {**colour, "symbols": ["RED", "GREEN", "BLUE"]}})
    evolution = evolve(build_plan(grown), table, schema=grown)
    assert evolution.changes == []


def test_a_field_that_held_nulls_made_required_without_default_is_a_conflict() -> None:
    held = run(schema(ID, {**URL, "type": ["null", "string"]}, SCORE, HITS))
    assert held.nullable == frozenset({"url"})
    required = schema(ID, URL, SCORE, HITS)
    with pytest.raises(SchemaConflict, match="field url held nulls in the table but is required"):
        evolve(build_plan(required), TABLE, schema=required, nullable=held.nullable)
    with_default = schema(ID, {**URL, "default": ""}, SCORE, HITS)
    assert evolve(build_plan(with_default), TABLE, schema=with_default, nullable=held.nullable)
    renamed = schema(ID, {"name": "link", "type": "string", "aliases": ["url"]}, SCORE, HITS)
    with pytest.raises(SchemaConflict, match="field url held nulls"):
        evolve(build_plan(renamed), TABLE, schema=renamed, nullable=held.nullable)
    # Remembered across batches: a later batch adds to what the table has held.
    later = schema(ID, URL, SCORE, {**HITS, "type": ["null", "int"]})
    assert evolve(build_plan(later), TABLE, schema=later, nullable={"ref"}).nullable == {
        "ref",
        "hits",
    }
