"""What the stages need from the services, as protocols: the hooks implement them, the stages
stay free of Airflow."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

from avro_ingest.avro.blocks import BinaryStream
from avro_ingest.avro.header import RangeReader
from avro_ingest.files import FileEntry


class FileSystem(Protocol):
    """HDFS as the stages use it. A read of a path that is not there raises FileGone.
    `write_bytes` and `create` publish a file whole: a reader (another run reading a manifest)
    sees the old bytes or the new, never an empty or partial file; while the bytes are being
    written they sit beside it under a hidden name (starting with a dot). With
    `make_folder=False` the file's folder must still be there: the write raises FileGone
    rather than make it again (a batch folder that another attempt renamed away)."""

    def list_files(self, folder: str, *, recursive: bool = False) -> list[FileEntry]: ...
    def list_folders(self, folder: str) -> list[str]: ...
    def status(self, path: str) -> FileEntry | None: ...
    def under_construction(self, path: str) -> bool: ...
    def rename_exclusive(self, source: str, destination: str) -> bool: ...
    def rename(self, source: str, destination: str) -> bool: ...
    def makedirs(self, folder: str) -> None: ...
    def write_bytes(
        self, path: str, data: bytes, *, overwrite: bool = True, make_folder: bool = True
    ) -> None: ...
    def create(self, path: str, data: bytes) -> bool: ...
    def read_range(self, path: str, offset: int, length: int) -> bytes: ...
    def delete(self, path: str, *, recursive: bool = False) -> bool: ...
    def range_reader(self, path: str) -> RangeReader: ...
    def open_stream(self, path: str) -> AbstractContextManager[BinaryStream]: ...


class Timing(Protocol):
    statement: str
    seconds: float


class SqlRunner(Protocol):
    def run_statements(
        self, statements: Sequence[str], *, settings: dict[str, str] | None = None
    ) -> Sequence[Timing]: ...

    def query(
        self, statement: str, *, settings: dict[str, str] | None = None
    ) -> list[tuple[Any, ...]]: ...
