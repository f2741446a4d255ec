"""Impala's side of the HiveServer2 protocol, for the publish step's tests.

Impala cannot run on our machines, so this answers impyla (what ImpalaHook uses) over the same
Thrift service Impala serves (`ImpalaHiveServer2Service`, binary protocol, no SASL), and keeps
the one piece of Impala's state the publish step depends on: which tables its catalog knows.
As an Impala without metastore event processing does, it learns of a table made in Hive only
from `INVALIDATE METADATA`; `REFRESH` or `COMPUTE INCREMENTAL STATS` on a table it does not know
fails with Impala's own message. Statements that ran are recorded in order. The first
statement matching `interrupt` is held (the call does not return, so a test can kill its
client mid-statement) and then never runs: the client died before Impala ran it.
"""

from __future__ import annotations

import re
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from impala._thrift_gen.ImpalaService import ImpalaHiveServer2Service
from impala._thrift_gen.ImpalaService.ttypes import TCloseImpalaOperationResp, TDmlResult
from impala._thrift_gen.TCLIService.ttypes import (
    TCloseOperationResp,
    TCloseSessionResp,
    TExecuteStatementResp,
    TGetLogResp,
    TGetOperationStatusResp,
    THandleIdentifier,
    TOpenSessionResp,
    TOperationHandle,
    TOperationState,
    TOperationType,
    TProtocolVersion,
    TSessionHandle,
    TStatus,
    TStatusCode,
)
from thrift.protocol.TBinaryProtocol import TBinaryProtocolFactory
from thrift.server.TServer import TThreadedServer
from thrift.transport.TSocket import TServerSocket
from thrift.transport.TTransport import TBufferedTransportFactory

_TABLE = r"`(?P<db>(?:[^`]|``)+)`\.`(?P<table>(?:[^`]|``)+)`"
_INVALIDATE = re.compile(rf"INVALIDATE METADATA {_TABLE}", re.I)
_NEEDS_TABLE = re.compile(rf"(?:REFRESH|COMPUTE INCREMENTAL STATS) {_TABLE}", re.I)


def _ok() -> TStatus:
    return TStatus(statusCode=TStatusCode.SUCCESS_STATUS)


def _handle() -> THandleIdentifier:
    return THandleIdentifier(guid=uuid.uuid4().bytes, secret=uuid.uuid4().bytes)


def _name(match: re.Match[str]) -> str:
    return f"{match['db']}.{match['table']}".replace("``", "`")


@dataclass
class ImpalaCatalog:
    """What the service has been asked, and the tables it knows."""

    known: set[str] = field(default_factory=set)
    statements: list[str] = field(default_factory=list)
    interrupt: re.Pattern[str] | None = None
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, statement: str) -> str | None:
        """Impala's error message, or None when the statement succeeds."""
        with self.lock:
            interrupted = self.interrupt is not None and self.interrupt.search(statement)
            if interrupted:
                self.interrupt = None
        if interrupted:
            self.held.set()
            self.release.wait(timeout=300)
            return "the client went away before the statement ran"
        with self.lock:
            self.statements.append(statement)
            if match := _INVALIDATE.search(statement):
                self.known.add(_name(match))
            elif (match := _NEEDS_TABLE.search(statement)) and _name(match) not in self.known:
                return f"AnalysisException: Table does not exist: {_name(match)}"
        return None


class _Handler(ImpalaHiveServer2Service.Iface):  # Thrift names its methods in CamelCase
    def __init__(self, catalog: ImpalaCatalog) -> None:
        self.catalog = catalog

    def OpenSession(self, req: Any) -> TOpenSessionResp:
        return TOpenSessionResp(
            status=_ok(),
            serverProtocolVersion=TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V6,
            sessionHandle=TSessionHandle(sessionId=_handle()),
            configuration={},
        )

    def CloseSession(self, req: Any) -> TCloseSessionResp:
        return TCloseSessionResp(status=_ok())

    def ExecuteStatement(self, req: Any) -> TExecuteStatementResp:
        error = self.catalog.run(req.statement)
        if error is not None:
            return TExecuteStatementResp(
                status=TStatus(
                    statusCode=TStatusCode.ERROR_STATUS, errorMessage=error, sqlState="HY000"
                )
            )
        operation = TOperationHandle(
            operationId=_handle(),
            operationType=TOperationType.EXECUTE_STATEMENT,
            hasResultSet=False,
        )
        return TExecuteStatementResp(status=_ok(), operationHandle=operation)

    def GetOperationStatus(self, req: Any) -> TGetOperationStatusResp:
        return TGetOperationStatusResp(
            status=_ok(), operationState=TOperationState.FINISHED_STATE, hasResultSet=False
        )

    def GetLog(self, req: Any) -> TGetLogResp:
        return TGetLogResp(status=_ok(), log="")

    def CloseOperation(self, req: Any) -> TCloseOperationResp:
        return TCloseOperationResp(status=_ok())

    def CloseImpalaOperation(self, req: Any) -> TCloseImpalaOperationResp:
        return TCloseImpalaOperationResp(status=_ok(), dml_result=TDmlResult(rows_modified={}))


class _Server(TThreadedServer):  # type: ignore[misc]
    """Thrift's threaded server, with an end: its own loop logs and retries for ever once
    the socket is closed."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args, daemon=True)
        self.stopped = threading.Event()

    def serve(self) -> None:
        self.serverTransport.listen()
        while not self.stopped.is_set():
            try:
                client = self.serverTransport.accept()
            except Exception:
                continue  # closed for the end, or a client gone mid-accept
            threading.Thread(target=self.handle, args=(client,), daemon=True).start()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def impala_service(catalog: ImpalaCatalog) -> Iterator[int]:
    """Serve `catalog` on a free local port for the duration; yields the port."""
    port = _free_port()
    server = _Server(
        ImpalaHiveServer2Service.Processor(_Handler(catalog)),
        TServerSocket(host="127.0.0.1", port=port),
        TBufferedTransportFactory(),
        TBinaryProtocolFactory(),
    )
    threading.Thread(target=server.serve, daemon=True).start()
    try:
        yield port
    finally:
        catalog.release.set()
        server.stopped.set()
        server.serverTransport.close()
