"""HiveServer2 access for the pipeline, on top of the provider's HiveServer2Hook.

The provider's `run()` and `get_records()` open a session per call and prefix each with
`set airflow.ctx.*` statements; a conversion needs its `SET`s, DDL and DML in one session,
and a record of what was sent. Connection: the provider's `hiveserver2` type, default
`hiveserver2_default`; extras as the provider reads them (`auth_mechanism`: NOSASL, NONE,
PLAIN, LDAP, KERBEROS...).
"""

from __future__ import annotations

import contextlib
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

    @contextlib.contextmanager
    def session(self) -> Iterator[Any]:
        try:
            conn = self.get_conn()
        except (TTransportException, OSError) as error:
            raise ServiceUnavailable("HiveServer2", f"cannot connect: {error}") from error
        try:
            cursor = conn.cursor()
            try:
                yield cursor
            finally:
                with contextlib.suppress(Exception):
                    cursor.close()
        finally:
            with contextlib.suppress(Exception):
                conn.close()

    def run_statements(
        self, statements: Sequence[str], *, settings: dict[str, str] | None = None
    ) -> list[StatementTiming]:
        """Run `settings` as SET statements, then each statement in order, in one session."""
        timings: list[StatementTiming] = []
        with self.session() as cursor:
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
        """Rows of one query, in a session of its own."""
        with self.session() as cursor:
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
