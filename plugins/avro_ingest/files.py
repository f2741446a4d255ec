"""Plain values that describe files on HDFS, shared by every stage."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

# A whole-file write goes to a hidden name beside its target (or, for a folder that must still
# be there, beside that folder), then is renamed over it (see FileSystem.write_bytes). Should a
# folder move with a hidden file in it (another attempt took the batch), the hidden file is left
# there: any reader of a folder passes it over.
_PARTIAL = ".part"


def partial_write_path(path: str) -> str:
    folder, name = path.rsplit("/", 1)
    # The start of the name only: HDFS refuses a name longer than 255 bytes, and a target
    # near that limit must still get its hidden twin.
    start = name.encode()[:100].decode(errors="ignore")
    return f"{folder}/.{start}.{uuid.uuid4().hex}{_PARTIAL}"


def is_partial_write(name: str) -> bool:
    return name.startswith(".") and name.endswith(_PARTIAL)


@dataclass(frozen=True)
class FileEntry:
    """One file as a listing shows it."""

    path: str
    size: int
    modification_time_ms: int

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]
