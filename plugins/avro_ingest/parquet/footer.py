"""A Parquet file's footer: its row count and codecs, read from the file's last bytes.

The footer is Thrift's compact encoding of `FileMetaData` (parquet-format's parquet.thrift),
followed by its length (4 bytes, little-endian) and the magic `PAR1`. Only the fields used here
are named; the rest are skipped by their wire type, so any writer's extra fields are read past.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

from thrift.protocol.TCompactProtocol import TCompactProtocol
from thrift.Thrift import TType
from thrift.transport.TTransport import TMemoryBuffer

from avro_ingest.exceptions import NotParquet

__all__ = ["MAGIC", "TAIL_BYTES", "ParquetFooter", "footer_length", "read_footer"]

MAGIC = b"PAR1"
# Footer length and magic at the end of every Parquet file.
TAIL_BYTES = 8

# parquet.thrift field ids.
_FILE_NUM_ROWS = 3
_FILE_ROW_GROUPS = 4
_ROW_GROUP_COLUMNS = 1
_ROW_GROUP_NUM_ROWS = 3
_CHUNK_META_DATA = 3
_META_CODEC = 4

# parquet.thrift's CompressionCodec.
CODECS = ("UNCOMPRESSED", "SNAPPY", "GZIP", "LZO", "BROTLI", "LZ4", "ZSTD", "LZ4_RAW")


@dataclass(frozen=True)
class ParquetFooter:
    rows: int
    row_group_rows: tuple[int, ...]
    codecs: frozenset[str]


def footer_length(path: str, size: int, tail: bytes) -> int:
    """The footer's length from a file's last 8 bytes; NotParquet when they are not Parquet's."""
    if size < len(MAGIC) + TAIL_BYTES or len(tail) < TAIL_BYTES or tail[-4:] != MAGIC:
        raise NotParquet(path, "no PAR1 magic at its end")
    (length,) = struct.unpack("<I", tail[-8:-4])
    if length <= 0 or length > size - len(MAGIC) - TAIL_BYTES:
        raise NotParquet(path, f"a footer length of {length} bytes in a {size}-byte file")
    return int(length)


def read_footer(path: str, footer: bytes) -> ParquetFooter:
    """The footer's rows (the file's and each row group's) and the codecs of its columns."""
    try:
        meta = _read_struct(TCompactProtocol(TMemoryBuffer(footer)))
    except Exception as error:  # any decoding fault of the bytes: the file is not readable
        raise NotParquet(path, f"its footer does not decode ({error})") from error
    groups = meta.get(_FILE_ROW_GROUPS) or []
    group_rows = tuple(int(group.get(_ROW_GROUP_NUM_ROWS, 0)) for group in groups)
    codecs = {
        CODECS[code] if 0 <= code < len(CODECS) else str(code)
        for group in groups
        for chunk in group.get(_ROW_GROUP_COLUMNS) or []
        if (code := (chunk.get(_CHUNK_META_DATA) or {}).get(_META_CODEC)) is not None
    }
    rows = meta.get(_FILE_NUM_ROWS)
    if not isinstance(rows, int):
        raise NotParquet(path, "its footer has no row count")
    if group_rows and sum(group_rows) != rows:
        raise NotParquet(
            path, f"its row groups hold {sum(group_rows)} rows, its footer says {rows}"
        )
    return ParquetFooter(rows=rows, row_group_rows=group_rows, codecs=frozenset(codecs))


def _read_struct(proto: TCompactProtocol) -> dict[int, Any]:
    fields: dict[int, Any] = {}
    proto.readStructBegin()
    while True:
        _, ttype, fid = proto.readFieldBegin()
        if ttype == TType.STOP:
            break
        fields[fid] = _read_value(proto, ttype)
        proto.readFieldEnd()
    proto.readStructEnd()
    return fields


def _read_value(proto: TCompactProtocol, ttype: int) -> Any:
    if ttype == TType.STRUCT:
        return _read_struct(proto)
    if ttype in (TType.LIST, TType.SET):
        element, count = proto.readListBegin()
        values = [_read_value(proto, element) for _ in range(count)]
        proto.readListEnd()
        return values
    if ttype == TType.MAP:
        key_type, value_type, count = proto.readMapBegin()
        pairs = {
            _hashable(_read_value(proto, key_type)): _read_value(proto, value_type)
            for _ in range(count)
        }
        proto.readMapEnd()
        return pairs
    readers = {
        TType.BOOL: proto.readBool,
        TType.BYTE: proto.readByte,
        TType.I16: proto.readI16,
        TType.I32: proto.readI32,
        TType.I64: proto.readI64,
        TType.DOUBLE: proto.readDouble,
        TType.STRING: proto.readBinary,
    }
    if ttype not in readers:
        raise ValueError(f"unknown Thrift type {ttype}")
    return readers[ttype]()


def _hashable(value: Any) -> Any:
    return repr(value) if isinstance(value, (dict, list)) else value
