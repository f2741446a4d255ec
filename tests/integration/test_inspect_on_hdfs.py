"""Inspecting files on the real HDFS: a small file is fetched in one request, a large one by
its header and then one stream; both give fastavro's record count, and a cut copy of either is
rejected as truncated."""

from __future__ import annotations

import io
import os
from typing import Any

import fastavro
import pytest
from avro_ingest.exceptions import FileGone
from avro_ingest.hooks.hdfs import AvroIngestHdfsHook, environment_configures_requests
from avro_ingest.stages.inspection import WHOLE_FILE_READ_BYTES, inspect_files

pytestmark = pytest.mark.integration

SCHEMA = {
    "type": "record",
    "name": "Blob",
    "fields": [{"name": "n", "type": "long"}, {"name": "noise", "type": "bytes"}],
}


class CountingHdfsHook(AvroIngestHdfsHook):
    """The real hook, counting the OPEN requests each path gets."""

    def __init__(self) -> None:
        super().__init__()
        self.opens: dict[str, int] = {}

    def read_range(self, path: str, offset: int, length: int) -> bytes:
        self.opens[path] = self.opens.get(path, 0) + 1
        return super().read_range(path, offset, length)

    def open_stream(self, path: str) -> Any:
        self.opens[path] = self.opens.get(path, 0) + 1
        return super().open_stream(path)


def avro(rows: int, noise: int) -> bytes:
    buffer = io.BytesIO()
    records = [{"n": i, "noise": os.urandom(noise)} for i in range(rows)]
    fastavro.writer(buffer, SCHEMA, records, codec="null", sync_interval=64 * 1024)
    return buffer.getvalue()


def test_small_and_large_files_are_counted_and_cut_copies_rejected(hdfs_folder: str) -> None:
    hdfs = CountingHdfsHook()
    small, large = avro(300, 100), avro(1500, 2000)
    assert len(small) < WHOLE_FILE_READ_BYTES < len(large)
    files = {"small.avro": small, "large.avro": large}
    files |= {"small-cut.avro": small[:-10], "large-cut.avro": large[: len(large) // 2]}
    for name, data in files.items():
        hdfs.write_bytes(f"{hdfs_folder}/{name}", data)
    entries = [e for e in hdfs.list_files(hdfs_folder)]

    good, bad, _ = inspect_files(
        hdfs, [(hdfs_folder, e, None) for e in entries], table_rule="fixed:t"
    )

    counts = {i.entry.path.rsplit("/", 1)[-1]: i.records for i in good}
    assert counts == {"small.avro": 300, "large.avro": 1500}
    assert {r.entry.path.rsplit("/", 1)[-1]: r.reason for r in bad} == {
        "small-cut.avro": "truncated",
        "large-cut.avro": "truncated",
    }
    assert hdfs.opens[f"{hdfs_folder}/small.avro"] == 1
    assert hdfs.opens[f"{hdfs_folder}/large.avro"] == 2


def test_the_client_skips_the_environment_only_when_it_holds_nothing_for_requests(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.netrc
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy",
                 "ALL_PROXY", "NETRC"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    # A CA bundle only matters for https; the local WebHDFS is http.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    clean = AvroIngestHdfsHook()
    assert clean.client._session.trust_env is False
    assert clean.list_files("/") is not None  # still talks to WebHDFS

    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    assert AvroIngestHdfsHook().client._session.trust_env is True
    monkeypatch.delenv("HTTPS_PROXY")
    (tmp_path / ".netrc").write_text("machine example login a password b\n")
    assert AvroIngestHdfsHook().client._session.trust_env is True
    assert environment_configures_requests("https://nn.example:9871")
    (tmp_path / ".netrc").unlink()
    assert not environment_configures_requests("http://nn.example:9870")


class RequestLog(AvroIngestHdfsHook):
    """The real hook, noting the host and port of every request its lean path sends."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[str, int, str]] = []
        calls = self.calls
        assert calls is not None, "the local stack's connection takes the lean path"
        send = calls._send

        def logged(method: str, host: str, port: int, target: str) -> Any:
            self.sent.append((host, port, target.split("op=")[1].split("&")[0]))
            return send(method, host, port, target)

        calls._send = logged  # type: ignore[method-assign]


def test_a_file_checked_for_writers_is_then_read_from_its_datanode_in_one_request(
    hdfs_folder: str,
) -> None:
    data = avro(300, 100)
    writer = AvroIngestHdfsHook()
    for name in ("a.avro", "b.avro"):
        writer.write_bytes(f"{hdfs_folder}/{name}", data)
    hdfs = RequestLog()
    namenode = hdfs.calls.namenode if hdfs.calls else None

    assert hdfs.read_range(f"{hdfs_folder}/a.avro", 0, 1 << 20) == data  # learns the way
    assert not hdfs.under_construction(f"{hdfs_folder}/b.avro")
    hdfs.sent.clear()
    assert hdfs.read_range(f"{hdfs_folder}/b.avro", 0, 1 << 20) == data
    assert len(hdfs.sent) == 1 and hdfs.sent[0][2] == "OPEN"
    assert hdfs.sent[0][:2] != namenode  # straight to the DataNode

    # A DataNode that no longer answers: the NameNode's redirect finds one that does.
    hdfs._first_block_hosts[f"{hdfs_folder}/b.avro"] = ("localhost", 1)
    hdfs.sent.clear()
    assert hdfs.read_range(f"{hdfs_folder}/b.avro", 0, 1 << 20) == data
    assert [s[:2] for s in hdfs.sent][1] == namenode
    # A file gone since the check is still FileGone, from the DataNode's own answer.
    writer.delete(f"{hdfs_folder}/b.avro")
    hdfs._first_block_hosts.pop(f"{hdfs_folder}/b.avro")
    assert not hdfs.under_construction(f"{hdfs_folder}/a.avro")
    assert writer.rename(f"{hdfs_folder}/a.avro", f"{hdfs_folder}/moved.avro")
    with pytest.raises(FileGone):
        hdfs.read_range(f"{hdfs_folder}/a.avro", 0, 1 << 20)
