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
from avro_ingest.layout import committed_root, staging_root

__all__ = ["SUCCESS_MARKER", "Detection", "count_complete", "detect", "is_candidate_name"]

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
        elif entry.size == 0:
            empty.append(entry)
        else:
            ready.append(entry)
            if sidecar is not None:
                sidecars[entry.path] = sidecar
    return Detection(tuple(ready), tuple(empty), tuple(waiting), sidecars)


class _Lister(Protocol):
    def list_files(self, folder: str, *, recursive: bool = False) -> list[FileEntry]: ...
    def list_folders(self, folder: str) -> list[str]: ...


def count_complete(
    fs: _Lister,
    landing_paths: Sequence[str],
    *,
    now_ms: int,
    quiet_period_seconds: int,
    require_success_marker: bool,
    recursive: bool,
) -> int:
    """How many files and unfinished batches a run might take now: ready files, empty ones to
    quarantine, and batches an earlier run left in staging or committed (whether their run's
    lease has lapsed is for the plan to tell)."""
    found = 0
    for landing in landing_paths:
        found += len(fs.list_folders(staging_root(landing)))
        found += len(fs.list_folders(committed_root(landing)))
        detection = detect(
            fs.list_files(landing, recursive=recursive),
            now_ms=now_ms,
            quiet_period_seconds=quiet_period_seconds,
            require_success_marker=require_success_marker,
        )
        found += len(detection.ready) + len(detection.empty)
    return found
