"""An in-memory file system with HDFS' answers, for the stages' unit tests (the integration
tests run the same stages on the real HDFS).

Renames follow HDFS' two kinds (`FSDirRenameOp`): the plain one returns False when the source
is gone, the destination's parent is missing or the destination is a file, and moves into a
destination that is a folder; the exclusive one (`renameoptions=NONE`) refuses any existing
destination."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from avro_ingest.exceptions import FileGone
from avro_ingest.files import FileEntry


def _parent(path: str) -> str:
    return path.rsplit("/", 1)[0] or "/"


class MemoryRangeReader:
    def __init__(self, fs: MemoryFileSystem, path: str) -> None:
        self.fs = fs
        self.path = path

    def read(self, offset: int, length: int) -> bytes:
        return self.fs.read_range(self.path, offset, length)


class MemoryFileSystem:
    def __init__(self) -> None:
        self.files: dict[str, tuple[bytes, int]] = {}  # path -> (bytes, modification ms)
        self.folders: set[str] = {"/"}
        self.open_for_write: set[str] = set()
        self._lock = threading.RLock()
        self._last_ms = 0

    def _now_ms(self) -> int:
        """Modification times from the clock, never going back (as a NameNode's)."""
        self._last_ms = max(int(time.time() * 1000), self._last_ms)
        return self._last_ms

    # --- writing -------------------------------------------------------------------------

    def makedirs(self, folder: str) -> None:
        with self._lock:
            while folder not in self.folders:
                if folder in self.files:
                    raise NotADirectoryError(folder)
                self.folders.add(folder)
                folder = _parent(folder)

    def write_bytes(
        self, path: str, data: bytes, *, overwrite: bool = True, make_folder: bool = True
    ) -> None:
        with self._lock:
            if not make_folder and _parent(path) not in self.folders:
                raise FileGone(f"{_parent(path)} is not there")
            if path in self.folders or (path in self.files and not overwrite):
                raise FileExistsError(path)
            self.makedirs(_parent(path))
            self.files[path] = (data, self._now_ms())

    def create(self, path: str, data: bytes) -> bool:
        with self._lock:
            if path in self.files or path in self.folders:
                return False
            self.write_bytes(path, data)
            return True

    def delete(self, path: str, *, recursive: bool = False) -> bool:
        with self._lock:
            if path in self.files:
                del self.files[path]
                return True
            if path not in self.folders:
                return False
            inside = [p for p in [*self.files, *self.folders] if p.startswith(path + "/")]
            if inside and not recursive:
                return False
            for p in inside:
                self.files.pop(p, None)
                self.folders.discard(p)
            self.folders.discard(path)
            return True

    def _move(self, source: str, destination: str) -> None:
        if source in self.files:
            self.files[destination] = self.files.pop(source)
            return
        for p in [p for p in self.files if p.startswith(source + "/")]:
            self.files[destination + p[len(source) :]] = self.files.pop(p)
        for p in [p for p in self.folders if p == source or p.startswith(source + "/")]:
            self.folders.discard(p)
            self.folders.add(destination + p[len(source) :])

    def _exists(self, path: str) -> bool:
        return path in self.files or path in self.folders

    def rename(self, source: str, destination: str) -> bool:
        with self._lock:
            if not self._exists(source) or destination.startswith(source + "/"):
                return False
            if destination in self.folders:
                destination = f"{destination}/{source.rsplit('/', 1)[-1]}"
            if self._exists(destination) or _parent(destination) not in self.folders:
                return False
            self._move(source, destination)
            return True

    def rename_exclusive(self, source: str, destination: str) -> bool:
        with self._lock:
            if not self._exists(source):
                raise FileNotFoundError(source)
            if self._exists(destination):
                return False
            if _parent(destination) not in self.folders:
                raise FileNotFoundError(_parent(destination))
            self._move(source, destination)
            return True

    # --- reading -------------------------------------------------------------------------

    def list_files(self, folder: str, *, recursive: bool = False) -> list[FileEntry]:
        with self._lock:
            entries = [
                FileEntry(p, len(data), mtime)
                for p, (data, mtime) in sorted(self.files.items())
                if _parent(p) == folder
            ]
            if recursive:
                for sub in self.list_folders(folder):
                    if not sub.rsplit("/", 1)[-1].startswith(("_", ".")):
                        entries.extend(self.list_files(sub, recursive=True))
            return entries

    def list_folders(self, folder: str) -> list[str]:
        with self._lock:
            return sorted(p for p in self.folders if p != "/" and _parent(p) == folder)

    def status(self, path: str) -> FileEntry | None:
        with self._lock:
            if path in self.files:
                data, mtime = self.files[path]
                return FileEntry(path, len(data), mtime)
            return FileEntry(path, 0, 0) if path in self.folders else None

    def exists(self, path: str) -> bool:
        return self.status(path) is not None

    def under_construction(self, path: str) -> bool:
        return path in self.open_for_write

    def read_range(self, path: str, offset: int, length: int) -> bytes:
        with self._lock:
            if path not in self.files:
                raise FileGone(path)
            return self.files[path][0][offset : offset + length]

    def range_reader(self, path: str) -> MemoryRangeReader:
        return MemoryRangeReader(self, path)

    @contextmanager
    def open_stream(self, path: str) -> Iterator[io.BytesIO]:
        with self._lock:
            if path not in self.files:
                raise FileGone(path)
            data = self.files[path][0]
        yield io.BytesIO(data)

    def read(self, path: str) -> bytes:
        return self.files[path][0]
