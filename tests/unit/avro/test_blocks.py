from __future__ import annotations

import io

import pytest
from avro_ingest.avro.blocks import count_records, fingerprint
from avro_ingest.avro.header import BytesRangeReader, read_header
from avro_ingest.exceptions import CorruptBlock, InvalidSchema, TruncatedFile

from ..helpers import NoSeekStream, fastavro_count, write_avro

SCHEMA = {
    "type": "record",
    "name": "R",
    "fields": [{"name": "a", "type": "long"}, {"name": "s", "type": "string"}],
}


def rows(n: int) -> list[dict]:
    return [{"a": i, "s": "x" * (i % 50)} for i in range(n)]


def count_bytes(data: bytes, **kwargs) -> int:
    header = read_header(BytesRangeReader(data))
    return count_records(io.BytesIO(data), header, "f.avro", **kwargs)


def block_ends(data: bytes) -> list[int]:
    """Offsets right after each sync marker (header end included)."""
    header = read_header(BytesRangeReader(data))
    ends, at = [header.header_length], header.header_length
    while True:
        found = data.find(header.sync_marker, at)
        if found < 0:
            return ends
        at = found + 16
        ends.append(at)


@pytest.mark.parametrize("codec", ["null", "deflate", "snappy", "zstandard", "bzip2", "xz"])
@pytest.mark.parametrize("n", [0, 1, 7, 2500])
def test_count_matches_fastavro(codec, n):
    data = write_avro(SCHEMA, rows(n), codec=codec, sync_interval=2000)
    assert count_bytes(data) == fastavro_count(data) == n


def test_non_seekable_stream_with_short_reads():
    data = write_avro(SCHEMA, rows(3000), sync_interval=1000)
    header = read_header(BytesRangeReader(data))
    stream = NoSeekStream(data, max_step=7)
    assert count_records(stream, header) == 3000
    assert stream.bytes_read == len(data)


def test_stream_opened_after_the_header():
    data = write_avro(SCHEMA, rows(100))
    header = read_header(BytesRangeReader(data))
    stream = NoSeekStream(data[header.header_length :])
    assert count_records(stream, header, position=header.header_length) == 100
    with pytest.raises(ValueError):
        count_records(NoSeekStream(data), header, position=header.header_length + 1)


def test_large_block_is_skipped_in_bounded_chunks():
    # one block of ~2 MB: memory use must not depend on it
    data = write_avro(SCHEMA, rows(60_000), sync_interval=50 * 1024 * 1024)
    assert len(block_ends(data)) == 2  # header + a single block
    header = read_header(BytesRangeReader(data))
    stream = NoSeekStream(data)
    assert count_records(stream, header, chunk_size=4096) == 60_000
    assert stream.largest_request == 4096
    assert len(data) > 100 * 4096


def test_every_cut_is_truncated_or_ends_on_a_block_boundary():
    data = write_avro(SCHEMA, rows(40), sync_interval=100)
    header = read_header(BytesRangeReader(data))
    ends = block_ends(data)
    complete = {end: fastavro_count(data[:end]) for end in ends}
    for cut in range(header.header_length, len(data)):
        prefix = data[:cut]
        if cut in complete:
            assert count_records(io.BytesIO(prefix), header) == complete[cut]
            continue
        with pytest.raises(TruncatedFile) as info:
            count_records(io.BytesIO(prefix), header, "cut.avro")
        assert info.value.reason == "truncated" and info.value.file == "cut.avro"
        assert header.header_length <= info.value.offset <= cut


def test_truncated_error_names_offset_of_the_sync_marker():
    data = write_avro(SCHEMA, rows(5))
    with pytest.raises(TruncatedFile) as info:
        count_bytes(data[:-9])
    assert info.value.offset == len(data) - 16
    assert (info.value.needed, info.value.got) == (16, 7)
    assert "sync marker at offset" in str(info.value)


def test_bad_sync_is_corrupt_block_with_expected_and_got():
    data = bytearray(write_avro(SCHEMA, rows(50), sync_interval=200))
    header = read_header(BytesRangeReader(bytes(data)))
    second_sync = block_ends(bytes(data))[2] - 16
    data[second_sync + 3] ^= 0xFF
    with pytest.raises(CorruptBlock) as info:
        count_bytes(bytes(data))
    err = info.value
    assert err.reason == "bad_sync" and err.offset == second_sync
    assert err.expected == header.sync_marker and err.got != header.sync_marker
    assert f"expected sync {header.sync_marker!r} at offset {second_sync}, got {err.got!r}" in str(
        err
    )


def test_garbage_after_last_block_is_detected():
    data = write_avro(SCHEMA, rows(5))
    with pytest.raises((CorruptBlock, TruncatedFile)):
        count_bytes(data + b"\x02\x04abcd" + b"\x00" * 16)


def test_negative_block_count_and_size_are_corrupt_block():
    data = write_avro(SCHEMA, [])
    with pytest.raises(CorruptBlock) as info:
        count_bytes(data + b"\x01\x02")  # count -1
    assert info.value.reason == "corrupt_block" and "negative block count" in str(info.value)
    with pytest.raises(CorruptBlock, match="negative block size"):
        count_bytes(data + b"\x02\x03")  # count 1, size -2


def test_empty_block_with_valid_sync_counts_zero():
    data = write_avro(SCHEMA, rows(3))
    header = read_header(BytesRangeReader(data))
    assert count_bytes(data + b"\x00\x00" + header.sync_marker) == 3


def test_fingerprint_is_canonical():
    a = {"type": "record", "name": "R", "doc": "x", "fields": [{"name": "a", "type": "int"}]}
    b = {
        "fields": [{"type": {"type": "int"}, "name": "a", "doc": "d"}],
        "name": "R",
        "type": "record",
    }
    c = {"type": "record", "name": "R", "fields": [{"name": "a", "type": "long"}]}
    assert fingerprint(a) == fingerprint(b) != fingerprint(c)
    assert len(fingerprint(a)) == 64 and int(fingerprint(a), 16) >= 0
    # known value: sha256 of the canonical form '"int"'
    assert fingerprint("int") == "3f2b87a9fe7cc9b13835598c3981cd45e3e355309e5090aa0933d7becb6fba45"
    with pytest.raises(InvalidSchema):
        fingerprint({"type": "nosuch"})


def _one_field(field_type: object) -> dict[str, object]:
    return {"type": "record", "name": "R", "fields": [{"name": "a", "type": field_type}]}


def test_fingerprint_tells_logical_types_apart():
    """Files whose bytes Hive reads differently must never share a batch."""
    decimal_2 = {"type": "bytes", "logicalType": "decimal", "precision": 12, "scale": 2}
    decimal_4 = {"type": "bytes", "logicalType": "decimal", "precision": 12, "scale": 4}
    millis = {"type": "long", "logicalType": "timestamp-millis"}
    micros = {"type": "long", "logicalType": "timestamp-micros"}
    variants = [
        _one_field("long"),
        _one_field(millis),
        _one_field(micros),
        _one_field(["null", millis]),
        _one_field("bytes"),
        _one_field(decimal_2),
        _one_field(decimal_4),
        _one_field({"type": "array", "items": decimal_2}),
        _one_field({"type": "array", "items": decimal_4}),
        _one_field({"type": "map", "values": micros}),
        _one_field({"type": "map", "values": millis}),
    ]
    prints = [fingerprint(v) for v in variants]
    assert len(set(prints)) == len(variants)
    # Docs and attribute order still do not matter when logical types are present.
    documented = _one_field({"logicalType": "timestamp-millis", "type": "long"})
    documented["doc"] = "when"
    assert fingerprint(documented) == fingerprint(_one_field(millis))
