"""Every file of the shared Avro corpus goes through header reading, counting, type mapping
and DDL rendering; EXPECTED states each file's outcome.

The pipeline order is: header -> count -> plan, and the first error is the file's reason.
Byte-level problems come first because a broken file must be re-sent whatever its schema.
fastavro is the independent check of every count it can read.
"""

from __future__ import annotations

import io
import json

import fastavro
import pytest
from avro_ingest.avro.blocks import count_records
from avro_ingest.avro.header import LocalRangeReader, read_header
from avro_ingest.exceptions import AvroIngestError, TerminalError
from avro_ingest.hive.naming import to_table_name
from avro_ingest.hive.tables import (
    build_plan,
    render_create_avro_temp_table,
    render_create_parquet_table,
    render_insert_overwrite_table,
)

from tests.corpus_facts import CORPUS_DIR, EXPECTED, FASTAVRO_CANNOT_READ, corpus_files

from ..helpers import make_header


def outcome(rel: str) -> tuple[str, int | str]:
    path = CORPUS_DIR / rel
    try:
        header = read_header(LocalRangeReader(path), rel)
        with open(path, "rb") as stream:
            count = count_records(stream, header, rel)
        plan = build_plan(header.schema, rel)
        table = to_table_name(path.stem)
        statements = [
            render_create_avro_temp_table("staging", f"tmp_{table}", f"/in/{rel}", "/s.avsc"),
            render_create_parquet_table(plan, "lake", table, f"/lake/{table}"),
            render_insert_overwrite_table(plan, "lake", table, "staging", f"tmp_{table}"),
        ]
        assert all(s.strip() for s in statements)
        assert all(f"`{c.name}`" in statements[1] for c in plan.columns)
        return ("ddl", count)
    except AvroIngestError as exc:
        assert isinstance(exc, TerminalError), exc
        assert exc.file == rel
        return ("error", exc.reason)


def test_every_corpus_file_has_an_expectation():
    files = corpus_files()
    assert len(files) >= 50, f"corpus not found or incomplete at {CORPUS_DIR}"
    assert sorted(EXPECTED) == files


@pytest.mark.parametrize("rel", sorted(EXPECTED))
def test_corpus_outcome(rel):
    assert outcome(rel) == EXPECTED[rel]


@pytest.mark.parametrize("rel", sorted(EXPECTED))
def test_count_agrees_with_fastavro(rel):
    path = CORPUS_DIR / rel
    header = read_header(LocalRangeReader(path))
    if rel in FASTAVRO_CANNOT_READ:
        with pytest.raises(FASTAVRO_CANNOT_READ[rel]), open(path, "rb") as stream:
            sum(1 for _ in fastavro.reader(stream))
        return
    with open(path, "rb") as stream:
        reader = fastavro.reader(stream)
        expected = sum(1 for _ in reader)
    with open(path, "rb") as stream:
        assert count_records(stream, header) == expected
    assert json.loads(json.dumps(header.schema)) == header.schema


def test_sync_in_meta_count_checked_by_fastavro_after_dropping_the_binary_entry():
    """fastavro cannot read syncInMeta.avro (it decodes metadata as UTF-8): rebuild the header
    without the avro.sync entry and let fastavro count the unchanged blocks."""
    data = (CORPUS_DIR / "apache-avro/syncInMeta.avro").read_bytes()
    header = read_header(LocalRangeReader(CORPUS_DIR / "apache-avro/syncInMeta.avro"))
    assert header.metadata["avro.sync"] == header.sync_marker
    meta = {k.encode(): v for k, v in header.metadata.items() if k != "avro.sync"}
    rebuilt = make_header(list(meta.items()), header.sync_marker) + data[header.header_length :]
    assert (
        sum(1 for _ in fastavro.reader(io.BytesIO(rebuilt)))
        == 6001
        == EXPECTED["apache-avro/syncInMeta.avro"][1]
    )
