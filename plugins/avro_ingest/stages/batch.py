"""Group inspected files into batches: one per (landing folder, target table, schema), split
by the configured file and byte limits. One batch is converted by one Hive statement. Pure."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from avro_ingest.avro.header import Schema
from avro_ingest.stages.inspection import FileInfo
from avro_ingest.stages.layout import PARTITION_COLUMNS, new_claim_id, staged_name, staging_folder

__all__ = ["BatchPlan", "StagedFile", "group_into_batches", "mark_alone"]


@dataclass(frozen=True)
class StagedFile:
    source: str  # where it was found, in the landing folder
    staged: str  # where the claim puts it
    size: int
    records: int | None  # None until counted once claimed (inspection.count_claimed)
    sidecar: str | None = None  # its .avsc in landing, if it had one
    # As inspected: sealing checks that the claimed file is still this one.
    mtime_ms: int = 0
    checksum: str | None = None  # its entry in the landing folder's ledger, if any


@dataclass(frozen=True)
class BatchPlan:
    batch_id: str
    landing: str
    database: str
    table: str
    fingerprint: str
    schema: Schema
    ingest_date: str
    files: tuple[StagedFile, ...]
    # The rest of its run is under half its size (mark_alone): converting on one core, it
    # would leave the others idle.
    alone: bool = False

    @property
    def records(self) -> int | None:
        """The batch's Avro records; None while a file of it is still uncounted."""
        counts = [f.records for f in self.files]
        return None if None in counts else sum(c for c in counts if c is not None)

    @property
    def uncounted(self) -> tuple[StagedFile, ...]:
        return tuple(f for f in self.files if f.records is None)

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def folder(self) -> str:
        return staging_folder(self.landing, self.batch_id)

    @property
    def partition(self) -> dict[str, str]:
        return dict(zip(PARTITION_COLUMNS, (self.ingest_date, self.batch_id), strict=True))

    def without(self, sources: set[str]) -> BatchPlan:
        """The same batch without some files (claimed elsewhere, or quarantined)."""
        return replace(self, files=tuple(f for f in self.files if f.source not in sources))

    def rebased(self, batch_id: str) -> BatchPlan:
        """The same files under another id, so in that id's staging folder."""
        folder = staging_folder(self.landing, batch_id)
        files = tuple(
            replace(f, staged=f"{folder}/{f.staged.rsplit('/', 1)[-1]}") for f in self.files
        )
        return replace(self, batch_id=batch_id, files=files)

    def to_dict(self) -> dict[str, Any]:
        return {
            "batch_id": self.batch_id,
            "landing": self.landing,
            "database": self.database,
            "table": self.table,
            "fingerprint": self.fingerprint,
            "schema": self.schema,
            "ingest_date": self.ingest_date,
            "files": [vars(f) for f in self.files],
            "alone": self.alone,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BatchPlan:
        return cls(
            batch_id=data["batch_id"],
            landing=data["landing"],
            database=data["database"],
            table=data["table"],
            fingerprint=data["fingerprint"],
            schema=data["schema"],
            ingest_date=data["ingest_date"],
            files=tuple(StagedFile(**f) for f in data["files"]),
            alone=data.get("alone", False),  # manifests written before the field
        )


def mark_alone(batches: Sequence[BatchPlan]) -> list[BatchPlan]:
    """The run's batches, each marked alone when the others add up to under half its size:
    side by side they could not keep a second core busy for most of its conversion."""
    total = sum(batch.size for batch in batches)
    return [replace(batch, alone=2 * (total - batch.size) < batch.size) for batch in batches]


def group_into_batches(
    infos: Sequence[FileInfo],
    *,
    database: str,
    ingest_date: str,
    max_files: int,
    max_bytes: int,
    parts: int = 1,
    min_part_bytes: int = 0,
) -> list[BatchPlan]:
    """Batches of files sharing landing folder, table and schema, within the limits. A group
    that fits in fewer than `parts` batches is split into up to `parts` batches of about equal
    bytes, each of at least `min_part_bytes`, so that they can load side by side."""
    groups: dict[tuple[str, str, str], list[FileInfo]] = defaultdict(list)
    for info in sorted(infos, key=lambda i: i.entry.path):
        groups[(info.landing, info.table, info.fingerprint)].append(info)
    batches: list[BatchPlan] = []
    for (landing, table, fp), members in sorted(groups.items()):
        chunks = _split_by_limits(members, max_files, max_bytes)
        total = sum(i.entry.size for i in members)
        wanted = min(parts, len(members), total // max(1, min_part_bytes))
        if len(chunks) < wanted:
            even = _split_evenly(members, wanted)
            if all(len(c) <= max_files and sum(i.entry.size for i in c) <= max_bytes for c in even):
                chunks = even
        batches.extend(_batch(landing, database, table, fp, ingest_date, c) for c in chunks)
    return batches


def _split_by_limits(
    members: Sequence[FileInfo], max_files: int, max_bytes: int
) -> list[list[FileInfo]]:
    chunks: list[list[FileInfo]] = [[]]
    chunk_bytes = 0
    for info in members:
        if chunks[-1] and (
            len(chunks[-1]) >= max_files or chunk_bytes + info.entry.size > max_bytes
        ):
            chunks.append([])
            chunk_bytes = 0
        chunks[-1].append(info)
        chunk_bytes += info.entry.size
    return chunks


def _split_evenly(members: Sequence[FileInfo], parts: int) -> list[list[FileInfo]]:
    """`parts` runs of consecutive files of about equal bytes, none empty."""
    total = sum(i.entry.size for i in members)
    chunks: list[list[FileInfo]] = [[] for _ in range(parts)]
    running = 0
    for position, info in enumerate(members):
        left = len(members) - position
        # The part in whose share the file's middle byte falls.
        index = min(parts - 1, (2 * running + info.entry.size) * parts // max(1, 2 * total))
        # Leave at least one file for each part still empty.
        index = max(index, parts - left)
        while index > 0 and not chunks[index - 1]:
            index -= 1
        chunks[index].append(info)
        running += info.entry.size
    return chunks


def _batch(
    landing: str, database: str, table: str, fp: str, ingest_date: str, chunk: list[FileInfo]
) -> BatchPlan:
    batch_id = new_claim_id()
    folder = staging_folder(landing, batch_id)
    return BatchPlan(
        batch_id=batch_id,
        landing=landing,
        database=database,
        table=table,
        fingerprint=fp,
        schema=chunk[0].schema,
        ingest_date=ingest_date,
        files=tuple(
            StagedFile(
                source=i.entry.path,
                staged=f"{folder}/{staged_name(landing, i.entry.path)}",
                size=i.entry.size,
                records=i.records,
                sidecar=i.sidecar,
                mtime_ms=i.entry.modification_time_ms,
                checksum=i.checksum,
            )
            for i in chunk
        ),
    )
