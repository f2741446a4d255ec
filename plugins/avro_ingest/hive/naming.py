"""Turn file and folder names into Hive table names, deterministically."""

from __future__ import annotations

import hashlib
import re
import unicodedata

__all__ = ["MAX_TABLE_NAME", "to_table_name"]

# Hive accepts 128 characters; leave room for prefixes such as "tmp_avro_<id>_".
MAX_TABLE_NAME = 64
_HASH_CHARS = 8
_NOT_ALLOWED = re.compile(r"[^a-z0-9_]")
_UNDERSCORES = re.compile(r"_+")


def to_table_name(text: str, *, max_length: int = MAX_TABLE_NAME) -> str:
    """A valid, lower-case Hive table name for `text` (a file or folder name).

    Rules, in order: Unicode is folded to ASCII where it has an ASCII form (é -> e); lower
    case; every character outside [a-z0-9_] becomes "_"; runs of "_" collapse; leading and
    trailing "_" go. If nothing is left, the name is "t_" + 8 hex characters of the SHA-256
    of `text`. A leading digit gets a "t_" prefix. A name longer than `max_length` is cut and
    ends with "_" + those 8 hex characters, so two long names sharing a prefix stay distinct.
    The same text always gives the same name. Different texts may give the same name
    ("a-b", "a.b"): callers that need uniqueness must check for collisions.
    """
    if max_length < _HASH_CHARS + 3:
        raise ValueError(f"max_length must be at least {_HASH_CHARS + 3}")
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    name = _UNDERSCORES.sub("_", _NOT_ALLOWED.sub("_", folded.lower())).strip("_")
    if not name:
        # Nothing survived (e.g. only non-Latin characters): keep names apart by a hash.
        name = "t_" + _digest(text)
    if name[0].isdigit():
        name = "t_" + name
    if len(name) > max_length:
        name = name[: max_length - _HASH_CHARS - 1].rstrip("_") + "_" + _digest(text)
    return name


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:_HASH_CHARS]
