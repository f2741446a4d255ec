from __future__ import annotations

import io
import json

import fastavro
import pytest
from avro_ingest.avro import header
from avro_ingest.avro.header import (
    BytesRangeReader,
    LocalRangeReader,
    check_codec_library,
    read_header,
)
from avro_ingest.exceptions import (
    CodecLibraryMissing,
    CorruptHeader,
    EmptyFile,
    HeaderTooLarge,
    InvalidSchema,
    NotAvroFile,
    TruncatedFile,
    UnsupportedCodec,
)

from ..helpers import CountingReader, avro_bytes, make_header, write_avro, zigzag

SCHEMA = {"type": "record", "name": "R", "fields": [{"name": "a", "type": "long"}]}


def test_reads_a_fastavro_file():
    data = write_avro(SCHEMA, [{"a": 1}], codec="deflate", metadata={"k": "v"})
    header = read_header(BytesRangeReader(data), "f.avro")
    assert header.schema == SCHEMA
    assert header.codec == "deflate"
    assert header.metadata["k"] == b"v"
    reader = fastavro.reader(io.BytesIO(data))
    assert header.sync_marker == reader._header["sync"]
    assert len(header.sync_marker) == 16
    # the first block starts right after the header
    assert data[header.header_length :] and header.header_length < len(data)
    assert header.bytes_read == len(data)  # small file: the first window holds it all


def test_local_range_reader(tmp_path):
    path = tmp_path / "f.avro"
    path.write_bytes(write_avro(SCHEMA, [{"a": 1}]))
    assert read_header(LocalRangeReader(path)).schema == SCHEMA
    assert LocalRangeReader(path).read(10**6, 10) == b""


def test_map_with_negative_block_count_and_size():
    schema = json.dumps(SCHEMA).encode()
    data = make_header([(b"avro.codec", b"null"), (b"avro.schema", schema), (b"x", b"y")], blocks=2)
    header = read_header(BytesRangeReader(data))
    assert header.metadata == {"avro.codec": b"null", "avro.schema": schema, "x": b"y"}
    assert header.header_length == len(data)


def test_missing_codec_means_null_and_unknown_codec_is_terminal():
    schema = json.dumps(SCHEMA).encode()
    assert read_header(BytesRangeReader(make_header([(b"avro.schema", schema)]))).codec == "null"
    with pytest.raises(UnsupportedCodec) as info:
        read_header(
            BytesRangeReader(make_header([(b"avro.schema", schema), (b"avro.codec", b"lz4")])), "f"
        )
    assert info.value.codec == "lz4" and info.value.reason == "unknown_codec"
    assert info.value.file == "f"


def test_metadata_that_is_not_utf8_does_not_crash():
    schema = json.dumps(SCHEMA).encode()
    data = make_header([(b"avro.schema", schema), (b"blob", b"\xff\xfe\x00\xd7")])
    assert read_header(BytesRangeReader(data)).metadata["blob"] == b"\xff\xfe\x00\xd7"


def test_empty_file_is_terminal_empty_file():
    with pytest.raises(EmptyFile) as info:
        read_header(BytesRangeReader(b""), "/in/empty.avro")
    assert info.value.reason == "empty_file" and info.value.file == "/in/empty.avro"


@pytest.mark.parametrize("data", [b"PAR1\x00\x00", b'{"json": true}', b"Obj\x02rest", b"\x00"])
def test_not_avro(data):
    with pytest.raises(NotAvroFile) as info:
        read_header(BytesRangeReader(data))
    assert info.value.reason == "not_avro" and info.value.got == data[:4]


@pytest.mark.parametrize("cut", [1, 3, 4, 5, 30, -16, -1])
def test_truncated_header(cut):
    data = write_avro(SCHEMA, [])
    header_length = read_header(BytesRangeReader(data)).header_length
    with pytest.raises(TruncatedFile) as info:
        read_header(BytesRangeReader(data[: header_length + cut if cut < 0 else cut]))
    assert info.value.reason == "truncated"


def test_invalid_schema_json_and_invalid_schema():
    for raw in (
        b"{not json",
        b'{"type": "record", "name": "R", "fields": [{"name": "a"}]}',
        b'"nosuchtype"',
        b"\xff\xfe",
    ):
        with pytest.raises(InvalidSchema) as info:
            read_header(BytesRangeReader(make_header([(b"avro.schema", raw)])))
        assert info.value.reason == "invalid_schema"


def test_missing_schema_is_corrupt_header():
    with pytest.raises(CorruptHeader, match=r"no avro\.schema"):
        read_header(BytesRangeReader(make_header([(b"avro.codec", b"null")])))


def test_negative_length_is_corrupt_header_with_offset():
    data = b"Obj\x01" + zigzag(1) + zigzag(-3) + b"x" * 40
    with pytest.raises(CorruptHeader) as info:
        read_header(BytesRangeReader(data))
    assert info.value.offset == 5 and "negative" in str(info.value)


def test_overlong_varint_is_corrupt_header():
    with pytest.raises(CorruptHeader, match="longer than 10 bytes"):
        read_header(BytesRangeReader(b"Obj\x01" + b"\xff" * 20 + b"\x00" * 30))


def huge_schema(fields: int = 5000) -> dict:
    return {
        "type": "record",
        "name": "Wide",
        "fields": [
            {
                "name": f"field_{i}",
                "type": ["null", "string"],
                "default": None,
                "doc": f"Documentation for field number {i}, long enough to make the header big.",
            }
            for i in range(fields)
        ],
    }


def test_header_larger_than_64k_is_read_by_doubling_the_window():
    schema = huge_schema()
    data = write_avro(schema, [{"field_0": "x"}])
    reader = CountingReader(data)
    header = read_header(reader)
    assert header.header_length > 5 * 64 * 1024
    assert header.schema["fields"][4999]["name"] == "field_4999"
    # windows 64K, 128K, 256K, 512K (at most): each read asks only for the new part
    offsets = [offset for offset, _ in reader.calls]
    assert offsets == sorted(set(offsets)) and offsets[0] == 0
    assert len(reader.calls) <= 5
    assert header.bytes_read == reader.bytes_returned < 2 * header.header_length + 64 * 1024


def test_header_over_cap_is_header_too_large():
    data = write_avro(huge_schema(500), [])
    with pytest.raises(HeaderTooLarge) as info:
        read_header(BytesRangeReader(data), "/in/wide.avro", initial=1024, cap=8 * 1024)
    assert info.value.cap == 8 * 1024 and info.value.reason == "header_too_large"
    assert info.value.file == "/in/wide.avro"


def test_declared_huge_length_fails_without_reading_up_to_the_cap():
    data = b"Obj\x01" + zigzag(1) + avro_bytes(b"avro.schema") + zigzag(10**12)
    reader = CountingReader(data + b"\x00" * 100)
    with pytest.raises(HeaderTooLarge) as info:
        read_header(reader, cap=1024 * 1024)
    assert info.value.needed and info.value.needed > 10**12
    assert len(reader.calls) == 1


def test_bytes_read_do_not_grow_with_file_size():
    small = write_avro(SCHEMA, [{"a": i} for i in range(10)])
    large = write_avro(SCHEMA, [{"a": i} for i in range(300_000)])
    assert len(large) > 10 * 64 * 1024
    small_reader, large_reader = CountingReader(small), CountingReader(large)
    read_header(small_reader)
    header = read_header(large_reader)
    assert large_reader.bytes_returned == 64 * 1024 == header.bytes_read
    assert len(large_reader.calls) == 1


def test_initial_and_cap_are_checked():
    with pytest.raises(ValueError):
        read_header(BytesRangeReader(b"Obj\x01"), initial=8)
    with pytest.raises(ValueError):
        read_header(BytesRangeReader(b"Obj\x01"), initial=1024, cap=512)


def test_codec_libraries():
    for codec in ("null", "deflate", "bzip2", "xz", "snappy", "zstandard"):
        check_codec_library(codec)  # installed in the test environment
    with pytest.raises(UnsupportedCodec):
        check_codec_library("lzo")


def test_codec_library_missing_says_what_to_install(monkeypatch):
    monkeypatch.setattr(header.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(CodecLibraryMissing) as info:
        check_codec_library("snappy", file="/in/a.avro")
    assert info.value.package == "cramjam" and "pip install cramjam" in str(info.value)
    with pytest.raises(CodecLibraryMissing, match=r"backports\.zstd"):
        check_codec_library("zstandard")
    check_codec_library("null")  # needs nothing
