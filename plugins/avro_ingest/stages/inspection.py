"""Read what the pipeline needs to know of each ready file, without decoding a value: its
schema (header bytes only, or the sidecar .avsc checked against the header), its record count
(from the block headers) and whether Hive can hold its types.

A large file's count and content hash need every byte of it: planning reads only its header,
and `count_claimed` reads the rest once the file is claimed, while Hive converts its batch.

A file that fails any check becomes a `Rejection` carrying the terminal error's class, reason
and message; transient and configuration errors propagate (retry the task / fix the install).
"""

from __future__ import annotations

import hashlib
import io
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from avro_ingest.avro.blocks import count_records, fingerprint
from avro_ingest.avro.header import (
    AvroHeader,
    BytesRangeReader,
    Schema,
    parse_schema_json,
    read_header,
)
from avro_ingest.avro.sidecar import choose_schema
from avro_ingest.exceptions import AvroIngestError, FileGone, TerminalError
from avro_ingest.files import FileEntry
from avro_ingest.hive.naming import to_table_name
from avro_ingest.hive.tables import build_plan
from avro_ingest.ports import FileSystem
from avro_ingest.records import SetAside

__all__ = ["FileInfo", "Rejection", "count_claimed", "inspect_files", "table_for"]


@dataclass(frozen=True)
class FileInfo:
    entry: FileEntry
    landing: str
    table: str
    schema: Schema
    fingerprint: str
    records: int | None  # None: counted once claimed (see count_claimed)
    codec: str
    header_bytes_read: int
    schema_source: str  # "header" or "sidecar"
    sidecar: str | None = None  # the .avsc beside the file, moved with it when claimed
    checksum: str | None = None  # a hash of its bytes (content_digest); None: see records


@dataclass(frozen=True)
class Rejection:
    entry: FileEntry
    landing: str
    error_class: str
    reason: str
    message: str
    step: str
    sidecar: str | None = None  # the .avsc beside the file, set aside with it

    def to_dict(self) -> SetAside:
        return {
            "path": self.entry.path,
            "size": self.entry.size,
            "error_class": self.error_class,
            "reason": self.reason,
            "message": self.message,
            "step": self.step,
        }


def table_for(rule: str, prefix: str, landing: str, path: str, schema: Schema) -> str:
    """The target table of a file, by the configured rule (see IngestConfig)."""
    if rule.startswith("fixed:"):
        return rule[len("fixed:") :]
    if rule == "folder":
        relative = path[len(landing) + 1 :]
        folder = relative.rsplit("/", 1)[0] if "/" in relative else landing.rsplit("/", 1)[-1]
        return to_table_name(prefix + folder)
    name = schema.get("name", "") if isinstance(schema, dict) else ""
    return (
        to_table_name(prefix + str(name).rsplit(".", 1)[-1])
        if name
        else to_table_name(prefix + path.rsplit("/", 1)[-1].removesuffix(".avro"))
    )


# Files up to this size are fetched in one request: counting their records needs every block
# header anyway, and a WebHDFS OPEN costs two HTTP round trips whatever its length.
WHOLE_FILE_READ_BYTES = 1024 * 1024


def content_digest() -> Any:
    """The hash that recognises a re-delivered file by its bytes (fast; not for security)."""
    return hashlib.blake2b(digest_size=20)


class _HashingStream:
    """A forward stream that hashes what passes through it."""

    def __init__(self, stream: Any, digest: Any) -> None:
        self.stream, self.digest = stream, digest

    def read(self, n: int, /) -> bytes:
        data: bytes = self.stream.read(n)
        self.digest.update(data)
        return data


def _header_and_count(
    fs: FileSystem, entry: FileEntry, digest: Any, *, count_later: bool = False
) -> tuple[AvroHeader, int | None]:
    """The header, and the record count when the whole file was read for it (then hashed)."""
    if count_later or entry.size > WHOLE_FILE_READ_BYTES:
        return read_header(fs.range_reader(entry.path), path=entry.path), None
    data = fs.read_range(entry.path, 0, entry.size)
    digest.update(data)
    header = read_header(BytesRangeReader(data), path=entry.path)
    return header, count_records(io.BytesIO(data), header, entry.path)


def _count_streaming(
    fs: FileSystem, path: str, header: AvroHeader, digest: Any, source: str
) -> int:
    """Count a large file's records in one forward read of `path` (errors name `source`).
    Counting reads every block header, so the whole file passes by anyway: hashing it on the
    way costs no request."""
    with fs.open_stream(path) as body:
        stream = _HashingStream(body, digest)
        records = count_records(stream, header, source)
        while stream.read(1 << 20):  # bytes after the last block are content too
            pass
    return records


def count_claimed(fs: FileSystem, at: str, *, source: str) -> tuple[int, str]:
    """The record count and content hash of a file whose header planning read: read whole
    from `at`, where its claim put it. Errors name `source`, the path its sender knows;
    a TerminalError means the file is bad, as it would have meant while planning."""
    try:
        header = read_header(fs.range_reader(at), path=source)
    except AvroIngestError as error:
        raise error.with_file(source) from None
    digest = content_digest()
    records = _count_streaming(fs, at, header, digest, source)
    return records, digest.hexdigest()


def _inspect_one(
    fs: FileSystem,
    entry: FileEntry,
    landing: str,
    sidecar: FileEntry | None,
    table_rule: str,
    table_prefix: str,
    planned: set[str],
    count_after_claim_min_bytes: int | None,
) -> FileInfo | Rejection | None:
    """The file's facts, its rejection, or None when it vanished after it was listed."""
    step = "read_schema"
    count_later = (
        count_after_claim_min_bytes is not None and entry.size >= count_after_claim_min_bytes
    )
    try:
        digest = content_digest()
        header, records = _header_and_count(fs, entry, digest, count_later=count_later)
        schema: Schema = header.schema
        source = "header"
        if sidecar is not None:
            step = "sidecar"
            raw = fs.read_range(sidecar.path, 0, sidecar.size)
            declared = parse_schema_json(raw, where=f"sidecar {sidecar.name}", file=entry.path)
            schema = choose_schema(declared, header, path=entry.path)
            source = "sidecar"
        # Byte-level problems first: a broken file must be sent again whatever its schema.
        step = "count"
        if records is None and not count_later:
            records = _count_streaming(fs, entry.path, header, digest, entry.path)
        step = "plan"
        schema_id = fingerprint(schema)
        if schema_id not in planned:  # most files of a landing folder share a schema
            build_plan(schema, entry.path)
            planned.add(schema_id)
        return FileInfo(
            entry=entry,
            landing=landing,
            table=table_for(table_rule, table_prefix, landing, entry.path, schema),
            schema=schema,
            fingerprint=schema_id,
            records=records,
            codec=header.codec,
            header_bytes_read=header.bytes_read,
            schema_source=source,
            sidecar=sidecar.path if sidecar is not None else None,
            checksum=None if records is None else digest.hexdigest(),
        )
    except FileGone:
        return None
    except AvroIngestError as error:
        if not isinstance(error, TerminalError):
            raise
        error.with_file(entry.path)
        return Rejection(
            entry,
            landing,
            type(error).__name__,
            str(getattr(error, "reason", "error")),
            str(error),
            step,
            sidecar.path if sidecar is not None else None,
        )


def inspect_files(
    fs: FileSystem,
    files: Sequence[tuple[str, FileEntry, FileEntry | None]],
    *,
    table_rule: str,
    table_prefix: str = "",
    threads: int = 8,
    count_after_claim_min_bytes: int | None = None,
) -> tuple[list[FileInfo], list[Rejection], float]:
    """Inspect (landing, file, sidecar) triples in parallel: header reads are latency-bound.
    Returns the good files, the rejected ones, and the seconds it took. A file that vanished
    after it was listed (claimed by another run, moved by its writer) is left out. Files of
    at least `count_after_claim_min_bytes` (None: no file) are left uncounted and unhashed
    (`records` None): `count_claimed` reads them once claimed."""
    started = time.monotonic()
    planned: set[str] = set()
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        results = list(
            pool.map(
                lambda item: _inspect_one(
                    fs,
                    item[1],
                    item[0],
                    item[2],
                    table_rule,
                    table_prefix,
                    planned,
                    count_after_claim_min_bytes,
                ),
                files,
            )
        )
    good = [r for r in results if isinstance(r, FileInfo)]
    bad = [r for r in results if isinstance(r, Rejection)]
    return good, bad, time.monotonic() - started
