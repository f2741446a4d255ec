"""A bad file never holds up its batch or the pipeline: it is set aside, with its reason,
before anything is claimed, and the rest of its batch loads."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from avro_ingest.config import IngestConfig
from avro_ingest.hooks.hdfs import AvroIngestHdfsHook
from avro_ingest.hooks.hive import AvroIngestHiveHook

from .conftest import Area
from .invariants import Landed, avro_bytes, check_exactly_once, files_under
from .pipeline_process import run_pipeline

pytestmark = pytest.mark.integration


def tick_schema(*extra: str) -> dict[str, Any]:
    fields = [{"name": "n", "type": "long"}] + [{"name": f, "type": "string"} for f in extra]
    return {"type": "record", "name": "Tick", "fields": fields}


def run(area: Area) -> dict[str, Any]:
    config = IngestConfig(
        landing_paths=(area.landing,),
        database=area.database,
        target_root=area.target_root,
        quiet_period_seconds=0,
    )
    hdfs, hive = AvroIngestHdfsHook(), AvroIngestHiveHook()
    return run_pipeline(hdfs, hive, config, run_id=f"run-{uuid.uuid4().hex[:8]}")


@pytest.mark.parametrize("field", ["batch_id", "ingest_date"])
def test_a_field_named_like_a_partition_column_is_set_aside_before_the_claim(
    test_area: Area, field: str
) -> None:
    hdfs = AvroIngestHdfsHook()
    files = {
        "good-1.avro": (tick_schema(), [{"n": i} for i in range(5)]),
        "good-2.avro": (tick_schema(), [{"n": i} for i in range(7)]),
        "clash.avro": (tick_schema(field), [{"n": 1, field: "x"}]),
    }
    for name, (schema, rows) in files.items():
        hdfs.write_bytes(f"{test_area.landing}/{name}", avro_bytes(schema, rows))
    landed = Landed({name: ("tick", len(rows)) for name, (_, rows) in files.items()})

    first = run(test_area)
    (set_aside,) = first["plan"]["quarantined"]
    assert set_aside["path"].endswith("/clash.avro") and set_aside["reason"] == "name_collision"
    claimed = {
        f["source"] for t in first["plan"]["tables"] for b in t["batches"] for f in b["files"]
    }
    assert not any(p.endswith("/clash.avro") for p in claimed)
    ended = check_exactly_once(test_area.landing, test_area.database, landed)
    assert ended["quarantined"] == {"clash.avro"}
    assert ended["archived"] == {"good-1.avro", "good-2.avro"}
    (reason_file,) = [p for p in files_under(test_area.landing) if p.endswith(".reason.json")]
    with hdfs.open_stream(reason_file) as stream:
        assert json.loads(stream.read())["reason"] == "name_collision"
    # The next run has nothing left to fail on.
    again = run(test_area)
    assert again["plan"]["tables"] == [] and again["plan"]["quarantined"] == []


def test_a_bad_file_and_an_empty_one_take_their_sidecars_with_them(test_area: Area) -> None:
    hdfs = AvroIngestHdfsHook()
    schema = tick_schema()
    good = avro_bytes(schema, [{"n": i} for i in range(5)])
    hdfs.write_bytes(f"{test_area.landing}/good.avro", good)
    hdfs.write_bytes(f"{test_area.landing}/cut.avro", good[: len(good) - 7])  # truncated
    hdfs.write_bytes(f"{test_area.landing}/empty.avro", b"")
    for name in ("good", "cut", "empty"):
        hdfs.write_bytes(f"{test_area.landing}/{name}.avsc", json.dumps(schema).encode())

    outcome = run(test_area)

    assert {q["reason"] for q in outcome["plan"]["quarantined"]} == {"truncated", "empty_file"}
    places = files_under(test_area.landing)
    assert f"{test_area.landing}/cut.avsc" not in places
    assert f"{test_area.landing}/empty.avsc" not in places
    quarantined = [p for p in places if "/_quarantine/" in p]
    for name in ("cut", "empty"):
        assert any(p.endswith(f"/{name}.avro") for p in quarantined)
        assert any(p.endswith(f"/{name}.avsc") for p in quarantined)
        assert any(p.endswith(f"/{name}.avro.reason.json") for p in quarantined)
