"""Render the statements in sql/*.sql.

Templates use `{{ name }}` placeholders. `render` accepts only `SqlFragment` values (built by
avro_ingest.hive.quoting), requires every placeholder and refuses extra values, so a raw string
from a file, a path or a schema cannot reach a statement. Lines starting with `--` are the
templates' own documentation and are removed: some clients reject leading comments.
"""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path

from avro_ingest.hive.quoting import SqlFragment

__all__ = ["SQL_DIR_ENV", "render", "sql_dir", "template_names", "template_placeholders"]

SQL_DIR_ENV = "AVRO_INGEST_SQL_DIR"
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}")
_TEMPLATE_NAME = re.compile(r"[a-z0-9_]+\.sql")


def sql_dir() -> Path:
    """The sql/ folder: $AVRO_INGEST_SQL_DIR, else <repository>/sql next to plugins/."""
    override = os.environ.get(SQL_DIR_ENV)
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[3] / "sql"


@cache
def _load(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("--")]
    return "\n".join(lines).strip()


def _template(name: str) -> str:
    if not _TEMPLATE_NAME.fullmatch(name):
        raise ValueError(f"template name must look like 'name.sql', got {name!r}")
    path = sql_dir() / name
    if not path.is_file():
        raise FileNotFoundError(f"no SQL template {name!r} in {sql_dir()}")
    return _load(path)


def template_names() -> list[str]:
    return sorted(p.name for p in sql_dir().glob("*.sql"))


def template_placeholders(name: str) -> set[str]:
    return set(_PLACEHOLDER.findall(_template(name)))


def render(template_name: str, /, **values: SqlFragment) -> str:
    """Fill a template. Raises TypeError for a value that is not a SqlFragment (naming the
    placeholder) and KeyError for missing or unexpected placeholders."""
    text = _template(template_name)
    wanted = set(_PLACEHOLDER.findall(text))
    missing = wanted - set(values)
    extra = set(values) - wanted
    if missing or extra:
        raise KeyError(
            f"{template_name}: missing values for {sorted(missing)}, "
            f"unexpected values {sorted(extra)}"
        )
    for key, value in values.items():
        if not isinstance(value, SqlFragment):
            raise TypeError(
                f"{template_name}: value for {{{{ {key} }}}} must be a SqlFragment from "
                f"avro_ingest.hive.quoting, got {type(value).__name__} {value!r}"
            )
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)].sql, text)
