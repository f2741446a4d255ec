"""The one place where values become SQL text.

Every value that comes from a file, a path, a schema or configuration reaches a HiveQL or
Impala statement only through these functions. They validate strictly and refuse rather than
repair: a name that is not a plain identifier or a string with control characters is an
error that shows the bad value.

`SqlFragment` is deliberately not a `str` subclass: templates (hive.sql) and `compose`
accept only fragments, so a raw string cannot reach SQL by accident.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import LiteralString

from avro_ingest.exceptions import InvalidIdentifier, InvalidLiteral

__all__ = [
    "IDENTIFIER_PATTERN",
    "MAX_IDENTIFIER",
    "MAX_LITERAL",
    "SqlFragment",
    "compose",
    "identifier",
    "join",
    "number_literal",
    "qualified",
    "string_literal",
]

MAX_IDENTIFIER = 128
# Hive's metastore stores table property values up to 4000 characters; paths fit easily.
MAX_LITERAL = 4000
IDENTIFIER_PATTERN = r"[A-Za-z_][A-Za-z0-9_]{0,127}"
_IDENTIFIER = re.compile(IDENTIFIER_PATTERN)
# Control characters (C0, DEL, C1) and Unicode line/paragraph separators: none belongs in a
# path, URL or property value, and newlines would break statement logging and parsing.
_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


class SqlFragment:
    """A piece of SQL text built only by this module's functions. Immutable."""

    __slots__ = ("_sql",)
    _sql: str

    def __init__(self, sql: str, *, _token: object = None) -> None:
        if _token is not _TOKEN:
            raise TypeError(
                "SqlFragment is built by identifier(), qualified(), string_literal(), "
                "number_literal(), compose() or join(), not directly"
            )
        object.__setattr__(self, "_sql", sql)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("SqlFragment is immutable")

    @property
    def sql(self) -> str:
        return self._sql

    def __str__(self) -> str:
        return self._sql

    def __repr__(self) -> str:
        return f"SqlFragment({self._sql!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SqlFragment) and other._sql == self._sql

    def __hash__(self) -> int:
        return hash(("SqlFragment", self._sql))

    # Immutable: copies are the object itself; pickling rebuilds it through _trusted.
    def __copy__(self) -> SqlFragment:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> SqlFragment:
        return self

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (_trusted, (self._sql,))


_TOKEN = object()


def _trusted(sql: str) -> SqlFragment:
    return SqlFragment(sql, _token=_TOKEN)


def identifier(name: object) -> SqlFragment:
    """A database, table or column name, backtick-quoted (reserved words are always safe).

    Only `[A-Za-z_][A-Za-z0-9_]{0,127}` is accepted: no quoting trick is needed, so none can
    be abused. Hive stores names in lower case; so does this.
    """
    if not isinstance(name, str):
        raise InvalidIdentifier(name, "must be a str")
    if not _IDENTIFIER.fullmatch(name):
        raise InvalidIdentifier(
            name, f"must match [A-Za-z_][A-Za-z0-9_]* and be 1..{MAX_IDENTIFIER} characters"
        )
    return _trusted(f"`{name.lower()}`")


def qualified(database: object, table: object) -> SqlFragment:
    """`db`.`table`"""
    return _trusted(f"{identifier(database).sql}.{identifier(table).sql}")


def string_literal(value: object) -> SqlFragment:
    """A single-quoted string literal for paths, schema URLs and property values.

    Backslash and single quote are escaped (HiveQL and Impala both unescape `\\\\` and `\\'`);
    control characters and newlines are refused, as are values over MAX_LITERAL characters.
    """
    if not isinstance(value, str):
        raise InvalidLiteral(value, "must be a str")
    if len(value) > MAX_LITERAL:
        raise InvalidLiteral(value, f"longer than {MAX_LITERAL} characters")
    bad = _FORBIDDEN.search(value)
    if bad:
        raise InvalidLiteral(
            value, f"contains control character {bad.group()!r} at index {bad.start()}"
        )
    if "${" in value:
        # Hive substitutes ${var} anywhere in a statement, string literals included
        # (hive.variable.substitute is on by default): refuse it rather than let it expand.
        raise InvalidLiteral(value, "contains '${' (Hive variable substitution)")
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return _trusted(f"'{escaped}'")


def number_literal(value: object) -> SqlFragment:
    """An integer literal. bool is refused (it is an int subclass but never meant as one)."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidLiteral(value, "must be an int")
    return _trusted(str(value))


def compose(template: LiteralString, /, **parts: SqlFragment) -> SqlFragment:
    """Fill `{name}` placeholders of a template written in code with fragments.

    The template must be a literal in our source (LiteralString); every part must be a
    SqlFragment, and every placeholder must be filled exactly.
    """
    wanted = set(_PLACEHOLDER.findall(template))
    if wanted != set(parts):
        raise ValueError(
            f"compose: placeholders {sorted(wanted)} but parts {sorted(parts)} in {template!r}"
        )
    for key, part in parts.items():
        if not isinstance(part, SqlFragment):
            raise TypeError(f"compose: part {key!r} must be a SqlFragment, got {type(part)}")
    return _trusted(_PLACEHOLDER.sub(lambda m: parts[m.group(1)].sql, template))


def join(parts: Iterable[SqlFragment], separator: LiteralString = ", ") -> SqlFragment:
    """Join fragments with a separator written in code."""
    items = list(parts)
    for part in items:
        if not isinstance(part, SqlFragment):
            raise TypeError(f"join: parts must be SqlFragment, got {type(part)}")
    return _trusted(separator.join(p.sql for p in items))
