"""Sidecar .avsc schemas: check that one can read a file, by Avro's schema resolution rules.

A sidecar (reader) schema next to the data wins over the file's own (writer) schema: it is
what the temporary Hive table is declared with (`avro.schema.url`). Hive reads each file with
Avro's schema resolution, so a sidecar that cannot resolve against the writer schema would
fail the CTAS half-way, or worse, read wrong values. The check runs at plan time instead.

Rules implemented (Avro 1.11 specification, "Schema Resolution"): records match by full or
unqualified name or a reader alias; reader fields are matched to writer fields by name or
field alias, and a reader field missing in the writer needs a default; enums match by name,
and a writer symbol missing in the reader needs the reader's enum default; fixed match by name
and size; arrays and maps recurse; promotions int -> long/float/double, long -> float/double,
float -> double, string <-> bytes; every branch of a writer union must resolve against the
reader; a reader union takes its first matching branch. Logical types are ignored, as the
specification says.
"""

from __future__ import annotations

from typing import Any

from avro_ingest.avro.header import AvroHeader, Schema, validate_schema
from avro_ingest.avro.schema import NAMED, NormalSchema, describe, normalize, short_name
from avro_ingest.exceptions import AvroIngestError, SchemaMismatch

__all__ = ["check_reader_can_read", "choose_schema"]

_PROMOTIONS: dict[str, frozenset[str]] = {
    "int": frozenset({"long", "float", "double"}),
    "long": frozenset({"float", "double"}),
    "float": frozenset({"double"}),
    "string": frozenset({"bytes"}),
    "bytes": frozenset({"string"}),
}


def check_reader_can_read(reader_schema: object, writer_schema: object) -> None:
    """Raise SchemaMismatch (terminal) naming the first difference; return None if readable.

    Both schemas are validated first (InvalidSchema when one is not a valid Avro schema).
    """
    validate_schema(reader_schema, where="reader schema")
    validate_schema(writer_schema, where="writer schema")
    reader = normalize(reader_schema)
    writer = normalize(writer_schema)
    _Resolver(writer, reader).check(writer.root, reader.root, "")


def choose_schema(
    sidecar_schema: Schema | None, header: AvroHeader, *, path: str | None = None
) -> Schema:
    """The schema to declare the Hive table with: the sidecar when there is one (after
    checking it can read the file), otherwise the file's own writer schema."""
    if sidecar_schema is None:
        return header.schema
    try:
        check_reader_can_read(sidecar_schema, header.schema)
    except AvroIngestError as exc:
        raise exc.with_file(path) from None
    return sidecar_schema


class _Resolver:
    def __init__(self, writer: NormalSchema, reader: NormalSchema) -> None:
        self.writer = writer
        self.reader = reader
        # (writer name, reader name) pairs being checked: recursive schemas terminate.
        self.active: set[tuple[str, str]] = set()

    def fail(self, path: str, w: Any, r: Any, why: str) -> SchemaMismatch:
        return SchemaMismatch(
            path, describe(w, self.writer.names), describe(r, self.reader.names), why
        )

    def check(self, w_node: Any, r_node: Any, path: str) -> None:
        w = self.writer.deref(w_node)
        r = self.reader.deref(r_node)
        if isinstance(w, list):
            # Each value written could be of any branch: every branch must be readable.
            for branch in w:
                self.check(branch, r_node, path)
            return
        if isinstance(r, list):
            branch = self.pick_branch(w, r)
            if branch is None:
                raise self.fail(path, w_node, r_node, "no branch of the reader union matches")
            self.check(w_node, branch, path)
            return
        self.check_plain(w, r, w_node, r_node, path)

    def pick_branch(self, w: dict[str, Any], branches: list[Any]) -> Any | None:
        """First reader branch of the same kind (and name), else the first promotion."""
        for branch in branches:
            if self.same_kind(w, self.reader.deref(branch)):
                return branch
        for branch in branches:
            r = self.reader.deref(branch)
            if isinstance(r, dict) and r["type"] in _PROMOTIONS.get(w["type"], frozenset()):
                return branch
        return None

    def same_kind(self, w: dict[str, Any], r: dict[str, Any] | list[Any]) -> bool:
        if not isinstance(r, dict) or w["type"] != r["type"]:
            return False
        return w["type"] not in NAMED or self.names_match(w, r)

    @staticmethod
    def names_match(w: dict[str, Any], r: dict[str, Any]) -> bool:
        w_name = str(w["name"])
        r_names = {str(r["name"]), *r.get("aliases", [])}
        return w_name in r_names or short_name(w_name) in {short_name(n) for n in r_names}

    def check_plain(
        self, w: dict[str, Any], r: dict[str, Any], w_node: Any, r_node: Any, path: str
    ) -> None:
        wt, rt = w["type"], r["type"]
        if wt != rt:
            if rt in _PROMOTIONS.get(wt, frozenset()):
                return
            raise self.fail(path, w_node, r_node, f"{wt} cannot be read as {rt}")
        if wt in NAMED and not self.names_match(w, r):
            raise self.fail(
                path, w_node, r_node, f"names differ: writer {w['name']}, reader {r['name']}"
            )
        if wt == "record":
            self.check_record(w, r, path)
        elif wt == "enum":
            missing = [s for s in w["symbols"] if s not in r["symbols"]]
            if missing and "default" not in r:
                raise self.fail(
                    path,
                    w_node,
                    r_node,
                    f"writer symbols {missing} are not in the reader enum, which has no default",
                )
        elif wt == "fixed":
            if w["size"] != r["size"]:
                raise self.fail(
                    path,
                    w_node,
                    r_node,
                    f"fixed size differs: writer {w['size']}, reader {r['size']}",
                )
        elif wt == "array":
            self.check(w["items"], r["items"], f"{path}[]")
        elif wt == "map":
            self.check(w["values"], r["values"], f"{path}{{}}")

    def check_record(self, w: dict[str, Any], r: dict[str, Any], path: str) -> None:
        key = (str(w["name"]), str(r["name"]))
        if key in self.active:
            return  # already being checked further up: a recursive reference
        self.active.add(key)
        try:
            by_name = {f["name"]: f for f in w["fields"]}
            for field in r["fields"]:
                sub = f"{path}.{field['name']}" if path else field["name"]
                written = by_name.get(field["name"])
                if written is None:
                    written = next(
                        (by_name[a] for a in field.get("aliases", []) if a in by_name), None
                    )
                if written is None:
                    if "default" not in field:
                        raise SchemaMismatch(
                            sub,
                            "(absent)",
                            describe(field["type"], self.reader.names),
                            "reader field is not in the writer schema and has no default",
                        )
                    continue
                self.check(written["type"], field["type"], sub)
        finally:
            self.active.discard(key)
