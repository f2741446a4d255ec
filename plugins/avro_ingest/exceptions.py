"""Errors of the avro_ingest core.

One root, `AvroIngestError`. Each concrete error derives from one of two markers that tell the
pipeline what to do with the file that caused it (catch them with `except TerminalError:`):

- `TerminalError`: the input itself is bad or cannot be held by Hive/Parquet. Retrying gives
  the same answer, so the file is quarantined with `.reason` and the batch goes on.
- `TransientError`: a service is down or busy. The file is fine; retry later.

`CodecLibraryMissing` is neither: the file is fine and a retry in five minutes meets the same
missing module. It is a deployment problem, so it fails the task loudly and leaves the file
where it is (see its docstring).

Errors carry their evidence as attributes and repeat it in the message, so a quarantine
report or a task log line is enough to understand the problem without re-reading the file.
"""

from __future__ import annotations

import lzma
import re
import struct
import zlib
from typing import ClassVar

__all__ = [
    "DECODE_ERRORS",
    "AvroIngestError",
    "BatchesFailed",
    "CodecLibraryMissing",
    "ConfigurationError",
    "CorruptBlock",
    "CorruptHeader",
    "DuplicateDelivery",
    "EmptyFile",
    "EngineFault",
    "EngineRejected",
    "FileGone",
    "HeaderTooLarge",
    "InvalidIdentifier",
    "InvalidLiteral",
    "InvalidSchema",
    "InvalidSetting",
    "NotAvroFile",
    "NotParquet",
    "RepeatedFailure",
    "SchemaConflict",
    "SchemaMismatch",
    "ServiceUnavailable",
    "StatementFailed",
    "TerminalError",
    "TransientError",
    "TruncatedFile",
    "UndecodableFile",
    "UnsupportedAvroType",
    "UnsupportedCodec",
    "VerificationFailed",
    "WaitFailed",
    "decode_error_message",
]


class AvroIngestError(Exception):
    """Root of every error raised by avro_ingest.

    `detail` is the message without the file; `file` may be set later by a caller that knows
    which file was being processed (the message follows it).
    """

    reason: str = "error"

    def __init__(self, detail: str, *, file: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.file = file

    def __str__(self) -> str:
        if self.file:
            return f"{self.file}: {self.detail}"
        return self.detail

    def with_file(self, file: str | None) -> AvroIngestError:
        """Set `file` when it is not known yet and return self (for `raise err.with_file(p)`)."""
        if self.file is None and file is not None:
            self.file = file
        return self


class TerminalError(AvroIngestError):
    """Marks bad input: quarantine the file with `.reason` and never retry.

    A class rather than a bare mixin so that `except TerminalError:` works."""

    retryable: ClassVar[bool] = False


class TransientError(AvroIngestError):
    """Marks a service problem: the input is fine and the step should be retried."""

    retryable: ClassVar[bool] = True


# --- bad files -------------------------------------------------------------------------------


class EmptyFile(TerminalError):
    """A zero-byte file: usually a writer that created the file and died before writing."""

    def __init__(self, *, file: str | None = None) -> None:
        self.reason = "empty_file"
        super().__init__("file is empty (0 bytes), not an Avro object container file", file=file)


class NotAvroFile(TerminalError):
    """The first bytes are not the Avro object container magic `Obj\\x01`."""

    def __init__(self, got: bytes, *, file: str | None = None) -> None:
        self.reason = "not_avro"
        self.expected = b"Obj\x01"
        self.got = got
        super().__init__(
            f"not an Avro object container file: expected magic {self.expected!r} at offset 0, "
            f"got {got!r}",
            file=file,
        )


class TruncatedFile(TerminalError):
    """The file ends in the middle of the header, a block count/size, a block or a sync marker."""

    def __init__(
        self, offset: int, needed: int, got: int, what: str, *, file: str | None = None
    ) -> None:
        self.reason = "truncated"
        self.offset = offset
        self.needed = needed
        self.got = got
        self.what = what
        super().__init__(
            f"file is truncated: {what} at offset {offset} needs {needed} bytes, only {got} left",
            file=file,
        )


class CorruptHeader(TerminalError):
    """The header bytes do not decode (bad varint, negative length, missing avro.schema)."""

    def __init__(self, offset: int, problem: str, *, file: str | None = None) -> None:
        self.reason = "corrupt_header"
        self.offset = offset
        self.problem = problem
        super().__init__(f"corrupt Avro header at offset {offset}: {problem}", file=file)


class CorruptBlock(TerminalError):
    """A data block is corrupt: its sync marker differs, or its count/size is impossible.

    `reason` is "bad_sync" when the sync marker differs and "corrupt_block" otherwise.
    """

    def __init__(
        self,
        offset: int,
        problem: str,
        *,
        expected: bytes | None = None,
        got: bytes | None = None,
        file: str | None = None,
    ) -> None:
        self.reason = "bad_sync" if expected is not None else "corrupt_block"
        self.offset = offset
        self.expected = expected
        self.got = got
        self.problem = problem
        if expected is not None:
            text = f"{problem}: expected sync {expected!r} at offset {offset}, got {got!r}"
        else:
            text = f"{problem} at offset {offset}"
        super().__init__(text, file=file)


class HeaderTooLarge(TerminalError):
    """The header does not end within the cap: refuse rather than read an unbounded header."""

    def __init__(self, cap: int, *, needed: int | None = None, file: str | None = None) -> None:
        self.reason = "header_too_large"
        self.cap = cap
        self.needed = needed
        more = f" (needs at least {needed} bytes)" if needed is not None else ""
        super().__init__(f"Avro header is larger than the cap of {cap} bytes{more}", file=file)


class UnsupportedCodec(TerminalError):
    """The file names a codec that no Avro implementation we know defines."""

    def __init__(self, codec: str, known: tuple[str, ...], *, file: str | None = None) -> None:
        self.reason = "unknown_codec"
        self.codec = codec
        self.known = known
        super().__init__(
            f"unknown Avro codec {codec!r} in avro.codec; known codecs: {', '.join(known)}",
            file=file,
        )


class InvalidSchema(TerminalError):
    """The writer (or sidecar) schema is not a valid Avro schema."""

    def __init__(self, problem: str, *, where: str = "", file: str | None = None) -> None:
        self.reason = "invalid_schema"
        self.problem = problem
        self.where = where
        at = f" at {where}" if where else ""
        super().__init__(f"invalid Avro schema{at}: {problem}", file=file)


class UnsupportedAvroType(TerminalError):
    """A valid Avro schema that Hive's AvroSerDe or Parquet cannot hold.

    `field` is the path in the schema (e.g. "address.lines[]"; "" for the top level),
    `avro_type` a short description of the Avro type and `reason` one of
    top_level_not_record, recursive_record, union_not_supported, decimal_precision,
    name_collision, empty_record.
    """

    def __init__(
        self, field: str, avro_type: str, reason: str, why: str, *, file: str | None = None
    ) -> None:
        self.reason = reason
        self.field = field
        self.avro_type = avro_type
        self.why = why
        where = f"field {field!r}" if field else "top level"
        super().__init__(f"{reason}: {where} of Avro type {avro_type}: {why}", file=file)


class SchemaMismatch(TerminalError):
    """The sidecar (reader) schema cannot read data written with the file's writer schema."""

    def __init__(
        self, field: str, writer_type: str, reader_type: str, why: str, *, file: str | None = None
    ) -> None:
        self.reason = "schema_mismatch"
        self.field = field
        self.writer_type = writer_type
        self.reader_type = reader_type
        self.why = why
        where = f"field {field!r}" if field else "top level"
        super().__init__(
            f"sidecar schema cannot read the file at {where}: writer {writer_type}, "
            f"reader {reader_type}: {why}",
            file=file,
        )


class InvalidIdentifier(TerminalError, ValueError):
    """A name (database, table, column) that does not match the strict identifier pattern."""

    def __init__(self, value: object, rule: str, *, file: str | None = None) -> None:
        self.reason = "invalid_identifier"
        self.value = value
        self.rule = rule
        super().__init__(f"invalid SQL identifier {value!r}: {rule}", file=file)


class InvalidLiteral(TerminalError, ValueError):
    """A value that cannot be written safely as a SQL string or number literal."""

    def __init__(self, value: object, rule: str, *, file: str | None = None) -> None:
        self.reason = "invalid_literal"
        self.value = value
        self.rule = rule
        shown = repr(value)
        if len(shown) > 200:
            shown = shown[:200] + "...(" + str(len(shown)) + " chars)"
        super().__init__(f"invalid SQL literal {shown}: {rule}", file=file)


class DuplicateDelivery(TerminalError):
    """The file's content (a hash of its bytes) was claimed before, from another path or with
    another modification time: a producer delivered it again. Set aside unless the run is
    told to load re-deliveries."""

    def __init__(self, original: str, delivered: str, checksum: str, *, file: str | None = None):
        self.reason = "duplicate_delivery"
        self.original = original
        self.checksum = checksum
        super().__init__(
            f"same content (hash {checksum[:16]}...) as {original} ({delivered}), claimed before;"
            " set load_duplicates to load a re-delivery again",
            file=file,
        )


class UndecodableFile(TerminalError):
    """Avro itself cannot decode the file's records (found after Hive failed on its batch);
    the decoder's own message is the evidence."""

    reason = "undecodable"


class EngineRejected(TerminalError):
    """Hive failed on this file alone, for a reason that is not a service fault (a checksum
    that does not match, a value it cannot read): its own message is the evidence."""

    reason = "engine_rejected"


class RepeatedFailure(TerminalError):
    """A claimed batch failed to load `max_batch_failures` times (not for a fault of the
    cluster): its files are set aside with its last error, so it cannot block the pipeline."""

    reason = "repeated_failure"


class SchemaConflict(TerminalError):
    """A batch's columns cannot be added to the existing target table."""

    reason = "schema_conflict"


# What a decoder (fastavro, and the codecs it calls) raises on bytes it cannot decode. OSError
# is bz2's "Invalid data stream"; a caller lets ConnectionError and TimeoutError (service
# faults, also OSErrors) through first.
DECODE_ERRORS: tuple[type[BaseException], ...] = (
    ValueError,
    EOFError,
    IndexError,
    KeyError,
    OverflowError,
    TypeError,
    MemoryError,
    NotImplementedError,
    struct.error,
    zlib.error,
    lzma.LZMAError,
    OSError,
)


def decode_error_message(error: BaseException) -> str:
    """A decoder's error as a reason: its class and text, without the object addresses some
    decoders print (`<_io.BytesIO object at 0x7f...>`), which differ on every run."""
    text = re.sub(r"<([\w.]+) object at 0x[0-9a-fA-F]+>", r"<\1>", str(error))
    return f"{type(error).__name__}: {text}"


# --- the wire format's own signals (never leave avro/: mapped to a bad-file error there) -------


class NeedMore(Exception):
    """The bytes ended before the value did; `needed` is how many bytes from the start of the
    buffer are needed at least."""

    def __init__(self, needed: int) -> None:
        super().__init__(needed)
        self.needed = needed


class VarintTooLong(Exception):
    """More than 10 bytes carry a continuation bit: not a 64-bit long."""


# --- files that move under us ----------------------------------------------------------------


class FileGone(AvroIngestError):
    """A listed file was gone when it was read: another run claimed it, or its writer removed
    or renamed it. Neither terminal nor transient: the file is left out of this run."""

    reason = "gone"


# --- environment -----------------------------------------------------------------------------


class ConfigurationError(AvroIngestError):
    """The deployment is missing something. Neither terminal nor transient: the file is fine,
    and retrying changes nothing until an operator fixes the installation."""

    reason = "configuration"


class InvalidSetting(ConfigurationError, ValueError):
    """A run's setting breaks its rule (the form's): the run fails at once with the rule."""

    reason = "invalid_setting"


class CodecLibraryMissing(ConfigurationError):
    """The codec is a known Avro codec but its Python library is not installed.

    Not a bad file (so not `TerminalError`: quarantining would blame good data) and not
    transient (a retry meets the same ImportError): the task fails with the pip package to
    install, and the file stays where it is for the next run.
    """

    def __init__(self, codec: str, module: str, package: str, *, file: str | None = None) -> None:
        self.codec = codec
        self.module = module
        self.package = package
        super().__init__(
            f"Avro codec {codec!r} needs the Python module {module!r}, which is not installed: "
            f"pip install {package}",
            file=file,
        )


class ServiceUnavailable(TransientError):
    """HDFS, HiveServer2 or Impala did not answer; retry the step."""

    def __init__(self, service: str, problem: str, *, file: str | None = None) -> None:
        self.reason = "service_unavailable"
        self.service = service
        self.problem = problem
        super().__init__(f"{service} unavailable: {problem}", file=file)


# --- statements ------------------------------------------------------------------------------


class StatementFailed(AvroIngestError):
    """A SQL service ran a statement and it failed. `message` is the service's own; `causes`
    are what the engine logged behind it, root cause last (for a MapReduce failure, the task's
    exception: the message alone says only "return code 2"). Not a connection problem: those
    are ServiceUnavailable."""

    reason = "statement_failed"

    def __init__(self, statement: str, message: str, causes: tuple[str, ...] = ()) -> None:
        self.statement = statement
        self.message = message
        self.causes = causes
        super().__init__(f"statement failed: {self.engine_message}\n  statement: {statement[:500]}")

    @property
    def engine_message(self) -> str:
        """The engine's own words: its message and the root cause it logged."""
        return f"{self.message} (cause: {self.causes[-1]})" if self.causes else self.message


class EngineFault(TransientError):
    """A statement failed for a reason of the cluster, not of the data (a space or name quota,
    safe mode, a DataNode or block that cannot be reached): retry, never blame a file."""

    def __init__(self, failure: StatementFailed) -> None:
        self.reason = "engine_fault"
        self.failure = failure
        super().__init__(f"the cluster failed a statement: {failure.engine_message}")


class VerificationFailed(AvroIngestError):
    """Parquet and Avro disagree: the batch fails, its sources stay in staging."""

    reason = "row_count_mismatch"

    def __init__(self, batch_id: str, expected: int, got: int) -> None:
        self.batch_id = batch_id
        self.expected = expected
        self.got = got
        super().__init__(
            f"batch {batch_id}: Parquet has {got} rows, the Avro files hold {expected} records; "
            "nothing was published, its files stay in staging and nothing is archived"
        )


class NotParquet(AvroIngestError):
    """A file of a batch's Parquet output cannot be read as Parquet: the batch fails like a
    count that does not match (its output is dropped, its sources stay in staging)."""

    reason = "unreadable_output"

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: not a readable Parquet file: {problem}")


class BatchesFailed(AvroIngestError):
    """Some batches of a run failed to load (their files stay in staging for the next run):
    the run ends failed, after its summary is kept."""

    reason = "batches_failed"


class WaitFailed(AvroIngestError):
    """Waiting for complete files ended with an error the trigger reported."""

    reason = "wait_failed"
