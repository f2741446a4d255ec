"""One configuration per dataset: a checked-in YAML file that maps each feed's landing folder to
its database, table rule, schema-change mode and batch limits. Each entry becomes a DAG of its
own (`avro_ingest_<name>`) whose trigger form starts from the entry's values; the form still
overrides one run. Plain data: nothing here imports Airflow, and reading the file is the only
I/O.

    datasets:
      - name: clicks
        landing_path: /data/landing/clicks
        database: web
        schema_changes: evolve
        max_files_per_batch: 500
      - name: orders
        landing_path: /data/landing/orders
        database: sales
        table_name_rule: fixed
        fixed_table_name: orders
        schema_changes: freeze

Keys are the trigger form's setting names (README, "Settings"). A bad entry is reported with
the file and line it starts on, and only that dataset fails.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from avro_ingest.exceptions import InvalidSetting
from avro_ingest.settings import SETTING, read_form

__all__ = ["Dataset", "load_datasets", "read_datasets"]

NAME_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"


@dataclass(frozen=True)
class Dataset:
    """One entry: its settings (checked), or the reason it cannot run."""

    name: str
    line: int  # where its entry starts in the file (1-based)
    settings: Mapping[str, Any] = field(default_factory=dict)
    error: str | None = None


def _scalar(node: yaml.Node) -> Any:
    return yaml.safe_load(yaml.serialize(node))


def _entry(node: yaml.Node, where: str, index: int) -> Dataset:
    line = node.start_mark.line + 1
    fallback = f"entry_{index + 1}"
    if not isinstance(node, yaml.MappingNode):
        return Dataset(fallback, line, error=f"{where}:{line}: an entry must be a mapping")
    values: dict[str, Any] = {}
    for key_node, value_node in node.value:
        key = str(key_node.value)
        at = key_node.start_mark.line + 1
        if key in values:
            return Dataset(fallback, line, error=f"{where}:{at}: {key} is given twice")
        if key != "name" and key not in SETTING:
            return Dataset(
                str(values.get("name", fallback)),
                line,
                error=f"{where}:{at}: unknown setting {key!r}; known: {sorted(SETTING)}",
            )
        values[key] = _scalar(value_node)
    name = values.pop("name", None)
    if not isinstance(name, str) or not re.search(NAME_PATTERN, name):
        return Dataset(
            fallback, line, error=f"{where}:{line}: name must match {NAME_PATTERN}, got {name!r}"
        )
    if "landing_path" not in values:
        return Dataset(name, line, error=f"{where}:{line}: dataset {name} has no landing_path")
    try:
        read_form(values)
    except InvalidSetting as error:
        return Dataset(name, line, error=f"{where}:{line}: dataset {name}: {error}")
    return Dataset(name, line, settings=values)


def load_datasets(text: str, where: str = "datasets.yaml") -> list[Dataset]:
    """The file's entries. A file that is not YAML, or has no `datasets` list, raises
    InvalidSetting naming the line; an entry with a bad value is returned with its error."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        line = mark.line + 1 if mark else 0
        raise InvalidSetting(f"{where}:{line}: not YAML: {error.problem}") from None
    if root is None:
        return []
    listed = None
    if isinstance(root, yaml.MappingNode):
        listed = next((v for k, v in root.value if k.value == "datasets"), None)
    if not isinstance(listed, yaml.SequenceNode):
        line = root.start_mark.line + 1
        raise InvalidSetting(f"{where}:{line}: expected `datasets:` with a list of entries")
    datasets = [_entry(node, where, i) for i, node in enumerate(listed.value)]
    seen: dict[str, Dataset] = {}
    checked = []
    for dataset in datasets:
        if dataset.error is None and dataset.name in seen:
            first = seen[dataset.name]
            dataset = Dataset(
                dataset.name,
                dataset.line,
                error=f"{where}:{dataset.line}: dataset {dataset.name} is also on line "
                f"{first.line}",
            )
        seen.setdefault(dataset.name, dataset)
        checked.append(dataset)
    return checked


def read_datasets(path: str | None) -> list[Dataset]:
    """The datasets of the file at `path` (none when unset). A file that cannot be read, is
    not YAML or has no list is one broken dataset, `datasets_file`, with the reason: the
    other DAGs still load."""
    if not path:
        return []
    try:
        return load_datasets(Path(path).read_text(encoding="utf-8"), where=path)
    except (OSError, InvalidSetting) as error:
        return [Dataset("datasets_file", 0, error=str(error))]
