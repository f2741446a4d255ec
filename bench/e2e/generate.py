"""End-to-end benchmark inputs: realistic Avro files written with fastavro.

Columns cycle through ten kinds, each with a `doc`: long, string (5 to 40 characters), double,
int, boolean, [null, string], [null, long], timestamp-millis, date and decimal(12,2) on bytes.
Column 0 is a row id unique over the whole set (file index and row), which the correctness
check uses. Values have realistic cardinality: longs, doubles, ints, timestamps and dates are
drawn at random from wide ranges per row; strings and decimals are drawn per row from pools of
200,000 distinct values (too many for Parquet's dictionaries to flatter: a dictionary page
holds 1 MB). Files are written by worker processes (one per core) and cached under
bench/.work/e2e/data/<set key>/ next to a JSON description; a set is regenerated only when its
description is missing or differs.

    .venv/bin/python bench/e2e/generate.py small      # 1,000 files x 1,000 rows, 50 columns
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import multiprocessing
import os
import shutil
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import fastavro
import numpy as np

__all__ = ["SetSpec", "build_schema", "ensure_set", "expected_row"]

GENERATOR_VERSION = 1
REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "bench" / ".work" / "e2e" / "data"
POOL = 200_000
SYNC_MARKER = bytes(range(0x30, 0x40))
EPOCH_MS_2020 = 1_577_836_800_000
DAY_MS = 86_400_000

# (Avro type, field stem, doc)
_KINDS: tuple[tuple[Any, str, str], ...] = (
    ("long", "account_id", "Identifier of the account in the CRM; stable, never reused."),
    ("string", "store_code", "Code of the store or web shop that took the order."),
    ("double", "amount_eur", "Line amount in euros at the daily reference rate, VAT included."),
    ("int", "quantity", "Units on this order line; negative for returns."),
    ("boolean", "is_gift", "True when the customer asked for gift wrapping."),
    (["null", "string"], "coupon", "Coupon code applied to the line, when there was one."),
    (["null", "long"], "parent_id", "Order line this one corrects, when it is a correction."),
    (
        {"type": "long", "logicalType": "timestamp-millis"},
        "booked_at",
        "When the line was booked, UTC, milliseconds.",
    ),
    ({"type": "int", "logicalType": "date"}, "ship_date", "Planned shipping date (local)."),
    (
        {"type": "bytes", "logicalType": "decimal", "precision": 12, "scale": 2},
        "net_price",
        "Net unit price in the order's currency, exact to the cent.",
    ),
)


@dataclass(frozen=True)
class SetSpec:
    """A set of files: `files` files of `rows` rows each, `columns` columns, one codec."""

    name: str
    columns: int
    files: int
    rows: int
    codec: str = "deflate"
    rows_per_block: int = 16_000
    seed: int = 7

    @property
    def key(self) -> str:
        return (
            f"{self.name}-c{self.columns}-f{self.files}-r{self.rows}-{self.codec}"
            f"-b{self.rows_per_block}-s{self.seed}-v{GENERATOR_VERSION}"
        )

    @property
    def folder(self) -> Path:
        return DATA / self.key


def build_schema(columns: int, name: str = "order_line") -> dict[str, Any]:
    fields: list[dict[str, Any]] = [
        {"name": "row_id", "type": "long", "doc": "Row number, unique over the benchmark set."}
    ]
    for i in range(1, columns):
        kind, stem, doc = _KINDS[(i - 1) % len(_KINDS)]
        field: dict[str, Any] = {"name": f"{stem}_{i:03d}", "type": kind, "doc": doc}
        if isinstance(kind, list):
            field["default"] = None
        fields.append(field)
    return {
        "type": "record",
        "name": name,
        "namespace": "com.example.sales",
        "doc": f"Order lines, {columns} columns (benchmark data).",
        "fields": fields,
    }


def _pools(seed: int) -> tuple[list[str], list[bytes], list[int]]:
    rng = np.random.default_rng(seed)
    alphabet = np.frombuffer(
        b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_", "u1"
    )
    lengths = rng.integers(5, 41, POOL)
    chars = alphabet[rng.integers(0, len(alphabet), (POOL, 40))]
    raw = chars.tobytes()
    strings = [raw[i * 40 : i * 40 + int(n)].decode() for i, n in enumerate(lengths)]
    strings = list(dict.fromkeys(strings))  # distinct
    unscaled = rng.integers(-(10**11), 10**11, POOL)
    decimals = [int(u).to_bytes(6, "big", signed=True) for u in unscaled]
    return strings, decimals, [int(u) for u in unscaled]


def _columns(spec: SetSpec, file_index: int, first_row: int, n: int, pools: Any) -> list[list[Any]]:
    strings, decimals, _ = pools
    rng = np.random.default_rng((spec.seed, file_index, first_row))
    cols: list[list[Any]] = [list(range(first_row, first_row + n))]
    for i in range(1, spec.columns):
        kind = (i - 1) % len(_KINDS)
        if kind == 0:
            col = rng.integers(1, 10**12, n).tolist()
        elif kind == 1:
            idx = rng.integers(0, len(strings), n)
            col = [strings[j] for j in idx]
        elif kind == 2:
            col = np.round(rng.uniform(0, 10_000, n), 2).tolist()
        elif kind == 3:
            col = rng.integers(-20, 500, n).tolist()
        elif kind == 4:
            col = (rng.random(n) < 0.2).tolist()
        elif kind == 5:
            idx = rng.integers(0, len(strings), n)
            null = rng.random(n) < 0.7
            col = [None if z else strings[j] for j, z in zip(idx, null, strict=True)]
        elif kind == 6:
            vals = rng.integers(1, 10**12, n).tolist()
            null = (rng.random(n) < 0.9).tolist()
            col = [None if z else v for v, z in zip(vals, null, strict=True)]
        elif kind == 7:
            col = (EPOCH_MS_2020 + rng.integers(0, 6 * 365 * DAY_MS, n)).tolist()
        elif kind == 8:
            col = (18_262 + rng.integers(0, 6 * 365, n)).tolist()
        else:
            idx = rng.integers(0, len(decimals), n)
            col = [decimals[j] for j in idx]
        cols.append(col)
    return cols


def _records(spec: SetSpec, names: list[str], cols: list[list[Any]]) -> list[dict[str, Any]]:
    return [dict(zip(names, values, strict=True)) for values in zip(*cols, strict=True)]


_POOLS: Any = None


def _init(seed: int) -> None:
    global _POOLS
    _POOLS = _pools(seed)


def _write_file(args: tuple[SetSpec, int, str]) -> int:
    spec, index, path = args
    schema = fastavro.parse_schema(build_schema(spec.columns))
    names = [f["name"] for f in build_schema(spec.columns)["fields"]]
    first = index * spec.rows

    def blocks() -> Any:
        done = 0
        while done < spec.rows:
            n = min(spec.rows_per_block, spec.rows - done)
            yield from _records(spec, names, _columns(spec, index, first + done, n, _POOLS))
            done += n

    with open(path, "wb") as out:
        fastavro.writer(
            out,
            schema,
            blocks(),
            codec=_codec(spec, index),
            sync_interval=1 << 20,
            sync_marker=SYNC_MARKER,
        )
    return os.path.getsize(path)


def _codec(spec: SetSpec, index: int) -> str:
    """'mixed': deflate for even-numbered files, snappy for odd ones."""
    if spec.codec == "mixed":
        return "deflate" if index % 2 == 0 else "snappy"
    return spec.codec


def _write_large_part(args: tuple[SetSpec, int, int, int, str]) -> int:
    """Rows [first, first + n) of file 0 as a headerless run of blocks."""
    spec, part, first, n, path = args
    schema = fastavro.parse_schema(build_schema(spec.columns))
    names = [f["name"] for f in build_schema(spec.columns)["fields"]]
    header = _header(spec)
    buffer = io.BytesIO()
    done = 0
    w = fastavro.write.Writer(
        buffer, schema, codec=spec.codec, sync_interval=1 << 20, sync_marker=SYNC_MARKER
    )
    while done < n:
        k = min(spec.rows_per_block, n - done)
        for record in _records(spec, names, _columns(spec, part, first + done, k, _POOLS)):
            w.write(record)
        done += k
    w.flush()
    data = buffer.getvalue()
    assert data[: len(header)] == header
    with open(path, "wb") as out:
        out.write(data[len(header) :])
    return n


def _header(spec: SetSpec) -> bytes:
    buffer = io.BytesIO()
    fastavro.writer(
        buffer,
        fastavro.parse_schema(build_schema(spec.columns)),
        [],
        codec=spec.codec,
        sync_marker=SYNC_MARKER,
    )
    return buffer.getvalue()


def expected_row(spec: SetSpec, row_id: int) -> dict[str, Any]:
    """The generated values of one row (as Hive returns them: decimals as strings of the
    number, timestamps as 'YYYY-MM-DD HH:MM:SS[.fff]', dates as 'YYYY-MM-DD')."""
    pools = _POOLS or _pools(spec.seed)
    if spec.files == 1:  # the large file: parts of _LARGE_PART_ROWS rows
        index = row_id // _LARGE_PART_ROWS
        first = index * _LARGE_PART_ROWS
        end = min(first + _LARGE_PART_ROWS, spec.rows)
    else:
        index = row_id // spec.rows
        first = index * spec.rows
        end = first + spec.rows
    block_first = first + (row_id - first) // spec.rows_per_block * spec.rows_per_block
    n = min(spec.rows_per_block, end - block_first)
    cols = _columns(spec, index, block_first, n, pools)
    names = [f["name"] for f in build_schema(spec.columns)["fields"]]
    values = {name: col[row_id - block_first] for name, col in zip(names, cols, strict=True)}
    out: dict[str, Any] = {}
    for i, (name, value) in enumerate(values.items()):
        kind = (i - 1) % len(_KINDS) if i else -1
        if value is None:
            out[name] = None
        elif kind == 7:
            out[name] = (
                dt.datetime.fromtimestamp(value / 1000, dt.UTC)
                .strftime("%Y-%m-%d %H:%M:%S.%f")
                .rstrip("0")
                .rstrip(".")
            )
        elif kind == 8:
            out[name] = (dt.date(1970, 1, 1) + dt.timedelta(days=value)).isoformat()
        elif kind == 9:
            out[name] = f"{int.from_bytes(value, 'big', signed=True) / 100:.2f}"
        else:
            out[name] = value
    return out


_LARGE_PART_ROWS = 160_000


def ensure_set(spec: SetSpec, workers: int | None = None) -> dict[str, Any]:
    """Generate the set unless cached; returns its description."""
    folder = spec.folder
    described = folder / "_set.json"
    if described.exists():
        info = json.loads(described.read_text())
        if info.get("spec") == asdict(spec):
            return info
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "files").mkdir(parents=True)
    workers = workers or os.cpu_count() or 1
    started = time.monotonic()
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(workers, initializer=_init, initargs=(spec.seed,)) as pool:
        if spec.files > 1:
            jobs = [
                (spec, i, str(folder / "files" / f"part-{i:05d}.avro")) for i in range(spec.files)
            ]
            sizes = pool.map(_write_file, jobs, chunksize=8)
        else:
            parts = []
            for p, first in enumerate(range(0, spec.rows, _LARGE_PART_ROWS)):
                n = min(_LARGE_PART_ROWS, spec.rows - first)
                parts.append((spec, p, first, n, str(folder / f"part-{p:04d}.blocks")))
            pool.map(_write_large_part, parts, chunksize=1)
            target = folder / "files" / f"{spec.name}.avro"
            with open(target, "wb") as out:
                out.write(_header(spec))
                for part in parts:
                    with open(part[4], "rb") as src:
                        shutil.copyfileobj(src, out, 16 << 20)
                    os.remove(part[4])
            sizes = [target.stat().st_size]
    info = {
        "spec": asdict(spec),
        "key": spec.key,
        "files": spec.files,
        "rows": spec.files * spec.rows,
        "bytes": sum(sizes),
        "generated_seconds": round(time.monotonic() - started, 1),
    }
    described.write_text(json.dumps(info, indent=1))
    return info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--columns", type=int, default=50)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--codec", default="deflate")
    parser.add_argument("name")
    a = parser.parse_args()
    info = ensure_set(SetSpec(a.name, a.columns, a.files, a.rows, a.codec))
    json.dump(info, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
