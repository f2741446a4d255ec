"""A file the pipeline writes (a batch's manifest, a quarantine reason) is read by other runs
while it is written: on the real NameNode, readers see it whole or not at all."""

from __future__ import annotations

import threading

from avro_ingest.exceptions import FileGone
from avro_ingest.hooks.hdfs import AvroIngestHdfsHook


def version(n: int) -> bytes:
    # Large enough that a DataNode write takes several packets, so a partial file would show.
    return (f'{{"version": {n}, "pad": "' + "x" * 300_000 + '"}').encode()


def test_a_file_rewritten_while_another_process_reads_it_is_always_read_whole(
    hdfs_folder: str,
) -> None:
    writer, reader = AvroIngestHdfsHook(), AvroIngestHdfsHook()
    path = f"{hdfs_folder}/staging/b1/_batch.json"
    versions = {version(n) for n in range(12)}
    seen: list[bytes] = []
    done = threading.Event()

    def read_until_done() -> None:
        while not done.is_set():
            try:
                seen.append(reader.read_range(path, 0, 1 << 30))
            except FileGone:
                continue  # not written yet

    thread = threading.Thread(target=read_until_done)
    thread.start()
    try:
        writer.write_bytes(path, version(0), overwrite=False)
        for n in range(1, 12):
            writer.write_bytes(path, version(n))
    finally:
        done.set()
        thread.join()

    assert seen, "the reader never read the file"
    partial = [len(data) for data in seen if data not in versions]
    assert not partial, f"{len(partial)} of {len(seen)} reads saw part of a file: {partial[:5]}"
    assert reader.read_range(path, 0, 1 << 30) == version(11)
    # Nothing is left beside it under a hidden name.
    assert [e.name for e in writer.list_files(f"{hdfs_folder}/staging/b1")] == ["_batch.json"]


def test_a_new_file_never_replaces_one_already_there(hdfs_folder: str) -> None:
    hdfs = AvroIngestHdfsHook()
    path = f"{hdfs_folder}/quarantine/f.avro.reason.json"
    assert hdfs.create(path, b'{"reason": "first"}')
    assert not hdfs.create(path, b'{"reason": "second"}')
    try:
        hdfs.write_bytes(path, b"third", overwrite=False)
    except FileExistsError as error:
        assert path in str(error)
    else:
        raise AssertionError("a new file replaced one already there")
    assert hdfs.read_range(path, 0, 100) == b'{"reason": "first"}'
    assert [e.name for e in hdfs.list_files(f"{hdfs_folder}/quarantine")] == ["f.avro.reason.json"]


def test_a_name_at_hdfs_limit_is_written_whole_too(hdfs_folder: str) -> None:
    hdfs = AvroIngestHdfsHook()
    name = "g" * 250 + ".avro"  # 255 bytes: the longest name HDFS takes
    hdfs.write_bytes(f"{hdfs_folder}/{name}", b"Obj\x01")
    assert [e.name for e in hdfs.list_files(hdfs_folder)] == [name]


def test_a_file_replaced_in_a_folder_that_moved_away_does_not_make_the_folder_again(
    hdfs_folder: str,
) -> None:
    hdfs = AvroIngestHdfsHook()
    folder = f"{hdfs_folder}/_staging/b1"
    hdfs.write_bytes(f"{folder}/_batch.json", b'{"attempt": 1}', overwrite=False)
    hdfs.write_bytes(f"{folder}/_batch.json", b'{"attempt": 1, "sealed": true}', make_folder=False)
    assert hdfs.read_range(f"{folder}/_batch.json", 0, 100) == b'{"attempt": 1, "sealed": true}'
    assert hdfs.rename(folder, f"{hdfs_folder}/_staging/b1-sealed-by-2")
    try:
        hdfs.write_bytes(
            f"{folder}/_batch.json", b'{"attempt": 1, "failures": 1}', make_folder=False
        )
    except FileGone as error:
        assert "rename destination parent" in str(error)  # the NameNode's own words
    else:
        raise AssertionError("a write made the moved folder again")
    assert hdfs.status(folder) is None
    # Nothing of the refused write is left beside the folder either.
    assert hdfs.list_files(f"{hdfs_folder}/_staging") == []
    assert hdfs.list_folders(f"{hdfs_folder}/_staging") == [
        f"{hdfs_folder}/_staging/b1-sealed-by-2"
    ]
