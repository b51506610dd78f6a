"""The proof-of-consent log: append-only SQLite, one row per choice.

Refusals and withdrawals are rows too. The exact text a visitor was shown is stored
once per hash in ``consent_texts``. Triggers refuse deletes and every update but the
one retention makes (anonymising the rows of long-inactive consent ids), so the log
stays proof even against a careless SQL session. WAL with ``synchronous=FULL``: an
acknowledged record survives a killed server.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from .consent import LOG_ACTIONS, SURFACES, isoformat
from .errors import StoreUnavailable

ANONYMISED = "anonymised"
BUSY_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Record:
    """One row of ``consent_log``; ``ip_prefix`` is already truncated."""

    consent_id: str
    created_at: str
    action: str
    categories: tuple[str, ...]
    revision: int
    text_hash: str | None
    lang: str
    surface: str
    page: str | None
    gpc: bool
    expires_at: str | None
    ip_prefix: str | None


@dataclass(frozen=True)
class RetentionReport:
    cutoff: str
    consent_ids: int
    rows: int


def _quoted(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


_MIGRATIONS = (
    # 1: the log, its texts and the append-only guards.
    f"""
    CREATE TABLE consent_texts (
        hash TEXT PRIMARY KEY,
        lang TEXT NOT NULL,
        revision INTEGER NOT NULL,
        text TEXT NOT NULL,
        first_seen_at TEXT NOT NULL
    );
    CREATE TABLE consent_log (
        id INTEGER PRIMARY KEY,
        consent_id TEXT NOT NULL,
        created_at TEXT NOT NULL,
        action TEXT NOT NULL CHECK (action IN ({_quoted(LOG_ACTIONS)})),
        categories TEXT NOT NULL CHECK (json_valid(categories)),
        revision INTEGER NOT NULL,
        text_hash TEXT REFERENCES consent_texts(hash),
        lang TEXT NOT NULL,
        surface TEXT NOT NULL CHECK (surface IN ({_quoted(SURFACES)})),
        page TEXT,
        gpc INTEGER NOT NULL CHECK (gpc IN (0, 1)),
        expires_at TEXT,
        ip_prefix TEXT,
        anonymised_at TEXT
    );
    CREATE INDEX consent_log_consent_id ON consent_log (consent_id);
    CREATE INDEX consent_log_created_at ON consent_log (created_at);
    CREATE TRIGGER consent_log_no_delete BEFORE DELETE ON consent_log
    BEGIN SELECT RAISE(ABORT, 'consent_log is append-only'); END;
    CREATE TRIGGER consent_log_only_anonymise BEFORE UPDATE ON consent_log
    WHEN NOT (
        OLD.anonymised_at IS NULL AND NEW.anonymised_at IS NOT NULL
        AND NEW.consent_id = '{ANONYMISED}' AND NEW.ip_prefix IS NULL
        AND NEW.id = OLD.id AND NEW.created_at = OLD.created_at
        AND NEW.action = OLD.action AND NEW.categories = OLD.categories
        AND NEW.revision = OLD.revision AND NEW.text_hash IS OLD.text_hash
        AND NEW.lang = OLD.lang AND NEW.surface = OLD.surface AND NEW.page IS OLD.page
        AND NEW.gpc = OLD.gpc AND NEW.expires_at IS OLD.expires_at
    )
    BEGIN SELECT RAISE(ABORT, 'consent_log is append-only'); END;
    CREATE TRIGGER consent_texts_no_update BEFORE UPDATE ON consent_texts
    BEGIN SELECT RAISE(ABORT, 'consent_texts is append-only'); END;
    CREATE TRIGGER consent_texts_no_delete BEFORE DELETE ON consent_texts
    BEGIN SELECT RAISE(ABORT, 'consent_texts is append-only'); END;
    """,
)

#: Columns a visitor gets back from their own history.
_HISTORY_COLUMNS = (
    "created_at, action, categories, revision, text_hash, lang, surface, page, gpc, "
    "expires_at, ip_prefix"
)


class ConsentStore:
    """The consent log in one SQLite file; one connection per thread."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._local = threading.local()

    def connect(self) -> sqlite_utils.Database:
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        return sqlite_utils.Database(conn)

    @property
    def db(self) -> sqlite_utils.Database:
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = self.connect()
        return db

    def migrate(self) -> int:
        """Create or upgrade the schema; returns the schema version."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = self.connect()
        try:
            db.enable_wal()
            with _transaction(db.conn):
                version = db.conn.execute("PRAGMA user_version").fetchone()[0]
                for number, script in enumerate(_MIGRATIONS[version:], start=version + 1):
                    for statement in _statements(script):
                        db.conn.execute(statement)
                    db.conn.execute(f"PRAGMA user_version = {number}")
            return len(_MIGRATIONS)
        finally:
            db.close()

    def append(self, record: Record, text: str | None = None) -> int:
        """Write one record (and the text shown, once per hash); returns its row id."""
        row = asdict(record)
        row["categories"] = json.dumps(list(record.categories))
        row["gpc"] = int(record.gpc)
        conn = self.db.conn
        try:
            return self._insert(conn, record, row, text)
        except sqlite3.OperationalError as e:
            # Locked past the busy timeout, disk full, read-only file: not acknowledged.
            raise StoreUnavailable() from e

    def _insert(
        self, conn: sqlite3.Connection, record: Record, row: dict[str, Any], text: str | None
    ) -> int:
        with _transaction(conn):
            if record.text_hash and text is not None:
                conn.execute(
                    "INSERT OR IGNORE INTO consent_texts"
                    " (hash, lang, revision, text, first_seen_at) VALUES (?, ?, ?, ?, ?)",
                    (record.text_hash, record.lang, record.revision, text, record.created_at),
                )
            columns = ", ".join(row)
            marks = ", ".join(f":{c}" for c in row)
            # Column names come from the Record dataclass, values are bound parameters.
            sql = f"INSERT INTO consent_log ({columns}) VALUES ({marks})"  # noqa: S608
            cursor = conn.execute(sql, row)
            return cursor.lastrowid

    def history(self, consent_id: str) -> list[dict[str, Any]]:
        rows = self.db.query(
            f"SELECT {_HISTORY_COLUMNS} FROM consent_log WHERE consent_id = ? ORDER BY id",  # noqa: S608
            [consent_id],
        )
        return [_decoded(row) for row in rows]

    def text(self, text_hash: str) -> str | None:
        row = self.db.execute(
            "SELECT text FROM consent_texts WHERE hash = ?", [text_hash]
        ).fetchone()
        return row[0] if row else None

    def count(self, consent_id: str | None = None) -> int:
        """Records in the log, or those of one consent id."""
        if consent_id is None:
            return self.db.execute("SELECT count(*) FROM consent_log").fetchone()[0]
        sql = "SELECT count(*) FROM consent_log WHERE consent_id = ?"
        return self.db.execute(sql, [consent_id]).fetchone()[0]

    def anonymise_inactive(
        self, cutoff: datetime, now: datetime, *, dry_run: bool = False
    ) -> RetentionReport:
        """Anonymise every row of the consent ids whose last record is older than ``cutoff``.

        With ``dry_run``, count what would be touched and change nothing.
        """
        cutoff_s, now_s = isoformat(cutoff), isoformat(now)
        conn = self.db.conn
        with _transaction(conn):
            ids = [
                row[0]
                for row in conn.execute(
                    "SELECT consent_id FROM consent_log WHERE anonymised_at IS NULL"
                    " GROUP BY consent_id HAVING max(created_at) < ?",
                    [cutoff_s],
                )
            ]
            rows = 0
            for consent_id in ids:
                if dry_run:
                    rows += conn.execute(
                        "SELECT count(*) FROM consent_log"
                        " WHERE consent_id = ? AND anonymised_at IS NULL",
                        [consent_id],
                    ).fetchone()[0]
                    continue
                rows += conn.execute(
                    "UPDATE consent_log SET consent_id = ?, ip_prefix = NULL, anonymised_at = ?"
                    " WHERE consent_id = ? AND anonymised_at IS NULL",
                    [ANONYMISED, now_s, consent_id],
                ).rowcount
        return RetentionReport(cutoff=cutoff_s, consent_ids=len(ids), rows=rows)

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None


def _decoded(row: dict[str, Any]) -> dict[str, Any]:
    row = dict(row)
    row["categories"] = json.loads(row["categories"])
    row["gpc"] = bool(row["gpc"])
    return row


def _statements(script: str) -> Iterator[str]:
    """Split a migration into statements, keeping trigger bodies whole."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                yield buffer.strip()
            buffer = ""
    if buffer.strip():
        yield buffer.strip()


@contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE``: take the write lock up front (waiting for it), then commit."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
