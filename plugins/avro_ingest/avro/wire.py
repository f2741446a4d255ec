"""Avro's binary encoding of a `long`: a zigzag variable-length integer (Avro 1.11
specification, "Binary Encoding"). The one decoder of it, for the header and the blocks."""

from __future__ import annotations

from avro_ingest.exceptions import NeedMore, VarintTooLong

__all__ = ["MAX_VARINT_BYTES", "decode_long"]

# A zigzag varint for a 64-bit long never needs more than 10 bytes.
MAX_VARINT_BYTES = 10


def decode_long(buf: bytes, pos: int) -> tuple[int, int]:
    """Decode one zigzag varint long at `pos`; return (value, next position)."""
    result = 0
    shift = 0
    start = pos
    while True:
        if pos >= len(buf):
            raise NeedMore(pos + 1)
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return (result >> 1) ^ -(result & 1), pos
        shift += 7
        if pos - start >= MAX_VARINT_BYTES:
            raise VarintTooLong()
