"""What must hold after any run, race, crash or retry: every file that landed is in exactly one
place, each table holds exactly the rows of the files archived for it, each partition exactly
its own batch's rows, and nothing temporary is left behind."""

from __future__ import annotations

import io
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import fastavro
from avro_ingest.hooks.hdfs import AvroIngestHdfsHook
from avro_ingest.hooks.hive import AvroIngestHiveHook

SCAN = {"hive.compute.query.using.stats": "false"}


def avro_bytes(schema: Mapping[str, Any], records: list[dict[str, Any]]) -> bytes:
    buffer = io.BytesIO()
    fastavro.writer(buffer, fastavro.parse_schema(dict(schema)), records, codec="deflate")
    return buffer.getvalue()


def files_under(folder: str) -> list[str]:
    hdfs = AvroIngestHdfsHook()
    if not hdfs.exists(folder):
        return []
    return [f"{base}/{n}" for base, _, names in hdfs.client.walk(folder) for n in names]


@dataclass
class Landed:
    """What was delivered: file name -> (table, records)."""

    files: dict[str, tuple[str, int]]

    def records(self, names: set[str] | None = None) -> int:
        return sum(r for n, (_, r) in self.files.items() if names is None or n in names)


def check_nothing_lost(landing: str, landed: Landed) -> dict[str, str]:
    """After a run that failed: every file that landed is in exactly one place under the
    landing folder, none of them loaded or set aside. Returns each file's place."""
    places: dict[str, list[str]] = defaultdict(list)
    for path in files_under(landing):
        name = path.rsplit("/", 1)[-1]
        if name.endswith(".avro"):
            places[name].append(path[len(landing) + 1 :])
    assert set(places) == set(landed.files), set(places) ^ set(landed.files)
    for name, paths in places.items():
        assert len(paths) == 1, f"{name} is in {len(paths)} places: {paths}"
        assert not paths[0].startswith(("_archive/", "_quarantine/")), paths
    return {name: paths[0] for name, paths in places.items()}


def check_exactly_once(landing: str, database: str, landed: Landed) -> dict[str, Any]:
    """Assert the invariants; return where each file ended (archive or quarantine)."""
    hdfs, hive = AvroIngestHdfsHook(), AvroIngestHiveHook()
    places: dict[str, list[str]] = defaultdict(list)
    for path in files_under(landing):
        name = path.rsplit("/", 1)[-1]
        if name.endswith(".avro"):
            places[name].append(path)
    assert set(places) == set(landed.files), set(places) ^ set(landed.files)
    archived: dict[str, list[str]] = defaultdict(list)  # batch id -> its files
    quarantined = set()
    for name, paths in places.items():
        assert len(paths) == 1, f"{name} is in {len(paths)} places: {paths}"
        (path,) = paths
        relative = path[len(landing) + 1 :]
        if relative.startswith("_archive/"):
            archived[relative.split("/")[2]].append(name)
        elif relative.startswith("_quarantine/"):
            assert hdfs.exists(path + ".reason.json"), f"{path} has no reason"
            quarantined.add(name)
        else:
            raise AssertionError(f"{name} is still at {relative}")
    loaded = {n for names in archived.values() for n in names}

    # Each table holds exactly the rows of its archived files, partition by partition.
    tables = {table for table, _ in landed.files.values()}
    existing = {r[0] for r in hive.query(f"SHOW TABLES IN `{database}`")}
    assert not {t for t in existing if t.startswith("tmp_")}, existing
    partitions: dict[str, int] = {}
    for table in sorted(tables & existing):
        rows = hive.query(
            f"SELECT batch_id, COUNT(*) FROM `{database}`.`{table}` GROUP BY batch_id",
            settings=SCAN,
        )
        partitions.update({str(b): int(n) for b, n in rows})
    for table in tables - existing:
        assert not any(landed.files[n][0] == table for n in loaded), f"{table} was not created"
    assert set(partitions) == set(archived), "a partition without its archived batch, or back"
    for batch_id, names in archived.items():
        assert partitions[batch_id] == landed.records(set(names)), batch_id
    assert sum(partitions.values()) == landed.records(loaded)
    for folder in ("_staging", "_committed"):
        left = [p for p in files_under(f"{landing}/{folder}")]
        assert not left, left
    return {"archived": loaded, "quarantined": quarantined, "batches": dict(archived)}


def deliver(
    landing: str, count: int, *, prefix: str = "f", tables: tuple[str, ...] = ("tick", "tock")
) -> Landed:
    """`count` small files spread over one schema per table (`tick` and `tock` unless told),
    1..23 records each."""
    hdfs = AvroIngestHdfsHook()
    files: dict[str, tuple[str, int]] = {}
    for i in range(count):
        table = tables[i % len(tables)]
        records = 1 + (i * 7) % 23
        schema = {
            "type": "record",
            "name": table.capitalize(),
            "fields": [{"name": "n", "type": "long"}, {"name": "file", "type": "string"}],
        }
        name = f"{prefix}{i:03d}.avro"
        rows = [{"n": j, "file": name} for j in range(records)]
        hdfs.write_bytes(f"{landing}/{name}", avro_bytes(schema, rows))
        files[name] = (table, records)
    return Landed(files)


def sealed_folders(landing: str) -> list[str]:
    hdfs = AvroIngestHdfsHook()
    return [
        f
        for f in hdfs.list_folders(f"{landing}/_staging")
        if re.search(r"_[0-9a-f]{8}$", f.rsplit("/", 1)[-1])
    ]
