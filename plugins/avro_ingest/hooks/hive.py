"""HiveServer2 access for the pipeline, on top of the provider's HiveServer2Hook.

The provider's `run()` and `get_records()` open a session per call and prefix each with
`set airflow.ctx.*` statements; a conversion needs its `SET`s, DDL and DML in one session,
and a record of what was sent. Connection: the provider's `hiveserver2` type, default
`hiveserver2_default`; extras as the provider reads them (`auth_mechanism`: NOSASL, NONE,
PLAIN, LDAP, KERBEROS...).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from airflow.providers.apache.hive.hooks.hive import HiveServer2Hook
from pyhive.exc import DatabaseError, OperationalError
from TCLIService.ttypes import TOperationState
from thrift.transport.TTransport import TTransportException

from avro_ingest.engine_errors import engine_causes
from avro_ingest.exceptions import ServiceUnavailable, StatementFailed

__all__ = ["AvroIngestHiveHook", "StatementTiming"]


@dataclass(frozen=True)
class StatementTiming:
    statement: str
    seconds: float


class AvroIngestHiveHook(HiveServer2Hook):
    """Runs a list of statements in one HiveServer2 session and reports what it sent."""

    hook_name = "Hive Server 2 Thrift (avro-ingest)"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._reusing = False
        self._shared: dict[int, tuple[Any, Any]] = {}  # thread id: (connection, cursor)
        self._shared_lock = threading.Lock()

    @contextlib.contextmanager
    def reusing_sessions(self) -> Iterator[None]:
        """Within the block, statements run without settings (DDL, metadata queries) share
        one session per thread, all closed at its end. Opening a session (connection,
        OpenSession, `USE`) costs 25 to 150 ms, several times per table. Statements with
        settings (a conversion) keep a session of their own, so no SET reaches another."""
        self._reusing = True
        try:
            yield
        finally:
            self._reusing = False
            with self._shared_lock:
                shared, self._shared = list(self._shared.values()), {}
            for conn, cursor in shared:
                _close(conn, cursor)

    @contextlib.contextmanager
    def _session_for(self, settings: dict[str, str] | None) -> Iterator[Any]:
        if settings or not self._reusing:
            with self.session() as cursor:
                yield cursor
            return
        thread = threading.get_ident()
        with self._shared_lock:
            found = self._shared.get(thread)
        if found is None:
            found = self._open()
            with self._shared_lock:
                self._shared[thread] = found
        try:
            yield found[1]
        except ServiceUnavailable:
            with self._shared_lock:
                self._shared.pop(thread, None)
            _close(*found)  # the connection is broken: the next statement opens another
            raise

    def _open(self) -> tuple[Any, Any]:
        try:
            conn = self.get_conn()
        except (TTransportException, OSError) as error:
            raise ServiceUnavailable("HiveServer2", f"cannot connect: {error}") from error
        return conn, conn.cursor()

    @contextlib.contextmanager
    def session(self) -> Iterator[Any]:
        conn, cursor = self._open()
        try:
            yield cursor
        finally:
            _close(conn, cursor)

    def run_statements(
        self, statements: Sequence[str], *, settings: dict[str, str] | None = None
    ) -> list[StatementTiming]:
        """Run `settings` as SET statements, then each statement in order, in one session."""
        timings: list[StatementTiming] = []
        with self._session_for(settings) as cursor:
            for key, value in (settings or {}).items():
                self._execute(cursor, f"SET {key}={value}")
            for statement in statements:
                started = time.monotonic()
                self._execute(cursor, statement)
                timings.append(StatementTiming(statement, time.monotonic() - started))
        return timings

    def query(
        self, statement: str, *, settings: dict[str, str] | None = None
    ) -> list[tuple[Any, ...]]:
        """Rows of one query, in a session of its own (or this thread's shared one)."""
        with self._session_for(settings) as cursor:
            for key, value in (settings or {}).items():
                self._execute(cursor, f"SET {key}={value}")
            self._execute(cursor, statement)
            return [tuple(row) for row in cursor.fetchall()]

    def _execute(self, cursor: Any, statement: str) -> None:
        """Run one statement and wait for it. Asynchronously, so that a statement that fails
        while it executes still has its operation, whose log holds the engine's cause."""
        self.log.info("Hive: %s", statement if len(statement) < 2000 else statement[:2000] + " ...")
        try:
            cursor.execute(statement, async_=True)
            status = _wait(cursor)
            if status.operationState == TOperationState.FINISHED_STATE:
                return
            logs = _operation_log(cursor)
        except (TTransportException, OSError) as error:
            raise ServiceUnavailable("HiveServer2", f"connection lost: {error}") from error
        except (OperationalError, DatabaseError) as error:
            raise StatementFailed(statement, _hive_message(error)) from error
        state = TOperationState._VALUES_TO_NAMES.get(status.operationState, "?")
        message = str(status.errorMessage or f"the statement ended in state {state}")
        raise StatementFailed(statement, message, engine_causes(logs))


def _close(conn: Any, cursor: Any) -> None:
    with contextlib.suppress(Exception):
        cursor.close()
    with contextlib.suppress(Exception):
        conn.close()


_RUNNING = (
    TOperationState.INITIALIZED_STATE,
    TOperationState.PENDING_STATE,
    TOperationState.RUNNING_STATE,
)


def _wait(cursor: Any) -> Any:
    """Poll until the operation ends: often at first (DDL takes milliseconds), then four times
    a second. A poll is one small Thrift call; a longer pause would be paid at the end of
    every statement, by each of a run's many small tables."""
    pause = 0.005
    while True:
        status = cursor.poll(get_progress_update=False)
        if status.operationState not in _RUNNING:
            return status
        time.sleep(pause)
        pause = min(pause * 2, 0.25)


def _operation_log(cursor: Any) -> list[str]:
    """The failed operation's log, as HiveServer2 serves it; none when it keeps none."""
    try:
        return [str(line) for line in cursor.fetch_logs()]
    except (OperationalError, DatabaseError):
        return []


def _hive_message(error: Exception) -> str:
    """The errorMessage of pyhive's TExecuteStatementResp, or the error's text."""
    args = getattr(error, "args", ())
    if args:
        status = getattr(args[0], "status", None)
        message = getattr(status, "errorMessage", None)
        if message:
            return str(message)
    return str(error)
