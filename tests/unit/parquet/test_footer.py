"""The footer reader against footers encoded the way parquet-mr writes them (Thrift compact)."""

from __future__ import annotations

import struct

import pytest
from avro_ingest.exceptions import NotParquet
from avro_ingest.parquet.footer import footer_length, read_footer
from thrift.protocol.TCompactProtocol import TCompactProtocol
from thrift.Thrift import TType
from thrift.transport.TTransport import TMemoryBuffer


def encode_footer(row_groups: list[tuple[int, list[int]]], *, num_rows: int | None = None) -> bytes:
    """FileMetaData with a version, an unknown extra field, and row groups of (rows, codecs)."""
    buffer = TMemoryBuffer()
    proto = TCompactProtocol(buffer)
    proto.writeStructBegin("FileMetaData")
    proto.writeFieldBegin("version", TType.I32, 1)
    proto.writeI32(1)
    proto.writeFieldEnd()
    proto.writeFieldBegin("num_rows", TType.I64, 3)
    proto.writeI64(sum(rows for rows, _ in row_groups) if num_rows is None else num_rows)
    proto.writeFieldEnd()
    proto.writeFieldBegin("row_groups", TType.LIST, 4)
    proto.writeListBegin(TType.STRUCT, len(row_groups))
    for rows, codecs in row_groups:
        proto.writeStructBegin("RowGroup")
        proto.writeFieldBegin("columns", TType.LIST, 1)
        proto.writeListBegin(TType.STRUCT, len(codecs))
        for codec in codecs:
            proto.writeStructBegin("ColumnChunk")
            proto.writeFieldBegin("meta_data", TType.STRUCT, 3)
            proto.writeStructBegin("ColumnMetaData")
            proto.writeFieldBegin("path_in_schema", TType.LIST, 3)
            proto.writeListBegin(TType.STRING, 1)
            proto.writeBinary(b"id")
            proto.writeListEnd()
            proto.writeFieldEnd()
            proto.writeFieldBegin("codec", TType.I32, 4)
            proto.writeI32(codec)
            proto.writeFieldEnd()
            proto.writeFieldStop()
            proto.writeStructEnd()
            proto.writeFieldEnd()
            proto.writeFieldStop()
            proto.writeStructEnd()
        proto.writeListEnd()
        proto.writeFieldEnd()
        proto.writeFieldBegin("num_rows", TType.I64, 3)
        proto.writeI64(rows)
        proto.writeFieldEnd()
        proto.writeFieldStop()
        proto.writeStructEnd()
    proto.writeListEnd()
    proto.writeFieldEnd()
    # A field this reader does not know (a newer writer's): skipped by its wire type.
    proto.writeFieldBegin("key_value_metadata", TType.MAP, 5)
    proto.writeMapBegin(TType.STRING, TType.DOUBLE, 1)
    proto.writeBinary(b"writer")
    proto.writeDouble(1.5)
    proto.writeMapEnd()
    proto.writeFieldEnd()
    proto.writeFieldStop()
    proto.writeStructEnd()
    return buffer.getvalue()


def parquet_file(footer: bytes) -> bytes:
    return b"PAR1" + b"\0" * 100 + footer + struct.pack("<I", len(footer)) + b"PAR1"


def test_rows_and_codecs_of_every_row_group() -> None:
    footer = encode_footer([(1000, [1, 1]), (24, [1, 0])])
    data = parquet_file(footer)
    assert footer_length("f", len(data), data[-8:]) == len(footer)
    read = read_footer("f", footer)
    assert read.rows == 1024
    assert read.row_group_rows == (1000, 24)
    assert read.codecs == {"SNAPPY", "UNCOMPRESSED"}


def test_a_file_without_the_magic_at_its_end_is_not_parquet() -> None:
    data = parquet_file(encode_footer([(5, [1])]))[:-1]
    with pytest.raises(NotParquet, match="no PAR1 magic"):
        footer_length("part-0", len(data), data[-8:])


def test_a_footer_longer_than_its_file_is_refused() -> None:
    data = b"PAR1" + struct.pack("<I", 10_000) + b"PAR1"
    with pytest.raises(NotParquet, match="footer length of 10000"):
        footer_length("part-0", len(data), data[-8:])


def test_row_groups_that_disagree_with_the_file_count_are_refused() -> None:
    with pytest.raises(NotParquet, match="row groups hold 5 rows, its footer says 6"):
        read_footer("part-0", encode_footer([(5, [1])], num_rows=6))


def test_cut_footer_bytes_do_not_decode() -> None:
    with pytest.raises(NotParquet, match="does not decode"):
        read_footer("part-0", encode_footer([(5, [1])])[:9])
