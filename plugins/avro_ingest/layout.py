"""Where files live during ingestion, and the names derived from a batch. Pure.

    <landing>/                      files arrive here (users' writers)
    <landing>/_staging/<batch>/     claimed: one folder per batch, read by its temporary table
    <landing>/_staging/<batch>/_batch.json   the batch's manifest (Hive skips `_` files)
    <landing>/_work/<batch>.avsc    the schema the temporary table is declared with
    <landing>/_archive/<day>/<batch>/        verified and published
    <landing>/_quarantine/<day>/<file> (+ <file>.reason.json)   set aside, with the reason

Every move between them is one HDFS rename, so a file is always in exactly one place.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from avro_ingest.files import FileEntry

STAGING = "_staging"
ARCHIVE = "_archive"
QUARANTINE = "_quarantine"
WORK = "_work"
MANIFEST = "_batch.json"


def staging_root(landing: str) -> str:
    return f"{landing}/{STAGING}"


def staging_folder(landing: str, batch_id: str) -> str:
    return f"{landing}/{STAGING}/{batch_id}"


def manifest_path(landing: str, batch_id: str) -> str:
    return f"{staging_folder(landing, batch_id)}/{MANIFEST}"


def schema_file(landing: str, batch_id: str) -> str:
    return f"{landing}/{WORK}/{batch_id}.avsc"


def archive_folder(landing: str, day: str, batch_id: str) -> str:
    return f"{landing}/{ARCHIVE}/{day}/{batch_id}"


def quarantine_folder(landing: str, day: str) -> str:
    return f"{landing}/{QUARANTINE}/{day}"


def staged_name(landing: str, path: str) -> str:
    """A file's name in its staging folder: its path below the landing folder, with `/` as
    `__`, so files of the same name from different sub-folders cannot collide."""
    relative = path[len(landing) + 1 :] if path.startswith(landing + "/") else path.lstrip("/")
    return relative.replace("/", "__")


def batch_id_for(table: str, fingerprint: str, files: Iterable[FileEntry]) -> str:
    """Deterministic: the same files (path, size, mtime) with the same schema and table give
    the same id, so a rerun overwrites that batch's own partition instead of adding rows."""
    digest = hashlib.sha256(f"{table}\n{fingerprint}\n".encode())
    for entry in sorted(files, key=lambda e: e.path):
        digest.update(f"{entry.path}\t{entry.size}\t{entry.modification_time_ms}\n".encode())
    return "b" + digest.hexdigest()[:15]


def temp_table_name(batch_id: str) -> str:
    return f"tmp_avro_{batch_id}"
