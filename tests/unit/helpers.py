"""Shared test helpers: byte-counting readers, an Avro writer and a tiny evaluator for the
HiveQL expressions our conversions produce."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from decimal import Decimal, localcontext
from typing import Any

import fastavro


class CountingReader:
    """RangeReader over bytes that records every call (to prove what the header read costs)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.calls: list[tuple[int, int]] = []
        self.bytes_returned = 0

    def read(self, offset: int, length: int) -> bytes:
        self.calls.append((offset, length))
        chunk = self.data[offset : offset + length]
        self.bytes_returned += len(chunk)
        return chunk


class NoSeekStream:
    """A forward-only stream (like an HTTP response): read(n) only, no seek/tell.

    `max_step` makes read() return at most that many bytes, as network streams may.
    """

    def __init__(self, data: bytes, max_step: int | None = None) -> None:
        self._buf = io.BytesIO(data)
        self._max_step = max_step
        self.largest_request = 0
        self.bytes_read = 0

    def read(self, n: int) -> bytes:
        self.largest_request = max(self.largest_request, n)
        if self._max_step is not None:
            n = min(n, self._max_step)
        chunk = self._buf.read(n)
        self.bytes_read += len(chunk)
        return chunk

    def seek(self, *args: Any) -> None:
        raise io.UnsupportedOperation("not seekable")

    def tell(self) -> int:
        raise io.UnsupportedOperation("not seekable")


def write_avro(
    schema: Any,
    records: list[Any],
    *,
    codec: str = "null",
    sync_interval: int = 16000,
    metadata: dict[str, str] | None = None,
) -> bytes:
    out = io.BytesIO()
    fastavro.writer(
        out,
        fastavro.parse_schema(schema),
        records,
        codec=codec,
        sync_interval=sync_interval,
        metadata=metadata,
    )
    return out.getvalue()


def zigzag(n: int) -> bytes:
    n = (n << 1) ^ (n >> 63)
    out = bytearray()
    while n & ~0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def avro_bytes(value: bytes) -> bytes:
    return zigzag(len(value)) + value


def make_header(meta: list[tuple[bytes, bytes]], sync: bytes = b"S" * 16, *, blocks=1) -> bytes:
    """Hand-made header; `blocks=2` splits the map into two blocks, the second with a
    negative count and byte size (both legal)."""
    body = b"Obj\x01"
    if blocks == 1:
        body += zigzag(len(meta)) + b"".join(avro_bytes(k) + avro_bytes(v) for k, v in meta)
    else:
        first, rest = meta[:1], meta[1:]
        body += zigzag(len(first)) + b"".join(avro_bytes(k) + avro_bytes(v) for k, v in first)
        payload = b"".join(avro_bytes(k) + avro_bytes(v) for k, v in rest)
        body += zigzag(-len(rest)) + zigzag(len(payload)) + payload
    return body + zigzag(0) + sync


def fastavro_count(data: bytes) -> int:
    return sum(1 for _ in fastavro.reader(io.BytesIO(data)))


# --- a tiny evaluator for the HiveQL our conversions emit ------------------------------------
# It follows Hive's semantics for the handful of functions used (hex, substr, conv, concat,
# CAST, CASE) and checks that every DECIMAL(38,0) intermediate stays within 38 digits, so the
# conversion expressions are tested for values, not only for their text.


class D38:
    """An exact integer that must stay within DECIMAL(38,0), as Hive's arithmetic would."""

    LIMIT = 10**38

    def __init__(self, value: int) -> None:
        if abs(value) >= self.LIMIT:
            raise OverflowError(f"{value} leaves DECIMAL(38,0)")
        self.value = value

    @staticmethod
    def _v(other: Any) -> int:
        return other.value if isinstance(other, D38) else int(other)

    def __add__(self, o: Any) -> D38:
        return D38(self.value + self._v(o))

    __radd__ = __add__

    def __sub__(self, o: Any) -> D38:
        return D38(self.value - self._v(o))

    def __rsub__(self, o: Any) -> D38:
        return D38(self._v(o) - self.value)

    def __mul__(self, o: Any) -> D38:
        return D38(self.value * self._v(o))

    __rmul__ = __mul__

    def __neg__(self) -> D38:
        return D38(-self.value)

    def __str__(self) -> str:
        return str(self.value)


def _cast(value: Any, target: str) -> Any:
    if value is None:
        return None
    if target == "INT" or target == "BIGINT":
        return int(str(value))
    if target == "STRING":
        return str(value)
    if target == "TIMESTAMP":
        return datetime(1970, 1, 1) + timedelta(microseconds=int(Decimal(value) * 10**6))
    m = re.fullmatch(r"DECIMAL\((\d+),(\d+)\)", target)
    assert m, target
    precision, scale = int(m.group(1)), int(m.group(2))
    number = Decimal(str(value)) if not isinstance(value, Decimal) else value
    if precision == 38 and scale == 0:
        return D38(int(number))
    quantized = number.quantize(Decimal(1).scaleb(-scale))
    if len(quantized.as_tuple().digits) > precision and quantized != 0:
        return None  # Hive gives NULL on decimal overflow
    return quantized


def eval_hive(expr: str, **columns: Any) -> Any:
    """Evaluate one of our conversion expressions with column values (bytes for BINARY)."""
    py = expr
    py = re.sub(r"`([a-z_][a-z0-9_]*)`", r"_col_\1", py)
    py = re.sub(r" AS ((?:DECIMAL\(\d+,\d+\))|INT|BIGINT|STRING|TIMESTAMP)\)", r', "\1")', py)
    py = py.replace("CAST(", "_cast(")
    # CASE is lazy in Hive (a vectorized CASE that computes both branches gets NULL, not an
    # error, from the branch it discards): lambdas keep the unused branch unevaluated here.
    py = py.replace("CASE WHEN ", "_case(lambda: ").replace(" THEN ", ", lambda: ")
    py = py.replace(" ELSE ", ", lambda: ")
    py = py.replace(" END", ")")
    py = py.replace(" IS NULL", " is None").replace("NULL", "None")
    py = re.sub(r"\b(?:CONCAT|concat)\(", "_concat(", py)
    py = py.replace("hex(", "_hex(").replace("substr(", "_substr(").replace("conv(", "_conv(")
    py = py.replace("named_struct(", "_named_struct(")
    env = {
        "_cast": _cast,
        "_case": lambda cond, a, b: a() if cond() else b(),
        "_concat": lambda *parts: None if None in parts else "".join(map(str, parts)),
        "_hex": lambda b: None if b is None else b.hex().upper(),
        "_substr": lambda s, start, n: None if s is None else s[start - 1 : start - 1 + n],
        "_conv": lambda s, f, t: None if s is None else str(int(s, f)),
        "_named_struct": lambda *kv: dict(zip(kv[::2], kv[1::2], strict=True)),
    }
    env.update({f"_col_{k}": v for k, v in columns.items()})
    with localcontext() as ctx:
        ctx.prec = 100  # Hive's decimals hold 38 digits; Python's default context only 28
        return eval(py, env)
