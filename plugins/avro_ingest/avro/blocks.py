"""Count the records of an Avro object container file without decoding a value.

Wire format after the header (Avro 1.11 specification, "Object Container Files"), repeated
until end of file:

    count   long     number of objects in the block
    size    long     number of bytes of the (possibly compressed) serialized objects
    data    size bytes
    sync    16 bytes, equal to the header's sync marker

The walk reads the stream forward only, in chunks of at most `chunk_size` bytes, so it works on
an HDFS streaming response and keeps memory bounded whatever the block size. Because block
bodies are skipped, not decompressed, no codec library is needed.

A file that ends anywhere but right after a sync marker is truncated. Avro Java's reader
silently stops at such an end; we quarantine instead, because a file cut mid-block is usually
a copy still in progress or a broken transfer, and its rows would otherwise vanish unnoticed.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Protocol

from fastavro.schema import fingerprint as _fastavro_fingerprint
from fastavro.schema import to_parsing_canonical_form

from avro_ingest.avro.header import SYNC_SIZE, AvroHeader
from avro_ingest.avro.wire import MAX_VARINT_BYTES, decode_long
from avro_ingest.exceptions import (
    AvroIngestError,
    CorruptBlock,
    InvalidSchema,
    NeedMore,
    TruncatedFile,
    VarintTooLong,
)

__all__ = ["BinaryStream", "count_records", "fingerprint"]

DEFAULT_CHUNK = 64 * 1024


class BinaryStream(Protocol):
    """Anything with `read(n)`: a local file, an HTTP response body, a pipe."""

    def read(self, n: int, /) -> bytes: ...


class _ForwardReader:
    """Forward-only buffered reader over a stream; tracks the absolute file offset.

    Holds at most one chunk. Copes with streams whose read(n) returns fewer than n bytes
    before end of file (network streams do).
    """

    def __init__(self, stream: BinaryStream, offset: int, chunk_size: int) -> None:
        self._stream = stream
        self._chunk_size = chunk_size
        self._buf = b""
        self._pos = 0
        self.offset = offset  # absolute offset of the next unread byte

    def _fill(self) -> bool:
        """Make sure at least one unread byte is buffered; False at end of file."""
        if self._pos < len(self._buf):
            return True
        self._buf = self._stream.read(self._chunk_size)
        self._pos = 0
        return bool(self._buf)

    def at_eof(self) -> bool:
        return not self._fill()

    def read_exact(self, n: int) -> bytes:
        """Read n bytes (n is small: a sync marker); returns fewer only at end of file."""
        parts: list[bytes] = []
        need = n
        while need and self._fill():
            take = self._buf[self._pos : self._pos + need]
            self._pos += len(take)
            self.offset += len(take)
            need -= len(take)
            parts.append(take)
        return b"".join(parts)

    def skip(self, n: int) -> int:
        """Skip up to n bytes; return how many were skipped (fewer only at end of file)."""
        skipped = 0
        while skipped < n and self._fill():
            take = min(n - skipped, len(self._buf) - self._pos)
            self._pos += take
            self.offset += take
            skipped += take
        return skipped

    def read_long(self, what: str) -> int:
        start = self.offset
        # Up to one varint's worth of bytes in one piece (fewer only at end of file).
        while len(self._buf) - self._pos < MAX_VARINT_BYTES:
            more = self._stream.read(self._chunk_size)
            if not more:
                break
            self._buf = self._buf[self._pos :] + more
            self._pos = 0
        try:
            value, end = decode_long(self._buf, self._pos)
        except NeedMore:
            got = len(self._buf) - self._pos
            raise TruncatedFile(start, got + 1, got, what) from None
        except VarintTooLong:
            raise CorruptBlock(
                start, f"{what} is a variable-length integer longer than 10 bytes"
            ) from None
        self.offset += end - self._pos
        self._pos = end
        return value


def count_records(
    stream: BinaryStream,
    header: AvroHeader,
    path: str | None = None,
    *,
    position: int = 0,
    chunk_size: int = DEFAULT_CHUNK,
) -> int:
    """Return the number of records in the file, walking block headers and sync markers.

    `position` is the stream's current offset in the file: 0 for a stream opened at the start
    (the header is skipped), or `header.header_length` for one opened right after the header.
    Raises TruncatedFile or CorruptBlock (terminal) with the byte offset and `file=path`.
    """
    if not 0 <= position <= header.header_length:
        raise ValueError(f"position must be within the header (0..{header.header_length})")
    try:
        return _count(stream, header, position, chunk_size)
    except AvroIngestError as exc:
        raise exc.with_file(path) from None


def _count(stream: BinaryStream, header: AvroHeader, position: int, chunk_size: int) -> int:
    src = _ForwardReader(stream, position, chunk_size)
    to_skip = header.header_length - position
    if src.skip(to_skip) != to_skip:
        raise TruncatedFile(src.offset, header.header_length - src.offset, 0, "header")
    total = 0
    while not src.at_eof():
        block_at = src.offset
        count = src.read_long("block count")
        size = src.read_long("block size")
        if count < 0:
            raise CorruptBlock(block_at, f"negative block count {count}")
        if size < 0:
            raise CorruptBlock(block_at, f"negative block size {size}")
        data_at = src.offset
        skipped = src.skip(size)
        if skipped != size:
            raise TruncatedFile(data_at, size, skipped, f"block of {count} records")
        sync_at = src.offset
        sync = src.read_exact(SYNC_SIZE)
        if len(sync) != SYNC_SIZE:
            raise TruncatedFile(sync_at, SYNC_SIZE, len(sync), "sync marker")
        if sync != header.sync_marker:
            raise CorruptBlock(
                sync_at,
                f"block of {count} records at offset {block_at} is corrupt",
                expected=header.sync_marker,
                got=sync,
            )
        total += count
    return total


# Parsing Canonical Form drops logical types, yet they decide how the bytes read: decimal(12,2)
# and decimal(12,4) on bytes, or timestamp-millis and -micros on long, share a canonical form.
_LOGICAL_ATTRIBUTES = ("logicalType", "precision", "scale")


def _logical_annotations(schema: Any, path: str, found: list[list[Any]]) -> None:
    if isinstance(schema, dict):
        if "logicalType" in schema:
            found.append([path, *(schema.get(key) for key in _LOGICAL_ATTRIBUTES)])
        for key in ("type", "items", "values"):
            if key in schema:
                _logical_annotations(schema[key], f"{path}/{key}", found)
        fields = schema.get("fields")
        for field_ in fields if isinstance(fields, list) else ():
            if isinstance(field_, dict):
                _logical_annotations(field_.get("type"), f"{path}/{field_.get('name')}", found)
    elif isinstance(schema, list):
        for position, branch in enumerate(schema):
            _logical_annotations(branch, f"{path}/{position}", found)


def fingerprint(schema: dict[str, Any] | list[Any] | str) -> str:
    """SHA-256 (hex) identifying a schema for batching: its Parsing Canonical Form plus its
    logical types (with precision and scale), so files share a batch only when Hive reads
    them alike. Docs, aliases, defaults and key order do not matter."""
    try:
        canonical = to_parsing_canonical_form(schema)
    except Exception as exc:
        raise InvalidSchema(f"no canonical form: {type(exc).__name__}: {exc}") from exc
    annotations: list[list[Any]] = []
    _logical_annotations(schema, "", annotations)
    if not annotations:
        return str(_fastavro_fingerprint(canonical, "SHA-256"))
    text = canonical + json.dumps(annotations, separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()
