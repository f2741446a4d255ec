"""No batch blocks the pipeline: a file Hive fails on is found and set aside with Hive's own
message while the rest of its batch loads; every codec Avro defines loads; landing folders with
hostile names and files with names near HDFS' limit load; a fault of the cluster (a space
quota) is retried, never blamed on a file, and loses nothing."""

from __future__ import annotations

import io
import json
import subprocess
import uuid
from pathlib import Path
from typing import Any

import fastavro
import pytest
from avro_ingest.config import IngestConfig
from avro_ingest.exceptions import EngineFault
from avro_ingest.hive.types import MAX_NESTING_DEPTH
from avro_ingest.hooks.hdfs import AvroIngestHdfsHook
from avro_ingest.hooks.hive import AvroIngestHiveHook

from .conftest import Area
from .invariants import Landed, check_exactly_once, check_nothing_lost, files_under
from .pipeline_process import run_pipeline

pytestmark = pytest.mark.integration

STACK = Path(__file__).resolve().parents[2] / "stack" / "stack.sh"
SCHEMA = {
    "type": "record",
    "name": "Reading",
    "fields": [{"name": "n", "type": "long"}, {"name": "label", "type": "string"}],
}


def encoded(rows: int, codec: str = "snappy", schema: dict[str, Any] = SCHEMA) -> bytes:
    buffer = io.BytesIO()
    records = [{"n": i, "label": f"row {i}"} for i in range(rows)]
    fastavro.writer(buffer, fastavro.parse_schema(dict(schema)), records, codec=codec)
    return buffer.getvalue()


def with_bad_checksum(data: bytes) -> bytes:
    """A snappy file whose last block's CRC does not match its data: fastavro does not check
    the CRC, Hive's reader does (`Checksum failure`)."""
    broken = bytearray(data)
    broken[-20] ^= 0xFF  # the CRC is the 4 bytes before the 16-byte sync marker
    return bytes(broken)


def run(landing: str, area: Area, run_id: str = "", **settings: Any) -> dict[str, Any]:
    config = IngestConfig(
        landing_paths=(landing,),
        database=area.database,
        target_root=area.target_root,
        quiet_period_seconds=0,
        **settings,
    )
    hdfs, hive = AvroIngestHdfsHook(), AvroIngestHiveHook()
    return run_pipeline(hdfs, hive, config, run_id=run_id or f"run-{uuid.uuid4().hex[:8]}")


def reason_of(path: str) -> dict[str, Any]:
    with AvroIngestHdfsHook().open_stream(path + ".reason.json") as stream:
        found: dict[str, Any] = json.loads(stream.read())
    return found


def test_a_file_hive_cannot_read_is_set_aside_with_hives_message_and_its_batch_loads(
    test_area: Area,
) -> None:
    hdfs = AvroIngestHdfsHook()
    landed: dict[str, tuple[str, int]] = {}
    for i in range(5):
        name = f"part-{i}.avro"
        data = encoded(200 + i)
        hdfs.write_bytes(f"{test_area.landing}/{name}", with_bad_checksum(data) if i == 3 else data)
        landed[name] = ("reading", 200 + i)

    outcome = run(test_area.landing, test_area)

    (batch,) = [b for t in outcome["plan"]["tables"] for b in t["batches"]]
    assert len(batch["files"]) == 5, "the five files were claimed as one batch"
    assert outcome["failed"] == []
    (set_aside,) = [q for load in outcome["loads"] for q in load["quarantined"]]
    assert set_aside["path"].endswith("/part-3.avro")
    assert set_aside["reason"] == "engine_rejected"
    assert "Checksum failure" in set_aside["message"], set_aside["message"]
    assert reason_of(set_aside["quarantined_to"])["reason"] == "engine_rejected"
    ended = check_exactly_once(test_area.landing, test_area.database, Landed(landed))
    assert ended["quarantined"] == {"part-3.avro"}
    assert ended["archived"] == {f"part-{i}.avro" for i in (0, 1, 2, 4)}
    again = run(test_area.landing, test_area)
    assert again["plan"]["tables"] == [] and again["failed"] == []


def test_every_codec_avro_defines_loads_in_one_batch(test_area: Area) -> None:
    hdfs = AvroIngestHdfsHook()
    codecs = ("null", "deflate", "bzip2", "snappy", "xz", "zstandard")
    landed = {}
    for i, codec in enumerate(codecs):
        hdfs.write_bytes(f"{test_area.landing}/{codec}.avro", encoded(100 + i, codec))
        landed[f"{codec}.avro"] = ("reading", 100 + i)
    outcome = run(test_area.landing, test_area)
    assert outcome["failed"] == []
    ended = check_exactly_once(test_area.landing, test_area.database, Landed(landed))
    assert ended["archived"] == set(landed) and not ended["quarantined"]


@pytest.mark.parametrize(
    "folder",
    ["with space", "quote'd", 'double"quoted', "back`tick", "x#LATEST", "per%20cent"],
    ids=["space", "quote", "double-quote", "backtick", "LATEST", "percent"],
)
def test_a_landing_folder_with_a_hostile_name_loads(test_area: Area, folder: str) -> None:
    landing = f"{test_area.landing}/{folder}"
    hdfs = AvroIngestHdfsHook()
    hdfs.makedirs(landing)
    hdfs.write_bytes(f"{landing}/one.avro", encoded(30))
    hdfs.write_bytes(f"{landing}/two.avro", encoded(12))
    assert {p.rsplit("/", 1)[-1] for p in files_under(landing)} == {"one.avro", "two.avro"}

    outcome = run(landing, test_area)

    assert outcome["failed"] == []
    landed = Landed({"one.avro": ("reading", 30), "two.avro": ("reading", 12)})
    ended = check_exactly_once(landing, test_area.database, landed)
    assert ended["archived"] == {"one.avro", "two.avro"}


def test_a_field_doc_longer_than_the_metastore_holds_loads(test_area: Area) -> None:
    schema = json.loads(json.dumps(SCHEMA))
    schema["fields"][1]["doc"] = "why this label matters. " * 40  # 960 characters
    AvroIngestHdfsHook().write_bytes(f"{test_area.landing}/doc.avro", encoded(25, schema=schema))
    outcome = run(test_area.landing, test_area)
    assert outcome["failed"] == []
    ended = check_exactly_once(
        test_area.landing, test_area.database, Landed({"doc.avro": ("reading", 25)})
    )
    assert ended["archived"] == {"doc.avro"}


def test_names_near_hdfs_limit_load_or_are_set_aside_with_their_reason(test_area: Area) -> None:
    hdfs = AvroIngestHdfsHook()
    good = "g" * 245 + ".avro"  # 250 bytes: its staged name (folder__name) passes 255
    bad = "b" * 245 + ".avro"  # its reason file's name would pass 255
    sub = f"{test_area.landing}/deliveries"
    hdfs.makedirs(sub)
    hdfs.write_bytes(f"{sub}/{good}", encoded(40))
    data = encoded(40)
    hdfs.write_bytes(f"{test_area.landing}/{bad}", data[: len(data) - 9])  # truncated

    outcome = run(test_area.landing, test_area, recursive=True)

    assert outcome["failed"] == []
    (set_aside,) = outcome["plan"]["quarantined"]
    assert set_aside["path"].endswith(bad) and set_aside["reason"] == "truncated"
    assert reason_of(set_aside["quarantined_to"])["source"].endswith(bad)
    archived = [p for p in files_under(f"{test_area.landing}/_archive") if p.endswith(".avro")]
    assert len(archived) == 1 and archived[0].endswith(good[-100:])
    assert not files_under(f"{test_area.landing}/_staging")
    (count,) = AvroIngestHiveHook().query(
        f"SELECT COUNT(*) FROM `{test_area.database}`.`reading`",
        settings={"hive.compute.query.using.stats": "false"},
    )
    assert count[0] == 40


def dfsadmin(*arguments: str) -> None:
    subprocess.run(["bash", str(STACK), "dfsadmin", *arguments], check=True, capture_output=True)


def test_a_space_quota_hit_is_retried_not_blamed_on_a_file_and_loses_nothing(
    test_area: Area,
) -> None:
    hdfs = AvroIngestHdfsHook()
    landed = {}
    for i in range(3):
        hdfs.write_bytes(f"{test_area.landing}/q{i}.avro", encoded(500))
        landed[f"q{i}.avro"] = ("reading", 500)
    hdfs.makedirs(test_area.target_root)
    dfsadmin("-setSpaceQuota", "1", test_area.target_root)
    try:
        with pytest.raises(EngineFault, match="QuotaExceededException"):
            run(test_area.landing, test_area, run_id="quota-run")
        places = check_nothing_lost(test_area.landing, Landed(landed))
        assert all(p.startswith("_staging/") for p in places.values()), places
    finally:
        dfsadmin("-clrSpaceQuota", test_area.target_root)
    # Once the quota is lifted, the run's retry takes its batch up again and loads it once.
    run(test_area.landing, test_area, run_id="quota-run")
    ended = check_exactly_once(test_area.landing, test_area.database, Landed(landed))
    assert ended["archived"] == set(landed)


def test_a_batch_that_keeps_failing_is_set_aside_with_its_last_error(test_area: Area) -> None:
    hdfs = AvroIngestHdfsHook()
    hdfs.write_bytes(f"{test_area.landing}/stuck.avro", encoded(10))
    # A file where the table's folder must go: Hive refuses the CREATE TABLE, every time.
    hdfs.write_bytes(f"{test_area.target_root}/{test_area.database}/reading", b"in the way")

    first = run(test_area.landing, test_area, run_id="stuck", max_batch_failures=2)
    second = run(test_area.landing, test_area, run_id="stuck", max_batch_failures=2)
    assert len(first["failed"]) == len(second["failed"]) == 1
    assert check_nothing_lost(test_area.landing, Landed({"stuck.avro": ("reading", 10)}))

    third = run(test_area.landing, test_area, run_id="stuck", max_batch_failures=2)

    assert third["failed"] == []
    (set_aside,) = [q for load in third["loads"] for q in load["quarantined"]]
    assert set_aside["reason"] == "repeated_failure"
    assert "failed to load 2 times" in set_aside["message"]
    assert first["failed"][0]["error"].split("\n")[0] in set_aside["message"]
    assert reason_of(set_aside["quarantined_to"])["reason"] == "repeated_failure"
    assert not [p for p in files_under(f"{test_area.landing}/_staging") if p.endswith(".avro")]


def test_ten_thousand_columns_load(test_area: Area) -> None:
    names = [f"c{i:05d}" for i in range(10_000)]
    schema = {
        "type": "record",
        "name": "Wide",
        "fields": [{"name": n, "type": "int"} for n in names],
    }
    rows = [{n: i * row for i, n in enumerate(names)} for row in range(3)]
    buffer = io.BytesIO()
    fastavro.writer(buffer, fastavro.parse_schema(schema), rows, codec="deflate")
    AvroIngestHdfsHook().write_bytes(f"{test_area.landing}/wide.avro", buffer.getvalue())

    outcome = run(test_area.landing, test_area)

    assert outcome["failed"] == []
    check_exactly_once(test_area.landing, test_area.database, Landed({"wide.avro": ("wide", 3)}))
    (last,) = AvroIngestHiveHook().query(
        f"SELECT SUM(`c09999`) FROM `{test_area.database}`.`wide`",
        settings={"hive.compute.query.using.stats": "false"},
    )
    assert last[0] == 9999 * (0 + 1 + 2)


def nested_file(depth: int, rows: int) -> tuple[bytes, str]:
    """A file of records nested `depth` levels deep, and the path of its innermost value."""
    node: dict[str, Any] = {
        "type": "record",
        "name": f"L{depth}",
        "fields": [{"name": "v", "type": "long"}],
    }
    for level in range(depth - 1, 0, -1):
        node = {"type": "record", "name": f"L{level}", "fields": [{"name": "inner", "type": node}]}
    schema = {"type": "record", "name": "Deep", "fields": [{"name": "root", "type": node}]}

    def value(n: int) -> dict[str, Any]:
        record: dict[str, Any] = {"v": n}
        for _ in range(depth - 1):
            record = {"inner": record}
        return {"root": record}

    buffer = io.BytesIO()
    fastavro.writer(buffer, fastavro.parse_schema(schema), [value(n) for n in range(rows)])
    return buffer.getvalue(), "`root`" + ".`inner`" * (depth - 1) + ".`v`"


def test_nesting_to_the_limit_loads_and_a_hundred_levels_are_set_aside_before_the_claim(
    test_area: Area,
) -> None:
    hdfs = AvroIngestHdfsHook()
    deepest, path = nested_file(MAX_NESTING_DEPTH, 4)
    hdfs.write_bytes(f"{test_area.landing}/deep.avro", deepest)
    too_deep, _ = nested_file(100, 4)
    hdfs.write_bytes(f"{test_area.landing}/deeper.avro", too_deep)

    outcome = run(test_area.landing, test_area)

    assert outcome["failed"] == [], outcome["failed"]
    (set_aside,) = outcome["plan"]["quarantined"]
    assert set_aside["path"].endswith("/deeper.avro") and set_aside["reason"] == "too_deep"
    landed = Landed({"deep.avro": ("deep", 4), "deeper.avro": ("deep", 4)})
    ended = check_exactly_once(test_area.landing, test_area.database, landed)
    assert ended["archived"] == {"deep.avro"} and ended["quarantined"] == {"deeper.avro"}
    (total,) = AvroIngestHiveHook().query(
        f"SELECT SUM({path}) FROM `{test_area.database}`.`deep`",
        settings={"hive.compute.query.using.stats": "false"},
    )
    assert total[0] == 0 + 1 + 2 + 3


def test_a_new_table_whose_only_file_is_set_aside_is_not_left_empty(test_area: Area) -> None:
    AvroIngestHdfsHook().write_bytes(
        f"{test_area.landing}/alone.avro", with_bad_checksum(encoded(50))
    )
    outcome = run(test_area.landing, test_area)
    (set_aside,) = [q for load in outcome["loads"] for q in load["quarantined"]]
    assert set_aside["reason"] == "engine_rejected"
    tables = AvroIngestHiveHook().query(f"SHOW TABLES IN `{test_area.database}`")
    assert tables == [], "an empty target table was left for readers"


def test_files_in_sub_folders_with_hostile_names_load(test_area: Area) -> None:
    hdfs = AvroIngestHdfsHook()
    landed = {}
    for index, folder in enumerate(["back\\slash", "sp ace", "quo'te", "#LATEST", "50%off"]):
        hdfs.makedirs(f"{test_area.landing}/{folder}")
        name = f"part {index}'s.avro"
        hdfs.write_bytes(f"{test_area.landing}/{folder}/{name}", encoded(10 + index))
        # Claimed files are named by their path below landing, `/` as `__`.
        landed[f"{folder}__{name}"] = ("reading", 10 + index)

    outcome = run(test_area.landing, test_area, recursive=True)

    assert outcome["failed"] == []
    ended = check_exactly_once(test_area.landing, test_area.database, Landed(landed))
    assert ended["archived"] == set(landed)
