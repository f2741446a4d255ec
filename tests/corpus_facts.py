"""The Avro corpus (files written by other projects' writers) and what each file must come to:
read by the unit tests and, on the real stack, by the integration tests."""

from __future__ import annotations

import os
from pathlib import Path

# The corpus of Avro files written by other projects' writers: the copy kept in the repository
# (tests/corpus, with its sources and licences), or another one named by $AVRO_CORPUS_DIR.
CORPUS_DIR = Path(
    os.environ.get("AVRO_CORPUS_DIR") or Path(__file__).resolve().parent / "corpus"
).resolve()


def corpus_files() -> list[str]:
    """Every .avro file of the corpus, as a path relative to CORPUS_DIR."""
    return sorted(str(p.relative_to(CORPUS_DIR)) for p in CORPUS_DIR.rglob("*.avro"))


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
