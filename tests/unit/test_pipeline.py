"""The planning step over an in-memory HDFS: what lands is claimed once, or set aside with its
reason; nothing is lost. (tests/integration runs the same on the real HDFS.)"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager

import fastavro
import pytest
from avro_ingest import pipeline
from avro_ingest.config import IngestConfig
from avro_ingest.exceptions import ServiceUnavailable, StatementFailed

from .memory_fs import MemoryFileSystem

LANDING = "/landing/clicks"
SCHEMA = {"type": "record", "name": "Click", "fields": [{"name": "n", "type": "long"}]}


def avro(records: int) -> bytes:
    buffer = io.BytesIO()
    fastavro.writer(buffer, SCHEMA, [{"n": i} for i in range(records)])
    return buffer.getvalue()


def config(**more: object) -> IngestConfig:
    return IngestConfig.from_dict(
        {
            "landing_paths": [LANDING],
            "database": "lake",
            "target_root": "/warehouse",
            "quiet_period_seconds": 0,
        }
        | more
    )


def places(fs: MemoryFileSystem) -> dict[str, list[str]]:
    """Where each landed file name is now (data files only)."""
    found: dict[str, list[str]] = {}
    for path in fs.files:
        name = path.rsplit("/", 1)[-1]
        if name.endswith(".avro") and not path.startswith(f"{LANDING}/_work"):
            found.setdefault(name.split("__")[-1], []).append(path)
    return found


def test_each_landed_file_is_claimed_once_and_a_bad_one_is_set_aside_with_its_reason() -> None:
    fs = MemoryFileSystem()
    for i in range(5):
        fs.write_bytes(f"{LANDING}/good{i}.avro", avro(i + 1))
    fs.write_bytes(f"{LANDING}/cut.avro", avro(50)[:-20])

    plan = pipeline.plan_run(fs, config(), run_id="run-1")

    claimed = [f for t in plan["tables"] for b in t["batches"] for f in b["files"]]
    assert sorted(f["source"].rsplit("/", 1)[-1] for f in claimed) == [
        f"good{i}.avro" for i in range(5)
    ]
    assert all("/_staging/" in f["staged"] and f["staged"] in fs.files for f in claimed)
    assert sum(f["records"] for f in claimed) == 15
    (bad,) = plan["quarantined"]
    assert bad["path"] == f"{LANDING}/cut.avro" and bad["reason"] == "truncated"
    reason = json.loads(fs.read(f"{bad['quarantined_to']}.reason.json"))
    assert reason["reason"] == "truncated" and "cut.avro" in reason["message"]
    assert all(len(paths) == 1 for paths in places(fs).values()), places(fs)
    assert not fs.list_files(LANDING)


def test_a_re_delivered_file_is_set_aside_and_its_batch_holds_the_rest_once() -> None:
    fs = MemoryFileSystem()
    sent = [avro(i + 1) for i in range(4)]  # each with its own sync marker: unique bytes
    for i in range(3):
        fs.write_bytes(f"{LANDING}/f{i}.avro", sent[i])
    pipeline.plan_run(fs, config(), run_id="run-1")
    fs.write_bytes(f"{LANDING}/f1-again.avro", sent[1])  # f1's bytes under a new name
    fs.write_bytes(f"{LANDING}/f3.avro", sent[3])

    second = pipeline.plan_run(fs, config(), run_id="run-2")

    batches = [b for t in second["tables"] for b in t["batches"]]
    assert [f["source"] for b in batches for f in b["files"]] == [f"{LANDING}/f3.avro"]
    (again,) = second["quarantined"]
    assert again["path"] == f"{LANDING}/f1-again.avro" and again["reason"] == "duplicate_delivery"
    # Each batch of run 2 is one folder with its manifest and the files it claimed, and none
    # of them is taken for a batch an earlier attempt left.
    staging = f"{LANDING}/_staging"
    ours = [f for f in fs.list_folders(staging) if b"run-2" in fs.read(f"{f}/_batch.json")]
    assert [f.rsplit("/", 1)[-1] for f in ours] == [b["batch_id"] for b in batches]
    assert [e.name for e in fs.list_files(ours[0]) if e.name.endswith(".avro")] == [
        e["staged"].rsplit("/", 1)[-1] for e in batches[0]["files"]
    ]

    # A run whose every file was delivered before leaves no batch folder behind.
    fs.write_bytes(f"{LANDING}/f3-again.avro", sent[3])
    third = pipeline.plan_run(fs, config(), run_id="run-3")
    assert third["tables"] == [] and len(third["quarantined"]) == 1
    assert not [f for f in fs.list_folders(staging) if b"run-3" in fs.read(f"{f}/_batch.json")]


def test_a_second_run_while_the_first_holds_its_claim_takes_nothing() -> None:
    fs = MemoryFileSystem()
    for i in range(3):
        fs.write_bytes(f"{LANDING}/f{i}.avro", avro(2))
    first = pipeline.plan_run(fs, config(), run_id="run-1")

    second = pipeline.plan_run(fs, config(), run_id="run-2")

    assert sum(len(t["batches"]) for t in first["tables"]) >= 1
    assert second["tables"] == [] and second["quarantined"] == []
    assert sorted(places(fs)) == ["f0.avro", "f1.avro", "f2.avro"]
    assert all(len(paths) == 1 for paths in places(fs).values())


def test_a_file_its_writer_still_holds_open_waits_for_a_later_run() -> None:
    fs = MemoryFileSystem()
    fs.write_bytes(f"{LANDING}/open.avro", avro(3))
    fs.open_for_write.add(f"{LANDING}/open.avro")

    plan = pipeline.plan_run(fs, config(), run_id="run-1")

    assert plan["tables"] == [] and plan["waiting"] == 1
    assert f"{LANDING}/open.avro" in fs.files


class FailingInsert:
    """HiveServer2 that knows no table and fails every INSERT for a reason of the data."""

    def query(self, statement: str, *, settings: object = None) -> list[tuple[object, ...]]:
        return []

    def run_statements(self, statements: object, *, settings: object = None) -> list[object]:
        for statement in statements:  # type: ignore[attr-defined]
            if statement.startswith("INSERT"):
                raise StatementFailed(statement, "Execution Error, return code 2", ("IOException",))
        return []


class DataNodeDiesWhileReading(MemoryFileSystem):
    """Reads of staged data fail as the hook reports a DataNode that dies mid-stream."""

    @contextmanager
    def open_stream(self, path: str) -> Iterator[io.BytesIO]:
        if "/_staging/" in path:
            raise ServiceUnavailable("WebHDFS", f"OPEN {path}: Connection broken")
        with super().open_stream(path) as stream:
            yield stream


def test_a_service_fault_while_hive_failures_are_examined_blames_no_file() -> None:
    """After Hive fails a batch, the files are decoded to find a bad one: a fault of HDFS then
    is retried (the task fails, transient), and every file stays claimed, none set aside."""
    fs = DataNodeDiesWhileReading()
    for i in range(3):
        fs.write_bytes(f"{LANDING}/f{i}.avro", avro(2))
    plan = pipeline.plan_run(fs, config(), run_id="run-1")

    with pytest.raises(ServiceUnavailable):
        pipeline.load_table(fs, FailingInsert(), plan["tables"][0], config(), run_id="run-1")

    assert not [p for p in fs.files if "/_quarantine/" in p]
    assert sorted(
        p.rsplit("/", 1)[-1] for p in fs.files if "/_staging/" in p and p.endswith(".avro")
    ) == [
        "f0.avro",
        "f1.avro",
        "f2.avro",
    ]


def test_a_large_file_is_claimed_on_its_header_and_counted_once_claimed() -> None:
    fs = MemoryFileSystem()
    fs.write_bytes(f"{LANDING}/small.avro", avro(3))
    big = avro(5000)
    fs.write_bytes(f"{LANDING}/big.avro", big)
    fs.write_bytes(f"{LANDING}/big-cut.avro", big[:-20])  # its header is whole

    plan = pipeline.plan_run(fs, config(count_after_claim_min_bytes=1000), run_id="run-1")

    claimed = {
        f["source"].rsplit("/", 1)[-1]: f
        for t in plan["tables"]
        for b in t["batches"]
        for f in b["files"]
    }
    assert sorted(claimed) == ["big-cut.avro", "big.avro", "small.avro"]
    assert claimed["small.avro"]["records"] == 3 and claimed["small.avro"]["checksum"]
    for name in ("big.avro", "big-cut.avro"):  # left for the load to read whole
        assert claimed[name]["records"] is None and claimed[name]["checksum"] is None
    assert plan["quarantined"] == []
    # Only the small file is in the ledger yet.
    assert len(fs.list_folders(f"{LANDING}/_ledger")) == 1


def test_a_dry_run_counts_every_file_while_planning() -> None:
    fs = MemoryFileSystem()
    fs.write_bytes(f"{LANDING}/big.avro", avro(5000))
    fs.write_bytes(f"{LANDING}/big-cut.avro", avro(5000)[:-20])

    plan = pipeline.plan_run(
        fs, config(count_after_claim_min_bytes=1000, dry_run=True), run_id="run-1"
    )

    (batch,) = [b for t in plan["tables"] for b in t["batches"]]
    assert [f["records"] for f in batch["files"]] == [5000]
    (cut,) = plan["quarantined"]
    assert cut["path"].endswith("/big-cut.avro") and cut["reason"] == "truncated"


def test_a_service_fault_while_a_claimed_file_is_counted_blames_no_file() -> None:
    """A file counted once claimed is read from staging while Hive converts its batch: a
    fault of HDFS then is retried, and nothing is set aside."""
    fs = DataNodeDiesWhileReading()
    for i in range(3):
        fs.write_bytes(f"{LANDING}/f{i}.avro", avro(2))
    settings = config(count_after_claim_min_bytes=0)
    plan = pipeline.plan_run(fs, settings, run_id="run-1")

    with pytest.raises(ServiceUnavailable):
        pipeline.load_table(fs, FailingInsert(), plan["tables"][0], settings, run_id="run-1")

    assert not [p for p in fs.files if "/_quarantine/" in p]
    assert len([p for p in fs.files if "/_staging/" in p and p.endswith(".avro")]) == 3
