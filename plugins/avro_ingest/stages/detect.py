"""Which files in a landing folder are complete and ready to ingest. Pure: works on listings.

A file is taken when all of these hold:
- its name ends in `.avro` and starts with neither `.` nor `_` (hidden files and the
  pipeline's own folders), and it is not an in-flight copy (`*._COPYING_`, `*.tmp`);
- it has not been modified for the quiet period (HDFS sets the modification time when the
  writer closes the file), or, where the folder must carry a `_SUCCESS` marker, the marker is
  there.
A complete zero-byte file is reported apart, to be quarantined.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from avro_ingest.files import FileEntry
from avro_ingest.stages.layout import committed_root, staging_root

__all__ = [
    "SUCCESS_MARKER",
    "Detection",
    "Readiness",
    "detect",
    "is_candidate_name",
    "look_for_work",
]

SUCCESS_MARKER = "_SUCCESS"
IN_FLIGHT_SUFFIXES = ("._COPYING_", ".tmp")
DATA_SUFFIX = ".avro"
SIDECAR_SUFFIX = ".avsc"


def is_candidate_name(name: str) -> bool:
    return (
        name.endswith(DATA_SUFFIX)
        and not name.startswith((".", "_"))
        and not name.endswith(IN_FLIGHT_SUFFIXES)
    )


@dataclass(frozen=True)
class Detection:
    ready: tuple[FileEntry, ...]
    empty: tuple[FileEntry, ...]
    waiting: tuple[FileEntry, ...]
    # data file path -> its sidecar schema file (same name, .avsc)
    sidecars: dict[str, FileEntry]


def _folder(path: str) -> str:
    return path.rsplit("/", 1)[0]


def detect(
    entries: Iterable[FileEntry],
    *,
    now_ms: int,
    quiet_period_seconds: int,
    require_success_marker: bool = False,
) -> Detection:
    listed = list(entries)
    by_path = {entry.path: entry for entry in listed}
    marked_folders = {_folder(e.path) for e in listed if e.name == SUCCESS_MARKER}
    ready: list[FileEntry] = []
    empty: list[FileEntry] = []
    waiting: list[FileEntry] = []
    sidecars: dict[str, FileEntry] = {}
    for entry in sorted(listed, key=lambda e: e.path):
        if not is_candidate_name(entry.name):
            continue
        sidecar = by_path.get(entry.path[: -len(DATA_SUFFIX)] + SIDECAR_SUFFIX)
        if require_success_marker:
            complete = _folder(entry.path) in marked_folders
        else:
            newest_ms = max(
                entry.modification_time_ms, sidecar.modification_time_ms if sidecar else 0
            )
            complete = now_ms - newest_ms >= quiet_period_seconds * 1000
        if not complete:
            waiting.append(entry)
            continue
        (ready if entry.size else empty).append(entry)
        if sidecar is not None:
            sidecars[entry.path] = sidecar
    return Detection(tuple(ready), tuple(empty), tuple(waiting), sidecars)


class _Lister(Protocol):
    def list_files(self, folder: str, *, recursive: bool = False) -> list[FileEntry]: ...
    def list_folders(self, folder: str) -> list[str]: ...


@dataclass(frozen=True)
class Readiness:
    """What a look at the landing folders found, and why a run would or would not start."""

    landing_paths: tuple[str, ...]
    ready: int  # complete files (empty ones too, to quarantine)
    unfinished_batches: int  # left in staging or committed by an earlier run
    not_complete: int  # being written, in their quiet period, or without _SUCCESS

    @property
    def found(self) -> int:
        return self.ready + self.unfinished_batches

    def explain(self) -> str:
        where = ", ".join(self.landing_paths)
        if self.found:
            return (
                f"{self.ready} complete file(s) and {self.unfinished_batches} unfinished "
                f"batch(es) in {where}"
            )
        if self.not_complete:
            return (
                f"no complete .avro file in {where}: {self.not_complete} file(s) are still "
                "being written, within the quiet period, or without their folder's _SUCCESS"
            )
        return f"no .avro file in {where}"


def look_for_work(
    fs: _Lister,
    landing_paths: Sequence[str],
    *,
    now_ms: int,
    quiet_period_seconds: int,
    require_success_marker: bool,
    recursive: bool,
) -> Readiness:
    """Complete files and unfinished batches a run might take now (whether an unfinished
    batch's run has lost its lease is for the plan to tell)."""
    ready = unfinished = not_complete = 0
    for landing in landing_paths:
        unfinished += len(fs.list_folders(staging_root(landing)))
        unfinished += len(fs.list_folders(committed_root(landing)))
        detection = detect(
            fs.list_files(landing, recursive=recursive),
            now_ms=now_ms,
            quiet_period_seconds=quiet_period_seconds,
            require_success_marker=require_success_marker,
        )
        ready += len(detection.ready) + len(detection.empty)
        not_complete += len(detection.waiting)
    return Readiness(tuple(landing_paths), ready, unfinished, not_complete)
