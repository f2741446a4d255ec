"""What a failed Hive statement says, read from the engine's own words.

A MapReduce failure reaches the client only as "return code 2 from ...MapRedTask"; the
exception behind it is in the operation log that HiveServer2 serves (a local task's stack
trace, or on YARN the task's "Diagnostic Messages"). `engine_causes` finds it there, and
`is_cluster_fault` tells a fault of the cluster (retry, never blame a file) from one of the
data (split the batch and set the file at fault aside).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["CLUSTER_FAULTS", "HDFS_BUSY_OR_FULL", "engine_causes", "is_cluster_fault"]

# HDFS' own answers about the cluster's state, not about a path: safe mode, a standby or busy
# NameNode, a quota (hit until someone raises it or frees space). The HDFS hook retries them.
HDFS_BUSY_OR_FULL = (
    "SafeModeException",
    "RetriableException",
    "StandbyException",
    "DSQuotaExceededException",
    "NSQuotaExceededException",
    "QuotaExceededException",
)

# Exception names and phrases that mean the cluster, not the data, failed the statement: its
# services, its space, or where the output must go. A file set aside for one of these would be
# a good file blamed for a full disk.
CLUSTER_FAULTS = (
    "AccessControlException",
    "Permission denied",
    "ParentNotDirectoryException",
    *HDFS_BUSY_OR_FULL,
    "BlockMissingException",
    "Could not obtain block",
    "could only be written to 0 of the",
    "ConnectException",
    "Connection refused",
    "NoRouteToHostException",
    "SocketTimeoutException",
    "No space left on device",
    "OutOfMemoryError",
    "GC overhead limit exceeded",
    # A HiveServer2 with SQL standard authorization refusing one of the session's SETs: the
    # server's policy, which its administrator changes (see the README), not the data.
    "not in list of params that are allowed to be modified at runtime",
)

_CAUSED_BY = re.compile(r"^\s*Caused by:\s*(?P<cause>\S.*)$")
_DIAGNOSTICS = re.compile(r"Diagnostic Messages for this Task:\s*(?P<rest>.*)$")
# Lines that restate the failure rather than explain it.
_RESTATED = ("HiveSQLException", "return code", "Execution Error")
_LIMIT = 1000


def engine_causes(log_lines: Sequence[str]) -> tuple[str, ...]:
    """The causes the engine logged for a failed statement, outermost first and the root cause
    last (none when the log holds none): each distinct `Caused by:` line, and YARN's task
    diagnostics."""
    causes: list[str] = []
    lines = list(log_lines)
    for index, line in enumerate(lines):
        found = _CAUSED_BY.match(line)
        text = found.group("cause") if found else None
        diagnostics = _DIAGNOSTICS.search(line)
        if diagnostics:
            following = lines[index + 1] if index + 1 < len(lines) else ""
            text = diagnostics.group("rest").strip() or following.strip()
        if text and not any(word in text for word in _RESTATED) and text not in causes:
            causes.append(text.strip())
    return tuple(c if len(c) <= _LIMIT else c[:_LIMIT] + " ..." for c in causes)


def is_cluster_fault(message: str, causes: Sequence[str]) -> bool:
    """Whether a failed statement's message or any cause behind it names a fault of the
    cluster."""
    return any(fault in text for text in (message, *causes) for fault in CLUSTER_FAULTS)
