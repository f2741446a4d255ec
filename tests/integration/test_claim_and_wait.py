"""Claiming and waiting on the real HDFS: two runs racing for the same files, and the trigger
that waits in the triggerer for complete files."""

from __future__ import annotations

import asyncio
import io
import json
import threading
import time
from typing import Any

import fastavro
import pytest
from avro_ingest.config import IngestConfig
from avro_ingest.hooks.hdfs import AvroIngestHdfsHook
from avro_ingest.stages.batch import group_into_batches
from avro_ingest.stages.claim import Lease, Owner, claim_batch, find_batches, orphaned_batches
from avro_ingest.stages.detect import detect
from avro_ingest.stages.inspection import inspect_files
from avro_ingest.triggers.complete_files import CompleteAvroFilesTrigger

pytestmark = pytest.mark.integration

SCHEMA = {"type": "record", "name": "Tick", "fields": [{"name": "n", "type": "long"}]}


def avro(n: int) -> bytes:
    buffer = io.BytesIO()
    fastavro.writer(buffer, SCHEMA, [{"n": i} for i in range(n)])
    return buffer.getvalue()


def plan_batches(hdfs: AvroIngestHdfsHook, landing: str, table_rule: str) -> list[Any]:
    found = detect(hdfs.list_files(landing), now_ms=int(time.time() * 1000), quiet_period_seconds=0)
    good, bad, _ = inspect_files(
        hdfs, [(landing, e, None) for e in found.ready], table_rule=table_rule
    )
    assert not bad
    return group_into_batches(
        good, database="d", ingest_date="2026-11-26", max_files=100, max_bytes=10**9
    )


def test_two_runs_racing_never_take_the_same_file(hdfs_folder: str) -> None:
    hdfs = AvroIngestHdfsHook()
    landing = f"{hdfs_folder}/landing"
    for i in range(20):
        hdfs.write_bytes(f"{landing}/tick-{i:02d}.avro", avro(i + 1))
    # Both runs plan the same 20 files for the same table, then claim at the same moment.
    plans = [plan_batches(AvroIngestHdfsHook(), landing, "fixed:one") for _ in range(2)]
    assert [len(p[0].files) for p in plans] == [20, 20]
    # Same files, same table and schema: still two folders, never one shared folder.
    assert plans[0][0].folder != plans[1][0].folder
    claimed: list[Any] = [None, None]
    start = threading.Barrier(2)

    def claim(index: int) -> None:
        start.wait()
        claimed[index] = claim_batch(
            AvroIngestHdfsHook(), plans[index][0], Owner(f"run-{index}"), threads=4
        )

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    taken = [{f.source for f in batch.files} for batch in claimed]
    assert not taken[0] & taken[1], "a file was claimed twice"
    assert len(taken[0] | taken[1]) == 20
    # Each file is now in exactly one batch folder, whose manifest names its run.
    assert not [e for e in hdfs.list_files(landing) if e.path.endswith(".avro")]
    owners = {}
    for located in find_batches(hdfs, landing):
        present = {e.name for e in hdfs.list_files(located.folder) if e.name.endswith(".avro")}
        owners[located.manifest.run_id] = present
    staged = [name for names in owners.values() for name in names]
    assert len(staged) == len(set(staged)) == 20
    for index in range(2):
        if taken[index]:
            assert len(owners[f"run-{index}"]) == len(taken[index])
        else:  # lost every file: its folder is gone, and only its folder
            assert f"run-{index}" not in owners


def test_trigger_serializes_to_plain_data() -> None:
    trigger = CompleteAvroFilesTrigger(
        landing_paths=["/data/a"], deadline=time.time() + 60, quiet_period_seconds=5
    )
    path, kwargs = trigger.serialize()
    assert path == "avro_ingest.triggers.complete_files.CompleteAvroFilesTrigger"
    assert json.loads(json.dumps(kwargs)) == kwargs
    assert CompleteAvroFilesTrigger(**kwargs).serialize() == (path, kwargs)


def test_trigger_fires_once_a_file_is_complete(hdfs_folder: str) -> None:
    hdfs = AvroIngestHdfsHook()
    landing = f"{hdfs_folder}/landing"
    hdfs.makedirs(landing)
    hdfs.write_bytes(f"{landing}/still-copying.avro._COPYING_", avro(3))
    trigger = CompleteAvroFilesTrigger(
        landing_paths=[landing],
        deadline=time.time() + 60,
        quiet_period_seconds=2,
        poll_interval=0.5,
    )

    async def first_event() -> Any:
        runner = trigger.run()
        waiting = asyncio.ensure_future(runner.__anext__())
        await asyncio.sleep(1.5)
        assert not waiting.done(), "fired on an in-flight copy"
        await asyncio.to_thread(
            hdfs.rename, f"{landing}/still-copying.avro._COPYING_", f"{landing}/done.avro"
        )
        return await asyncio.wait_for(waiting, timeout=30)

    event = asyncio.run(first_event())
    assert event.payload == {
        "status": "found",
        "message": f"1 complete file(s) and 0 unfinished batch(es) in {landing}",
    }


def test_a_trigger_whose_deadline_passes_reports_what_it_saw(hdfs_folder: str) -> None:
    hdfs = AvroIngestHdfsHook()
    landing = f"{hdfs_folder}/landing"
    hdfs.makedirs(landing)
    hdfs.write_bytes(f"{landing}/fresh.avro", avro(3))  # within its quiet period throughout
    trigger = CompleteAvroFilesTrigger(
        landing_paths=[landing],
        deadline=time.time() + 2,
        quiet_period_seconds=600,
        poll_interval=0.5,
    )

    async def first_event() -> Any:
        return await asyncio.wait_for(trigger.run().__anext__(), timeout=30)

    event = asyncio.run(first_event())
    assert event.payload["status"] == "timeout"
    assert event.payload["message"].startswith(f"no complete .avro file in {landing}: 1 file(s)")


def test_config_rejects_what_the_trigger_form_should_not_accept() -> None:
    with pytest.raises(ValueError):
        IngestConfig(landing_paths=("/data/landing/_staging",))


class RenamesThenDies(AvroIngestHdfsHook):
    """The real hook, killed (an exception) after a number of renames: a worker lost mid-claim."""

    def __init__(self, renames: int) -> None:
        super().__init__()
        self.renames_left = renames
        self.lock = threading.Lock()

    def rename(self, source: str, destination: str) -> bool:
        with self.lock:
            if self.renames_left == 0:
                raise SystemExit("worker killed")
            self.renames_left -= 1
        return super().rename(source, destination)


@pytest.mark.parametrize("renames", [0, 3])
def test_a_claim_cut_short_is_taken_over_by_the_next_run(hdfs_folder: str, renames: int) -> None:
    hdfs = AvroIngestHdfsHook()
    landing = f"{hdfs_folder}/landing"
    for i in range(6):
        hdfs.write_bytes(f"{landing}/tick-{i}.avro", avro(i + 1))
    (batch,) = plan_batches(hdfs, landing, "fixed:t")

    with pytest.raises(SystemExit):
        claim_batch(RenamesThenDies(renames), batch, Owner("dead-run"))

    # The dead run never held a lease; the next run takes its batch over.
    (found,) = orphaned_batches(hdfs, [landing], Owner("next-run"), lease_seconds=60)
    assert found.manifest.run_id == "dead-run"
    in_landing = {e.path for e in hdfs.list_files(landing) if e.path.endswith(".avro")}
    staged = {e.name for e in hdfs.list_files(found.folder) if e.name.endswith(".avro")}
    # Every file is either still in landing (the next plan takes it) or in the batch folder.
    assert len(staged) == renames and len(in_landing) == 6 - renames
    # Had that run still been touching its lease, nobody else would take its batch.
    Lease(hdfs, [landing], Owner("dead-run"), 60).renew()
    assert orphaned_batches(hdfs, [landing], Owner("next-run"), lease_seconds=60) == []
    assert orphaned_batches(hdfs, [landing], Owner("dead-run"), lease_seconds=60) != []
