from __future__ import annotations

import io

import fastavro
import pytest
from avro_ingest.avro.blocks import count_records
from avro_ingest.avro.header import BytesRangeReader, read_header
from avro_ingest.avro.wire import decode_long
from avro_ingest.exceptions import NeedMore, VarintTooLong

from ..helpers import NoSeekStream, zigzag


@pytest.mark.parametrize("value", [0, -1, 1, 63, -64, 64, 2**31, -(2**63), 2**63 - 1])
def test_a_long_decodes_to_itself_and_ends_where_its_bytes_do(value: int) -> None:
    encoded = zigzag(value)
    assert decode_long(b"x" + encoded + b"tail", 1) == (value, 1 + len(encoded))


def test_bytes_that_end_inside_a_long_ask_for_more() -> None:
    with pytest.raises(NeedMore) as more:
        decode_long(zigzag(2**40)[:-1], 0)
    assert more.value.needed == len(zigzag(2**40))


def test_eleven_bytes_with_a_continuation_bit_are_not_a_long() -> None:
    with pytest.raises(VarintTooLong):
        decode_long(b"\xff" * 11, 0)


def test_block_counts_read_across_one_byte_chunks() -> None:
    """The block walker gathers a varint's bytes across a stream's chunks."""
    buffer = io.BytesIO()
    schema = {"type": "record", "name": "R", "fields": [{"name": "n", "type": "long"}]}
    fastavro.writer(buffer, schema, [{"n": i} for i in range(70_000)], sync_interval=1000)
    data = buffer.getvalue()
    header = read_header(BytesRangeReader(data))
    stream = NoSeekStream(data, max_step=1)
    assert count_records(stream, header, chunk_size=1) == 70_000
