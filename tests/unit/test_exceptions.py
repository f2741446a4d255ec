from __future__ import annotations

import pytest
from avro_ingest import exceptions as ex


def terminal_examples() -> list[ex.AvroIngestError]:
    return [
        ex.EmptyFile(),
        ex.NotAvroFile(b"PAR1"),
        ex.TruncatedFile(120, 16, 9, "sync marker"),
        ex.CorruptHeader(4, "negative metadata key length -3"),
        ex.CorruptBlock(1234, "block is corrupt", expected=b"\x01" * 16, got=b"\x02" * 16),
        ex.CorruptBlock(99, "negative block size -5"),
        ex.HeaderTooLarge(1024, needed=5000),
        ex.UnsupportedCodec("lz4", ("null", "deflate")),
        ex.InvalidSchema("not JSON"),
        ex.UnsupportedAvroType("a.b", "[string, int]", "union_not_supported", "uniontype"),
        ex.SchemaMismatch("a", "string", "int", "string cannot be read as int"),
        ex.InvalidIdentifier("a`b", "bad"),
        ex.InvalidLiteral("a\nb", "newline"),
    ]


EXPECTED_REASONS = [
    "empty_file",
    "not_avro",
    "truncated",
    "corrupt_header",
    "bad_sync",
    "corrupt_block",
    "header_too_large",
    "unknown_codec",
    "invalid_schema",
    "union_not_supported",
    "schema_mismatch",
    "invalid_identifier",
    "invalid_literal",
]


@pytest.mark.parametrize(
    ("error", "reason"),
    list(zip(terminal_examples(), EXPECTED_REASONS, strict=True)),
    ids=EXPECTED_REASONS,
)
def test_terminal_errors_have_reason_file_and_are_not_retryable(error, reason):
    assert isinstance(error, ex.AvroIngestError)
    assert isinstance(error, ex.TerminalError)
    assert not isinstance(error, ex.TransientError)
    assert error.reason == reason
    assert error.retryable is False
    assert error.file is None
    error.with_file("/in/a.avro")
    assert error.file == "/in/a.avro"
    assert str(error).startswith("/in/a.avro: ")
    # with_file never overwrites a file already known
    error.with_file("/other.avro")
    assert error.file == "/in/a.avro"


def test_bad_sync_message_shows_offset_expected_and_got():
    err = ex.CorruptBlock(1234, "block is corrupt", expected=b"\xaa" * 2, got=b"\xbb" * 2)
    assert "expected sync b'\\xaa\\xaa' at offset 1234, got b'\\xbb\\xbb'" in str(err)
    assert (err.offset, err.expected, err.got) == (1234, b"\xaa\xaa", b"\xbb\xbb")


def test_truncated_message_and_attributes():
    err = ex.TruncatedFile(89, 16, 9, "sync marker", file="x.avro")
    assert (
        str(err)
        == "x.avro: file is truncated: sync marker at offset 89 needs 16 bytes, only 9 left"
    )
    assert (err.offset, err.needed, err.got) == (89, 16, 9)


def test_unsupported_type_names_field_type_and_reason():
    err = ex.UnsupportedAvroType("data1", "[string, int]", "union_not_supported", "no uniontype")
    assert (err.field, err.avro_type, err.reason) == (
        "data1",
        "[string, int]",
        "union_not_supported",
    )
    assert "field 'data1'" in str(err) and "[string, int]" in str(err)


def test_schema_mismatch_names_both_types():
    err = ex.SchemaMismatch("a.b", "string", "int", "string cannot be read as int")
    assert "writer string" in str(err) and "reader int" in str(err) and "'a.b'" in str(err)


def test_codec_library_missing_is_neither_terminal_nor_transient():
    err = ex.CodecLibraryMissing("snappy", "cramjam", "cramjam")
    assert isinstance(err, ex.ConfigurationError)
    assert not isinstance(err, ex.TerminalError)
    assert not isinstance(err, ex.TransientError)
    assert "pip install cramjam" in str(err)


def test_service_unavailable_is_transient():
    err = ex.ServiceUnavailable("HiveServer2", "connection refused")
    assert isinstance(err, ex.TransientError) and err.retryable is True
    assert not isinstance(err, ex.TerminalError)
    assert str(err) == "HiveServer2 unavailable: connection refused"


def test_invalid_literal_shows_repr_and_caps_long_values():
    err = ex.InvalidLiteral("x" * 1000, "too long")
    assert "...(1002 chars)" in str(err)
    assert "'a\\x00b'" in str(ex.InvalidLiteral("a\x00b", "nul"))


def test_identifier_and_literal_errors_are_value_errors():
    assert isinstance(ex.InvalidIdentifier("x", "r"), ValueError)
    assert isinstance(ex.InvalidLiteral("x", "r"), ValueError)


def test_a_decoders_message_names_no_memory_address():
    error = ValueError("cannot read <_io.BytesIO object at 0x7f3a9c2b1d60>: bad block")
    assert ex.decode_error_message(error) == "ValueError: cannot read <_io.BytesIO>: bad block"


def test_the_engines_cause_is_found_in_its_log_and_cluster_faults_are_told_apart():
    from avro_ingest.engine_errors import engine_causes, is_cluster_fault

    log = [
        "INFO  : Launching Job 1 out of 1",
        "java.lang.Exception: java.io.IOException: wrapped",
        "\\tat org.apache.hadoop.mapred.LocalJobRunner$Job.run(LocalJobRunner.java:552)",
        "Caused by: java.io.IOException: org.apache.avro.AvroRuntimeException: x",
        "Caused by: java.io.IOException: Checksum failure",
        "ERROR : FAILED: Execution Error, return code 2 from ...MapRedTask",
    ]
    causes = engine_causes(log)
    assert causes[-1] == "java.io.IOException: Checksum failure"
    assert not is_cluster_fault("return code 2", causes)
    quota = ["Caused by: org.apache.hadoop.hdfs.protocol.DSQuotaExceededException: The DiskSpace"]
    assert is_cluster_fault("return code 2", engine_causes(quota))
    yarn = ["Diagnostic Messages for this Task:", "Error: java.io.IOException: Not a data file."]
    assert engine_causes(yarn) == ("Error: java.io.IOException: Not a data file.",)
