"""What one pipeline run is asked to do: plain, JSON-ready settings (the DAG's Params)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from avro_ingest.naming import to_table_name
from avro_ingest.quoting import identifier

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
    # Parallel WebHDFS requests when reading headers and claiming files (latency-bound).
    header_read_threads: int = 8
    # Batches of one table load this many at a time, each in its own HiveServer2 session and
    # partition: Hive in local mode converts on one core per statement. A table's files are
    # split into that many batches when each part would hold at least
    # min_parallel_batch_bytes; below that, the extra Hive job costs more than it saves.
    parallel_loads: int = 2
    min_parallel_batch_bytes: int = 16 * 1024**2
    # Target size of the Parquet files a batch writes (Hive's merge step).
    parquet_file_size_bytes: int = 256 * 1024**2
    # A run's claimed batches are taken over by another run only once that run has not
    # touched its lease for this long (a run that died, or a zombie attempt).
    lease_seconds: int = 600
    # A file whose content (HDFS checksum) was claimed before is set aside as a duplicate
    # delivery; True loads re-deliveries again.
    load_duplicates: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.landing_paths:
            raise ValueError("at least one landing path is needed")
        for path in self.landing_paths:
            if not path.startswith("/") or "/_" in path or path.rstrip("/") != path:
                raise ValueError(
                    f"landing path {path!r} must be absolute, without a trailing slash and "
                    "without folders starting with '_' (those are the pipeline's own)"
                )
        identifier(self.database)
        if self.table_name_rule not in TABLE_NAME_RULES and not (
            self.table_name_rule.startswith("fixed:")
            and to_table_name(self.table_name_rule[6:]) == self.table_name_rule[6:]
        ):
            raise ValueError(
                f"table_name_rule {self.table_name_rule!r} must be one of {TABLE_NAME_RULES} "
                "or fixed:<table> with a valid lower-case table name"
            )
        if self.max_files_per_batch < 1 or self.max_bytes_per_batch < 1:
            raise ValueError("batch limits must be positive")
        if self.lease_seconds < 10:
            raise ValueError("lease_seconds must be at least 10")
        if self.parallel_loads < 1 or self.header_read_threads < 1:
            raise ValueError("parallel_loads and header_read_threads must be at least 1")

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
            raise ValueError(f"unknown settings: {unknown}")
        values = dict(data)
        paths = values.get("landing_paths", ())
        values["landing_paths"] = (paths,) if isinstance(paths, str) else tuple(paths)
        return cls(**values)


# Names of the DAG's Params form that map onto IngestConfig fields.
PARAM_FIELDS = (
    "database",
    "table_name_rule",
    "table_prefix",
    "target_root",
    "quiet_period_seconds",
    "require_success_marker",
    "max_files_per_batch",
    "max_bytes_per_batch",
    "dry_run",
    "impala_version",
    "parallel_loads",
    "min_parallel_batch_bytes",
    "lease_seconds",
    "load_duplicates",
)


def config_from_params(params: dict[str, Any]) -> IngestConfig:
    """An IngestConfig from the DAG's Params: `landing_path` may list several folders,
    separated by commas."""
    landing = str(params["landing_path"])
    values: dict[str, Any] = {k: params[k] for k in PARAM_FIELDS if k in params}
    # Params that steer tasks rather than the ingestion itself (e.g. wait_seconds) are ignored.
    values["landing_paths"] = tuple(p.strip() for p in landing.split(",") if p.strip())
    return IngestConfig.from_dict(values)
