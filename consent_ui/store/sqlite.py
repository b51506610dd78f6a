"""The proof-of-consent log in one SQLite file (the embedded default engine).

Refusals and withdrawals are rows too. The exact text a visitor was shown is stored
once per hash in ``consent_texts``. Triggers refuse deletes and every update but the
one anonymisation makes (retention, erasure requests), so the log stays proof even
against a careless SQL session. WAL with ``synchronous=FULL``: an acknowledged record
survives a killed server.

Writes are group commits: the threads of a process that append at the same moment share
one transaction, so one fsync, and each is acknowledged only once it is committed.
Writers of every process take turns through an ``flock`` on ``<log>-lock`` rather than
SQLite's busy handler, which sleeps (1, 2, 5, 10… ms) while the lock is free again
(profiled: 44 % of a worker's time under load went to ``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils

try:
    import fcntl
except ImportError:  # Windows: SQLite's busy handler alone
    fcntl = None  # type: ignore[assignment]

from ..agents import AGENTS
from ..consent import LOG_ACTIONS, SURFACES, isoformat, utcnow
from ..errors import StoreUnavailable
from . import (
    ANONYMISED,
    COLUMNS,
    ERASURE,
    HISTORY_COLUMNS,
    AuditEntry,
    Figures,
    Record,
    RetentionReport,
    decoded,
    figures_from,
    period,
)

BUSY_TIMEOUT_SECONDS = 10.0
#: Records written per transaction by ``append_many``.
APPEND_BATCH = 10_000
#: Rows fetched at a time by an export (constant memory whatever the period).
EXPORT_BATCH = 1000


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
    # 2: who made a record (the consent-ui tools leave the figures); the figures kept
    # up to date by a trigger (a day's aggregates, whatever the size of the log) and the
    # previous choice of each id (distinct visitors of any period without a DISTINCT);
    # the operator's audit trail and failed logins.
    f"""
    DROP TRIGGER consent_log_only_anonymise;
    ALTER TABLE consent_log ADD COLUMN agent TEXT CHECK (agent IN ({_quoted(AGENTS)}));
    ALTER TABLE consent_log ADD COLUMN previous_choice_at TEXT;
    UPDATE consent_log SET previous_choice_at = (
        SELECT max(p.created_at) FROM consent_log AS p
        WHERE p.consent_id = consent_log.consent_id AND p.id < consent_log.id
        AND p.action != 'withdraw'
    ) WHERE consent_id != '{ANONYMISED}';
    CREATE TRIGGER consent_log_only_anonymise BEFORE UPDATE ON consent_log
    WHEN NOT (
        OLD.anonymised_at IS NULL AND NEW.anonymised_at IS NOT NULL
        AND NEW.consent_id = '{ANONYMISED}' AND NEW.ip_prefix IS NULL
        AND NEW.id = OLD.id AND NEW.created_at = OLD.created_at
        AND NEW.action = OLD.action AND NEW.categories = OLD.categories
        AND NEW.revision = OLD.revision AND NEW.text_hash IS OLD.text_hash
        AND NEW.lang = OLD.lang AND NEW.surface = OLD.surface AND NEW.page IS OLD.page
        AND NEW.gpc = OLD.gpc AND NEW.expires_at IS OLD.expires_at
        AND NEW.agent IS OLD.agent AND NEW.previous_choice_at IS OLD.previous_choice_at
    )
    BEGIN SELECT RAISE(ABORT, 'consent_log is append-only'); END;
    DROP INDEX consent_log_created_at;
    CREATE INDEX consent_log_period ON consent_log
        (created_at, agent, action, previous_choice_at);
    CREATE TABLE consent_figures (
        day TEXT NOT NULL,
        action TEXT NOT NULL,
        lang TEXT NOT NULL,
        surface TEXT NOT NULL,
        revision INTEGER NOT NULL,
        gpc INTEGER NOT NULL,
        category TEXT NOT NULL,
        records INTEGER NOT NULL,
        PRIMARY KEY (day, action, lang, surface, revision, gpc, category)
    ) WITHOUT ROWID;
    INSERT INTO consent_figures
    SELECT substr(created_at, 1, 10), action, lang, surface, revision, gpc, '', count(*)
    FROM consent_log GROUP BY 1, 2, 3, 4, 5, 6, 7;
    INSERT INTO consent_figures
    SELECT substr(l.created_at, 1, 10), l.action, l.lang, l.surface, l.revision, l.gpc,
        c.value, count(*)
    FROM consent_log AS l, json_each(l.categories) AS c GROUP BY 1, 2, 3, 4, 5, 6, 7;
    CREATE TRIGGER consent_log_count AFTER INSERT ON consent_log WHEN NEW.agent IS NULL
    BEGIN
        INSERT INTO consent_figures
        SELECT substr(NEW.created_at, 1, 10), NEW.action, NEW.lang, NEW.surface,
            NEW.revision, NEW.gpc, c.value, 1
        FROM (SELECT '' AS value UNION ALL SELECT value FROM json_each(NEW.categories)) AS c
        WHERE true
        ON CONFLICT DO UPDATE SET records = records + 1;
    END;
    CREATE TABLE admin_audit (
        id INTEGER PRIMARY KEY,
        created_at TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        ip_prefix TEXT
    );
    CREATE INDEX admin_audit_target ON admin_audit (target);
    CREATE TRIGGER admin_audit_no_update BEFORE UPDATE ON admin_audit
    BEGIN SELECT RAISE(ABORT, 'admin_audit is append-only'); END;
    CREATE TRIGGER admin_audit_no_delete BEFORE DELETE ON admin_audit
    BEGIN SELECT RAISE(ABORT, 'admin_audit is append-only'); END;
    CREATE TABLE admin_login_failures (
        id INTEGER PRIMARY KEY,
        ip_prefix TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX admin_login_failures_prefix ON admin_login_failures (ip_prefix, created_at);
    """,  # noqa: S608 - constants of this module, no input
    # 3: the withdrawals of a period without reading its other records (every process
    # loads them at start: a withdrawn id is no consent).
    """
    CREATE INDEX consent_log_withdrawals ON consent_log (created_at) WHERE action = 'withdraw';
    """,
)

#: The time of the same id's previous choice, kept with each record (see ``figures``);
#: a visitor's choices only, so that a tool's record under the same id (a copied token)
#: cannot hide a visitor from the figures.
_PREVIOUS_CHOICE = (
    "SELECT max(created_at) FROM consent_log"
    " WHERE consent_id = :consent_id AND action != 'withdraw' AND agent IS NULL"
)

#: The schema version ``migrate`` leaves.
SCHEMA_VERSION = len(_MIGRATIONS)


class SQLiteStore:
    """The consent log in one SQLite file; one connection per thread."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.created = False
        self._local = threading.local()
        self._feeds: list[SQLiteWithdrawals] = []
        self._queue: list[_Pending] = []
        self._queue_lock = threading.Lock()
        self._commit_lock = threading.Lock()

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
            with self._writing(db.conn):
                version = db.conn.execute("PRAGMA user_version").fetchone()[0]
                self.created = self.created or version == 0
                for number, script in enumerate(_MIGRATIONS[version:], start=version + 1):
                    for statement in _statements(script):
                        db.conn.execute(statement)
                    db.conn.execute(f"PRAGMA user_version = {number}")
            return SCHEMA_VERSION
        finally:
            db.close()

    @contextmanager
    def _writing(self, conn: sqlite3.Connection | None = None) -> Iterator[sqlite3.Connection]:
        """A write transaction, after the other processes' writers (``flock``)."""
        conn = conn or self.db.conn
        lock = getattr(self._local, "lock", None)
        if lock is None and fcntl is not None:
            lock = self._local.lock = open(f"{self.path}-lock", "a+b")  # noqa: SIM115
        if lock is not None:
            fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            with _transaction(conn):
                yield conn
        finally:
            if lock is not None:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def append(self, record: Record, text: str | None = None) -> int:
        pending = _Pending(record, text)
        with self._queue_lock:
            self._queue.append(pending)
        # Whoever holds the commit lock writes every record queued so far: those that
        # arrived while the previous batch was being committed go together.
        with self._commit_lock:
            if not pending.done:
                with self._queue_lock:
                    batch, self._queue = self._queue, []
                self._commit(batch)
        if pending.error is not None:
            raise pending.error
        return pending.row_id

    def _commit(self, batch: list[_Pending]) -> None:
        try:
            try:
                with self._writing() as conn:
                    # One record's mistake (a text hash without its text) is its own: a
                    # savepoint each when the batch has others (a record alone has the
                    # transaction, and two statements fewer).
                    alone = len(batch) == 1
                    for pending in batch:
                        if not alone:
                            conn.execute("SAVEPOINT record")
                        try:
                            pending.row_id = _insert(conn, pending.record, pending.text)
                        except sqlite3.IntegrityError as e:
                            if alone:
                                raise
                            conn.execute("ROLLBACK TO record")
                            pending.error = e
                        if not alone:
                            conn.execute("RELEASE record")
            except sqlite3.OperationalError as e:
                # Locked past the busy timeout, disk full, read-only file: nothing of the
                # batch is acknowledged.
                for pending in batch:
                    if pending.error is None:
                        pending.error = StoreUnavailable()
                        pending.error.__cause__ = e
        except BaseException as e:
            for pending in batch:
                pending.error = pending.error or e
            raise
        finally:
            for pending in batch:
                pending.done = True

    def append_many(self, records: Iterable[Record], texts: Mapping[str, str]) -> int:
        written = 0
        batch: list[Record] = []

        def flush() -> None:
            try:
                with self._writing() as conn:
                    for record in batch:
                        _insert(conn, record, texts.get(record.text_hash or ""))
            except sqlite3.OperationalError as e:
                raise StoreUnavailable() from e
            batch.clear()

        for record in records:
            batch.append(record)
            written += 1
            if len(batch) >= APPEND_BATCH:
                flush()
        if batch:
            flush()
        return written

    def history(self, consent_id: str) -> list[dict[str, Any]]:
        rows = self.db.query(
            f"SELECT {', '.join(HISTORY_COLUMNS)} FROM consent_log"  # noqa: S608
            " WHERE consent_id = ? ORDER BY id",
            [consent_id],
        )
        return [decoded(row) for row in rows]

    def text(self, text_hash: str) -> str | None:
        return self.texts([text_hash]).get(text_hash)

    def texts(self, hashes: Iterable[str]) -> dict[str, str]:
        wanted = sorted(set(hashes))
        if not wanted:
            return {}
        marks = ", ".join("?" for _ in wanted)
        rows = self.db.execute(
            f"SELECT hash, text FROM consent_texts WHERE hash IN ({marks})",  # noqa: S608
            wanted,
        )
        return dict(rows.fetchall())

    def count(self, consent_id: str | None = None) -> int:
        if consent_id is None:
            return self.db.execute("SELECT count(*) FROM consent_log").fetchone()[0]
        sql = "SELECT count(*) FROM consent_log WHERE consent_id = ?"
        return self.db.execute(sql, [consent_id]).fetchone()[0]

    def figures(self, first: date, last: date, categories: Sequence[str]) -> Figures:
        conn = self.db.conn
        counts = conn.execute(
            "SELECT day, action, lang, surface, revision, gpc, category, records"
            " FROM consent_figures WHERE day >= ? AND day <= ?"
            " ORDER BY day, action, lang, surface, revision, gpc",
            [first.isoformat(), last.isoformat()],
        ).fetchall()
        start, end = period(first, last)
        visitors = conn.execute(
            # A choice whose id made no other choice earlier in the period is its first.
            "SELECT count(*) FROM consent_log WHERE agent IS NULL"
            " AND created_at >= ? AND created_at < ? AND action != 'withdraw'"
            " AND (previous_choice_at IS NULL OR previous_choice_at < ?)",
            [start, end, start],
        ).fetchone()[0]
        return figures_from(counts, visitors, categories)

    def export(self, first: date, last: date) -> Iterator[dict[str, Any]]:
        start, end = period(first, last)
        # A connection of its own: the rows stream while this thread may write.
        conn = self.connect().conn
        conn.row_factory = sqlite3.Row
        try:
            cursor = conn.execute(
                f"SELECT {', '.join(COLUMNS)} FROM consent_log"  # noqa: S608
                " WHERE created_at >= ? AND created_at < ? ORDER BY created_at, id",
                [start, end],
            )
            while batch := cursor.fetchmany(EXPORT_BATCH):
                for row in batch:
                    yield decoded(row)
        finally:
            conn.close()

    def anonymise(self, consent_id: str, now: datetime) -> int:
        with self._writing() as conn:
            return conn.execute(
                "UPDATE consent_log SET consent_id = ?, ip_prefix = NULL, anonymised_at = ?"
                " WHERE consent_id = ? AND anonymised_at IS NULL",
                [ANONYMISED, isoformat(now), consent_id],
            ).rowcount

    def anonymise_inactive(
        self, cutoff: datetime, now: datetime, *, dry_run: bool = False
    ) -> RetentionReport:
        cutoff_s, now_s = isoformat(cutoff), isoformat(now)
        with self._writing() as conn:
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

    def audit(self, entry: AuditEntry) -> None:
        with self._writing() as conn:
            conn.execute(
                "INSERT INTO admin_audit (created_at, action, target, ip_prefix)"
                " VALUES (?, ?, ?, ?)",
                [entry.created_at, entry.action, entry.target, entry.ip_prefix],
            )

    def audit_trail(self, target: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT created_at, action, target, ip_prefix FROM admin_audit"
        if target is None:
            return list(self.db.query(sql + " ORDER BY id"))
        return list(self.db.query(sql + " WHERE target = ? ORDER BY id", [target]))

    def add_login_failure(self, ip_prefix: str, at: str) -> None:
        with self._writing() as conn:
            # Failures older than a day decide nothing any more.
            conn.execute(
                "DELETE FROM admin_login_failures"
                " WHERE created_at < strftime('%Y-%m-%dT%H:%M:%SZ', ?, '-1 day')",
                [at],
            )
            conn.execute(
                "INSERT INTO admin_login_failures (ip_prefix, created_at) VALUES (?, ?)",
                [ip_prefix, at],
            )

    def login_failures(self, ip_prefix: str, since: str) -> int:
        return self.db.execute(
            "SELECT count(*) FROM admin_login_failures WHERE ip_prefix = ? AND created_at >= ?",
            [ip_prefix, since],
        ).fetchone()[0]

    def withdrawals(self, window: timedelta) -> SQLiteWithdrawals:
        feed = SQLiteWithdrawals(self, window)
        self._feeds.append(feed)
        return feed

    def close(self) -> None:
        for feed in self._feeds:
            feed.close()
        self._feeds.clear()
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None


@dataclass
class _Pending:
    """A record waiting for the group commit that acknowledges it."""

    record: Record
    text: str | None
    row_id: int = 0
    error: Exception | None = None
    done: bool = False


_RECORD_FIELDS = tuple(f.name for f in fields(Record))


def _insert(conn: sqlite3.Connection, record: Record, text: str | None) -> int:
    # Not dataclasses.asdict: it deep-copies, a third of an append's time.
    row = {name: getattr(record, name) for name in _RECORD_FIELDS}
    row["categories"] = json.dumps(list(record.categories))
    row["gpc"] = int(record.gpc)
    if record.text_hash and text is not None:
        conn.execute(
            "INSERT OR IGNORE INTO consent_texts"
            " (hash, lang, revision, text, first_seen_at) VALUES (?, ?, ?, ?, ?)",
            (record.text_hash, record.lang, record.revision, text, record.created_at),
        )
    columns = ", ".join(row)
    marks = ", ".join(f":{c}" for c in row)
    # Column names come from the Record dataclass, values are bound parameters.
    sql = (
        f"INSERT INTO consent_log ({columns}, previous_choice_at)"  # noqa: S608
        f" VALUES ({marks}, ({_PREVIOUS_CHOICE}))"
    )
    return conn.execute(sql, row).lastrowid


class SQLiteWithdrawals:
    """Withdrawals and erasures as any process commits them. ``PRAGMA data_version``
    changes when another connection has committed (it reads no page, only the WAL index
    in shared memory), so a check costs a read only after a write; the read then takes
    the rows past the last ones seen (one writer at a time: row ids are committed in
    order)."""

    def __init__(self, store: SQLiteStore, window: timedelta) -> None:
        self._conn = sqlite3.connect(
            store.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
        )
        self._window = window
        self._lock = threading.Lock()
        self._version: int | None = None
        self._after: tuple[int, int] | None = None  # the last log row and audit row read

    def fresh(self) -> list[tuple[str, str]]:
        try:
            with self._lock:
                conn = self._conn
                version = conn.execute("PRAGMA data_version").fetchone()[0]
                if version == self._version:
                    return []
                # Read after noting the version: a commit in between is read again later.
                conn.execute("BEGIN")
                try:
                    last = conn.execute(
                        "SELECT (SELECT coalesce(max(id), 0) FROM consent_log),"
                        " (SELECT coalesce(max(id), 0) FROM admin_audit)"
                    ).fetchone()
                    if self._after is None:
                        since = isoformat(utcnow() - self._window)
                        rows = conn.execute(
                            "SELECT consent_id, created_at FROM consent_log"
                            " WHERE action = 'withdraw' AND created_at >= ?"
                            " UNION ALL SELECT target, created_at FROM admin_audit"
                            " WHERE action = ? AND created_at >= ?",
                            [since, ERASURE, since],
                        ).fetchall()
                    else:
                        rows = conn.execute(
                            "SELECT consent_id, created_at FROM consent_log"
                            " WHERE id > ? AND id <= ? AND action = 'withdraw'"
                            " UNION ALL SELECT target, created_at FROM admin_audit"
                            " WHERE id > ? AND id <= ? AND action = ?",
                            [self._after[0], last[0], self._after[1], last[1], ERASURE],
                        ).fetchall()
                finally:
                    conn.execute("COMMIT")
                self._version, self._after = version, (last[0], last[1])
                return rows
        except sqlite3.OperationalError as e:
            raise StoreUnavailable() from e

    def close(self) -> None:
        self._conn.close()


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
