"""WebHDFS access for the pipeline, on top of the provider's WebHDFSHook and its connection.

The provider's hook builds a new client (and probes the NameNode) on every `get_conn()`; the
pipeline makes hundreds of small calls (list, rename, range reads), so this hook keeps one
client per hook instance. Connection: the provider's `webhdfs` type, default `webhdfs_default`
(host may list several NameNodes separated by commas; login is the HDFS user).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import posixpath
import select
import threading
import urllib.request
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import requests
import urllib3
from airflow.providers.apache.hdfs.hooks.webhdfs import WebHDFSHook
from hdfs import HdfsError, InsecureClient
from hdfs.client import _Request

from avro_ingest.engine_errors import HDFS_BUSY_OR_FULL
from avro_ingest.exceptions import FileGone, ServiceUnavailable
from avro_ingest.files import FileEntry, partial_write_path

__all__ = ["AvroIngestHdfsHook", "HdfsRangeReader", "environment_configures_requests"]


def environment_configures_requests(url: str) -> bool:
    """Whether the environment holds anything requests would apply to `url`: proxies, a
    .netrc file, or for https a CA bundle."""
    if urllib.request.getproxies() or os.environ.get("NETRC"):
        return True
    bundles = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
    if url.startswith("https:") and any(os.environ.get(k) for k in bundles):
        return True
    return any(Path(name).expanduser().exists() for name in ("~/.netrc", "~/_netrc"))


@contextlib.contextmanager
def _transient(what: str) -> Iterator[None]:
    """Network failures are transient (retry the task); HDFS' own answers are not, except
    that a path that is not there is FileGone (another run or a writer moved it)."""
    try:
        yield
    except (
        requests.ConnectionError,
        requests.Timeout,
        urllib3.exceptions.HTTPError,
        ConnectionError,
        TimeoutError,
    ) as error:
        # urllib3's errors: a DataNode that dies while a file is streamed from it.
        raise ServiceUnavailable("WebHDFS", f"{what}: {error}") from error
    except HdfsError as error:
        if _not_found(error):
            raise FileGone(f"{what}: {error}") from error
        if getattr(error, "exception", None) in HDFS_BUSY_OR_FULL:
            raise ServiceUnavailable("HDFS", f"{what}: {error}") from error
        raise


def _not_found(error: HdfsError) -> bool:
    return getattr(error, "exception", None) == "FileNotFoundException" or (
        "does not exist" in str(error) or "File not found" in str(error)
    )


def _take_paths_literally(client: Any) -> None:
    """The hdfs library's path resolution expands `#LATEST` (its own convention: the newest
    entry of a folder), so a folder named `x#LATEST` would never be seen as itself, and another
    path would be read in its place. The pipeline's paths are absolute and mean what they say."""
    library_resolve = client.resolve

    def resolve(hdfs_path: str) -> str:
        if posixpath.isabs(hdfs_path):
            return posixpath.normpath(hdfs_path)
        return str(library_resolve(hdfs_path))

    client.resolve = resolve


# Paths whose first block's DataNode a hook remembers at most (a backlog's worth; then it
# starts again).
_MAX_REMEMBERED_HOSTS = 100_000

# WebHDFS' GET_BLOCK_LOCATIONS, which the hdfs library does not wrap: the one answer that tells
# a file still open for writing (HDFS lists it with its completed blocks' length) from a closed
# one.
_get_block_locations = _Request("GET").to_method("GET_BLOCK_LOCATIONS")


class _WebHdfsCalls:
    """WebHDFS calls over the standard library's HTTP client, one kept-alive connection per
    thread and host, for the requests made once per file (list, status, open-file check,
    rename, mkdirs, a header's range read). The hdfs library sends each through requests,
    whose per-call work costs about 0.9 ms of CPU against 0.2 ms here (measured on the
    stack's NameNode): for a thousand files, six thousand calls, most of the time of planning.
    Answers and errors are the library's: HdfsError with WebHDFS' exception name. Used only
    where the library's client sends nothing but the `user.name` (an InsecureClient, plain
    HTTP, no proxy or .netrc in the environment); Kerberos, token and HTTPS clients keep the
    library's path. Nothing is retried: a request whose answer is lost may have been done
    (a rename), so a broken connection is a ServiceUnavailable and the task retries."""

    def __init__(self, url: str, user: str, proxy: str | None, timeout: Any) -> None:
        parsed = urlsplit(url)
        self.namenode = (parsed.hostname or "localhost", parsed.port or 80)
        self.identity = {"user.name": user, **({"doas": proxy} if proxy else {})}
        self.timeout = float(timeout) if isinstance(timeout, (int, float)) else None
        self.local = threading.local()
        # What the NameNode's OPEN redirects name the file system by (its RPC address, or the
        # nameservice under HA): a DataNode needs it to read. Learnt from the first redirect.
        self.namenode_rpc: str | None = None

    def _connection(self, host: str, port: int) -> http.client.HTTPConnection:
        connections: dict[tuple[str, int], http.client.HTTPConnection] = getattr(
            self.local, "connections", {}
        )
        self.local.connections = connections
        connection = connections.get((host, port))
        if connection is not None and connection.sock is not None and _closed_by_peer(connection):
            connection.close()  # the server closed it while idle: open a new one
        if connection is None:
            connection = http.client.HTTPConnection(host, port, timeout=self.timeout)
            connections[(host, port)] = connection
        return connection

    def _send(self, method: str, host: str, port: int, target: str) -> tuple[int, Any, bytes]:
        connection = self._connection(host, port)
        try:
            connection.request(method, target)
            response = connection.getresponse()
            return response.status, response.headers, response.read()
        except (OSError, http.client.HTTPException) as error:
            connection.close()
            raise ConnectionError(f"{method} http://{host}:{port}: {error}") from error

    def _target(self, path: str, op: str, params: dict[str, Any]) -> str:
        query = urlencode({"op": op, **self.identity, **params})
        return f"/webhdfs/v1{quote(posixpath.normpath(path), safe='/')}?{query}"

    def json(self, method: str, path: str, op: str, **params: Any) -> dict[str, Any]:
        status, _, body = self._send(method, *self.namenode, self._target(path, op, params))
        if status >= 400:
            raise _hdfs_error(status, body)
        answer: dict[str, Any] = json.loads(body) if body else {}
        return answer

    def read(
        self, path: str, offset: int, length: int, datanode: tuple[str, int] | None = None
    ) -> bytes:
        """OPEN with offset and length: the NameNode redirects to a DataNode, which answers.
        With `datanode` (one that holds the file's first block, from its block locations),
        the request goes there at once, as the redirect would send it: one request, not two.
        Should that DataNode not answer, the NameNode chooses (a read changes nothing, so
        asking again is safe)."""
        params = {"offset": offset, "length": length}
        if datanode is not None and self.namenode_rpc is not None:
            direct = self._target(path, "OPEN", {"namenoderpcaddress": self.namenode_rpc, **params})
            try:
                status, _, body = self._send("GET", *datanode, direct)
            except ConnectionError:
                pass
            else:
                if status >= 400:
                    raise _hdfs_error(status, body)
                return body
        status, headers, body = self._send(
            "GET", *self.namenode, self._target(path, "OPEN", params)
        )
        if status in (301, 302, 303, 307, 308):
            location = urlsplit(headers["Location"])
            if self.namenode_rpc is None:
                self.namenode_rpc = parse_qs(location.query).get("namenoderpcaddress", [None])[0]
            status, _, body = self._send(
                "GET",
                location.hostname or self.namenode[0],
                location.port or 80,
                f"{location.path}?{location.query}",
            )
        if status >= 400:
            raise _hdfs_error(status, body)
        return body


def _closed_by_peer(connection: http.client.HTTPConnection) -> bool:
    """An idle kept-alive socket that is readable has been closed (or reset) by the server."""
    try:
        readable, _, _ = select.select([connection.sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def _hdfs_error(status: int, body: bytes) -> HdfsError:
    """The hdfs library's error for a WebHDFS error answer (its RemoteException)."""
    if status == 401:
        return HdfsError("Authentication failure. Check your credentials.")
    try:
        remote = json.loads(body)["RemoteException"]
        return HdfsError(remote["message"], exception=remote.get("exception"))
    except (ValueError, KeyError, TypeError):
        return HdfsError(body.decode("utf-8", "replace") or f"HTTP {status}")


class AvroIngestHdfsHook(WebHDFSHook):
    """File operations the pipeline needs, over WebHDFS."""

    hook_name = "Apache WebHDFS (avro-ingest)"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._first_block_hosts: dict[str, tuple[str, int]] = {}
        self._hosts_lock = threading.Lock()

    @cached_property
    def client(self) -> Any:
        with _transient("connect"):
            client = self.get_conn()
        _take_paths_literally(client)
        session = getattr(client, "_session", None)
        url = str(getattr(client, "url", ""))
        if isinstance(session, requests.Session) and not environment_configures_requests(url):
            # requests re-reads proxy settings from the environment on every request, a scan
            # of os.environ that costs ~3 ms of CPU in an Airflow worker: more than the rest
            # of inspecting a small file. With nothing set there, skipping it changes nothing.
            session.trust_env = False
        return client

    @cached_property
    def calls(self) -> _WebHdfsCalls | None:
        """The lean path for per-file calls, where the client needs nothing but its user."""
        client = self.client
        session = getattr(client, "_session", None)
        url = str(getattr(client, "url", ""))
        if (
            type(client) is not InsecureClient
            or not url.startswith("http://")
            or not isinstance(session, requests.Session)
            or environment_configures_requests(url)
            or session.auth is not None
            or session.cert is not None
            or set(session.params or {}) != {"user.name"}
        ):
            return None
        user = str((session.params or {})["user.name"])
        return _WebHdfsCalls(url, user, getattr(client, "_proxy", None), client._timeout)

    def list_files(self, folder: str, *, recursive: bool = False) -> list[FileEntry]:
        """Files below `folder` (with `recursive`, in sub-folders whose names do not start with
        `_` or `.`, the pipeline's own and hidden folders). Missing folder: empty list."""
        with _transient(f"LISTSTATUS {folder}"):
            try:
                listing = self._list(folder)
            except HdfsError as error:
                if "does not exist" in str(error) or "FileNotFoundException" in str(error):
                    return []
                raise
        entries: list[FileEntry] = []
        for name, status in listing:
            path = f"{folder.rstrip('/')}/{name}"
            if status["type"] == "DIRECTORY":
                if recursive and not name.startswith(("_", ".")):
                    entries.extend(self.list_files(path, recursive=True))
                continue
            entries.append(
                FileEntry(
                    path=path,
                    size=int(status["length"]),
                    modification_time_ms=int(status["modificationTime"]),
                )
            )
        return entries

    def list_folders(self, folder: str) -> list[str]:
        """Sub-folders of `folder` (full paths); a missing folder has none."""
        with _transient(f"LISTSTATUS {folder}"):
            try:
                listing = self._list(folder)
            except HdfsError:
                return []
        return [f"{folder.rstrip('/')}/{name}" for name, st in listing if st["type"] == "DIRECTORY"]

    def _list(self, folder: str) -> list[tuple[str, dict[str, Any]]]:
        if self.calls is None:
            return list(self.client.list(folder, status=True))
        statuses = self.calls.json("GET", folder, "LISTSTATUS")["FileStatuses"]["FileStatus"]
        return [(status["pathSuffix"], status) for status in statuses]

    def exists(self, path: str) -> bool:
        return self.status(path) is not None

    def status(self, path: str) -> FileEntry | None:
        """The path's entry (size and modification time), or None when it is not there."""
        with _transient(f"GETFILESTATUS {path}"):
            if self.calls is None:
                status = self.client.status(path, strict=False)
            else:
                try:
                    status = self.calls.json("GET", path, "GETFILESTATUS")["FileStatus"]
                except HdfsError as error:
                    if not _not_found(error):
                        raise
                    status = None
        if status is None:
            return None
        return FileEntry(path, int(status["length"]), int(status["modificationTime"]))

    def under_construction(self, path: str) -> bool:
        """Whether a writer still holds the file open (its last block is not complete)."""
        with _transient(f"GET_BLOCK_LOCATIONS {path}"):
            if self.calls is None:
                located = _get_block_locations(self.client, path).json()["LocatedBlocks"]
            else:
                located = self.calls.json("GET", path, "GET_BLOCK_LOCATIONS")["LocatedBlocks"]
                self._note_first_block_host(path, located)
        # isLastBlockComplete is false for a closed empty file too (it has no block).
        return bool(located.get("isUnderConstruction"))

    def _note_first_block_host(self, path: str, located: dict[str, Any]) -> None:
        """Keep where the file's first block is, for reading its header without the
        NameNode's redirect (inspection reads every file the open-file check passes)."""
        blocks = located.get("locatedBlocks") or []
        hosts = blocks[0].get("locations") or [] if blocks else []
        if hosts and hosts[0].get("hostName") and hosts[0].get("infoPort"):
            with self._hosts_lock:
                if len(self._first_block_hosts) >= _MAX_REMEMBERED_HOSTS:
                    self._first_block_hosts.clear()
                self._first_block_hosts[path] = (hosts[0]["hostName"], int(hosts[0]["infoPort"]))

    def rename_exclusive(self, source: str, destination: str) -> bool:
        """Rename that refuses an existing destination, a folder too (WebHDFS' rename with
        `renameoptions=NONE`; the plain rename moves a folder into an existing one). False
        when the destination exists."""
        with _transient(f"RENAME {source}"):
            try:
                self._rename2(source, destination, "NONE")
            except HdfsError as error:
                if getattr(error, "exception", None) == "FileAlreadyExistsException":
                    return False
                raise
        return True

    def read_range(self, path: str, offset: int, length: int) -> bytes:
        if self.calls is not None:
            with _transient(f"OPEN {path}"):
                return self.calls.read(path, offset, length, self._first_block_hosts.get(path))
        with (
            _transient(f"OPEN {path}"),
            self.client.read(path, offset=offset, length=length) as body,
        ):
            data: bytes = body.read()
        return data

    @contextlib.contextmanager
    def open_stream(self, path: str) -> Iterator[Any]:
        """A forward-only stream of the whole file (one OPEN request)."""
        with _transient(f"OPEN {path}"), self.client.read(path, chunk_size=0) as body:
            yield body

    def rename(self, source: str, destination: str) -> bool:
        """Atomic HDFS rename; False when it did not happen (source gone, destination taken).
        Any other refusal (safe mode, a quota, a name too long) is raised, never read as
        "another run took it"."""
        with _transient(f"RENAME {source}"):
            try:
                if self.calls is None:
                    self.client.rename(source, destination)
                elif not self.calls.json(
                    "PUT", source, "RENAME", destination=posixpath.normpath(destination)
                )["boolean"]:
                    return False  # the source is gone or the name taken
            except HdfsError as error:
                if getattr(error, "exception", None) is None and "Unable to rename" in str(error):
                    return False  # WebHDFS answered `false`: the source is gone or the name taken
                if _not_found(error):
                    return False
                raise
        return True

    def makedirs(self, folder: str) -> None:
        with _transient(f"MKDIRS {folder}"):
            if self.calls is None:
                self.client.makedirs(folder)
            else:
                self.calls.json("PUT", folder, "MKDIRS")

    def write_bytes(
        self, path: str, data: bytes, *, overwrite: bool = True, make_folder: bool = True
    ) -> None:
        """Write a whole file that readers see whole: the old content or the new, never a
        part. Without `overwrite`, an existing file is an error. Without `make_folder`, a
        folder that is not there raises FileGone and is not made."""
        if not self._publish(path, data, overwrite=overwrite, make_folder=make_folder):
            raise FileExistsError(f"{path} already exists")

    def create(self, path: str, data: bytes) -> bool:
        """Write a new file, whole; False, writing nothing, when the path is already taken."""
        return self._publish(path, data, overwrite=False)

    def _publish(
        self, path: str, data: bytes, *, overwrite: bool, make_folder: bool = True
    ) -> bool:
        # HDFS shows a file from the moment it is created, empty and then growing, and an
        # overwrite truncates first: another run listing the folder could read a manifest with
        # nothing in it. So the bytes go to a hidden name beside it, then one rename puts them
        # in place (rename2: OVERWRITE replaces a file atomically; NONE refuses one).
        # CREATE makes every missing parent folder. When the folder must already be there, the
        # bytes go beside the folder instead, and the rename into it fails if it has gone: a
        # check before the write could not tell, the folder can move right after it.
        folder = posixpath.dirname(path)
        hidden = partial_write_path(path if make_folder else folder)
        try:
            with _transient(f"CREATE {path}"):
                self.client.write(hidden, data=data, overwrite=False)
            if overwrite:
                with _transient(f"RENAME {hidden}"):
                    self._rename2(hidden, path, "OVERWRITE")
                return True
            if self.rename_exclusive(hidden, path):
                return True
        except FileGone as gone:
            self._discard(hidden)
            if make_folder:
                raise
            raise FileGone(f"{path} not written, its folder is not there: {gone}") from gone
        except Exception:
            # A DataNode that died mid-write, or an answer lost: what is left of the hidden
            # file goes if the NameNode answers (what a crash leaves, the next plan prunes);
            # the write's own error is what the caller gets.
            self._discard(hidden)
            raise
        self.delete(hidden)
        return False

    def _discard(self, hidden: str) -> None:
        """Remove this write's own hidden bytes, if they are still there (never a source)."""
        with contextlib.suppress(ServiceUnavailable, HdfsError):
            self.delete(hidden)

    def _rename2(self, source: str, destination: str, option: str) -> None:
        if self.calls is None:
            self.client._rename(source, destination=destination, renameoptions=option)
        else:
            self.calls.json("PUT", source, "RENAME", destination=destination, renameoptions=option)

    def delete(self, path: str, *, recursive: bool = False) -> bool:
        """False when the path was not there or, without `recursive`, is a folder that is not
        empty."""
        with _transient(f"DELETE {path}"):
            try:
                return bool(self.client.delete(path, recursive=recursive))
            except HdfsError as error:
                if "PathIsNotEmptyDirectoryException" in str(error) or "is non empty" in str(error):
                    return False
                raise

    def range_reader(self, path: str) -> HdfsRangeReader:
        return HdfsRangeReader(self, path)


class HdfsRangeReader:
    """The core's RangeReader over WebHDFS OPEN with offset and length."""

    def __init__(self, hook: AvroIngestHdfsHook, path: str) -> None:
        self.hook = hook
        self.path = path

    def read(self, offset: int, length: int) -> bytes:
        return self.hook.read_range(self.path, offset, length)
