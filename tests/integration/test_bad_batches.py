"""A bad file never holds up its batch or the pipeline: it is set aside, with its reason,
before anything is claimed (or, for a file read whole only once claimed, from staging), and
the rest of its batch loads."""

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


def run(area: Area, **settings: Any) -> dict[str, Any]:
    config = IngestConfig(
        landing_paths=(area.landing,),
        database=area.database,
        target_root=area.target_root,
        quiet_period_seconds=0,
        **settings,
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


def test_a_large_file_found_broken_once_claimed_is_set_aside_and_the_rest_loads(
    test_area: Area,
) -> None:
    """Planning reads only the header of a large file; its body is read while Hive converts
    its batch. A body cut short is then set aside from staging with its reason and its
    sidecar, and the batch loads without it: the table holds the other files' rows only."""
    hdfs = AvroIngestHdfsHook()
    schema = tick_schema("pad")
    rows = [{"n": i, "pad": "x" * 40} for i in range(3000)]
    large = avro_bytes(schema, rows)  # several blocks; the small file below is one
    hdfs.write_bytes(f"{test_area.landing}/whole.avro", large)
    hdfs.write_bytes(f"{test_area.landing}/cut.avro", large[: len(large) // 2])
    hdfs.write_bytes(f"{test_area.landing}/cut.avsc", json.dumps(schema).encode())
    hdfs.write_bytes(f"{test_area.landing}/small.avro", avro_bytes(schema, rows[:7]))
    landed = Landed(
        {"whole.avro": ("tick", 3000), "cut.avro": ("tick", 0), "small.avro": ("tick", 7)}
    )

    outcome = run(test_area, count_after_claim_min_bytes=len(large) // 2)

    assert outcome["plan"]["quarantined"] == []  # its header was sound: claimed
    assert outcome["failed"] == []
    (set_aside,) = [q for load in outcome["loads"] for q in load["quarantined"]]
    assert set_aside["path"] == f"{test_area.landing}/cut.avro"
    assert set_aside["reason"] == "truncated" and set_aside["step"] == "count"
    assert "cut.avro" in set_aside["message"]
    (result,) = [r for load in outcome["loads"] for r in load["results"]]
    assert result["rows_verified"] == result["records_expected"] == 3007
    ended = check_exactly_once(test_area.landing, test_area.database, landed)
    assert ended["quarantined"] == {"cut.avro"}
    assert ended["archived"] == {"whole.avro", "small.avro"}
    quarantined = [p for p in files_under(test_area.landing) if "/_quarantine/" in p]
    assert any(p.endswith("/cut.avsc") for p in quarantined)
    (reason_file,) = [p for p in quarantined if p.endswith("/cut.avro.reason.json")]
    with hdfs.open_stream(reason_file) as stream:
        assert json.loads(stream.read())["reason"] == "truncated"
