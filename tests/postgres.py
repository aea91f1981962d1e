"""A real PostgreSQL from Debian's packages for the tests: its own folder, a free loopback port.

PostgreSQL refuses to run as root, so when the tests run as root the server
runs as Debian's `postgres` user (the data folder is given to it); otherwise
as the current user. It can be stopped and started again on the same folder
and port, as a district database that goes away and comes back.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

from mosquitto import free_port

BIN = Path(sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1]) if glob.glob("/usr/lib/postgresql/*/bin") else None
SUPERUSER = "vstation"


def available() -> bool:
    return BIN is not None and (BIN / "initdb").exists()


class Postgres:
    """One PostgreSQL server in a temporary folder; `url(name)` for a database in it."""

    host = "127.0.0.1"

    def __init__(self) -> None:
        if not available():
            raise RuntimeError("PostgreSQL is not installed (apt install postgresql)")
        self.folder = Path(tempfile.mkdtemp(prefix="vstation-pg-"))
        self.folder.chmod(0o755)                     # the server's user must reach its data folder
        self.data = self.folder / "data"
        self.port = free_port()
        self.run_as = "postgres" if os.geteuid() == 0 else None
        self.data.mkdir()
        if self.run_as:
            entry = pwd.getpwnam(self.run_as)
            os.chown(self.data, entry.pw_uid, entry.pw_gid)
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
        self._as_owner(str(BIN / "initdb"), "-D", str(self.data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8",
                       "--no-instructions")

    def _as_owner(self, *argv: str) -> subprocess.CompletedProcess:
        prefix = ["runuser", "-u", self.run_as, "--"] if self.run_as else []
        return subprocess.run(prefix + list(argv), check=True, capture_output=True, text=True, cwd=self.folder)

    def start(self) -> "Postgres":
        options = f"-p {self.port} -k {self.folder} -c listen_addresses={self.host} -c fsync=on"
        self._as_owner(str(BIN / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.folder / "log"),
                       "-w", "-t", "60", "start")
        return self

    def stop(self) -> None:
        """pg_ctl stop -m fast: connections are cut, as a stopped database server does."""
        self._as_owner(str(BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def create_database(self, name: str | None = None) -> str:
        """A new empty database; its SQLAlchemy URL."""
        import psycopg

        name = name or f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(host=self.host, port=self.port, user=SUPERUSER, dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def url(self, name: str) -> str:
        return f"postgresql+psycopg://{SUPERUSER}@{self.host}:{self.port}/{name}"

    def close(self) -> None:
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.folder, ignore_errors=True)
