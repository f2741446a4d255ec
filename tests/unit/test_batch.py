from __future__ import annotations

from avro_ingest.batch import BatchPlan, group_into_batches
from avro_ingest.files import FileEntry
from avro_ingest.inspect_files import FileInfo, table_for
from avro_ingest.layout import batch_id_for, staged_name

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


def test_batch_id_is_deterministic_and_depends_on_every_file() -> None:
    files = [FileEntry("/l/a.avro", 10, 1), FileEntry("/l/b.avro", 20, 2)]
    assert batch_id_for("t", "fp", files) == batch_id_for("t", "fp", list(reversed(files)))
    touched = [FileEntry("/l/a.avro", 10, 1), FileEntry("/l/b.avro", 20, 3)]
    assert batch_id_for("t", "fp", files) != batch_id_for("t", "fp", touched)
    assert batch_id_for("t", "fp", files) != batch_id_for("u", "fp", files)


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
