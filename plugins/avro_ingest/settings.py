"""What a run can be asked to do, as the trigger form shows it: one home for each setting's
name, title, help text, default, limits and section.

The DAG turns these into Params, so Airflow checks a run's values (in the form, the REST API
and the CLI) before the run starts; `read_form` checks the same rules for every run again,
including runs that did not come through Airflow's checks (`dag.test`, tests). Plain data:
nothing here imports Airflow.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from avro_ingest.exceptions import InvalidSetting
from avro_ingest.hive.evolution import MODES
from avro_ingest.hive.quoting import IDENTIFIER_PATTERN

__all__ = ["SETTINGS", "Setting", "param_schemas", "read_form"]

Kind = Literal["string", "integer", "number", "boolean"]

# One HDFS folder: absolute, no trailing slash, no folder starting with "_" (the pipeline's
# own), no "${" (Hive would substitute it) and no backslash (Hive reads it as a pattern).
_FOLDER = r"(?:/[^/,\\_][^/,\\]*)+"
FOLDER_PATTERN = rf"^(?!.*\$\{{){_FOLDER}$"
LANDING_PATTERN = rf"^(?!.*\$\{{)\s*{_FOLDER}\s*(?:,\s*{_FOLDER}\s*)*$"
TABLE_PATTERN = r"^[a-z_][a-z0-9_]{0,127}$"


@dataclass(frozen=True)
class Setting:
    """One field of the form. An optional field left empty takes its default."""

    name: str
    title: str
    description: str
    section: str
    kind: Kind
    default: Any
    optional: bool = True
    minimum: int | None = None  # inclusive, for integers
    maximum: int | None = None  # inclusive, for integers
    above: float | None = None  # exclusive, for numbers
    pattern: str | None = None
    choices: Mapping[str, str] = field(default_factory=dict)  # value: how the form shows it
    env: str | None = None  # a deployment's default comes from this environment variable

    def default_in(self, environ: Mapping[str, str]) -> Any:
        if self.env and environ.get(self.env):
            return self.check(_parse(self.kind, environ[self.env]))
        return self.default

    def schema(self, environ: Mapping[str, str]) -> dict[str, Any]:
        """Keyword arguments for airflow.sdk.Param."""
        schema: dict[str, Any] = {
            "default": self.default_in(environ),
            "type": [self.kind, "null"] if self.optional else self.kind,
            "title": self.title,
            "description": self.description,
            "section": self.section,
        }
        # Limits as exclusive bounds: the form's number field clamps a value outside
        # `minimum`/`maximum` silently (-5 becomes 0 and the run starts); outside an exclusive
        # bound, the run is refused instead.
        if self.minimum is not None:
            schema["exclusiveMinimum"] = self.minimum - 1
        if self.maximum is not None:
            schema["exclusiveMaximum"] = self.maximum + 1
        if self.above is not None:
            schema["exclusiveMinimum"] = self.above
        if self.pattern is not None:
            schema["pattern"] = self.pattern
        if self.choices:
            # An optional choice left empty takes its default.
            schema["enum"] = [*self.choices, *([None] if self.optional else [])]
            schema["values_display"] = dict(self.choices)
        return schema

    def check(self, value: Any) -> Any:
        """The value if it keeps this setting's rules; ValueError naming the setting if not."""
        if value is None and self.optional:
            return self.default
        expected: tuple[type, ...] = {
            "string": (str,),
            "integer": (int,),
            "number": (int, float),
            "boolean": (bool,),
        }[self.kind]
        if not isinstance(value, expected) or (isinstance(value, bool) and self.kind != "boolean"):
            raise InvalidSetting(f"{self.name} ({self.title}): {value!r} is not a {self.kind}")
        return self._within_rules(value)

    def _within_rules(self, value: Any) -> Any:
        if self.above is not None and value <= self.above:
            raise InvalidSetting(f"{self.name} ({self.title}): {value!r} is not above {self.above}")
        if self.minimum is not None and value < self.minimum:
            raise InvalidSetting(f"{self.name} ({self.title}): {value!r} is below {self.minimum}")
        if self.maximum is not None and value > self.maximum:
            raise InvalidSetting(f"{self.name} ({self.title}): {value!r} is above {self.maximum}")
        if self.pattern is not None and not re.search(self.pattern, value):
            raise InvalidSetting(f"{self.name} ({self.title}): {value!r}: {self.description}")
        if self.choices and value not in self.choices:
            raise InvalidSetting(
                f"{self.name} ({self.title}): {value!r} is not one of {list(self.choices)}"
            )
        return value


def _parse(kind: Kind, text: str) -> Any:
    if kind == "integer":
        return int(text)
    if kind == "number":
        return float(text)
    if kind == "boolean":
        return text.strip().lower() in ("1", "true", "yes")
    return text


WHAT = "What to load"
WHEN = "When a file is ready"
BATCHES = "Batches"
SAFETY = "Safety"

SETTINGS: tuple[Setting, ...] = (
    Setting(
        "landing_path",
        "Landing folder(s)",
        "Absolute HDFS folder(s) where the Avro files land, separated by commas. Sub-folders "
        "are read too. No trailing '/', no folder starting with '_' (the pipeline's own).",
        WHAT,
        "string",
        "/data/landing",
        optional=False,
        pattern=LANDING_PATTERN,
        env="AVRO_INGEST_LANDING",
    ),
    Setting(
        "table_name_rule",
        "Table names",
        "How each file's target table is named.",
        WHAT,
        "string",
        "schema",
        optional=False,
        choices={
            "schema": "From the Avro record's name",
            "folder": "From the landing sub-folder",
            "fixed": "One table, named below",
        },
    ),
    Setting(
        "fixed_table_name",
        "Table name (one table)",
        "The table every file goes to when 'Table names' is 'One table': lower-case letters, "
        "digits and '_'.",
        WHAT,
        "string",
        None,
        pattern=TABLE_PATTERN,
    ),
    Setting(
        "database",
        "Hive database",
        "The database the tables are created in: letters, digits and '_'.",
        WHAT,
        "string",
        "avro_ingest",
        optional=False,
        pattern=f"^{IDENTIFIER_PATTERN}$",
        env="AVRO_INGEST_DATABASE",
    ),
    Setting(
        "target_root",
        "Table storage folder",
        "Absolute HDFS folder under which the tables' Parquet files are kept, as "
        "<folder>/<database>/<table>. No trailing '/'.",
        WHAT,
        "string",
        "/user/hive/external/avro_ingest",
        optional=False,
        pattern=FOLDER_PATTERN,
        env="AVRO_INGEST_TARGET_ROOT",
    ),
    Setting(
        "quiet_period_seconds",
        "Quiet period (seconds)",
        "A closed file is taken once it has not changed for this long. Files still being "
        "written are never taken.",
        WHEN,
        "integer",
        60,
        minimum=0,
    ),
    Setting(
        "require_success_marker",
        "Wait for a _SUCCESS file",
        "Take a folder's files only once the writer has put a _SUCCESS file in it.",
        WHEN,
        "boolean",
        False,
    ),
    Setting(
        "wait_seconds",
        "Wait for files (seconds)",
        "How long the run waits for complete files before it is skipped. 0: do not wait.",
        WHEN,
        "integer",
        50 * 60,
        minimum=0,
        env="AVRO_INGEST_WAIT_SECONDS",
    ),
    Setting(
        "max_files_per_batch",
        "Files per batch (at most)",
        "A table's files are converted in batches of at most this many files.",
        BATCHES,
        "integer",
        5000,
        minimum=1,
    ),
    Setting(
        "max_batch_gib",
        "Batch size (GiB, at most)",
        "A table's files are converted in batches of at most this many GiB.",
        BATCHES,
        "number",
        20,
        above=0,
    ),
    Setting(
        "parallel_loads",
        "Parallel conversions per table",
        "A table's batches converted at once, each in its own Hive session.",
        BATCHES,
        "integer",
        2,
        minimum=1,
        maximum=16,
    ),
    Setting(
        "min_parallel_batch_mib",
        "Smallest parallel batch (MiB)",
        "A table's files are split into parallel batches only when each would hold at least "
        "this many MiB; below that, one conversion is faster.",
        BATCHES,
        "integer",
        16,
        minimum=0,
    ),
    Setting(
        "local_mode_max_mib",
        "Run in HiveServer2 up to (MiB)",
        "A batch reading at most this many MiB converts inside HiveServer2 (MapReduce local "
        "mode, whatever the server's engine: one core, no job to start); a larger one runs "
        "on the server's engine on YARN, over every core. 0: every batch on YARN. On a "
        "cluster with more cores than HiveServer2's host, YARN overtakes it at smaller sizes: "
        "set it lower.",
        BATCHES,
        "integer",
        # Measured on 2 cores (bench/RESULTS.md): batches converting side by side, up to a
        # 1 GB file, were faster inside HiveServer2 than as MapReduce jobs on YARN, whose
        # containers are new JVMs, and than Tez on YARN.
        1024,
        minimum=0,
        env="AVRO_INGEST_LOCAL_MODE_MAX_MIB",
    ),
    Setting(
        "spread_alone_min_mib",
        "Spread a lone batch from (MiB)",
        "A batch of at least this many MiB that converts alone (the rest of its run is under "
        "half its size) runs on the server's engine even under the limit above: inside "
        "HiveServer2 it would keep one core busy and leave the others idle. Takes effect on a "
        "Tez server (Tez on YARN keeps its containers warm); a MapReduce server keeps such a "
        "batch local, as its YARN jobs start new JVMs. 0: never.",
        BATCHES,
        "integer",
        # Measured on the stack's Tez on YARN, warm (bench/RESULTS.md): lone batches of 27 MB
        # to 1 GB converted faster there; at 1 and 7 MB the two were within a second of each
        # other, and inside HiveServer2 they leave Tez's one pooled session to larger ones.
        16,
        minimum=0,
        env="AVRO_INGEST_SPREAD_ALONE_MIN_MIB",
    ),
    Setting(
        "lease_seconds",
        "Lease (seconds)",
        "Another run takes over this run's claimed files only once it has not heard from "
        "this run for this long (the run died, or was stopped).",
        SAFETY,
        "integer",
        600,
        minimum=10,
    ),
    Setting(
        "schema_changes",
        "Schema changes",
        "What a batch whose schema differs from its table does: follow compatible changes "
        "(new fields, missing fields, widened numbers, renames by alias), keep the table as "
        "it is, or keep its columns and drop new fields. Any other change sets the batch's "
        "files aside, naming the field and both types.",
        SAFETY,
        "string",
        "evolve",
        choices=dict(MODES),
    ),
    Setting(
        "row_check",
        "Row count check",
        "How a batch's Parquet rows are counted before it is published, against the records "
        "its Avro files hold: from the Parquet files' footers (no Hive job), or by a Hive "
        "COUNT(*) scan.",
        SAFETY,
        "string",
        "footers",
        choices={"footers": "Parquet footers, read from HDFS", "scan": "A Hive COUNT(*) scan"},
    ),
    Setting(
        "max_batch_failures",
        "Failures before a batch is set aside",
        "A claimed batch that failed to load this many times (its rows did not verify, or "
        "Hive refused a statement of it) is set aside with its last error, so that it never "
        "blocks the pipeline. Faults of the cluster (down, safe mode, a quota) do not count.",
        SAFETY,
        "integer",
        3,
        minimum=1,
    ),
    Setting(
        "load_duplicates",
        "Load re-delivered files",
        "Load a file whose exact content was delivered before. Off: it is set aside as a "
        "duplicate delivery, naming the original.",
        SAFETY,
        "boolean",
        False,
    ),
    Setting(
        "dry_run",
        "Dry run",
        "Plan and show the SQL; create, move and load nothing.",
        SAFETY,
        "boolean",
        False,
    ),
)

SETTING: dict[str, Setting] = {s.name: s for s in SETTINGS}


def param_schemas(
    environ: Mapping[str, str], defaults: Mapping[str, Any] | None = None
) -> dict[str, dict[str, Any]]:
    """The form: Param keyword arguments per setting, with a deployment's defaults (from the
    environment), or a dataset's (`defaults`, checked)."""
    schemas = {s.name: s.schema(environ) for s in SETTINGS}
    for name, value in (defaults or {}).items():
        schemas[name]["default"] = SETTING[name].check(value)
    return schemas


def read_form(values: Mapping[str, Any]) -> dict[str, Any]:
    """Every setting's value, checked; an unknown name is refused (a typo would otherwise be
    ignored silently), an empty optional field takes its default."""
    unknown = sorted(set(values) - set(SETTING))
    if unknown:
        raise InvalidSetting(f"unknown settings: {unknown}; known: {sorted(SETTING)}")
    form = {s.name: s.check(values.get(s.name, s.default)) for s in SETTINGS}
    if form["table_name_rule"] == "fixed" and not form["fixed_table_name"]:
        raise InvalidSetting("table_name_rule 'fixed' needs fixed_table_name")
    return form


def settings_markdown() -> str:
    """The README's table of the form's settings, made from SETTINGS."""

    def default(setting: Setting) -> str:
        value = setting.default
        if value is None:
            shown = "empty"
        elif isinstance(value, bool):
            shown = f"`{str(value).lower()}`"
        else:
            shown = f"`{value}`"
        return f"`{setting.env}` or {shown}" if setting.env else shown

    def rule(setting: Setting) -> str:
        parts = []
        if setting.choices:
            parts.append(", ".join(f"`{value}`" for value in setting.choices))
        if setting.minimum is not None:
            parts.append(f"≥ {setting.minimum}")
        if setting.maximum is not None:
            parts.append(f"≤ {setting.maximum}")
        if setting.above is not None:
            parts.append(f"> {setting.above}")
        if not setting.optional:
            parts.append("required")
        return "; ".join(parts)

    lines = [
        "| section | setting | form label | default | rule | meaning |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for s in SETTINGS:
        meaning = s.description.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
        lines.append(
            f"| {s.section} | `{s.name}` | {s.title} | {default(s)} | {rule(s)} | {meaning} |"
        )
    return "\n".join(lines) + "\n"
