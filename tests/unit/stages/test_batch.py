from __future__ import annotations

import re

from avro_ingest.files import FileEntry
from avro_ingest.stages.batch import BatchPlan, group_into_batches, mark_alone
from avro_ingest.stages.inspection import FileInfo, table_for
from avro_ingest.stages.layout import claim_id_of, new_claim_id, new_load_id, staged_name

SCHEMA = {"type": "record", "name": "shop.Click", "fields": [{"name": "id", "type": "long"}]}


def info(path: str, fp: str = "fp1", table: str = "click", size: int = 10) -> FileInfo:
    return FileInfo(FileEntry(path, size, 1000), "/l", table, SCHEMA, fp, 5, "null", 64, "header")


def test_files_group_by_schema_and_table() -> None:
    batches = group_into_batches(
        [info("/l/a.avro"), info("/l/b.avro"), info("/l/c.avro", fp="fp2")],
        database="lake",
        ingest_date="2026-11-26",
        max_files=100,
        max_bytes=10**9,
    )
    assert sorted(len(b.files) for b in batches) == [1, 2]
    assert all(b.folder == f"/l/_staging/{b.batch_id}" for b in batches)


def test_limits_split_a_group() -> None:
    infos = [info(f"/l/{i}.avro") for i in range(5)]
    by_files = group_into_batches(
        infos, database="d", ingest_date="x", max_files=2, max_bytes=10**9
    )
    assert [len(b.files) for b in by_files] == [2, 2, 1]
    by_bytes = group_into_batches(infos, database="d", ingest_date="x", max_files=99, max_bytes=25)
    assert [len(b.files) for b in by_bytes] == [2, 2, 1]


def test_a_big_group_splits_into_equal_parts_to_load_side_by_side() -> None:
    infos = [info(f"/l/{i:02}.avro", size=s) for i, s in enumerate([5, 1, 1, 1, 1, 1, 5, 1])]
    batches = group_into_batches(
        infos, database="d", ingest_date="x", max_files=99, max_bytes=999, parts=2
    )
    assert [sum(f.size for f in b.files) for b in batches] == [8, 8]
    # Every file once, in order, and each part gets its own batch id and staging folder.
    assert [f.source for b in batches for f in b.files] == [i.entry.path for i in infos]
    assert len({b.batch_id for b in batches}) == 2
    three = group_into_batches(
        infos, database="d", ingest_date="x", max_files=99, max_bytes=999, parts=3
    )
    assert [[f.size for f in b.files] for b in three] == [[5], [1, 1, 1, 1, 1], [5, 1]]


def test_no_split_below_the_minimum_part_size_or_past_the_file_count() -> None:
    infos = [info(f"/l/{i}.avro", size=10) for i in range(3)]

    def sizes(parts: int, min_part_bytes: int) -> list[int]:
        return [
            len(b.files)
            for b in group_into_batches(
                infos,
                database="d",
                ingest_date="x",
                max_files=99,
                max_bytes=999,
                parts=parts,
                min_part_bytes=min_part_bytes,
            )
        ]

    assert sizes(2, 16) == [3]  # halves of 15 bytes are under 16
    assert sizes(2, 15) == [1, 2]
    assert sizes(8, 1) == [1, 1, 1]  # never an empty batch
    # Limits already give enough batches: they stand as they are.
    by_limits = group_into_batches(
        infos, database="d", ingest_date="x", max_files=1, max_bytes=999, parts=2
    )
    assert [len(b.files) for b in by_limits] == [1, 1, 1]


def test_a_batch_is_alone_when_the_rest_of_its_run_is_under_half_its_size() -> None:
    def alone(*sizes: int) -> list[bool]:
        infos = [info(f"/l/{i}.avro", table=f"t{i}", size=size) for i, size in enumerate(sizes)]
        batches = group_into_batches(
            infos, database="d", ingest_date="x", max_files=99, max_bytes=9999
        )
        return [b.alone for b in mark_alone(batches)]

    assert alone(1000) == [True]
    assert alone(1000, 10, 5) == [True, False, False]  # small tables beside a large one
    # Two halves of a split table (never exactly equal) keep both cores busy side by side.
    assert alone(157, 155) == [False, False]
    assert alone(600, 300) == [False, False]
    assert alone(600, 299) == [True, False]
    assert mark_alone([]) == []


def test_claim_ids_are_fresh_and_a_seal_keeps_its_claim() -> None:
    # Two runs planning the same files must never share a staging folder or a partition.
    ids = {new_claim_id() for _ in range(1000)}
    assert len(ids) == 1000
    claim = new_claim_id()
    sealed = {new_load_id(claim) for _ in range(100)}
    assert len(sealed) == 100
    assert {claim_id_of(s) for s in sealed} == {claim}
    # A second seal replaces the first, so names never grow.
    assert claim_id_of(new_load_id(new_load_id(claim))) == claim
    assert len(new_load_id(new_load_id(claim))) == len(new_load_id(claim))
    # Usable as a Hive table name suffix and partition value as they are.
    assert re.fullmatch(r"[a-z0-9_]+", new_load_id(claim))


def test_rebased_batch_moves_its_files_to_the_new_folder() -> None:
    batch = group_into_batches(
        [info("/l/x/a.avro"), info("/l/b.avro")],
        database="d",
        ingest_date="2026-11-26",
        max_files=9,
        max_bytes=99,
    )[0]
    moved = batch.rebased(new_load_id(batch.batch_id))
    assert [f.staged.rsplit("/", 1)[0] for f in moved.files] == [moved.folder] * 2
    assert [f.staged.rsplit("/", 1)[1] for f in moved.files] == ["b.avro", "x__a.avro"]
    assert [f.source for f in moved.files] == [f.source for f in batch.files]


def test_staged_names_keep_sub_folders_apart() -> None:
    assert staged_name("/l", "/l/x/a.avro") == "x__a.avro"
    assert staged_name("/l", "/l/y/a.avro") == "y__a.avro"


def test_table_rules() -> None:
    assert table_for("schema", "", "/l", "/l/a.avro", SCHEMA) == "click"
    assert table_for("schema", "raw_", "/l", "/l/a.avro", SCHEMA) == "raw_click"
    assert table_for("folder", "", "/l", "/l/Sales-EU/a.avro", SCHEMA) == "sales_eu"
    assert table_for("folder", "", "/data/orders", "/data/orders/a.avro", SCHEMA) == "orders"
    assert table_for("fixed:events", "", "/l", "/l/a.avro", SCHEMA) == "events"


def test_a_batch_survives_its_trip_through_xcom() -> None:
    batch = group_into_batches(
        [info("/l/a.avro")], database="d", ingest_date="2026-11-26", max_files=9, max_bytes=99
    )[0]
    assert BatchPlan.from_dict(batch.to_dict()) == batch
    assert batch.partition == {"ingest_date": "2026-11-26", "batch_id": batch.batch_id}
