"""A normalised view of an Avro schema, shared by the type mapping and the sidecar check.

`normalize()` turns parsed schema JSON into a tree where every named type has its full name,
every reference is a full name, and named types are listed in one table, so that consumers
never re-implement namespace rules. It is also a second, stricter validator: fastavro accepts
records without `fields`, duplicate field names, invalid names and duplicate union branches,
which Avro Java (and so Hive) rejects; those become InvalidSchema here.

Node forms after normalisation:

- `str`: a primitive name ("int", ...) or the full name of a named type (a reference);
- `list`: a union of nodes;
- `dict`: {"type": primitive, ...attributes such as logicalType}, or a named type
  ({"type": "record" | "enum" | "fixed", "name": full name, "aliases": [full names], ...}),
  or {"type": "array", "items": node} / {"type": "map", "values": node}.
  Record fields are {"name", "type": node, "aliases": [...], and "default" when given}.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from avro_ingest.exceptions import InvalidSchema

__all__ = ["NAMED", "PRIMITIVES", "NormalSchema", "describe", "normalize", "short_name"]

PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
NAMED = frozenset({"record", "enum", "fixed"})
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Far deeper than any real schema; stops a hostile schema from exhausting the Python stack.
MAX_DEPTH = 200

Node = str | list[Any] | dict[str, Any]


@dataclass(frozen=True)
class NormalSchema:
    root: Node
    names: dict[str, dict[str, Any]]

    def deref(self, node: Node) -> dict[str, Any] | list[Any]:
        """Resolve a reference or primitive name to a dict node; unions stay lists."""
        if isinstance(node, str):
            if node in PRIMITIVES:
                return {"type": node}
            return self.names[node]
        return node


def short_name(full_name: str) -> str:
    return full_name.rsplit(".", 1)[-1]


def describe(node: Node, names: dict[str, dict[str, Any]] | None = None) -> str:
    """A short human description of a node, for error messages ("record a.B", "[null, int]")."""
    if isinstance(node, str):
        if names is not None and node in names:
            return f"{names[node]['type']} {node}"
        return node
    if isinstance(node, list):
        return "[" + ", ".join(describe(b, names) for b in node) + "]"
    kind = node.get("type")
    if kind in NAMED:
        return f"{kind} {node.get('name')}"
    if kind == "array":
        return f"array<{describe(node['items'], names)}>"
    if kind == "map":
        return f"map<{describe(node['values'], names)}>"
    logical = node.get("logicalType")
    if logical:
        return f"{kind} ({logical})"
    return str(kind)


def normalize(schema: object) -> NormalSchema:
    """Normalise parsed schema JSON; raise InvalidSchema when it is not a valid Avro schema."""
    names: dict[str, dict[str, Any]] = {}
    root = _Normalizer(names).node(schema, "", "", 0)
    return NormalSchema(root, names)


def _full_name(name: object, namespace: str, where: str) -> tuple[str, str]:
    """Return (full name, its namespace) for a definition's `name` in `namespace`.

    Only the simple name is checked: Avro Java 1.11 (Hive 4.0.1's Avro) does not validate
    namespaces, and its reflect writer emits ones such as "org.example.Outer$" that real files
    carry. Namespaces never reach SQL.
    """
    if not isinstance(name, str) or not name:
        raise InvalidSchema(f"named type needs a non-empty string name, got {name!r}", where=where)
    space, _, simple = name.rpartition(".")
    if not _NAME.fullmatch(simple):
        raise InvalidSchema(f"invalid name {name!r}", where=where)
    if space:
        return name, space
    return (f"{namespace}.{name}" if namespace else name), namespace


class _Normalizer:
    def __init__(self, names: dict[str, dict[str, Any]]) -> None:
        self.names = names

    def reference(self, name: str, namespace: str, where: str) -> str:
        if "." not in name and namespace and f"{namespace}.{name}" in self.names:
            return f"{namespace}.{name}"
        if name in self.names:
            return name
        raise InvalidSchema(f"unknown type {name!r}", where=where)

    def node(self, schema: object, namespace: str, where: str, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise InvalidSchema(f"schema nested deeper than {MAX_DEPTH} levels", where=where)
        if isinstance(schema, str):
            if schema in PRIMITIVES:
                return schema
            return self.reference(schema, namespace, where)
        if isinstance(schema, list):
            return self.union(schema, namespace, where, depth)
        if not isinstance(schema, dict):
            raise InvalidSchema(f"not a schema: {schema!r}", where=where)
        kind = schema.get("type")
        if isinstance(kind, dict | list):
            # {"type": {...}} wraps a schema; Avro Java accepts it, so unwrap.
            return self.node(kind, namespace, where, depth + 1)
        if not isinstance(kind, str):
            raise InvalidSchema(f"missing or invalid 'type': {kind!r}", where=where)
        if kind in PRIMITIVES:
            return dict(schema)
        if kind in ("record", "error"):
            return self.record(schema, namespace, where, depth)
        if kind == "enum":
            return self.enum(schema, namespace, where)
        if kind == "fixed":
            return self.fixed(schema, namespace, where)
        if kind == "array":
            if "items" not in schema:
                raise InvalidSchema("array without 'items'", where=where)
            items = self.node(schema["items"], namespace, f"{where}[]", depth + 1)
            return {**schema, "items": items}
        if kind == "map":
            if "values" not in schema:
                raise InvalidSchema("map without 'values'", where=where)
            values = self.node(schema["values"], namespace, f"{where}{{}}", depth + 1)
            return {**schema, "values": values}
        return self.reference(kind, namespace, where)

    def define(self, schema: dict[str, Any], namespace: str, where: str) -> dict[str, Any]:
        """Register a named type; return its normalised dict (fields filled in by caller)."""
        ns_attr = schema.get("namespace")
        if ns_attr is not None and not isinstance(ns_attr, str):
            raise InvalidSchema(f"namespace must be a string, got {ns_attr!r}", where=where)
        own_ns = namespace if ns_attr is None else ns_attr
        full, type_ns = _full_name(schema.get("name"), own_ns, where)
        if full in self.names or full in PRIMITIVES:
            raise InvalidSchema(f"type {full!r} is defined twice", where=where)
        aliases = schema.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise InvalidSchema(f"aliases must be a list of names, got {aliases!r}", where=where)
        node = {k: v for k, v in schema.items() if k != "namespace"}
        node["name"] = full
        node["aliases"] = [_full_name(a, type_ns, where)[0] for a in aliases]
        node["_namespace"] = type_ns
        self.names[full] = node
        return node

    def record(
        self, schema: dict[str, Any], namespace: str, where: str, depth: int
    ) -> dict[str, Any]:
        node = self.define(schema, namespace, where)
        node["type"] = "record"  # "error" is a record with a flag (Avro protocols)
        fields = schema.get("fields")
        if not isinstance(fields, list):
            raise InvalidSchema(f"record {node['name']} needs a 'fields' list", where=where)
        seen: set[str] = set()
        out: list[dict[str, Any]] = []
        for raw in fields:
            if not isinstance(raw, dict):
                raise InvalidSchema(f"field must be an object, got {raw!r}", where=where)
            name = raw.get("name")
            if not isinstance(name, str) or not _NAME.fullmatch(name):
                raise InvalidSchema(f"invalid field name {name!r}", where=where)
            if name in seen:
                raise InvalidSchema(f"field {name!r} appears twice", where=where)
            seen.add(name)
            if "type" not in raw:
                raise InvalidSchema(f"field {name!r} has no type", where=where)
            path = f"{where}.{name}" if where else name
            field = {k: v for k, v in raw.items() if k != "type"}
            field["type"] = self.node(raw["type"], node["_namespace"], path, depth + 1)
            aliases = raw.get("aliases", [])
            if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
                raise InvalidSchema(f"field aliases must be names, got {aliases!r}", where=path)
            field["aliases"] = list(aliases)
            out.append(field)
        node["fields"] = out
        return node

    def enum(self, schema: dict[str, Any], namespace: str, where: str) -> dict[str, Any]:
        node = self.define(schema, namespace, where)
        symbols = schema.get("symbols")
        if not isinstance(symbols, list) or not all(
            isinstance(s, str) and _NAME.fullmatch(s) for s in symbols
        ):
            raise InvalidSchema(f"enum {node['name']} has invalid symbols {symbols!r}", where=where)
        if len(set(symbols)) != len(symbols):
            raise InvalidSchema(f"enum {node['name']} repeats a symbol", where=where)
        return node

    def fixed(self, schema: dict[str, Any], namespace: str, where: str) -> dict[str, Any]:
        node = self.define(schema, namespace, where)
        size = schema.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise InvalidSchema(f"fixed {node['name']} has invalid size {size!r}", where=where)
        return node

    def union(self, schema: list[Any], namespace: str, where: str, depth: int) -> list[Any]:
        if not schema:
            raise InvalidSchema("empty union", where=where)
        branches: list[Any] = []
        keys: set[str] = set()
        for raw in schema:
            if isinstance(raw, list):
                raise InvalidSchema("a union may not directly contain a union", where=where)
            branch = self.node(raw, namespace, where, depth + 1)
            key = _branch_key(branch)
            if key in keys:
                raise InvalidSchema(f"union has two branches of type {key}", where=where)
            keys.add(key)
            branches.append(branch)
        return branches


def _branch_key(branch: Node) -> str:
    """Unions may hold one branch per unnamed type and one per name (Avro specification)."""
    if isinstance(branch, str):
        return branch
    if isinstance(branch, dict):
        kind = branch["type"]
        return str(branch["name"]) if kind in NAMED else str(kind)
    return "union"
