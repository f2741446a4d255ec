"""Where files live during ingestion, and the names derived from a batch. Pure.

    <landing>/                      files arrive here (users' writers)
    <landing>/_staging/<claim>/     claimed by one run: a folder named by a fresh claim id
    <landing>/_staging/<claim>-<seal>/   sealed by the attempt that loads it (see claim.py)
    <landing>/_staging/<id>/_batch.json  the batch's manifest (Hive skips `_` files)
    <landing>/_committed/<id>/      verified; its Parquet partition is (being) registered
    <landing>/_archive/<day>/<id>/  published
    <landing>/_quarantine/<day>/<file> (+ <file>.reason.json)   set aside, with the reason
    <landing>/_work/<id>.avsc       the schema the temporary table is declared with (when the
                                    landing path is a valid URI: see schema_file)
    <landing>/_leases/<owner>.<n>   touched by a run's task attempt while it works
    <landing>/_ledger/<hash>/...    folders, one entry per claimed file content (re-deliveries)

Every move of a data file is one HDFS rename, so a file is always in exactly one place.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets

STAGING = "_staging"
ARCHIVE = "_archive"
QUARANTINE = "_quarantine"
WORK = "_work"
COMMITTED = "_committed"
LEASES = "_leases"
# Every target table is partitioned by these (STRING) columns, in this order: the day a
# batch was claimed and the batch's load id. A data column may not take either name.
PARTITION_COLUMNS = ("ingest_date", "batch_id")
LEDGER = "_ledger"
MANIFEST = "_batch.json"
# Separates a batch's claim id from the seal of the attempt that loads it.
SEAL_SEPARATOR = "_"


def staging_root(landing: str) -> str:
    return f"{landing}/{STAGING}"


def staging_folder(landing: str, batch_id: str) -> str:
    return f"{landing}/{STAGING}/{batch_id}"


def manifest_path(landing: str, batch_id: str) -> str:
    return f"{staging_folder(landing, batch_id)}/{MANIFEST}"


def committed_root(landing: str) -> str:
    return f"{landing}/{COMMITTED}"


def committed_folder(landing: str, batch_id: str) -> str:
    return f"{landing}/{COMMITTED}/{batch_id}"


def lease_path(landing: str, owner: str, attempt: str = "") -> str:
    """One file per task attempt of a run (`<owner>.<attempt hash>`): the attempts of one run
    renew their leases side by side, and two writers of one HDFS file would break each
    other's writes. A run holds its lease while any of its files is fresh."""
    suffix = f".{hashlib.sha256(attempt.encode()).hexdigest()[:8]}" if attempt else ""
    return f"{landing}/{LEASES}/{owner}{suffix}"


def lease_owner(name: str) -> str:
    """The owner a lease file (by its name) is held for."""
    return name.split(".", 1)[0]


def ledger_path(landing: str, checksum: str) -> str:
    return f"{landing}/{LEDGER}/{checksum}"


# Characters Hive takes in `avro.schema.url`: it parses the value as a URI and then opens the
# text as a path, so a percent-encoded name is looked up literally (FileNotFoundException) and
# a raw space, quote or backslash is a URISyntaxException.
_URI_SAFE = re.compile(r"[A-Za-z0-9/._~!$&()*+,;=:@-]*")
# Where schema files go for a landing folder whose path Hive cannot take as a URI.
SAFE_WORK_ROOT = "/tmp/avro-ingest/_work"


def work_folder(landing: str) -> str:
    """Where batches' schema files go: `<landing>/_work`, or, when the landing path holds a
    character Hive's `avro.schema.url` cannot take, a folder named by the landing path's hash
    under SAFE_WORK_ROOT."""
    if _URI_SAFE.fullmatch(landing):
        return f"{landing}/{WORK}"
    return f"{SAFE_WORK_ROOT}/{hashlib.sha256(landing.encode()).hexdigest()[:16]}"


def schema_file(landing: str, batch_id: str) -> str:
    return f"{work_folder(landing)}/{batch_id}.avsc"


def archive_folder(landing: str, day: str, batch_id: str) -> str:
    return f"{landing}/{ARCHIVE}/{day}/{batch_id}"


def quarantine_folder(landing: str, day: str) -> str:
    return f"{landing}/{QUARANTINE}/{day}"


# HDFS refuses a path component longer than this many bytes (the NameNode's default
# dfs.namenode.fs-limits.max-component-length).
MAX_NAME_BYTES = 255


def fit_name(name: str, room: int = 0) -> str:
    """`name`, or when it and `room` more bytes would pass HDFS' limit on a name, a name that
    fits: a hash of the whole name, then as much of its end (the extension) as fits."""
    if len(name.encode()) + room <= MAX_NAME_BYTES:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:16]
    budget = MAX_NAME_BYTES - room - len(digest) - 1
    tail = ""
    for char in reversed(name):
        if len((char + tail).encode()) > budget:
            break
        tail = char + tail
    return f"{digest}~{tail}"


def staged_name(landing: str, path: str) -> str:
    """A file's name in its staging folder: its path below the landing folder, with `/` as
    `__`, so files of the same name from different sub-folders cannot collide; shortened (see
    fit_name) when that is longer than HDFS takes, with room for the `_<name>.avsc` of its
    sidecar."""
    relative = path[len(landing) + 1 :] if path.startswith(landing + "/") else path.lstrip("/")
    return fit_name(relative.replace("/", "__"), room=len("_.avsc"))


def claimed_sidecar(staged: str) -> str:
    """Where a claimed file's .avsc sits: beside it, hidden from Hive's reader by the `_`."""
    folder, name = staged.rsplit("/", 1)
    return f"{folder}/_{name.removesuffix('.avro')}.avsc"


def new_claim_id(now: dt.datetime | None = None) -> str:
    """A fresh claim id: its time, for people, and 48 random bits, so that no two claims, by any
    run or attempt, ever share a staging folder or a partition."""
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%d%H%M%S")
    return f"c{stamp}{secrets.token_hex(6)}"


def new_load_id(batch_id: str) -> str:
    """The id a loading attempt seals a claimed batch under: `<claim id>-<seal>`. It names the
    batch's staging folder from then on, its Parquet partition and its archive folder."""
    return f"{claim_id_of(batch_id)}{SEAL_SEPARATOR}{secrets.token_hex(4)}"


def claim_id_of(batch_id: str) -> str:
    return batch_id.split(SEAL_SEPARATOR, 1)[0]


def owner_token(run_id: str) -> str:
    """The lease name of a run: its id hashed (a run id may hold any character)."""
    return hashlib.sha256(run_id.encode()).hexdigest()[:20]


TEMPORARY_PREFIXES = ("tmp_avro_", "tmp_parquet_")


def temp_table_name(batch_id: str) -> str:
    return f"{TEMPORARY_PREFIXES[0]}{batch_id}"


def pending_table_name(batch_id: str) -> str:
    return f"{TEMPORARY_PREFIXES[1]}{batch_id}"


def claim_of_temporary(name: str) -> str | None:
    """The claim id a temporary table was made for (None for any other table)."""
    for prefix in TEMPORARY_PREFIXES:
        if name.startswith(prefix):
            return claim_id_of(name[len(prefix) :])
    return None
