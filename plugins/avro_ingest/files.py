"""Plain values that describe files on HDFS, shared by every stage."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FileEntry:
    """One file as a listing shows it."""

    path: str
    size: int
    modification_time_ms: int

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]
