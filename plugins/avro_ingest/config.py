"""What one pipeline run is asked to do: plain, JSON-ready settings (the DAG's Params)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from avro_ingest.exceptions import InvalidSetting
from avro_ingest.hive.evolution import Mode
from avro_ingest.settings import FOLDER_PATTERN, SETTING, TABLE_PATTERN, read_form

__all__ = ["TABLE_NAME_RULES", "IngestConfig"]

# "schema": the Avro record's name; "folder": the landing sub-folder holding the file;
# "fixed:<name>": one table for everything.
TABLE_NAME_RULES = ("schema", "folder")


@dataclass(frozen=True)
class IngestConfig:
    landing_paths: tuple[str, ...]
    database: str = "avro_ingest"
    table_name_rule: str = "schema"
    table_prefix: str = ""
    # Target tables live at <target_root>/<database>/<table> (external tables).
    target_root: str = "/user/hive/external/avro_ingest"
    # A file is complete once unchanged for this long (HDFS sets mtime when it is closed).
    quiet_period_seconds: int = 60
    # Per folder: take files only once a _SUCCESS marker is present.
    require_success_marker: bool = False
    recursive: bool = True
    max_files_per_batch: int = 5000
    max_bytes_per_batch: int = 20 * 1024**3
    dry_run: bool = False
    # The Impala version readers use: columns it cannot read are reported at plan time.
    impala_version: str = "4.4"
    # Parallel WebHDFS requests when checking, reading headers and claiming files: each waits on
    # the NameNode or a DataNode (16 measured faster than 8 for 10,000 files; bench/claim_cost.py).
    header_read_threads: int = 16
    # Batches of one table load this many at a time, each in its own HiveServer2 session and
    # partition: Hive in local mode converts on one core per statement. A table's files are
    # split into that many batches when each part would hold at least
    # min_parallel_batch_bytes; below that, the extra Hive job costs more than it saves.
    parallel_loads: int = 2
    min_parallel_batch_bytes: int = 16 * 1024**2
    # Target size of the Parquet files a batch writes (Hive's merge step).
    parquet_file_size_bytes: int = 256 * 1024**2
    # A batch of at most this many bytes converts inside HiveServer2 (MapReduce local mode);
    # larger ones on the server's engine on YARN. 0: all on YARN.
    local_mode_max_bytes: int = SETTING["local_mode_max_mib"].default * 1024**2
    # A batch its run leaves alone goes to the server's engine from this size (stages.convert's
    # Placement). 0: never.
    spread_alone_min_bytes: int = SETTING["spread_alone_min_mib"].default * 1024**2
    # How a batch's Parquet rows are counted: "footers" (read over HDFS) or "scan" (Hive).
    row_check: str = "footers"
    # A run's claimed batches are taken over by another run only once that run has not
    # touched its lease for this long (a run that died, or a zombie attempt).
    lease_seconds: int = 600
    # A batch that failed to load this many times is set aside with its last error.
    max_batch_failures: int = 3
    # How a table follows a batch whose schema differs (avro_ingest.hive.evolution).
    schema_changes: Mode = "evolve"
    # A file whose content (HDFS checksum) was claimed before is set aside as a duplicate
    # delivery; True loads re-deliveries again.
    load_duplicates: bool = False
    # A file of at least this many bytes is read whole (its records counted, its content
    # hashed for the ledger) only once claimed, while Hive converts its batch: planning reads
    # just its header. Smaller files are read whole while planning, in one request each.
    count_after_claim_min_bytes: int = 64 * 1024**2

    def __post_init__(self) -> None:
        # The rules are the form's (avro_ingest.settings): one home for each.
        if not self.landing_paths:
            raise InvalidSetting("at least one landing path is needed")
        for path in self.landing_paths:
            if not re.search(FOLDER_PATTERN, path):
                raise InvalidSetting(
                    f"landing path {path!r}: {SETTING['landing_path'].description}"
                )
        for name in (
            "database",
            "quiet_period_seconds",
            "max_files_per_batch",
            "lease_seconds",
            "max_batch_failures",
            "schema_changes",
            "row_check",
        ):
            SETTING[name].check(getattr(self, name))
        SETTING["parallel_loads"].check(self.parallel_loads)
        if self.table_name_rule not in TABLE_NAME_RULES and not (
            self.table_name_rule.startswith("fixed:")
            and re.search(TABLE_PATTERN, self.table_name_rule[len("fixed:") :])
        ):
            raise InvalidSetting(
                f"table_name_rule {self.table_name_rule!r} must be one of {TABLE_NAME_RULES} "
                "or fixed:<table> with a valid lower-case table name"
            )
        if self.local_mode_max_bytes < 0 or self.spread_alone_min_bytes < 0:
            raise InvalidSetting(
                "local_mode_max_bytes and spread_alone_min_bytes must be at least 0"
            )
        if self.count_after_claim_min_bytes < 0:
            raise InvalidSetting("count_after_claim_min_bytes must be at least 0")
        if self.max_bytes_per_batch < 1 or self.header_read_threads < 1:
            raise InvalidSetting("max_bytes_per_batch and header_read_threads must be at least 1")

    @property
    def impala_version_tuple(self) -> tuple[int, int]:
        major, _, minor = self.impala_version.partition(".")
        return int(major), int(minor or 0)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["landing_paths"] = list(self.landing_paths)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IngestConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InvalidSetting(f"unknown settings: {unknown}")
        values = dict(data)
        paths = values.get("landing_paths", ())
        values["landing_paths"] = (paths,) if isinstance(paths, str) else tuple(paths)
        return cls(**values)


def config_from_params(params: Mapping[str, Any]) -> IngestConfig:
    """An IngestConfig from the DAG's Params (the trigger form), checked by the form's rules."""
    form = read_form(params)
    rule = form["table_name_rule"]
    return IngestConfig(
        landing_paths=tuple(p.strip() for p in form["landing_path"].split(",") if p.strip()),
        database=form["database"],
        table_name_rule=f"fixed:{form['fixed_table_name']}" if rule == "fixed" else rule,
        target_root=form["target_root"],
        quiet_period_seconds=form["quiet_period_seconds"],
        require_success_marker=form["require_success_marker"],
        max_files_per_batch=form["max_files_per_batch"],
        max_bytes_per_batch=int(form["max_batch_gib"] * 1024**3),
        parallel_loads=form["parallel_loads"],
        min_parallel_batch_bytes=int(form["min_parallel_batch_mib"] * 1024**2),
        local_mode_max_bytes=form["local_mode_max_mib"] * 1024**2,
        spread_alone_min_bytes=form["spread_alone_min_mib"] * 1024**2,
        row_check=form["row_check"],
        lease_seconds=form["lease_seconds"],
        max_batch_failures=form["max_batch_failures"],
        schema_changes=form["schema_changes"],
        load_duplicates=form["load_duplicates"],
        dry_run=form["dry_run"],
    )
