"""A throwaway PostgreSQL cluster for tests and benchmarks: Debian's binaries, ``initdb``
as the ``postgres`` user in a temporary folder, a free port on loopback, stopped (and the
folder removed) at the end. It never touches a cluster it did not start.

    with PostgresCluster.start() as cluster:
        url = cluster.create_database("consent")   # postgresql://consent:…@127.0.0.1:…/consent
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .harness import free_port

#: The cluster's superuser (initdb makes it after the OS user that runs it).
SUPERUSER = "postgres"


class NoPostgres(RuntimeError):
    """PostgreSQL's server binaries are not installed (``python3 dev.py test`` installs them)."""


def server_bin() -> Path:
    """The newest ``/usr/lib/postgresql/*/bin`` (Debian keeps it off ``PATH``)."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise NoPostgres(
        "PostgreSQL is not installed: run `python3 dev.py test` as root once (it installs "
        "Debian's postgresql package), or `apt-get install postgresql`"
    )


def _as_postgres(command: list[str]) -> list[str]:
    """Run as the ``postgres`` user when we are root (initdb refuses root)."""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return ["runuser", "-u", SUPERUSER, "--", *command]
    return command


@dataclass
class PostgresCluster:
    folder: Path
    port: int
    password: str
    bin: Path

    @classmethod
    def start(cls, timeout: int = 60) -> PostgresCluster:
        binaries = server_bin()
        folder = Path(tempfile.mkdtemp(prefix="consent-ui-pg-"))
        password = secrets.token_urlsafe(16)
        pwfile = folder / "pwfile"
        pwfile.write_text(password)
        data = folder / "data"
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            shutil.chown(folder, SUPERUSER)
            shutil.chown(pwfile, SUPERUSER)
        cluster = cls(folder, free_port(), password, binaries)
        try:
            cluster._run(
                str(binaries / "initdb"),
                "-D",
                str(data),
                "-U",
                SUPERUSER,
                "-A",
                "scram-sha-256",
                f"--pwfile={pwfile}",
                "--no-instructions",
                "-E",
                "UTF8",
                "--locale=C",
            )
            cluster.start_server(timeout)
        except BaseException:
            cluster.remove()
            raise
        return cluster

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def _run(self, *command: str) -> None:
        result = subprocess.run(  # noqa: S603 - our own binaries and arguments
            _as_postgres(list(command)), capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(f"{command[0]} failed: {result.stderr.strip() or result.stdout}")

    def start_server(self, timeout: int = 60) -> None:
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
            " -c max_connections=200 -c fsync=on -c synchronous_commit=on"
        )
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.folder / "server.log"),
            "-w",
            "-t",
            str(timeout),
            "start",
        )

    def stop_server(self, mode: str = "fast") -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart_server(self) -> None:
        """Stop (``immediate``: like a crash, no checkpoint) and start again."""
        self.stop_server("immediate")
        self.start_server()

    def url(self, database: str = SUPERUSER, user: str = SUPERUSER, password: str = "") -> str:
        return f"postgresql://{user}:{password or self.password}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A new role and database of that name; returns its URL (the role owns it)."""
        import psycopg
        from psycopg import sql

        password = secrets.token_urlsafe(16)
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(
                sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                    sql.Identifier(name), sql.Literal(password)
                )
            )
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(name), sql.Identifier(name)
                )
            )
        return self.url(name, name, password)

    def drop_database(self, name: str) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))

    def remove(self) -> None:
        with contextlib.suppress(RuntimeError):
            if (self.data / "postmaster.pid").exists():
                self.stop_server("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> PostgresCluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()
