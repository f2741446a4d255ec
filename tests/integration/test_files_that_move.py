"""Files that are still open, replaced, removed or delivered twice, on the real HDFS: never
lost, never half-loaded, never loaded twice (unless a re-delivery is asked to load)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from avro_ingest.config import IngestConfig
from avro_ingest.hooks.hdfs import AvroIngestHdfsHook
from avro_ingest.hooks.hive import AvroIngestHiveHook

from .invariants import Landed, avro_bytes, check_exactly_once, files_under
from .pipeline_process import run_pipeline

pytestmark = pytest.mark.integration

TICK = {
    "type": "record",
    "name": "Tick",
    "fields": [{"name": "n", "type": "long"}, {"name": "file", "type": "string"}],
}


def ticks(name: str, count: int) -> bytes:
    return avro_bytes(TICK, [{"n": i, "file": name} for i in range(count)])


def run(area: dict[str, Any], hdfs: Any = None, **settings: Any) -> dict[str, Any]:
    return run_pipeline(
        hdfs or AvroIngestHdfsHook(),
        AvroIngestHiveHook(),
        IngestConfig.from_dict(area | settings),
        run_id=f"run-{uuid.uuid4().hex[:8]}",
    )


def loaded(outcome: dict[str, Any]) -> dict[str, int]:
    """Source file name -> rows, over the run's verified batches."""
    return {
        r["batch_id"]: r["rows_verified"]
        for load in outcome.get("loads", [])
        for r in load["results"]
        if r["rows_verified"] is not None
    }


def rows_of(database: str) -> dict[str, int]:
    found = AvroIngestHiveHook().query(
        f"SELECT file, COUNT(*) FROM `{database}`.`tick` GROUP BY file",
        settings={"hive.compute.query.using.stats": "false"},
    )
    return {str(f): int(n) for f, n in found}


def test_a_file_held_open_by_its_writer_is_left_until_it_is_closed(area: dict[str, Any]) -> None:
    """HDFS lists an open file with its completed blocks' length (0 here) and its creation
    time, so past the quiet period it looks complete and empty. It must be neither quarantined
    as empty nor loaded half-written."""
    landing = area["landing_paths"][0]
    hdfs = AvroIngestHdfsHook()
    data = ticks("open.avro", 1000)
    release = threading.Event()

    def slow_body() -> Iterator[bytes]:
        yield data[:100]
        release.wait(120)
        yield data[100:]

    writer = threading.Thread(
        target=lambda: AvroIngestHdfsHook().client.write(f"{landing}/open.avro", data=slow_body())
    )
    writer.start()
    try:
        deadline = time.monotonic() + 30
        while hdfs.status(f"{landing}/open.avro") is None:
            assert time.monotonic() < deadline, "the writer never created its file"
            time.sleep(0.1)
        assert hdfs.under_construction(f"{landing}/open.avro")
        hdfs.write_bytes(f"{landing}/closed.avro", ticks("closed.avro", 5))
        time.sleep(1)  # past the quiet period (0 s): only the open state keeps it out

        outcome = run(area)
        assert outcome["plan"]["waiting"] == 1 and not outcome["plan"]["quarantined"]
        assert hdfs.status(f"{landing}/open.avro") is not None, "taken while open"
        assert rows_of(area["database"]) == {"closed.avro": 5}
    finally:
        release.set()
        writer.join(60)
    assert not hdfs.under_construction(f"{landing}/open.avro")
    run(area)
    assert rows_of(area["database"]) == {"closed.avro": 5, "open.avro": 1000}
    check_exactly_once(
        landing,
        area["database"],
        Landed({"open.avro": ("tick", 1000), "closed.avro": ("tick", 5)}),
    )


class ReplacesOnFirstClaim(AvroIngestHdfsHook):
    """The real hook; just before the claim renames `victim`, its producer replaces it with
    new content under the same name (after the plan inspected the old content)."""

    def __init__(self, victim: str, content: bytes) -> None:
        super().__init__()
        self.victim, self.content, self.done = victim, content, False

    def rename(self, source: str, destination: str) -> bool:
        if source == self.victim and not self.done:
            self.done = True
            self.delete(source)
            self.write_bytes(source, self.content)
        return super().rename(source, destination)


def test_a_file_replaced_between_inspection_and_claim_is_inspected_again(
    area: dict[str, Any],
) -> None:
    landing = area["landing_paths"][0]
    hdfs = AvroIngestHdfsHook()
    for name in ("a.avro", "b.avro"):
        hdfs.write_bytes(f"{landing}/{name}", ticks(name, 100))
    replacing = ReplacesOnFirstClaim(f"{landing}/b.avro", ticks("b.avro", 150))

    first = run(area, replacing)
    assert replacing.done
    # What the plan inspected (100 rows) is not what was claimed (150): the claimed file goes
    # back to landing instead of loading under the old count. The rest of its batch loads.
    assert first["failed"] == []
    assert [
        p.rsplit("/", 1)[-1] for load in first["loads"] for p in load["returned_to_landing"]
    ] == ["b.avro"]
    assert rows_of(area["database"]) == {"a.avro": 100}
    assert hdfs.status(f"{landing}/b.avro") is not None

    run(area)
    assert rows_of(area["database"]) == {"a.avro": 100, "b.avro": 150}
    check_exactly_once(
        landing, area["database"], Landed({"a.avro": ("tick", 100), "b.avro": ("tick", 150)})
    )


class LosesAFileAfterListing(AvroIngestHdfsHook):
    """The real hook; right after the landing folder is listed, another mover takes `victim`
    away (here: into a folder outside landing)."""

    def __init__(self, victim: str, elsewhere: str) -> None:
        super().__init__()
        self.victim, self.elsewhere = victim, elsewhere

    def list_files(self, folder: str, *, recursive: bool = False) -> list[Any]:
        listed = super().list_files(folder, recursive=recursive)
        if any(e.path == self.victim for e in listed):
            self.makedirs(self.elsewhere.rsplit("/", 1)[0])
            assert super().rename(self.victim, self.elsewhere)
        return listed


def test_a_file_that_vanishes_after_listing_is_left_out(area: dict[str, Any]) -> None:
    landing = area["landing_paths"][0]
    hdfs = AvroIngestHdfsHook()
    for name in ("a.avro", "b.avro", "c.avro"):
        hdfs.write_bytes(f"{landing}/{name}", ticks(name, 10))
    root = landing.rsplit("/", 1)[0]
    outcome = run(area, LosesAFileAfterListing(f"{landing}/b.avro", f"{root}/moved/b.avro"))
    assert outcome["failed"] == [] and outcome["plan"]["quarantined"] == []
    assert rows_of(area["database"]) == {"a.avro": 10, "c.avro": 10}
    assert hdfs.status(f"{root}/moved/b.avro") is not None


def set_aside(outcome: dict[str, Any]) -> list[dict[str, Any]]:
    """What a run set aside: while planning, and (files read whole once claimed) loading."""
    loads = [q for load in outcome.get("loads", []) for q in load["quarantined"]]
    return outcome["plan"]["quarantined"] + loads


@pytest.mark.parametrize(
    "read_whole",
    [
        pytest.param({}, id="read-while-planning"),
        pytest.param({"count_after_claim_min_bytes": 0}, id="read-once-claimed"),
    ],
)
def test_the_same_content_delivered_twice_is_set_aside_unless_asked_to_load(
    area: dict[str, Any], read_whole: dict[str, Any]
) -> None:
    area = area | read_whole
    landing = area["landing_paths"][0]
    hdfs = AvroIngestHdfsHook()
    data = ticks("first", 40)
    hdfs.write_bytes(f"{landing}/first.avro", data)
    run(area)
    assert rows_of(area["database"]) == {"first": 40}

    # A producer's retry: the same bytes under another name, and again under the first name.
    hdfs.write_bytes(f"{landing}/again.avro", data)
    hdfs.write_bytes(f"{landing}/first.avro", data)
    hdfs.write_bytes(f"{landing}/other.avro", ticks("other", 3))
    second = run(area)
    assert second["failed"] == []
    reasons = {q["path"].rsplit("/", 1)[-1]: q for q in set_aside(second)}
    assert set(reasons) == {"again.avro", "first.avro"}
    for item in reasons.values():
        assert item["reason"] == "duplicate_delivery"
        assert f"{landing}/first.avro" in item["message"]  # names the original
    assert rows_of(area["database"]) == {"first": 40, "other": 3}
    quarantined = [p for p in files_under(f"{landing}/_quarantine") if p.endswith(".reason.json")]
    assert len(quarantined) == 2

    # Asked to, the pipeline loads a re-delivery again.
    hdfs.write_bytes(f"{landing}/wanted.avro", data)
    third = run(area, load_duplicates=True)
    assert set_aside(third) == []
    assert rows_of(area["database"]) == {"first": 80, "other": 3}
