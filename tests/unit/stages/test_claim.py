"""The claim protocol's steps over an in-memory file system with HDFS' rename semantics: what
fences whom, what is put back, and whose batches may be taken over."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import replace
from typing import Any

import pytest
from avro_ingest.exceptions import ServiceUnavailable
from avro_ingest.files import FileEntry, partial_write_path
from avro_ingest.stages.batch import BatchPlan, StagedFile
from avro_ingest.stages.claim import (
    Lease,
    Owner,
    QuarantineRecord,
    claim_batch,
    claim_batches,
    commit_batch,
    find_batches,
    orphaned_batches,
    quarantine,
    record_failure,
    record_seal,
    register_deliveries,
    remove_if_empty,
    seal_batch,
)
from avro_ingest.stages.inspection import FileInfo
from avro_ingest.stages.layout import lease_path, new_claim_id, staging_folder

from ..memory_fs import MemoryFileSystem

MemoryHdfs = MemoryFileSystem


LANDING = "/in"
RUN_A, RUN_B = Owner("run-a", "plan#1"), Owner("run-b", "plan#1")


def land(fs: MemoryHdfs, name: str, data: bytes = b"Obj\x01...") -> FileEntry:
    fs.write_bytes(f"{LANDING}/{name}", data)
    status = fs.status(f"{LANDING}/{name}")
    assert status is not None
    return status


def plan(fs: MemoryHdfs, *names: str) -> BatchPlan:
    claim = new_claim_id()
    folder = staging_folder(LANDING, claim)
    files = []
    for name in names:
        entry = fs.status(f"{LANDING}/{name}")
        assert entry is not None
        files.append(
            StagedFile(
                entry.path, f"{folder}/{name}", entry.size, 3, mtime_ms=entry.modification_time_ms
            )
        )
    return BatchPlan(
        claim, LANDING, "db", "t", "fp", {"type": "record"}, "2026-12-02", tuple(files)
    )


def located(fs: MemoryHdfs, batch_id: str) -> Any:
    return next(b for b in find_batches(fs, LANDING) if b.batch_id == batch_id)


def test_two_claims_of_the_same_files_share_nothing() -> None:
    fs = MemoryHdfs()
    for name in ("a.avro", "b.avro"):
        land(fs, name)
    first, second = plan(fs, "a.avro", "b.avro"), plan(fs, "a.avro", "b.avro")
    assert claim_batch(fs, first, RUN_A).files == first.files
    assert claim_batch(fs, second, RUN_B).files == ()
    # The loser removed its own empty folder, and only that.
    assert fs.list_folders(f"{LANDING}/_staging") == [first.folder]
    assert {e.name for e in fs.list_files(first.folder)} == {"_batch.json", "a.avro", "b.avro"}


def test_many_batches_claimed_at_once_each_hold_their_own_files_in_plan_order() -> None:
    fs = MemoryHdfs()
    for n in range(24):
        land(fs, f"f{n}.avro")
    batches = [plan(fs, f"f{2 * n}.avro", f"f{2 * n + 1}.avro") for n in range(12)]
    claimed = claim_batches(fs, batches, RUN_A, threads=8)
    assert [b.batch_id for b in claimed] == [b.batch_id for b in batches]
    for batch in claimed:
        assert len(batch.files) == 2
        assert all(fs.exists(f.staged) and not fs.exists(f.source) for f in batch.files)
        assert located(fs, batch.batch_id).manifest.owner == RUN_A.token


def test_a_loads_search_reads_only_the_manifests_of_its_own_claims() -> None:
    fs = MemoryHdfs()
    for n in range(6):
        land(fs, f"f{n}.avro")
    batches = claim_batches(fs, [plan(fs, f"f{n}.avro") for n in range(6)], RUN_A, threads=4)
    read: list[str] = []
    reading = fs.read_range
    fs.read_range = lambda path, offset, length: read.append(path) or reading(path, offset, length)  # type: ignore[method-assign]
    mine = {batches[1].batch_id, batches[4].batch_id}
    assert {b.batch_id for b in find_batches(fs, LANDING, mine)} == mine
    assert sorted(read) == sorted(f"{b.folder}/_batch.json" for b in (batches[1], batches[4]))


def test_a_seal_fences_off_a_claim_still_renaming_and_an_earlier_sealer() -> None:
    fs = MemoryHdfs()
    for name in ("a.avro", "b.avro"):
        land(fs, name)
    batch = plan(fs, "a.avro", "b.avro")
    # A zombie claim: manifest written, one file renamed in, then stopped.
    only_a = replace(batch, files=batch.files[:1])
    claim_batch(fs, only_a, RUN_A)
    first = seal_batch(fs, located(fs, batch.batch_id), RUN_A, location_of=lambda b: "/out/1")
    assert first is not None and [f.source for f in first.batch.files] == [f"{LANDING}/a.avro"]
    # The zombie wakes up: its next rename targets a folder that is gone.
    assert not fs.rename(f"{LANDING}/b.avro", batch.files[1].staged)
    assert fs.exists(f"{LANDING}/b.avro")
    # A retry seals again; the first sealer can no longer commit.
    second = seal_batch(fs, located(fs, first.batch.batch_id), RUN_A, location_of=lambda b: "/o")
    assert second is not None
    assert not commit_batch(fs, first.batch)
    assert commit_batch(fs, second.batch)
    assert fs.exists(f"{LANDING}/_committed/{second.batch.batch_id}/a.avro")


def test_an_attempt_that_lost_its_batch_cannot_write_the_folder_back() -> None:
    fs = MemoryHdfs()
    land(fs, "a.avro")
    batch = plan(fs, "a.avro")
    claim_batch(fs, batch, RUN_A)
    stale = seal_batch(fs, located(fs, batch.batch_id), RUN_A, location_of=lambda b: "/o/1")
    assert stale is not None
    # Another attempt seals it away before the first records its seal or a failure.
    fresh = seal_batch(fs, located(fs, stale.batch.batch_id), RUN_A, location_of=lambda b: "/o")
    assert fresh is not None
    assert not record_seal(fs, stale)
    assert record_failure(fs, stale.batch, "Hive: lost the session") == 0
    # The stale attempt's folder stays gone: no manifest there for a file it no longer holds.
    assert not fs.exists(stale.batch.folder)
    assert [b.batch_id for b in find_batches(fs, LANDING)] == [fresh.batch.batch_id]
    assert record_seal(fs, fresh)
    assert record_failure(fs, fresh.batch, "Hive: lost the session") == 1


def test_a_manifest_rewrite_left_unfinished_beside_its_folder_is_pruned_once_stale() -> None:
    fs = MemoryHdfs()
    land(fs, "a.avro")
    claim_batch(fs, plan(fs, "a.avro"), RUN_A)
    stale = partial_write_path(f"{LANDING}/_staging/c1_seal")
    fresh = partial_write_path(f"{LANDING}/_staging/c2_seal")
    fs.write_bytes(stale, b"{")
    fs.files[stale] = (b"{", int(time.time() * 1000) - 601_000)  # older than a lease
    fs.write_bytes(fresh, b"{")  # may still be renamed into its folder

    orphaned_batches(fs, [LANDING], RUN_B, lease_seconds=600)

    assert not fs.exists(stale) and fs.exists(fresh)
    assert len(list(find_batches(fs, LANDING))) == 1  # the batch folder itself is untouched


def test_a_file_changed_after_inspection_goes_back_to_landing() -> None:
    fs = MemoryHdfs()
    land(fs, "a.avro")
    land(fs, "b.avro")
    batch = plan(fs, "a.avro", "b.avro")
    batch = replace(batch, files=(batch.files[0], replace(batch.files[1], checksum="abc")))
    fs.write_bytes(f"{LANDING}/_ledger/abc", b"{}")
    land(fs, "b.avro", b"Obj\x01 a longer replacement")  # replaced before the claim
    claim_batch(fs, batch, RUN_A)
    sealed = seal_batch(fs, located(fs, batch.batch_id), RUN_A, location_of=lambda b: "/o")
    assert sealed is not None
    assert [f.source for f in sealed.batch.files] == [f"{LANDING}/a.avro"]
    assert sealed.returned == (f"{LANDING}/b.avro",)
    assert fs.read_range(f"{LANDING}/b.avro", 0, 99) == b"Obj\x01 a longer replacement"
    assert not fs.exists(f"{LANDING}/_ledger/abc")  # its old content was never loaded
    # Until its seal is recorded, the folder's manifest is the claim's; then the sealed batch's.
    claimed = json.loads(fs.read_range(f"{sealed.batch.folder}/_batch.json", 0, 1 << 20))
    assert claimed["batch"]["batch_id"] == batch.batch_id and claimed["location"] is None
    assert record_seal(fs, sealed)
    manifest = json.loads(fs.read_range(f"{sealed.batch.folder}/_batch.json", 0, 1 << 20))
    assert [f["source"] for f in manifest["batch"]["files"]] == [f"{LANDING}/a.avro"]
    assert manifest["location"] == "/o" and manifest["run_id"] == "run-a"


def test_only_batches_of_this_run_or_of_runs_whose_lease_lapsed_are_taken_over() -> None:
    fs = MemoryHdfs()
    land(fs, "a.avro")
    land(fs, "b.avro")
    mine, theirs = plan(fs, "a.avro"), plan(fs, "b.avro")
    claim_batch(fs, mine, RUN_A)
    claim_batch(fs, theirs, RUN_B)
    # Run B renewed its lease just now.
    fs.write_bytes(lease_path(LANDING, RUN_B.token), b"run-b")
    now_ms = int(time.time() * 1000)
    fs.files[lease_path(LANDING, RUN_B.token)] = (b"run-b", now_ms)
    retry_of_a = Owner("run-a", "plan#2")
    taken = {b.batch_id for b in orphaned_batches(fs, [LANDING], retry_of_a, lease_seconds=60)}
    assert taken == {mine.batch_id}
    # Run B goes quiet for longer than the lease: now its batch may be taken over too.
    fs.files[lease_path(LANDING, RUN_B.token)] = (b"run-b", now_ms - 61_000)
    taken = {b.batch_id for b in orphaned_batches(fs, [LANDING], retry_of_a, lease_seconds=60)}
    assert taken == {mine.batch_id, theirs.batch_id}
    # Leases that lapsed long ago are cleared away; fresh ones stay.
    fs.files[lease_path(LANDING, "old")] = (b"run-old", now_ms - 2 * 86_400_000)
    fs.files[lease_path(LANDING, RUN_B.token)] = (b"run-b", now_ms)
    orphaned_batches(fs, [LANDING], retry_of_a, lease_seconds=60)
    assert not fs.exists(lease_path(LANDING, "old"))
    assert fs.exists(lease_path(LANDING, RUN_B.token))


def test_a_lease_is_renewed_while_its_block_runs() -> None:
    fs = MemoryHdfs()
    with Lease(fs, [LANDING, "/other"], RUN_A, seconds=2):
        first = fs.status(lease_path(LANDING, RUN_A.token, RUN_A.attempt))
        time.sleep(0.8)
        later = fs.status(lease_path(LANDING, RUN_A.token, RUN_A.attempt))
    assert first is not None and later is not None
    assert later.modification_time_ms > first.modification_time_ms
    assert fs.exists(lease_path("/other", RUN_A.token, RUN_A.attempt))


def test_the_attempts_of_one_run_keep_leases_of_their_own_and_the_freshest_counts() -> None:
    fs = MemoryHdfs()
    land(fs, "b.avro")
    theirs = plan(fs, "b.avro")
    claim_batch(fs, theirs, RUN_B)
    load_1, load_2 = Owner("run-b", "load_table[0]#1"), Owner("run-b", "load_table[1]#1")
    Lease(fs, [LANDING], load_1, 60).renew()
    Lease(fs, [LANDING], load_2, 60).renew()
    paths = {lease_path(LANDING, o.token, o.attempt) for o in (load_1, load_2)}
    assert len(paths) == 2 and all(fs.exists(p) for p in paths)
    now_ms = int(time.time() * 1000)
    first, second = sorted(paths)
    fs.files[first] = (b"", now_ms - 120_000)  # one attempt ended long ago
    fs.files[second] = (b"", now_ms)  # the other still works
    other = Owner("run-c", "plan#1")
    assert orphaned_batches(fs, [LANDING], other, lease_seconds=60) == []
    fs.files[second] = (b"", now_ms - 61_000)
    taken = orphaned_batches(fs, [LANDING], other, lease_seconds=60)
    assert [b.batch_id for b in taken] == [theirs.batch_id]


def test_a_folder_that_holds_anything_but_its_manifest_is_never_removed() -> None:
    fs = MemoryHdfs()
    land(fs, "a.avro")
    batch = plan(fs, "a.avro")
    claim_batch(fs, batch, RUN_A)
    remove_if_empty(fs, batch.folder)
    assert fs.exists(f"{batch.folder}/a.avro") and fs.exists(f"{batch.folder}/_batch.json")


def test_a_manifest_write_left_behind_in_an_emptied_folder_does_not_keep_it() -> None:
    fs = MemoryHdfs()
    land(fs, "a.avro")
    batch = plan(fs, "a.avro")
    claim_batch(fs, batch, RUN_A)
    # An attempt that was writing the manifest when the folder moved leaves its hidden file.
    stray = partial_write_path(f"{batch.folder}/_batch.json")
    fs.write_bytes(stray, b'{"half": ')
    fs.rename(f"{batch.folder}/a.avro", f"{LANDING}/a.avro")
    remove_if_empty(fs, batch.folder)
    assert not fs.exists(batch.folder)
    assert fs.exists(f"{LANDING}/a.avro")


def info(entry: FileEntry) -> FileInfo:
    content = hashlib.md5(entry.path.encode()).hexdigest()  # stands in for the bytes' hash
    return FileInfo(
        entry, LANDING, "t", {"type": "record"}, "fp", 1, "null", 10, "header", checksum=content
    )


def test_a_re_delivery_is_a_duplicate_but_the_same_file_met_again_is_not() -> None:
    fs = MemoryHdfs()
    first = info(land(fs, "sub/a.avro", b"same bytes"))
    fresh, dupes = register_deliveries(fs, [first], RUN_A, threads=1)
    assert fresh == [first] and not dupes
    # A retried plan meets the very same file: not a duplicate.
    fresh, dupes = register_deliveries(fs, [first], Owner("run-a", "plan#2"), threads=1)
    assert fresh == [first] and not dupes
    # The same bytes under another name, or again under the first name later: duplicates
    # that name the original.
    again = replace(info(land(fs, "again.avro", b"same bytes")), checksum=first.checksum)
    later = replace(first, entry=replace(first.entry, modification_time_ms=1))
    fresh, dupes = register_deliveries(fs, [again, later], RUN_B, threads=1)
    assert not fresh and [d.reason for d in dupes] == ["duplicate_delivery"] * 2
    assert all(f"{LANDING}/sub/a.avro" in d.message for d in dupes)
    assert "again.avro" in dupes[0].message
    # Only folders were made, and the losers' hidden ones are gone.
    assert [p for p in fs.files if "/_ledger" in p] == []
    assert [f for f in fs.list_folders(f"{LANDING}/_ledger") if "/.new-" in f] == []


def record_for(source: str) -> QuarantineRecord:
    return QuarantineRecord(source, "UndecodableFile", "undecodable", "bad", "plan", "t", "run")


def test_a_file_set_aside_always_has_its_reason_beside_it() -> None:
    fs = MemoryHdfs()
    land(fs, "a.avro")
    land(fs, "b/a.avro")
    first = quarantine(fs, LANDING, "2026-12-02", record_for(f"{LANDING}/a.avro"))
    second = quarantine(fs, LANDING, "2026-12-02", record_for(f"{LANDING}/b/a.avro"))
    assert first is not None and second == f"{first}.1"  # same name, same day: both kept
    for target in (first, second):
        reason = json.loads(fs.files[f"{target}.reason.json"][0])
        assert reason["path"] == target and reason["reason"] == "undecodable"


def test_when_the_reason_cannot_be_written_the_file_stays_where_it_was() -> None:
    class ReasonsFail(MemoryHdfs):
        def create(self, path: str, data: bytes) -> bool:
            raise ServiceUnavailable("WebHDFS", "connection refused")

    fs = ReasonsFail()
    land(fs, "a.avro")
    with pytest.raises(ServiceUnavailable):
        quarantine(fs, LANDING, "2026-12-02", record_for(f"{LANDING}/a.avro"))
    assert fs.exists(f"{LANDING}/a.avro")
    assert not [p for p in fs.files if "/_quarantine/" in p]


def test_a_file_set_aside_takes_its_sidecar_with_it() -> None:
    fs = MemoryHdfs()
    land(fs, "a.avro")
    fs.write_bytes(f"{LANDING}/a.avsc", b"{}")
    record = replace(record_for(f"{LANDING}/a.avro"), sidecar=f"{LANDING}/a.avsc")
    target = quarantine(fs, LANDING, "2026-12-02", record)
    assert target is not None and fs.exists(target.removesuffix(".avro") + ".avsc")
    assert not fs.exists(f"{LANDING}/a.avsc")
    reason = json.loads(fs.files[f"{target}.reason.json"][0])
    assert reason["sidecar_path"] == target.removesuffix(".avro") + ".avsc"
