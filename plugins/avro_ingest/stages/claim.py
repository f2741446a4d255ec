"""Claim files exactly once, and hand a claimed batch from attempt to attempt without loss.

The protocol (docs/adr/0002-claim-protocol.md says why each step is safe):

1. **Claim.** A run writes the batch's manifest into `_staging/<claim id>` (a fresh, random
   id: no other run or attempt ever uses that folder), then renames each planned file into it.
   HDFS renames are atomic: when runs race for a file, exactly one rename succeeds.
2. **Seal.** The attempt that loads a batch first renames its folder to `<claim id>-<seal>`, a
   name of its own. The rename fences everyone else off: a claim still renaming files into the
   old name (a zombie attempt) now fails, and an earlier attempt that was loading the batch
   can no longer commit it. The sealing attempt lists what is really in the folder: files
   replaced after inspection go back to landing, to be inspected again.
3. **Load and verify** where readers do not look (pipeline.py, convert.py).
4. **Commit**: rename `_staging/<id>` to `_committed/<id>`. Only the sealing attempt can, and
   only while it still holds the folder; an attempt that lost it drops its output.
5. **Publish** the partition (idempotent), then **archive**: `_committed/<id>` to
   `_archive/<day>/<id>`.

Ownership. Each run touches `_leases/<owner>` while any of its tasks works (`Lease`). A batch
of another run is taken over only once that run's lease is older than `lease_seconds`; a
later attempt of the same run takes its run's batches at once (Airflow starts a retry once it
holds the earlier attempt to be gone, and sealing fences that attempt off if it is not).
Nothing here deletes a data file; folders are removed only when empty.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from avro_ingest.exceptions import DuplicateDelivery, FileGone
from avro_ingest.files import FileEntry, is_partial_write
from avro_ingest.ports import FileSystem
from avro_ingest.stages.batch import BatchPlan, StagedFile
from avro_ingest.stages.inspection import FileInfo, Rejection
from avro_ingest.stages.layout import (
    LEASES,
    MANIFEST,
    archive_folder,
    claim_id_of,
    claimed_sidecar,
    committed_folder,
    committed_root,
    fit_name,
    lease_owner,
    lease_path,
    ledger_path,
    manifest_path,
    new_claim_id,
    new_load_id,
    owner_token,
    quarantine_folder,
    staging_folder,
    staging_root,
)

__all__ = [
    "COMMITTED",
    "STAGED",
    "Lease",
    "Located",
    "Manifest",
    "Owner",
    "QuarantineRecord",
    "Sealed",
    "archive_batch",
    "claim_batch",
    "claim_batches",
    "commit_batch",
    "find_batches",
    "may_take",
    "orphaned_batches",
    "quarantine",
    "record_counts",
    "record_failure",
    "record_seal",
    "register_deliveries",
    "register_delivery",
    "remove_if_empty",
    "seal_batch",
    "split_batch",
    "write_manifests",
]

log = logging.getLogger(__name__)

STAGED = "staged"
COMMITTED = "committed"


@dataclass(frozen=True)
class Owner:
    """Who works on a batch: a run, and which attempt of which task within it."""

    run_id: str
    attempt: str = ""

    @property
    def token(self) -> str:
        return owner_token(self.run_id)


@dataclass(frozen=True)
class Manifest:
    """A batch folder's `_batch.json`: the batch as planned (or, once sealed, as present), who
    holds it, and where its Parquet output goes."""

    batch: BatchPlan
    owner: str
    run_id: str
    attempt: str
    location: str | None = None
    # How many loads of this batch failed so far, and the last one's error.
    failures: int = 0
    last_error: str = ""

    def to_json(self) -> bytes:
        return json.dumps(
            {
                "batch": self.batch.to_dict(),
                "owner": self.owner,
                "run_id": self.run_id,
                "attempt": self.attempt,
                "location": self.location,
                "failures": self.failures,
                "last_error": self.last_error,
            },
            indent=1,
        ).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        data = json.loads(raw)
        return cls(
            batch=BatchPlan.from_dict(data["batch"]),
            owner=data["owner"],
            run_id=data["run_id"],
            attempt=data.get("attempt", ""),
            location=data.get("location"),
            failures=int(data.get("failures", 0)),
            last_error=str(data.get("last_error", "")),
        )

    @classmethod
    def for_owner(cls, batch: BatchPlan, owner: Owner, location: str | None = None) -> Manifest:
        return cls(batch, owner.token, owner.run_id, owner.attempt, location)

    def write(self, fs: FileSystem, *, new: bool = False) -> None:
        """Write it into its batch's folder. `new`: the folder is made for it and an existing
        manifest is refused (a fresh id's folder has none, so a repeated id fails rather than
        overwrites). Otherwise it replaces the folder's manifest, and FileGone says the folder
        is no longer there: another attempt sealed the batch, and a stale attempt must not
        make the folder again with a manifest for files it no longer holds."""
        path = manifest_path(self.batch.landing, self.batch.batch_id)
        fs.write_bytes(path, self.to_json(), overwrite=not new, make_folder=new)


def _now_ms() -> int:
    return int(time.time() * 1000)


# --- leases ----------------------------------------------------------------------------------


class Lease:
    """Keeps a run's lease fresh in each landing folder while its `with` block runs: one
    small write per folder every `seconds / 4`. A failed renewal is logged, not raised: the
    worst it can cause is a takeover, which the protocol makes safe."""

    def __init__(self, fs: FileSystem, landings: Sequence[str], owner: Owner, seconds: float):
        self.fs = fs
        self.landings = tuple(landings)
        self.owner = owner
        self.interval = max(0.5, seconds / 4)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def renew(self) -> None:
        # Empty: its name says whose it is and its modification time when it was renewed. A
        # file with no block closes at once; a one-block file waits for the DataNode's block
        # report, a few hundred milliseconds on a busy cluster, at the start of every task.
        for landing in self.landings:
            self.fs.write_bytes(lease_path(landing, self.owner.token, self.owner.attempt), b"")

    def _beat(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.renew()
            except Exception as error:  # observability of a lease must never fail the task
                log.warning("could not renew the lease of run %s: %s", self.owner.run_id, error)

    def __enter__(self) -> Lease:
        self.renew()
        self._thread = threading.Thread(target=self._beat, name="avro-ingest-lease", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


class _LeaseBook:
    """Whether owners' leases in one landing folder are still held: one listing, then the
    newest lease file of each owner (any of its task attempts) decides."""

    def __init__(self, fs: FileSystem, landing: str, seconds: float, now_ms: int) -> None:
        self.seconds, self.now_ms = seconds, now_ms
        self._newest: dict[str, int] = {}
        for entry in fs.list_files(f"{landing}/{LEASES}"):
            if is_partial_write(entry.name):
                continue  # a renewal still being written (see FileSystem.write_bytes)
            owner = lease_owner(entry.name)
            self._newest[owner] = max(self._newest.get(owner, 0), entry.modification_time_ms)

    def held(self, token: str) -> bool:
        newest = self._newest.get(token)
        return newest is not None and self.now_ms - newest < self.seconds * 1000


def _prune_leases(fs: FileSystem, landing: str, seconds: float) -> None:
    """Remove leases that lapsed long ago (one file per finished run would pile up). A missing
    lease reads as lapsed, so this changes no decision."""
    cutoff = _now_ms() - int(max(seconds * 10, 86_400) * 1000)
    for entry in fs.list_files(f"{landing}/{LEASES}"):
        if entry.modification_time_ms < cutoff:
            fs.delete(entry.path)


def _prune_partial_writes(fs: FileSystem, landing: str, seconds: float) -> None:
    """Remove manifest rewrites that never finished, written beside their batch folders in
    staging by an attempt that died or lost its DataNode mid-write. Older than a lease: no
    live attempt still writes them."""
    cutoff = _now_ms() - int(seconds * 1000)
    for entry in fs.list_files(staging_root(landing)):
        if is_partial_write(entry.name) and entry.modification_time_ms < cutoff:
            fs.delete(entry.path)


# --- claiming --------------------------------------------------------------------------------


def _claim_one(fs: FileSystem, staged: StagedFile) -> bool:
    if not fs.rename(staged.source, staged.staged):
        return False
    if staged.sidecar:
        fs.rename(staged.sidecar, claimed_sidecar(staged.staged))
    return True


def write_manifests(
    fs: FileSystem, batches: Sequence[BatchPlan], owner: Owner, *, threads: int = 1
) -> None:
    """Write each planned batch's manifest into its fresh staging folder, several at once:
    the first step of a claim. Each is a new HDFS file, whose close waits for the DataNode's
    block report, so a run writes them while it does other work (see `claim_batch`)."""
    # Claim ids are fresh: no one else writes these folders, so a plain create will do (and it
    # fails, rather than overwrites, should an id ever repeat).
    if not batches:
        return
    with ThreadPoolExecutor(max_workers=min(max(1, threads), len(batches))) as pool:
        list(pool.map(lambda batch: Manifest.for_owner(batch, owner).write(fs, new=True), batches))


def claim_batch(
    fs: FileSystem,
    batch: BatchPlan,
    owner: Owner,
    *,
    threads: int = 1,
    manifest_written: bool = False,
) -> BatchPlan:
    """Write the batch's manifest into its fresh staging folder (unless `write_manifests`
    did, for this batch or for one with more files), then rename its files in. Files that
    another run claimed first are left out of the returned batch (the manifest keeps the
    plan: sealing reads what is really there). Renames are latency-bound, so `threads` of
    them run at once."""
    if not manifest_written:
        write_manifests(fs, [batch], owner)
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        claimed_ok = list(pool.map(lambda staged: _claim_one(fs, staged), batch.files))
    lost = {f.source for f, ok in zip(batch.files, claimed_ok, strict=True) if not ok}
    for source in sorted(lost):
        log.info("%s was claimed by another run; leaving it out of %s", source, batch.batch_id)
    claimed = batch.without(lost)
    if not claimed.files:
        remove_if_empty(fs, batch.folder)
    return claimed


def claim_batches(
    fs: FileSystem,
    batches: Sequence[BatchPlan],
    owner: Owner,
    *,
    threads: int = 1,
    manifests_written: bool = False,
) -> list[BatchPlan]:
    """`claim_batch` for each batch, several at once, in order: each batch's manifest is a
    new HDFS file, and a run over many small feeds claims one batch per table."""
    if not batches:
        return []
    workers = min(max(1, threads), len(batches))
    each = max(1, threads // workers)  # a single large batch keeps all threads for renames
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(
            pool.map(
                lambda batch: claim_batch(
                    fs, batch, owner, threads=each, manifest_written=manifests_written
                ),
                batches,
            )
        )


def remove_if_empty(fs: FileSystem, folder: str) -> None:
    """Remove a batch folder that holds nothing but its manifest (and any manifest write an
    attempt left when the folder moved under it). A folder that holds anything else keeps its
    manifest (so it stays findable), and a non-recursive delete refuses a folder that is not
    empty, so no data file can go with it."""
    entries = fs.list_files(folder)
    partial = [e for e in entries if is_partial_write(e.name)]
    if any(e.name != MANIFEST for e in entries if e not in partial) or fs.list_folders(folder):
        return
    for entry in partial:
        fs.delete(entry.path)
    fs.delete(f"{folder}/{MANIFEST}")
    fs.delete(folder, recursive=False)


# --- duplicate deliveries --------------------------------------------------------------------


def register_deliveries(
    fs: FileSystem, infos: Sequence[FileInfo], owner: Owner, *, threads: int = 8
) -> tuple[list[FileInfo], list[Rejection]]:
    """Enter each file's content (the hash inspection took of its bytes) in the landing
    folder's ledger (`register_delivery`). A file inspection did not hash (read once claimed)
    is entered then, and passes here."""
    if infos:
        fs.makedirs(ledger_path(infos[0].landing, "").rstrip("/"))

    def one(info: FileInfo) -> FileInfo | Rejection:
        if info.checksum is None:
            return info
        rejected = register_delivery(fs, info.landing, info.entry, info.checksum, info.sidecar)
        return info if rejected is None else rejected

    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        results = list(pool.map(one, infos))
    return (
        [r for r in results if isinstance(r, FileInfo)],
        [r for r in results if isinstance(r, Rejection)],
    )


def register_delivery(
    fs: FileSystem, landing: str, entry: FileEntry, checksum: str, sidecar: str | None
) -> Rejection | None:
    """Enter a file's content in the landing folder's ledger; its rejection when the content
    was entered before, from another path or with another modification time (a duplicate
    delivery). The same file met again (a retried plan or load) is not a duplicate.

    An entry is a folder `_ledger/<hash>/<mtime>_<size>/<path below landing>`, made under a
    hidden name and renamed into place with a rename that refuses an existing destination:
    of two runs meeting the same content at once, exactly one enters it. Folders only: the
    NameNode alone answers, no DataNode write per file."""
    delivery = f"{entry.modification_time_ms}_{entry.size}"
    relative = entry.path[len(landing) + 1 :]
    target = ledger_path(landing, checksum)
    hidden = ledger_path(landing, f".new-{uuid.uuid4().hex}")
    fs.makedirs(f"{hidden}/{delivery}/{relative}")
    if fs.rename_exclusive(hidden, target):
        return None
    fs.delete(hidden, recursive=True)  # our own empty folders
    seen = _ledger_delivery(fs, target)
    if seen == (delivery, relative):
        return None  # this very file, met again by a retried plan
    when, original = seen if seen else ("?", "?")
    stamp = when.split("_", 1)[0]
    claimed = (
        dt.datetime.fromtimestamp(int(stamp) / 1000, dt.UTC).isoformat(timespec="seconds")
        if stamp.isdigit()
        else "?"
    )
    error = DuplicateDelivery(f"{landing}/{original}", f"modified {claimed}", checksum)
    error.with_file(entry.path)
    return Rejection(
        entry, landing, type(error).__name__, error.reason, str(error), "dedupe", sidecar
    )


def _ledger_delivery(fs: FileSystem, entry: str) -> tuple[str, str] | None:
    """The (mtime_size, path below landing) a ledger entry records, or None if it is gone."""
    deliveries = fs.list_folders(entry)
    if not deliveries:
        return None
    delivery = deliveries[0]
    parts: list[str] = []
    folder = delivery
    while children := fs.list_folders(folder):
        folder = children[0]
        parts.append(folder.rsplit("/", 1)[-1])
    return delivery.rsplit("/", 1)[-1], "/".join(parts)


# --- finding, sealing, committing ------------------------------------------------------------


@dataclass(frozen=True)
class Located:
    """A batch folder as found in staging or committed, with its manifest."""

    folder: str
    batch_id: str
    state: str  # STAGED or COMMITTED
    manifest: Manifest


def _read_manifest(fs: FileSystem, folder: str) -> Manifest | None:
    try:
        return Manifest.from_json(fs.read_range(f"{folder}/{MANIFEST}", 0, 1 << 30))
    except FileGone:
        return None


def find_batches(
    fs: FileSystem, landing: str, claims: Collection[str] | None = None
) -> Iterator[Located]:
    """Every batch folder in staging and committed, with its manifest; only those of `claims`
    (claim ids) when given, so that a table's load reads its own manifests, not every other
    table's. Folders whose manifest is gone (taken over and moved while we listed) are passed
    over."""
    for state, root in ((STAGED, staging_root(landing)), (COMMITTED, committed_root(landing))):
        for folder in fs.list_folders(root):
            if claims is not None and claim_id_of(folder.rsplit("/", 1)[-1]) not in claims:
                continue
            manifest = _read_manifest(fs, folder)
            if manifest is not None:
                yield Located(folder, folder.rsplit("/", 1)[-1], state, manifest)


def orphaned_batches(
    fs: FileSystem, landings: Sequence[str], owner: Owner, *, lease_seconds: float
) -> list[Located]:
    """Batches this run may take over: its own (left by an earlier attempt of this run) and
    those whose owner's lease has lapsed (a run that died or ended with them unfinished)."""
    found: list[Located] = []
    for landing in landings:
        _prune_leases(fs, landing, lease_seconds)
        _prune_partial_writes(fs, landing, lease_seconds)
        leases = _LeaseBook(fs, landing, lease_seconds, _now_ms())
        for located in find_batches(fs, landing):
            mine = located.manifest.owner == owner.token
            if mine or not leases.held(located.manifest.owner):
                found.append(located)
    return found


def may_take(fs: FileSystem, located: Located, owner: Owner, *, lease_seconds: float) -> bool:
    if located.manifest.owner == owner.token:
        return True
    book = _LeaseBook(fs, located.manifest.batch.landing, lease_seconds, _now_ms())
    return not book.held(located.manifest.owner)


@dataclass(frozen=True)
class Sealed:
    batch: BatchPlan  # as present in the sealed folder, under its load id
    returned: tuple[str, ...]  # files that changed after inspection, put back in landing
    failures: int = 0  # earlier loads of it that failed
    last_error: str = ""
    manifest: Manifest | None = None  # to write with record_seal


def record_failure(fs: FileSystem, batch: BatchPlan, error: str) -> int:
    """Count one more failed load in the sealed batch's manifest; the new count (0 when this
    attempt no longer holds the batch)."""
    manifest = _read_manifest(fs, batch.folder)
    if manifest is None:
        return 0
    failed = replace(manifest, failures=manifest.failures + 1, last_error=error[:2000])
    try:
        failed.write(fs)
    except FileGone:
        return 0  # another attempt took the folder while this one wrote
    return failed.failures


def record_counts(fs: FileSystem, batch: BatchPlan) -> bool:
    """Write into the sealed batch's manifest the counts and hashes of the files counted once
    claimed: a committed batch is rolled forward from it, and a file put back to landing
    leaves the ledger by it. False when this attempt no longer holds the batch."""
    manifest = _read_manifest(fs, batch.folder)
    if manifest is None:
        return False
    try:
        replace(manifest, batch=batch).write(fs)
    except FileGone:
        return False  # another attempt took the folder while this one wrote
    return True


def seal_batch(
    fs: FileSystem,
    located: Located,
    owner: Owner,
    *,
    location_of: Callable[[BatchPlan], str],
) -> Sealed | None:
    """Take the staged batch under a load id of this attempt's own (one folder rename). None
    when another attempt renamed it first. `location_of(batch)` names the Parquet output."""
    load_id = new_load_id(located.batch_id)
    landing = located.manifest.batch.landing
    folder = staging_folder(landing, load_id)
    if not fs.rename(located.folder, folder):
        return None
    planned = located.manifest.batch.rebased(load_id)
    present = {e.path: e for e in fs.list_files(folder)}
    keep: list[StagedFile] = []
    returned: list[str] = []
    for staged in planned.files:
        entry = present.pop(staged.staged, None)
        if entry is None:
            continue  # claimed by another run, or never renamed in
        if (entry.size, entry.modification_time_ms) == (staged.size, staged.mtime_ms):
            keep.append(staged)
        else:
            returned.append(_put_back(fs, staged, landing))
    for path, entry in present.items():
        if entry.name.endswith(".avro") and not entry.name.startswith(("_", ".")):
            # Not in the plan: cannot happen through this module; let a later run inspect it.
            returned.append(_put_back(fs, StagedFile(path, path, entry.size, 0), landing))
    batch = replace(planned, files=tuple(keep))
    for path in returned:
        log.warning("%s changed after it was inspected: put back in landing", path)
    manifest = replace(
        Manifest.for_owner(batch, owner, location_of(batch)),
        failures=located.manifest.failures,
        last_error=located.manifest.last_error,
    )
    return Sealed(
        batch, tuple(returned), located.manifest.failures, located.manifest.last_error, manifest
    )


def record_seal(fs: FileSystem, sealed: Sealed) -> bool:
    """Write the sealed batch's manifest: this attempt holds it, these files, this output.
    It must be written before the batch loads (a failure is counted in it) and commits (a
    committed batch is rolled forward from it); until then the folder's earlier manifest
    describes the same claim, so the write may run beside other work. False when another
    attempt took the folder meanwhile."""
    if sealed.manifest is None:
        return True
    try:
        sealed.manifest.write(fs)
    except FileGone:
        return False
    return True


def split_batch(
    fs: FileSystem,
    batch: BatchPlan,
    owner: Owner,
    *,
    location_of: Callable[[BatchPlan], str],
) -> list[BatchPlan]:
    """Divide a sealed batch that Hive failed on into two sealed batches of this attempt, to
    find the file at fault. Each half gets a fresh claim id, so its own folder and partition;
    its manifest is written before its files are renamed in (as in a claim), so a crash at
    any point leaves every file in exactly one batch folder, each with a manifest, for the
    next attempt to load. The emptied folder is removed."""
    half = (len(batch.files) + 1) // 2
    halves = [batch.files[:half], batch.files[half:]]
    children: list[BatchPlan] = []
    for files in halves:
        child = replace(batch, files=files).rebased(new_load_id(new_claim_id()))
        Manifest.for_owner(child, owner, location_of(child)).write(fs, new=True)
        for before, after in zip(files, child.files, strict=True):
            if fs.rename(before.staged, after.staged) and before.sidecar:
                fs.rename(claimed_sidecar(before.staged), claimed_sidecar(after.staged))
        children.append(child)
    remove_if_empty(fs, batch.folder)
    return children


def _put_back(fs: FileSystem, staged: StagedFile, landing: str) -> str:
    """Return a claimed file to landing under its own name (or, if a new file took that name,
    beside it with a suffix), with its sidecar; forget its recorded content."""
    target = (
        staged.source
        if staged.source != staged.staged
        else f"{landing}/{staged.staged.rsplit('/', 1)[-1]}"
    )
    candidate, suffix = target, 0
    # Its sub-folder may have been removed since the claim: a rename into a missing folder
    # fails as a taken name would, for ever.
    fs.makedirs(target.rsplit("/", 1)[0])
    while not fs.rename(staged.staged, candidate):
        if fs.status(staged.staged) is None:
            return candidate
        suffix += 1
        candidate = f"{target.removesuffix('.avro')}.returned-{suffix}.avro"
    if staged.sidecar:
        fs.rename(claimed_sidecar(staged.staged), staged.sidecar)
    if staged.checksum:
        fs.delete(ledger_path(landing, staged.checksum), recursive=True)  # folders only
    return candidate


def commit_batch(fs: FileSystem, batch: BatchPlan) -> bool:
    """Move the verified batch from staging to committed: the point of no return. False when
    this attempt no longer holds the folder (another attempt sealed it)."""
    fs.makedirs(committed_root(batch.landing))
    return fs.rename(batch.folder, committed_folder(batch.landing, batch.batch_id))


def archive_batch(fs: FileSystem, landing: str, batch_id: str, day: str) -> str | None:
    """Move a committed batch to `_archive/<day>/`; its path, or None when it was not there
    (archived by an earlier try or by a run that rolled it forward)."""
    target = archive_folder(landing, day, batch_id)
    fs.makedirs(target.rsplit("/", 1)[0])
    if fs.rename(committed_folder(landing, batch_id), target):
        return target
    return None


# --- quarantine ------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuarantineRecord:
    source: str
    error_class: str
    reason: str
    message: str
    step: str
    time: str
    run_id: str
    sidecar: str | None = None  # the file's .avsc, set aside beside it


def quarantined_sidecar(target: str) -> str:
    """Where a quarantined file's sidecar goes: beside it, named as in landing."""
    return f"{target.removesuffix('.avro')}.avsc"


def quarantine(fs: FileSystem, landing: str, day: str, record: QuarantineRecord) -> str | None:
    """Move one file to `_quarantine/<day>/` with `<name>.reason.json` beside it. Returns its
    new path, or None when the file was gone (another run took it)."""
    folder = quarantine_folder(landing, day)
    fs.makedirs(folder)
    # Room for the longest name beside it: `<name>.<counter>.reason.json`.
    name = fit_name(record.source.rsplit("/", 1)[-1], room=len(".999.reason.json"))
    suffix = 0
    while True:
        # A file of that name may have been set aside today already: keep both, the newer
        # with a counter. The reason is written first, under a name no one else holds, so a
        # file never sits in quarantine without its reason (a crash in between leaves a
        # reason without its file, which says so).
        target = f"{folder}/{name}" + (f".{suffix}" if suffix else "")
        reason = f"{target}.reason.json"
        suffix += 1
        if fs.status(target) is not None:
            continue
        facts = vars(record) | {"path": target}
        if record.sidecar:
            if fs.status(quarantined_sidecar(target)) is not None:
                continue
            facts["sidecar_path"] = quarantined_sidecar(target)
        if not fs.create(reason, json.dumps(facts, indent=2).encode()):
            continue
        if fs.rename(record.source, target):
            break
        fs.delete(reason)
        if fs.status(record.source) is None:
            return None  # another run took it
    if record.sidecar:
        fs.rename(record.sidecar, quarantined_sidecar(target))
    return target
