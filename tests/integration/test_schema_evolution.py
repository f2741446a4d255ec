"""Schema changes across deliveries, on the real HiveServer2: a table follows compatible
changes (a field added in the middle, a widened number, a rename by alias, an older schema
after a newer one), old and new rows read back with their values, a conflict sets the batch
aside naming the field and both types while another table loads, and the other two modes."""

from __future__ import annotations

import io
import json
import uuid
from pathlib import Path
from typing import Any

import fastavro
import pytest
from avro_ingest.config import IngestConfig
from avro_ingest.hooks.hdfs import AvroIngestHdfsHook
from avro_ingest.hooks.hive import AvroIngestHiveHook
from avro_ingest.stages.convert import history_folder

from .conftest import Area
from .pipeline_process import run_pipeline

pytestmark = pytest.mark.integration


def field(name: str, kind: Any, **more: Any) -> dict[str, Any]:
    return {"name": name, "type": kind, **more}


def schema(*fields: dict[str, Any], name: str = "Click") -> dict[str, Any]:
    return {"type": "record", "name": name, "fields": list(fields)}


V1 = schema(
    field("id", "long"), field("url", "string"), field("score", "float"), field("hits", "int")
)
# A field added in the middle, two numbers widened, `url` renamed with its old name as alias.
V2 = schema(
    field("id", "long"),
    field("ref", ["null", "string"], default=None),
    field("link", "string", aliases=["url"]),
    field("score", "double"),
    field("hits", "long"),
)


def deliver(
    area: Area, name: str, record_schema: dict[str, Any], rows: list[dict[str, Any]]
) -> None:
    buffer = io.BytesIO()
    fastavro.writer(buffer, fastavro.parse_schema(dict(record_schema)), rows)
    AvroIngestHdfsHook().write_bytes(f"{area.landing}/{name}", buffer.getvalue())


def run(area: Area, **settings: Any) -> dict[str, Any]:
    config = IngestConfig(
        landing_paths=(area.landing,),
        database=area.database,
        target_root=area.target_root,
        quiet_period_seconds=0,
        **settings,
    )
    outcome = run_pipeline(
        AvroIngestHdfsHook(), AvroIngestHiveHook(), config, run_id=f"run-{uuid.uuid4().hex[:8]}"
    )
    assert not outcome["failed"], outcome["failed"]
    return outcome


def schema_history(area: Area, table: str) -> list[dict[str, Any]]:
    """What the table keeps of its schema changes, oldest first."""
    hdfs = AvroIngestHdfsHook()
    folder = history_folder(area.target_root, area.database, table)
    history = []
    for entry in sorted(hdfs.list_files(folder), key=lambda e: e.path):
        with hdfs.open_stream(entry.path) as body:
            history.append(json.loads(body.read()))
    return history


def rows(area: Area, table: str, columns: str) -> list[tuple[Any, ...]]:
    return [
        tuple(row)
        for row in AvroIngestHiveHook().query(
            f"SELECT {columns} FROM `{area.database}`.`{table}` ORDER BY id"
        )
    ]


def columns_of(area: Area, table: str) -> list[tuple[str, str]]:
    described = AvroIngestHiveHook().query(f"DESCRIBE `{area.database}`.`{table}`")
    listed = []
    for name, kind, *_ in described:
        if not name or name.startswith("#"):
            break
        listed.append((name, kind))
    return [c for c in listed if c[0] not in ("ingest_date", "batch_id")]


def test_a_table_follows_compatible_changes_and_reads_old_and_new_rows(test_area: Area) -> None:
    deliver(test_area, "day1.avro", V1, [
        {"id": 1, "url": "a", "score": 1.5, "hits": 10},
        {"id": 2, "url": "b", "score": 2.25, "hits": 2_000_000_000},
    ])  # fmt: skip
    run(test_area)
    deliver(test_area, "day2.avro", V2, [
        {"id": 3, "ref": "r3", "link": "c", "score": 1e300, "hits": 2**40},
        {"id": 4, "ref": None, "link": "d", "score": -0.5, "hits": -1},
    ])  # fmt: skip
    day2 = run(test_area)
    # An older producer, after the newer one.
    deliver(test_area, "day3.avro", V1, [{"id": 5, "url": "e", "score": 3.0, "hits": 7}])
    day3 = run(test_area)

    assert columns_of(test_area, "click") == [
        ("id", "bigint"),
        ("url", "string"),
        ("score", "double"),
        ("hits", "bigint"),
        ("ref", "string"),
    ]
    assert rows(test_area, "click", "id, url, score, hits, ref") == [
        (1, "a", 1.5, 10, None),
        (2, "b", 2.25, 2_000_000_000, None),
        (3, "c", 1e300, 2**40, "r3"),
        (4, "d", -0.5, -1, None),
        (5, "e", 3.0, 7, None),
    ]
    (result,) = day2["loads"][0]["results"]
    assert sorted(result["schema_changes"]) == [
        "added ref",
        "widened hits to BIGINT",
        "widened score to DOUBLE",
    ]
    assert day3["loads"][0]["results"][0]["schema_changes"] == []
    (history,) = schema_history(test_area, "click")
    assert history["batch_id"] == result["batch_id"]
    assert sorted(history["changes"]) == sorted(result["schema_changes"])


def test_a_conflict_names_the_field_and_both_types_and_another_table_loads(
    test_area: Area,
) -> None:
    deliver(test_area, "first.avro", V1, [{"id": 1, "url": "a", "score": 1.0, "hits": 1}])
    run(test_area)
    changed = schema(field("id", "long"), field("url", "int"))
    deliver(test_area, "changed.avro", changed, [{"id": 2, "url": 7}])
    deliver(test_area, "other.avro", schema(field("id", "long"), name="Other"), [{"id": 9}])

    outcome = run(test_area)

    (set_aside,) = [q for load in outcome["loads"] for q in load["quarantined"]]
    assert set_aside["reason"] == "schema_conflict"
    assert "changed.avro" in set_aside["message"]
    assert "field url is string in the table but int in the batch's schema" in set_aside["message"]
    with AvroIngestHdfsHook().open_stream(set_aside["quarantined_to"] + ".reason.json") as body:
        assert json.loads(body.read())["reason"] == "schema_conflict"
    assert rows(test_area, "other", "id") == [(9,)]
    assert rows(test_area, "click", "id") == [(1,)]


def test_freeze_sets_a_changed_batch_aside_and_discard_new_columns_drops_new_fields(
    test_area: Area,
) -> None:
    deliver(test_area, "first.avro", V1, [{"id": 1, "url": "a", "score": 1.0, "hits": 1}])
    run(test_area)
    wider = schema(*V1["fields"], field("ref", ["null", "string"], default=None))

    deliver(
        test_area,
        "frozen.avro",
        wider,
        [{"id": 2, "url": "b", "score": 2.0, "hits": 2, "ref": "x"}],
    )
    frozen = run(test_area, schema_changes="freeze")
    deliver(
        test_area, "kept.avro", wider, [{"id": 3, "url": "c", "score": 3.0, "hits": 3, "ref": "y"}]
    )
    run(test_area, schema_changes="discard_new_columns")

    (set_aside,) = [q for load in frozen["loads"] for q in load["quarantined"]]
    assert set_aside["reason"] == "schema_conflict" and "ref" in set_aside["message"]
    assert [name for name, _ in columns_of(test_area, "click")] == ["id", "url", "score", "hits"]
    assert rows(test_area, "click", "id, url") == [(1, "a"), (3, "c")]


NULLABLE = ["null", "string"]


def record(name: str, *fields: dict[str, Any]) -> dict[str, Any]:
    return {"type": "record", "name": name, "fields": list(fields)}


def test_nested_records_grow_and_every_widening_reads_back(test_area: Area) -> None:
    before = schema(
        field("id", "long"),
        field("s", record("S", field("a", "int"), field("b", "string"))),
        field("l", {"type": "array", "items": record("L", field("a", "int"))}),
        field("m", {"type": "map", "values": record("M", field("a", "int"))}),
        *(field(f"w{i}", kind) for i, kind in enumerate(("int", "int", "long", "long"))),
        name="Nest",
    )
    after = schema(
        field("id", "long"),
        field("s", record("S", field("a", "int"), field("c", NULLABLE), field("b", "string"))),
        field("l", {"type": "array", "items": record("L", field("z", "long"), field("a", "int"))}),
        field("m", {"type": "map", "values": record("M", field("a", "int"), field("d", "double"))}),
        *(field(f"w{i}", kind) for i, kind in enumerate(("double", "float", "float", "double"))),
        name="Nest",
    )  # fmt: skip
    old = {"id": 1, "s": {"a": 1, "b": "x"}, "l": [{"a": 1}], "m": {"k": {"a": 1}},
           "w0": 7, "w1": 8, "w2": 9, "w3": 2**40}  # fmt: skip
    new = {"id": 2, "s": {"a": 2, "c": "new", "b": "y"}, "l": [{"z": 5, "a": 2}],
           "m": {"k": {"a": 2, "d": 0.5}},
           "w0": 0.25, "w1": 1.5, "w2": 2.5, "w3": 0.125}  # fmt: skip
    deliver(test_area, "before.avro", before, [old])
    run(test_area)
    deliver(test_area, "after.avro", after, [new])
    outcome = run(test_area)
    # An older producer again: nested fields missing, narrower numbers. (A map's value
    # records may not lose fields: Hive reads them by position.)
    older = schema(
        *[f for f in before["fields"] if f["name"] != "m"],
        field("m", {"type": "map", "values": record("M", field("a", "int"), field("d", "double"))}),
        name="Nest",
    )
    deliver(test_area, "again.avro", older, [{**old, "id": 3, "m": {"k": {"a": 1, "d": 1.0}}}])
    again = run(test_area)

    (result,) = outcome["loads"][0]["results"]
    assert len(result["schema_changes"]) == 7, result["schema_changes"]
    assert dict(columns_of(test_area, "nest")) == {
        "id": "bigint",
        "s": "struct<a:int,b:string,c:string>",
        "l": "array<struct<a:int,z:bigint>>",
        "m": "map<string,struct<a:int,d:double>>",
        "w0": "double",
        "w1": "float",
        "w2": "float",
        "w3": "double",
    }
    assert rows(
        test_area,
        "nest",
        "id, s.a, s.b, s.c, l[0].a, l[0].z, m['k'].a, m['k'].d, w0, w1, w2, w3",
    ) == [
        (1, 1, "x", None, 1, None, 1, None, 7.0, 8.0, 9.0, float(2**40)),
        (2, 2, "y", "new", 2, 5, 2, 0.5, 0.25, 1.5, 2.5, 0.125),
        (3, 1, "x", None, 1, None, 1, 1.0, 7.0, 8.0, 9.0, float(2**40)),
    ]
    assert again["loads"][0]["results"][0]["schema_changes"] == []


def test_two_datasets_follow_their_own_modes(
    airflow_db: None, test_area: Area, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two feeds in the datasets file, one following changes and one frozen: each DAG starts
    from its entry's settings, and the same new field is added to one table and set aside for
    the other."""
    from .dag_runner import run_dag

    landings = {"web": test_area.landing, "ledger": f"{test_area.root}/ledger"}
    entries = "".join(
        f"  - name: {name}\n"
        f"    landing_path: {landing}\n"
        f"    database: {test_area.database}\n"
        f"    target_root: {test_area.target_root}\n"
        f"    table_name_rule: fixed\n"
        f"    fixed_table_name: {name}_clicks\n"
        f"    schema_changes: {'evolve' if name == 'web' else 'freeze'}\n"
        "    quiet_period_seconds: 0\n"
        "    wait_seconds: 0\n"
        for name, landing in landings.items()
    )
    datasets = tmp_path / "datasets.yaml"
    datasets.write_text("datasets:\n" + entries)
    monkeypatch.setenv("AVRO_INGEST_DATASETS", str(datasets))
    hdfs = AvroIngestHdfsHook()
    wider = schema(*V1["fields"], field("ref", ["null", "string"], default=None))
    for name, landing in landings.items():
        for day, record_schema in (("1", V1), ("2", wider)):
            buffer = io.BytesIO()
            row = {"id": int(day), "url": name, "score": 1.0, "hits": 1, "ref": "r"}
            fastavro.writer(buffer, fastavro.parse_schema(dict(record_schema)), [row])
            hdfs.write_bytes(f"{landing}/day{day}.avro", buffer.getvalue())
            _, values = run_dag({}, dag_id=f"avro_ingest_{name}")
            assert values["_states"]["plan_and_claim"] == "success"

    assert [c for c, _ in columns_of(test_area, "web_clicks")][-1] == "ref"
    assert rows(test_area, "web_clicks", "id, ref") == [(1, None), (2, "r")]
    assert "ref" not in dict(columns_of(test_area, "ledger_clicks"))
    assert rows(test_area, "ledger_clicks", "id") == [(1,)]
    quarantine = f"{landings['ledger']}/_quarantine"
    set_aside = [e.path for day in hdfs.list_folders(quarantine) for e in hdfs.list_files(day)]
    assert [p.rsplit("/", 1)[-1] for p in set_aside if p.endswith(".avro")] == ["day2.avro"]


def test_a_field_that_held_nulls_made_required_is_set_aside(test_area: Area) -> None:
    nullable = schema(field("id", "long"), field("note", ["null", "string"]))
    required = schema(field("id", "long"), field("note", "string"))
    deliver(test_area, "first.avro", nullable, [{"id": 1, "note": None}])
    run(test_area)
    deliver(test_area, "later.avro", required, [{"id": 2, "note": "n"}])

    outcome = run(test_area)

    (set_aside,) = [q for load in outcome["loads"] for q in load["quarantined"]]
    assert set_aside["reason"] == "schema_conflict"
    assert "field note held nulls in the table but is required" in set_aside["message"]
    assert rows(test_area, "click", "id, note") == [(1, None)]
