"""Read the header of an Avro object container file from a bounded byte window.

Wire format of the header (Avro 1.11 specification, "Object Container Files"):

    magic      4 bytes  b"Obj\\x01"
    metadata   map<bytes>: blocks of (count: long, [byte size: long if count < 0],
               count x (key: string, value: bytes)), ended by a block of count 0
    sync       16 bytes

`long` is a zigzag-encoded variable-length integer; `string` and `bytes` are a long length
followed by that many bytes. The header is decoded here rather than by fastavro so that every
error names the byte offset, and so that metadata values that are not UTF-8 (legal: the map
holds bytes) never crash the reader.

Only the header is read: the first 64 KiB, doubled until the header fits, never beyond `cap`.
The number of bytes read depends on the header size, not on the file size.
"""

from __future__ import annotations

import importlib.util
import json
import os
from dataclasses import dataclass, field
from typing import Any, Protocol

from fastavro.schema import parse_schema

from avro_ingest.avro import wire
from avro_ingest.exceptions import (
    AvroIngestError,
    CodecLibraryMissing,
    CorruptHeader,
    EmptyFile,
    HeaderTooLarge,
    InvalidSchema,
    NeedMore,
    NotAvroFile,
    TruncatedFile,
    UnsupportedCodec,
    VarintTooLong,
)

__all__ = [
    "CODECS",
    "MAGIC",
    "SYNC_SIZE",
    "AvroHeader",
    "BytesRangeReader",
    "CodecInfo",
    "LocalRangeReader",
    "RangeReader",
    "check_codec_library",
    "decode_long",
    "parse_schema_json",
    "read_header",
    "validate_schema",
]

MAGIC = b"Obj\x01"
SYNC_SIZE = 16
DEFAULT_INITIAL = 64 * 1024
DEFAULT_CAP = 64 * 1024 * 1024

Schema = dict[str, Any] | list[Any] | str


class RangeReader(Protocol):
    """Random access to a file: local, in memory, or an HDFS OPEN with offset and length."""

    def read(self, offset: int, length: int) -> bytes:
        """Return up to `length` bytes starting at `offset`; fewer (maybe none) at end of file."""
        ...


@dataclass(frozen=True)
class LocalRangeReader:
    """RangeReader over a local file; opens the file for each read (no handle to leak)."""

    path: str | os.PathLike[str]

    def read(self, offset: int, length: int) -> bytes:
        with open(self.path, "rb") as handle:
            handle.seek(offset)
            return handle.read(length)


@dataclass(frozen=True)
class BytesRangeReader:
    """RangeReader over bytes already in memory (tests, small sidecar files)."""

    data: bytes

    def read(self, offset: int, length: int) -> bytes:
        return self.data[offset : offset + length]


@dataclass(frozen=True)
class CodecInfo:
    """Where a codec's implementation comes from in Python, and what to install if absent.

    `modules` are alternatives: any one importable is enough.
    """

    name: str
    modules: tuple[str, ...]
    package: str


# Every codec the Avro specification and its implementations define. Counting records and
# planning never decompress a block, so a missing library only matters to code that decodes
# values in Python (check_codec_library); Hive decodes blocks with its own Java codecs.
CODECS: dict[str, CodecInfo] = {
    "null": CodecInfo("null", (), ""),
    "deflate": CodecInfo("deflate", ("zlib",), "(standard library: zlib)"),
    "bzip2": CodecInfo("bzip2", ("bz2",), "(standard library: bz2)"),
    "xz": CodecInfo("xz", ("lzma",), "(standard library: lzma)"),
    # fastavro 1.13 reads snappy through cramjam (python-snappy also works).
    "snappy": CodecInfo("snappy", ("cramjam", "snappy"), "cramjam"),
    # fastavro 1.13 on Python < 3.14 uses backports.zstd, not the `zstandard` package.
    "zstandard": CodecInfo("zstandard", ("compression.zstd", "backports.zstd"), "backports.zstd"),
}


def check_codec_library(codec: str, *, file: str | None = None) -> None:
    """Raise if the codec is unknown (bad file) or its library is not installed (deployment)."""
    info = CODECS.get(codec)
    if info is None:
        raise UnsupportedCodec(codec, tuple(CODECS), file=file)
    if not info.modules:
        return
    for module in info.modules:
        try:
            if importlib.util.find_spec(module) is not None:
                return
        except (ImportError, ValueError):
            # find_spec imports parent packages; a missing parent means "not installed".
            continue
    raise CodecLibraryMissing(codec, info.modules[-1], info.package, file=file)


@dataclass(frozen=True)
class AvroHeader:
    """The decoded header. `schema` is the writer schema as parsed JSON."""

    schema: Schema
    codec: str
    sync_marker: bytes
    header_length: int
    metadata: dict[str, bytes] = field(repr=False)
    bytes_read: int


def decode_long(buf: bytes, pos: int) -> tuple[int, int]:
    """`wire.decode_long`, with a varint too long for a long reported as a corrupt header."""
    try:
        return wire.decode_long(buf, pos)
    except VarintTooLong:
        raise CorruptHeader(pos, "variable-length integer longer than 10 bytes") from None


def _decode_header(buf: bytes, cap: int) -> tuple[dict[str, bytes], bytes, int]:
    """Decode metadata map and sync from `buf` (magic already checked).

    Returns (metadata, sync, header_length). Raises NeedMore when `buf` is too short.
    """
    pos = len(MAGIC)
    metadata: dict[str, bytes] = {}
    while True:
        block_at = pos
        count, pos = decode_long(buf, pos)
        if count == 0:
            break
        if count < 0:
            # A negative count is followed by the block's size in bytes (lets readers skip).
            count = -count
            size, pos = decode_long(buf, pos)
            if size < 0:
                raise CorruptHeader(block_at, f"negative metadata block size {size}")
        for _ in range(count):
            key_bytes, pos = _decode_bytes(buf, pos, cap, "metadata key")
            value, pos = _decode_bytes(buf, pos, cap, "metadata value")
            # Keys are Avro strings; decode leniently so a broken key is still reportable.
            metadata[key_bytes.decode("utf-8", errors="backslashreplace")] = value
    end = pos + SYNC_SIZE
    if end > len(buf):
        raise NeedMore(end)
    return metadata, buf[pos:end], end


def _decode_bytes(buf: bytes, pos: int, cap: int, what: str) -> tuple[bytes, int]:
    at = pos
    length, pos = decode_long(buf, pos)
    if length < 0:
        raise CorruptHeader(at, f"negative {what} length {length}")
    end = pos + length
    if end > cap:
        # Decided from the declared length alone: no need to read up to the cap first.
        raise HeaderTooLarge(cap, needed=end)
    if end > len(buf):
        raise NeedMore(end)
    return buf[pos:end], end


def parse_schema_json(raw: bytes, *, where: str = "avro.schema", file: str | None = None) -> Schema:
    """Decode schema JSON bytes and validate it with fastavro; invalid -> InvalidSchema."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidSchema(
            f"not UTF-8 ({exc.reason} at byte {exc.start})", where=where, file=file
        ) from exc
    try:
        schema = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise InvalidSchema(f"not JSON: {exc}", where=where, file=file) from exc
    if not isinstance(schema, dict | list | str):
        raise InvalidSchema(
            f"schema must be a JSON object, array or string, got {schema!r}", where=where, file=file
        )
    validate_schema(schema, where=where, file=file)
    return schema


def validate_schema(schema: object, *, where: str = "schema", file: str | None = None) -> None:
    """Validate with fastavro's parse_schema (the reference for what a valid schema is)."""
    if not isinstance(schema, dict | list | str):
        raise InvalidSchema(f"not a schema: {schema!r}", where=where, file=file)
    try:
        parse_schema(schema)
    except AvroIngestError:
        raise
    except Exception as exc:
        # fastavro raises SchemaParseException, UnknownType, KeyError, TypeError... for
        # different kinds of invalid schema; all of them mean "not a valid schema".
        raise InvalidSchema(f"{type(exc).__name__}: {exc}", where=where, file=file) from exc


def read_header(
    reader: RangeReader,
    path: str | None = None,
    *,
    initial: int = DEFAULT_INITIAL,
    cap: int = DEFAULT_CAP,
) -> AvroHeader:
    """Read and decode the header of the Avro file behind `reader`.

    Raises EmptyFile, NotAvroFile, TruncatedFile, CorruptHeader, HeaderTooLarge,
    UnsupportedCodec or InvalidSchema (all terminal), each with `file=path`.
    """
    if initial < len(MAGIC) + 1 + SYNC_SIZE or cap < initial:
        raise ValueError(f"need 21 <= initial <= cap, got initial={initial}, cap={cap}")
    try:
        return _read_header(reader, initial, cap)
    except AvroIngestError as exc:
        raise exc.with_file(path) from None


def _read_header(reader: RangeReader, initial: int, cap: int) -> AvroHeader:
    buf = reader.read(0, initial)
    bytes_read = len(buf)
    at_eof = len(buf) < initial
    if not buf:
        raise EmptyFile()
    if buf[: len(MAGIC)] != MAGIC:
        if len(buf) < len(MAGIC) and MAGIC.startswith(buf):
            raise TruncatedFile(0, len(MAGIC), len(buf), "magic")
        raise NotAvroFile(buf[: len(MAGIC)])
    window = initial
    while True:
        try:
            metadata, sync, header_length = _decode_header(buf, cap)
            break
        except NeedMore as more:
            if at_eof:
                raise TruncatedFile(len(buf), more.needed - len(buf), 0, "header") from None
            if more.needed > cap or window >= cap:
                raise HeaderTooLarge(cap, needed=more.needed) from None
            # Double the window, or read past what is known to be needed by one initial window
            # (the rest of the header follows the value that did not fit), never past cap.
            window = min(cap, max(window * 2, more.needed + initial))
            extra = reader.read(len(buf), window - len(buf))
            bytes_read += len(extra)
            at_eof = len(buf) + len(extra) < window
            buf += extra
    raw_schema = metadata.get("avro.schema")
    if raw_schema is None:
        raise CorruptHeader(len(MAGIC), "metadata has no avro.schema entry")
    schema = parse_schema_json(raw_schema)
    raw_codec = metadata.get("avro.codec", b"null")
    # Avro Java writes no avro.codec for uncompressed files; the spec says absent means null.
    codec = raw_codec.decode("utf-8", errors="backslashreplace")
    if codec not in CODECS:
        raise UnsupportedCodec(codec, tuple(CODECS))
    return AvroHeader(
        schema=schema,
        codec=codec,
        sync_marker=sync,
        header_length=header_length,
        metadata=metadata,
        bytes_read=bytes_read,
    )
