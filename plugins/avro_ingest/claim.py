"""Claim files by renaming them out of the landing folder, and set bad ones aside.

The rename out of landing is the claim: HDFS renames are atomic, so when two runs race for a
file exactly one rename succeeds and the other run drops the file from its batch. State is
written per batch (one manifest), never per file: creating a small HDFS file costs far more
than a rename.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from avro_ingest.batch import BatchPlan, StagedFile
from avro_ingest.layout import MANIFEST, manifest_path, quarantine_folder, staging_root
from avro_ingest.ports import FileSystem

__all__ = ["QuarantineRecord", "claim_batch", "quarantine", "recover_staged_batches"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class QuarantineRecord:
    source: str
    error_class: str
    reason: str
    message: str
    step: str
    time: str
    run_id: str


def quarantine(fs: FileSystem, landing: str, day: str, record: QuarantineRecord) -> str | None:
    """Move one file to `_quarantine/<day>/` with `<name>.reason.json` beside it. Returns its
    new path, or None when the file was gone (another run took it)."""
    folder = quarantine_folder(landing, day)
    fs.makedirs(folder)
    name = record.source.rsplit("/", 1)[-1]
    target = f"{folder}/{name}"
    suffix = 0
    while not fs.rename(record.source, target):
        # Either the source is gone (nothing to do) or a file of that name was already set
        # aside today: keep both, the newer with a counter.
        if not fs.exists(record.source):
            return None
        suffix += 1
        target = f"{folder}/{name}.{suffix}"
    # The reason is written after the move, so a crash in between leaves the file in
    # quarantine without its reason rather than a reason for a file that is elsewhere.
    fs.write_bytes(
        f"{target}.reason.json", json.dumps(vars(record) | {"path": target}, indent=2).encode()
    )
    return target


def _claim_one(fs: FileSystem, staged: StagedFile) -> bool:
    if not fs.rename(staged.source, staged.staged):
        return False
    if staged.sidecar:
        # Beside its file, hidden from Hive's reader by the leading "_".
        folder, name = staged.staged.rsplit("/", 1)
        fs.rename(staged.sidecar, f"{folder}/_{name.removesuffix('.avro')}.avsc")
    return True


def claim_batch(fs: FileSystem, batch: BatchPlan, *, threads: int = 1) -> BatchPlan:
    """Rename the batch's files into its staging folder. Files that another run claimed first
    are dropped from the batch. Renames are independent and latency-bound, so `threads` of
    them run at once.

    The manifest is written before the first rename: a claim cut short (a killed worker)
    leaves its files in a folder that names their batch, and the next run resumes it."""
    fs.makedirs(batch.folder)
    manifest = manifest_path(batch.landing, batch.batch_id)
    fs.write_bytes(manifest, json.dumps(batch.to_dict(), indent=1).encode())
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        claimed_ok = list(pool.map(lambda staged: _claim_one(fs, staged), batch.files))
    lost = {f.source for f, ok in zip(batch.files, claimed_ok, strict=True) if not ok}
    if not lost:
        return batch
    for source in sorted(lost):
        log.info(
            "%s was claimed by another run; leaving it out of batch %s", source, batch.batch_id
        )
    claimed = batch.without(lost)
    if claimed.files:
        fs.write_bytes(manifest, json.dumps(claimed.to_dict(), indent=1).encode())
    else:
        fs.delete(batch.folder, recursive=True)
    return claimed


def recover_staged_batches(fs: FileSystem, landings: Sequence[str]) -> list[BatchPlan]:
    """Batches that an earlier run claimed but did not finish (a failed conversion or
    verification leaves them in staging): they are loaded again, into their own partition."""
    recovered: list[BatchPlan] = []
    for landing in landings:
        for folder in fs.list_folders(staging_root(landing)):
            manifest = f"{folder}/{MANIFEST}"
            if not fs.exists(manifest):
                continue
            batch = BatchPlan.from_dict(json.loads(fs.read_range(manifest, 0, 1 << 30)))
            present = {e.path for e in fs.list_files(folder)}
            missing = {f.source for f in batch.files if f.staged not in present}
            if missing and len(missing) == len(batch.files):
                # Cut short before its first rename: nothing was claimed.
                fs.delete(folder, recursive=True)
                continue
            recovered.append(batch.without(missing) if missing else batch)
    return recovered
