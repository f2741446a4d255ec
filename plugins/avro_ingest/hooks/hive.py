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
from thrift.transport.TTransport import TTransportException

from avro_ingest.exceptions import ServiceUnavailable
from avro_ingest.ports import StatementFailed

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
        self.log.info("Hive: %s", statement if len(statement) < 2000 else statement[:2000] + " ...")
        try:
            cursor.execute(statement)
        except (TTransportException, OSError) as error:
            raise ServiceUnavailable("HiveServer2", f"connection lost: {error}") from error
        except (OperationalError, DatabaseError) as error:
            raise StatementFailed(statement, _hive_message(error)) from error


def _hive_message(error: Exception) -> str:
    """The errorMessage of pyhive's TExecuteStatementResp, or the error's text."""
    args = getattr(error, "args", ())
    if args:
        status = getattr(args[0], "status", None)
        message = getattr(status, "errorMessage", None)
        if message:
            return str(message)
    return str(error)
