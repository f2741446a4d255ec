"""Benchmark inputs: Avro files of a given width and size, written with fastavro.

Every field carries a `doc` string and the types cycle through long, string, double, int,
boolean, a nullable union and timestamp-millis; blocks are deflate-compressed.

Writing a 1 GB file of 5,000 columns row by row through fastavro would take far longer than
the benchmark itself, so a few distinct blocks are encoded once (same header, same sync
marker) and then appended in turn until the file reaches its size. The result is a valid
object container file: header, then blocks of (count, size, data, sync). Files are cached
next to a JSON description; a file is regenerated only when its description is missing or
was written by another version of this generator.
"""

from __future__ import annotations

import io
import json
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import fastavro

__all__ = ["GENERATOR_VERSION", "FileSpec", "GeneratedFile", "build_schema", "ensure_file"]

GENERATOR_VERSION = 2
SYNC_MARKER = bytes(range(0xA0, 0xB0))
DISTINCT_BLOCKS = 4
MAX_BLOCK_BYTES = 2 * 1024 * 1024
MIN_BLOCK_BYTES = 16 * 1024
SAMPLE_ROWS = 8

Row = dict[str, Any]
ValueMaker = Callable[[random.Random], Any]

_WORDS = (
    "amber", "basalt", "cedar", "delta", "ember", "fjord", "garnet", "harbor", "indigo",
    "juniper", "kestrel", "lagoon", "meadow", "nimbus", "orchid", "prairie", "quartz",
    "raven", "sierra", "tundra", "umber", "violet", "willow", "yarrow", "zephyr",
)  # fmt: skip


def _word(rng: random.Random) -> str:
    return f"{rng.choice(_WORDS)}-{rng.randrange(1_000_000):06d}"


# (Avro type, field stem, doc, value maker): the types cycle over the columns.
_COLUMN_KINDS: tuple[tuple[Any, str, str, ValueMaker], ...] = (
    (
        "long",
        "customer_id",
        "Identifier of the customer in the CRM; stable across accounts, never reused.",
        lambda rng: rng.randrange(1, 10**12),
    ),
    (
        "string",
        "store_code",
        "Code of the store or web shop that took the order, as printed on the receipt.",
        _word,
    ),
    (
        "double",
        "amount_eur",
        "Line amount in euros at the daily reference rate, VAT included, two decimals.",
        lambda rng: round(rng.uniform(0, 10_000), 2),
    ),
    (
        "int",
        "quantity",
        "Units on this order line; negative for returns booked against the original.",
        lambda rng: rng.randrange(-20, 500),
    ),
    (
        "boolean",
        "is_gift",
        "True when the customer asked for gift wrapping and a price-free delivery note.",
        lambda rng: rng.random() < 0.2,
    ),
    (
        ["null", "string"],
        "promo_code",
        "Promotion code entered at checkout, or null when none was used; case-insensitive.",
        lambda rng: None if rng.random() < 0.4 else _word(rng),
    ),
    (
        {"type": "long", "logicalType": "timestamp-millis"},
        "updated_at",
        "Time of the last change to the row in the source system, UTC, milliseconds.",
        lambda rng: 1_700_000_000_000 + rng.randrange(10**10),
    ),
)


@dataclass(frozen=True)
class FileSpec:
    """One benchmark input: `columns` wide, about `target_bytes` long."""

    columns: int
    target_bytes: int
    label: str  # "1MB", "100MB", "1GB"

    @property
    def name(self) -> str:
        return f"cols{self.columns}_{self.label}.avro"


@dataclass(frozen=True)
class GeneratedFile:
    """A file on disk and how it was made (generation time is not part of the benchmark)."""

    path: Path
    columns: int
    label: str
    size: int
    rows: int
    blocks: int
    header_length: int
    generation_seconds: float
    version: int = GENERATOR_VERSION


def build_schema(columns: int) -> dict[str, Any]:
    """A record of `columns` documented fields; the types cycle through `_COLUMN_KINDS`."""
    fields: list[dict[str, Any]] = []
    for index in range(columns):
        avro_type, stem, doc, _ = _COLUMN_KINDS[index % len(_COLUMN_KINDS)]
        field: dict[str, Any] = {
            "name": f"{stem}_{index:04d}",
            "type": avro_type,
            "doc": f"{doc} Source column {index + 1} of {columns}.",
        }
        if isinstance(avro_type, list):
            field["default"] = None
        fields.append(field)
    return {
        "type": "record",
        "name": f"OrderLine{columns}",
        "namespace": "bench.schema_read",
        "doc": f"Order lines exported from the shop system, {columns} columns.",
        "fields": fields,
    }


def _makers(columns: int) -> list[tuple[str, ValueMaker]]:
    schema = build_schema(columns)
    return [
        (field["name"], _COLUMN_KINDS[index % len(_COLUMN_KINDS)][3])
        for index, field in enumerate(schema["fields"])
    ]


def _rows(makers: list[tuple[str, ValueMaker]], count: int, rng: random.Random) -> list[Row]:
    return [{name: make(rng) for name, make in makers} for _ in range(count)]


def _encode(parsed: Any, rows: list[Row]) -> bytes:
    """The container file fastavro writes for `rows`: header plus (at most) one block."""
    buffer = io.BytesIO()
    fastavro.writer(
        buffer,
        parsed,
        rows,
        codec="deflate",
        sync_interval=1 << 40,  # every row in one block
        sync_marker=SYNC_MARKER,
    )
    return buffer.getvalue()


def _description_path(path: Path) -> Path:
    return path.with_suffix(".json")


def _load_cached(path: Path) -> GeneratedFile | None:
    description = _description_path(path)
    if not path.exists() or not description.exists():
        return None
    data = json.loads(description.read_text())
    if data.get("version") != GENERATOR_VERSION or data.get("size") != path.stat().st_size:
        return None
    data["path"] = path
    return GeneratedFile(**data)


def ensure_file(spec: FileSpec, folder: Path, *, seed: int = 20240601) -> GeneratedFile:
    """Return the cached file for `spec`, writing it first when needed."""
    path = folder / spec.name
    cached = _load_cached(path)
    if cached is not None:
        return cached
    started = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(f"{seed}-{spec.columns}-{spec.label}")
    schema = build_schema(spec.columns)
    parsed = fastavro.parse_schema(schema)
    makers = _makers(spec.columns)

    header = _encode(parsed, [])
    sample = _encode(parsed, _rows(makers, SAMPLE_ROWS, rng))[len(header) :]
    per_row = max(1.0, len(sample) / SAMPLE_ROWS)
    budget = min(MAX_BLOCK_BYTES, max(MIN_BLOCK_BYTES, (spec.target_bytes - len(header)) // 4))
    rows_per_block = max(1, int(budget / per_row))

    distinct: list[bytes] = []
    size = len(header)
    rows = 0
    blocks = 0
    partial = path.with_suffix(".partial")
    with partial.open("wb") as out:
        out.write(header)
        while True:
            if len(distinct) < DISTINCT_BLOCKS:
                distinct.append(_encode(parsed, _rows(makers, rows_per_block, rng))[len(header) :])
            block = distinct[blocks % len(distinct)]
            # Stop at the block boundary nearest to the target size (at least one block).
            if blocks and size + len(block) - spec.target_bytes > spec.target_bytes - size:
                break
            out.write(block)
            size += len(block)
            rows += rows_per_block
            blocks += 1
    _check(partial, schema, rows)
    partial.replace(path)
    generated = GeneratedFile(
        path=path,
        columns=spec.columns,
        label=spec.label,
        size=size,
        rows=rows,
        blocks=blocks,
        header_length=len(header),
        generation_seconds=round(time.perf_counter() - started, 2),
    )
    description = asdict(generated)
    description["path"] = str(path)
    _description_path(path).write_text(json.dumps(description, indent=2) + "\n")
    return generated


def _check(path: Path, schema: dict[str, Any], rows: int) -> None:
    """Cheap sanity check of a generated file: fastavro decodes its first rows, and the
    block headers (count, size, sync) add up to the expected row count to the last byte."""
    with path.open("rb") as handle:
        reader = fastavro.reader(handle)
        first = next(iter(reader))
    if not isinstance(first, dict) or set(first) != {f["name"] for f in schema["fields"]}:
        raise RuntimeError(f"{path}: first row does not have the schema's fields")
    total = 0
    with path.open("rb") as handle:
        for block in fastavro.block_reader(handle):
            total += block.num_records
    if total != rows:
        raise RuntimeError(f"{path}: {total} rows in the blocks, expected {rows}")
