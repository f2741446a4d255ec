"""The HDFS hook turns a DataNode that dies mid-stream into a service fault, never into bytes a
reader would judge."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
import urllib3
from avro_ingest.exceptions import DECODE_ERRORS, ServiceUnavailable
from avro_ingest.hooks.hdfs import AvroIngestHdfsHook


class DyingBody:
    """A WebHDFS OPEN response whose DataNode dies after the first read."""

    def __init__(self) -> None:
        self.reads = 0

    def read(self, n: int = -1) -> bytes:
        self.reads += 1
        if self.reads > 1:
            raise urllib3.exceptions.ProtocolError(
                "Connection broken: IncompleteRead(3 bytes read)"
            )
        return b"Obj"


class Client:
    @contextlib.contextmanager
    def read(self, path: str, **kwargs: Any) -> Iterator[DyingBody]:
        yield DyingBody()


def test_a_datanode_dying_mid_stream_is_a_service_fault_not_a_bad_file() -> None:
    hook = AvroIngestHdfsHook()
    hook.__dict__["client"] = Client()  # the cached client: no Airflow connection needed
    with pytest.raises(ServiceUnavailable) as fault, hook.open_stream("/in/f.avro") as body:
        body.read(3)
        body.read(3)
    assert "IncompleteRead" in str(fault.value)
    assert not isinstance(fault.value, DECODE_ERRORS)
