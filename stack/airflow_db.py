"""Airflow's metadata database for the services: a PostgreSQL server of the Airflow home's own,
as a deployment runs it (SQLite lets one writer in at a time; under a scheduler, a
dag-processor, a triggerer, an api-server and task processes its lock waits reached a minute).

The server (Debian's PostgreSQL, found with `pg_config --bindir` or under
/usr/lib/postgresql) listens on a Unix socket in its data folder only, so the homes of two
sets of services never share a port. PostgreSQL refuses to run as root: run by root, the server
runs as the `postgres` user, its data folder in /tmp (where that user can reach it) and linked
from the home.

    url(home)     the SQLAlchemy URL of the home's database
    up(home)      make the data folder if needed, start the server, wait until it answers
    down(home)    stop the server (fast shutdown: open sessions are ended)
    remove(home)  stop it and remove its data
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

DATABASE = "airflow"
SERVER_USER = "postgres"  # the user Debian's package runs its servers as


def _bindir() -> Path:
    found = shutil.which("pg_config")
    if found:
        answer = subprocess.run([found, "--bindir"], capture_output=True, text=True, check=False)
        path = Path(answer.stdout.strip())
        if (path / "pg_ctl").exists():
            return path
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), reverse=True)
    if not versions:
        raise SystemExit("[airflow-db] PostgreSQL not found: run `make deps` (Debian's postgresql)")
    return versions[0].parent


def _as_root() -> bool:
    return os.geteuid() == 0


def data_dir(home: str | os.PathLike[str]) -> Path:
    """Where the server keeps its data: in the home, or, run by root, in /tmp (linked)."""
    link = Path(home) / "postgres"
    if not _as_root():
        return link
    key = hashlib.sha1(str(Path(home).resolve()).encode()).hexdigest()[:12]
    return Path("/tmp") / f"avro-ingest-airflow-db-{key}"


def url(home: str | os.PathLike[str]) -> str:
    user = SERVER_USER if _as_root() else _current_user()
    return f"postgresql+psycopg2://{user}@/{DATABASE}?host={data_dir(home)}"


def _current_user() -> str:
    import pwd

    return pwd.getpwuid(os.geteuid()).pw_name


def _run(*command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """A server program, as the server's user."""
    prefix = ["runuser", "-u", SERVER_USER, "--"] if _as_root() else []
    return subprocess.run([*prefix, *command], capture_output=True, text=True, check=check, cwd="/")


def _answers(home: str | os.PathLike[str]) -> bool:
    ready = _run(str(_bindir() / "pg_isready"), "-q", "-h", str(data_dir(home)), check=False)
    return ready.returncode == 0


def up(home: str | os.PathLike[str]) -> str:
    data = data_dir(home)
    bindir = _bindir()
    if not (data / "PG_VERSION").exists():
        data.mkdir(parents=True, exist_ok=True)
        if _as_root():
            shutil.chown(data, SERVER_USER, SERVER_USER)
            link = Path(home) / "postgres"
            if not link.is_symlink():
                link.symlink_to(data)
        made = _run(
            str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-E", "UTF8", check=False
        )
        if made.returncode:
            raise SystemExit(f"[airflow-db] initdb failed: {made.stderr.strip()}")
    if not _answers(home):
        started = _run(
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(data / "server.log"),
            "-w",
            "-t",
            "60",
            # The socket only, in the data folder; fsync off: a test stack's database, which
            # `make clean-state` throws away, needs no crash durability.
            "-o",
            f"-c listen_addresses='' -k {data} -c fsync=off -c synchronous_commit=off",
            "start",
            check=False,
        )
        if started.returncode:
            log = (data / "server.log").read_text(errors="replace")[-2000:]
            raise SystemExit(f"[airflow-db] the server did not start: {started.stderr}\n{log}")
    made = _run(str(bindir / "createdb"), "-h", str(data), DATABASE, check=False)
    if made.returncode and "already exists" not in made.stderr:
        raise SystemExit(f"[airflow-db] createdb failed: {made.stderr.strip()}")
    return url(home)


def down(home: str | os.PathLike[str]) -> None:
    data = data_dir(home)
    if (data / "postmaster.pid").exists():
        _run(str(_bindir() / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop", check=False)


def remove(home: str | os.PathLike[str]) -> None:
    down(home)
    shutil.rmtree(data_dir(home), ignore_errors=True)
    link = Path(home) / "postgres"
    if link.is_symlink():
        link.unlink()
