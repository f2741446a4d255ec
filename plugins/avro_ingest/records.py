"""What each step hands the next, as Airflow keeps it between tasks (XCom, JSON): one
declaration per record, so the steps, the operators, the summary and the tests read the same
keys. Batches and conversion results travel as their dataclasses' `to_dict()`
(`BatchPlan`, `ConversionResult`), and are read back with `from_dict` / `ConversionResult(**)`.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

__all__ = [
    "ArchiveOutcome",
    "FailedBatch",
    "LoadOutcome",
    "PlanOutcome",
    "PublishOutcome",
    "SetAside",
    "TableGroup",
    "TeardownOutcome",
]


class SetAside(TypedDict):
    """A file quarantined (or, in a dry run, that would be), with its reason."""

    path: str
    size: int
    error_class: str
    reason: str
    message: str
    step: str
    quarantined_to: NotRequired[str | None]
    would_move_to: NotRequired[str]


class TableGroup(TypedDict):
    """The claimed batches of one target table: one mapped load task."""

    table: str  # database.table
    batches: list[dict[str, Any]]  # BatchPlan.to_dict()


class PlanOutcome(TypedDict):
    run_id: str
    dry_run: bool
    tables: list[TableGroup]
    quarantined: list[SetAside]
    waiting: int  # files not complete yet
    impala_issues: list[str]
    step_seconds: dict[str, float]


class FailedBatch(TypedDict):
    batch_id: str
    landing: str
    database: str
    table: str  # database.table
    error: str
    taken_over: NotRequired[bool]


class LoadOutcome(TypedDict):
    table: str
    results: list[dict[str, Any]]  # ConversionResult.to_dict()
    failed: list[FailedBatch]
    quarantined: list[SetAside]
    returned_to_landing: list[str]
    step_seconds: dict[str, float]


class PublishOutcome(TypedDict):
    statements: list[str]
    seconds: float
    ran: bool  # False: nothing to publish, or no Impala connection configured


class ArchiveOutcome(TypedDict):
    batches: list[str]  # the archived batch folders
    seconds: float


class TeardownOutcome(TypedDict):
    dropped_tables: list[str]
