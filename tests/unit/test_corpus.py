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
from avro_ingest.count import count_records
from avro_ingest.exceptions import AvroIngestError, TerminalError
from avro_ingest.naming import to_table_name
from avro_ingest.plan import (
    build_plan,
    render_create_avro_temp_table,
    render_create_parquet_table,
    render_insert_overwrite_table,
)
from avro_ingest.read_schema import LocalRangeReader, read_header

from .helpers import CORPUS_DIR, corpus_files, make_header

TOP = ("error", "top_level_not_record")

EXPECTED: dict[str, tuple[str, int | str]] = {
    # A trailing block count (5) with nothing after it; Avro Java stops silently, we do not.
    # (Its second record also has an invalid union index, which counting does not decode.)
    "apache-avro/avro-1237-bad-union-discriminant.avro": ("error", "truncated"),
    "apache-avro/avro-1237-good.avro": TOP,  # ["null", "int"]: 2 records
    "apache-avro/avro-1238-good.avro": TOP,  # ["null", "int"]: 2 records
    "apache-avro/avro-1238-truncated.avro": ("error", "truncated"),  # sync cut after 9 bytes
    "apache-avro/avro-1279-codec.avro": ("ddl", 3),
    "apache-avro/avro-1279-no-codec.avro": ("ddl", 3),  # no avro.codec entry: null
    "apache-avro/mapreduce-part-r-00000.avro": ("ddl", 3),
    "apache-avro/person-10.avro": ("ddl", 10),  # [null,int], enum, nested record
    # Same data as person-10, plus a trailing block count with no block.
    "apache-avro/person-10.no-codec.avro": ("error", "truncated"),
    "apache-avro/simple.avro": ("ddl", 3),
    # avro.sync metadata holds the (non-UTF-8) sync marker itself; 6001 records, deflate.
    "apache-avro/syncInMeta.avro": ("ddl", 6001),
    "apache-avro/weather-deflate.avro": ("ddl", 5),
    "apache-avro/weather-snappy.avro": ("ddl", 5),
    "apache-avro/weather-sorted.avro": ("ddl", 5),
    "apache-avro/weather-zstd.avro": ("ddl", 5),
    "apache-avro/weather.avro": ("ddl", 5),
    "apache-avro/withUnion.avro": ("error", "union_not_supported"),  # ["string", "int"]
    "fastavro/a_triple_pair.avro": ("ddl", 1),  # named record reused by reference
    "fastavro/bool.avro": TOP,
    "fastavro/class_org.apache.avro.tool.TestDataFileTools.seperators.avro": TOP,  # array
    "fastavro/class_org.apache.avro.tool.TestDataFileTools.testWrite.deflate.avro": TOP,
    "fastavro/class_org.apache.avro.tool.TestDataFileTools.testWrite.plain.avro": TOP,
    "fastavro/class_org.apache.avro.tool.TestDataFileTools.zerojsonvalues.avro": TOP,
    "fastavro/deflate.avro": TOP,  # "bytes"
    "fastavro/double_float.avro": ("ddl", 1),  # namespace with "$" (Java reflect)
    "fastavro/error-type.avro": ("ddl", 1),  # "error" is a record
    "fastavro/java-generated-uuid.avro": ("ddl", 151),
    "fastavro/lines.avro": ("ddl", 3),
    "fastavro/m.avro": ("ddl", 1),
    "fastavro/no-fields.avro": ("error", "empty_record"),
    "fastavro/null.avro": TOP,  # "bytes"
    "fastavro/org.apache.avro.tool.TestDataFileTools.avro": TOP,
    "fastavro/part-00000.avro": ("ddl", 17),
    "fastavro/recursive.avro": ("error", "recursive_record"),
    "fastavro/request.avro": ("ddl", 1),
    "fastavro/response.avro": TOP,  # "string"
    "fastavro/snappy.avro": TOP,  # "bytes"
    "fastavro/test-deflate-0.avro": ("ddl", 400),
    "fastavro/test-deflate-1-A.avro": ("ddl", 400),
    "fastavro/test-deflate-1.avro": ("ddl", 400),
    "fastavro/test-deflate-3-A.avro": ("ddl", 400),
    "fastavro/test-deflate-6-B.avro": ("ddl", 200),
    "fastavro/test-deflate-9.avro": ("ddl", 400),
    "fastavro/test-null-B.avro": ("ddl", 200),
    "fastavro/test-null.avro": ("ddl", 400),
    "fastavro/test-snappy.avro": ("ddl", 400),
    "fastavro/test.avro": ("ddl", 2),
    "fastavro/testDataFileMeta.avro": TOP,  # "null", zero records
    "fastavro/weather-legacy-generated.avro": ("ddl", 4),  # array of nested records
    "fastavro/weather-legacy-with-names.avro": ("ddl", 3),
    "fastavro/weather-snappy.avro": ("ddl", 5),
    "fastavro/weather-sorted.avro": ("ddl", 5),
    "fastavro/weather.avro": ("ddl", 5),
}

# Files fastavro cannot read, and why; every other file's count is checked against fastavro.
FASTAVRO_CANNOT_READ = {
    "apache-avro/avro-1237-bad-union-discriminant.avro": IndexError,  # union index 2
    "apache-avro/avro-1238-truncated.avro": ValueError,  # "expected sync marker not found"
    "apache-avro/person-10.no-codec.avro": EOFError,
    "apache-avro/syncInMeta.avro": UnicodeDecodeError,  # decodes metadata as UTF-8
}


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
