"""Counting a batch's Parquet rows from the files' footers, as they lie on HDFS."""

from __future__ import annotations

import pytest
from avro_ingest.exceptions import NotParquet, VerificationFailed
from avro_ingest.stages import verify
from avro_ingest.stages.verify import count_footer_rows, verify_counts

from tests.unit.memory_fs import MemoryFileSystem
from tests.unit.parquet.test_footer import encode_footer, parquet_file

OUTPUT = "/warehouse/lake/events/ingest_date=2024-01-31/batch_id=c1"


def test_every_data_file_counts_and_hidden_files_do_not() -> None:
    fs = MemoryFileSystem()
    fs.write_bytes(f"{OUTPUT}/000000_0", parquet_file(encode_footer([(700, [1])])))
    fs.write_bytes(f"{OUTPUT}/000001_0", parquet_file(encode_footer([(300, [1]), (24, [1])])))
    # What Hive and every Parquet reader skip: not rows of the table.
    fs.write_bytes(f"{OUTPUT}/_SUCCESS", b"")
    fs.write_bytes(f"{OUTPUT}/.hive-staging_1/-ext-10000/000000_0", b"not parquet")
    fs.write_bytes(f"{OUTPUT}/_tmp.000002_0", b"partial")
    assert count_footer_rows(fs, OUTPUT) == 1024


def test_a_footer_larger_than_the_first_read_is_read_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(verify, "FOOTER_READ_BYTES", 16)
    fs = MemoryFileSystem()
    fs.write_bytes(f"{OUTPUT}/000000_0", parquet_file(encode_footer([(5, [1, 1, 1])])))
    assert count_footer_rows(fs, OUTPUT) == 5


def test_an_output_file_that_is_not_parquet_fails_the_check() -> None:
    fs = MemoryFileSystem()
    fs.write_bytes(f"{OUTPUT}/000000_0", b"PAR1 cut short")
    with pytest.raises(NotParquet, match="000000_0"):
        count_footer_rows(fs, OUTPUT)


def test_rows_that_differ_from_the_records_fail_the_batch() -> None:
    assert verify_counts("c1", 1024, 1024) == 1024
    with pytest.raises(VerificationFailed, match="Parquet has 1023 rows"):
        verify_counts("c1", 1024, 1023)
